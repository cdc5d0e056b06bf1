package update

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/scanindex"
)

// Discovery is how parent and all mode find the files that use an image.
type Discovery string

// The discovery methods.
const (
	// DiscoverAuto searches in parent mode, and scans when the search is
	// incomplete, capped or fails; all mode scans.
	DiscoverAuto Discovery = "auto"
	// DiscoverSearch uses code search only: fast, but blind to what
	// GitHub's index leaves out (see searchBlindSpots).
	DiscoverSearch Discovery = "search"
	// DiscoverScan lists every repository and its tree.
	DiscoverScan Discovery = "scan"
)

// ScanIndex is the scan's cache (package scanindex): each repository's
// head, candidate files and settled images as of the last scan.
type ScanIndex interface {
	Load(ctx context.Context) (scanindex.Index, error)
	Save(ctx context.Context, owners []string, idx scanindex.Index) error
	// Repository is "owner/name" of the repository holding the index.
	// Writing the index moves its head, so it is never indexed (its tree
	// is read on every scan): otherwise every run would write again.
	Repository() string
}

// searchBlindSpots is what code search cannot see, whatever it answers
// (GitHub's legacy code-search considerations; FACTS.md §1).
const searchBlindSpots = "code search does not see repositories without a push for a year, forks with fewer stars than their parent, files of 384 KB or more, or more than 4,000 repositories per query; discovery: scan sees them"

// searchRepoCap is how many repositories one code search considers.
const searchRepoCap = 4000

// scanParallel caps tree listings in flight (the transport paces them).
const scanParallel = 8

// maxUnseen bounds the examples a coverage lists; the rest are counted.
const maxUnseen = 20

// OrgCoverage says what discovery saw of one organisation (or user): the
// coverage output has one per org.
type OrgCoverage struct {
	Org    string `json:"org"`
	Method string `json:"method"` // "search" or "scan"
	// Listed is the repositories in the listing (scan).
	Listed int `json:"repositories_listed"`
	// Searched is the repositories code search found files in (search).
	Searched int `json:"repositories_searched"`
	// Scanned is the repositories whose tree was read (scan); Unchanged
	// those whose head was as in the scan index, so their tree was not.
	Scanned   int `json:"repositories_scanned"`
	Unchanged int `json:"repositories_unchanged"`
	// NotScanned counts listed repositories left alone, by reason.
	NotScanned map[string]int `json:"repositories_not_scanned"`
	FilesRead  int            `json:"files_read"`
	// FilesSkipped counts candidate files not read, by reason: "too
	// large", "binary or not UTF-8" (GitHub gives no text for either),
	// "not UTF-8".
	FilesSkipped map[string]int `json:"files_skipped"`
	// Unseen says what could not be seen and why (the first few cases, then
	// a count); Complete is true only when it is empty.
	Unseen   []string `json:"unseen"`
	Complete bool     `json:"complete"`

	more int // unseen cases past maxUnseen
}

func newCoverage(org, method string) *OrgCoverage {
	return &OrgCoverage{Org: org, Method: method, NotScanned: map[string]int{}, FilesSkipped: map[string]int{}, Unseen: []string{}, Complete: true}
}

func (c *OrgCoverage) unseen(format string, args ...any) {
	c.Complete = false
	if len(c.Unseen) < maxUnseen {
		c.Unseen = append(c.Unseen, fmt.Sprintf(format, args...))
		return
	}
	c.more++
}

func (c *OrgCoverage) finish() {
	if c.more > 0 {
		c.Unseen = append(c.Unseen, fmt.Sprintf("and %d more", c.more))
		c.more = 0
	}
}

