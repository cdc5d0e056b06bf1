//go:build unix

package cli

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRewriteExplicitFIFO checks that a named pipe given as PATH is reported
// rather than opened, which would block forever.
func TestRewriteExplicitFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": oldDockerfile})
	fifo := filepath.Join(dir, "Dockerfile.pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("cannot create a FIFO here: %v", err)
	}
	code, stdout, stderr := runCmd(t, []string{"--image", "ubuntu", "--tag", "24.04", fifo, filepath.Join(dir, "Dockerfile")})
	if code != ExitFailure {
		t.Errorf("exit %d, want %d", code, ExitFailure)
	}
	if want := "error " + fifo + ": not a regular file or directory\n"; stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
	if !strings.Contains(stdout, "updated "+filepath.Join(dir, "Dockerfile")) {
		t.Errorf("stdout = %q, want the regular Dockerfile still updated", stdout)
	}
}
