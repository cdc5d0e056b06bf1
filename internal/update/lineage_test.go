package update

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/imageref"
)

// twoLineages uses node's plain and alpine lineages, with CRLF line
// endings, a comment and a variant the store does not hold.
const twoLineages = "# syntax=docker/dockerfile:1\r\nFROM node:20 AS build\r\nRUN npm ci\r\n" +
	"# runtime\r\nFROM node:20-alpine\r\nCOPY --from=build /src /src\r\nFROM node:20-slim AS tools\r\n"

const twoLineagesAfter = "# syntax=docker/dockerfile:1\r\nFROM node:22 AS build\r\nRUN npm ci\r\n" +
	"# runtime\r\nFROM node:22-alpine\r\nCOPY --from=build /src /src\r\nFROM node:20-slim AS tools\r\n"

// TestAllModeMovesEveryLineageInOnePR: a repository using node:20 and
// node:20-alpine gets one pull request that moves both, byte for byte, and
// the slim lineage the store does not hold stays.
func TestAllModeMovesEveryLineageInOnePR(t *testing.T) {
	t.Parallel()
	f := newFake(t,
		&fakeRepo{owner: "acme", name: "both", files: map[string]string{
			"Dockerfile":  twoLineages,
			"compose.yml": "services:\n  a:\n    image: node:20-alpine\n  b:\n    image: node:latest\n",
		}},
		&fakeRepo{owner: "acme", name: "plain", files: map[string]string{"Dockerfile": "FROM node:22\n"}},
		&fakeRepo{owner: "acme", name: "floating", files: map[string]string{"Dockerfile": "FROM node\n"}},
	)
	st := &fakeStore{images: map[string]string{"node": "22"}, lineages: map[string][]string{"node": {"22-alpine"}}}
	rep, err := Run(context.Background(), f, st, testOptions(t, ModeAll, "", ""))
	if err != nil {
		t.Fatal(err)
	}
	if f.proposes != 1 {
		t.Fatalf("proposes = %d, want one pull request", f.proposes)
	}
	in := f.proposed[0]
	if diff := cmp.Diff(twoLineagesAfter, string(in.Files["Dockerfile"])); diff != "" {
		t.Errorf("Dockerfile (-want +got):\n%s", diff)
	}
	if got, want := string(in.Files["compose.yml"]), "services:\n  a:\n    image: node:22-alpine\n  b:\n    image: node:latest\n"; got != want {
		t.Errorf("compose.yml = %q, want %q", got, want)
	}
	if in.Title != "Bump node to 22, 22-alpine" || in.Message.Headline != "Bump node to 22, 22-alpine" {
		t.Errorf("title %q, headline %q, want both tags", in.Title, in.Message.Headline)
	}
	if !strings.Contains(in.Body, "updates `node` to `22`, `22-alpine` in:") {
		t.Errorf("body does not name both references:\n%s", in.Body)
	}
	got := byRepo(rep)
	if r := got["acme/both node"]; r.Action != Created || r.From != "20, 20-alpine" || r.To != "22, 22-alpine" ||
		!strings.Contains(r.Reason, "Dockerfile:7: variant slim differs") {
		t.Errorf("acme/both = %+v", r)
	}
	img := rep.Images[0]
	if img.Tag != "22" || !cmp.Equal(img.Also, []string{"22-alpine"}) {
		t.Errorf("image report tags %q %q, want 22 and 22-alpine", img.Tag, img.Also)
	}
	// acme/floating uses no lineage; acme/both is behind on both.
	if cur, all := img.AdoptionOf("22"); cur != 1 || all != 2 {
		t.Errorf("adoption of 22 = %d of %d, want 1 of 2", cur, all)
	}
	if cur, all := img.AdoptionOf("22-alpine"); cur != 0 || all != 1 {
		t.Errorf("adoption of 22-alpine = %d of %d, want 0 of 1", cur, all)
	}
}

