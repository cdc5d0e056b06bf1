package state

import (
	"fmt"
	"strings"
	"time"
)

// Branch is one side of a pull request.
type Branch struct {
	RepoID   int64
	RepoName string // "owner/name"
	Owner    string
	Ref      string // branch name
	SHA      string // the branch head now (or when the PR was closed)
}

// Label returns "owner:branch", as the REST API shows a pull request head.
func (b Branch) Label() string { return b.Owner + ":" + b.Ref }

// AutoMerge is an enabled auto-merge request.
type AutoMerge struct {
	EnabledBy   Account
	MergeMethod string // MERGE, SQUASH or REBASE
	EnabledAt   time.Time
}

// PullRequest is a snapshot of a pull request.
type PullRequest struct {
	ID                 int64
	NodeID             string
	RepoID             int64
	Number             int
	Title              string
	Body               string
	State              string // "open" or "closed"
	Merged             bool   // closed by a merge
	Draft              bool
	Head               Branch
	Base               Branch
	User               Account
	Labels             []Label
	RequestedReviewers []Account
	RequestedTeams     []Team
	Assignees          []Account
	AutoMerge          *AutoMerge
	HTMLURL            string
	IsIssue            bool // an issue, not a pull request (see CreateIssue)
	CreatedAt          time.Time
	UpdatedAt          time.Time
	ClosedAt           *time.Time
	MergedAt           *time.Time
}

type pull struct {
	PullRequest
	labels    []int64
	reviewers []int64
	teams     []int64
	assignees []int64
	userID    int64
}

func (w *World) prSnap(p *pull) PullRequest {
	s := p.PullRequest
	if r := w.repoByID[p.Head.RepoID]; r != nil {
		s.Head.RepoName = w.repoSnap(r).FullName()
		s.Head.Owner = w.accByID[r.ownerID].Login
		if oid, ok := r.refs["refs/heads/"+p.Head.Ref]; ok && p.State == "open" {
			s.Head.SHA = oid
		}
	}
	if r := w.repoByID[p.Base.RepoID]; r != nil {
		s.Base.RepoName = w.repoSnap(r).FullName()
		s.Base.Owner = w.accByID[r.ownerID].Login
		if oid, ok := r.refs["refs/heads/"+p.Base.Ref]; ok {
			s.Base.SHA = oid
		}
		kind := "pull"
		if p.IsIssue {
			kind = "issues"
		}
		s.HTMLURL = fmt.Sprintf("%s/%s/%s/%d", w.baseURL, s.Base.RepoName, kind, p.Number)
	}
	if u := w.accByID[p.userID]; u != nil {
		s.User = *u
	}
	s.Labels, s.RequestedReviewers, s.RequestedTeams, s.Assignees = nil, nil, nil, nil
	for _, id := range p.labels {
		if l := w.labelByID[id]; l != nil {
			s.Labels = append(s.Labels, l.Label)
		}
	}
	for _, id := range p.reviewers {
		s.RequestedReviewers = append(s.RequestedReviewers, *w.accByID[id])
	}
	for _, id := range p.teams {
		s.RequestedTeams = append(s.RequestedTeams, *w.teamByID[id])
	}
	for _, id := range p.assignees {
		s.Assignees = append(s.Assignees, *w.accByID[id])
	}
	if p.AutoMerge != nil {
		am := *p.AutoMerge
		s.AutoMerge = &am
	}
	return s
}

// NewPullRequest describes a pull request to open in a base repository.
type NewPullRequest struct {
	Base string // branch in the base repository
	// Head is a branch, "owner:branch" for a cross-repository PR, or
	// "owner:repo:branch"; HeadRepoID, when set, names the head repository.
	Head       string
	HeadRepoID int64
	Title      string
	Body       string
	Draft      bool
}

