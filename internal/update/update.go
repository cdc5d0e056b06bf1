// Package update is dfiu's pipeline: it records the wanted tag in the store,
// discovers the files that use an image (code search, or a repository's
// tree in child mode), reads them in batches, plans each repository's
// change with the rewrite engine and applies the plan as one commit and one
// pull request per repository and image, concurrently.
//
// The GitHub side is reached through small interfaces defined here, which
// *gh.Client satisfies; tests pass fakes.
package update

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/gitref"
	"github.com/dfiu/dfiu/internal/imageref"
)

// Searcher finds candidate files.
type Searcher interface {
	SearchCode(ctx context.Context, q gh.CodeQuery) (*gh.SearchResult, error)
}

// Reader reads repositories and their files.
type Reader interface {
	Hydrate(ctx context.Context, reqs []gh.RepoRequest, users, teams []string, batchSize int) (*gh.HydrateResult, error)
	ListFiles(ctx context.Context, owner, repo, ref string) ([]gh.TreeEntry, bool, error)
}

// Writer commits and opens or decorates pull requests.
type Writer interface {
	Propose(ctx context.Context, in gh.ProposeInput) (*gh.ProposeResult, error)
	OpenPullRequest(ctx context.Context, in gh.ProposeInput) (*gh.ProposeResult, error)
	UpdatePR(ctx context.Context, prID, title, body string) error
	Decorate(ctx context.Context, d gh.Decoration) ([]string, error)
}

// Client is everything the pipeline needs from GitHub.
type Client interface {
	Searcher
	Reader
	Writer
}

// Store is the image→tag store at one location.
type Store interface {
	// Load returns the tags by image key, the keys whose value is not a
	// tag at all, each with why, and the digests ("image:tag" → digest,
	// image spelled as in images).
	Load(ctx context.Context) (images, invalid, digests map[string]string, err error)
	// Set records tag for image, and digest for image:tag when digest is
	// not empty, in one write.
	Set(ctx context.Context, image imageref.Name, tag, digest string) (changed bool, err error)
}

// Mode is parent, child or all.
type Mode string

// The modes.
const (
	ModeParent Mode = "parent"
	ModeChild  Mode = "child"
	ModeAll    Mode = "all"
	// ModeReport reports where each image stands across the orgs and
	// writes nothing (Report.Rollout).
	ModeReport Mode = "report"
)

// Target is an image and the tag it should be at.
type Target struct {
	Image  imageref.Name
	Tag    string
	Digest string
}

// Ref returns image:tag[@digest].
func (t Target) Ref() string {
	s := t.Image.String() + ":" + t.Tag
	if t.Digest != "" {
		s += "@" + t.Digest
	}
	return s
}

// Options configure a run. Package config builds them from the inputs,
// validated.
type Options struct {
	Mode       Mode
	Target     Target // parent and child mode; report mode, optional (the tag too: the store's)
	Repository string // child mode: owner/name

	Orgs         []string
	ExcludeRepos []string // lower-case path.Match globs on owner/name
	IncludeForks bool
	Kinds        []dockerfile.Kind // file-types
	DryRun       bool
	BranchPrefix string
	Templates    *Templates

	Labels        []string
	Reviewers     []string
	TeamReviewers []string // "slug" (the repository's org) or "org/slug"
	Assignees     []string
	Draft         bool
	AutoMerge     string // "", "MERGE", "SQUASH" or "REBASE"

	IgnoreComment  string
	AllowDowngrade bool
	TagFilter      *regexp.Regexp

	// VerifyTag stops the run (in all mode, skips the image) when
	// Registry cannot find image:tag; ResolveDigest takes a target's
	// digest from Registry when none is given (in all mode, in place of
	// the store's). Both need Registry, and share its one lookup per image.
	VerifyTag, ResolveDigest bool
	Registry                 Resolver

	MaxPRs      int // 0: no limit
	Concurrency int // 0: 4
	BatchSize   int // repositories per GraphQL read; 0: the client's default

	Logger *slog.Logger // nil: discard
	// Now is the time report mode measures pull requests' age against;
	// nil: time.Now.
	Now func() time.Time
	// Phase, when set, is called as each phase starts ("Store",
	// "Discover", "Hydrate", "Plan", "Apply"); the function it returns is
	// called when the phase ends. The action uses it for log groups.
	Phase func(name string) (end func())
}

// ErrStore marks a store that cannot be read or written; the run stops
// before any pull request.
var ErrStore = errors.New("store")

