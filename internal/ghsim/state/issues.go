package state

// Issues, which share their numbers (and assignees) with pull requests.

import (
	"strings"
)

// issueFor returns issue or pull request number in the repository.
func (w *World) issueFor(r *repo, number int) (*pull, error) {
	for _, p := range r.pulls {
		if p.Number == number {
			return p, nil
		}
	}
	return nil, notFound()
}

// CreateIssue opens an issue; issues share their numbers with pull
// requests. Issues exist so that recorded sessions replay; the Action only
// opens pull requests.
func (w *World) CreateIssue(actor *Token, repoID int64, title, body string) (PullRequest, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return PullRequest{}, err
	}
	if r.Archived {
		return PullRequest{}, errorf(Forbidden, "Repository was archived so is read-only.")
	}
	if strings.TrimSpace(title) == "" {
		return PullRequest{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "Issue", Field: "title", Code: "missing_field"}
	}
	now := w.clk.Now()
	id := w.newID()
	r.nextNum++
	p := &pull{PullRequest: PullRequest{ID: id, NodeID: idNode("I", id), RepoID: r.ID, Number: r.nextNum,
		Title: title, Body: body, State: "open", IsIssue: true, Base: Branch{RepoID: r.ID},
		CreatedAt: now, UpdatedAt: now}, userID: r.ownerID}
	if actor != nil {
		p.userID = actor.UserID
	}
	r.pulls = append(r.pulls, p)
	w.prByID[id] = p
	return w.prSnap(p), nil
}

// Issue returns issue (or pull request) number of the repository.
func (w *World) Issue(actor *Token, repoID int64, number int) (PullRequest, error) {
	return w.readItem(actor, repoID, number, w.issueFor)
}

// Issues returns the repository's issues and pull requests in state
// ("open", "closed" or "all"), newest first, as the REST issues list does.
func (w *World) Issues(actor *Token, repoID int64, state string) ([]PullRequest, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return nil, err
	}
	var out []PullRequest
	for i := len(r.pulls) - 1; i >= 0; i-- {
		if p := r.pulls[i]; state == "all" || strings.EqualFold(p.State, state) {
			out = append(out, w.prSnap(p))
		}
	}
	return out, nil
}

// AddAssignees adds assignees by login; unknown logins are ignored, as REST
// does.
func (w *World) AddAssignees(actor *Token, repoID int64, number int, logins []string) (PullRequest, error) {
	return w.assign(actor, repoID, number, logins, true)
}

// SetAssignees replaces the assignees.
func (w *World) SetAssignees(actor *Token, repoID int64, number int, logins []string) (PullRequest, error) {
	return w.assign(actor, repoID, number, logins, false)
}

func (w *World) assign(actor *Token, repoID int64, number int, logins []string, add bool) (PullRequest, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, p, err := w.writableItem(actor, repoID, number, true)
	if err != nil {
		return PullRequest{}, err
	}
	if !add {
		p.assignees = nil
	}
	for _, login := range logins {
		if a := w.accounts[strings.ToLower(login)]; a != nil && a.IsUser() && !contains(p.assignees, a.ID) {
			p.assignees = append(p.assignees, a.ID)
		}
	}
	p.UpdatedAt = w.clk.Now()
	return w.prSnap(p), nil
}
