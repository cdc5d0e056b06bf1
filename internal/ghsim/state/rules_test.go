package state

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
)

func rulesWorld(t *testing.T) (*World, *Token, Repo, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Unix(1_800_000_000, 0))
	w := New(Options{Clock: clk, BaseURL: "http://sim.test"})
	w.AddOrg("acme")
	tok := w.AddToken("t", "dev", PermAdmin, nil)
	r, err := w.CreateRepo(nil, NewRepo{Owner: "acme", Name: "app", Files: map[string][]byte{"a": []byte("1\n")}})
	if err != nil {
		t.Fatal(err)
	}
	return w, tok, r, clk
}

// TestRulesRefuseForceMovesAndDeletions: with a ruleset, a non-fast-forward
// move and a deletion of a branch are refused, by every write path, and a
// fast forward is not.
func TestRulesRefuseForceMovesAndDeletions(t *testing.T) {
	t.Parallel()
	w, tok, r, _ := rulesWorld(t)
	base, _ := w.Ref(tok, r.ID, "refs/heads/main")
	if _, err := w.CreateRef(tok, r.ID, "refs/heads/topic", base.OID); err != nil {
		t.Fatal(err)
	}
	c, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "topic", ExpectedHeadOID: base.OID, Additions: map[string][]byte{"b": []byte("2\n")}, Headline: "b"})
	if err != nil {
		t.Fatal(err)
	}
	rules := Rules{NonFastForward: true, Deletion: true}
	if _, err := w.UpdateRepo(nil, r.ID, RepoPatch{Rules: &rules}); err != nil {
		t.Fatal(err)
	}
	checks := map[string]error{
		"updateRefs force":  w.UpdateRefs(tok, r.ID, []RefUpdate{{Name: "refs/heads/topic", AfterOID: base.OID, Force: true}}),
		"updateRefs delete": w.UpdateRefs(tok, r.ID, []RefUpdate{{Name: "refs/heads/topic", AfterOID: zeroOID}}),
		"DeleteRef":         w.DeleteRef(tok, r.ID, "refs/heads/topic"),
	}
	_, checks["UpdateRef force"] = w.UpdateRef(tok, r.ID, "refs/heads/topic", base.OID, true)
	for name, err := range checks {
		if err == nil || !strings.Contains(err.Error(), "Repository rule violations found") {
			t.Errorf("%s: %v, want a rule violation", name, err)
		}
	}
	if ref, _ := w.Ref(tok, r.ID, "refs/heads/topic"); ref.OID != c.OID {
		t.Errorf("topic moved to %s by a refused write", ref.OID)
	}
	if _, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "topic", ExpectedHeadOID: c.OID, Additions: map[string][]byte{"c": []byte("3\n")}, Headline: "c"}); err != nil {
		t.Errorf("a fast-forward commit was refused: %v", err)
	}
}

// TestDraftsUnsupported: a draft pull request is refused as GitHub does on
// a plan without drafts; a normal one is opened.
func TestDraftsUnsupported(t *testing.T) {
	t.Parallel()
	w, tok, r, _ := rulesWorld(t)
	base, _ := w.Ref(tok, r.ID, "refs/heads/main")
	if _, err := w.CreateRef(tok, r.ID, "refs/heads/topic", base.OID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "topic", ExpectedHeadOID: base.OID, Additions: map[string][]byte{"b": []byte("2\n")}, Headline: "b"}); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := w.UpdateRepo(nil, r.ID, RepoPatch{DraftsUnsupported: &yes}); err != nil {
		t.Fatal(err)
	}
	_, err := w.CreatePullRequest(tok, r.ID, NewPullRequest{Base: "main", Head: "topic", Title: "t", Draft: true})
	if err == nil || err.Error() != "Draft pull requests are not supported in this repository." {
		t.Fatalf("draft: %v, want GitHub's refusal", err)
	}
	if _, err := w.CreatePullRequest(tok, r.ID, NewPullRequest{Base: "main", Head: "topic", Title: "t"}); err != nil {
		t.Errorf("normal pull request: %v", err)
	}
}