// Run runs one mode. It returns an error only when the run as a whole
// cannot go on (the store, a failed search or read); a repository that
// fails is a Failed result and the others go on.
func Run(ctx context.Context, c Client, st Store, opts Options) (*Report, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Templates == nil {
		return nil, errors.New("update: no templates")
	}
	if (opts.VerifyTag || opts.ResolveDigest) && opts.Registry == nil {
		return nil, errors.New("update: verify-tag or resolve-digest without a registry")
	}
	r := &runner{c: c, opts: opts, log: opts.Logger}
	rep := &Report{Mode: string(opts.Mode), DryRun: opts.DryRun}
	if opts.Mode == ModeReport {
		if err := r.rollout(ctx, st, rep); err != nil {
			return nil, err
		}
		return rep, nil
	}

	if opts.Mode != ModeAll {
		// Before the store records anything.
		if err := r.lookupTarget(ctx, rep); err != nil {
			return nil, err
		}
	}
	targets, unsearched, err := r.store(ctx, st, rep)
	if err != nil {
		return nil, err
	}
	if opts.Mode == ModeAll {
		targets, unsearched = r.lookupStored(ctx, targets, unsearched)
	}
	if len(targets) == 0 {
		rep.Images = unsearched
		return rep, nil
	}

	var cands map[string]*candidate
	var images []*ImageReport
	end := r.phase("Discover")
	if opts.Mode == ModeChild {
		cands, images, err = r.discoverChild(ctx, targets[0])
	} else {
		cands, images, err = r.discover(ctx, targets)
	}
	end()
	if err != nil {
		return nil, err
	}
	rep.Images = images

	end = r.phase("Hydrate")
	hyd, err := r.hydrate(ctx, cands, targets)
	end()
	if err != nil {
		return nil, err
	}

	end = r.phase("Plan")
	r.compile(targets)
	plans := r.planAll(targets, images, cands, hyd)
	end()

	end = r.phase("Apply")
	r.applyAll(ctx, plans, hyd)
	end()

	for i, img := range images {
		img.Results = append(img.Results, collect(plans, i)...)
		sort.SliceStable(img.Results, func(a, b int) bool {
			return strings.ToLower(img.Results[a].Repository) < strings.ToLower(img.Results[b].Repository)
		})
	}
	if len(unsearched) > 0 {
		rep.Images = append(rep.Images, unsearched...)
		sort.SliceStable(rep.Images, func(i, j int) bool { return rep.Images[i].Image < rep.Images[j].Image })
	}
	return rep, nil
}

type runner struct {
	c    Client
	opts Options
	log  *slog.Logger
	// engines holds the rewrite engine compiled for each target, or the
	// error that stopped it.
	engines []engine
	// notes are notes on images, by image, for their reports.
	notes map[string][]string
}

type engine struct {
	rw  *dockerfile.Rewriter
	err error
}

func (r *runner) phase(name string) func() {
	r.log.Info("phase", "name", name)
	if r.opts.Phase != nil {
		return r.opts.Phase(name)
	}
	return func() {}
}

