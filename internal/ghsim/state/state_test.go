package state

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
)

func TestHashObjectKnownValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ data, want string }{
		{"", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"},
		{"hello world\n", "3b18e512dba79e4c8300dd08aeb37f8e728b8dad"},
	} {
		if got := HashObject(TypeBlob, []byte(tc.data)); got != tc.want {
			t.Errorf("HashObject(blob, %q) = %s, want %s", tc.data, got, tc.want)
		}
	}
}

// TestTreeAndCommitMatchGit builds the same tree and commit with the git
// binary and compares ids.
func TestTreeAndCommitMatchGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	files := map[string][]byte{
		"Dockerfile":        []byte("FROM alpine:3.19\n"),
		"a/b/c.txt":         []byte("deep\n"),
		"a.txt":             []byte("file a.txt sorts before dir a/\n"),
		"a-b":               []byte("dash\n"),
		"sub/Dockerfile.ci": []byte("FROM golang:1.22\n"),
	}
	dir := t.TempDir()
	git := func(env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git(nil, "init", "-q")
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, c, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(nil, "add", ".")
	wantTree := git(nil, "write-tree")

	s := store{}
	fs := map[string]file{}
	for p, c := range files {
		fs[p] = file{oid: s.putBlob(c), size: len(c)}
	}
	gotTree := s.buildTree(fs)
	if gotTree != wantTree {
		t.Fatalf("tree id = %s, git write-tree = %s", gotTree, wantTree)
	}

	when := time.Unix(1700000000, 0).UTC()
	c := s.putCommit(Commit{Tree: gotTree, Message: "Bump alpine\n\nBody line\n",
		Author:    Signature{Name: "octo", Email: "octo@example.com", Date: when},
		Committer: Signature{Name: "GitHub", Email: "noreply@github.com", Date: when}})
	env := []string{"GIT_AUTHOR_NAME=octo", "GIT_AUTHOR_EMAIL=octo@example.com", "GIT_AUTHOR_DATE=1700000000 +0000",
		"GIT_COMMITTER_NAME=GitHub", "GIT_COMMITTER_EMAIL=noreply@github.com", "GIT_COMMITTER_DATE=1700000000 +0000"}
	wantCommit := git(env, "commit-tree", wantTree, "-m", "Bump alpine", "-m", "Body line")
	if c.OID != wantCommit {
		t.Fatalf("commit id = %s, git commit-tree = %s", c.OID, wantCommit)
	}
}

func newWorld(t *testing.T) (*World, *clock.Fake, *Token, Repo) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	w := New(Options{Clock: clk, BaseURL: "http://sim.test"})
	w.AddOrg("acme")
	tok := w.AddToken("t-admin", "octo", PermAdmin, nil)
	r, err := w.CreateRepo(nil, NewRepo{Owner: "acme", Name: "app", AutoMergeAllowed: true,
		Files: map[string][]byte{"Dockerfile": []byte("FROM alpine:3.19\n"), "README.md": []byte("hi\n")}})
	if err != nil {
		t.Fatal(err)
	}
	return w, clk, tok, r
}

func wantKind(t *testing.T, err error, k Kind, msgPart string) {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want *state.Error of kind %v", err, k)
	}
	if se.Kind != k || !strings.Contains(se.Message, msgPart) {
		t.Fatalf("error = %v (%v), want kind %v containing %q", se.Message, se.Kind, k, msgPart)
	}
}

