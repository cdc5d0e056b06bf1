package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/imageref"
)

func TestLineageID(t *testing.T) {
	t.Parallel()
	for tag, want := range map[string]string{
		"22": "", "20.11.1": "", "22-alpine": "alpine", "3.13-slim-bookworm": "slim-bookworm",
		"v1.4.0": "v:", "v2-alpine": "v:alpine", "8c9d0e1": buildLineage, "noble": buildLineage,
	} {
		if got := lineageID(tag); got != want {
			t.Errorf("lineageID(%q) = %q, want %q", tag, got, want)
		}
	}
}

// gsonStore is a store as salesforce/dockerfile-image-update writes it
// (Gson's pretty printing), with a final newline.
const gsonStore = "{\n  \"images\": {\n    \"node\": \"22\",\n    \"ghcr.io/acme/base\": \"1.3\"\n  }\n}\n"

// TestRecordEachLineage records tags one after another and checks the
// file after each: the plain lineage in "images", the others under
// "lineages", the newest kept.
func TestRecordEachLineage(t *testing.T) {
	t.Parallel()
	f := newFake(t, testLoc, gsonStore)
	ctx := context.Background()
	steps := []struct {
		image, tag string
		changed    bool
		want       string
	}{
		{"node", "22-alpine", true, "{\n  \"images\": {\n    \"node\": \"22\",\n    \"ghcr.io/acme/base\": \"1.3\"\n  },\n" +
			"  \"lineages\": {\n    \"node\": {\n      \"alpine\": \"22-alpine\"\n    }\n  }\n}\n"},
		// An older tag of a lineage changes nothing.
		{"node", "20-alpine", false, ""},
		{"node", "20.11", false, ""},
		{"docker.io/library/node", "3.13-slim-bookworm", true, "{\n  \"images\": {\n    \"node\": \"22\",\n    \"ghcr.io/acme/base\": \"1.3\"\n  },\n" +
			"  \"lineages\": {\n    \"node\": {\n      \"alpine\": \"22-alpine\",\n      \"slim-bookworm\": \"3.13-slim-bookworm\"\n    }\n  }\n}\n"},
		{"node", "24", true, "{\n  \"images\": {\n    \"node\": \"24\",\n    \"ghcr.io/acme/base\": \"1.3\"\n  },\n" +
			"  \"lineages\": {\n    \"node\": {\n      \"alpine\": \"22-alpine\",\n      \"slim-bookworm\": \"3.13-slim-bookworm\"\n    }\n  }\n}\n"},
		// A build id beside a plain version, and a v prefix.
		{"ghcr.io/acme/base", "8c9d0e1", true, ""},
		{"ghcr.io/acme/base", "v2.0.0", true, ""},
	}
	for _, s := range steps {
		changed, err := Set(ctx, f, testLoc, imageref.MustParse(s.image), s.tag)
		if err != nil || changed != s.changed {
			t.Fatalf("Set(%s, %s) = %v, %v; want %v", s.image, s.tag, changed, err, s.changed)
		}
		if s.want != "" {
			if diff := cmp.Diff(s.want, f.content()); diff != "" {
				t.Errorf("after %s:%s (-want +got):\n%s", s.image, s.tag, diff)
			}
		}
	}
	got, _, _, err := Tags(ctx, f, testLoc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"node":              {"24", "22-alpine", "3.13-slim-bookworm"},
		"ghcr.io/acme/base": {"1.3", "8c9d0e1", "v2.0.0"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Tags (-want +got):\n%s", diff)
	}
	// The original tool reads "images" and only it, every value as a string.
	var original struct{ Images map[string]string }
	if err := json.Unmarshal([]byte(f.content()), &original); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"node": "24", "ghcr.io/acme/base": "1.3"}, original.Images); diff != "" {
		t.Errorf("images as the original tool reads them (-want +got):\n%s", diff)
	}
}

