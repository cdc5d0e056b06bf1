package update

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/imageref"
)

// fakeRepo is one repository of the fake GitHub.
type fakeRepo struct {
	owner, name string
	archived    bool
	fork        bool
	perm        string
	files       map[string]string
	branches    map[string]*fakeBranch
	labels      map[string]string
	autoMerge   bool
	proposeErr  error // returned by every Propose
	staleOnce   bool  // the first Propose gives ErrBranchMoved
	lostOnce    bool  // the first Propose is applied but gives ErrOutcomeUnknown
	// limitedOnce: the first Propose makes the commit but GitHub refuses
	// its pull-request step as submitted too quickly (ErrContentLimited).
	limitedOnce bool
	// retitleLimitedOnce: the first UpdatePR is refused as submitted too
	// quickly.
	retitleLimitedOnce bool
	nextPR             int
}

type fakeBranch struct {
	files  map[string]string
	author string
	head   string
	pr     *gh.PullRequest
	closed *gh.PullRequest // the latest closed, unmerged pull request
}

// fake is an in-memory GitHub for the pipeline. It fails the test on a
// call it does not expect (writes in a dry run, a Propose on a repository
// it does not know).
type fake struct {
	t      *testing.T
	mu     sync.Mutex
	repos  map[string]*fakeRepo
	viewer string
	users  map[string]string

	searches, hydrates, proposes, retitles, decorates, opens, listings int
	decorations                                                        []gh.Decoration
	proposed                                                           []gh.ProposeInput
	noWrites                                                           bool
}

func newFake(t *testing.T, repos ...*fakeRepo) *fake {
	f := &fake{t: t, repos: map[string]*fakeRepo{}, viewer: "dfiu-bot", users: map[string]string{"alice": "U_alice"}}
	for _, r := range repos {
		if r.perm == "" {
			r.perm = "WRITE"
		}
		if r.branches == nil {
			r.branches = map[string]*fakeBranch{}
		}
		f.repos[strings.ToLower(r.owner+"/"+r.name)] = r
	}
	return f
}

func (f *fake) SearchCode(ctx context.Context, q gh.CodeQuery) (*gh.SearchResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.searches++
	res := &gh.SearchResult{Complete: true, Requests: len(q.Qualifiers) * len(q.Orgs)}
	keys := make([]string, 0, len(f.repos))
	for k := range f.repos {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := f.repos[k]
		for path, text := range r.files {
			ok := true
			for _, term := range q.Terms {
				if !strings.Contains(strings.ToLower(text), strings.ToLower(term)) {
					ok = false
				}
			}
			if ok {
				res.Hits = append(res.Hits, gh.CodeHit{Owner: r.owner, Name: r.name, Path: path})
			}
		}
	}
	return res, nil
}

func (f *fake) Hydrate(ctx context.Context, reqs []gh.RepoRequest, users, teams []string, batchSize int) (*gh.HydrateResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hydrates++
	out := &gh.HydrateResult{Viewer: f.viewer, Repos: map[string]*gh.Repo{}, Users: map[string]string{}, Teams: map[string]string{}}
	for _, u := range users {
		if id, ok := f.users[u]; ok {
			out.Users[u] = id
		}
	}
	for _, req := range reqs {
		key := strings.ToLower(req.Owner + "/" + req.Name)
		r := f.repos[key]
		if r == nil {
			out.Repos[key] = &gh.Repo{Owner: req.Owner, Name: req.Name, Err: fmt.Errorf("repository %s: %w", key, gh.ErrNotFound)}
			continue
		}
		repo := &gh.Repo{
			Owner: r.owner, Name: r.name, ID: "R_" + r.name, Archived: r.archived, Fork: r.fork,
			ViewerPermission: r.perm, DefaultBranch: "main", HeadOID: "base-" + r.name, AutoMergeAllowed: r.autoMerge,
			Files: map[string]*gh.File{}, Branches: map[string]*gh.Branch{}, Labels: map[string]string{},
		}
		for _, p := range req.Paths {
			if text, ok := r.files[p]; ok {
				repo.Files[p] = &gh.File{Text: text}
			} else {
				repo.Files[p] = nil
			}
		}
		for _, b := range req.Branches {
			br := r.branches[b]
			if br == nil {
				repo.Branches[b] = nil
				continue
			}
			gb := &gh.Branch{RefID: "REF_" + b, HeadOID: br.head, HeadAuthor: br.author, Files: map[string]*gh.File{}, PR: br.pr, ClosedPR: br.closed}
			for _, p := range req.Paths {
				if text, ok := br.files[p]; ok {
					gb.Files[p] = &gh.File{Text: text}
				} else {
					gb.Files[p] = nil
				}
			}
			repo.Branches[b] = gb
		}
		for _, l := range req.Labels {
			if id, ok := r.labels[l]; ok {
				repo.Labels[l] = id
			}
		}
		out.Repos[key] = repo
	}
	out.Requests = 1
	return out, nil
}

