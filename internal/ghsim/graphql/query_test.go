package graphql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestViewer(t *testing.T) {
	e := newEnv(t)
	r := e.do(`{ viewer { login id databaseId __typename } }`, nil).ok(t)
	if got := r.str(t, "viewer", "login"); got != "octo" {
		t.Errorf("viewer.login = %q, want octo", got)
	}
	if got := r.str(t, "viewer", "__typename"); got != "User" {
		t.Errorf("__typename = %q, want User", got)
	}
	if r.str(t, "viewer", "id") == "" {
		t.Error("viewer.id is empty")
	}
	if _, ok := r.get(t, "viewer", "databaseId").(float64); !ok {
		t.Errorf("databaseId = %v, want a number", r.get(t, "viewer", "databaseId"))
	}
}

func TestRepositoryFields(t *testing.T) {
	e := newEnv(t)
	r := e.do(`query {
  repository(owner: "ACME", name: "app") {
    id nameWithOwner name owner { login id } databaseId isArchived isFork isDisabled isEmpty isPrivate
    viewerPermission autoMergeAllowed url parent { nameWithOwner }
    defaultBranchRef { id name target { oid ... on Commit { oid message committedDate
      author { name email user { login } } parents(first: 5) { nodes { oid } } tree { oid } } } }
  }
}`, nil).ok(t)
	head := e.headOID("main")
	checks := map[string]any{
		"nameWithOwner":    "acme/app",
		"name":             "app",
		"isArchived":       false,
		"isFork":           false,
		"isEmpty":          false,
		"isPrivate":        false,
		"viewerPermission": "WRITE",
		"autoMergeAllowed": true,
		"url":              "http://sim.test/acme/app",
		"parent":           nil,
	}
	for k, want := range checks {
		if got := r.get(t, "repository", k); got != want {
			t.Errorf("repository.%s = %v, want %v", k, got, want)
		}
	}
	if got := r.str(t, "repository", "owner", "login"); got != "acme" {
		t.Errorf("owner.login = %q, want acme", got)
	}
	if got := r.str(t, "repository", "defaultBranchRef", "name"); got != "main" {
		t.Errorf("defaultBranchRef.name = %q, want main", got)
	}
	if got := r.str(t, "repository", "defaultBranchRef", "target", "oid"); got != head {
		t.Errorf("target.oid = %q, want %q", got, head)
	}
	c, _ := e.w.Commit(nil, e.app.ID, head)
	if got := r.str(t, "repository", "defaultBranchRef", "target", "tree", "oid"); got != c.Tree {
		t.Errorf("tree.oid = %q, want %q", got, c.Tree)
	}
	if n := r.get(t, "repository", "defaultBranchRef", "target", "parents", "nodes").([]any); len(n) != len(c.Parents) {
		t.Errorf("parents = %v, want %d", n, len(c.Parents))
	}
	// Keys follow the selection order.
	if i, j := strings.Index(string(r.raw), `"nameWithOwner"`), strings.Index(string(r.raw), `"databaseId"`); i < 0 || j < i {
		t.Errorf("field order not preserved: %s", r.raw)
	}
}

func TestRefAndObjects(t *testing.T) {
	e := newEnv(t)
	e.branch("feature", map[string]string{"Dockerfile": "FROM alpine:3.20\n"})
	r := e.do(`{
  repository(owner: "acme", name: "app") {
    a: ref(qualifiedName: "refs/heads/feature") { id name prefix target { oid } }
    b: ref(qualifiedName: "feature") { name }
    c: ref(qualifiedName: "nope") { name }
    f: object(expression: "feature:Dockerfile") { ... on Blob { text byteSize isBinary isTruncated oid } }
    g: object(expression: "HEAD:bin.dat") { ... on Blob { text isBinary byteSize } }
    h: object(expression: "HEAD:missing") { oid }
    t: object(expression: "HEAD:") { ... on Tree { oid entries { name path type mode oid object { ... on Blob { byteSize } ... on Tree { entries { path } } } } } }
  }
}`, nil).ok(t)
	if got := r.str(t, "repository", "a", "name"); got != "feature" {
		t.Errorf("ref name = %q, want feature", got)
	}
	if got := r.str(t, "repository", "a", "prefix"); got != "refs/heads/" {
		t.Errorf("ref prefix = %q, want refs/heads/", got)
	}
	if got := r.str(t, "repository", "a", "target", "oid"); got != e.headOID("feature") {
		t.Errorf("ref target = %q, want %q", got, e.headOID("feature"))
	}
	if got := r.str(t, "repository", "b", "name"); got != "feature" {
		t.Errorf("short qualifiedName: name = %q", got)
	}
	if r.get(t, "repository", "c") != nil || r.get(t, "repository", "h") != nil {
		t.Errorf("missing ref/object should be null: %s", r.raw)
	}
	if got := r.str(t, "repository", "f", "text"); got != "FROM alpine:3.20\n" {
		t.Errorf("blob text = %q", got)
	}
	if got := r.get(t, "repository", "f", "byteSize"); got != float64(len("FROM alpine:3.20\n")) {
		t.Errorf("byteSize = %v", got)
	}
	if r.get(t, "repository", "g", "text") != nil || r.get(t, "repository", "g", "isBinary") != true {
		t.Errorf("binary blob: %v", r.get(t, "repository", "g"))
	}
	entries := r.get(t, "repository", "t", "entries").([]any)
	var names []string
	for _, en := range entries {
		m := en.(map[string]any)
		names = append(names, fmt.Sprint(m["name"], ":", m["type"], ":", m["mode"]))
	}
	want := []string{"Dockerfile:blob:33188", "README.md:blob:33188", "bin.dat:blob:33188", "sub:tree:16384"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("tree entries (-want +got):\n%s", diff)
	}
	sub := entries[3].(map[string]any)["object"].(map[string]any)["entries"].([]any)
	if got := sub[0].(map[string]any)["path"]; got != "sub/x.txt" {
		t.Errorf("nested entry path = %v, want sub/x.txt", got)
	}
}

