package graphql

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestCreateRefThenCommitInOneDocument(t *testing.T) {
	e := newEnv(t)
	base := e.headOID("main")
	r := e.do(`mutation($repo: ID!, $base: GitObjectID!, $contents: Base64String!) {
  ref: createRef(input: {repositoryId: $repo, name: "refs/heads/bump", oid: $base, clientMutationId: "m1"}) {
    clientMutationId ref { name target { oid } }
  }
  commit: createCommitOnBranch(input: {
    branch: {repositoryNameWithOwner: "acme/app", branchName: "bump"},
    expectedHeadOid: $base,
    message: {headline: "Bump alpine", body: "to 3.20"},
    fileChanges: {additions: [{path: "Dockerfile", contents: $contents}], deletions: [{path: "README.md"}]}
  }) {
    commit { oid url message author { name email user { login } } signature { isValid } }
    ref { name target { oid } }
  }
}`, map[string]any{"repo": e.app.NodeID, "base": base, "contents": b64("FROM alpine:3.20\n")}).ok(t)
	if got := r.str(t, "ref", "clientMutationId"); got != "m1" {
		t.Errorf("clientMutationId = %q", got)
	}
	if got := r.str(t, "ref", "ref", "target", "oid"); got != base {
		t.Errorf("createRef target = %q, want %q", got, base)
	}
	oid := r.str(t, "commit", "commit", "oid")
	if oid == base || oid != e.headOID("bump") {
		t.Errorf("commit oid = %q, branch head %q, base %q", oid, e.headOID("bump"), base)
	}
	if got := r.str(t, "commit", "ref", "target", "oid"); got != oid {
		t.Errorf("payload ref target = %q, want %q", got, oid)
	}
	if got := r.str(t, "commit", "commit", "message"); got != "Bump alpine\n\nto 3.20" {
		t.Errorf("message = %q", got)
	}
	if got := r.str(t, "commit", "commit", "author", "user", "login"); got != "octo" {
		t.Errorf("author = %q, want octo", got)
	}
	if r.get(t, "commit", "commit", "signature", "isValid") != true {
		t.Errorf("signature = %v, want valid", r.get(t, "commit", "commit", "signature"))
	}
	if got := r.str(t, "commit", "commit", "url"); got != "http://sim.test/acme/app/commit/"+oid {
		t.Errorf("url = %q", got)
	}
	f, err := e.w.FileAt(nil, e.app.ID, "bump", "Dockerfile")
	if err != nil || string(f.Content) != "FROM alpine:3.20\n" {
		t.Errorf("Dockerfile on bump = %q, %v", f.Content, err)
	}
	if _, err := e.w.FileAt(nil, e.app.ID, "bump", "README.md"); err == nil {
		t.Error("README.md still on bump")
	}
	if idx := strings.Index(string(r.raw), `"ref"`); idx < 0 || idx > strings.Index(string(r.raw), `"commit"`) {
		t.Errorf("aliases out of order: %s", r.raw)
	}
}

func TestCreateCommitOnBranchErrors(t *testing.T) {
	e := newEnv(t)
	head := e.headOID("main")
	doc := `mutation($in: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $in) { commit { oid } } }`
	in := func(branch, expected string, adds []map[string]any, dels []map[string]any) map[string]any {
		return map[string]any{"in": map[string]any{
			"branch":          map[string]any{"repositoryNameWithOwner": "acme/app", "branchName": branch},
			"expectedHeadOid": expected,
			"message":         map[string]any{"headline": "x"},
			"fileChanges":     map[string]any{"additions": adds, "deletions": dels},
		}}
	}
	add := []map[string]any{{"path": "a.txt", "contents": b64("a")}}
	tests := []struct {
		name     string
		vars     map[string]any
		wantType string
		wantMsg  string
	}{
		{"stale head", in("main", strings.Repeat("a", 40), add, nil), "STALE_DATA",
			`Expected branch to point to "` + strings.Repeat("a", 40) + `" but it did not.  Pull and try again.`},
		{"missing branch", in("nope", head, add, nil), "NOT_FOUND", "Branch not found"},
		{"delete missing path", in("main", head, nil, []map[string]any{{"path": "nope.txt"}}), "UNPROCESSABLE", "does not exist"},
		{"path twice", in("main", head, add, []map[string]any{{"path": "a.txt"}}), "UNPROCESSABLE", "more than once"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(doc, tc.vars)
			if r.get(t, "createCommitOnBranch") != nil {
				t.Errorf("createCommitOnBranch = %v, want null", r.get(t, "createCommitOnBranch"))
			}
			if len(r.Errors) != 1 {
				t.Fatalf("errors = %s, want one", r.raw)
			}
			got := r.Errors[0]
			if got["type"] != tc.wantType || !strings.Contains(got["message"].(string), tc.wantMsg) {
				t.Errorf("error = %v, want type %s and message with %q", got, tc.wantType, tc.wantMsg)
			}
			if diff := cmp.Diff([]any{"createCommitOnBranch"}, got["path"]); diff != "" {
				t.Errorf("path (-want +got):\n%s", diff)
			}
		})
	}
	if got := e.headOID("main"); got != head {
		t.Errorf("main moved to %s after failed commits", got)
	}
}

