package cli

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dfiu/dfiu/internal/diff"
	"github.com/dfiu/dfiu/internal/dockerfile"
)

const (
	oldDockerfile = "FROM ubuntu:20.04\nRUN true\n"
	newDockerfile = "FROM ubuntu:24.04\nRUN true\n"
)

// writeFiles creates files (slash paths relative to root) with mode 0644.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	tree := map[string]treeFile{}
	for name, content := range files {
		tree[name] = treeFile{Content: content, Mode: 0o644}
	}
	writeTree(t, root, tree)
}

func TestRewriteCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": oldDockerfile, "current/Dockerfile": newDockerfile})
	before := readTree(t, dir)

	code, stdout, stderr := runCmd(t, []string{"--image", "ubuntu", "--tag", "24.04", "--check", dir})
	if code != ExitChanges {
		t.Errorf("--check with a stale file: exit %d, want %d (stderr %q)", code, ExitChanges, stderr)
	}
	if want := "would update " + filepath.Join(dir, "Dockerfile") + "\n"; stdout != want {
		t.Errorf("--check stdout = %q, want %q", stdout, want)
	}
	if diff := cmp.Diff(before, readTree(t, dir)); diff != "" {
		t.Errorf("--check wrote files (-before +after):\n%s", diff)
	}

	code, stdout, _ = runCmd(t, []string{"--image", "ubuntu", "--tag", "24.04", "--check", filepath.Join(dir, "current")})
	if code != ExitOK || stdout != "" {
		t.Errorf("--check on an up-to-date tree: exit %d stdout %q, want %d and no output", code, stdout, ExitOK)
	}
}

// TestRewriteCheckFailureWins checks that --check exits 1, not 3, when a
// file could not be checked, whichever comes first.
func TestRewriteCheckFailureWins(t *testing.T) {
	t.Parallel()
	for _, names := range [][2]string{{"a", "b"}, {"b", "a"}} {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{
			names[0] + "/Dockerfile": oldDockerfile,
			names[1] + "/Dockerfile": "FROM ubuntu:20.04\nCOPY onlyone\n",
		})
		code, stdout, stderr := runCmd(t, []string{"--image", "ubuntu", "--tag", "24.04", "--check", dir})
		if code != ExitFailure {
			t.Errorf("--check with a stale file in %s/ and a malformed one in %s/: exit %d, want %d", names[0], names[1], code, ExitFailure)
		}
		if !strings.Contains(stdout, "would update "+filepath.Join(dir, names[0], "Dockerfile")) {
			t.Errorf("stdout %q does not report the stale file", stdout)
		}
		if !strings.Contains(stderr, "error "+filepath.Join(dir, names[1], "Dockerfile")+": ") {
			t.Errorf("stderr %q does not report the malformed file", stderr)
		}
	}
}

func TestRewriteDiff(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": oldDockerfile})
	before := readTree(t, dir)

	code, stdout, stderr := runCmd(t, []string{"--diff", "--image", "ubuntu", "--tag", "24.04", dir})
	if code != ExitOK {
		t.Errorf("--diff: exit %d, want %d (stderr %q)", code, ExitOK, stderr)
	}
	label := strings.TrimLeft(filepath.ToSlash(filepath.Join(dir, "Dockerfile")), "/")
	want := diff.Unified(label, []byte(oldDockerfile), []byte(newDockerfile))
	if want == "" || stdout != want {
		t.Errorf("--diff stdout = %q, want %q", stdout, want)
	}
	if diff := cmp.Diff(before, readTree(t, dir)); diff != "" {
		t.Errorf("--diff wrote files (-before +after):\n%s", diff)
	}
}

func TestRewriteUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string // the temp dir is appended unless noPath
		// wantMsg is a piece of stderr naming the flag and the problem.
		wantMsg string
		noPath  bool
	}{
		{name: "missing image", args: []string{"--tag", "24.04"}, wantMsg: "--image is required"},
		{name: "missing tag", args: []string{"--image", "ubuntu"}, wantMsg: "--tag is required"},
		{name: "upper-case image", args: []string{"--image", "Ubuntu", "--tag", "24.04"}, wantMsg: `--image: image "Ubuntu"`},
		{name: "image with tag", args: []string{"--image", "ubuntu:20.04", "--tag", "24.04"}, wantMsg: `--image: image "ubuntu:20.04"`},
		{name: "bad tag", args: []string{"--image", "ubuntu", "--tag", "24.04/x"}, wantMsg: `--tag: tag "24.04/x"`},
		{name: "bad digest", args: []string{"--image", "ubuntu", "--tag", "24.04", "--digest", "md5:abc"}, wantMsg: `--digest: digest "md5:abc"`},
		{name: "bad regex", args: []string{"--image", "ubuntu", "--tag", "24.04", "--tag-filter", "[a-"}, wantMsg: `--tag-filter "[a-": invalid regular expression`},
		{name: "bad marker", args: []string{"--image", "ubuntu", "--tag", "24.04", "--ignore-comment", "##"}, wantMsg: "--ignore-comment: "},
		{name: "bad floating tags", args: []string{"--image", "ubuntu", "--tag", "24.04", "--floating-tags", "yes"}, wantMsg: `--floating-tags "yes": must be skip or pin`},
		{name: "empty floating tags", args: []string{"--image", "ubuntu", "--tag", "24.04", "--floating-tags", ""}, wantMsg: `--floating-tags "": must be skip or pin`},
		{name: "check and diff", args: []string{"--image", "ubuntu", "--tag", "24.04", "--check", "--diff"}, wantMsg: "--check and --diff cannot be used together"},
		{name: "unknown flag", args: []string{"--image", "ubuntu", "--tag", "24.04", "--force"}, wantMsg: "flag provided but not defined: -force"},
		{name: "no path", args: []string{"--image", "ubuntu", "--tag", "24.04"}, wantMsg: "no PATH given", noPath: true},
		{name: "missing path", args: []string{"--image", "ubuntu", "--tag", "24.04", "/nonexistent/dfiu/Dockerfile"}, wantMsg: `PATH "/nonexistent/dfiu/Dockerfile": no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"Dockerfile": oldDockerfile})
			before := readTree(t, dir)
			args := tt.args
			if !tt.noPath {
				args = append(args, dir)
			}
			code, stdout, stderr := runCmd(t, args)
			if code != ExitUsage {
				t.Errorf("rewrite %q: exit %d, want %d", args, code, ExitUsage)
			}
			if !strings.Contains(stderr, tt.wantMsg) {
				t.Errorf("rewrite %q: stderr %q does not contain %q", args, stderr, tt.wantMsg)
			}
			if stdout != "" {
				t.Errorf("rewrite %q: stdout %q, want none", args, stdout)
			}
			if diff := cmp.Diff(before, readTree(t, dir)); diff != "" {
				t.Errorf("usage error touched files (-before +after):\n%s", diff)
			}
		})
	}
}

func TestRewriteHelp(t *testing.T) {
	t.Parallel()
	code, _, stderr := runCmd(t, []string{"-h"})
	if code != ExitOK {
		t.Errorf("rewrite -h: exit %d, want %d", code, ExitOK)
	}
	for _, want := range []string{"usage: dfiu rewrite", "-allow-downgrade", "-tag-filter", "Exit status"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("rewrite -h output does not mention %q:\n%s", want, stderr)
		}
	}
}

func TestRewriteFlagsAfterPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": oldDockerfile, "-odd/Dockerfile": oldDockerfile})
	code, _, stderr := runCmd(t, []string{
		filepath.Join(dir, "Dockerfile"), "--image", "ubuntu", "--tag", "24.04", "--", filepath.Join(dir, "-odd"),
	})
	if code != ExitOK {
		t.Fatalf("exit %d, want %d (stderr %q)", code, ExitOK, stderr)
	}
	got := readTree(t, dir)
	for _, name := range []string{"Dockerfile", "-odd/Dockerfile"} {
		if got[name].Content != newDockerfile {
			t.Errorf("%s = %q, want %q", name, got[name].Content, newDockerfile)
		}
	}
}

func TestRewriteKeepsModeAndLeavesNoTempFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]treeFile{
		"Dockerfile":      {Content: oldDockerfile, Mode: 0o640},
		"Dockerfile.exec": {Content: oldDockerfile, Mode: 0o755},
	})
	code, _, stderr := runCmd(t, []string{"--image", "ubuntu", "--tag", "24.04", dir})
	if code != ExitOK {
		t.Fatalf("exit %d, want %d (stderr %q)", code, ExitOK, stderr)
	}
	want := map[string]treeFile{
		"Dockerfile":      {Content: newDockerfile, Mode: 0o640},
		"Dockerfile.exec": {Content: newDockerfile, Mode: 0o755},
	}
	// readTree sees every file, so a leftover temporary file fails too.
	if diff := cmp.Diff(want, readTree(t, dir)); diff != "" {
		t.Errorf("tree after rewrite (-want +got):\n%s", diff)
	}
}

func TestWriteAtomicReplacesFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(path, []byte(oldDockerfile), 0o600); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeAtomic(path, []byte(newDockerfile), before.Mode()); err != nil {
		t.Fatalf("writeAtomic: %v", err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, after) {
		t.Error("writeAtomic wrote in place; want a new file renamed over the old one")
	}
	if after.Mode().Perm() != 0o600 {
		t.Errorf("mode after writeAtomic = %v, want %v", after.Mode().Perm(), fs.FileMode(0o600))
	}
	if err := writeAtomic(filepath.Join(dir, "missing-dir", "Dockerfile"), nil, 0o644); err == nil {
		t.Error("writeAtomic into a missing directory: got no error")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after writeAtomic, want only the Dockerfile", len(entries))
	}
}

func TestRewriteSkipsGitDirAndSymlinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		".git/Dockerfile":      oldDockerfile,
		"app/Dockerfile":       oldDockerfile,
		"elsewhere/Dockerfile": oldDockerfile,
	})
	// A symbolic link met while walking is not followed: the file it points
	// to may be outside the tree or visited anyway.
	if err := os.Symlink(filepath.Join(dir, "elsewhere", "Dockerfile"), filepath.Join(dir, "app", "Dockerfile.link")); err != nil {
		t.Skipf("cannot create symbolic links here: %v", err)
	}
	code, stdout, stderr := runCmd(t, []string{"--image", "ubuntu", "--tag", "24.04", dir})
	if code != ExitOK {
		t.Fatalf("exit %d, want %d (stderr %q)", code, ExitOK, stderr)
	}
	want := "updated " + filepath.Join(dir, "app", "Dockerfile") + "\nupdated " + filepath.Join(dir, "elsewhere", "Dockerfile") + "\n"
	if stdout != want {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
	if got := mustRead(t, filepath.Join(dir, ".git", "Dockerfile")); got != oldDockerfile {
		t.Errorf(".git/Dockerfile = %q, want it untouched", got)
	}
	if info, err := os.Lstat(filepath.Join(dir, "app", "Dockerfile.link")); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("app/Dockerfile.link is no longer a symbolic link (err %v)", err)
	}

	// A .git directory named explicitly is walked: the user asked for it.
	code, stdout, stderr = runCmd(t, []string{"--image", "ubuntu", "--tag", "24.04", filepath.Join(dir, ".git")})
	if want := "updated " + filepath.Join(dir, ".git", "Dockerfile") + "\n"; code != ExitOK || stdout != want {
		t.Errorf("rewrite of .git named explicitly: exit %d stdout %q stderr %q, want %d and %q", code, stdout, stderr, ExitOK, want)
	}
}

func TestRewriteExplicitSymlinkWritesTarget(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"real/Dockerfile": oldDockerfile})
	link := filepath.Join(dir, "Dockerfile")
	if err := os.Symlink(filepath.Join("real", "Dockerfile"), link); err != nil {
		t.Skipf("cannot create symbolic links here: %v", err)
	}
	code, stdout, stderr := runCmd(t, []string{"--image", "ubuntu", "--tag", "24.04", link})
	if code != ExitOK {
		t.Fatalf("exit %d, want %d (stderr %q)", code, ExitOK, stderr)
	}
	if want := "updated " + link + "\n"; stdout != want {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("%s is no longer a symbolic link (err %v)", link, err)
	}
	if got := mustRead(t, filepath.Join(dir, "real", "Dockerfile")); got != newDockerfile {
		t.Errorf("link target = %q, want %q", got, newDockerfile)
	}
}

func TestRewriteTooLarge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := oldDockerfile + "# " + strings.Repeat("x", dockerfile.MaxSize) + "\n"
	writeFiles(t, dir, map[string]string{"big/Dockerfile": big, "small/Dockerfile": oldDockerfile})
	code, stdout, stderr := runCmd(t, []string{"--image", "ubuntu", "--tag", "24.04", dir})
	if code != ExitFailure {
		t.Errorf("exit %d, want %d", code, ExitFailure)
	}
	bigPath := filepath.Join(dir, "big", "Dockerfile")
	if !strings.Contains(stderr, "error "+bigPath+": ") || !strings.Contains(stderr, dockerfile.ErrTooLarge.Error()) {
		t.Errorf("stderr %q does not report %s as %q", stderr, bigPath, dockerfile.ErrTooLarge)
	}
	if want := "updated " + filepath.Join(dir, "small", "Dockerfile") + "\n"; stdout != want {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
	if got := mustRead(t, bigPath); got != big {
		t.Error("the large file was changed")
	}
}

func TestRewriteCanceled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": oldDockerfile})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb strings.Builder
	code := runRewrite(ctx, []string{"--image", "ubuntu", "--tag", "24.04", dir}, Env{Stdout: &out, Stderr: &errb})
	if code != ExitFailure {
		t.Errorf("canceled run: exit %d, want %d", code, ExitFailure)
	}
	if !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("canceled run: stderr %q, want it to say interrupted", errb.String())
	}
	if got := mustRead(t, filepath.Join(dir, "Dockerfile")); got != oldDockerfile {
		t.Errorf("canceled run changed the file to %q", got)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
