package registry

import (
	"errors"
	"strings"
	"testing"
)

// TestErrorRedactsSecrets checks that a secret a registry echoes back (here
// in an error body) never reaches the message.
func TestErrorRedactsSecrets(t *testing.T) {
	t.Parallel()
	e := &Error{Image: "ghcr.io/acme/base", Tag: "1.3", Registry: "ghcr.io"}
	e.add(anonymous, true, ErrUnauthorized, errors.New("401 Unauthorized"))
	cred := basic(`registry username "bob"`, "bob", "pa55word")
	e.add(cred, true, ErrUnauthorized, errors.New(`GET https://ghcr.io/token: 401: bad credentials bob:pa55word`))

	msg := e.Error()
	if strings.Contains(msg, "pa55word") {
		t.Errorf("error %q contains the password", msg)
	}
	if !strings.Contains(msg, `registry username "bob": GET https://ghcr.io/token: 401: bad credentials bob:***`) {
		t.Errorf("error %q does not show the attempt with the password replaced by ***", msg)
	}
	if !errors.Is(e, ErrUnauthorized) {
		t.Errorf("errors.Is(%v, ErrUnauthorized) = false", e)
	}
}