// TestPullRequestLag: with a lag, a pull request from a commit younger
// than it is refused with "No commits between", and opened once it passed.
func TestPullRequestLag(t *testing.T) {
	t.Parallel()
	w, tok, r, clk := rulesWorld(t)
	w.SetPullRequestLag(5 * time.Second)
	base, _ := w.Ref(tok, r.ID, "refs/heads/main")
	if _, err := w.CreateRef(tok, r.ID, "refs/heads/topic", base.OID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "topic", ExpectedHeadOID: base.OID, Additions: map[string][]byte{"b": []byte("2\n")}, Headline: "b"}); err != nil {
		t.Fatal(err)
	}
	_, err := w.CreatePullRequest(tok, r.ID, NewPullRequest{Base: "main", Head: "topic", Title: "t"})
	if err == nil || !strings.Contains(err.Error(), "No commits between main and topic") {
		t.Fatalf("at once: %v, want No commits between", err)
	}
	clk.Advance(5 * time.Second)
	if _, err := w.CreatePullRequest(tok, r.ID, NewPullRequest{Base: "main", Head: "topic", Title: "t"}); err != nil {
		t.Errorf("after the lag: %v", err)
	}
}

// TestCommitWritesRegularFiles: an executable file written by
// createCommitOnBranch becomes a regular file, as on GitHub.
func TestCommitWritesRegularFiles(t *testing.T) {
	t.Parallel()
	w, tok, r, _ := rulesWorld(t)
	if err := w.SeedExecutable(r.ID, "main", []string{"a"}); err != nil {
		t.Fatal(err)
	}
	mode := func() string {
		_, entries, err := w.Tree(tok, r.ID, "main", false)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name == "a" {
				return e.Mode
			}
		}
		return ""
	}
	if got := mode(); got != ModeExecutable {
		t.Fatalf("seeded mode %q, want %s", got, ModeExecutable)
	}
	head, _ := w.Ref(tok, r.ID, "refs/heads/main")
	if _, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "main", ExpectedHeadOID: head.OID, Additions: map[string][]byte{"a": []byte("2\n")}, Headline: "a"}); err != nil {
		t.Fatal(err)
	}
	if got := mode(); got != ModeFile {
		t.Errorf("mode after a commit %q, want %s", got, ModeFile)
	}
}

// TestCheckRefFormatMatchesGit compares CheckRefFormat with the git
// binary's check-ref-format on names at and around each rule.
func TestCheckRefFormatMatchesGit(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	for _, name := range []string{
		"refs/heads/dfiu/alpine", "refs/heads/dfiu/ghcr.io/acme/base-1.2", "refs/heads/-dash", "refs/heads/ünï",
		"refs/heads/a..b", "refs/heads/.hidden", "refs/heads/a/.b", "refs/heads/.", "refs/heads/x.lock", "refs/heads/x.lock/y",
		"refs/heads/x.locked", "refs/heads/a b", "refs/heads/a~1", "refs/heads/a^", "refs/heads/a:b", "refs/heads/a?",
		"refs/heads/a*", "refs/heads/a[", "refs/heads/a]", "refs/heads/a\\b", "refs/heads/a\x01", "refs/heads/a\x7f", "refs/heads/a\tb",
		"refs/heads/a//b", "refs/heads/a/", "refs/heads/a.", "refs/heads/a@{b", "refs/heads/a@b", "refs/heads/@", "@",
		"heads/x", "x", "/refs/heads/x", "refs/heads/a{b}", "refs/heads/a!b", "refs/heads/a#b",
	} {
		out, err := exec.Command("git", "check-ref-format", name).CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("git check-ref-format %q: %v %s", name, err, out)
		}
		if want := err == nil; CheckRefFormat(name) != want {
			t.Errorf("CheckRefFormat(%q) = %v, git says %v", name, !want, want)
		}
	}
}
