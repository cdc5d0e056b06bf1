package ghsim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// call is one REST request being served.
type call struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	actor *state.Token
	l     links
}

type prefixKey struct{}

// A handler serves one REST call. It returns the status and the body to
// encode as JSON (nil for none, *rawJSON when already encoded), or an error
// that fail maps to GitHub's status and body. A handler that writes its own
// answer (a raw file) returns status 0.
type handler func(c *call) (int, any, error)

// inRepo is a handler of a /repos/{owner}/{repo}/... route: the repository is
// looked up first, and a missing or hidden one is GitHub's 404.
type inRepo func(c *call, r state.Repo) (int, any, error)

// handle registers fn for pattern (a net/http ServeMux pattern; without
// its "..." it is also the endpoint key in stats) and writes its answer.
func (s *Server) handle(pattern string, fn handler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		actor, _ := state.ActorFrom(r.Context())
		prefix, _ := r.Context().Value(prefixKey{}).(string)
		host := scheme(r) + "://" + r.Host
		web := s.world.BaseURL()
		if web == "" {
			web = host
		}
		status, body, err := fn(&call{s: s, w: w, r: r, actor: actor, l: links{api: host + prefix, web: web}})
		switch body := body.(type) {
		case nil:
			if err != nil {
				fail(w, err)
			} else if status != 0 {
				w.WriteHeader(status)
			}
		case *rawJSON:
			writeRaw(w, status, *body)
		default:
			writeJSON(w, status, body)
		}
	})
}

// withRepo adapts fn to a handler that first looks up the {owner}/{repo}
// repository.
func withRepo(fn inRepo) handler {
	return func(c *call) (int, any, error) {
		r, err := c.s.world.RepoByName(c.actor, c.r.PathValue("owner"), c.r.PathValue("repo"))
		if err != nil {
			return 0, nil, err
		}
		return fn(c, r)
	}
}

// rawJSON is an encoded JSON body.
type rawJSON []byte

// apiError is an answer with GitHub's basic error body.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, msg string) error { return &apiError{status, msg} }

// notFound is GitHub's 404.
var notFound = errorf(http.StatusNotFound, "Not Found")

// invalid is GitHub's 422 for a bad request field.
func invalid(resource, field, code string) error {
	return &state.Error{Kind: state.Invalid, Message: "Validation Failed", Resource: resource, Field: field, Code: code}
}

func withPrefix(ctx context.Context, prefix string) context.Context {
	return context.WithValue(ctx, prefixKey{}, prefix)
}

// decode reads the JSON body into v; a malformed body is answered with 400.
func (c *call) decode(v any) error {
	b, err := io.ReadAll(io.LimitReader(c.r.Body, 100<<20))
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return errorf(http.StatusBadRequest, "Problems parsing JSON")
	}
	return nil
}

// number returns the {name} path value, a positive integer.
func (c *call) number(name string) (int, error) {
	n, err := strconv.Atoi(c.r.PathValue(name))
	if err != nil || n <= 0 {
		return 0, notFound
	}
	return n, nil
}

// pageParams reads the per_page (default 30, max 100) and page (default 1)
// query parameters.
func (c *call) pageParams() (per, pg int) {
	q := c.r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	pg, err = strconv.Atoi(q.Get("page"))
	if err != nil || pg <= 0 {
		pg = 1
	}
	return min(per, 100), pg
}

// page slices a listing of total items per pageParams and sets GitHub's
// Link header.
func (c *call) page(total int) (lo, hi int) {
	per, pg := c.pageParams()
	return c.pageBounds(per, pg, total, total)
}

// pageBounds sets the Link header for page pg of per items, of which
// reachable can be paged through, and returns the page's bounds in total.
func (c *call) pageBounds(per, pg, reachable, total int) (lo, hi int) {
	c.setLink(pg, max((reachable+per-1)/per, 1))
	lo = min((pg-1)*per, total)
	return lo, min(lo+per, total)
}

// pageOf answers one page of items (see page), each encoded by enc.
func pageOf[T any](c *call, items []T, enc func(T) obj) (int, any, error) {
	lo, hi := c.page(len(items))
	out := make([]obj, 0, hi-lo)
	for _, it := range items[lo:hi] {
		out = append(out, enc(it))
	}
	return http.StatusOK, out, nil
}

