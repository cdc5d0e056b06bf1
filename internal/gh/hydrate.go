package gh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// DefaultBatchSize is the number of repositories per Hydrate query. GitHub
// terminates requests that take over 10 s; FACTS.md advises 25–50.
const DefaultBatchSize = 40

// hydrateParallel caps the Hydrate queries in flight. GitHub asks for
// GraphQL requests not to be made concurrently in bulk; a few at a time
// keep a large org's reads short without approaching the secondary limits.
const hydrateParallel = 4

// Hydrate reads the repositories in batches of batchSize (0 means
// DefaultBatchSize), one aliased GraphQL query per batch
// (https://docs.github.com/graphql/reference/objects#repository), halving
// a batch that times out (502, 504 or "Something went wrong") down to one
// repository, which the transport then retries with backoff; a batch
// answered RESOURCE_LIMITS_EXCEEDED is halved the same way. The viewer is
// read in the first query; users and teams ("org/slug") are resolved to
// node ids in queries of their own, whose failure only sets UsersErr or
// TeamsErr.
//
// A repository that could not be read gets Repo.Err (wrapping ErrNotFound
// when it does not exist or is not visible) and the others are still
// returned; a failed batch sets Err on each of its repositories. Hydrate
// itself fails only for bad input, a cancelled ctx, or when the viewer
// could not be read. Repos is keyed by the lower-case
// "owner/name" of the request; a repository asked for twice is read once,
// with the union of its paths, branches and labels.
func (c *Client) Hydrate(ctx context.Context, reqs []RepoRequest, users, teams []string, batchSize int) (*HydrateResult, error) {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	reqs, err := mergeRequests(reqs)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		if o, s, ok := strings.Cut(t, "/"); !ok || o == "" || s == "" || strings.Contains(s, "/") {
			return nil, fmt.Errorf("hydrate: team %q: want org/slug", t)
		}
	}
	for _, u := range users {
		if strings.TrimSpace(u) == "" {
			return nil, errors.New("hydrate: empty user login")
		}
	}
	h := &hydrator{c: c, res: &HydrateResult{
		Repos: make(map[string]*Repo, len(reqs)),
		Users: make(map[string]string),
		Teams: make(map[string]string),
	}}
	if len(reqs) == 0 && len(users) == 0 && len(teams) == 0 {
		return h.res, nil
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(hydrateParallel)
	var peopleErr error
	for start := 0; start < len(reqs) || start == 0; start += batchSize {
		batch := reqs[start:min(start+batchSize, len(reqs))]
		people := start == 0
		g.Go(func() error {
			err := h.batch(gctx, batch, people)
			if people && err != nil {
				peopleErr = err
			}
			return nil
		})
	}
	if len(users) > 0 {
		g.Go(func() error {
			h.res.UsersErr = h.lookup(gctx, users, nil)
			return nil
		})
	}
	if len(teams) > 0 {
		g.Go(func() error {
			h.res.TeamsErr = h.lookup(gctx, nil, teams)
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("hydrating %d repositories: %w", len(reqs), err)
	}
	if peopleErr != nil {
		return h.res, fmt.Errorf("hydrate: reading the viewer: %w", peopleErr)
	}
	return h.res, nil
}

// lookup resolves users or teams in a query of its own, so that a token
// that may not read teams (a classic token without read:org: the whole
// answer is INSUFFICIENT_SCOPES with data null; an App without "Members:
// read": FORBIDDEN on each team) costs the run nothing but those
// reviewers. The error says why they could not be read.
func (h *hydrator) lookup(ctx context.Context, users, teams []string) error {
	var b strings.Builder
	b.WriteString("query {\n")
	writePeople(&b, users, teams)
	b.WriteString("}\n")
	h.mu.Lock()
	h.res.Requests++
	h.mu.Unlock()
	ans, err := h.c.postGraphQL(ctx, b.String())
	if err != nil {
		return err
	}
	h.decodePeople(ans, users, teams)
	for _, e := range ans.Errors {
		if e.Type != "NOT_FOUND" {
			return e
		}
	}
	return nil
}

func writePeople(b *strings.Builder, users, teams []string) {
	for i, u := range users {
		fmt.Fprintf(b, "  u%d: user(login: %s) { id login }\n", i, quote(u))
	}
	for i, t := range teams {
		org, slug, _ := strings.Cut(t, "/")
		fmt.Fprintf(b, "  t%d: organization(login: %s) { team(slug: %s) { id } }\n", i, quote(org), quote(slug))
	}
}

// mergeRequests checks reqs and folds duplicates together.
func mergeRequests(reqs []RepoRequest) ([]RepoRequest, error) {
	idx := make(map[string]int, len(reqs))
	var out []RepoRequest
	for _, r := range reqs {
		if r.Owner == "" || r.Name == "" || strings.Contains(r.Owner, "/") || strings.Contains(r.Name, "/") {
			return nil, fmt.Errorf("hydrate: repository %q: want owner and name", r.Owner+"/"+r.Name)
		}
		for _, b := range r.Branches {
			if b == "" {
				return nil, fmt.Errorf("hydrate: repository %s/%s: empty branch name", r.Owner, r.Name)
			}
		}
		k := strings.ToLower(r.Owner + "/" + r.Name)
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, RepoRequest{Owner: r.Owner, Name: r.Name,
				Paths:    unique(nil, r.Paths),
				Branches: unique(nil, r.Branches),
				Labels:   unique(nil, r.Labels), PRStatus: r.PRStatus})
			continue
		}
		out[i].Paths = unique(out[i].Paths, r.Paths)
		out[i].Branches = unique(out[i].Branches, r.Branches)
		out[i].Labels = unique(out[i].Labels, r.Labels)
		out[i].PRStatus = out[i].PRStatus || r.PRStatus
	}
	return out, nil
}