func (f *fake) ListFiles(ctx context.Context, owner, repo, ref string) ([]gh.TreeEntry, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil {
		return nil, false, gh.ErrNotFound
	}
	var es []gh.TreeEntry
	for p, text := range r.files {
		es = append(es, gh.TreeEntry{Path: p, Size: len(text)})
	}
	es = append(es, gh.TreeEntry{Path: "README.md", Size: 10})
	return es, false, nil
}

func (f *fake) ListRepos(ctx context.Context, owner string) (*gh.RepoListing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listings++
	out := &gh.RepoListing{Requests: 1}
	for _, k := range sortedKeys(f.repos) {
		r := f.repos[k]
		if strings.EqualFold(r.owner, owner) {
			out.Repos = append(out.Repos, gh.RepoInfo{Owner: r.owner, Name: r.name, Archived: r.archived, Fork: r.fork,
				ViewerPermission: r.perm, DefaultBranch: "main", HeadOID: "base-" + r.name})
		}
	}
	out.Total = len(out.Repos)
	return out, nil
}

func (f *fake) CountRepos(ctx context.Context, owner string) (int, error) {
	l, err := f.ListRepos(ctx, owner)
	if err != nil {
		return 0, err
	}
	return l.Total, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (f *fake) Propose(ctx context.Context, in gh.ProposeInput) (*gh.ProposeResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noWrites {
		f.t.Errorf("Propose(%s/%s) in a run that must not write", in.Owner, in.Name)
	}
	f.proposes++
	f.proposed = append(f.proposed, in)
	r := f.repos[strings.ToLower(in.Owner+"/"+in.Name)]
	if r == nil {
		f.t.Fatalf("Propose on unknown repository %s/%s", in.Owner, in.Name)
	}
	if r.proposeErr != nil {
		return nil, r.proposeErr
	}
	if r.staleOnce {
		r.staleOnce = false
		return nil, fmt.Errorf("committing: %w", gh.ErrBranchMoved)
	}
	br := r.branches[in.Branch]
	if (br == nil) != (in.BranchRefID == "") {
		f.t.Errorf("Propose(%s/%s) with BranchRefID %q for a branch that exists: %v", in.Owner, in.Name, in.BranchRefID, br != nil)
	}
	if br != nil && in.BranchHeadOID != br.head {
		f.t.Errorf("Propose(%s/%s) with BranchHeadOID %q, want the head read, %q", in.Owner, in.Name, in.BranchHeadOID, br.head)
	}
	if br == nil {
		br = &fakeBranch{}
		r.branches[in.Branch] = br
	}
	br.files = map[string]string{}
	for p, text := range r.files {
		br.files[p] = text
	}
	for p, content := range in.Files {
		br.files[p] = string(content)
	}
	br.author = f.viewer
	br.head = fmt.Sprintf("commit-%d", f.proposes)
	if r.limitedOnce {
		r.limitedOnce = false
		return nil, fmt.Errorf("createPullRequest: pr: was submitted too quickly (UNPROCESSABLE): %w", gh.ErrContentLimited)
	}
	created := false
	if br.pr == nil {
		r.nextPR++
		br.pr = &gh.PullRequest{ID: fmt.Sprintf("PR_%s_%d", r.name, r.nextPR), Number: r.nextPR, URL: fmt.Sprintf("https://github.test/%s/%s/pull/%d", r.owner, r.name, r.nextPR)}
		created = true
	}
	br.pr.Title, br.pr.Body = in.Title, in.Body
	if r.lostOnce {
		r.lostOnce = false
		return nil, fmt.Errorf("proposing: %w: 502 Bad Gateway", gh.ErrOutcomeUnknown)
	}
	return &gh.ProposeResult{CommitOID: br.head, PR: *br.pr, Created: created}, nil
}

func (f *fake) OpenPullRequest(ctx context.Context, in gh.ProposeInput) (*gh.ProposeResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noWrites {
		f.t.Errorf("OpenPullRequest(%s/%s) in a run that must not write", in.Owner, in.Name)
	}
	f.opens++
	r := f.repos[strings.ToLower(in.Owner+"/"+in.Name)]
	br := r.branches[in.Branch]
	if br == nil || br.pr != nil || in.BranchHeadOID != br.head {
		f.t.Fatalf("OpenPullRequest(%s/%s) on branch %+v with head %q", in.Owner, in.Name, br, in.BranchHeadOID)
	}
	r.nextPR++
	br.pr = &gh.PullRequest{ID: fmt.Sprintf("PR_%s_%d", r.name, r.nextPR), Number: r.nextPR, URL: fmt.Sprintf("https://github.test/%s/%s/pull/%d", r.owner, r.name, r.nextPR),
		Title: in.Title, Body: in.Body, HeadOID: br.head}
	return &gh.ProposeResult{CommitOID: br.head, PR: *br.pr, Created: true}, nil
}

func (f *fake) UpdatePR(ctx context.Context, prID, title, body string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noWrites {
		f.t.Errorf("UpdatePR(%s) in a run that must not write", prID)
	}
	f.retitles++
	for _, r := range f.repos {
		for _, b := range r.branches {
			if b.pr != nil && b.pr.ID == prID {
				if r.retitleLimitedOnce {
					r.retitleLimitedOnce = false
					return fmt.Errorf("pr: was submitted too quickly (UNPROCESSABLE): %w", gh.ErrContentLimited)
				}
				b.pr.Title, b.pr.Body = title, body
				return nil
			}
		}
	}
	f.t.Errorf("UpdatePR on unknown pull request %s", prID)
	return gh.ErrNotFound
}

func (f *fake) Decorate(ctx context.Context, d gh.Decoration) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noWrites {
		f.t.Errorf("Decorate in a run that must not write")
	}
	f.decorates++
	f.decorations = append(f.decorations, d)
	var notes []string
	if d.AutoMerge != "" {
		notes = append(notes, "auto-merge: Pull request is in clean status")
	}
	return notes, nil
}

