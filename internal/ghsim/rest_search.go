package ghsim

import (
	"net/http"
	"net/url"
)

// maxSearchResults is how far GitHub lets one page through search results.
const maxSearchResults = 1000

// searchCode serves GET /search/code with legacy code-search semantics (see
// state.SearchCode).
func (s *Server) searchCode(c *call) (int, any, error) {
	q := c.r.URL.Query()
	if q.Get("q") == "" {
		return 0, nil, invalid("Search", "q", "missing")
	}
	per, pg := c.pageParams()
	if pg*per > maxSearchResults {
		return 0, nil, errorf(http.StatusUnprocessableEntity, "Only the first 1000 search results are available")
	}
	hits, err := s.world.SearchCode(c.actor, q.Get("q"))
	if err != nil {
		return 0, nil, err
	}
	lo, hi := c.pageBounds(per, pg, min(len(hits), maxSearchResults), len(hits))
	items := make([]obj, 0, hi-lo)
	for _, h := range hits[lo:hi] {
		full := h.Repo.FullName()
		repoURL := c.l.repoURL(full)
		items = append(items, obj{
			"name": h.Name, "path": h.Path, "sha": h.SHA,
			"url":        repoURL + "/contents/" + escapePath(h.Path) + "?ref=" + url.QueryEscape(h.Commit),
			"git_url":    repoURL + "/git/blobs/" + h.SHA,
			"html_url":   c.l.web + "/" + full + "/blob/" + h.Commit + "/" + escapePath(h.Path),
			"repository": c.l.minimalRepoJSON(h.Repo),
			"score":      1.0,
		})
	}
	return http.StatusOK, obj{"total_count": len(hits), "incomplete_results": s.incompleteResults(), "items": items}, nil
}
