package registry

import (
	"errors"
	"fmt"
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

func TestOptionsHideSecrets(t *testing.T) {
	t.Parallel()
	o := Options{Login: Login{Registry: "ghcr.io", Username: "bob", Password: "pa55word"}, GitHubToken: "ghs_t0ken"}
	for _, s := range []string{fmt.Sprint(o), fmt.Sprintf("%+v", o), fmt.Sprintf("%#v", o), fmt.Sprint(o.Login), fmt.Sprintf("%#v", o.Login), fmt.Sprintf("%v", &o)} {
		if strings.Contains(s, "pa55word") || strings.Contains(s, "ghs_t0ken") {
			t.Errorf("%s shows a secret", s)
		}
		if !strings.Contains(s, "bob") {
			t.Errorf("%s does not show the user name", s)
		}
	}
}
