package update

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/imageref"
)

// State is where one reference stands against the intended tag.
type State string

// The states of a reference in report mode.
const (
	StateCurrent   State = "current"           // at the tag (and digest)
	StateBehind    State = "behind"            // a run would move it to the tag
	StateFloating  State = "floating"          // no tag, latest or a channel name
	StateDigest    State = "pinned-by-digest"  // pinned by digest, and no digest known to re-pin it to
	StateOptedOut  State = "opted-out"         // the ignore comment, or exclude-repos
	StateDowngrade State = "refused-downgrade" // the tag is a higher version than the intended one
	StateVariant   State = "other-variant"     // another variant, v prefix or kind of tag
	StateUnread    State = "unreadable"        // the file or reference could not be read
	StateHeld      State = "held"              // left alone for another reason (tag filter, a variable without default, ...); the reason says which
)

// States lists the states in the order reports show them.
var States = []State{StateCurrent, StateBehind, StateFloating, StateDigest, StateOptedOut, StateDowngrade, StateVariant, StateUnread, StateHeld}

// stateOf maps the engine's verdict on a reference to its state.
func stateOf(ref dockerfile.Ref) State {
	switch ref.Status {
	case dockerfile.StatusCurrent:
		return StateCurrent
	case dockerfile.StatusChanged:
		return StateBehind
	}
	switch ref.Skip {
	case dockerfile.SkipOptOut:
		return StateOptedOut
	case dockerfile.SkipFloating:
		return StateFloating
	case dockerfile.SkipDigest:
		return StateDigest
	case dockerfile.SkipDowngrade:
		return StateDowngrade
	case dockerfile.SkipVariant:
		return StateVariant
	case dockerfile.SkipSameVersion:
		return StateCurrent // 3.11.0 where 3.11 is intended: the same build
	case dockerfile.SkipInvalid:
		return StateUnread
	}
	return StateHeld
}

// Consumer is one reference to an image, or one file that could not be
// read, in report mode.
type Consumer struct {
	Repository string `json:"repository"`
	Path       string `json:"path"`
	Line       int    `json:"line,omitempty"` // 0 when the file could not be read
	Reference  string `json:"reference,omitempty"`
	State      State  `json:"state"`
	Reason     string `json:"reason,omitempty"`
	// OptOut says how a reference is opted out: "comment" (the ignore
	// comment) or "exclude-repos" (its repository matches; such a
	// reference is opted-out unless already current or unreadable).
	OptOut string `json:"opt_out,omitempty"`
}

// OpenPR is dfiu's open pull request for an image in one repository.
type OpenPR struct {
	Repository string    `json:"repository"`
	Number     int       `json:"number"`
	URL        string    `json:"url"`
	OpenedAt   time.Time `json:"opened_at"`
	AgeDays    int       `json:"age_days"`
	// CI is the head commit's statusCheckRollup state, lower-cased
	// (success, failure, pending, error, expected), or "none" when GitHub
	// reports no status or check for it.
	CI string `json:"ci"`
	// Mergeable is mergeable, conflicting or unknown (GitHub computes it
	// in the background and may not know yet).
	Mergeable string `json:"mergeable"`
}

// RepoNote is a repository left out of a report, and why.
type RepoNote struct {
	Repository string `json:"repository"`
	Reason     string `json:"reason"`
}

// Adoption is how many repositories and files using an image are on its
// intended tag. A file counts when every reference in it is current, a
// repository when every file does; files that could not be read do not
// count either way.
type Adoption struct {
	Repositories        int     `json:"repositories"`
	CurrentRepositories int     `json:"current_repositories"`
	Files               int     `json:"files"`
	CurrentFiles        int     `json:"current_files"`
	Percent             float64 `json:"percent"` // of repositories; 0 when none
}

// ImageRollout is the report mode's view of one image.
type ImageRollout struct {
	Image    string   `json:"image"`
	Tag      string   `json:"tag"`
	Digest   string   `json:"digest,omitempty"`
	Complete bool     `json:"complete"` // discovery saw every file
	Notes    []string `json:"notes,omitempty"`
	Error    string   `json:"error,omitempty"` // the image was not searched

	Adoption     Adoption      `json:"adoption"`
	States       map[State]int `json:"states"` // references by state
	Consumers    []Consumer    `json:"consumers"`
	OptOuts      []Consumer    `json:"opt_outs"`
	PullRequests []OpenPR      `json:"pull_requests"`
	Skipped      []RepoNote    `json:"skipped_repositories"`
}

