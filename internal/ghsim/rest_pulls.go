package ghsim

// GitHub's pull requests API, reviewer requests included.

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

func (s *Server) listPulls(c *call, r state.Repo) (int, any, error) {
	q := c.r.URL.Query()
	f := state.PRFilter{BaseRef: q.Get("base")}
	if h := q.Get("head"); h != "" {
		owner, branch, found := strings.Cut(h, ":")
		if !found {
			return 0, nil, errorf(http.StatusUnprocessableEntity, "Validation Failed")
		}
		f.HeadOwner, f.HeadRef = owner, branch
	}
	switch st := q.Get("state"); st {
	case "", "open":
		f.States = []string{"open"}
	case "closed":
		f.States = []string{"closed"}
	case "all":
	default:
		return 0, nil, invalid("PullRequest", "state", "invalid")
	}
	prs, err := s.world.FindPullRequests(c.actor, r.ID, f)
	if err != nil {
		return 0, nil, err
	}
	if q.Get("direction") == "asc" {
		for i, j := 0, len(prs)-1; i < j; i, j = i+1, j-1 {
			prs[i], prs[j] = prs[j], prs[i]
		}
	}
	return pageOf(c, prs, func(p state.PullRequest) obj { return s.prJSON(c.l, c.actor, p, false) })
}

func (s *Server) createPull(c *call, r state.Repo) (int, any, error) {
	var body struct {
		Title    string `json:"title"`
		Head     string `json:"head"`
		HeadRepo string `json:"head_repo"`
		Base     string `json:"base"`
		Body     string `json:"body"`
		Draft    bool   `json:"draft"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	if body.Head == "" {
		return 0, nil, invalid("PullRequest", "head", "missing_field")
	}
	if body.Base == "" {
		return 0, nil, invalid("PullRequest", "base", "missing_field")
	}
	in := state.NewPullRequest{Base: body.Base, Head: body.Head, Title: body.Title, Body: body.Body, Draft: body.Draft}
	if body.HeadRepo != "" {
		owner, name, _ := strings.Cut(body.HeadRepo, "/")
		if !strings.Contains(body.HeadRepo, "/") {
			owner, name = body.HeadRepo, r.Name
		}
		hr, err := s.world.RepoByName(c.actor, owner, name)
		if err != nil {
			return 0, nil, invalid("PullRequest", "head_repo", "invalid")
		}
		in.HeadRepoID = hr.ID
	}
	p, err := s.world.CreatePullRequest(c.actor, r.ID, in)
	if err != nil {
		return 0, nil, err
	}
	c.w.Header().Set("Location", c.l.repoURL(r.FullName())+fmt.Sprintf("/pulls/%d", p.Number))
	return http.StatusCreated, s.prJSON(c.l, c.actor, p, true), nil
}

func (s *Server) getPull(c *call, r state.Repo) (int, any, error) {
	n, err := c.number("pull_number")
	if err != nil {
		return 0, nil, err
	}
	p, err := s.world.PullRequest(c.actor, r.ID, n)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.prJSON(c.l, c.actor, p, true), nil
}

func (s *Server) updatePull(c *call, r state.Repo) (int, any, error) {
	n, err := c.number("pull_number")
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		Title *string `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
		Base  *string `json:"base"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	p, err := s.world.UpdatePullRequest(c.actor, r.ID, n, state.PRPatch{Title: body.Title, Body: body.Body, State: body.State, Base: body.Base})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.prJSON(c.l, c.actor, p, true), nil
}

func (s *Server) requestReviewers(c *call, r state.Repo) (int, any, error) {
	return s.reviewers(c, r, true)
}

func (s *Server) removeReviewers(c *call, r state.Repo) (int, any, error) {
	return s.reviewers(c, r, false)
}

func (s *Server) reviewers(c *call, r state.Repo, add bool) (int, any, error) {
	n, err := c.number("pull_number")
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		Reviewers     []string `json:"reviewers"`
		TeamReviewers []string `json:"team_reviewers"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	var p state.PullRequest
	if add {
		p, err = s.world.RequestReviewers(c.actor, r.ID, n, body.Reviewers, body.TeamReviewers, true)
	} else {
		p, err = s.world.RemoveRequestedReviewers(c.actor, r.ID, n, body.Reviewers, body.TeamReviewers)
	}
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusOK
	if add {
		status = http.StatusCreated
	}
	return status, s.prJSON(c.l, c.actor, p, false), nil
}
