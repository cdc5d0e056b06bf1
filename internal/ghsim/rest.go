package ghsim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
// encode as JSON (nil for none, []byte when already encoded), or an error
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
		case []byte:
			writeRaw(w, status, body)
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

// page slices a listing of total items per the per_page (default 30, max
// 100) and page (default 1) query parameters and sets GitHub's Link header.
func (c *call) page(total int) (lo, hi int) {
	q := c.r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	if per > 100 {
		per = 100
	}
	pg, err := strconv.Atoi(q.Get("page"))
	if err != nil || pg <= 0 {
		pg = 1
	}
	last := (total + per - 1) / per
	if last < 1 {
		last = 1
	}
	c.setLink(pg, last)
	lo = min((pg-1)*per, total)
	hi = min(lo+per, total)
	return lo, hi
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

// privateUserJSON is GET /user's shape.
func (c *call) accountJSON(a state.Account) obj {
	o := c.l.userJSON(a)
	now := ts(c.s.clk.Now())
	for k, v := range map[string]any{"name": a.Name, "company": nil, "blog": "", "location": nil, "email": nil,
		"hireable": nil, "bio": nil, "twitter_username": nil, "public_repos": 0, "public_gists": 0,
		"followers": 0, "following": 0, "created_at": now, "updated_at": now} {
		o[k] = v
	}
	return o
}

func (s *Server) getUser(c *call) (int, any, error) {
	a, err := s.world.Viewer(c.actor)
	if err != nil {
		return 0, nil, err
	}
	if a.Type == "Bot" { // an installation token is no user's
		return 0, nil, errorf(http.StatusForbidden, "Resource not accessible by integration")
	}
	o := c.accountJSON(a)
	o["user_view_type"] = "private"
	for _, k := range []string{"private_gists", "total_private_repos", "owned_private_repos", "disk_usage", "collaborators"} {
		o[k] = 0
	}
	o["two_factor_authentication"] = true
	return http.StatusOK, o, nil
}

func (s *Server) getUserByLogin(c *call) (int, any, error) {
	a, err := s.world.Account(c.r.PathValue("username"))
	if err != nil {
		return 0, nil, notFound
	}
	o := c.accountJSON(a)
	o["user_view_type"] = "public"
	return http.StatusOK, o, nil
}

func (s *Server) getRepo(c *call, r state.Repo) (int, any, error) {
	return http.StatusOK, s.repoBytes(c.l, r, s.world.ViewerPermission(c.actor, r.ID)), nil
}

type repoKey struct {
	repo state.Repo
	l    links
	perm state.Permission
}

// repoBytes returns the encoded full-repository object, cached by the
// whole snapshot: GET /repos/{owner}/{repo} is the hottest endpoint.
func (s *Server) repoBytes(l links, r state.Repo, perm state.Permission) []byte {
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
	b, err := json.Marshal(o)
	if err != nil {
		panic(err) // only strings, numbers and booleans
	}
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

// refParam returns a ref query parameter, defaulting to the default branch.
func refParam(c *call, r state.Repo) string {
	if ref := c.r.URL.Query().Get("ref"); ref != "" {
		return ref
	}
	return r.DefaultBranch
}

func (s *Server) getContents(c *call, r state.Repo) (int, any, error) {
	path := strings.Trim(c.r.PathValue("path"), "/")
	ref := refParam(c, r)
	if path != "" {
		f, err := s.world.FileAt(c.actor, r.ID, c.r.URL.Query().Get("ref"), path)
		if err == nil {
			if accept := c.r.Header.Get("Accept"); strings.Contains(accept, ".raw") {
				ct := "application/vnd.github.raw; charset=utf-8"
				if strings.Contains(accept, "vnd.github.v3.raw") {
					ct = "application/vnd.github.v3.raw; charset=utf-8"
				}
				c.w.Header().Set("Content-Type", ct)
				c.w.Header().Set("X-GitHub-Media-Type", "github.v3; param=raw")
				c.w.WriteHeader(http.StatusOK)
				c.w.Write(f.Content)
				return 0, nil, nil
			}
			o := c.l.contentJSON(r.FullName(), ref, f.Path, "file", f.SHA, len(f.Content))
			o["content"] = base64Lines(f.Content)
			o["encoding"] = "base64"
			return http.StatusOK, o, nil
		}
	}
	entries, _, err := s.world.Dir(c.actor, r.ID, c.r.URL.Query().Get("ref"), path)
	if err != nil {
		return 0, nil, err
	}
	out := []obj{}
	for _, e := range entries {
		typ := "file"
		if e.Type == state.TypeTree {
			typ = "dir"
		}
		out = append(out, c.l.contentJSON(r.FullName(), ref, e.Path, typ, e.OID, e.Size))
	}
	return http.StatusOK, out, nil
}

func (s *Server) putContents(c *call, r state.Repo) (int, any, error) {
	var body struct {
		Message string  `json:"message"`
		Content *string `json:"content"`
		SHA     string  `json:"sha"`
		Branch  string  `json:"branch"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	path := strings.Trim(c.r.PathValue("path"), "/")
	if body.Message == "" {
		return 0, nil, invalid("Commit", "message", "missing_field")
	}
	if body.Content == nil {
		return 0, nil, invalid("Commit", "content", "missing_field")
	}
	content, err := decodeBase64(*body.Content)
	if err != nil {
		return 0, nil, errorf(http.StatusUnprocessableEntity, "content is not valid Base64")
	}
	branch := body.Branch
	if branch == "" {
		branch = r.DefaultBranch
	}
	status := http.StatusCreated
	head := ""
	if ref, err := s.world.Ref(c.actor, r.ID, "heads/"+branch); err == nil {
		head = ref.OID
		old, err := s.world.FileAt(c.actor, r.ID, head, path)
		switch {
		case err == nil && body.SHA == "":
			return 0, nil, errorf(http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.")
		case err == nil && body.SHA != old.SHA:
			return 0, nil, errorf(http.StatusConflict, fmt.Sprintf("%s does not match %s", path, body.SHA))
		case err == nil:
			status = http.StatusOK
		case body.SHA != "":
			return 0, nil, errorf(http.StatusConflict, fmt.Sprintf("%s does not match %s", path, body.SHA))
		}
	} else if !r.Empty {
		return 0, nil, errorf(http.StatusNotFound, "Branch "+branch+" not found")
	}
	headline, rest, _ := strings.Cut(body.Message, "\n")
	commit, err := s.world.CommitOnBranch(c.actor, r.ID, state.CommitInput{Branch: branch, ExpectedHeadOID: head,
		Additions: map[string][]byte{path: content}, Headline: headline, Body: strings.TrimLeft(rest, "\n"), AllowCreate: r.Empty})
	if err != nil {
		return 0, nil, err
	}
	f, err := s.world.FileAt(c.actor, r.ID, commit.OID, path)
	if err != nil {
		return 0, nil, err
	}
	content2 := c.l.contentJSON(r.FullName(), branch, f.Path, "file", f.SHA, len(f.Content))
	gc := c.l.gitCommitJSON(r, commit)
	gc["verification"] = verificationJSON(commit)
	return status, obj{"content": content2, "commit": gc}, nil
}

// decodeBase64 accepts standard base64 with or without line breaks.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' {
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}

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

// maxTreeEntries is where a recursive tree listing is truncated (GitHub:
// 100,000 entries).
const maxTreeEntries = 100000

func (s *Server) getTree(c *call, r state.Repo) (int, any, error) {
	rec := c.r.URL.Query().Get("recursive")
	oid, entries, err := s.world.Tree(c.actor, r.ID, c.r.PathValue("tree_sha"), rec != "" && rec != "0" && rec != "false")
	if err != nil {
		return 0, nil, err
	}
	truncated := len(entries) > maxTreeEntries
	if truncated {
		entries = entries[:maxTreeEntries]
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
