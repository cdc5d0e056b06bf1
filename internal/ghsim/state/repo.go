package state

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Repo is a snapshot of a repository.
type Repo struct {
	ID               int64
	NodeID           string
	Owner            Account
	Name             string
	Description      string
	DefaultBranch    string
	Private          bool
	Archived         bool
	Disabled         bool
	Fork             bool
	ParentID         int64  // the fork's parent, if Fork
	ParentFullName   string // "owner/name" of the parent, if Fork
	AutoMergeAllowed bool
	// RequiredChecks makes auto-merge wait for checks; when false, enabling
	// auto-merge on a mergeable pull request fails with "clean status".
	RequiredChecks bool
	// DraftsUnsupported refuses draft pull requests: "Draft pull requests
	// are available in public repositories with GitHub Free … and in public
	// and private repositories with GitHub Team and GitHub Enterprise
	// Cloud" (docs.github.com rest/pulls/pulls#create-a-pull-request);
	// elsewhere GitHub answers "Draft pull requests are not supported in
	// this repository." (cli/cli#520, MetaMask/action-create-release-pr#67).
	DraftsUnsupported bool
	// Rules is the repository's ruleset, applied to every branch.
	Rules     Rules
	Empty     bool // no commits yet
	CreatedAt time.Time
	UpdatedAt time.Time
	PushedAt  time.Time
}

// FullName returns "owner/name".
func (r Repo) FullName() string { return r.Owner.Login + "/" + r.Name }

type repo struct {
	Repo
	ownerID   int64
	refs      map[string]string // "refs/heads/main" → commit oid
	visibleAt time.Time         // forks appear after a delay
	nextNum   int
	pulls     []*pull
	labels    map[string]*label // lowercase name
	index     []indexEntry      // default-branch commits, oldest first
	unindexed bool              // left out of the code-search index (index.go)
}

type indexEntry struct {
	at     time.Time
	commit string
}

func (r *repo) refSnap(name, oid string) Ref {
	return Ref{Name: name, OID: oid, NodeID: nodeID("REF", strconv.FormatInt(r.ID, 10)+":"+name), RepoID: r.ID}
}

// Ref is a git reference such as "refs/heads/main".
type Ref struct {
	Name   string // fully qualified
	OID    string
	NodeID string
	RepoID int64
}

// ShortName returns the name without "refs/heads/" or "refs/tags/".
func (r Ref) ShortName() string {
	return strings.TrimPrefix(strings.TrimPrefix(r.Name, "refs/heads/"), "refs/tags/")
}

// Prefix returns "refs/heads/", "refs/tags/" or the part before the last "/".
func (r Ref) Prefix() string { return r.Name[:len(r.Name)-len(r.ShortName())] }

func (w *World) repoSnap(r *repo) Repo {
	s := r.Repo
	if a := w.accByID[r.ownerID]; a != nil {
		s.Owner = *a
	}
	s.Empty = len(r.refs) == 0
	if p := w.repoByID[r.ParentID]; p != nil {
		s.ParentFullName = w.repoSnap(p).FullName()
	}
	return s
}

// perm returns the actor's permission on r; public repositories are readable
// by everyone, a fork not yet visible is invisible to all, and a nil actor
// (the system) may do anything.
func (w *World) perm(actor *Token, r *repo) Permission {
	if r == nil || w.clk.Now().Before(r.visibleAt) {
		return PermNone
	}
	if actor == nil {
		// The system (seeding, test set-up) may do anything.
		if r.Archived {
			return PermRead
		}
		return PermAdmin
	}
	p := PermNone
	{
		a := w.accByID[r.ownerID]
		p = actor.permFor(a.Login + "/" + r.Name)
		if a.ID == actor.UserID {
			p = PermAdmin
		}
	}
	if p < PermRead && !r.Private {
		p = PermRead
	}
	if r.Archived && p > PermRead {
		p = PermRead
	}
	return p
}

// readable returns the repository by id if the actor can see it.
func (w *World) readable(actor *Token, id int64) (*repo, error) {
	r := w.repoByID[id]
	if r == nil || w.perm(actor, r) < PermRead {
		return nil, notFound()
	}
	return r, nil
}

