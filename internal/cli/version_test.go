package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/version"
)

func TestVersion(t *testing.T) {
	want := version.Get().String() + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), args, Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})
		if code != ExitOK || stdout.String() != want || stderr.Len() != 0 {
			t.Errorf("dfiu %s: exit %d, stdout %q, stderr %q; want exit 0 and %q", args[0], code, stdout.String(), stderr.String(), want)
		}
	}
	var stderr bytes.Buffer
	if code := Run(context.Background(), []string{"version", "--json"}, Env{Stdout: &bytes.Buffer{}, Stderr: &stderr}); code != ExitUsage || !strings.Contains(stderr.String(), `"--json"`) {
		t.Errorf("dfiu version --json: exit %d, stderr %q; want exit %d naming the argument", code, stderr.String(), ExitUsage)
	}
}

// TestActionLogsVersionFirst runs the bare action (as the runner does) with
// no inputs: whatever else happens, the log starts with the version.
func TestActionLogsVersionFirst(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := map[string]string{"GITHUB_ACTIONS": "true", "INPUT_MODE": "no-such-mode"}
	code := Run(context.Background(), nil, Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }})
	first, _, _ := strings.Cut(stdout.String(), "\n")
	if first != version.Get().String() {
		t.Errorf("the action's first line is %q, want %q (exit %d, stderr %q)", first, version.Get().String(), code, stderr.String())
	}
	if code != ExitUsage {
		t.Errorf("mode no-such-mode: exit %d, want %d", code, ExitUsage)
	}
}
