package ghsim

// GitHub's Git database API (refs, trees, blobs, commits) and the
// repository commits endpoint.

import (
	"net/http"
	"strings"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

func (s *Server) getRef(c *call, r state.Repo) (int, any, error) {
	name := c.r.PathValue("ref")
	if !strings.HasPrefix(name, "heads/") && !strings.HasPrefix(name, "tags/") && !strings.HasPrefix(name, "refs/") {
		return 0, nil, notFound
	}
	ref, err := s.world.Ref(c.actor, r.ID, "refs/"+strings.TrimPrefix(name, "refs/"))
	if err != nil {
		if r.Empty {
			return 0, nil, errorf(http.StatusConflict, "Git Repository is empty.")
		}
		return 0, nil, err
	}
	return http.StatusOK, c.l.refJSON(r.FullName(), ref), nil
}

func (s *Server) matchingRefs(c *call, r state.Repo) (int, any, error) {
	if r.Empty {
		return 0, nil, errorf(http.StatusConflict, "Git Repository is empty.")
	}
	prefix := "refs/" + strings.TrimPrefix(c.r.PathValue("ref"), "refs/")
	refs, err := s.world.Refs(c.actor, r.ID, prefix)
	if err != nil {
		return 0, nil, err
	}
	return pageOf(c, refs, func(ref state.Ref) obj { return c.l.refJSON(r.FullName(), ref) })
}

func (s *Server) createRef(c *call, r state.Repo) (int, any, error) {
	var body struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	if body.Ref == "" || body.SHA == "" {
		return 0, nil, errorf(http.StatusUnprocessableEntity, "Invalid request.\n\n\"ref\" and \"sha\" are required.")
	}
	if !strings.HasPrefix(body.Ref, "refs/") || strings.Count(body.Ref, "/") < 2 {
		return 0, nil, errorf(http.StatusUnprocessableEntity, "Reference name must start with 'refs/' and have at least two slashes.")
	}
	ref, err := s.world.CreateRef(c.actor, r.ID, body.Ref, body.SHA)
	if err != nil {
		return 0, nil, err
	}
	c.w.Header().Set("Location", c.l.repoURL(r.FullName())+"/git/"+ref.Name)
	return http.StatusCreated, c.l.refJSON(r.FullName(), ref), nil
}

func (s *Server) updateRef(c *call, r state.Repo) (int, any, error) {
	var body struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	if body.SHA == "" {
		return 0, nil, errorf(http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.")
	}
	ref, err := s.world.UpdateRef(c.actor, r.ID, "refs/"+strings.TrimPrefix(c.r.PathValue("ref"), "refs/"), body.SHA, body.Force)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.l.refJSON(r.FullName(), ref), nil
}

func (s *Server) deleteRef(c *call, r state.Repo) (int, any, error) {
	if err := s.world.DeleteRef(c.actor, r.ID, "refs/"+strings.TrimPrefix(c.r.PathValue("ref"), "refs/")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// maxTreeEntries is where a recursive tree listing is truncated. GitHub's
// "Get a tree" (docs.github.com/rest/git/trees#get-a-tree): "If truncated
// is true in the response then the number of items in the tree array
// exceeded our maximum limit. If you need to fetch more items, use the
// non-recursive method of fetching trees, and fetch one sub-tree at a
// time." and "The limit for the tree array is 100,000 entries with a
// maximum size of 7 MB when using the recursive parameter." The limit is
// the recursive listing's only; Server.SetTreeLimit lowers it for tests.
const maxTreeEntries = 100000

func (s *Server) getTree(c *call, r state.Repo) (int, any, error) {
	rec := c.r.URL.Query().Get("recursive")
	recursive := rec != "" && rec != "0" && rec != "false"
	oid, entries, err := s.world.Tree(c.actor, r.ID, c.r.PathValue("tree_sha"), recursive)
	if err != nil {
		return 0, nil, err
	}
	limit := maxTreeEntries
	if n := s.treeLimit.Load(); n > 0 {
		limit = int(n)
	}
	truncated := recursive && len(entries) > limit
	if truncated {
		entries = entries[:limit]
	}
	out := make([]obj, 0, len(entries))
	for _, e := range entries {
		o := obj{"path": e.Path, "mode": e.Mode, "type": e.Type, "sha": e.OID}
		if e.Type == state.TypeBlob {
			o["size"] = e.Size
			o["url"] = c.l.repoURL(r.FullName()) + "/git/blobs/" + e.OID
		} else {
			o["url"] = c.l.repoURL(r.FullName()) + "/git/trees/" + e.OID
		}
		out = append(out, o)
	}
	return http.StatusOK, obj{"sha": oid, "url": c.l.repoURL(r.FullName()) + "/git/trees/" + oid, "tree": out, "truncated": truncated}, nil
}

func (s *Server) getBlob(c *call, r state.Repo) (int, any, error) {
	sha := c.r.PathValue("file_sha")
	data, err := s.world.Blob(c.actor, r.ID, sha)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, obj{"sha": strings.ToLower(sha), "node_id": "B_kgDO" + sha[:min(len(sha), 12)], "size": len(data),
		"url": c.l.repoURL(r.FullName()) + "/git/blobs/" + sha, "content": base64Lines(data), "encoding": "base64"}, nil
}

func (s *Server) getGitCommit(c *call, r state.Repo) (int, any, error) {
	sha := strings.ToLower(c.r.PathValue("commit_sha"))
	if !state.IsOID(sha) {
		return 0, nil, notFound
	}
	commit, err := s.world.Commit(c.actor, r.ID, sha)
	if err != nil {
		return 0, nil, notFound
	}
	return http.StatusOK, c.l.gitCommitJSON(r, commit), nil
}

func (s *Server) getCommit(c *call, r state.Repo) (int, any, error) {
	commit, err := s.world.Commit(c.actor, r.ID, c.r.PathValue("ref"))
	if err != nil {
		return 0, nil, err
	}
	var author *state.Account
	if a, err := s.world.Account(commit.Author.Login); err == nil && commit.Author.Login != "" {
		author = &a
	}
	o := c.l.commitJSON(r, commit, author)
	o["files"] = []obj{}
	o["stats"] = obj{"additions": 0, "deletions": 0, "total": 0}
	return http.StatusOK, o, nil
}