// TestOriginalToolStoreIsReadUnchanged: a store the original tool wrote is
// read as it is, and recording another lineage keeps every byte of its
// "images" object.
func TestOriginalToolStoreIsReadUnchanged(t *testing.T) {
	t.Parallel()
	f := newFake(t, testLoc, gsonStore)
	ctx := context.Background()
	got, _, _, err := Tags(ctx, f, testLoc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]string{"node": {"22"}, "ghcr.io/acme/base": {"1.3"}}, got); diff != "" {
		t.Errorf("Tags (-want +got):\n%s", diff)
	}
	if _, err := Set(ctx, f, testLoc, imageref.MustParse("node"), "22-alpine"); err != nil {
		t.Fatal(err)
	}
	untouched := strings.TrimSuffix(gsonStore, "\n}\n")
	if !strings.HasPrefix(f.content(), untouched) {
		t.Errorf("the original tool's images changed:\n%s\nwant it to start with\n%s", f.content(), untouched)
	}
}

// TestLegacyVariantInImages: the original tool may have written a variant
// tag into "images". It is that lineage's tag: a plain version takes the
// slot and moves it under "lineages"; a newer tag of its lineage replaces it
// in place; an older one, or one older than a newer copy under "lineages",
// changes nothing.
func TestLegacyVariantInImages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	node := imageref.MustParse("node")

	f := newFake(t, testLoc, "{\n  \"images\": {\n    \"node\": \"20-alpine\"\n  }\n}\n")
	if changed, err := Set(ctx, f, testLoc, node, "22-alpine"); err != nil || !changed {
		t.Fatalf("Set 22-alpine = %v, %v", changed, err)
	}
	if want := "{\n  \"images\": {\n    \"node\": \"22-alpine\"\n  }\n}\n"; f.content() != want {
		t.Errorf("newer tag of the slot's lineage: got\n%s\nwant\n%s", f.content(), want)
	}
	if changed, err := Set(ctx, f, testLoc, node, "22"); err != nil || !changed {
		t.Fatalf("Set 22 = %v, %v", changed, err)
	}
	want := "{\n  \"images\": {\n    \"node\": \"22\"\n  },\n  \"lineages\": {\n    \"node\": {\n      \"alpine\": \"22-alpine\"\n    }\n  }\n}\n"
	if f.content() != want {
		t.Errorf("plain taking the slot: got\n%s\nwant\n%s", f.content(), want)
	}

	f = newFake(t, testLoc, `{"images": {"node": "20-alpine"}, "lineages": {"node": {"alpine": "23-alpine"}}}`)
	if changed, err := Set(ctx, f, testLoc, node, "22-alpine"); err != nil || changed {
		t.Errorf("Set 22-alpine below the stored 23-alpine = %v, %v; want no change", changed, err)
	}
	got, _, _, err := Tags(ctx, f, testLoc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]string{"node": {"23-alpine"}}, got); diff != "" {
		t.Errorf("Tags (-want +got):\n%s", diff)
	}
}

// TestInvalidLineagesAreReported: values under "lineages" that are not
// tags are reported by name, kept byte for byte, and a new lineage is
// added in the layout of its neighbours, here on one line.
func TestInvalidLineagesAreReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, testLoc, `{"images": {}, "lineages": {"node": [1, 2], "ruby": {"alpine": 3}}}`)
	got, invalid, _, err := Tags(ctx, f, testLoc)
	if err != nil || len(got) != 0 {
		t.Fatalf("Tags = %v, %v; want no tags", got, err)
	}
	wantInvalid := map[string]string{
		"node (lineages)":         "its value is an array, not an object of tags",
		`ruby (lineage "alpine")`: "its value is a number, not a tag",
	}
	if diff := cmp.Diff(wantInvalid, invalid); diff != "" {
		t.Errorf("invalid (-want +got):\n%s", diff)
	}
	if _, err := Set(ctx, f, testLoc, imageref.MustParse("python"), "3.13-slim"); err != nil {
		t.Fatal(err)
	}
	want := `{"images": {}, "lineages": {"node": [1, 2], "ruby": {"alpine": 3}, "python": { "slim": "3.13-slim" }}}`
	if diff := cmp.Diff(want, f.content()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := Set(ctx, f, testLoc, imageref.MustParse("node"), "22-alpine"); err != nil {
		t.Fatal(err)
	}
	want = `{"images": {}, "lineages": {"node": {"alpine": "22-alpine"}, "ruby": {"alpine": 3}, "python": { "slim": "3.13-slim" }}}`
	if diff := cmp.Diff(want, f.content()); diff != "" {
		t.Errorf("replacing a value that is not an object (-want +got):\n%s", diff)
	}
	for _, content := range []string{`{"lineages": 1, "lineages": 2}`, `{"lineages": {"node": {"alpine": "1-alpine", }}}`} {
		if _, _, _, err := Tags(ctx, newFake(t, testLoc, content), testLoc); err == nil || !strings.Contains(err.Error(), "lineages") {
			t.Errorf("Tags(%s): err = %v, want one naming lineages", content, err)
		}
	}
	_, invalid, _, err = Tags(ctx, newFake(t, testLoc, `{"lineages": 7}`), testLoc)
	if err != nil || invalid["lineages"] != "its value is a number, not an object of images" {
		t.Errorf("lineages as a number: %v, %v", invalid, err)
	}
}