// skipFile counts a candidate file that was not read and says whether it
// was; a skipped file may reference the image, so coverage is incomplete.
func (c *OrgCoverage) skipFile(repo, path string, f *gh.File) bool {
	reason := ""
	switch {
	case f.Truncated || f.Size > dockerfile.MaxSize:
		reason = fmt.Sprintf("too large (%d bytes)", f.Size)
		c.FilesSkipped["too large"]++
	case f.Binary:
		reason = "binary or not UTF-8"
		c.FilesSkipped[reason]++
	case !utf8.ValidString(f.Text):
		reason = "not UTF-8"
		c.FilesSkipped[reason]++
	default:
		c.FilesRead++
		return false
	}
	c.unseen("%s: %s not read: %s", repo, path, reason)
	return true
}

// scanState carries what the scan learnt to the end of the run, where the
// settled images are recorded and the index saved.
type scanState struct {
	index  scanindex.Index
	owners []string // orgs listed in full: their index entries are replaced
	rules  string
}

// rules fingerprints the options a settled image depends on.
func (r *runner) rules() string {
	tf := ""
	if r.opts.TagFilter != nil {
		tf = r.opts.TagFilter.String()
	}
	return fmt.Sprintf("kinds=%v ignore=%q filter=%q downgrade=%v", r.opts.Kinds, r.opts.IgnoreComment, tf, r.opts.AllowDowngrade)
}

// discoverOrgs finds the files of parent and all mode by the configured
// method: search, scan, or auto (search in parent mode, falling back to a
// scan when the search is incomplete, capped or fails; scan in all mode).
func (r *runner) discoverOrgs(ctx context.Context, targets []Target, rep *Report) (map[string]*candidate, []*ImageReport, error) {
	method := r.opts.Discovery
	if method == "" {
		method = DiscoverAuto
	}
	if method == DiscoverScan || method == DiscoverAuto && r.opts.Mode == ModeAll {
		return r.scan(ctx, targets, rep)
	}
	var cands map[string]*candidate
	var images []*ImageReport
	var covs []*OrgCoverage
	var err error
	if r.planDiscovery(targets, rep) {
		cands, images, covs, err = r.discoverShared(ctx, targets)
	} else {
		cands, images, covs, err = r.discover(ctx, targets)
	}
	if method == DiscoverSearch {
		rep.Coverage = covs
		return cands, images, err
	}
	why := ""
	switch {
	case err != nil:
		why = err.Error()
	default:
		for _, img := range images {
			if !img.Complete {
				why = fmt.Sprintf("the search for %s was incomplete", img.Image)
				break
			}
		}
	}
	if why == "" {
		for _, org := range r.opts.Orgs {
			n, err := r.c.CountRepos(ctx, org)
			if err != nil {
				why = err.Error()
				break
			}
			if n > searchRepoCap {
				why = fmt.Sprintf("%s has %d repositories, more than code search's %d per query", org, n, searchRepoCap)
				break
			}
		}
	}
	if why == "" {
		rep.Coverage = covs
		return cands, images, nil
	}
	r.log.Warn("falling back to a scan", "reason", why)
	rep.Notes = append(rep.Notes, fmt.Sprintf("discovery: scanned every repository because code search could not be trusted: %s", why))
	return r.scan(ctx, targets, rep)
}