// Rollout is what report mode reports: one entry per image.
type Rollout struct {
	Images []*ImageRollout `json:"images"`
}

// rollout builds the report mode's report. It reads, and never writes:
// the store is loaded, not set; the registry is not asked.
func (r *runner) rollout(ctx context.Context, st Store, rep *Report) error {
	targets, unsearched, err := r.reportTargets(ctx, st, rep)
	if err != nil {
		return err
	}
	ro := &Rollout{Images: []*ImageRollout{}}
	rep.Rollout = ro
	for _, u := range unsearched {
		ro.Images = append(ro.Images, &ImageRollout{Image: u.Image, Tag: u.Tag, Error: strings.Join(u.Notes, "; "),
			States: map[State]int{}, Consumers: []Consumer{}, OptOuts: []Consumer{}, PullRequests: []OpenPR{}, Skipped: []RepoNote{}})
	}
	if len(targets) == 0 {
		return nil
	}
	end := r.phase("Discover")
	cands, images, err := r.discoverOrgs(ctx, targets, rep)
	end()
	if err != nil {
		return err
	}
	end = r.phase("Hydrate")
	hyd, err := r.hydrate(ctx, cands, targets)
	end()
	if err != nil {
		return err
	}
	r.compile(targets, cands)
	now := time.Now
	if r.opts.Now != nil {
		now = r.opts.Now
	}
	for ti, t := range targets {
		ir := &ImageRollout{Image: t.Image.String(), Tag: t.Tag, Digest: t.Digest, Complete: images[ti].Complete, Notes: images[ti].Notes,
			States: map[State]int{}, Consumers: []Consumer{}, OptOuts: []Consumer{}, PullRequests: []OpenPR{}, Skipped: []RepoNote{}}
		for _, key := range slices.Sorted(maps.Keys(cands)) {
			c := cands[key]
			if c.images[ti] {
				r.rolloutRepo(ir, ti, t, c, hyd.Repos[key], now())
			}
		}
		ir.finish()
		ro.Images = append(ro.Images, ir)
	}
	sort.SliceStable(ro.Images, func(i, j int) bool { return ro.Images[i].Image < ro.Images[j].Image })
	return nil
}

// reportTargets returns the images to report on: the image given, at the
// tag given or else at the store's; or every image of the store.
func (r *runner) reportTargets(ctx context.Context, st Store, rep *Report) ([]Target, []*ImageReport, error) {
	t := r.opts.Target
	if t.Image.String() == "" {
		if st == nil {
			return nil, nil, errors.New("report mode needs an image or a store")
		}
		return r.store(ctx, st, rep)
	}
	if t.Tag != "" {
		return []Target{t}, nil, nil
	}
	if st == nil {
		return nil, nil, fmt.Errorf("report mode: %s: give its tag, or a store that records it", t.Image)
	}
	end := r.phase("Store")
	images, _, digests, err := st.Load(ctx)
	end()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	for _, key := range slices.Sorted(maps.Keys(images)) {
		if name, err := imageref.Parse(key); err == nil && name.String() == t.Image.String() {
			tags := images[key] // the plain lineage's first, then the others
			t.Tag, t.Also, t.Digest = tags[0], tags[1:], digests[key+":"+tags[0]]
			return []Target{t}, nil, nil
		}
	}
	return nil, nil, fmt.Errorf("report mode: the store does not record %s; give its tag", t.Image)
}