func TestObjectByOID(t *testing.T) {
	e := newEnv(t)
	f, err := e.w.FileAt(nil, e.app.ID, "", "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(`query($oid: GitObjectID!) { repository(owner:"acme", name:"app") { object(oid: $oid) { __typename ... on Blob { text } } } }`,
		map[string]any{"oid": f.SHA}).ok(t)
	if got := r.str(t, "repository", "object", "text"); got != string(f.Content) {
		t.Errorf("text = %q, want %q", got, f.Content)
	}
	if got := r.str(t, "repository", "object", "__typename"); got != "Blob" {
		t.Errorf("__typename = %q, want Blob", got)
	}
}

func TestBlobTruncation(t *testing.T) {
	e := newEnv(t)
	big := strings.Repeat("é", DefaultMaxBlobText) // 2 bytes each: twice the limit
	e.branch("big", map[string]string{"big.txt": big})
	r := e.do(`{ repository(owner:"acme", name:"app") { object(expression: "big:big.txt") { ... on Blob { text isTruncated byteSize isBinary } } } }`, nil).ok(t)
	text := r.str(t, "repository", "object", "text")
	if len(text) > DefaultMaxBlobText || len(text) < DefaultMaxBlobText-3 {
		t.Errorf("truncated text has %d bytes, want about %d", len(text), DefaultMaxBlobText)
	}
	if !strings.HasPrefix(big, text) {
		t.Error("truncated text is not a prefix of the content (cut inside a rune?)")
	}
	if r.get(t, "repository", "object", "isTruncated") != true || r.get(t, "repository", "object", "isBinary") != false {
		t.Errorf("flags: %v", r.get(t, "repository", "object"))
	}
	if got := r.get(t, "repository", "object", "byteSize"); got != float64(len(big)) {
		t.Errorf("byteSize = %v, want %d", got, len(big))
	}
}

func TestMissingRepositoryIsNotFound(t *testing.T) {
	e := newEnv(t)
	r := e.do(`query {
  r1: repository(owner: "acme", name: "app") { name }
  r3: repository(owner: "o", name: "r") { name }
}`, nil)
	if got := r.str(t, "r1", "name"); got != "app" {
		t.Errorf("r1.name = %q", got)
	}
	if r.get(t, "r3") != nil {
		t.Errorf("r3 = %v, want null", r.get(t, "r3"))
	}
	want := []map[string]any{{
		"type":      "NOT_FOUND",
		"path":      []any{"r3"},
		"locations": []any{map[string]any{"line": float64(3), "column": float64(3)}},
		"message":   "Could not resolve to a Repository with the name 'o/r'.",
	}}
	if diff := cmp.Diff(want, r.Errors); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(string(r.raw), `{"data":`) {
		t.Errorf("data should come first: %s", r.raw)
	}
}

func TestPrivateRepositoryInvisible(t *testing.T) {
	e := newEnv(t)
	if _, err := e.w.CreateRepo(nil, stateNewPrivate("secret")); err != nil {
		t.Fatal(err)
	}
	r := e.doAs("t-none", `{ repository(owner:"acme", name:"secret") { name } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0]["type"] != "NOT_FOUND" {
		t.Fatalf("errors = %s, want one NOT_FOUND", r.raw)
	}
	r = e.doAs("t-writer", `{ repository(owner:"acme", name:"secret") { name viewerPermission } }`, nil).ok(t)
	if got := r.str(t, "repository", "viewerPermission"); got != "WRITE" {
		t.Errorf("viewerPermission = %q", got)
	}
}

func TestForkParentAndRepositoryOwner(t *testing.T) {
	e := newEnv(t)
	actor, _ := e.w.TokenFor("t-writer")
	if _, err := e.w.Fork(actor, e.app.ID, "", "app-fork", false); err != nil {
		t.Fatal(err)
	}
	r := e.do(`{ repository(owner: "octo", name: "app-fork") { isFork parent { nameWithOwner } owner { __typename login } }
  repositoryOwner(login: "acme") { __typename login } }`, nil).ok(t)
	if r.get(t, "repository", "isFork") != true || r.str(t, "repository", "parent", "nameWithOwner") != "acme/app" {
		t.Errorf("fork: %s", r.raw)
	}
	if r.str(t, "repository", "owner", "__typename") != "User" || r.str(t, "repositoryOwner", "__typename") != "Organization" {
		t.Errorf("owners: %s", r.raw)
	}
}