func unique(have, add []string) []string {
	for _, s := range add {
		dup := false
		for _, h := range have {
			if h == s {
				dup = true
				break
			}
		}
		if !dup {
			have = append(have, s)
		}
	}
	return have
}

type hydrator struct {
	c *Client

	mu  sync.Mutex
	res *HydrateResult
}

// batch reads one batch, halving it on a timeout.
func (h *hydrator) batch(ctx context.Context, batch []RepoRequest, people bool) error {
	qctx := ctx
	if len(batch) > 1 {
		qctx = withoutTimeoutRetry(ctx)
	}
	h.mu.Lock()
	h.res.Requests++
	h.mu.Unlock()
	ans, err := h.c.postGraphQL(qctx, buildHydrateQuery(batch, people))
	if err == nil && len(batch) > 1 {
		for _, e := range ans.Errors {
			if e.Type == resourceLimitsExceeded {
				err = e // partial data: read all of it again, in halves
				break
			}
		}
	}
	if err != nil && (isTimeout(err) || isResourceLimited(err)) && len(batch) > 1 {
		half := len(batch) / 2
		h.c.opts.logger().InfoContext(ctx, "hydrate query timed out or exceeded GitHub's resource limits; halving the batch",
			"repositories", len(batch), "error", err)
		err1 := h.batch(ctx, batch[:half], people)
		err2 := h.batch(ctx, batch[half:], false)
		if people {
			return err1
		}
		_ = err2
		return nil
	}
	if err != nil {
		for _, r := range batch {
			h.setRepo(r, &Repo{Owner: r.Owner, Name: r.Name,
				Err: fmt.Errorf("reading repository %s/%s: %w", r.Owner, r.Name, err)})
		}
		return err
	}
	for i, r := range batch {
		h.setRepo(r, decodeRepo(ans, fmt.Sprintf("r%d", i), r))
	}
	if people {
		return h.decodeViewer(ans)
	}
	return nil
}