func TestCommitOnBranch(t *testing.T) {
	t.Parallel()
	w, _, tok, r := newWorld(t)
	head, err := w.Ref(tok, r.ID, "heads/main")
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "bump", ExpectedHeadOID: head.OID, Headline: "x"})
	wantKind(t, err, NotFound, "Branch not found")

	if _, err := w.CreateRef(tok, r.ID, "refs/heads/bump", head.OID); err != nil {
		t.Fatal(err)
	}
	_, err = w.CreateRef(tok, r.ID, "refs/heads/bump", head.OID)
	wantKind(t, err, Invalid, "Reference already exists")

	_, err = w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "bump", ExpectedHeadOID: strings.Repeat("0", 40), Headline: "x"})
	wantKind(t, err, Stale, "Expected branch to point to")

	_, err = w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "bump", ExpectedHeadOID: head.OID, Deletions: []string{"nope"}, Headline: "x"})
	wantKind(t, err, Invalid, "does not exist")

	c, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "refs/heads/bump", ExpectedHeadOID: head.OID,
		Additions: map[string][]byte{"Dockerfile": []byte("FROM alpine:3.20\n")}, Deletions: []string{"README.md"},
		Headline: "Bump alpine", Body: "to 3.20"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Verified || len(c.Parents) != 1 || c.Parents[0] != head.OID || c.Author.Login != "octo" || c.Message != "Bump alpine\n\nto 3.20" {
		t.Errorf("commit = %+v", c)
	}
	f, err := w.FileAt(tok, r.ID, "bump", "Dockerfile")
	if err != nil || string(f.Content) != "FROM alpine:3.20\n" || f.SHA != HashObject(TypeBlob, f.Content) {
		t.Errorf("FileAt(bump) = %+v, %v", f, err)
	}
	if _, err := w.FileAt(tok, r.ID, "bump", "README.md"); err == nil {
		t.Error("README.md still present after deletion")
	}
	o, err := w.Object(tok, r.ID, "HEAD:Dockerfile")
	if err != nil || string(o.Data) != "FROM alpine:3.19\n" {
		t.Errorf("Object(HEAD:Dockerfile) = %+v, %v", o, err)
	}
	if o2, err := w.Object(tok, r.ID, o.OID); err != nil || o2.Type != TypeBlob {
		t.Errorf("Object(oid) = %+v, %v", o2, err)
	}
	// Fast-forward rules.
	_, err = w.UpdateRef(tok, r.ID, "heads/bump", head.OID, false)
	wantKind(t, err, Invalid, "Update is not a fast forward")
	if _, err := w.UpdateRef(tok, r.ID, "heads/bump", head.OID, true); err != nil {
		t.Errorf("forced update: %v", err)
	}
	if _, err := w.UpdateRef(tok, r.ID, "heads/bump", c.OID, false); err != nil {
		t.Errorf("fast-forward update: %v", err)
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	w, _, _, r := newWorld(t)
	priv, err := w.CreateRepo(nil, NewRepo{Owner: "acme", Name: "secret", Private: true, AutoInit: true})
	if err != nil {
		t.Fatal(err)
	}
	reader := w.AddToken("t-read", "reader", PermNone, map[string]Permission{"ACME/app": PermRead})
	if p := w.ViewerPermission(reader, r.ID); p != PermRead || p.GraphQL() != "READ" {
		t.Errorf("ViewerPermission = %v", p)
	}
	_, err = w.RepoByName(reader, "acme", "secret")
	wantKind(t, err, NotFound, "Not Found")
	_, err = w.CreateRef(reader, r.ID, "refs/heads/x", strings.Repeat("a", 40))
	wantKind(t, err, Forbidden, "")
	_, err = w.CreateRef(reader, priv.ID, "refs/heads/x", strings.Repeat("a", 40))
	wantKind(t, err, NotFound, "")
	n, err := w.ResolveNode(reader, r.NodeID)
	if err != nil || n.Type != "Repository" || n.Repo.ID != r.ID {
		t.Errorf("ResolveNode = %+v, %v", n, err)
	}
}

func TestPullRequests(t *testing.T) {
	t.Parallel()
	w, _, tok, r := newWorld(t)
	w.AddUser("alice")
	w.AddTeam("acme", "platform")
	head, _ := w.Ref(tok, r.ID, "main")
	if _, err := w.CreateRef(tok, r.ID, "refs/heads/bump", head.OID); err != nil {
		t.Fatal(err)
	}
	_, err := w.CreatePullRequest(tok, r.ID, NewPullRequest{Base: "main", Head: "bump", Title: "t"})
	wantKind(t, err, Invalid, "No commits between main and bump")
	if _, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "bump", ExpectedHeadOID: head.OID,
		Additions: map[string][]byte{"Dockerfile": []byte("FROM alpine:3.20\n")}, Headline: "b"}); err != nil {
		t.Fatal(err)
	}
	pr, err := w.CreatePullRequest(tok, r.ID, NewPullRequest{Base: "main", Head: "acme:bump", Title: "Bump"})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number != 1 || pr.HTMLURL != "http://sim.test/acme/app/pull/1" || pr.Head.Label() != "acme:bump" {
		t.Errorf("pr = %+v", pr)
	}
	_, err = w.CreatePullRequest(tok, r.ID, NewPullRequest{Base: "main", Head: "bump", Title: "again"})
	wantKind(t, err, Invalid, "A pull request already exists for acme:bump.")

	if _, err := w.AddLabels(tok, r.ID, 1, []string{"deps"}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.RequestReviewers(tok, r.ID, 1, []string{"alice"}, nil, false); err != nil {
		t.Fatal(err)
	}
	pr, err = w.RequestReviewers(tok, r.ID, 1, nil, []string{"platform"}, true)
	if err != nil || len(pr.RequestedReviewers) != 1 || len(pr.RequestedTeams) != 1 {
		t.Errorf("union request = %+v, %v", pr, err)
	}
	pr, _ = w.RequestReviewers(tok, r.ID, 1, nil, []string{"platform"}, false)
	if len(pr.RequestedReviewers) != 0 || len(pr.RequestedTeams) != 1 {
		t.Errorf("replace request = %+v", pr)
	}
	_, err = w.EnableAutoMerge(tok, r.ID, 1, "SQUASH")
	wantKind(t, err, Invalid, "Pull request is in clean status")
	yes := true
	if _, err := w.UpdateRepo(tok, r.ID, RepoPatch{RequiredChecks: &yes}); err != nil {
		t.Fatal(err)
	}
	pr, err = w.EnableAutoMerge(tok, r.ID, 1, "SQUASH")
	if err != nil || pr.AutoMerge == nil || pr.AutoMerge.MergeMethod != "SQUASH" {
		t.Errorf("auto-merge = %+v, %v", pr.AutoMerge, err)
	}
	no := false
	if _, err := w.UpdateRepo(tok, r.ID, RepoPatch{AutoMergeAllowed: &no}); err != nil {
		t.Fatal(err)
	}
	_, err = w.EnableAutoMerge(tok, r.ID, 1, "")
	wantKind(t, err, Invalid, "Auto merge is not allowed for this repository")

	found, err := w.FindPullRequests(tok, r.ID, PRFilter{HeadOwner: "acme", HeadRef: "bump", States: []string{"OPEN"}})
	if err != nil || len(found) != 1 || len(found[0].Labels) != 1 || found[0].Labels[0].Name != "deps" {
		t.Errorf("FindPullRequests = %+v, %v", found, err)
	}
	if _, err := w.ClosePullRequest(tok, r.ID, 1); err != nil {
		t.Fatal(err)
	}
	found, _ = w.FindPullRequests(tok, r.ID, PRFilter{States: []string{"open"}})
	if len(found) != 0 {
		t.Errorf("open PRs after close = %d", len(found))
	}
}