// scan lists every repository of the orgs and the candidate files in each
// tree at its default branch head (from the index when the head has not
// moved), reads the files of repositories not settled for an image, and
// keeps as candidates the repositories whose files hold every search term
// of an image: the terms code search itself requires.
func (r *runner) scan(ctx context.Context, targets []Target, rep *Report) (map[string]*candidate, []*ImageReport, error) {
	images := make([]*ImageReport, len(targets))
	for i, t := range targets {
		images[i] = r.imageReport(t)
	}
	old := scanindex.Index{}
	if r.opts.Index != nil {
		idx, err := r.opts.Index.Load(ctx)
		if err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("the scan index was not used, so every tree was read: %v", err))
			r.log.Warn("scan index not used", "error", err)
		} else {
			old = idx
		}
	}
	st := &scanState{index: scanindex.Index{}, rules: r.rules()}
	r.scanned = st
	holder := ""
	if r.opts.Index != nil {
		holder = strings.ToLower(r.opts.Index.Repository())
	}

	type scanRepo struct {
		info      gh.RepoInfo
		key       string
		cov       *OrgCoverage
		files     []scanindex.File
		cached    bool
		volatile  bool // holds the index: read every time, never indexed
		err       error
		truncated bool
	}
	var repos []*scanRepo
	for _, org := range r.opts.Orgs {
		cov := newCoverage(org, "scan")
		rep.Coverage = append(rep.Coverage, cov)
		l, err := r.c.ListRepos(ctx, org)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, fmt.Errorf("listing the repositories of %s: %w", org, ctx.Err())
			}
			cov.unseen("the repositories could not be listed: %v", err)
			continue
		}
		st.owners = append(st.owners, org)
		cov.Listed = len(l.Repos)
		for _, info := range l.Repos {
			full := info.Owner + "/" + info.Name
			reason := ""
			switch {
			case info.HeadOID == "":
				reason = "empty"
			case r.excluded(full):
				reason = "excluded by exclude-repos"
			case info.Archived:
				reason = "archived"
			case info.Disabled:
				reason = "disabled"
			case info.Fork && !r.opts.IncludeForks:
				reason = "fork (include-forks is false)"
			}
			if reason != "" {
				cov.NotScanned[reason]++
				continue
			}
			sr := &scanRepo{info: info, key: repoKey(info.Owner, info.Name), cov: cov}
			if sr.key == holder {
				sr.volatile = true
			} else if e, ok := old[sr.key]; ok && e.Head == info.HeadOID {
				sr.files, sr.cached = e.Files, true
				cov.Unchanged++
				if e.Rules == st.rules {
					st.index[sr.key] = e
				} else {
					st.index[sr.key] = scanindex.Entry{Head: e.Head, Files: e.Files}
				}
			}
			repos = append(repos, sr)
		}
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(scanParallel)
	for _, sr := range repos {
		if sr.cached {
			continue
		}
		g.Go(func() error {
			entries, truncated, err := r.c.ListFiles(gctx, sr.info.Owner, sr.info.Name, sr.info.HeadOID)
			sr.err, sr.truncated = err, truncated
			for _, e := range entries {
				if dockerfile.KindOf(e.Path) != dockerfile.KindUnknown {
					sr.files = append(sr.files, scanindex.File{Path: e.Path, Size: e.Size})
				}
			}
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("scanning: %w", err)
	}

	// Which repositories need reading, for which images.
	var reqs []gh.RepoRequest
	need := map[string][]int{}
	byKey := map[string]*scanRepo{}
	for _, sr := range repos {
		full := sr.info.Owner + "/" + sr.info.Name
		if !sr.cached {
			sr.cov.Scanned++
			if sr.err != nil {
				sr.cov.unseen("%s: the tree could not be read: %v", full, sr.err)
				continue
			}
			switch {
			case sr.truncated:
				sr.cov.unseen("%s: the tree is too large to list in full, even by subtree", full)
			case sr.volatile:
			default:
				st.index[sr.key] = scanindex.Entry{Head: sr.info.HeadOID, Files: sr.files}
			}
		}
		var paths []string
		for _, f := range sr.files {
			if !r.kindEnabled(f.Path) {
				continue
			}
			if f.Size > dockerfile.MaxSize {
				sr.cov.FilesSkipped["too large"]++
				sr.cov.unseen("%s: %s not read: too large (%d bytes, over %d)", full, f.Path, f.Size, dockerfile.MaxSize)
				continue
			}
			paths = append(paths, f.Path)
		}
		if len(paths) == 0 {
			continue
		}
		var tis []int
		for ti, t := range targets {
			if v, ok := st.index[sr.key].Checked[t.Image.String()]; ok && (v == "" || v == settledRef(t)) {
				continue
			}
			tis = append(tis, ti)
		}
		if len(tis) == 0 {
			continue
		}
		need[sr.key], byKey[sr.key] = tis, sr
		reqs = append(reqs, gh.RepoRequest{Owner: sr.info.Owner, Name: sr.info.Name, Paths: paths})
	}

	cands := map[string]*candidate{}
	if len(reqs) > 0 {
		hyd, err := r.c.Hydrate(ctx, reqs, nil, nil, r.opts.BatchSize)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the files of %d repositories: %w", len(reqs), err)
		}
		terms := make([][]string, len(targets))
		for i, t := range targets {
			terms[i] = SearchTerms(t.Image)
		}
		for _, req := range reqs {
			key := repoKey(req.Owner, req.Name)
			sr := byKey[key]
			full := req.Owner + "/" + req.Name
			repo := hyd.Repos[key]
			if repo == nil || repo.Err != nil {
				err := errors.New("not read")
				if repo != nil {
					err = repo.Err
				}
				sr.cov.unseen("%s: the files could not be read: %v", full, err)
				continue
			}
			toks := map[string]bool{}
			readable := []string{}
			skipped := false
			for _, p := range req.Paths {
				f := repo.Files[p]
				if f == nil {
					continue // gone since the listing
				}
				if sr.cov.skipFile(full, p, f) {
					skipped = true
					continue
				}
				readable = append(readable, p)
				for _, tok := range tokenize(f.Text) {
					toks[tok] = true
				}
			}
			for _, ti := range need[key] {
				if !hasAll(toks, terms[ti]) {
					if !skipped {
						st.settle(key, targets[ti].Image.String(), "")
					}
					continue
				}
				c := cands[key]
				if c == nil {
					c = &candidate{owner: repo.Owner, name: repo.Name, paths: map[string]bool{}, images: map[int]bool{}}
					for _, p := range readable {
						c.paths[p] = true
					}
					cands[key] = c
				}
				c.images[ti] = true
			}
		}
	}
	complete := true
	for _, cov := range rep.Coverage {
		cov.finish()
		complete = complete && cov.Complete
	}
	for _, img := range images {
		img.Complete = complete
		if !complete {
			img.Notes = append(img.Notes, "the scan could not see every file: see the coverage")
		}
	}
	r.log.Info("scanned", "repositories", len(repos), "read", len(reqs), "candidates", len(cands))
	return cands, images, nil
}

