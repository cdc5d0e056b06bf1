package gitref

import (
	"os/exec"
	"strings"
	"testing"
)

// branchCases covers each of git's rules, on its own and next to a slash,
// and names GitHub users write.
var branchCases = []string{
	"dfiu", "dfiu/ghcr.io-acme-base", "deps/docker", "a", "x.y", "a-b_c", "UPPER", "ünïcode", "a@b", "a{b}", "a#b", "a!b", "x./y",
	"a'b", "a\"b", "a%b", "a,b", "a;b", "a=b", "a+b", "a&b", "a<b>", "a|b", "a$b", "a(b)", "@x", "x@", "x/@",
	"", "-x", "x-", "--", "HEAD", "head", "x/HEAD", "HEAD/x", "@", "@/x",
	"refs/heads/x", "refs/heads/refs/heads/x",
	".hidden", "x/.hidden", "x.", "x/y.", "x.lock", "x.lock/y", "x/y.lock", "x.lockx", ".lock", "lock",
	"x..y", "x/../y", "x/./y", "x/.", "..",
	"/x", "x/", "x//y",
	"x y", "x\ty", "x~1", "x^2", "x:y", "x?", "x*", "x[1]", `x\y`, "x@{1}", "x@{", "@{-1}", "x{@",
	"x\x01", "x\x1f", "x\x7f", "x\ny",
}

// TestCheckBranchAgreesWithGit compares every case with the installed
// git's verdict; git is part of the build environment, so its absence is
// a failure.
func TestCheckBranchAgreesWithGit(t *testing.T) {
	t.Parallel()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("git is needed to check the branch rules against: %v", err)
	}
	dir := t.TempDir() // outside any repository: @{-N} is not expanded
	for _, name := range branchCases {
		cmd := exec.Command(git, "check-ref-format", "--branch", name)
		cmd.Dir = dir
		cmd.Env = append(cmd.Environ(), "GIT_CEILING_DIRECTORIES="+dir)
		out, err := cmd.CombinedOutput()
		gitOK := err == nil
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatalf("running git: %v", err)
		}
		ours := CheckBranch(name)
		if gitOK != (ours == nil) {
			t.Errorf("CheckBranch(%q) = %v; git check-ref-format --branch says %q", name, ours, strings.TrimSpace(string(out)))
		}
	}
}