// TestConcurrentLineageWriters: parent runs publishing node:24 and
// node:24-alpine at once both land, whoever loses the race retrying.
func TestConcurrentLineageWriters(t *testing.T) {
	t.Parallel()
	f := newFake(t, testLoc, gsonStore)
	clk := clock.NewFake(time.Unix(0, 0))
	tags := []string{"24", "24-alpine", "3.14-slim", "v3", "25-alpine", "23"}
	var wg sync.WaitGroup
	errs := make([]error, len(tags))
	for i, tag := range tags {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = SetWithOptions(context.Background(), f, testLoc, imageref.MustParse("node"), tag, Options{Clock: clk})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got, _, _, err := Tags(context.Background(), f, testLoc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"": "24", "alpine": "25-alpine", "slim": "3.14-slim", "v:": "v3"}
	byID := map[string]string{}
	for _, tag := range got["node"] {
		byID[lineageID(tag)] = tag
	}
	if diff := cmp.Diff(want, byID); diff != "" {
		t.Errorf("node's lineages after concurrent writers (-want +got):\n%s", diff)
	}
	if got["ghcr.io/acme/base"][0] != "1.3" {
		t.Errorf("another image's entry was lost: %v", got)
	}
}

// TestLineageUpdateKeepsEveryOtherByte: recording lineages changes only
// the bytes of the value set or the member added (CRLF, tabs, other keys
// such as digests and other images' lineages stay as written).
func TestLineageUpdateKeepsEveryOtherByte(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := "{\r\n\t\"images\": {\"node\": \"22\"},\r\n\t\"lineages\": {\r\n\t\t\"python\": {\"slim\": \"3.12-slim\"}\r\n\t},\r\n\t\"digests\": {\"node:22\": \"sha256:x\"}\r\n}\r\n"
	f := newFake(t, testLoc, src)
	steps := []struct{ image, tag, want string }{
		{"node", "22-alpine", "{\r\n\t\"images\": {\"node\": \"22\"},\r\n\t\"lineages\": {\r\n\t\t\"python\": {\"slim\": \"3.12-slim\"},\r\n" +
			"\t\t\"node\": {\r\n\t\t  \"alpine\": \"22-alpine\"\r\n\t\t}\r\n\t},\r\n\t\"digests\": {\"node:22\": \"sha256:x\"}\r\n}\r\n"},
		{"python", "3.13-slim", "{\r\n\t\"images\": {\"node\": \"22\"},\r\n\t\"lineages\": {\r\n\t\t\"python\": {\"slim\": \"3.13-slim\"},\r\n" +
			"\t\t\"node\": {\r\n\t\t  \"alpine\": \"22-alpine\"\r\n\t\t}\r\n\t},\r\n\t\"digests\": {\"node:22\": \"sha256:x\"}\r\n}\r\n"},
		{"python", "3.13-alpine", "{\r\n\t\"images\": {\"node\": \"22\"},\r\n\t\"lineages\": {\r\n\t\t\"python\": {\"slim\": \"3.13-slim\",\"alpine\": \"3.13-alpine\"},\r\n" +
			"\t\t\"node\": {\r\n\t\t  \"alpine\": \"22-alpine\"\r\n\t\t}\r\n\t},\r\n\t\"digests\": {\"node:22\": \"sha256:x\"}\r\n}\r\n"},
	}
	for _, s := range steps {
		if changed, err := Set(ctx, f, testLoc, imageref.MustParse(s.image), s.tag); err != nil || !changed {
			t.Fatalf("Set(%s, %s) = %v, %v", s.image, s.tag, changed, err)
		}
		if diff := cmp.Diff(s.want, f.content()); diff != "" {
			t.Errorf("after %s:%s (-want +got):\n%s", s.image, s.tag, diff)
		}
	}
}

// FuzzStoreRecord checks record on any store: the result parses, holds
// the tag (or a higher version of its lineage), keeps every other lineage
// of the image and every other image's tags.
func FuzzStoreRecord(f *testing.F) {
	for _, s := range []string{
		"", gsonStore, `{"images": {"node": "20-alpine"}}`, `{"images": {"node": "22"}, "lineages": {"node": {"alpine": "22-alpine", "v:": "v1"}}}`,
		"{\r\n\t\"lineages\": {\r\n\t\t\"python\": {\"slim\": \"3.12-slim\"}\r\n\t}\r\n}", `{"lineages": null}`, `{"lineages": {"node": [1]}, "x": {}}`,
		`{"images": {"node": "8c9d0e1"}, "lineages": {"node": {"build:": "abc"}}}`,
	} {
		f.Add([]byte(s), "node", "24-alpine")
		f.Add([]byte(s), "node", "24")
	}
	f.Fuzz(func(t *testing.T, content []byte, image, tag string) {
		doc, name, ok := fuzzInput(content, image, tag)
		if !ok {
			return
		}
		before, _ := doc.lineageTags()
		mine := doc.tagsOf(name)
		out, after, err := doc.record(name, tag)
		if err != nil {
			t.Fatalf("record: %v", err)
		}
		if out == nil {
			after = doc
		}
		got := after.tagsOf(name)
		if !holdsTag(got, tag) {
			t.Fatalf("%s:%s is not held: %q\n%s", image, tag, got, out)
		}
		for _, m := range mine {
			if lineageID(m) == lineageID(tag) {
				continue
			}
			if !holdsTag(got, m) {
				t.Fatalf("lineage of %q lost: %q before, %q after\n%s", m, mine, got, out)
			}
		}
		now, _ := after.lineageTags()
		for key, tags := range before {
			if !sameImage(key, name) && !cmp.Equal(tags, now[key]) {
				t.Fatalf("%q changed from %q to %q\n%s", key, tags, now[key], out)
			}
		}
	})
}

// TestDigestsPerLineage: recording a tag drops the digests of the other
// tags of its lineage only; an older tag than the store's records
// nothing, its digest included.
func TestDigestsPerLineage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	node := imageref.MustParse("node")
	dg := func(c string) string { return "sha256:" + strings.Repeat(c, 64) }
	f := newFake(t, testLoc, gsonStore)
	for _, s := range []struct {
		tag, digest string
		changed     bool
	}{{"22", dg("a"), true}, {"22-alpine", dg("b"), true}, {"24", dg("c"), true}, {"20-alpine", dg("d"), false}} {
		changed, tags, err := RecordTags(ctx, f, testLoc, node, s.tag, s.digest, Options{})
		if err != nil || changed != s.changed {
			t.Fatalf("RecordTags(%s) = %v, %v; want %v", s.tag, changed, err, s.changed)
		}
		if s.tag == "20-alpine" && !cmp.Equal(tags, []string{"24", "22-alpine"}) {
			t.Errorf("tags after the older 20-alpine = %q, want 24 and 22-alpine", tags)
		}
	}
	_, _, digests, err := Tags(ctx, f, testLoc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"node:22-alpine": dg("b"), "node:24": dg("c")}, digests); diff != "" {
		t.Errorf("digests (-want +got):\n%s", diff)
	}
}

// holdsTag reports whether tags hold tag or a higher version of it.
func holdsTag(tags []string, tag string) bool {
	for _, g := range tags {
		if c, ok := dockerfile.CompareTags(g, tag); g == tag || (ok && c >= 0) {
			return true
		}
	}
	return false
}