func TestBase64MustBePadded(t *testing.T) {
	e := newEnv(t)
	head := e.headOID("main")
	for _, contents := range []string{
		base64.RawStdEncoding.EncodeToString([]byte("ab")),    // no padding
		base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff}), // URL alphabet
	} {
		r := e.do(`mutation($in: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $in) { commit { oid } } }`,
			map[string]any{"in": map[string]any{
				"branch":          map[string]any{"repositoryNameWithOwner": "acme/app", "branchName": "main"},
				"expectedHeadOid": head,
				"message":         map[string]any{"headline": "x"},
				"fileChanges":     map[string]any{"additions": []any{map[string]any{"path": "a", "contents": contents}}},
			}})
		if r.Data != nil || len(r.Errors) != 1 {
			t.Fatalf("contents %q: %s, want one error and no data", contents, r.raw)
		}
		msg := r.Errors[0]["message"].(string)
		if !strings.Contains(msg, "Variable $in of type CreateCommitOnBranchInput! was provided invalid value for fileChanges.additions.0.contents") {
			t.Errorf("contents %q: message %q", contents, msg)
		}
	}
	// A literal is checked the same way.
	r := e.do(`mutation { createCommitOnBranch(input: {branch: {id: "x"}, expectedHeadOid: "`+head+`", message: {headline: "x"},
  fileChanges: {additions: [{path: "a", contents: "YWI"}]}}) { commit { oid } } }`, nil)
	if r.Data != nil || len(r.Errors) != 1 || r.Errors[0]["extensions"].(map[string]any)["code"] != "argumentLiteralsIncompatible" {
		t.Errorf("literal: %s", r.raw)
	}
	if got := e.headOID("main"); got != head {
		t.Error("main moved")
	}
}

