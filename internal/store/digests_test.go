package store

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dfiu/dfiu/internal/imageref"
)

const (
	dA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	dB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestRecordKeepsTheOriginalFormatAndAddsDigests(t *testing.T) {
	t.Parallel()
	loc := Location{Owner: "acme", Repo: "s", Path: DefaultPath}
	// The original tool's store: "images" only.
	f := newFake(t, loc, `{"images": {"node": "22", "ubuntu": "22.04"}, "other": [1, 2]}`)
	ctx := context.Background()
	changed, err := Record(ctx, f, loc, imageref.MustParse("docker.io/library/ubuntu"), "24.04", dA)
	if err != nil || !changed {
		t.Fatalf("Record: %v, %v", changed, err)
	}
	// Only the new member's bytes are added, spaced like its neighbours.
	want := `{"images": {"node": "22", "ubuntu": "24.04"}, "digests": {"ubuntu:24.04": "` + dA + `"}, "other": [1, 2]}`
	if diff := cmp.Diff(want, f.content()); diff != "" {
		t.Errorf("store (-want +got):\n%s", diff)
	}
	images, _, digests, err := LoadDigests(ctx, f, loc)
	if err != nil {
		t.Fatal(err)
	}
	if images["ubuntu"] != "24.04" || images["node"] != "22" || digests["ubuntu:24.04"] != dA || len(digests) != 1 {
		t.Errorf("LoadDigests = %v, %v", images, digests)
	}

	// The same tag rebuilt: the digest changes in place.
	if changed, err := Record(ctx, f, loc, imageref.MustParse("ubuntu"), "24.04", dB); err != nil || !changed {
		t.Fatalf("rebuild: %v, %v", changed, err)
	}
	// Again: nothing to write.
	puts := f.puts
	if changed, err := Record(ctx, f, loc, imageref.MustParse("ubuntu"), "24.04", dB); err != nil || changed || f.puts != puts {
		t.Errorf("same tag and digest: changed %v, err %v, %d puts", changed, err, f.puts-puts)
	}
	// No digest known for the same tag: the stored one stays.
	if changed, err := Record(ctx, f, loc, imageref.MustParse("ubuntu"), "24.04", ""); err != nil || changed {
		t.Errorf("no digest: changed %v, err %v", changed, err)
	}
	// A new tag without a digest drops the old tag's digest.
	if _, err := Record(ctx, f, loc, imageref.MustParse("ubuntu"), "25.04", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, digests, _ := LoadDigests(ctx, f, loc); len(digests) != 0 {
		t.Errorf("digests after a new tag without one: %v", digests)
	}
	if !strings.Contains(f.content(), `"digests": {}`) {
		t.Errorf("store:\n%s", f.content())
	}
}

func TestDigestsKeepOtherEntriesAndIgnoreBadValues(t *testing.T) {
	t.Parallel()
	loc := Location{Owner: "acme", Repo: "s", Path: DefaultPath}
	f := newFake(t, loc, `{"images": {"reg.local:5000/team/app": "1.0", "node": "22"},
		"digests": {"reg.local:5000/team/app:1.0": "`+dA+`", "node:22": "not-a-digest", "x:1": {"kept": true}}}`)
	ctx := context.Background()
	_, _, digests, err := LoadDigests(ctx, f, loc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"reg.local:5000/team/app:1.0": dA}, digests); diff != "" {
		t.Errorf("digests (-want +got):\n%s", diff)
	}
	if _, err := Record(ctx, f, loc, imageref.MustParse("node"), "22", dB); err != nil {
		t.Fatal(err)
	}
	_, _, digests, _ = LoadDigests(ctx, f, loc)
	if digests["node:22"] != dB || digests["reg.local:5000/team/app:1.0"] != dA {
		t.Errorf("digests = %v", digests)
	}
	if !strings.Contains(f.content(), `"x:1": {`) {
		t.Errorf("an entry that is not a digest was dropped:\n%s", f.content())
	}
	if _, err := Record(ctx, f, loc, imageref.MustParse("node"), "22", "sha256:short"); err == nil || !strings.Contains(err.Error(), "sha256:short") {
		t.Errorf("a bad digest: err = %v", err)
	}
}

func TestRecordInAnIndentedStoreSplicesOnlyDigests(t *testing.T) {
	t.Parallel()
	loc := Location{Owner: "acme", Repo: "s", Path: DefaultPath}
	orig := "{\n  \"images\": {\n    \"node\":   \"22\"\n  }\n}\n"
	f := newFake(t, loc, orig)
	ctx := context.Background()
	if _, err := Record(ctx, f, loc, imageref.MustParse("node"), "22", dA); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"images\": {\n    \"node\":   \"22\"\n  },\n  \"digests\": {\n    \"node:22\": \"" + dA + "\"\n  }\n}\n"
	if diff := cmp.Diff(want, f.content()); diff != "" {
		t.Errorf("store (-want +got):\n%s", diff)
	}
	// Another image's tag and digest: the node entry keeps its bytes.
	if _, err := Record(ctx, f, loc, imageref.MustParse("ghcr.io/acme/base"), "1.3", dB); err != nil {
		t.Fatal(err)
	}
	want = "{\n  \"images\": {\n    \"node\":   \"22\",\n    \"ghcr.io/acme/base\":   \"1.3\"\n  },\n  \"digests\": {\n    \"node:22\": \"" + dA + "\",\n    \"ghcr.io/acme/base:1.3\": \"" + dB + "\"\n  }\n}\n"
	if diff := cmp.Diff(want, f.content()); diff != "" {
		t.Errorf("store (-want +got):\n%s", diff)
	}
}