// writable returns the repository by id if the actor may push to it.
func (w *World) writable(actor *Token, id int64) (*repo, error) {
	r, err := w.readable(actor, id)
	if err != nil {
		return nil, err
	}
	if r.Archived {
		return nil, errorf(Forbidden, "Repository was archived so is read-only.")
	}
	if w.perm(actor, r) < PermWrite {
		return nil, errorf(Forbidden, "Resource not accessible by personal access token")
	}
	return r, nil
}

// RepoByName returns owner/name (any case) if the actor can see it.
func (w *World) RepoByName(actor *Token, owner, name string) (Repo, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.repos[strings.ToLower(owner+"/"+name)]
	if r == nil || w.perm(actor, r) < PermRead {
		return Repo{}, notFound()
	}
	return w.repoSnap(r), nil
}

// RepoByID returns the repository with database id if the actor can see it.
func (w *World) RepoByID(actor *Token, id int64) (Repo, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, id)
	if err != nil {
		return Repo{}, err
	}
	return w.repoSnap(r), nil
}

// RepoByNodeID returns the repository with a node id if the actor can see it.
func (w *World) RepoByNodeID(actor *Token, id string) (Repo, error) {
	prefix, payload, ok := parseNodeID(id)
	if !ok || prefix != "R" {
		return Repo{}, errorf(NotFound, "Could not resolve to a node with the global id of '%s'", id)
	}
	n, _ := strconv.ParseInt(payload, 10, 64)
	return w.RepoByID(actor, n)
}

// ViewerPermission returns the actor's permission on the repository.
func (w *World) ViewerPermission(actor *Token, repoID int64) Permission {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.perm(actor, w.repoByID[repoID])
}

