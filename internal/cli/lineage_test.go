//go:build !nosim

package cli

import (
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/demo"
)

// TestParentVariantAsAction publishes node:24-alpine against the demo
// store (node 22, and 22-alpine under lineages): the store keeps the
// plain 22 byte for byte and takes 24-alpine as the alpine lineage, and
// acme/fullstack's one pull request moves node:20 to the store's 22 and
// node:20-alpine to 24-alpine.
func TestParentVariantAsAction(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := map[string]string{"mode": "parent", "image": "node", "tag": "24-alpine", "store": demo.Store, "exclude-repos": demo.Exclude,
		"verify-tag": "false", "resolve-digest": "false"}
	r := h.exec(nil, h.actionEnv(in), true, fast())
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	files, err := h.srv.RepoFiles(demo.Org, "dfiu-store", "")
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"images\": {\n    \"ghcr.io/acme/base\": \"1.2\",\n    \"node\": \"22\"\n  },\n" +
		"  \"lineages\": {\n    \"node\": {\n      \"alpine\": \"24-alpine\"\n    }\n  }\n}\n"
	if files["store.json"] != want {
		t.Errorf("store.json =\n%s\nwant\n%s", files["store.json"], want)
	}
	prs := pullRequests(t, r)
	if p := prs["acme/fullstack node"]; p.Action != "created" || p.From != "20, 20-alpine" || p.To != "24-alpine, 22" {
		t.Errorf("acme/fullstack = %+v, want one pull request moving both lineages", p)
	}
	if p := prs["acme/web node"]; p.Action != "created" || p.To != "22" {
		t.Errorf("acme/web = %+v, want the plain lineage moved to the store's 22", p)
	}
	branch, err := h.srv.RepoFiles(demo.Org, "fullstack", "dfiu/node")
	if err != nil {
		t.Fatal(err)
	}
	if got := branch["compose.yaml"]; !strings.Contains(got, "image: node:22\n") || !strings.Contains(got, "image: node:24-alpine\n") {
		t.Errorf("compose.yaml on dfiu/node:\n%s", got)
	}
}
