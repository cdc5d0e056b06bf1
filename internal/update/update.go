// Package update is dfiu's pipeline: it records the wanted tag in the store,
// discovers the files that use an image (code search, a scan of every
// repository's tree, or one repository's tree in child mode), reads them in batches, plans each repository's
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
	"sync"
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
	ListRepos(ctx context.Context, owner string) (*gh.RepoListing, error)
	CountRepos(ctx context.Context, owner string) (int, error)
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

// Store is the image→tag store at one location. Load returns each image's
// tags, one per lineage (package store): the plain lineage's first when
// the store has one.
type Store interface {
	// Load returns each image's tags, one per lineage (package store), the
	// plain lineage's first when the store has one; the keys whose value
	// is not a tag at all, each with why; and the digests ("image:tag" →
	// digest, image spelled as in images).
	Load(ctx context.Context) (images map[string][]string, invalid, digests map[string]string, err error)
	// Set records tag for image, as the newest of its lineage, and digest
	// for image:tag when digest is not empty, in one write; it returns the
	// image's tags of every lineage after it.
	Set(ctx context.Context, image imageref.Name, tag, digest string) (changed bool, tags []string, err error)
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
	// Also are the newest tags of the image's other lineages in the store
	// (22-alpine beside 22): the proposal for the image moves their
	// references too, so one pull request carries every lineage.
	Also []string
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
	Discovery    Discovery         // parent and all mode; "" means DiscoverAuto
	Index        ScanIndex         // the scan's cache; nil: every scan reads every tree
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
	FloatingTags   dockerfile.FloatingTags // "" means skip

	// VerifyTag stops the run (in all mode, skips the image) when
	// Registry cannot find image:tag; ResolveDigest takes a target's
	// digest from Registry when none is given (in all mode, in place of
	// the store's). Both need Registry, and share its one lookup per image.
	VerifyTag, ResolveDigest bool
	Registry                 Resolver

	MaxPRs      int // 0: no limit
	MaxImages   int // all mode refuses a store with more images; 0: no limit
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

	if err := r.preflight(ctx, st, rep); err != nil {
		return nil, err
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
	switch {
	case opts.Mode == ModeChild:
		cands, images, err = r.discoverChild(ctx, targets[0])
	default:
		cands, images, err = r.discoverOrgs(ctx, targets, rep)
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

	r.countReads(rep.Coverage, cands, hyd)

	end = r.phase("Plan")
	r.compile(targets, cands)
	plans := r.planAll(targets, images, cands, hyd)
	end()

	end = r.phase("Apply")
	r.applyAll(ctx, plans, hyd)
	end()
	r.saveIndex(ctx, plans, rep)

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
	// engines holds, for each target, the rewrite engine compiled for
	// each of its tags (its own, then Also), or the error that stopped it.
	engines [][]engine
	// notes are notes on images, by image, for their reports.
	notes map[string][]string
	// refused holds, by lower-case "owner/name", the rule refusal that
	// stopped writes to a repository for the rest of the run.
	refused sync.Map
	// scanned is the scan's state, nil when discovery searched.
	scanned *scanState
}

type engine struct {
	rw  *dockerfile.Rewriter
	err error
	tag string
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
			stored, _, _, err := st.Load(ctx)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: %w", ErrStore, err)
			}
			rep.Notes = append(rep.Notes, fmt.Sprintf("would record %s in the store", t.Ref()))
			return []Target{r.withLineages(t, stored, rep)}, nil, nil
		}
		changed, tags, err := st.Set(ctx, t.Image, t.Tag, t.Digest)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: recording %s: %w", ErrStore, t.Ref(), err)
		}
		stored := map[string][]string{t.Image.String(): tags}
		newer := newerInLineage(stored, t)
		switch {
		case changed:
			rep.Notes = append(rep.Notes, fmt.Sprintf("recorded %s in the store", t.Ref()))
		case newer != "":
			rep.Notes = append(rep.Notes, fmt.Sprintf("the store keeps the newer %s:%s of this lineage; proposing %s as given", t.Image, newer, t.Tag))
		default:
			rep.Notes = append(rep.Notes, fmt.Sprintf("the store already had %s", t.Ref()))
		}
		t = r.withLineages(t, stored, rep)
		r.log.Info("store", "image", t.Image.String(), "tag", t.Tag, "changed", changed)
		return []Target{t}, nil, nil
	}
	defer r.phase("Store")()
	images, invalid, digests, err := st.Load(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	if n := len(images); r.opts.MaxImages > 0 && n > r.opts.MaxImages {
		return nil, nil, &InputError{Input: "max-images", Err: fmt.Errorf(
			"the store holds %d images, more than the %d allowed: a run over all of them could open up to %d pull requests per repository; raise max-images (0 means no limit) or split the store",
			n, r.opts.MaxImages, n)}
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
		var tags []string
		for _, tag := range images[key] {
			if imageref.ValidTag(tag) {
				tags = append(tags, tag)
			} else {
				skip(key, tag, fmt.Sprintf("tag %q is not a valid tag", tag))
			}
		}
		switch {
		case len(tags) == 0:
		case err != nil:
			skip(key, strings.Join(tags, ", "), err.Error())
		case gitref.CheckBranch(r.branch(Target{Image: name})) != nil:
			skip(key, strings.Join(tags, ", "), fmt.Sprintf("branch %q is not a valid branch name: %v", r.branch(Target{Image: name}), gitref.CheckBranch(r.branch(Target{Image: name}))))
		default:
			ts = append(ts, r.withLineages(Target{Image: name, Tag: tags[0], Digest: digests[key+":"+tags[0]]}, map[string][]string{key: tags}, rep))
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
	// tooLarge holds candidate files over dockerfile.MaxSize, by path, with
	// their sizes: listed but not read.
	tooLarge map[string]int
}

// tooLargeNotes describes c's files too large to read, in path order.
func (c *candidate) tooLargeNotes() []string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(c.tooLarge)) {
		out = append(out, fmt.Sprintf("%s: too large to read (%d bytes, over %d)", p, c.tooLarge[p], dockerfile.MaxSize))
	}
	return out
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

// exclude marks c excluded when an exclude-repos glob matches it, and says
// whether one did.
func (r *runner) exclude(c *candidate) bool {
	if c.glob = MatchingGlob(r.opts.ExcludeRepos, c.fullName()); c.glob != "" {
		c.excluded = "excluded by exclude-repos"
	}
	return c.glob != ""
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
// repository. Its coverage is never complete: code search has blind spots
// no answer reveals.
func (r *runner) discover(ctx context.Context, targets []Target) (map[string]*candidate, []*ImageReport, []*OrgCoverage, error) {
	cands := map[string]*candidate{}
	images := make([]*ImageReport, len(targets))
	covs, byOrg := r.searchCoverage()
	for i, t := range targets {
		img := r.imageReport(t)
		images[i] = img
		res, err := r.c.SearchCode(ctx, gh.CodeQuery{Terms: SearchTerms(t.Image), Qualifiers: Qualifiers(r.opts.Kinds), Orgs: r.opts.Orgs})
		if err != nil {
			return nil, nil, covs, fmt.Errorf("searching for %s: %w", t.Image, err)
		}
		img.Complete = res.Complete
		img.Notes = append(img.Notes, res.Notes...)
		img.FailedOrgs = res.FailedOrgs
		if !res.Complete {
			for _, cov := range covs {
				for _, n := range res.Notes {
					cov.unseen("%s", n)
				}
			}
		}
		if !res.Complete {
			r.log.Warn("search coverage is incomplete", "image", t.Image.String(), "notes", strings.Join(res.Notes, "; "))
		}
		hits := 0
		for _, h := range res.Hits {
			if !r.kindEnabled(h.Path) {
				continue
			}
			hits++
			c := r.addHit(cands, h)
			if c.images[i] = true; len(c.images) == 1 && len(c.paths) == 1 {
				if cov := byOrg[strings.ToLower(h.Owner)]; cov != nil {
					cov.Searched++
				}
			}
		}
		r.log.Info("discovered", "image", t.Image.String(), "files", hits, "search_requests", res.Requests, "complete", res.Complete)
	}
	for _, cov := range covs {
		cov.finish()
	}
	return cands, images, covs, nil
}

// countReads adds the files read and skipped to a search's coverage (a
// scan counts them as it reads).
func (r *runner) countReads(covs []*OrgCoverage, cands map[string]*candidate, hyd *gh.HydrateResult) {
	if r.scanned != nil || len(covs) == 0 {
		return
	}
	byOrg := map[string]*OrgCoverage{}
	for _, cov := range covs {
		byOrg[strings.ToLower(cov.Org)] = cov
	}
	for _, key := range slices.Sorted(maps.Keys(cands)) {
		c := cands[key]
		cov, repo := byOrg[strings.ToLower(c.owner)], hyd.Repos[key]
		if cov == nil || repo == nil || repo.Err != nil {
			continue
		}
		for _, p := range slices.Sorted(maps.Keys(c.paths)) {
			if f := repo.Files[p]; f != nil {
				cov.skipFile(c.fullName(), p, f)
			}
		}
		cov.finish()
	}
}

// searchCoverage starts a search's coverage of each org, by position and
// by lower-case org; it is never complete (searchBlindSpots).
func (r *runner) searchCoverage() ([]*OrgCoverage, map[string]*OrgCoverage) {
	covs := make([]*OrgCoverage, len(r.opts.Orgs))
	byOrg := map[string]*OrgCoverage{}
	for i, org := range r.opts.Orgs {
		covs[i] = newCoverage(org, "search")
		covs[i].unseen("%s", searchBlindSpots)
		byOrg[strings.ToLower(org)] = covs[i]
	}
	return covs, byOrg
}

// imageReport is the report of target t before discovery: complete until
// discovery says otherwise, with the notes the registry left for it.
func (r *runner) imageReport(t Target) *ImageReport {
	return &ImageReport{Image: t.Image.String(), Tag: t.Tag, Digest: t.Digest, Also: t.Also, Complete: true,
		Notes: slices.Clone(r.notes[t.Image.String()])}
}

// addHit records hit h in cands and returns its repository's candidate.
func (r *runner) addHit(cands map[string]*candidate, h gh.CodeHit) *candidate {
	key := repoKey(h.Owner, h.Name)
	c := cands[key]
	if c == nil {
		c = &candidate{owner: h.Owner, name: h.Name, paths: map[string]bool{}, images: map[int]bool{}}
		r.exclude(c)
		cands[key] = c
	}
	c.paths[h.Path] = true
	return c
}

// discoverChild lists the one repository's files from its tree.
func (r *runner) discoverChild(ctx context.Context, t Target) (map[string]*candidate, []*ImageReport, error) {
	img := &ImageReport{Image: t.Image.String(), Tag: t.Tag, Digest: t.Digest, Also: t.Also, Complete: true}
	owner, name, _ := strings.Cut(r.opts.Repository, "/")
	c := &candidate{owner: owner, name: name, paths: map[string]bool{}, images: map[int]bool{0: true}}
	cands := map[string]*candidate{repoKey(owner, name): c}
	if r.exclude(c) {
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
		if !r.kindEnabled(e.Path) {
			continue
		}
		if e.Size > dockerfile.MaxSize {
			if c.tooLarge == nil {
				c.tooLarge = map[string]int{}
			}
			c.tooLarge[e.Path] = e.Size
			continue
		}
		c.paths[e.Path] = true
	}
	if len(c.tooLarge) > 0 {
		img.Complete = false
		img.Notes = append(img.Notes, c.tooLargeNotes()...)
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