// CreatePullRequest opens a pull request. The actor needs read access to both
// repositories and write access to the head's; GitHub's 422 messages come
// back as Invalid errors.
func (w *World) CreatePullRequest(actor *Token, repoID int64, in NewPullRequest) (PullRequest, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	base, err := w.readable(actor, repoID)
	if err != nil {
		return PullRequest{}, err
	}
	if base.Archived {
		return PullRequest{}, errorf(Forbidden, "Repository was archived so is read-only.")
	}
	head := base
	headRef := in.Head
	if in.HeadRepoID != 0 {
		if head, err = w.readable(actor, in.HeadRepoID); err != nil {
			return PullRequest{}, err
		}
		if i := strings.LastIndex(headRef, ":"); i >= 0 {
			headRef = headRef[i+1:]
		}
	} else if parts := strings.Split(in.Head, ":"); len(parts) > 1 {
		owner := parts[0]
		headRef = parts[len(parts)-1]
		head = nil
		if len(parts) == 3 {
			head = w.repos[strings.ToLower(owner+"/"+parts[1])]
		} else if strings.EqualFold(owner, w.accByID[base.ownerID].Login) {
			head = base
		} else {
			// owner's fork of base (or of base's network)
			for _, r := range w.repoByID {
				if strings.EqualFold(w.accByID[r.ownerID].Login, owner) && (r.ParentID == base.ID || r.ID == base.ParentID) {
					head = r
					break
				}
			}
		}
		if head == nil || w.perm(actor, head) < PermRead {
			return PullRequest{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "PullRequest", Field: "head", Code: "invalid"}
		}
	}
	if strings.TrimSpace(in.Title) == "" {
		return PullRequest{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "PullRequest", Field: "title", Code: "missing_field"}
	}
	baseOID, ok := base.refs["refs/heads/"+in.Base]
	if !ok {
		return PullRequest{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "PullRequest", Field: "base", Code: "invalid"}
	}
	headOID, ok := head.refs["refs/heads/"+headRef]
	if !ok {
		return PullRequest{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "PullRequest", Field: "head", Code: "invalid"}
	}
	headOwner := w.accByID[head.ownerID].Login
	for _, p := range base.pulls {
		if p.State == "open" && p.Head.RepoID == head.ID && p.Head.Ref == headRef && p.Base.Ref == in.Base {
			return PullRequest{}, &Error{Kind: Invalid, Message: fmt.Sprintf("A pull request already exists for %s:%s.", headOwner, headRef), Resource: "PullRequest", Code: "custom"}
		}
	}
	if in.Draft && base.DraftsUnsupported {
		// See Repo.DraftsUnsupported.
		return PullRequest{}, &Error{Kind: Invalid, Message: "Draft pull requests are not supported in this repository.", Resource: "PullRequest", Code: "custom"}
	}
	if c := w.objects[headOID].commit; w.prLag > 0 && c != nil && w.clk.Now().Before(c.Committer.Date.Add(w.prLag)) {
		// See SetPullRequestLag.
		return PullRequest{}, &Error{Kind: Invalid, Message: fmt.Sprintf("Head sha can't be blank, No commits between %s and %s", in.Base, headRef), Resource: "PullRequest", Code: "custom"}
	}
	if headOID == baseOID || w.isAncestor(headOID, baseOID) {
		return PullRequest{}, &Error{Kind: Invalid, Message: fmt.Sprintf("No commits between %s and %s", in.Base, headRef), Resource: "PullRequest", Code: "custom"}
	}
	now := w.clk.Now()
	id := w.newID()
	base.nextNum++
	p := &pull{PullRequest: PullRequest{ID: id, NodeID: idNode("PR", id), RepoID: base.ID, Number: base.nextNum,
		Title: in.Title, Body: in.Body, State: "open", Draft: in.Draft,
		Head:      Branch{RepoID: head.ID, Ref: headRef, SHA: headOID},
		Base:      Branch{RepoID: base.ID, Ref: in.Base, SHA: baseOID},
		CreatedAt: now, UpdatedAt: now}}
	if actor != nil {
		p.userID = actor.UserID
	} else {
		p.userID = base.ownerID
	}
	base.pulls = append(base.pulls, p)
	w.prByID[id] = p
	return w.prSnap(p), nil
}

// pullFor returns pull request number in the repository.
func (w *World) pullFor(r *repo, number int) (*pull, error) {
	for _, p := range r.pulls {
		if p.Number == number && !p.IsIssue {
			return p, nil
		}
	}
	return nil, notFound()
}

