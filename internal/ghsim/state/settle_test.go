package state

import (
	"strings"
	"testing"
)

// openPR makes branch one commit ahead of main and opens a pull request
// from it; it returns main's head and the branch's.
func openPR(t *testing.T, w *World, tok *Token, r Repo, branch string) (base, head string) {
	t.Helper()
	main, err := w.Ref(tok, r.ID, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.CreateRef(tok, r.ID, "refs/heads/"+branch, main.OID); err != nil {
		t.Fatal(err)
	}
	c, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: branch, ExpectedHeadOID: main.OID,
		Additions: map[string][]byte{"Dockerfile": []byte("FROM alpine:3.20\n")}, Headline: "Bump"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.CreatePullRequest(tok, r.ID, NewPullRequest{Base: "main", Head: branch, Title: "Bump " + branch}); err != nil {
		t.Fatal(err)
	}
	return main.OID, c.OID
}

func prOn(t *testing.T, w *World, tok *Token, r Repo, branch string) PullRequest {
	t.Helper()
	prs, err := w.FindPullRequests(tok, r.ID, PRFilter{HeadRef: branch})
	if err != nil || len(prs) != 1 {
		t.Fatalf("pull requests from %s = %+v (%v), want one", branch, prs, err)
	}
	return prs[0]
}

// TestRefMovesSettlePullRequests checks that every way of moving or
// deleting a ref closes an open pull request left with no commits over its
// base (GitHub closes it for good), and that one whose commits reach the
// base is marked merged, while a move that keeps commits leaves it open.
func TestRefMovesSettlePullRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		move       func(t *testing.T, w *World, tok *Token, r Repo, base, head string) error
		wantState  string
		wantMerged bool
	}{
		{"UpdateRef force to the base", func(t *testing.T, w *World, tok *Token, r Repo, base, _ string) error {
			_, err := w.UpdateRef(tok, r.ID, "heads/bump", base, true)
			return err
		}, "closed", false},
		{"UpdateRef force to an ancestor of the base", func(t *testing.T, w *World, tok *Token, r Repo, base, _ string) error {
			// main moves on; bump goes back to main's old head.
			if _, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "main", ExpectedHeadOID: base,
				Additions: map[string][]byte{"README.md": []byte("more\n")}, Headline: "m"}); err != nil {
				return err
			}
			_, err := w.UpdateRef(tok, r.ID, "heads/bump", base, true)
			return err
		}, "closed", false},
		{"UpdateRefs to the base", func(t *testing.T, w *World, tok *Token, r Repo, base, head string) error {
			return w.UpdateRefs(tok, r.ID, []RefUpdate{{Name: "refs/heads/bump", BeforeOID: head, AfterOID: base, Force: true}})
		}, "closed", false},
		{"UpdateRefs deletes the head", func(t *testing.T, w *World, tok *Token, r Repo, _, _ string) error {
			return w.UpdateRefs(tok, r.ID, []RefUpdate{{Name: "refs/heads/bump", AfterOID: zeroOID}})
		}, "closed", false},
		{"DeleteRef of the head", func(t *testing.T, w *World, tok *Token, r Repo, _, _ string) error {
			return w.DeleteRef(tok, r.ID, "heads/bump")
		}, "closed", false},
		{"base fast-forwarded to the head", func(t *testing.T, w *World, tok *Token, r Repo, _, head string) error {
			_, err := w.UpdateRef(tok, r.ID, "heads/main", head, false)
			return err
		}, "closed", true},
		{"UpdateRefs straight to another commit over the base", func(t *testing.T, w *World, tok *Token, r Repo, base, head string) error {
			// The superseding move: a commit on a temporary branch at the
			// base, then the head jumps to it.
			if _, err := w.CreateRef(tok, r.ID, "refs/heads/next", base); err != nil {
				return err
			}
			c, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "next", ExpectedHeadOID: base,
				Additions: map[string][]byte{"Dockerfile": []byte("FROM alpine:3.21\n")}, Headline: "Bump"})
			if err != nil {
				return err
			}
			return w.UpdateRefs(tok, r.ID, []RefUpdate{
				{Name: "refs/heads/bump", BeforeOID: head, AfterOID: c.OID, Force: true},
				{Name: "refs/heads/next", BeforeOID: c.OID, AfterOID: zeroOID},
			})
		}, "open", false},
		{"a commit on the head", func(t *testing.T, w *World, tok *Token, r Repo, _, head string) error {
			_, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "bump", ExpectedHeadOID: head,
				Additions: map[string][]byte{"x": []byte("x\n")}, Headline: "x"})
			return err
		}, "open", false},
		{"an unrelated commit on the base", func(t *testing.T, w *World, tok *Token, r Repo, base, _ string) error {
			_, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "main", ExpectedHeadOID: base,
				Additions: map[string][]byte{"README.md": []byte("more\n")}, Headline: "m"})
			return err
		}, "open", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w, _, tok, r := newWorld(t)
			base, head := openPR(t, w, tok, r, "bump")
			if err := tc.move(t, w, tok, r, base, head); err != nil {
				t.Fatal(err)
			}
			pr := prOn(t, w, tok, r, "bump")
			if pr.State != tc.wantState || pr.Merged != tc.wantMerged {
				t.Fatalf("pull request state %q merged %v, want %q merged %v", pr.State, pr.Merged, tc.wantState, tc.wantMerged)
			}
			if tc.wantState == "open" {
				return
			}
			if pr.ClosedAt == nil {
				t.Errorf("closed pull request has no close time")
			}
			// GitHub does not let a pull request closed this way be
			// opened again.
			open := "open"
			_, err := w.UpdatePullRequest(tok, r.ID, pr.Number, PRPatch{State: &open})
			wantKind(t, err, Invalid, "Validation Failed")
		})
	}
}

