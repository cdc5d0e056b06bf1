package ghsim_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/ghsim"
)

// TestSearchIndexBlindSpots: repositories out of the code-search index
// (indexed: false, or no push for over a year) and big files are missing
// from search and nowhere else; the 4,000-repository cap keeps the most
// recently pushed; a push brings a dormant repository back.
func TestSearchIndexBlindSpots(t *testing.T) {
	t.Parallel()
	big := "FROM acme/base:1.0\n" + strings.Repeat("# padding\n", 40000) // 400 KB
	seed, err := ghsim.ParseSeed([]byte(`
repos:
  - name: blind/active
    files: {Dockerfile: "FROM acme/base:1.0\n"}
  - name: blind/dormant
    pushedAt: 2024-12-01T00:00:00Z
    files: {Dockerfile: "FROM acme/base:1.0\n"}
  - name: blind/hidden
    indexed: false
    files: {Dockerfile: "FROM acme/base:1.0\n"}
  - name: blind/big
    files: {Dockerfile: ` + strings.ReplaceAll(`"`+strings.ReplaceAll(big, "\n", `\n`)+`"`, "\n", "") + `}
indexLag: 0s
`))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, seed)
	search := func(q string) []string {
		t.Helper()
		r := h.do("GET", "/search/code?q="+q, nil)
		var out []string
		for _, it := range r.json(t)["items"].([]any) {
			out = append(out, it.(map[string]any)["repository"].(map[string]any)["full_name"].(string))
		}
		return out
	}
	if got := search("base+filename:Dockerfile+org:blind"); strings.Join(got, ",") != "blind/active" {
		t.Errorf("search finds %v, want only blind/active", got)
	}
	// Everything else about them is unchanged.
	if n := len(h.do("GET", "/orgs/blind/repos", nil).list(t)); n != 4 {
		t.Errorf("listing has %d repositories, want 4", n)
	}
	for _, name := range []string{"dormant", "hidden", "big"} {
		h.want(h.do("GET", "/repos/blind/"+name+"/contents/Dockerfile", nil), 200, "")
		tree := h.do("GET", "/repos/blind/"+name+"/git/trees/main?recursive=1", nil).json(t)
		if len(tree["tree"].([]any)) != 1 {
			t.Errorf("%s: tree = %v", name, tree)
		}
	}
	if r := h.do("GET", "/repos/blind/dormant", nil).json(t); r["pushed_at"] != "2024-12-01T00:00:00Z" {
		t.Errorf("pushed_at = %v", r["pushed_at"])
	}
	// A push is activity: the dormant repository is back in the index.
	put := map[string]any{"message": "touch", "content": base64.StdEncoding.EncodeToString([]byte("x\n"))}
	h.want(h.do("PUT", "/repos/blind/dormant/contents/README", put), 201, "")
	if got := search("base+filename:Dockerfile+org:blind"); strings.Join(got, ",") != "blind/active,blind/dormant" {
		t.Errorf("after a push search finds %v", got)
	}

	// The per-query repository cap keeps the most recently pushed.
	h.srv.SetSearchRepoCap(1)
	h.clk.Advance(time.Minute)
	h.want(h.do("PUT", "/repos/blind/active/contents/README", put), 201, "")
	if got := search("base+filename:Dockerfile+org:blind"); strings.Join(got, ",") != "blind/active" {
		t.Errorf("capped at 1, search finds %v, want the latest pushed", got)
	}
}

// TestTreeTruncation: a recursive tree over the limit says truncated: true;
// a non-recursive one is not cut.
func TestTreeTruncation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ghsim.Seed{TreeLimit: 2, Repos: []ghsim.SeedRepo{{Name: "mono/repo",
		Files: map[string]string{"a/Dockerfile": "FROM x\n", "b/Dockerfile": "FROM y\n", "c": "z\n"}}}})
	rec := h.do("GET", "/repos/mono/repo/git/trees/main?recursive=1", nil).json(t)
	if rec["truncated"] != true || len(rec["tree"].([]any)) != 2 {
		t.Errorf("recursive: truncated %v, %d entries", rec["truncated"], len(rec["tree"].([]any)))
	}
	top := h.do("GET", "/repos/mono/repo/git/trees/main", nil).json(t)
	if top["truncated"] != false || len(top["tree"].([]any)) != 3 {
		t.Errorf("top level: truncated %v, %d entries", top["truncated"], len(top["tree"].([]any)))
	}
}
