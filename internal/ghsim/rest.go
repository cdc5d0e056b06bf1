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

// handle registers fn for pattern (a net/http ServeMux pattern; without
// its "..." it is also the endpoint key in stats).
func (s *Server) handle(pattern string, fn func(c *call)) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		actor, _ := state.ActorFrom(r.Context())
		prefix, _ := r.Context().Value(prefixKey{}).(string)
		host := scheme(r) + "://" + r.Host
		web := s.world.BaseURL()
		if web == "" {
			web = host
		}
		fn(&call{s: s, w: w, r: r, actor: actor, l: links{api: host + prefix, web: web}})
	})
}

func withPrefix(ctx context.Context, prefix string) context.Context {
	return context.WithValue(ctx, prefixKey{}, prefix)
}

// decode reads the JSON body into v; a malformed body is answered with 400.
func (c *call) decode(v any) bool {
	b, err := io.ReadAll(io.LimitReader(c.r.Body, 100<<20))
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		writeError(c.w, http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

// repo returns the repository named by the {owner} and {repo} path values.
func (c *call) repo() (state.Repo, bool) {
	r, err := c.s.world.RepoByName(c.actor, c.r.PathValue("owner"), c.r.PathValue("repo"))
	if err != nil {
		fail(c.w, err)
		return state.Repo{}, false
	}
	return r, true
}

// number returns the {n} path value.
func (c *call) number(name string) (int, bool) {
	n, err := strconv.Atoi(c.r.PathValue(name))
	if err != nil || n <= 0 {
		writeError(c.w, http.StatusNotFound, "Not Found")
		return 0, false
	}
	return n, true
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
	s.handle("GET /repos/{owner}/{repo}", s.getRepo)
	s.handle("PATCH /repos/{owner}/{repo}", s.updateRepo)
	s.handle("DELETE /repos/{owner}/{repo}", s.deleteRepo)
	s.handle("GET /orgs/{org}/repos", s.listOwnerRepos)
	s.handle("GET /users/{username}/repos", s.listOwnerRepos)
	s.handle("GET /user/repos", s.listMyRepos)
	s.handle("POST /orgs/{org}/repos", s.createRepo)
	s.handle("POST /user/repos", s.createRepo)
	s.handle("POST /repos/{owner}/{repo}/forks", s.createFork)

	s.handle("GET /repos/{owner}/{repo}/contents/{path...}", s.getContents)
	s.handle("PUT /repos/{owner}/{repo}/contents/{path...}", s.putContents)

	s.handle("GET /repos/{owner}/{repo}/git/ref/{ref...}", s.getRef)
	s.handle("GET /repos/{owner}/{repo}/git/matching-refs/{ref...}", s.matchingRefs)
	s.handle("GET /repos/{owner}/{repo}/git/refs/{ref...}", s.matchingRefs)
	s.handle("POST /repos/{owner}/{repo}/git/refs", s.createRef)
	s.handle("PATCH /repos/{owner}/{repo}/git/refs/{ref...}", s.updateRef)
	s.handle("DELETE /repos/{owner}/{repo}/git/refs/{ref...}", s.deleteRef)
	s.handle("GET /repos/{owner}/{repo}/git/trees/{tree_sha...}", s.getTree)
	s.handle("GET /repos/{owner}/{repo}/git/blobs/{file_sha}", s.getBlob)
	s.handle("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", s.getGitCommit)
	s.handle("GET /repos/{owner}/{repo}/commits/{ref...}", s.getCommit)

	s.handle("GET /repos/{owner}/{repo}/pulls", s.listPulls)
	s.handle("POST /repos/{owner}/{repo}/pulls", s.createPull)
	s.handle("GET /repos/{owner}/{repo}/pulls/{pull_number}", s.getPull)
	s.handle("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", s.updatePull)
	s.handle("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", s.requestReviewers)
	s.handle("DELETE /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", s.removeReviewers)

	s.handle("GET /repos/{owner}/{repo}/labels", s.listLabels)
	s.handle("POST /repos/{owner}/{repo}/labels", s.createLabel)
	s.handle("GET /repos/{owner}/{repo}/labels/{name}", s.getLabel)
	s.handle("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", s.addLabels)
	s.handle("POST /repos/{owner}/{repo}/issues", s.createIssue)
	s.handle("GET /repos/{owner}/{repo}/issues", s.listIssues)
	s.handle("GET /repositories/{repository_id}/issues", s.listIssues)
	s.handle("GET /repos/{owner}/{repo}/issues/{issue_number}", s.getIssue)
	s.handle("POST /repos/{owner}/{repo}/issues/{issue_number}/assignees", s.addAssignees)

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

func (s *Server) getUser(c *call) {
	a, err := s.world.Viewer(c.actor)
	if err != nil {
		fail(c.w, err)
		return
	}
	if a.Type == "Bot" { // an installation token is no user's
		writeError(c.w, http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	o := c.accountJSON(a)
	o["user_view_type"] = "private"
	for _, k := range []string{"private_gists", "total_private_repos", "owned_private_repos", "disk_usage", "collaborators"} {
		o[k] = 0
	}
	o["two_factor_authentication"] = true
	writeJSON(c.w, http.StatusOK, o)
}

func (s *Server) getUserByLogin(c *call) {
	a, err := s.world.Account(c.r.PathValue("username"))
	if err != nil {
		writeError(c.w, http.StatusNotFound, "Not Found")
		return
	}
	o := c.accountJSON(a)
	o["user_view_type"] = "public"
	writeJSON(c.w, http.StatusOK, o)
}

func (s *Server) getRepo(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	writeRaw(c.w, http.StatusOK, s.repoBytes(c.l, r, s.world.ViewerPermission(c.actor, r.ID)))
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

func (s *Server) updateRepo(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	var body struct {
		Name           *string `json:"name"`
		Description    *string `json:"description"`
		DefaultBranch  *string `json:"default_branch"`
		Archived       *bool   `json:"archived"`
		Private        *bool   `json:"private"`
		Visibility     *string `json:"visibility"`
		AllowAutoMerge *bool   `json:"allow_auto_merge"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Visibility != nil {
		p := *body.Visibility == "private"
		body.Private = &p
	}
	r, err := s.world.UpdateRepo(c.actor, r.ID, state.RepoPatch{Name: body.Name, Description: body.Description,
		DefaultBranch: body.DefaultBranch, Archived: body.Archived, Private: body.Private, AutoMergeAllowed: body.AllowAutoMerge})
	if err != nil {
		fail(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, c.l.repoJSON(r, s.world.ViewerPermission(c.actor, r.ID)))
}

func (s *Server) deleteRepo(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	if err := s.world.DeleteRepo(c.actor, r.ID); err != nil {
		fail(c.w, err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) writeRepos(c *call, repos []state.Repo) {
	if t := c.r.URL.Query().Get("type"); t == "forks" || t == "sources" {
		var keep []state.Repo
		for _, r := range repos {
			if r.Fork == (t == "forks") {
				keep = append(keep, r)
			}
		}
		repos = keep
	}
	lo, hi := c.page(len(repos))
	out := make([]obj, 0, hi-lo)
	for _, r := range repos[lo:hi] {
		out = append(out, c.l.repoJSON(r, s.world.ViewerPermission(c.actor, r.ID)))
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (s *Server) listOwnerRepos(c *call) {
	owner := c.r.PathValue("org")
	if owner == "" {
		owner = c.r.PathValue("username")
	}
	repos, err := s.world.ListRepos(c.actor, owner)
	if err != nil {
		fail(c.w, err)
		return
	}
	s.writeRepos(c, repos)
}

func (s *Server) listMyRepos(c *call) {
	var mine []state.Repo
	for _, r := range s.world.AccessibleRepos(c.actor) {
		if s.world.ViewerPermission(c.actor, r.ID) >= state.PermWrite || strings.EqualFold(r.Owner.Login, c.actor.Login) {
			mine = append(mine, r)
		}
	}
	s.writeRepos(c, mine)
}

func (s *Server) createRepo(c *call) {
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
	if !c.decode(&body) {
		return
	}
	if body.Name == "" {
		validationFailed(c.w, "Repository", "name", "missing_field")
		return
	}
	owner := c.r.PathValue("org")
	if owner == "" {
		owner = c.actor.Login
	} else if _, err := s.world.Account(owner); err != nil {
		writeError(c.w, http.StatusNotFound, "Not Found")
		return
	}
	branch := ""
	if body.DefaultBranch != nil {
		branch = *body.DefaultBranch
	}
	r, err := s.world.CreateRepo(c.actor, state.NewRepo{Owner: owner, Name: body.Name, Description: body.Description,
		Private: body.Private || body.Visibility == "private", AutoInit: body.AutoInit || body.GitignoreTmpl != "" || body.LicenseTemplate != "",
		AutoMergeAllowed: body.AllowAutoMerge, DefaultBranch: branch})
	if err != nil {
		fail(c.w, err)
		return
	}
	c.w.Header().Set("Location", c.l.repoURL(r.FullName()))
	writeJSON(c.w, http.StatusCreated, c.l.repoJSON(r, state.PermAdmin))
}

func (s *Server) createFork(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	var body struct {
		Organization      string `json:"organization"`
		Name              string `json:"name"`
		DefaultBranchOnly bool   `json:"default_branch_only"`
	}
	if !c.decode(&body) {
		return
	}
	f, err := s.world.Fork(c.actor, r.ID, body.Organization, body.Name, body.DefaultBranchOnly)
	if err != nil {
		fail(c.w, err)
		return
	}
	o := c.l.repoJSON(f, state.PermAdmin)
	o["parent"] = c.l.repoJSON(r, s.world.ViewerPermission(c.actor, r.ID))
	o["source"] = o["parent"]
	writeJSON(c.w, http.StatusAccepted, o)
}

// refParam returns a ref query parameter, defaulting to the default branch.
func refParam(c *call, r state.Repo) string {
	if ref := c.r.URL.Query().Get("ref"); ref != "" {
		return ref
	}
	return r.DefaultBranch
}

func (s *Server) getContents(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
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
				return
			}
			o := c.l.contentJSON(r.FullName(), ref, f.Path, "file", f.SHA, len(f.Content))
			o["content"] = base64Lines(f.Content)
			o["encoding"] = "base64"
			writeJSON(c.w, http.StatusOK, o)
			return
		}
	}
	entries, _, err := s.world.Dir(c.actor, r.ID, c.r.URL.Query().Get("ref"), path)
	if err != nil {
		fail(c.w, err)
		return
	}
	out := []obj{}
	for _, e := range entries {
		typ := "file"
		if e.Type == state.TypeTree {
			typ = "dir"
		}
		out = append(out, c.l.contentJSON(r.FullName(), ref, e.Path, typ, e.OID, e.Size))
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (s *Server) putContents(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	var body struct {
		Message string  `json:"message"`
		Content *string `json:"content"`
		SHA     string  `json:"sha"`
		Branch  string  `json:"branch"`
	}
	if !c.decode(&body) {
		return
	}
	path := strings.Trim(c.r.PathValue("path"), "/")
	if body.Message == "" {
		validationFailed(c.w, "Commit", "message", "missing_field")
		return
	}
	if body.Content == nil {
		validationFailed(c.w, "Commit", "content", "missing_field")
		return
	}
	content, err := decodeBase64(*body.Content)
	if err != nil {
		writeError(c.w, http.StatusUnprocessableEntity, "content is not valid Base64")
		return
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
			writeError(c.w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.")
			return
		case err == nil && body.SHA != old.SHA:
			writeError(c.w, http.StatusConflict, fmt.Sprintf("%s does not match %s", path, body.SHA))
			return
		case err == nil:
			status = http.StatusOK
		case body.SHA != "":
			writeError(c.w, http.StatusConflict, fmt.Sprintf("%s does not match %s", path, body.SHA))
			return
		}
	} else if !r.Empty {
		writeError(c.w, http.StatusNotFound, "Branch "+branch+" not found")
		return
	}
	headline, rest, _ := strings.Cut(body.Message, "\n")
	commit, err := s.world.CommitOnBranch(c.actor, r.ID, state.CommitInput{Branch: branch, ExpectedHeadOID: head,
		Additions: map[string][]byte{path: content}, Headline: headline, Body: strings.TrimLeft(rest, "\n"), AllowCreate: r.Empty})
	if err != nil {
		fail(c.w, err)
		return
	}
	f, err := s.world.FileAt(c.actor, r.ID, commit.OID, path)
	if err != nil {
		fail(c.w, err)
		return
	}
	content2 := c.l.contentJSON(r.FullName(), branch, f.Path, "file", f.SHA, len(f.Content))
	gc := c.l.gitCommitJSON(r, commit)
	gc["verification"] = verificationJSON(commit)
	writeJSON(c.w, status, obj{"content": content2, "commit": gc})
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

func (s *Server) getRef(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	name := c.r.PathValue("ref")
	if !strings.HasPrefix(name, "heads/") && !strings.HasPrefix(name, "tags/") && !strings.HasPrefix(name, "refs/") {
		writeError(c.w, http.StatusNotFound, "Not Found")
		return
	}
	ref, err := s.world.Ref(c.actor, r.ID, "refs/"+strings.TrimPrefix(name, "refs/"))
	if err != nil {
		if r.Empty {
			writeError(c.w, http.StatusConflict, "Git Repository is empty.")
			return
		}
		fail(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, c.l.refJSON(r.FullName(), ref))
}

func (s *Server) matchingRefs(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	if r.Empty {
		writeError(c.w, http.StatusConflict, "Git Repository is empty.")
		return
	}
	prefix := "refs/" + strings.TrimPrefix(c.r.PathValue("ref"), "refs/")
	refs, err := s.world.Refs(c.actor, r.ID, prefix)
	if err != nil {
		fail(c.w, err)
		return
	}
	lo, hi := c.page(len(refs))
	out := []obj{}
	for _, ref := range refs[lo:hi] {
		out = append(out, c.l.refJSON(r.FullName(), ref))
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (s *Server) createRef(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	var body struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Ref == "" || body.SHA == "" {
		writeError(c.w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"ref\" and \"sha\" are required.")
		return
	}
	if !strings.HasPrefix(body.Ref, "refs/") || strings.Count(body.Ref, "/") < 2 {
		writeError(c.w, http.StatusUnprocessableEntity, "Reference name must start with 'refs/' and have at least two slashes.")
		return
	}
	ref, err := s.world.CreateRef(c.actor, r.ID, body.Ref, body.SHA)
	if err != nil {
		fail(c.w, err)
		return
	}
	c.w.Header().Set("Location", c.l.repoURL(r.FullName())+"/git/"+ref.Name)
	writeJSON(c.w, http.StatusCreated, c.l.refJSON(r.FullName(), ref))
}

func (s *Server) updateRef(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	var body struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if !c.decode(&body) {
		return
	}
	if body.SHA == "" {
		writeError(c.w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.")
		return
	}
	ref, err := s.world.UpdateRef(c.actor, r.ID, "refs/"+strings.TrimPrefix(c.r.PathValue("ref"), "refs/"), body.SHA, body.Force)
	if err != nil {
		fail(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, c.l.refJSON(r.FullName(), ref))
}

func (s *Server) deleteRef(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	if err := s.world.DeleteRef(c.actor, r.ID, "refs/"+strings.TrimPrefix(c.r.PathValue("ref"), "refs/")); err != nil {
		fail(c.w, err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

// maxTreeEntries is where a recursive tree listing is truncated (GitHub:
// 100,000 entries).
const maxTreeEntries = 100000

func (s *Server) getTree(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	rec := c.r.URL.Query().Get("recursive")
	oid, entries, err := s.world.Tree(c.actor, r.ID, c.r.PathValue("tree_sha"), rec != "" && rec != "0" && rec != "false")
	if err != nil {
		fail(c.w, err)
		return
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
	writeJSON(c.w, http.StatusOK, obj{"sha": oid, "url": c.l.repoURL(r.FullName()) + "/git/trees/" + oid, "tree": out, "truncated": truncated})
}

func (s *Server) getBlob(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	sha := c.r.PathValue("file_sha")
	data, err := s.world.Blob(c.actor, r.ID, sha)
	if err != nil {
		fail(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, obj{"sha": strings.ToLower(sha), "node_id": "B_kgDO" + sha[:min(len(sha), 12)], "size": len(data),
		"url": c.l.repoURL(r.FullName()) + "/git/blobs/" + sha, "content": base64Lines(data), "encoding": "base64"})
}

func (s *Server) getGitCommit(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	sha := strings.ToLower(c.r.PathValue("commit_sha"))
	if !state.IsOID(sha) {
		writeError(c.w, http.StatusNotFound, "Not Found")
		return
	}
	commit, err := s.world.Commit(c.actor, r.ID, sha)
	if err != nil {
		writeError(c.w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(c.w, http.StatusOK, c.l.gitCommitJSON(r, commit))
}

func (s *Server) getCommit(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	commit, err := s.world.Commit(c.actor, r.ID, c.r.PathValue("ref"))
	if err != nil {
		fail(c.w, err)
		return
	}
	var author *state.Account
	if a, err := s.world.Account(commit.Author.Login); err == nil && commit.Author.Login != "" {
		author = &a
	}
	o := c.l.commitJSON(r, commit, author)
	o["files"] = []obj{}
	o["stats"] = obj{"additions": 0, "deletions": 0, "total": 0}
	writeJSON(c.w, http.StatusOK, o)
}

func (s *Server) listPulls(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	q := c.r.URL.Query()
	f := state.PRFilter{BaseRef: q.Get("base")}
	if h := q.Get("head"); h != "" {
		owner, branch, found := strings.Cut(h, ":")
		if !found {
			writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed")
			return
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
		validationFailed(c.w, "PullRequest", "state", "invalid")
		return
	}
	prs, err := s.world.FindPullRequests(c.actor, r.ID, f)
	if err != nil {
		fail(c.w, err)
		return
	}
	if q.Get("direction") == "asc" {
		for i, j := 0, len(prs)-1; i < j; i, j = i+1, j-1 {
			prs[i], prs[j] = prs[j], prs[i]
		}
	}
	lo, hi := c.page(len(prs))
	out := []obj{}
	for _, p := range prs[lo:hi] {
		out = append(out, s.prJSON(c.l, c.actor, p, false))
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (s *Server) createPull(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	var body struct {
		Title    string `json:"title"`
		Head     string `json:"head"`
		HeadRepo string `json:"head_repo"`
		Base     string `json:"base"`
		Body     string `json:"body"`
		Draft    bool   `json:"draft"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Head == "" {
		validationFailed(c.w, "PullRequest", "head", "missing_field")
		return
	}
	if body.Base == "" {
		validationFailed(c.w, "PullRequest", "base", "missing_field")
		return
	}
	in := state.NewPullRequest{Base: body.Base, Head: body.Head, Title: body.Title, Body: body.Body, Draft: body.Draft}
	if body.HeadRepo != "" {
		owner, name, _ := strings.Cut(body.HeadRepo, "/")
		if !strings.Contains(body.HeadRepo, "/") {
			owner, name = body.HeadRepo, r.Name
		}
		hr, err := s.world.RepoByName(c.actor, owner, name)
		if err != nil {
			validationFailed(c.w, "PullRequest", "head_repo", "invalid")
			return
		}
		in.HeadRepoID = hr.ID
	}
	p, err := s.world.CreatePullRequest(c.actor, r.ID, in)
	if err != nil {
		fail(c.w, err)
		return
	}
	c.w.Header().Set("Location", c.l.repoURL(r.FullName())+fmt.Sprintf("/pulls/%d", p.Number))
	writeJSON(c.w, http.StatusCreated, s.prJSON(c.l, c.actor, p, true))
}

func (s *Server) getPull(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	n, ok := c.number("pull_number")
	if !ok {
		return
	}
	p, err := s.world.PullRequest(c.actor, r.ID, n)
	if err != nil {
		fail(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, s.prJSON(c.l, c.actor, p, true))
}

func (s *Server) updatePull(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	n, ok := c.number("pull_number")
	if !ok {
		return
	}
	var body struct {
		Title *string `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
		Base  *string `json:"base"`
	}
	if !c.decode(&body) {
		return
	}
	p, err := s.world.UpdatePullRequest(c.actor, r.ID, n, state.PRPatch{Title: body.Title, Body: body.Body, State: body.State, Base: body.Base})
	if err != nil {
		fail(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, s.prJSON(c.l, c.actor, p, true))
}

func (s *Server) requestReviewers(c *call) {
	s.reviewers(c, true)
}

func (s *Server) removeReviewers(c *call) {
	s.reviewers(c, false)
}

func (s *Server) reviewers(c *call, add bool) {
	r, ok := c.repo()
	if !ok {
		return
	}
	n, ok := c.number("pull_number")
	if !ok {
		return
	}
	var body struct {
		Reviewers     []string `json:"reviewers"`
		TeamReviewers []string `json:"team_reviewers"`
	}
	if !c.decode(&body) {
		return
	}
	var p state.PullRequest
	var err error
	if add {
		p, err = s.world.RequestReviewers(c.actor, r.ID, n, body.Reviewers, body.TeamReviewers, true)
	} else {
		p, err = s.world.RemoveRequestedReviewers(c.actor, r.ID, n, body.Reviewers, body.TeamReviewers)
	}
	if err != nil {
		fail(c.w, err)
		return
	}
	status := http.StatusOK
	if add {
		status = http.StatusCreated
	}
	writeJSON(c.w, status, s.prJSON(c.l, c.actor, p, false))
}

func (s *Server) listLabels(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	labels, err := s.world.Labels(c.actor, r.ID)
	if err != nil {
		fail(c.w, err)
		return
	}
	lo, hi := c.page(len(labels))
	out := []obj{}
	for _, lb := range labels[lo:hi] {
		out = append(out, c.l.labelJSON(r.FullName(), lb))
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (s *Server) getLabel(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	lb, err := s.world.Label(c.actor, r.ID, c.r.PathValue("name"))
	if err != nil {
		writeError(c.w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(c.w, http.StatusOK, c.l.labelJSON(r.FullName(), lb))
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

func (s *Server) createLabel(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	var body struct {
		Name        string `json:"name"`
		Color       string `json:"color"`
		Description string `json:"description"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Color != "" && !validColor(strings.TrimPrefix(body.Color, "#")) {
		validationFailed(c.w, "Label", "color", "invalid")
		return
	}
	lb, err := s.world.CreateLabel(c.actor, r.ID, body.Name, body.Color, body.Description)
	if err != nil {
		fail(c.w, err)
		return
	}
	c.w.Header().Set("Location", c.l.repoURL(r.FullName())+"/labels/"+url.PathEscape(lb.Name))
	writeJSON(c.w, http.StatusCreated, c.l.labelJSON(r.FullName(), lb))
}

func (s *Server) addLabels(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	n, ok := c.number("issue_number")
	if !ok {
		return
	}
	// The body is {"labels":[…]} of names or {name} objects, or a bare array.
	var raw json.RawMessage
	if !c.decode(&raw) {
		return
	}
	var names []string
	var wrapped struct {
		Labels []json.RawMessage `json:"labels"`
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &wrapped); err == nil && wrapped.Labels != nil {
		items = wrapped.Labels
	} else if err := json.Unmarshal(raw, &items); err != nil {
		validationFailed(c.w, "Label", "labels", "invalid")
		return
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
			validationFailed(c.w, "Label", "labels", "invalid")
			return
		}
	}
	labels, err := s.world.AddLabels(c.actor, r.ID, n, names, true)
	if err != nil {
		fail(c.w, err)
		return
	}
	out := []obj{}
	for _, lb := range labels {
		out = append(out, c.l.labelJSON(r.FullName(), lb))
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (s *Server) addAssignees(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	n, ok := c.number("issue_number")
	if !ok {
		return
	}
	var body struct {
		Assignees []string `json:"assignees"`
	}
	if !c.decode(&body) {
		return
	}
	p, err := s.world.AddAssignees(c.actor, r.ID, n, body.Assignees)
	if err != nil {
		fail(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusCreated, s.issueJSON(c, r, p))
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

func (s *Server) createIssue(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	var body struct {
		Title any    `json:"title"`
		Body  string `json:"body"`
	}
	if !c.decode(&body) {
		return
	}
	title := fmt.Sprint(body.Title)
	if body.Title == nil {
		title = ""
	}
	p, err := s.world.CreateIssue(c.actor, r.ID, title, body.Body)
	if err != nil {
		fail(c.w, err)
		return
	}
	c.w.Header().Set("Location", c.l.repoURL(r.FullName())+fmt.Sprintf("/issues/%d", p.Number))
	writeJSON(c.w, http.StatusCreated, s.issueJSON(c, r, p))
}

func (s *Server) listIssues(c *call) {
	var r state.Repo
	if id := c.r.PathValue("repository_id"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err == nil {
			r, err = s.world.RepoByID(c.actor, n)
		}
		if err != nil {
			writeError(c.w, http.StatusNotFound, "Not Found")
			return
		}
	} else {
		var ok bool
		if r, ok = c.repo(); !ok {
			return
		}
	}
	st := c.r.URL.Query().Get("state")
	if st == "" {
		st = "open"
	}
	if st != "open" && st != "closed" && st != "all" {
		validationFailed(c.w, "Issue", "state", "invalid")
		return
	}
	items, err := s.world.Issues(c.actor, r.ID, st)
	if err != nil {
		fail(c.w, err)
		return
	}
	lo, hi := c.page(len(items))
	out := []obj{}
	for _, p := range items[lo:hi] {
		o := s.issueJSON(c, r, p)
		delete(o, "closed_by") // only a single issue carries it
		out = append(out, o)
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (s *Server) getIssue(c *call) {
	r, ok := c.repo()
	if !ok {
		return
	}
	n, ok := c.number("issue_number")
	if !ok {
		return
	}
	p, err := s.world.Issue(c.actor, r.ID, n)
	if err != nil {
		fail(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, s.issueJSON(c, r, p))
}