// store records the target (parent, child) or reads every target (all).
// Store entries whose image is not a valid name are returned as reports
// of images that were not searched.
func (r *runner) store(ctx context.Context, st Store, rep *Report) ([]Target, []*ImageReport, error) {
	if r.opts.Mode != ModeAll && r.opts.Mode != ModeReport {
		t := r.opts.Target
		if st == nil {
			return []Target{t}, nil, nil
		}
		defer r.phase("Store")()
		if r.opts.DryRun {
			// Read it anyway: an invalid store stops a dry run too.
			if _, _, _, err := st.Load(ctx); err != nil {
				return nil, nil, fmt.Errorf("%w: %w", ErrStore, err)
			}
			rep.Notes = append(rep.Notes, fmt.Sprintf("would record %s in the store", t.Ref()))
			return []Target{t}, nil, nil
		}
		changed, err := st.Set(ctx, t.Image, t.Tag, t.Digest)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: recording %s: %w", ErrStore, t.Ref(), err)
		}
		if changed {
			rep.Notes = append(rep.Notes, fmt.Sprintf("recorded %s in the store", t.Ref()))
		} else {
			rep.Notes = append(rep.Notes, fmt.Sprintf("the store already had %s", t.Ref()))
		}
		r.log.Info("store", "image", t.Image.String(), "tag", t.Tag, "changed", changed)
		return []Target{t}, nil, nil
	}
	defer r.phase("Store")()
	images, invalid, digests, err := st.Load(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	var ts []Target
	var unsearched []*ImageReport
	skip := func(key, tag, why string) {
		unsearched = append(unsearched, &ImageReport{Image: key, Tag: tag, Notes: []string{"not searched: " + why}})
		r.log.Warn("store entry not searched", "image", key, "reason", why)
	}
	for _, key := range slices.Sorted(maps.Keys(invalid)) {
		skip(key, "", invalid[key])
	}
	for _, key := range slices.Sorted(maps.Keys(images)) {
		name, err := imageref.Parse(key)
		switch tag := images[key]; {
		case err != nil:
			skip(key, tag, err.Error())
		case !imageref.ValidTag(tag):
			skip(key, tag, fmt.Sprintf("tag %q is not a valid tag", tag))
		case gitref.CheckBranch(r.branch(Target{Image: name})) != nil:
			skip(key, tag, fmt.Sprintf("branch %q is not a valid branch name: %v", r.branch(Target{Image: name}), gitref.CheckBranch(r.branch(Target{Image: name}))))
		default:
			ts = append(ts, Target{Image: name, Tag: tag, Digest: digests[key+":"+tag]})
		}
	}
	sort.Slice(unsearched, func(i, j int) bool { return unsearched[i].Image < unsearched[j].Image })
	if len(images)+len(invalid) == 0 {
		rep.Notes = append(rep.Notes, "the store holds no images")
	}
	r.log.Info("store", "images", len(images))
	return ts, unsearched, nil
}

// candidate is one repository to read and the files to read in it.
type candidate struct {
	owner, name string
	paths       map[string]bool
	// images says which targets (by index) found the repository; the
	// repository is planned for each of them.
	images map[int]bool
	// excluded holds the reason a repository is not read at all; glob
	// is the exclude-repos glob that matched.
	excluded, glob string
}

func (c *candidate) fullName() string { return c.owner + "/" + c.name }

func repoKey(owner, name string) string { return strings.ToLower(owner + "/" + name) }

func (r *runner) kindEnabled(path string) bool {
	k := dockerfile.KindOf(path)
	for _, e := range r.opts.Kinds {
		if k == e {
			return true
		}
	}
	return false
}

func (r *runner) excluded(fullName string) bool {
	return MatchAny(r.opts.ExcludeRepos, fullName)
}

// MatchAny reports whether any of the lower-case globs matches fullName,
// case-insensitively.
func MatchAny(globs []string, fullName string) bool {
	return MatchingGlob(globs, fullName) != ""
}

// MatchingGlob returns the first of the lower-case globs that matches
// fullName, case-insensitively, or "".
func MatchingGlob(globs []string, fullName string) string {
	fullName = strings.ToLower(fullName)
	for _, g := range globs {
		if ok, _ := path.Match(g, fullName); ok {
			return g
		}
	}
	return ""
}

// discover runs one code search per target and groups the hits by
// repository.
func (r *runner) discover(ctx context.Context, targets []Target) (map[string]*candidate, []*ImageReport, error) {
	cands := map[string]*candidate{}
	images := make([]*ImageReport, len(targets))
	for i, t := range targets {
		img := &ImageReport{Image: t.Image.String(), Tag: t.Tag, Digest: t.Digest, Complete: true, Notes: r.notes[t.Image.String()]}
		images[i] = img
		res, err := r.c.SearchCode(ctx, gh.CodeQuery{Terms: SearchTerms(t.Image), Qualifiers: Qualifiers(r.opts.Kinds), Orgs: r.opts.Orgs})
		if err != nil {
			return nil, nil, fmt.Errorf("searching for %s: %w", t.Image, err)
		}
		img.Complete = res.Complete
		img.Notes = append(img.Notes, res.Notes...)
		if !res.Complete {
			r.log.Warn("search coverage is incomplete", "image", t.Image.String(), "notes", strings.Join(res.Notes, "; "))
		}
		hits := 0
		for _, h := range res.Hits {
			if !r.kindEnabled(h.Path) {
				continue
			}
			hits++
			key := repoKey(h.Owner, h.Name)
			c := cands[key]
			if c == nil {
				c = &candidate{owner: h.Owner, name: h.Name, paths: map[string]bool{}, images: map[int]bool{}}
				if g := MatchingGlob(r.opts.ExcludeRepos, c.fullName()); g != "" {
					c.excluded = "excluded by exclude-repos"
					c.glob = g
				}
				cands[key] = c
			}
			c.paths[h.Path] = true
			c.images[i] = true
		}
		r.log.Info("discovered", "image", t.Image.String(), "files", hits, "search_requests", res.Requests, "complete", res.Complete)
	}
	return cands, images, nil
}