// settle records that key has nothing to do for image at to ("" for no
// reference).
func (st *scanState) settle(key, image, to string) {
	e, ok := st.index[key]
	if !ok {
		return
	}
	if e.Checked == nil {
		e.Checked = map[string]string{}
	}
	e.Checked[image] = to
	e.Rules = st.rules
	st.index[key] = e
}

// saveIndex records the plans that settled an image and writes the index
// (not in a dry run). A failure is a note: the index is only a cache.
func (r *runner) saveIndex(ctx context.Context, plans []*plan, rep *Report) {
	st := r.scanned
	if st == nil || r.opts.Index == nil || r.opts.DryRun {
		return
	}
	for _, p := range plans {
		if p.settled {
			st.settle(repoKey(p.cand.owner, p.cand.name), p.target.Image.String(), p.settledTo)
		}
	}
	if err := r.opts.Index.Save(ctx, st.owners, st.index); err != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the scan index was not saved (the next scan reads every tree): %v", err))
		r.log.Warn("scan index not saved", "error", err)
	}
}

// tokenize splits text as legacy code search does: on white space and the
// characters it ignores, lower-cased.
func tokenize(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(searchSeparators, r)
	})
}

func hasAll(toks map[string]bool, terms []string) bool {
	for _, t := range terms {
		if !toks[strings.ToLower(t)] {
			return false
		}
	}
	return true
}

// settledRef is what an image's references are at when settled: the tags
// of every lineage, with @digest when the target has one.
func settledRef(t Target) string {
	ref := strings.Join(append([]string{t.Tag}, t.Also...), ",")
	if t.Digest != "" {
		ref += "@" + t.Digest
	}
	return ref
}
