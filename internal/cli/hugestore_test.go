package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/demo"
	"github.com/dfiu/dfiu/internal/ghsim"
)

// TestHugeStoreSharesDiscovery: all mode over a store of many images finds
// the files by name once per organisation and file kind, so the code
// searches do not grow with the store, and gets the same results as a
// store of the images in use.
func TestHugeStoreSharesDiscovery(t *testing.T) {
	t.Parallel()
	const extra = 300 // images no repository uses
	var b strings.Builder
	fmt.Fprintf(&b, "{\"images\": {\n  %q: %q,\n  %q: %q", demo.Image, demo.OldTag, demo.NodeImage, demo.NodeTag)
	for i := range extra {
		fmt.Fprintf(&b, ",\n  \"ghcr.io/acme/unused-%d\": \"1.%d\"", i, i)
	}
	// The demo store's other lineage, so that both stores propose the same.
	fmt.Fprintf(&b, "\n},\n\"lineages\": {%q: {\"alpine\": %q}}}\n", demo.NodeImage, demo.NodeAlpineTag)

	runAll := func(store string, seed bool) (run, *harness) {
		h := newHarness(t)
		if seed {
			if err := h.srv.Seed(ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: demo.Org + "/huge-store", Files: map[string]string{"store.json": b.String()}}}}); err != nil {
				t.Fatal(err)
			}
		}
		// The unused images are in no registry: looking them up is not
		// what this test is about.
		// discovery: search, as the shared search is what this test is
		// about (all mode scans by default, reading each repository once).
		in := map[string]string{"mode": "all", "discovery": "search", "store": store, "exclude-repos": demo.Exclude, "fail-on-error": "false",
			"verify-tag": "false", "resolve-digest": "false"}
		r := h.exec(nil, h.actionEnv(in), true, fast())
		if r.code != ExitOK {
			t.Fatalf("%s: exit %d\n%s", store, r.code, r.stdout)
		}
		return r, h
	}
	small, hs := runAll(demo.Store, false)
	huge, hh := runAll(demo.Org+"/huge-store", true)

	kinds := 4 // filename:Dockerfile, Containerfile, docker-compose, compose
	if n := hh.srv.Stats().Endpoints["GET /search/code"]; n != int64(kinds) {
		t.Errorf("%d code searches for %d images, want %d (one per file kind)", n, extra+2, kinds)
	}
	if n := hs.srv.Stats().Endpoints["GET /search/code"]; n != int64(2*kinds) {
		t.Errorf("the two-image store made %d code searches, want %d (per image)", n, 2*kinds)
	}
	// The same results for the images in use; none for the others.
	want, got := pullRequests(t, small), pullRequests(t, huge)
	for k, w := range want {
		g := got[k]
		if g.Action != w.Action || strings.Join(g.Files, ",") != strings.Join(w.Files, ",") || g.From != w.From || g.To != w.To {
			t.Errorf("%s: huge store %+v, two-image store %+v", k, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d results for the huge store, %d for the two-image store", len(got), len(want))
	}
	if !strings.Contains(huge.summary, fmt.Sprintf("%d images: files were found by name once per organisation", extra+2)) {
		t.Errorf("the summary does not say discovery was shared:\n%.2000s", huge.summary)
	}
}
