//go:build nosim

package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// .ci/run runs this with -tags nosim.
func TestNoSimLeavesSimulatorOut(t *testing.T) {
	for _, cmd := range []string{"sim", "demo"} {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), []string{cmd}, Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})
		if code != ExitUsage || !strings.Contains(stderr.String(), `"go run . `+cmd+`"`) || stdout.Len() != 0 {
			t.Errorf("dfiu %s in a nosim build: exit %d, stdout %q, stderr %q; want exit %d and a pointer to go run . %s", cmd, code, stdout.String(), stderr.String(), ExitUsage, cmd)
		}
	}
}