// TestParentVariantKeepsThePlainChange: after a pull request moving
// node:20 to the plain 22, publishing 22-alpine updates the same pull
// request with both changes: the plain one is not dropped.
func TestParentVariantKeepsThePlainChange(t *testing.T) {
	t.Parallel()
	f := newFake(t, &fakeRepo{owner: "acme", name: "both", files: map[string]string{"Dockerfile": twoLineages}})
	st := &fakeStore{}
	ctx := context.Background()
	if _, err := Run(ctx, f, st, testOptions(t, ModeParent, "node", "22")); err != nil {
		t.Fatal(err)
	}
	br := f.repos["acme/both"].branches["dfiu/node"]
	if br == nil || !strings.Contains(br.files["Dockerfile"], "FROM node:22 AS build") || !strings.Contains(br.files["Dockerfile"], "node:20-alpine") {
		t.Fatalf("after 22: branch = %+v, want only the plain change", br)
	}
	rep, err := Run(ctx, f, st, testOptions(t, ModeParent, "node", "22-alpine"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(twoLineagesAfter, br.files["Dockerfile"]); diff != "" {
		t.Errorf("after 22-alpine, Dockerfile on the branch (-want +got):\n%s", diff)
	}
	if st.images["node"] != "22" || !cmp.Equal(st.lineages["node"], []string{"22-alpine"}) {
		t.Errorf("store = %v %v, want node 22 and 22-alpine", st.images, st.lineages)
	}
	r := byRepo(rep)["acme/both node"]
	if r.Action != Updated || r.To != "22-alpine, 22" || br.pr.Title != "Bump node to 22-alpine, 22" {
		t.Errorf("result %+v, title %q: want the pull request updated with both tags, the published one first", r, br.pr.Title)
	}
	if f.proposes != 2 {
		t.Errorf("proposes = %d, want 2 (one per run, one pull request)", f.proposes)
	}
}

// TestParentOlderTagKeepsTheStoresNewer: the store keeps the newest tag of
// a lineage; the run proposes the tag given and says so.
func TestParentOlderTagKeepsTheStoresNewer(t *testing.T) {
	t.Parallel()
	f := newFake(t, &fakeRepo{owner: "acme", name: "svc", files: map[string]string{"Dockerfile": "FROM node:18\n"}})
	st := &fakeStore{images: map[string]string{"node": "22"}}
	rep, err := Run(context.Background(), f, st, testOptions(t, ModeParent, "node", "20.11.1"))
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(rep.Notes, []string{"the store keeps the newer node:22 of this lineage; proposing 20.11.1 as given"}) {
		t.Errorf("notes = %q", rep.Notes)
	}
	if got := string(f.proposed[0].Files["Dockerfile"]); got != "FROM node:20.11.1\n" {
		t.Errorf("Dockerfile = %q, want the tag given", got)
	}
}

// TestChildModeOtherLineagesNeverDowngrade: child mode forces its own tag,
// even downwards, but the store's other lineages only move up.
func TestChildModeOtherLineagesNeverDowngrade(t *testing.T) {
	t.Parallel()
	f := newFake(t, &fakeRepo{owner: "acme", name: "svc", files: map[string]string{"Dockerfile": "FROM node:22\nFROM node:24-alpine\nFROM node:18-slim\n"}})
	st := &fakeStore{images: map[string]string{"node": "22"}, lineages: map[string][]string{"node": {"22-alpine", "20-slim"}}}
	opts := testOptions(t, ModeChild, "node", "20")
	opts.Repository = "acme/svc"
	if _, err := Run(context.Background(), f, st, opts); err != nil {
		t.Fatal(err)
	}
	if got, want := string(f.proposed[0].Files["Dockerfile"]), "FROM node:20\nFROM node:24-alpine\nFROM node:20-slim\n"; got != want {
		t.Errorf("Dockerfile = %q, want %q", got, want)
	}
}

// TestTagFilterProposesOneLineage: a tag filter picks references for the
// given tag whatever their lineage, so the store's other lineages are not
// proposed, and a note says so.
func TestTagFilterProposesOneLineage(t *testing.T) {
	t.Parallel()
	f := newFake(t, &fakeRepo{owner: "acme", name: "svc", files: map[string]string{"Dockerfile": "FROM node:20-alpine\nFROM node:20\n"}})
	st := &fakeStore{images: map[string]string{"node": "22"}, lineages: map[string][]string{"node": {"22-alpine"}}}
	opts := testOptions(t, ModeParent, "node", "22")
	opts.TagFilter = regexp.MustCompile(`^20-alpine$`)
	rep, err := Run(context.Background(), f, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(f.proposed[0].Files["Dockerfile"]), "FROM node:22\nFROM node:20\n"; got != want {
		t.Errorf("Dockerfile = %q, want %q", got, want)
	}
	if len(rep.Notes) != 2 || !strings.Contains(rep.Notes[1], "tag-filter is set: only node:22 is proposed, not the store's other lineages (22-alpine)") {
		t.Errorf("notes = %q", rep.Notes)
	}
}

// TestRewriteLineagesVerdicts checks the merge of the engines' verdicts:
// a reference skipped by another lineage's engine takes its own lineage's
// reason, and one no lineage holds keeps the first engine's.
func TestRewriteLineagesVerdicts(t *testing.T) {
	t.Parallel()
	r := &runner{opts: Options{}}
	r.compile([]Target{{Image: imageref.MustParse("node"), Tag: "22", Also: []string{"22-alpine"}}}, nil)
	res, owner, err := rewriteLineages(r.engines[0], dockerfile.KindDockerfile, []byte("FROM node:24-alpine\nFROM node:20\nFROM node:20-slim\nFROM node:22-alpine\n"))
	if err != nil {
		t.Fatal(err)
	}
	type verdict struct {
		Status dockerfile.Status
		Reason string
		Owner  int
	}
	var got []verdict
	for j, ref := range res.Refs {
		got = append(got, verdict{ref.Status, ref.Reason, owner[j]})
	}
	want := []verdict{
		{dockerfile.StatusSkipped, "would downgrade 24-alpine to 22-alpine", 1},
		{dockerfile.StatusChanged, "", 0},
		{dockerfile.StatusSkipped, "variant slim differs from the new tag's", -1},
		{dockerfile.StatusCurrent, "", 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
}

// TestSharedArgAcrossLineagesIsLeftAlone: an ARG used by references of two
// lineages cannot take either engine's change; both are reported.
func TestSharedArgAcrossLineagesIsLeftAlone(t *testing.T) {
	t.Parallel()
	r := &runner{}
	r.compile([]Target{{Image: imageref.MustParse("node"), Tag: "22", Also: []string{"22-alpine"}}}, nil)
	in := "ARG V=20\nFROM node:${V}\nFROM node:${V}-alpine\n"
	res, owner, err := rewriteLineages(r.engines[0], dockerfile.KindDockerfile, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed || string(res.Content) != in {
		t.Errorf("content = %q, want it unchanged", res.Content)
	}
	if len(res.Refs) != 2 || !strings.Contains(res.Refs[0].Reason, "ARG V also sets node:20-alpine") ||
		!strings.Contains(res.Refs[1].Reason, "ARG V also sets node:20 ") || owner[0] != 0 || owner[1] != 1 {
		t.Errorf("refs = %+v, owners %v", res.Refs, owner)
	}
}

// TestParentIgnoresInvalidStoredLineages: a stored tag that is not a valid
// tag is never proposed (all mode reports it).
func TestParentIgnoresInvalidStoredLineages(t *testing.T) {
	t.Parallel()
	f := newFake(t, &fakeRepo{owner: "acme", name: "svc", files: map[string]string{"Dockerfile": "FROM node:20\n"}})
	st := &fakeStore{images: map[string]string{"node": "20"}, lineages: map[string][]string{"node": {"::error::x-alpine", "22-alpine"}}}
	rep, err := Run(context.Background(), f, st, testOptions(t, ModeParent, "node", "22"))
	if err != nil {
		t.Fatal(err)
	}
	if img := rep.Images[0]; !cmp.Equal(img.Also, []string{"22-alpine"}) {
		t.Errorf("Also = %q, want only the valid 22-alpine", img.Also)
	}
}
