package update

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/dockerfile"
)

// TestReportTargets: with image and tag the report is against that tag;
// with image alone against the store's tag and digest; with neither every
// image of the store. Nothing is set in the store or written to GitHub.
func TestReportTargets(t *testing.T) {
	t.Parallel()
	app := &fakeRepo{owner: "acme", name: "app", files: map[string]string{"Dockerfile": "FROM acme/base:1.2\n"}}
	st := &fakeStore{images: map[string]string{"acme/base": "1.3", "node": "22"}, digests: map[string]string{"acme/base:1.3": "sha256:" + strings.Repeat("b", 64)}}
	run := func(image, tag string, st Store) (*Report, error) {
		f := newFake(t, app)
		f.noWrites = true
		rep, err := Run(context.Background(), f, st, testOptions(t, ModeReport, image, tag))
		if f.writes() != 0 {
			t.Errorf("%d writes", f.writes())
		}
		return rep, err
	}
	for _, c := range []struct {
		image, tag string
		want       []string // image:tag
		digest     string
	}{
		{"acme/base", "1.2", []string{"acme/base:1.2"}, ""},
		{"acme/base", "", []string{"acme/base:1.3"}, "sha256:" + strings.Repeat("b", 64)},
		{"", "", []string{"acme/base:1.3", "node:22"}, "sha256:" + strings.Repeat("b", 64)},
	} {
		rep, err := run(c.image, c.tag, st)
		if err != nil {
			t.Fatalf("%s:%s: %v", c.image, c.tag, err)
		}
		var got []string
		for _, ir := range rep.Rollout.Images {
			got = append(got, ir.Image+":"+ir.Tag)
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") || rep.Rollout.Images[0].Digest != c.digest {
			t.Errorf("%s:%s: images %v (digest %q), want %v (%q)", c.image, c.tag, got, rep.Rollout.Images[0].Digest, c.want, c.digest)
		}
		if len(rep.Images) != 0 || len(rep.Results()) != 0 {
			t.Errorf("report mode filled the run's results: %+v", rep.Images)
		}
	}
	if st.sets != 0 {
		t.Errorf("the store was set %d times", st.sets)
	}
	if _, err := run("ghcr.io/other/img", "", st); err == nil || !strings.Contains(err.Error(), "does not record ghcr.io/other/img") {
		t.Errorf("an image the store lacks: %v", err)
	}
	if _, err := run("acme/base", "", nil); err == nil || !strings.Contains(err.Error(), "give its tag") {
		t.Errorf("no tag, no store: %v", err)
	}
	if _, err := run("acme/base", "", &fakeStore{err: errInvalidJSON}); !errors.Is(err, ErrStore) {
		t.Errorf("a bad store: %v", err)
	}
}

// TestStateOf maps every class of skip the engine reports to a state.
func TestStateOf(t *testing.T) {
	t.Parallel()
	for skip, want := range map[dockerfile.Skip]State{
		dockerfile.SkipOptOut: StateOptedOut, dockerfile.SkipFloating: StateFloating, dockerfile.SkipDigest: StateDigest,
		dockerfile.SkipDowngrade: StateDowngrade, dockerfile.SkipVariant: StateVariant, dockerfile.SkipSameVersion: StateCurrent,
		dockerfile.SkipFilter: StateHeld, dockerfile.SkipInvalid: StateUnread, dockerfile.SkipUnresolved: StateHeld,
	} {
		if got := stateOf(dockerfile.Ref{Status: dockerfile.StatusSkipped, Skip: skip}); got != want {
			t.Errorf("skip %d: %s, want %s", skip, got, want)
		}
	}
	if stateOf(dockerfile.Ref{Status: dockerfile.StatusChanged, Rebuilt: true}) != StateBehind || stateOf(dockerfile.Ref{Status: dockerfile.StatusCurrent}) != StateCurrent {
		t.Error("changed or current")
	}
}

// TestAdoption counts a file current when every reference in it is, a
// repository when every file is, and leaves unread files out.
func TestAdoption(t *testing.T) {
	t.Parallel()
	ir := &ImageRollout{States: map[State]int{}, Consumers: []Consumer{
		{Repository: "a/x", Path: "Dockerfile", Line: 1, State: StateCurrent},
		{Repository: "a/x", Path: "Dockerfile", Line: 5, State: StateBehind},
		{Repository: "a/x", Path: "b/Dockerfile", Line: 1, State: StateCurrent},
		{Repository: "a/y", Path: "Dockerfile", Line: 1, State: StateCurrent},
		{Repository: "a/y", Path: "bin/Dockerfile", State: StateUnread},
		{Repository: "a/z", Path: "Dockerfile", Line: 1, State: StateOptedOut, OptOut: "comment"},
	}}
	ir.finish()
	want := Adoption{Repositories: 3, CurrentRepositories: 1, Files: 4, CurrentFiles: 2, Percent: 33.3}
	if ir.Adoption != want {
		t.Errorf("adoption %+v, want %+v", ir.Adoption, want)
	}
	if len(ir.OptOuts) != 1 || ir.States[StateCurrent] != 3 || ir.States[StateUnread] != 1 {
		t.Errorf("opt-outs %v, states %v", ir.OptOuts, ir.States)
	}
}