// discoverChild lists the one repository's files from its tree.
func (r *runner) discoverChild(ctx context.Context, t Target) (map[string]*candidate, []*ImageReport, error) {
	img := &ImageReport{Image: t.Image.String(), Tag: t.Tag, Digest: t.Digest, Complete: true}
	owner, name, _ := strings.Cut(r.opts.Repository, "/")
	c := &candidate{owner: owner, name: name, paths: map[string]bool{}, images: map[int]bool{0: true}}
	cands := map[string]*candidate{repoKey(owner, name): c}
	if r.excluded(c.fullName()) {
		c.excluded = "excluded by exclude-repos"
		return cands, []*ImageReport{img}, nil
	}
	hyd, err := r.c.Hydrate(ctx, []gh.RepoRequest{{Owner: owner, Name: name}}, nil, nil, r.opts.BatchSize)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", r.opts.Repository, err)
	}
	repo := hyd.Repos[repoKey(owner, name)]
	if repo == nil || repo.Err != nil || repo.Empty || repo.DefaultBranch == "" {
		// Hydrate reports the problem again with the files.
		return cands, []*ImageReport{img}, nil
	}
	entries, truncated, err := r.c.ListFiles(ctx, repo.Owner, repo.Name, repo.DefaultBranch)
	if err != nil {
		return nil, nil, fmt.Errorf("listing the files of %s: %w", r.opts.Repository, err)
	}
	if truncated {
		img.Complete = false
		img.Notes = append(img.Notes, fmt.Sprintf("the file tree of %s is too large to list in full; files past GitHub's limit were not seen", r.opts.Repository))
	}
	for _, e := range entries {
		if e.Size <= dockerfile.MaxSize && r.kindEnabled(e.Path) {
			c.paths[e.Path] = true
		}
	}
	return cands, []*ImageReport{img}, nil
}

// hydrate reads every candidate repository once, with the union of the
// paths found for any image and one branch per image.
func (r *runner) hydrate(ctx context.Context, cands map[string]*candidate, targets []Target) (*gh.HydrateResult, error) {
	keys := slices.Sorted(maps.Keys(cands))
	var reqs []gh.RepoRequest
	owners := map[string]bool{}
	for _, k := range keys {
		c := cands[k]
		if c.excluded != "" && r.opts.Mode != ModeReport {
			continue // report mode reads them: their references are opt-outs to audit
		}
		reqs = append(reqs, r.request(c, targets))
		owners[strings.ToLower(c.owner)] = true
	}
	if len(reqs) == 0 {
		return &gh.HydrateResult{Repos: map[string]*gh.Repo{}}, nil
	}
	users := union(r.opts.Reviewers, r.opts.Assignees)
	var teams []string
	for _, t := range r.opts.TeamReviewers {
		if strings.Contains(t, "/") {
			teams = append(teams, t)
			continue
		}
		for _, o := range slices.Sorted(maps.Keys(owners)) {
			teams = append(teams, o+"/"+t)
		}
	}
	hyd, err := r.c.Hydrate(ctx, reqs, users, teams, r.opts.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("reading %d repositories: %w", len(reqs), err)
	}
	r.log.Info("hydrated", "repositories", len(reqs), "graphql_requests", hyd.Requests)
	return hyd, nil
}

// request is what Hydrate reads of a candidate: its paths, our branch for
// each image that found it, and the labels.
func (r *runner) request(c *candidate, targets []Target) gh.RepoRequest {
	req := gh.RepoRequest{Owner: c.owner, Name: c.name, Labels: r.opts.Labels, PRStatus: r.opts.Mode == ModeReport}
	for p := range c.paths {
		req.Paths = append(req.Paths, p)
	}
	sort.Strings(req.Paths)
	for i := range c.images {
		req.Branches = append(req.Branches, r.branch(targets[i]))
	}
	sort.Strings(req.Branches)
	return req
}

func (r *runner) branch(t Target) string { return r.opts.BranchPrefix + "/" + Slug(t.Image) }

func union(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if k := strings.ToLower(s); !seen[k] {
				seen[k] = true
				out = append(out, s)
			}
		}
	}
	return out
}