// resourceLimitsExceeded is the GraphQL error type of a query GitHub
// found too costly, answered with HTTP 200 and null or partial data.
const resourceLimitsExceeded = "RESOURCE_LIMITS_EXCEEDED"

// isResourceLimited reports whether err holds a RESOURCE_LIMITS_EXCEEDED
// error.
func isResourceLimited(err error) bool {
	if ge, ok := err.(*GraphQLError); ok {
		return ge.Type == resourceLimitsExceeded
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if isResourceLimited(e) {
				return true
			}
		}
	}
	return false
}

func (h *hydrator) setRepo(r RepoRequest, repo *Repo) {
	h.mu.Lock()
	h.res.Repos[strings.ToLower(r.Owner+"/"+r.Name)] = repo
	h.mu.Unlock()
}

const blobFields = `... on Blob { text byteSize isBinary isTruncated oid }`

// hydratePRFields are read of a branch's pull requests. CLOSED excludes
// merged pull requests (their state is MERGED).
const hydratePRFields = "id number url title body baseRefName headRefOid headRepository { nameWithOwner }"

// hydratePRStatusFields are also read of open pull requests with
// RepoRequest.PRStatus: the head commit is the last of the pull request's
// commits, and its statusCheckRollup rolls up both commit statuses and
// check runs (https://docs.github.com/graphql/reference/objects#statuscheckrollup).
const hydratePRStatusFields = " createdAt mergeable commits(last: 1) { nodes { commit { statusCheckRollup { state } } } }"

