package ghsim

// GitHub's issues API: issues, labels and assignees (pull requests are
// issues there too).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

func (s *Server) listLabels(c *call, r state.Repo) (int, any, error) {
	labels, err := s.world.Labels(c.actor, r.ID)
	if err != nil {
		return 0, nil, err
	}
	return pageOf(c, labels, func(lb state.Label) obj { return c.l.labelJSON(r.FullName(), lb) })
}

func (s *Server) getLabel(c *call, r state.Repo) (int, any, error) {
	lb, err := s.world.Label(c.actor, r.ID, c.r.PathValue("name"))
	if err != nil {
		return 0, nil, notFound
	}
	return http.StatusOK, c.l.labelJSON(r.FullName(), lb), nil
}

func validColor(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range strings.ToLower(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Server) createLabel(c *call, r state.Repo) (int, any, error) {
	var body struct {
		Name        string `json:"name"`
		Color       string `json:"color"`
		Description string `json:"description"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	if body.Color != "" && !validColor(strings.TrimPrefix(body.Color, "#")) {
		return 0, nil, invalid("Label", "color", "invalid")
	}
	lb, err := s.world.CreateLabel(c.actor, r.ID, body.Name, body.Color, body.Description)
	if err != nil {
		return 0, nil, err
	}
	c.w.Header().Set("Location", c.l.repoURL(r.FullName())+"/labels/"+url.PathEscape(lb.Name))
	return http.StatusCreated, c.l.labelJSON(r.FullName(), lb), nil
}

func (s *Server) addLabels(c *call, r state.Repo) (int, any, error) {
	n, err := c.number("issue_number")
	if err != nil {
		return 0, nil, err
	}
	// The body is {"labels":[…]} of names or {name} objects, or a bare array.
	var raw json.RawMessage
	if err := c.decode(&raw); err != nil {
		return 0, nil, err
	}
	var names []string
	var wrapped struct {
		Labels []json.RawMessage `json:"labels"`
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &wrapped); err == nil && wrapped.Labels != nil {
		items = wrapped.Labels
	} else if err := json.Unmarshal(raw, &items); err != nil {
		return 0, nil, invalid("Label", "labels", "invalid")
	}
	for _, it := range items {
		var name string
		var o struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(it, &name) == nil {
			names = append(names, name)
		} else if json.Unmarshal(it, &o) == nil && o.Name != "" {
			names = append(names, o.Name)
		} else {
			return 0, nil, invalid("Label", "labels", "invalid")
		}
	}
	labels, err := s.world.AddLabels(c.actor, r.ID, n, names, true)
	if err != nil {
		return 0, nil, err
	}
	out := []obj{}
	for _, lb := range labels {
		out = append(out, c.l.labelJSON(r.FullName(), lb))
	}
	return http.StatusOK, out, nil
}

func (s *Server) addAssignees(c *call, r state.Repo) (int, any, error) {
	n, err := c.number("issue_number")
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		Assignees []string `json:"assignees"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	p, err := s.world.AddAssignees(c.actor, r.ID, n, body.Assignees)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, s.issueJSON(c, r, p), nil
}

// issueJSON is an issue, or a pull request seen through the issues API.
func (s *Server) issueJSON(c *call, r state.Repo, p state.PullRequest) obj {
	full := r.FullName()
	u := c.l.repoURL(full) + fmt.Sprintf("/issues/%d", p.Number)
	if p.IsIssue {
		labels := []obj{}
		for _, lb := range p.Labels {
			labels = append(labels, c.l.labelJSON(full, lb))
		}
		assignees := []obj{}
		for _, a := range p.Assignees {
			assignees = append(assignees, c.l.userJSON(a))
		}
		var assignee, body, closed any
		if len(assignees) > 0 {
			assignee = assignees[0]
		}
		if p.Body != "" {
			body = p.Body
		}
		if p.ClosedAt != nil {
			closed = ts(*p.ClosedAt)
		}
		return obj{"id": p.ID, "node_id": p.NodeID, "url": u, "repository_url": c.l.repoURL(full),
			"labels_url": u + "/labels{/name}", "comments_url": u + "/comments", "events_url": u + "/events",
			"html_url": p.HTMLURL, "number": p.Number, "state": p.State, "title": p.Title, "body": body,
			"user": c.l.userJSON(p.User), "labels": labels, "assignee": assignee, "assignees": assignees,
			"milestone": nil, "locked": false, "active_lock_reason": nil, "comments": 0,
			"closed_at": closed, "created_at": ts(p.CreatedAt), "updated_at": ts(p.UpdatedAt),
			"author_association": "MEMBER", "state_reason": nil,
			"reactions": obj{"url": u + "/reactions", "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
				"confused": 0, "heart": 0, "rocket": 0, "eyes": 0},
			"timeline_url": u + "/timeline", "performed_via_github_app": nil, "closed_by": nil}
	}
	pr := s.prJSON(c.l, c.actor, p, false)
	o := obj{"id": p.ID, "node_id": p.NodeID, "url": u, "repository_url": c.l.repoURL(full),
		"labels_url": u + "/labels{/name}", "comments_url": u + "/comments", "events_url": u + "/events",
		"html_url": p.HTMLURL, "number": p.Number, "state": p.State, "title": p.Title, "body": pr["body"],
		"user": pr["user"], "labels": pr["labels"], "assignee": pr["assignee"], "assignees": pr["assignees"],
		"milestone": nil, "locked": false, "active_lock_reason": nil, "comments": 0,
		"closed_at": pr["closed_at"], "created_at": pr["created_at"], "updated_at": pr["updated_at"],
		"author_association": "MEMBER", "draft": p.Draft,
		"pull_request": obj{"url": pr["url"], "html_url": p.HTMLURL, "diff_url": pr["diff_url"], "patch_url": pr["patch_url"], "merged_at": nil},
	}
	return o
}

func (s *Server) createIssue(c *call, r state.Repo) (int, any, error) {
	var body struct {
		Title any    `json:"title"`
		Body  string `json:"body"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	title := fmt.Sprint(body.Title)
	if body.Title == nil {
		title = ""
	}
	p, err := s.world.CreateIssue(c.actor, r.ID, title, body.Body)
	if err != nil {
		return 0, nil, err
	}
	c.w.Header().Set("Location", c.l.repoURL(r.FullName())+fmt.Sprintf("/issues/%d", p.Number))
	return http.StatusCreated, s.issueJSON(c, r, p), nil
}

func (s *Server) listIssues(c *call) (int, any, error) {
	var r state.Repo
	if id := c.r.PathValue("repository_id"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err == nil {
			r, err = s.world.RepoByID(c.actor, n)
		}
		if err != nil {
			return 0, nil, notFound
		}
	} else {
		var err error
		if r, err = c.s.world.RepoByName(c.actor, c.r.PathValue("owner"), c.r.PathValue("repo")); err != nil {
			return 0, nil, err
		}
	}
	st := c.r.URL.Query().Get("state")
	if st == "" {
		st = "open"
	}
	if st != "open" && st != "closed" && st != "all" {
		return 0, nil, invalid("Issue", "state", "invalid")
	}
	items, err := s.world.Issues(c.actor, r.ID, st)
	if err != nil {
		return 0, nil, err
	}
	return pageOf(c, items, func(p state.PullRequest) obj {
		o := s.issueJSON(c, r, p)
		delete(o, "closed_by") // only a single issue carries it
		return o
	})
}

func (s *Server) getIssue(c *call, r state.Repo) (int, any, error) {
	n, err := c.number("issue_number")
	if err != nil {
		return 0, nil, err
	}
	p, err := s.world.Issue(c.actor, r.ID, n)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.issueJSON(c, r, p), nil
}