// PullRequest returns pull request number of the repository.
func (w *World) PullRequest(actor *Token, repoID int64, number int) (PullRequest, error) {
	return w.readItem(actor, repoID, number, w.pullFor)
}

// readItem returns the item number of a repository the actor can read, as
// find (pullFor or issueFor) finds it.
func (w *World) readItem(actor *Token, repoID int64, number int, find func(*repo, int) (*pull, error)) (PullRequest, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return PullRequest{}, err
	}
	p, err := find(r, number)
	if err != nil {
		return PullRequest{}, err
	}
	return w.prSnap(p), nil
}

// PullRequestByNodeID returns the pull request with a node id.
func (w *World) PullRequestByNodeID(actor *Token, id string) (PullRequest, error) {
	n, err := w.ResolveNode(actor, id)
	if err != nil {
		return PullRequest{}, err
	}
	if n.Type != "PullRequest" {
		return PullRequest{}, errorf(NotFound, "Could not resolve to a PullRequest with the global id of '%s'", id)
	}
	return *n.PullRequest, nil
}

// PRFilter selects pull requests; empty fields match everything.
type PRFilter struct {
	HeadOwner string // owner login of the head repository
	HeadRef   string // head branch name
	BaseRef   string // base branch name
	// States are "open", "closed" (merged or not, as REST has it),
	// "merged" or "all"; any case.
	States []string
}