// ListRepos returns the repositories owned by owner that the actor can see,
// sorted by name (case-insensitively); forks are included.
func (w *World) ListRepos(actor *Token, owner string) ([]Repo, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	a := w.accounts[strings.ToLower(owner)]
	if a == nil {
		return nil, notFound()
	}
	var out []Repo
	for _, r := range w.repoByID {
		if r.ownerID == a.ID && w.perm(actor, r) >= PermRead {
			out = append(out, w.repoSnap(r))
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// AccessibleRepos returns every repository the actor can see, by full name.
func (w *World) AccessibleRepos(actor *Token) []Repo {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Repo
	for _, r := range w.repoByID {
		if w.perm(actor, r) >= PermRead {
			out = append(out, w.repoSnap(r))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return strings.ToLower(out[i].FullName()) < strings.ToLower(out[j].FullName())
	})
	return out
}

// NewRepo describes a repository to create.
type NewRepo struct {
	Owner            string
	Name             string
	Description      string
	Private          bool
	Archived         bool
	AutoMergeAllowed bool
	RequiredChecks   bool
	DefaultBranch    string            // "main" if empty
	AutoInit         bool              // an initial commit with README.md
	Files            map[string][]byte // initial commit content (implies a commit)
}

// CreateRepo creates a repository owned by opts.Owner. The actor must be that
// user, or hold write permission by default (an organisation member); a nil
// actor is the seeding path and may do anything. With neither AutoInit nor
// Files the repository is empty: it has no branches.
func (w *World) CreateRepo(actor *Token, opts NewRepo) (Repo, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.createRepo(actor, opts)
	if err != nil {
		return Repo{}, err
	}
	return w.repoSnap(r), nil
}

func (w *World) createRepo(actor *Token, opts NewRepo) (*repo, error) {
	if opts.Name == "" || strings.ContainsAny(opts.Name, "/ ") {
		return nil, &Error{Kind: Invalid, Message: "Repository creation failed.", Resource: "Repository", Field: "name", Code: "custom"}
	}
	owner := w.accounts[strings.ToLower(opts.Owner)]
	if owner == nil {
		return nil, notFound()
	}
	if actor != nil && owner.ID != actor.UserID && actor.Default < PermWrite {
		return nil, errorf(Forbidden, "You need admin access to the organization before adding a repository to it.")
	}
	key := strings.ToLower(owner.Login + "/" + opts.Name)
	if w.repos[key] != nil {
		return nil, &Error{Kind: Invalid, Message: "Repository creation failed.", Resource: "Repository", Field: "name", Code: "custom"}
	}
	now := w.clk.Now()
	id := w.newID()
	branch := opts.DefaultBranch
	if branch == "" {
		branch = "main"
	}
	r := &repo{
		Repo: Repo{ID: id, NodeID: idNode("R", id), Name: opts.Name, Description: opts.Description,
			DefaultBranch: branch, Private: opts.Private, AutoMergeAllowed: opts.AutoMergeAllowed,
			RequiredChecks: opts.RequiredChecks, CreatedAt: now, UpdatedAt: now, PushedAt: now},
		ownerID: owner.ID,
		refs:    map[string]string{},
		labels:  map[string]*label{},
	}
	w.repos[key] = r
	w.repoByID[id] = r
	files := opts.Files
	if opts.AutoInit && len(files) == 0 {
		files = map[string][]byte{"README.md": []byte("# " + opts.Name + "\n")}
	}
	if len(files) > 0 {
		author := w.signatureFor(actor, owner, now)
		if _, err := w.commit(r, "refs/heads/"+branch, "", files, nil, "Initial commit", author, true, actor == nil); err != nil {
			return nil, err
		}
	}
	r.Archived = opts.Archived
	return r, nil
}

// signatureFor returns the author of a commit made by actor (or by fallback
// when actor is nil, as when seeding).
func (w *World) signatureFor(actor *Token, fallback *Account, at time.Time) Signature {
	a := fallback
	if actor != nil {
		if u := w.accByID[actor.UserID]; u != nil {
			a = u
		}
	}
	return Signature{Name: a.Name, Email: a.Email, Date: at, Login: a.Login}
}

// RepoPatch changes repository settings; nil fields are left alone.
type RepoPatch struct {
	Name              *string
	Description       *string
	DefaultBranch     *string
	Archived          *bool
	Disabled          *bool
	Private           *bool
	AutoMergeAllowed  *bool
	RequiredChecks    *bool
	DraftsUnsupported *bool
	Rules             *Rules
}

// UpdateRepo applies patch; it needs admin permission (a nil actor always
// may). An archived repository can only be unarchived.
func (w *World) UpdateRepo(actor *Token, repoID int64, patch RepoPatch) (Repo, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.repoByID[repoID]
	if actor != nil {
		var err error
		if r, err = w.readable(actor, repoID); err != nil {
			return Repo{}, err
		}
		p := actor.permFor(w.repoSnap(r).FullName())
		if a := w.accByID[r.ownerID]; a != nil && a.ID == actor.UserID {
			p = PermAdmin
		}
		if p < PermAdmin {
			return Repo{}, errorf(Forbidden, "Must have admin rights to Repository.")
		}
	}
	if r == nil {
		return Repo{}, notFound()
	}
	if patch.Name != nil && *patch.Name != r.Name {
		owner := w.accByID[r.ownerID]
		key := strings.ToLower(owner.Login + "/" + *patch.Name)
		if *patch.Name == "" || w.repos[key] != nil && w.repos[key] != r {
			return Repo{}, &Error{Kind: Invalid, Message: "name already exists on this account", Resource: "Repository", Field: "name", Code: "custom"}
		}
		delete(w.repos, strings.ToLower(owner.Login+"/"+r.Name))
		r.Name = *patch.Name
		w.repos[key] = r
	}
	if patch.DefaultBranch != nil && *patch.DefaultBranch != r.DefaultBranch {
		oid, ok := r.refs["refs/heads/"+*patch.DefaultBranch]
		if !ok && len(r.refs) > 0 {
			return Repo{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "Repository", Field: "default_branch", Code: "invalid"}
		}
		r.DefaultBranch = *patch.DefaultBranch
		if ok {
			r.index = append(r.index, indexEntry{at: w.clk.Now().Add(w.indexLag), commit: oid})
		}
	}
	set := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	set(&r.Archived, patch.Archived)
	set(&r.Disabled, patch.Disabled)
	set(&r.Private, patch.Private)
	set(&r.AutoMergeAllowed, patch.AutoMergeAllowed)
	set(&r.RequiredChecks, patch.RequiredChecks)
	set(&r.DraftsUnsupported, patch.DraftsUnsupported)
	if patch.Rules != nil {
		r.Rules = *patch.Rules
	}
	if patch.Description != nil {
		r.Description = *patch.Description
	}
	r.UpdatedAt = w.clk.Now()
	return w.repoSnap(r), nil
}

// Fork creates a fork of repoID owned by org (or by the actor's user when
// org is empty), named name (or the parent's name). The fork becomes visible
// after the World's fork delay; Fork returns it at once, as GitHub's 202 does.
// Forking again returns the existing fork.
func (w *World) Fork(actor *Token, repoID int64, org, name string, defaultBranchOnly bool) (Repo, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fork(actor, repoID, org, name, defaultBranchOnly, w.forkDelay)
}

func (w *World) fork(actor *Token, repoID int64, org, name string, defaultBranchOnly bool, delay time.Duration) (Repo, error) {
	parent, err := w.readable(actor, repoID)
	if err != nil {
		return Repo{}, err
	}
	var owner *Account
	if org != "" {
		if owner = w.accounts[strings.ToLower(org)]; owner == nil || !owner.IsOrg() {
			return Repo{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "Fork", Field: "organization", Code: "invalid"}
		}
	} else if actor != nil {
		owner = w.accByID[actor.UserID]
	}
	if owner == nil {
		return Repo{}, errorf(Forbidden, "Requires authentication")
	}
	if name == "" {
		name = parent.Name
	}
	for _, r := range w.repoByID {
		if r.ParentID == parent.ID && r.ownerID == owner.ID {
			return w.repoSnap(r), nil
		}
	}
	key := strings.ToLower(owner.Login + "/" + name)
	if w.repos[key] != nil {
		return Repo{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "Repository", Field: "name", Code: "already_exists"}
	}
	now := w.clk.Now()
	id := w.newID()
	f := &repo{
		Repo: Repo{ID: id, NodeID: idNode("R", id), Name: name, Description: parent.Description,
			DefaultBranch: parent.DefaultBranch, Private: parent.Private, Fork: true, ParentID: parent.ID,
			CreatedAt: now, UpdatedAt: now, PushedAt: parent.PushedAt},
		ownerID:   owner.ID,
		refs:      map[string]string{},
		labels:    map[string]*label{},
		visibleAt: now.Add(delay),
	}
	for ref, oid := range parent.refs {
		if !defaultBranchOnly || ref == "refs/heads/"+parent.DefaultBranch {
			f.refs[ref] = oid
		}
	}
	if oid, ok := f.refs["refs/heads/"+f.DefaultBranch]; ok {
		f.index = append(f.index, indexEntry{at: f.visibleAt.Add(w.indexLag), commit: oid})
	}
	w.repos[key] = f
	w.repoByID[id] = f
	return w.repoSnap(f), nil
}

// DeleteRepo deletes a repository; it needs admin permission.
func (w *World) DeleteRepo(actor *Token, repoID int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return err
	}
	a := w.accByID[r.ownerID]
	if p := actor.permFor(a.Login + "/" + r.Name); p < PermAdmin && a.ID != actor.UserID {
		return errorf(Forbidden, "Must have admin rights to Repository.")
	}
	delete(w.repos, strings.ToLower(a.Login+"/"+r.Name))
	delete(w.repoByID, repoID)
	for _, p := range r.pulls {
		delete(w.prByID, p.ID)
	}
	for _, l := range r.labels {
		delete(w.labelByID, l.ID)
	}
	return nil
}

// SeedFork makes owner's fork of repoID visible at once, without permission
// checks; seeding uses it. The owner is created as an organisation if
// missing.
func (w *World) SeedFork(repoID int64, owner, name string) (Repo, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	a := w.accounts[strings.ToLower(owner)]
	if a == nil {
		a = w.addAccount(owner, "Organization")
	}
	tmp := &Token{Login: a.Login, UserID: a.ID, Default: PermAdmin}
	org := ""
	if a.IsOrg() {
		org = a.Login
	}
	return w.fork(tmp, repoID, org, name, false, 0)
}