func TestForkAppearsAfterDelay(t *testing.T) {
	t.Parallel()
	w, clk, tok, r := newWorld(t)
	w.SetForkDelay(5 * time.Second)
	f, err := w.Fork(tok, r.ID, "", "", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.RepoByName(tok, "octo", "app"); err == nil {
		t.Fatal("fork visible before the delay")
	}
	clk.Advance(5 * time.Second)
	got, err := w.RepoByName(tok, "octo", "app")
	if err != nil || !got.Fork || got.ParentFullName != "acme/app" || got.ID != f.ID {
		t.Fatalf("fork = %+v, %v", got, err)
	}
}

func TestSearchCode(t *testing.T) {
	t.Parallel()
	w, clk, tok, r := newWorld(t)
	w.SetIndexLag(time.Minute)
	if _, err := w.CreateRepo(nil, NewRepo{Owner: "acme", Name: "svc", Files: map[string][]byte{
		"build/Dockerfile.prod": []byte("FROM python:3.12-slim AS base\n"),
		"compose.yaml":          []byte("image: python:3.12-slim\n"),
		"main.go":               []byte("package main // python\n"),
	}}); err != nil {
		t.Fatal(err)
	}
	paths := func(q string) string {
		t.Helper()
		hits, err := w.SearchCode(tok, q)
		if err != nil {
			t.Fatalf("SearchCode(%q): %v", q, err)
		}
		var ps []string
		for _, h := range hits {
			ps = append(ps, h.Repo.Name+"/"+h.Path)
		}
		return strings.Join(ps, " ")
	}
	for q, want := range map[string]string{
		"python:3.12-slim":                    "svc/build/Dockerfile.prod svc/compose.yaml",
		"python filename:Dockerfile":          "svc/build/Dockerfile.prod",
		"python language:yaml":                "svc/compose.yaml",
		"FROM language:Dockerfile org:acme":   "app/Dockerfile svc/build/Dockerfile.prod",
		"python path:/":                       "svc/compose.yaml svc/main.go",
		"python path:build":                   "svc/build/Dockerfile.prod",
		"python extension:go":                 "svc/main.go",
		"filename:Dockerfile repo:acme/app":   "app/Dockerfile",
		"alpine size:<10":                     "",
		"alpine size:10..100":                 "app/Dockerfile",
		"slim \"python 3\" -- nothing-here-x": "",
	} {
		if got := paths(q); got != want {
			t.Errorf("SearchCode(%q) = %q, want %q", q, got, want)
		}
	}
	_, err := w.SearchCode(tok, "language:go")
	wantKind(t, err, Invalid, "at least one search term")
	_, err = w.SearchCode(tok, "x repo:acme/none")
	wantKind(t, err, Invalid, "cannot be searched")

	head, _ := w.Ref(tok, r.ID, "main")
	if _, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "main", ExpectedHeadOID: head.OID,
		Additions: map[string][]byte{"ci/Dockerfile": []byte("FROM ubuntu:24.04\n")}, Headline: "ci"}); err != nil {
		t.Fatal(err)
	}
	if got := paths("ubuntu"); got != "" {
		t.Errorf("found %q before the index lag passed", got)
	}
	clk.Advance(time.Minute)
	if got := paths("ubuntu"); got != "app/ci/Dockerfile" {
		t.Errorf("after lag: %q", got)
	}
}