// FindPullRequests returns the repository's pull requests matching f, newest
// first (GitHub's default order for REST list).
func (w *World) FindPullRequests(actor *Token, repoID int64, f PRFilter) ([]PullRequest, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return nil, err
	}
	var out []PullRequest
	for i := len(r.pulls) - 1; i >= 0; i-- {
		if r.pulls[i].IsIssue {
			continue
		}
		s := w.prSnap(r.pulls[i])
		if f.HeadRef != "" && s.Head.Ref != f.HeadRef || f.BaseRef != "" && s.Base.Ref != f.BaseRef ||
			f.HeadOwner != "" && !strings.EqualFold(s.Head.Owner, f.HeadOwner) {
			continue
		}
		if len(f.States) > 0 {
			match := false
			for _, st := range f.States {
				match = match || strings.EqualFold(st, s.State) || strings.EqualFold(st, "all") ||
					strings.EqualFold(st, "merged") && s.Merged
			}
			if !match {
				continue
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// PRPatch changes a pull request; nil fields are left alone.
type PRPatch struct {
	Title *string
	Body  *string
	State *string // "open" or "closed"
	Base  *string
}

// UpdatePullRequest applies patch; it needs write access to the base
// repository (or to be the PR's author).
func (w *World) UpdatePullRequest(actor *Token, repoID int64, number int, patch PRPatch) (PullRequest, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, p, err := w.writablePull(actor, repoID, number)
	if err != nil {
		return PullRequest{}, err
	}
	if patch.Title != nil {
		p.Title = *patch.Title
	}
	if patch.Body != nil {
		p.Body = *patch.Body
	}
	if patch.Base != nil {
		if _, ok := w.repoByID[p.Base.RepoID].refs["refs/heads/"+*patch.Base]; !ok {
			return PullRequest{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "PullRequest", Field: "base", Code: "invalid"}
		}
		p.Base.Ref = *patch.Base
	}
	if patch.State != nil {
		switch st := strings.ToLower(*patch.State); st {
		case "open", "closed":
			if st == "open" && p.State == "closed" && !w.reopenable(p) {
				return PullRequest{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "PullRequest", Field: "state", Code: "invalid"}
			}
			w.setPRState(p, st)
		default:
			return PullRequest{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "PullRequest", Field: "state", Code: "invalid"}
		}
	}
	p.UpdatedAt = w.clk.Now()
	return w.prSnap(p), nil
}

// setPRState opens, closes or marks merged (st "merged": closed with
// Merged set) pull request p. Closing keeps the head as it was then.
func (w *World) setPRState(p *pull, st string) {
	merged := st == "merged"
	if merged {
		st = "closed"
	}
	if p.State == st {
		return
	}
	now := w.clk.Now()
	if st == "closed" {
		if r := w.repoByID[p.Head.RepoID]; r != nil {
			if oid, ok := r.refs["refs/heads/"+p.Head.Ref]; ok {
				p.Head.SHA = oid
			}
		}
		p.ClosedAt = &now
		p.AutoMerge = nil
		if merged {
			p.Merged, p.MergedAt = true, &now
		}
	} else {
		p.ClosedAt = nil
	}
	p.State = st
	p.UpdatedAt = now
}

// MergePullRequest merges open pull request number as GitHub's merge
// button does, with method "merge" (a merge commit whose parents are the
// base and head heads) or "squash" (one commit on the base head); the
// commit takes the head's tree, so the head must contain the base head
// (Invalid "Pull Request is not mergeable" otherwise: the simulator does
// no three-way merges). The base branch moves to the new commit, the pull
// request is marked merged and the head branch is left as it is.
func (w *World) MergePullRequest(actor *Token, repoID int64, number int, method string) (PullRequest, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, p, err := w.writablePull(actor, repoID, number)
	if err != nil {
		return PullRequest{}, err
	}
	if actor != nil && w.perm(actor, r) < PermWrite {
		return PullRequest{}, errorf(Forbidden, "Resource not accessible by personal access token")
	}
	if p.State != "open" {
		return PullRequest{}, errorf(Invalid, "Pull Request is not mergeable")
	}
	hr := w.repoByID[p.Head.RepoID]
	head, ok := hr.refs["refs/heads/"+p.Head.Ref]
	baseRef := "refs/heads/" + p.Base.Ref
	base, bok := r.refs[baseRef]
	if !ok || !bok || !w.isAncestor(base, head) || base == head {
		return PullRequest{}, errorf(Invalid, "Pull Request is not mergeable")
	}
	parents := []string{base, head}
	msg := fmt.Sprintf("Merge pull request #%d from %s\n\n%s", p.Number, w.prSnap(p).Head.Label(), p.Title)
	switch strings.ToLower(method) {
	case "", "merge":
	case "squash":
		parents = []string{base}
		msg = fmt.Sprintf("%s (#%d)", p.Title, p.Number)
	default:
		return PullRequest{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "PullRequest", Field: "merge_method", Code: "invalid"}
	}
	author := w.signatureFor(actor, w.accByID[r.ownerID], w.clk.Now())
	c := w.objects.putCommit(Commit{Tree: w.objects[head].commit.Tree, Parents: parents, Message: msg, Author: author, Verified: true,
		Committer: Signature{Name: "GitHub", Email: "noreply@github.com", Date: author.Date}})
	w.setPRState(p, "merged")
	w.setRef(r, baseRef, c.OID)
	return w.prSnap(p), nil
}

// reopenable reports whether closed pull request p may be opened again:
// it is not merged, its head branch exists and has commits over the base.
func (w *World) reopenable(p *pull) bool {
	if p.Merged {
		return false
	}
	hr, br := w.repoByID[p.Head.RepoID], w.repoByID[p.Base.RepoID]
	if hr == nil || br == nil {
		return false
	}
	head, ok := hr.refs["refs/heads/"+p.Head.Ref]
	if !ok {
		return false
	}
	base, ok := br.refs["refs/heads/"+p.Base.Ref]
	return ok && !w.isAncestor(head, base)
}

// ClosePullRequest closes the pull request.
func (w *World) ClosePullRequest(actor *Token, repoID int64, number int) (PullRequest, error) {
	closed := "closed"
	return w.UpdatePullRequest(actor, repoID, number, PRPatch{State: &closed})
}

func (w *World) writablePull(actor *Token, repoID int64, number int) (*repo, *pull, error) {
	return w.writableItem(actor, repoID, number, false)
}

// writableItem is writablePull that also accepts issues when issues is set.
func (w *World) writableItem(actor *Token, repoID int64, number int, issues bool) (*repo, *pull, error) {
	r, err := w.readable(actor, repoID)
	if err != nil {
		return nil, nil, err
	}
	find := w.pullFor
	if issues {
		find = w.issueFor
	}
	p, err := find(r, number)
	if err != nil {
		return nil, nil, err
	}
	if actor != nil && w.perm(actor, r) < PermWrite && p.userID != actor.UserID {
		return nil, nil, errorf(Forbidden, "Resource not accessible by personal access token")
	}
	return r, p, nil
}

// RequestReviewers requests reviews from users (logins) and teams (slugs of
// the base repository owner's teams). With union the request set grows;
// without it is replaced, as GraphQL requestReviews does by default.
// One reviewer that cannot be asked (the author: "Review cannot be
// requested from pull request author.", peter-evans/create-pull-request#1835;
// a user or team that is not a collaborator: "Reviews may only be
// requested from collaborators…") refuses the whole request and none is
// added (Madrapps/add-reviewers#5).
func (w *World) RequestReviewers(actor *Token, repoID int64, number int, users, teams []string, union bool) (PullRequest, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, p, err := w.writablePull(actor, repoID, number)
	if err != nil {
		return PullRequest{}, err
	}
	var uids, tids []int64
	for _, login := range users {
		a := w.accounts[strings.ToLower(login)]
		if a == nil || !a.IsUser() {
			return PullRequest{}, &Error{Kind: Invalid, Message: "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the " + w.repoSnap(r).FullName() + " repository.", Resource: "PullRequest", Code: "custom"}
		}
		if p.userID == a.ID {
			return PullRequest{}, &Error{Kind: Invalid, Message: "Review cannot be requested from pull request author.", Resource: "PullRequest", Code: "custom"}
		}
		uids = append(uids, a.ID)
	}
	owner := w.accByID[r.ownerID].Login
	for _, slug := range teams {
		t := w.teams[strings.ToLower(owner+"/"+slug)]
		if t == nil {
			return PullRequest{}, &Error{Kind: Invalid, Message: "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the " + w.repoSnap(r).FullName() + " repository.", Resource: "PullRequest", Code: "custom"}
		}
		tids = append(tids, t.ID)
	}
	if !union {
		p.reviewers, p.teams = nil, nil
	}
	for _, id := range uids {
		if !contains(p.reviewers, id) {
			p.reviewers = append(p.reviewers, id)
		}
	}
	for _, id := range tids {
		if !contains(p.teams, id) {
			p.teams = append(p.teams, id)
		}
	}
	p.UpdatedAt = w.clk.Now()
	return w.prSnap(p), nil
}

// RemoveRequestedReviewers withdraws review requests.
func (w *World) RemoveRequestedReviewers(actor *Token, repoID int64, number int, users, teams []string) (PullRequest, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, p, err := w.writablePull(actor, repoID, number)
	if err != nil {
		return PullRequest{}, err
	}
	for _, login := range users {
		if a := w.accounts[strings.ToLower(login)]; a != nil {
			p.reviewers = remove(p.reviewers, a.ID)
		}
	}
	owner := w.accByID[r.ownerID].Login
	for _, slug := range teams {
		if t := w.teams[strings.ToLower(owner+"/"+slug)]; t != nil {
			p.teams = remove(p.teams, t.ID)
		}
	}
	return w.prSnap(p), nil
}

// EnableAutoMerge turns on auto-merge with method (MERGE, SQUASH, REBASE;
// MERGE if empty). It fails with "Auto merge is not allowed for this
// repository" when the repository does not allow it, and with "Pull request
// is in clean status" when the repository has no required checks (the PR
// could be merged right away).
func (w *World) EnableAutoMerge(actor *Token, repoID int64, number int, method string) (PullRequest, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, p, err := w.writablePull(actor, repoID, number)
	if err != nil {
		return PullRequest{}, err
	}
	if !r.AutoMergeAllowed {
		return PullRequest{}, errorf(Invalid, "Auto merge is not allowed for this repository")
	}
	if p.State != "open" {
		return PullRequest{}, errorf(Invalid, "Pull request is closed")
	}
	if !r.RequiredChecks {
		return PullRequest{}, errorf(Invalid, "Pull request is in clean status")
	}
	if method == "" {
		method = "MERGE"
	}
	var by Account
	if actor != nil {
		by = *w.accByID[actor.UserID]
	}
	p.AutoMerge = &AutoMerge{EnabledBy: by, MergeMethod: strings.ToUpper(method), EnabledAt: w.clk.Now()}
	return w.prSnap(p), nil
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func remove(ids []int64, id int64) []int64 {
	out := ids[:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}