func (f *fake) writes() int { return f.proposes + f.retitles + f.decorates + f.opens }

// fakeStore is an in-memory store: images holds one lineage of each
// image, lineages the others.
type fakeStore struct {
	mu       sync.Mutex
	images   map[string]string
	lineages map[string][]string
	invalid  map[string]string // key → why, as store.Load reports them
	digests  map[string]string // "image:tag" → digest
	err      error
	sets     int
}

func (s *fakeStore) Load(ctx context.Context) (images map[string][]string, invalid, digests map[string]string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, nil, nil, s.err
	}
	out := map[string][]string{}
	for k, v := range s.images {
		out[k] = []string{v}
	}
	for k, v := range s.lineages {
		out[k] = append(out[k], v...)
	}
	return out, maps.Clone(s.invalid), maps.Clone(s.digests), nil
}

func (s *fakeStore) Set(ctx context.Context, name imageref.Name, tag, digest string) (bool, []string, error) {
	image := name.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return false, nil, s.err
	}
	tags := func() []string {
		if cur, ok := s.images[image]; ok {
			return append([]string{cur}, s.lineages[image]...)
		}
		return s.lineages[image]
	}
	if s.images == nil {
		s.images = map[string]string{}
	}
	if s.digests == nil {
		s.digests = map[string]string{}
	}
	held := s.images[image] == tag || slices.Contains(s.lineages[image], tag)
	if held && (digest == "" || s.digests[image+":"+tag] == digest) {
		return false, tags(), nil
	}
	// The store keeps the newest tag of a lineage.
	for _, cur := range tags() {
		if c, ok := dockerfile.CompareTags(cur, tag); ok && c > 0 {
			return false, tags(), nil
		}
	}
	s.sets++
	if digest != "" {
		s.digests[image+":"+tag] = digest
	}
	if held {
		return true, tags(), nil
	}
	if cur, ok := s.images[image]; ok && !sameLineage(cur, tag) {
		for i, t := range s.lineages[image] {
			if sameLineage(t, tag) {
				s.lineages[image][i] = tag
				return true, tags(), nil
			}
		}
		if s.lineages == nil {
			s.lineages = map[string][]string{}
		}
		s.lineages[image] = append(s.lineages[image], tag)
		return true, tags(), nil
	}
	s.images[image] = tag
	return true, tags(), nil
}

var errInvalidJSON = errors.New(`store "acme/store/store.json": invalid JSON`)

func testOptions(t *testing.T, mode Mode, image, tag string) Options {
	t.Helper()
	ts, err := NewTemplates(DefaultPRTitle, DefaultPRBody, DefaultCommitMessage)
	if err != nil {
		t.Fatal(err)
	}
	var name imageref.Name
	if image != "" {
		name = imageref.MustParse(image)
	}
	return Options{
		Mode: mode, Target: Target{Image: name, Tag: tag}, Orgs: []string{"acme"},
		Kinds:        []dockerfile.Kind{dockerfile.KindDockerfile, dockerfile.KindCompose},
		BranchPrefix: "dfiu", Templates: ts, Concurrency: 4,
	}
}