func TestCommitByRefID(t *testing.T) {
	e := newEnv(t)
	ref, err := e.w.Ref(nil, e.app.ID, "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(`mutation($id: ID!, $head: GitObjectID!) { createCommitOnBranch(input: {branch: {id: $id}, expectedHeadOid: $head,
  message: {headline: "by id"}, fileChanges: {additions: [{path: "new.txt", contents: "bmV3Cg=="}]}}) { commit { oid messageHeadline } } }`,
		map[string]any{"id": ref.NodeID, "head": ref.OID}).ok(t)
	if got := r.str(t, "createCommitOnBranch", "commit", "oid"); got != e.headOID("main") {
		t.Errorf("commit %s, head %s", got, e.headOID("main"))
	}
}

func TestUpdateAndDeleteRef(t *testing.T) {
	e := newEnv(t)
	main := e.headOID("main")
	feature := e.branch("feature", map[string]string{"f": "1"})
	other := e.branch("other", map[string]string{"o": "1"}) // diverges from feature
	ref, _ := e.w.Ref(nil, e.app.ID, "refs/heads/feature")

	r := e.do(`mutation($id: ID!, $oid: GitObjectID!) { updateRef(input: {refId: $id, oid: $oid}) { ref { target { oid } } } }`,
		map[string]any{"id": ref.NodeID, "oid": other})
	if len(r.Errors) != 1 || r.Errors[0]["type"] != "UNPROCESSABLE" || !strings.Contains(r.Errors[0]["message"].(string), "fast forward") {
		t.Errorf("non fast-forward: %s", r.raw)
	}
	if e.headOID("feature") != feature {
		t.Error("feature moved on a refused update")
	}
	r = e.do(`mutation($id: ID!, $oid: GitObjectID!) { updateRef(input: {refId: $id, oid: $oid, force: true}) { ref { target { oid } } } }`,
		map[string]any{"id": ref.NodeID, "oid": main}).ok(t)
	if got := r.str(t, "updateRef", "ref", "target", "oid"); got != main || e.headOID("feature") != main {
		t.Errorf("forced update: target %s, head %s, want %s", got, e.headOID("feature"), main)
	}
	e.do(`mutation($id: ID!) { deleteRef(input: {refId: $id, clientMutationId: "d"}) { clientMutationId } }`,
		map[string]any{"id": ref.NodeID}).ok(t)
	if _, err := e.w.Ref(nil, e.app.ID, "refs/heads/feature"); err == nil {
		t.Error("feature still exists after deleteRef")
	}
}

func TestWritePermissions(t *testing.T) {
	e := newEnv(t)
	priv, err := e.w.CreateRepo(nil, stateNewPrivate("secret"))
	if err != nil {
		t.Fatal(err)
	}
	doc := `mutation($repo: ID!, $oid: GitObjectID!) { createRef(input: {repositoryId: $repo, name: "refs/heads/x", oid: $oid}) { ref { name } } }`
	r := e.doAs("t-reader", doc, map[string]any{"repo": e.app.NodeID, "oid": e.headOID("main")})
	want := map[string]any{
		"type":      "FORBIDDEN",
		"path":      []any{"createRef"},
		"locations": []any{map[string]any{"line": 1.0, "column": 44.0}},
		"message":   "reader does not have the correct permissions to execute `CreateRef`",
	}
	if len(r.Errors) != 1 {
		t.Fatalf("reader: %s", r.raw)
	}
	if diff := cmp.Diff(want, r.Errors[0]); diff != "" {
		t.Errorf("reader error (-want +got):\n%s", diff)
	}
	privHead, _ := e.w.Ref(nil, priv.ID, "refs/heads/main")
	r = e.doAs("t-none", doc, map[string]any{"repo": priv.NodeID, "oid": privHead.OID})
	if len(r.Errors) != 1 || r.Errors[0]["type"] != "NOT_FOUND" {
		t.Errorf("invisible repo: %s, want NOT_FOUND", r.raw)
	}
}

func TestSerialMutationsContinueAfterFailure(t *testing.T) {
	e := newEnv(t)
	base := e.headOID("main")
	r := e.do(`mutation($repo: ID!, $base: GitObjectID!) {
  a: createRef(input: {repositoryId: $repo, name: "refs/heads/one", oid: $base}) { ref { name } }
  b: createRef(input: {repositoryId: $repo, name: "refs/heads/one", oid: $base}) { ref { name } }
  c: createRef(input: {repositoryId: $repo, name: "refs/heads/two", oid: $base}) { ref { name } }
}`, map[string]any{"repo": e.app.NodeID, "base": base})
	if r.str(t, "a", "ref", "name") != "one" || r.get(t, "b") != nil || r.str(t, "c", "ref", "name") != "two" {
		t.Errorf("data = %s", r.raw)
	}
	if len(r.Errors) != 1 || r.Errors[0]["path"].([]any)[0] != "b" {
		t.Errorf("errors = %s, want one at b", r.raw)
	}
}

func TestUpdateRefsIsAtomic(t *testing.T) {
	e := newEnv(t)
	main := e.headOID("main")
	feature := e.branch("feature", map[string]string{"f": "1"})
	zero := strings.Repeat("0", 40)
	doc := `mutation($in: UpdateRefsInput!) { updateRefs(input: $in) { clientMutationId } }`
	// The second update is stale, so the first must not be applied either.
	r := e.do(doc, map[string]any{"in": map[string]any{"repositoryId": e.app.NodeID, "refUpdates": []any{
		map[string]any{"name": "refs/heads/new", "afterOid": main, "beforeOid": zero},
		map[string]any{"name": "refs/heads/feature", "afterOid": main, "beforeOid": main, "force": true},
	}}})
	if len(r.Errors) != 1 || r.Errors[0]["type"] != "STALE_DATA" {
		t.Fatalf("stale batch: %s", r.raw)
	}
	if _, err := e.w.Ref(nil, e.app.ID, "refs/heads/new"); err == nil {
		t.Error("refs/heads/new was created by a failed batch")
	}
	e.do(doc, map[string]any{"in": map[string]any{"repositoryId": e.app.NodeID, "refUpdates": []any{
		map[string]any{"name": "refs/heads/new", "afterOid": feature, "beforeOid": zero},
		map[string]any{"name": "refs/heads/feature", "afterOid": zero, "beforeOid": feature},
	}}}).ok(t)
	if e.headOID("new") != feature {
		t.Error("refs/heads/new not created at feature")
	}
	if _, err := e.w.Ref(nil, e.app.ID, "refs/heads/feature"); err == nil {
		t.Error("refs/heads/feature not deleted")
	}
}
