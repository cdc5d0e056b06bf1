package store

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/gitref"
	"github.com/dfiu/dfiu/internal/imageref"
)

// FuzzStoreSet parses any file as a store and sets an entry: a file that
// parses gets exactly one more or one changed entry, every other member
// keeps its bytes, the result parses with the image at the tag, and a
// second set changes nothing.
// fuzzInput reads a fuzzed store, image and tag; ok is false when any of
// them is not valid.
func fuzzInput(content []byte, image, tag string) (doc *document, name imageref.Name, ok bool) {
	name, err := imageref.Parse(image)
	if err != nil || !imageref.ValidTag(tag) {
		return nil, name, false
	}
	doc, err = parse(content)
	return doc, name, err == nil
}

func FuzzStoreSet(f *testing.F) {
	for _, s := range []string{
		"", "{}", `{"images": {}}`, `{"images": null}`, `{"images": {"ubuntu": "20.04", "x": 5}, "meta": [1, 2.50]}`,
		"\ufeff{\r\n  \"images\" : {\r\n    \"a\" :  \"1\"\r\n  }\r\n}", "{\"images\":{\"odd\":\"v1-\xe9t\xe9\"}}", `{"k":{"images":1}}`,
		`{"images": {"library/ubuntu": "1", "docker.io/library/ubuntu": 2}}`,
	} {
		f.Add([]byte(s), "ubuntu", "24.04")
	}
	f.Fuzz(func(t *testing.T, content []byte, image, tag string) {
		doc, name, ok := fuzzInput(content, image, tag)
		if !ok {
			return
		}
		out := doc.set(name, tag)
		if out == nil {
			for _, e := range doc.entries {
				if sameImage(e.key, name) && (!e.isTag || e.tag != tag) {
					t.Fatalf("set changed nothing but %q holds %q", e.key, e.raw)
				}
			}
			return
		}
		after, err := parse(out)
		if err != nil {
			t.Fatalf("the updated store does not parse: %v\n%q", err, out)
		}
		if len(after.top) != max(len(doc.top), 1) && !(doc.images == nil && len(after.top) == len(doc.top)+1) {
			t.Fatalf("top-level members %d → %d\n%q", len(doc.top), len(after.top), out)
		}
		for i, m := range doc.top {
			j := i
			if doc.images == nil {
				j++ // "images" was inserted first
			}
			if m.key != "images" && !bytes.Equal(after.top[j].raw, m.raw) {
				t.Fatalf("member %q changed: %q → %q", m.key, m.raw, after.top[j].raw)
			}
		}
		found := false
		for i, e := range after.entries {
			if sameImage(e.key, name) {
				found = true
				if !e.isTag || e.tag != tag {
					t.Fatalf("%q holds %q after setting %s", e.key, e.raw, tag)
				}
				continue
			}
			if i >= len(doc.entries) || !bytes.Equal(doc.entries[i].raw, e.raw) || doc.entries[i].key != e.key {
				t.Fatalf("entry %d (%q) changed\n%q\n%q", i, e.key, content, out)
			}
		}
		if !found {
			t.Fatalf("no entry for %s after set\n%q", name, out)
		}
		if again := after.set(name, tag); again != nil {
			t.Fatalf("a second set changed the store again:\n%q\n%q", out, again)
		}
	})
}

// FuzzParseLocation parses any store input: a location that parses prints
// back to itself, holds a checked branch and path, and its contents
// request path decodes to exactly that path.
func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{
		"acme/ops", "acme/ops/dfiu/s.json@main", "a-b/c_d/x@y/s@feature/x", "acme/ops/store.json#x", "acme/ops/new%41.json",
		"acme/ops/%2e%2e/x.json", "acme/ops/a?b.json", "acme/ops@refs/heads/x", "acme/ops/dir #1/ünï.json", "acme/ops/.git/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := ParseLocation(s)
		if err != nil {
			if !strings.Contains(err.Error(), "store ") {
				t.Fatalf("error %q does not name the store", err)
			}
			return
		}
		again, err := ParseLocation(loc.String())
		if err != nil || again != loc {
			t.Fatalf("%q parses to %+v, whose String %q parses to %+v, %v", s, loc, loc.String(), again, err)
		}
		if loc.Branch != "" && gitref.CheckBranch(loc.Branch) != nil {
			t.Fatalf("branch %q accepted", loc.Branch)
		}
		if checkPath(loc.Path) != nil {
			t.Fatalf("path %q accepted", loc.Path)
		}
		u, err := url.Parse("https://api.github.com/" + gh.ContentsPath(loc.Owner, loc.Repo, loc.Path))
		if err != nil || u.RawQuery != "" || u.Fragment != "" || u.Path != "/repos/"+loc.Owner+"/"+loc.Repo+"/contents/"+loc.Path {
			t.Fatalf("path %q is requested as %q (%v)", loc.Path, u, err)
		}
	})
}