// rolloutRepo adds one repository's references to ir.
func (r *runner) rolloutRepo(ir *ImageRollout, ti int, t Target, c *candidate, repo *gh.Repo, now time.Time) {
	full := c.fullName()
	switch {
	case repo == nil:
		ir.Skipped = append(ir.Skipped, RepoNote{full, "the repository was not read"})
		return
	case repo.Err != nil && errors.Is(repo.Err, gh.ErrNotFound):
		ir.Skipped = append(ir.Skipped, RepoNote{full, "repository not found, or not visible to the token"})
		return
	case repo.Err != nil:
		ir.Skipped = append(ir.Skipped, RepoNote{full, repo.Err.Error()})
		return
	}
	full = repo.Owner + "/" + repo.Name
	switch {
	case repo.Empty:
		ir.Skipped = append(ir.Skipped, RepoNote{full, "empty repository"})
		return
	case repo.Archived:
		ir.Skipped = append(ir.Skipped, RepoNote{full, "archived"})
		return
	case repo.Disabled:
		ir.Skipped = append(ir.Skipped, RepoNote{full, "disabled"})
		return
	case repo.Fork && !r.opts.IncludeForks:
		ir.Skipped = append(ir.Skipped, RepoNote{full, "fork (include-forks is false)"})
		return
	}
	es := r.engines[ti]
	for _, path := range slices.Sorted(maps.Keys(c.paths)) {
		f := repo.Files[path]
		if f == nil {
			continue // gone since it was indexed
		}
		add := func(cs Consumer) {
			cs.Repository, cs.Path = full, path
			if c.excluded != "" {
				// Left alone whatever its tag; one already on it stays
				// current (adoption counts the tag in use).
				cs.OptOut = "exclude-repos"
				cs.Reason = joinReasons(fmt.Sprintf("excluded by exclude-repos (%s)", c.glob), cs.Reason)
				if cs.State != StateCurrent && cs.State != StateUnread {
					cs.State = StateOptedOut
				}
			}
			ir.Consumers = append(ir.Consumers, cs)
		}
		if f.Binary || f.Truncated {
			add(Consumer{State: StateUnread, Reason: "not read (binary or too large)"})
			continue
		}
		res, _, err := rewriteLineages(es, dockerfile.KindOf(path), []byte(f.Text))
		if err != nil {
			add(Consumer{State: StateUnread, Reason: err.Error()})
			continue
		}
		for _, ref := range res.Refs {
			cs := Consumer{Line: ref.Line, Reference: ref.Old, State: stateOf(ref), Reason: ref.Reason}
			if ref.Skip == dockerfile.SkipDigest && (ref.OldTag == t.Tag || slices.Contains(t.Also, ref.OldTag)) {
				// On the tag; whether its digest is the tag's latest build
				// cannot be told without one.
				cs.State, cs.Reason = StateCurrent, "pinned by digest; no digest known to compare it with"
			}
			if cs.State == StateOptedOut {
				cs.OptOut = "comment"
			}
			add(cs)
		}
	}
	if br := repo.Branches[r.branch(t)]; br != nil && br.PR != nil {
		pr := br.PR
		ci := strings.ToLower(pr.CIState)
		if ci == "" {
			ci = "none"
		}
		m := strings.ToLower(pr.Mergeable)
		if m == "" {
			m = "unknown"
		}
		age := 0
		if !pr.CreatedAt.IsZero() {
			age = int(math.Max(0, now.Sub(pr.CreatedAt).Hours()/24))
		}
		ir.PullRequests = append(ir.PullRequests, OpenPR{Repository: full, Number: pr.Number, URL: pr.URL,
			OpenedAt: pr.CreatedAt.UTC(), AgeDays: age, CI: ci, Mergeable: m})
	}
}

// finish counts the states, lists the opt-outs and works out the adoption.
func (ir *ImageRollout) finish() {
	type fileKey struct{ repo, path string }
	files := map[fileKey]bool{} // → every reference current
	repos := map[string]bool{}
	for _, c := range ir.Consumers {
		ir.States[c.State]++
		if c.OptOut != "" {
			ir.OptOuts = append(ir.OptOuts, c)
		}
		if c.State == StateUnread && c.Line == 0 {
			continue // a file not read: it may not reference the image at all
		}
		k := fileKey{c.Repository, c.Path}
		cur, seen := files[k]
		files[k] = (cur || !seen) && c.State == StateCurrent
		rc, rseen := repos[c.Repository]
		repos[c.Repository] = (rc || !rseen) && c.State == StateCurrent
	}
	a := &ir.Adoption
	a.Files, a.Repositories = len(files), len(repos)
	for _, cur := range files {
		if cur {
			a.CurrentFiles++
		}
	}
	for _, cur := range repos {
		if cur {
			a.CurrentRepositories++
		}
	}
	if a.Repositories > 0 {
		a.Percent = math.Round(float64(a.CurrentRepositories)*1000/float64(a.Repositories)) / 10
	}
}