// buildHydrateQuery writes one aliased query: rN per repository (fJ per
// path, bK per branch with bKfJ, bKp (open pull requests) and bKc (the
// latest closed one), lM per label), and in the first batch the viewer.
func buildHydrateQuery(batch []RepoRequest, viewer bool) string {
	var b strings.Builder
	b.WriteString("query {\n")
	if viewer {
		b.WriteString("  viewer { login databaseId }\n")
	}
	for i, r := range batch {
		fmt.Fprintf(&b, "  r%d: repository(owner: %s, name: %s) {\n", i, quote(r.Owner), quote(r.Name))
		b.WriteString("    id nameWithOwner isArchived isFork isDisabled isEmpty viewerPermission autoMergeAllowed\n")
		// aN: how far branch N is ahead of the default branch, whose
		// name is not known yet
		// (https://docs.github.com/graphql/reference/objects#ref).
		// mJ: the mode of path J, since a commit writes every file as a
		// regular one (100644).
		b.WriteString("    defaultBranchRef { name target { oid")
		if len(r.Paths) > 0 {
			b.WriteString(" ... on Commit {")
			for j, p := range r.Paths {
				fmt.Fprintf(&b, " m%d: file(path: %s) { mode }", j, quote(p))
			}
			b.WriteString(" }")
		}
		b.WriteString(" }")
		for k, br := range r.Branches {
			fmt.Fprintf(&b, " a%d: compare(headRef: %s) { aheadBy }", k, quote("refs/heads/"+br))
		}
		b.WriteString(" }\n")
		for j, p := range r.Paths {
			fmt.Fprintf(&b, "    f%d: object(expression: %s) { %s }\n", j, quote("HEAD:"+p), blobFields)
		}
		for k, br := range r.Branches {
			fmt.Fprintf(&b, "    b%d: ref(qualifiedName: %s) { id target { oid ... on Commit { author { email name user { login } } } } }\n", k, quote("refs/heads/"+br))
			// Fully qualified: "br:path" would read a tag called br.
			for j, p := range r.Paths {
				fmt.Fprintf(&b, "    b%df%d: object(expression: %s) { %s }\n", k, j, quote("refs/heads/"+br+":"+p), blobFields)
			}
			open := hydratePRFields
			if r.PRStatus {
				open += hydratePRStatusFields
			}
			fmt.Fprintf(&b, "    b%dp: pullRequests(headRefName: %s, states: [OPEN], first: 20) { nodes { %s } }\n", k, quote(br), open)
			fmt.Fprintf(&b, "    b%dc: pullRequests(headRefName: %s, states: [CLOSED], first: 1, orderBy: {field: UPDATED_AT, direction: DESC}) { nodes { %s } }\n", k, quote(br), hydratePRFields)
		}
		for m, l := range r.Labels {
			fmt.Fprintf(&b, "    l%d: label(name: %s) { id name }\n", m, quote(l))
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

type blobJSON struct {
	Text        *string `json:"text"`
	ByteSize    int     `json:"byteSize"`
	IsBinary    *bool   `json:"isBinary"`
	IsTruncated bool    `json:"isTruncated"`
	OID         string  `json:"oid"`
}

func (j *blobJSON) file() *File {
	if j == nil || j.OID == "" { // null, or not a blob (a tree)
		return nil
	}
	f := &File{OID: j.OID, Size: j.ByteSize, Truncated: j.IsTruncated}
	if j.Text != nil {
		f.Text = *j.Text
	}
	if j.IsBinary != nil {
		f.Binary = *j.IsBinary
	} else {
		f.Binary = j.Text == nil
	}
	return f
}

type repoJSON struct {
	ID               string  `json:"id"`
	NameWithOwner    string  `json:"nameWithOwner"`
	IsArchived       bool    `json:"isArchived"`
	IsFork           bool    `json:"isFork"`
	IsDisabled       bool    `json:"isDisabled"`
	IsEmpty          bool    `json:"isEmpty"`
	ViewerPermission *string `json:"viewerPermission"`
	AutoMergeAllowed bool    `json:"autoMergeAllowed"`
	DefaultBranchRef *struct {
		Name   string `json:"name"`
		Target *struct {
			OID string `json:"oid"`
		} `json:"target"`
	} `json:"defaultBranchRef"`
}

// fileModes reads the mJ tree entries of the default branch's head:
// alias → git mode (GitHub gives the octal mode's value, 33261 for
// 100755).
func fileModes(raw json.RawMessage) map[string]int {
	var ref struct {
		Target map[string]json.RawMessage `json:"target"`
	}
	if json.Unmarshal(raw, &ref) != nil {
		return nil
	}
	out := map[string]int{}
	for k, v := range ref.Target {
		var e *struct {
			Mode int `json:"mode"`
		}
		if strings.HasPrefix(k, "m") && json.Unmarshal(v, &e) == nil && e != nil {
			out[k] = e.Mode
		}
	}
	return out
}

// aheadBy reads the aN comparisons of the default branch ref: branch
// index → commits ahead of the default branch.
func aheadBy(raw json.RawMessage) map[string]int {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return nil
	}
	out := map[string]int{}
	for k, v := range fields {
		var c *struct {
			AheadBy int `json:"aheadBy"`
		}
		if strings.HasPrefix(k, "a") && json.Unmarshal(v, &c) == nil && c != nil {
			out[k] = c.AheadBy
		}
	}
	return out
}

type refJSON struct {
	ID     string `json:"id"`
	Target *struct {
		OID    string `json:"oid"`
		Author *struct {
			Email string `json:"email"`
			Name  string `json:"name"`
			User  *struct {
				Login string `json:"login"`
			} `json:"user"`
		} `json:"author"`
	} `json:"target"`
}

type prsJSON struct {
	Nodes []struct {
		ID          string    `json:"id"`
		Number      int       `json:"number"`
		URL         string    `json:"url"`
		Title       string    `json:"title"`
		Body        string    `json:"body"`
		BaseRefName string    `json:"baseRefName"`
		HeadRefOID  string    `json:"headRefOid"`
		CreatedAt   time.Time `json:"createdAt"`
		Mergeable   string    `json:"mergeable"`
		Commits     struct {
			Nodes []struct {
				Commit struct {
					StatusCheckRollup *struct {
						State string `json:"state"`
					} `json:"statusCheckRollup"`
				} `json:"commit"`
			} `json:"nodes"`
		} `json:"commits"`
		HeadRepo *struct {
			NameWithOwner string `json:"nameWithOwner"`
		} `json:"headRepository"`
	} `json:"nodes"`
}

// first returns the first pull request into base from the repository
// repo itself ("owner/name"), or nil. pullRequests(headRefName:) matches
// the branch name only, so a fork's pull request from a branch of the
// same name is among the nodes (a deleted fork's head repository is null).
// The base is matched here, since the default branch's name is not known
// when the query is written.
func (p *prsJSON) first(base, repo string) *PullRequest {
	for _, n := range p.Nodes {
		if n.BaseRefName != "" && n.BaseRefName != base {
			continue
		}
		if n.HeadRepo == nil || !strings.EqualFold(n.HeadRepo.NameWithOwner, repo) {
			continue
		}
		pr := &PullRequest{ID: n.ID, Number: n.Number, URL: n.URL, Title: n.Title, Body: n.Body, HeadOID: n.HeadRefOID,
			CreatedAt: n.CreatedAt, Mergeable: n.Mergeable}
		if c := n.Commits.Nodes; len(c) > 0 && c[len(c)-1].Commit.StatusCheckRollup != nil {
			pr.CIState = c[len(c)-1].Commit.StatusCheckRollup.State
		}
		return pr
	}
	return nil
}

// decodeRepo reads alias from ans.
func decodeRepo(ans *graphQLAnswer, alias string, req RepoRequest) *Repo {
	repo := &Repo{Owner: req.Owner, Name: req.Name}
	raw := ans.Data[alias]
	if len(raw) == 0 || string(raw) == "null" {
		errs := ans.errorsFor(alias)
		switch {
		case len(errs) == 0:
			repo.Err = fmt.Errorf("reading repository %s/%s: %w", req.Owner, req.Name, ErrNotFound)
		case errs[0].Type == "NOT_FOUND":
			repo.Err = fmt.Errorf("reading repository %s/%s: %w: %w", req.Owner, req.Name, ErrNotFound, errs[0])
		default:
			repo.Err = fmt.Errorf("reading repository %s/%s: %w", req.Owner, req.Name, errs[0])
		}
		return repo
	}
	var fields map[string]json.RawMessage
	var rj repoJSON
	if err := json.Unmarshal(raw, &fields); err != nil {
		repo.Err = fmt.Errorf("decoding repository %s/%s: %w", req.Owner, req.Name, err)
		return repo
	}
	if err := json.Unmarshal(raw, &rj); err != nil {
		repo.Err = fmt.Errorf("decoding repository %s/%s: %w", req.Owner, req.Name, err)
		return repo
	}
	if o, n, ok := strings.Cut(rj.NameWithOwner, "/"); ok {
		repo.Owner, repo.Name = o, n
	}
	repo.ID = rj.ID
	repo.Archived, repo.Fork, repo.Disabled, repo.Empty = rj.IsArchived, rj.IsFork, rj.IsDisabled, rj.IsEmpty
	if rj.ViewerPermission != nil {
		repo.ViewerPermission = *rj.ViewerPermission
	}
	repo.AutoMergeAllowed = rj.AutoMergeAllowed
	if d := rj.DefaultBranchRef; d != nil {
		repo.DefaultBranch = d.Name
		if d.Target != nil {
			repo.HeadOID = d.Target.OID
		}
	}
	var errs []error
	decode := func(key string, v any) bool {
		b, ok := fields[key]
		if !ok || string(b) == "null" {
			return false
		}
		if err := json.Unmarshal(b, v); err != nil {
			errs = append(errs, fmt.Errorf("decoding %s: %w", key, err))
			return false
		}
		return true
	}
	files := func(prefix string) map[string]*File {
		m := make(map[string]*File, len(req.Paths))
		for j, p := range req.Paths {
			var bj *blobJSON
			decode(fmt.Sprintf("%sf%d", prefix, j), &bj)
			m[p] = bj.file()
		}
		return m
	}
	repo.Files = files("")
	modes := fileModes(fields["defaultBranchRef"])
	for j, p := range req.Paths {
		if f := repo.Files[p]; f != nil {
			f.Mode = modes[fmt.Sprintf("m%d", j)]
		}
	}
	ahead := aheadBy(fields["defaultBranchRef"])
	repo.Branches = make(map[string]*Branch, len(req.Branches))
	for k, name := range req.Branches {
		var rf refJSON
		if !decode(fmt.Sprintf("b%d", k), &rf) || rf.ID == "" {
			repo.Branches[name] = nil
			continue
		}
		br := &Branch{RefID: rf.ID, Files: files(fmt.Sprintf("b%d", k))}
		if n, ok := ahead[fmt.Sprintf("a%d", k)]; ok && n == 0 {
			br.InBase = true
		}
		if t := rf.Target; t != nil {
			br.HeadOID = t.OID
			if a := t.Author; a != nil {
				br.HeadAuthorName, br.HeadAuthorEmail = a.Name, a.Email
				if a.User != nil {
					br.HeadAuthor = a.User.Login
				}
			}
		}
		var open, closed prsJSON
		if decode(fmt.Sprintf("b%dp", k), &open) {
			br.PR = open.first(repo.DefaultBranch, repo.Owner+"/"+repo.Name)
		}
		if decode(fmt.Sprintf("b%dc", k), &closed) {
			br.ClosedPR = closed.first(repo.DefaultBranch, repo.Owner+"/"+repo.Name)
		}
		repo.Branches[name] = br
	}
	repo.Labels = make(map[string]string)
	for m, name := range req.Labels {
		var l struct {
			ID string `json:"id"`
		}
		if decode(fmt.Sprintf("l%d", m), &l) && l.ID != "" {
			repo.Labels[name] = l.ID
		}
	}
	// Errors under the repository's alias that left fields null, other than
	// a missing object or ref, are worth surfacing.
	for _, e := range ans.errorsFor(alias) {
		if e.Type != "NOT_FOUND" {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		repo.Err = fmt.Errorf("reading repository %s/%s: %w", repo.Owner, repo.Name, errors.Join(errs...))
	}
	return repo
}

// decodeViewer reads the viewer.
func (h *hydrator) decodeViewer(ans *graphQLAnswer) error {
	var v struct {
		Login      string `json:"login"`
		DatabaseID int64  `json:"databaseId"`
	}
	raw, ok := ans.Data["viewer"]
	if !ok || string(raw) == "null" {
		if errs := ans.errorsFor("viewer"); len(errs) > 0 {
			return errs[0]
		}
		return errors.New("the answer has no viewer")
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("decoding viewer: %w", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.res.Viewer, h.res.ViewerID = v.Login, v.DatabaseID
	return nil
}

// decodePeople reads uN and tN. Users and teams that do not exist, or
// could not be read, are left out.
func (h *hydrator) decodePeople(ans *graphQLAnswer, users, teams []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, u := range users {
		var uj *struct {
			ID string `json:"id"`
		}
		if b, ok := ans.Data[fmt.Sprintf("u%d", i)]; ok && json.Unmarshal(b, &uj) == nil && uj != nil && uj.ID != "" {
			h.res.Users[u] = uj.ID
		}
	}
	for i, t := range teams {
		var tj *struct {
			Team *struct {
				ID string `json:"id"`
			} `json:"team"`
		}
		if b, ok := ans.Data[fmt.Sprintf("t%d", i)]; ok && json.Unmarshal(b, &tj) == nil && tj != nil && tj.Team != nil && tj.Team.ID != "" {
			h.res.Teams[t] = tj.Team.ID
		}
	}
}