// setLink sets the Link header for page of last, in GitHub's order
// (prev, next, last, first).
func (c *call) setLink(pg, last int) {
	if last <= 1 && pg <= 1 {
		return
	}
	q := c.r.URL.Query()
	q.Del("page")
	base := c.l.api + c.r.URL.EscapedPath() + "?"
	if enc := q.Encode(); enc != "" {
		base += enc + "&"
	}
	link := func(n int, rel string) string { return fmt.Sprintf("<%spage=%d>; rel=%q", base, n, rel) }
	var parts []string
	if pg > 1 {
		parts = append(parts, link(min(pg-1, last), "prev"))
	}
	if pg < last {
		parts = append(parts, link(pg+1, "next"), link(last, "last"))
	}
	if pg > 1 {
		parts = append(parts, link(1, "first"))
	}
	c.w.Header().Set("Link", strings.Join(parts, ", "))
}

func (s *Server) routes() {
	s.handle("GET /user", s.getUser)
	s.handle("GET /users/{username}", s.getUserByLogin)
	s.handle("GET /repos/{owner}/{repo}", withRepo(s.getRepo))
	s.handle("PATCH /repos/{owner}/{repo}", withRepo(s.updateRepo))
	s.handle("DELETE /repos/{owner}/{repo}", withRepo(s.deleteRepo))
	s.handle("GET /orgs/{org}/repos", s.listOwnerRepos)
	s.handle("GET /users/{username}/repos", s.listOwnerRepos)
	s.handle("GET /user/repos", s.listMyRepos)
	s.handle("POST /orgs/{org}/repos", s.createRepo)
	s.handle("POST /user/repos", s.createRepo)
	s.handle("POST /repos/{owner}/{repo}/forks", withRepo(s.createFork))

	s.handle("GET /repos/{owner}/{repo}/contents/{path...}", withRepo(s.getContents))
	s.handle("PUT /repos/{owner}/{repo}/contents/{path...}", withRepo(s.putContents))

	s.handle("GET /repos/{owner}/{repo}/git/ref/{ref...}", withRepo(s.getRef))
	s.handle("GET /repos/{owner}/{repo}/git/matching-refs/{ref...}", withRepo(s.matchingRefs))
	s.handle("GET /repos/{owner}/{repo}/git/refs/{ref...}", withRepo(s.matchingRefs))
	s.handle("POST /repos/{owner}/{repo}/git/refs", withRepo(s.createRef))
	s.handle("PATCH /repos/{owner}/{repo}/git/refs/{ref...}", withRepo(s.updateRef))
	s.handle("DELETE /repos/{owner}/{repo}/git/refs/{ref...}", withRepo(s.deleteRef))
	s.handle("GET /repos/{owner}/{repo}/git/trees/{tree_sha...}", withRepo(s.getTree))
	s.handle("GET /repos/{owner}/{repo}/git/blobs/{file_sha}", withRepo(s.getBlob))
	s.handle("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", withRepo(s.getGitCommit))
	s.handle("GET /repos/{owner}/{repo}/commits/{ref...}", withRepo(s.getCommit))

	s.handle("GET /repos/{owner}/{repo}/pulls", withRepo(s.listPulls))
	s.handle("POST /repos/{owner}/{repo}/pulls", withRepo(s.createPull))
	s.handle("GET /repos/{owner}/{repo}/pulls/{pull_number}", withRepo(s.getPull))
	s.handle("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", withRepo(s.updatePull))
	s.handle("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", withRepo(s.requestReviewers))
	s.handle("DELETE /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", withRepo(s.removeReviewers))

	s.handle("GET /repos/{owner}/{repo}/labels", withRepo(s.listLabels))
	s.handle("POST /repos/{owner}/{repo}/labels", withRepo(s.createLabel))
	s.handle("GET /repos/{owner}/{repo}/labels/{name}", withRepo(s.getLabel))
	s.handle("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", withRepo(s.addLabels))
	s.handle("POST /repos/{owner}/{repo}/issues", withRepo(s.createIssue))
	s.handle("GET /repos/{owner}/{repo}/issues", s.listIssues)
	s.handle("GET /repositories/{repository_id}/issues", s.listIssues)
	s.handle("GET /repos/{owner}/{repo}/issues/{issue_number}", withRepo(s.getIssue))
	s.handle("POST /repos/{owner}/{repo}/issues/{issue_number}/assignees", withRepo(s.addAssignees))

	s.handle("GET /search/code", s.searchCode)
}