func TestClosedPullRequestKeepsItsHead(t *testing.T) {
	t.Parallel()
	w, _, tok, r := newWorld(t)
	_, head := openPR(t, w, tok, r, "bump")
	pr, err := w.ClosePullRequest(tok, r.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if pr.State != "closed" || pr.Merged || pr.Head.SHA != head {
		t.Fatalf("closed pull request = state %q merged %v head %s, want closed, not merged, head %s", pr.State, pr.Merged, pr.Head.SHA, head)
	}
	// A push after the close does not change the closed pull request.
	c, err := w.CommitOnBranch(tok, r.ID, CommitInput{Branch: "bump", ExpectedHeadOID: head,
		Additions: map[string][]byte{"x": []byte("x\n")}, Headline: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if got := prOn(t, w, tok, r, "bump"); got.Head.SHA != head {
		t.Errorf("closed pull request head = %s after a push, want %s", got.Head.SHA, head)
	}
	// It has commits over the base, so it can be opened again.
	open := "open"
	pr, err = w.UpdatePullRequest(tok, r.ID, 1, PRPatch{State: &open})
	if err != nil || pr.State != "open" || pr.Head.SHA != c.OID {
		t.Errorf("reopened = state %q head %s (%v), want open at %s", pr.State, pr.Head.SHA, err, c.OID)
	}
}

func TestMergePullRequest(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"merge", "squash"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			w, _, tok, r := newWorld(t)
			base, head := openPR(t, w, tok, r, "bump")
			pr, err := w.MergePullRequest(tok, r.ID, 1, method)
			if err != nil {
				t.Fatal(err)
			}
			if pr.State != "closed" || !pr.Merged || pr.MergedAt == nil {
				t.Fatalf("merged pull request = state %q merged %v at %v", pr.State, pr.Merged, pr.MergedAt)
			}
			c, err := w.Commit(tok, r.ID, "main")
			if err != nil {
				t.Fatal(err)
			}
			wantParents := []string{base, head}
			if method == "squash" {
				wantParents = []string{base}
			}
			if strings.Join(c.Parents, " ") != strings.Join(wantParents, " ") {
				t.Errorf("merge commit parents = %v, want %v", c.Parents, wantParents)
			}
			if f, err := w.FileAt(tok, r.ID, "main", "Dockerfile"); err != nil || string(f.Content) != "FROM alpine:3.20\n" {
				t.Errorf("main's Dockerfile after the merge = %q (%v)", f.Content, err)
			}
			if ref, err := w.Ref(tok, r.ID, "bump"); err != nil || ref.OID != head {
				t.Errorf("head branch after the merge = %+v (%v), want it left at %s", ref, err, head)
			}
			for _, st := range []struct {
				state string
				n     int
			}{{"merged", 1}, {"closed", 1}, {"open", 0}} {
				if got, _ := w.FindPullRequests(tok, r.ID, PRFilter{States: []string{st.state}}); len(got) != st.n {
					t.Errorf("FindPullRequests(%s) = %d, want %d", st.state, len(got), st.n)
				}
			}
			_, err = w.MergePullRequest(tok, r.ID, 1, method)
			wantKind(t, err, Invalid, "not mergeable")
		})
	}
}
