package ghsim

// GitHub's repositories API: getting, listing, creating, updating, forking
// and deleting repositories.

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

func (s *Server) getRepo(c *call, r state.Repo) (int, any, error) {
	return http.StatusOK, s.repoBytes(c.l, r, s.world.ViewerPermission(c.actor, r.ID)), nil
}

type repoKey struct {
	repo state.Repo
	l    links
	perm state.Permission
}

// repoBytes returns the encoded full-repository object, cached by the
// whole snapshot: GET /repos/{owner}/{repo} is the hottest endpoint (a
// pointer, so that returning it as a handler's body does not allocate).
func (s *Server) repoBytes(l links, r state.Repo, perm state.Permission) *rawJSON {
	k := repoKey{r, l, perm}
	s.cacheMu.Lock()
	b, ok := s.repoCache[k]
	s.cacheMu.Unlock()
	if ok {
		return b
	}
	o := l.repoJSON(r, perm)
	o["temp_clone_token"] = "" // only GET carries it
	if r.Fork && r.ParentID != 0 {
		// GitHub answers a fork with its parent and source as whole
		// repository objects (full-repository's parent is a "repository").
		if p, err := s.world.RepoByID(nil, r.ParentID); err == nil {
			parent := l.repoJSON(p, perm)
			o["parent"], o["source"] = parent, parent
		}
	}
	enc, err := json.Marshal(o)
	if err != nil {
		panic(err) // only strings, numbers and booleans
	}
	b = (*rawJSON)(&enc)
	s.cacheMu.Lock()
	if len(s.repoCache) > 20000 {
		clear(s.repoCache)
	}
	s.repoCache[k] = b
	s.cacheMu.Unlock()
	return b
}

func (s *Server) updateRepo(c *call, r state.Repo) (int, any, error) {
	var body struct {
		Name           *string `json:"name"`
		Description    *string `json:"description"`
		DefaultBranch  *string `json:"default_branch"`
		Archived       *bool   `json:"archived"`
		Private        *bool   `json:"private"`
		Visibility     *string `json:"visibility"`
		AllowAutoMerge *bool   `json:"allow_auto_merge"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	if body.Visibility != nil {
		p := *body.Visibility == "private"
		body.Private = &p
	}
	r, err := s.world.UpdateRepo(c.actor, r.ID, state.RepoPatch{Name: body.Name, Description: body.Description,
		DefaultBranch: body.DefaultBranch, Archived: body.Archived, Private: body.Private, AutoMergeAllowed: body.AllowAutoMerge})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.l.repoJSON(r, s.world.ViewerPermission(c.actor, r.ID)), nil
}

func (s *Server) deleteRepo(c *call, r state.Repo) (int, any, error) {
	if err := s.world.DeleteRepo(c.actor, r.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *Server) writeRepos(c *call, repos []state.Repo) (int, any, error) {
	if t := c.r.URL.Query().Get("type"); t == "forks" || t == "sources" {
		var keep []state.Repo
		for _, r := range repos {
			if r.Fork == (t == "forks") {
				keep = append(keep, r)
			}
		}
		repos = keep
	}
	return pageOf(c, repos, func(r state.Repo) obj { return c.l.repoJSON(r, s.world.ViewerPermission(c.actor, r.ID)) })
}

func (s *Server) listOwnerRepos(c *call) (int, any, error) {
	owner := c.r.PathValue("org")
	if owner == "" {
		owner = c.r.PathValue("username")
	}
	repos, err := s.world.ListRepos(c.actor, owner)
	if err != nil {
		return 0, nil, err
	}
	return s.writeRepos(c, repos)
}

func (s *Server) listMyRepos(c *call) (int, any, error) {
	var mine []state.Repo
	for _, r := range s.world.AccessibleRepos(c.actor) {
		if s.world.ViewerPermission(c.actor, r.ID) >= state.PermWrite || strings.EqualFold(r.Owner.Login, c.actor.Login) {
			mine = append(mine, r)
		}
	}
	return s.writeRepos(c, mine)
}

func (s *Server) createRepo(c *call) (int, any, error) {
	var body struct {
		Name             string  `json:"name"`
		Description      string  `json:"description"`
		Private          bool    `json:"private"`
		Visibility       string  `json:"visibility"`
		AutoInit         bool    `json:"auto_init"`
		AllowAutoMerge   bool    `json:"allow_auto_merge"`
		DefaultBranch    *string `json:"default_branch"`
		GitignoreTmpl    string  `json:"gitignore_template"`
		LicenseTemplate  string  `json:"license_template"`
		HasIssues        *bool   `json:"has_issues"`
		IsTemplate       bool    `json:"is_template"`
		DeleteBranchMrg  bool    `json:"delete_branch_on_merge"`
		AllowSquashMerge *bool   `json:"allow_squash_merge"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	if body.Name == "" {
		return 0, nil, invalid("Repository", "name", "missing_field")
	}
	owner := c.r.PathValue("org")
	if owner == "" {
		owner = c.actor.Login
	} else if _, err := s.world.Account(owner); err != nil {
		return 0, nil, notFound
	}
	branch := ""
	if body.DefaultBranch != nil {
		branch = *body.DefaultBranch
	}
	r, err := s.world.CreateRepo(c.actor, state.NewRepo{Owner: owner, Name: body.Name, Description: body.Description,
		Private: body.Private || body.Visibility == "private", AutoInit: body.AutoInit || body.GitignoreTmpl != "" || body.LicenseTemplate != "",
		AutoMergeAllowed: body.AllowAutoMerge, DefaultBranch: branch})
	if err != nil {
		return 0, nil, err
	}
	c.w.Header().Set("Location", c.l.repoURL(r.FullName()))
	return http.StatusCreated, c.l.repoJSON(r, state.PermAdmin), nil
}

func (s *Server) createFork(c *call, r state.Repo) (int, any, error) {
	var body struct {
		Organization      string `json:"organization"`
		Name              string `json:"name"`
		DefaultBranchOnly bool   `json:"default_branch_only"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	f, err := s.world.Fork(c.actor, r.ID, body.Organization, body.Name, body.DefaultBranchOnly)
	if err != nil {
		return 0, nil, err
	}
	o := c.l.repoJSON(f, state.PermAdmin)
	o["parent"] = c.l.repoJSON(r, s.world.ViewerPermission(c.actor, r.ID))
	o["source"] = o["parent"]
	return http.StatusAccepted, o, nil
}
