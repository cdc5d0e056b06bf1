package state

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// Ref returns the repository's ref by name: fully qualified ("refs/heads/x"),
// or short ("heads/x" as in REST, or a bare branch name "x").
func (w *World) Ref(actor *Token, repoID int64, name string) (Ref, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return Ref{}, err
	}
	full, ok := r.lookupRef(name)
	if !ok {
		return Ref{}, notFound()
	}
	return r.refSnap(full, r.refs[full]), nil
}

func (r *repo) lookupRef(name string) (string, bool) {
	for _, cand := range []string{name, "refs/" + name, "refs/heads/" + name, "refs/tags/" + name} {
		if _, ok := r.refs[cand]; ok && strings.HasPrefix(cand, "refs/") {
			return cand, true
		}
	}
	return "", false
}

// Refs returns the refs whose fully qualified names start with prefix
// (e.g. "refs/heads/"), sorted by name.
func (w *World) Refs(actor *Token, repoID int64, prefix string) ([]Ref, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return nil, err
	}
	var out []Ref
	for _, name := range slices.Sorted(maps.Keys(r.refs)) {
		if strings.HasPrefix(name, prefix) {
			out = append(out, r.refSnap(name, r.refs[name]))
		}
	}
	return out, nil
}

// validRefName reports whether name is "refs/…" with at least two slashes
// (GitHub's create-ref: "must start with refs and have at least two
// slashes") and a name git accepts, by git check-ref-format's rules
// (git-check-ref-format(1)): no component begins with "." or ends with
// ".lock"; no "..", "@{", "//", control character, space, "~", "^", ":",
// "?", "*", "[" or "\\"; no trailing "/" or "."; not "@".
func validRefName(name string) bool {
	if !strings.HasPrefix(name, "refs/") || strings.Count(name, "/") < 2 {
		return false
	}
	return CheckRefFormat(name)
}

// CheckRefFormat reports whether git check-ref-format accepts name (with
// its default options: at least one "/").
func CheckRefFormat(name string) bool {
	if name == "@" || !strings.Contains(name, "/") || strings.HasSuffix(name, "/") || strings.HasSuffix(name, ".") ||
		strings.HasPrefix(name, "/") || strings.Contains(name, "..") || strings.Contains(name, "//") || strings.Contains(name, "@{") {
		return false
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f || strings.ContainsRune(" ~^:?*[\\", c) {
			return false
		}
	}
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return false
		}
	}
	return true
}

// Rules are the rules of a repository ruleset that refuse ref moves
// (docs.github.com repositories/configuring-branches-and-merges-in-your-repository/
// managing-rulesets/available-rules-for-rulesets: "Restrict deletions",
// "Block force pushes"). They apply to every branch, with no bypass actor:
// a real ruleset targets branch patterns (a simplification).
type Rules struct {
	NonFastForward bool `yaml:"nonFastForward,omitempty" json:"nonFastForward,omitempty"`
	Deletion       bool `yaml:"deletion,omitempty" json:"deletion,omitempty"`
}

// ruleRefusal returns the refusal of moving branch ref name from cur to
// next (zeroOID: deleting it), or nil. The messages are the rules' as git
// pushes show them under "GH013: Repository rule violations found for
// refs/heads/…": "- Cannot force-push to this branch", "- Cannot delete
// this branch" (third-party transcripts, e.g. 9r4rxssx64-creator/CMCteams
// and the Poyu-Tu/llm-gateway push log); a REST ref PATCH was seen
// answering 422 "Repository rule violations found Changes must be made
// through a pull request." (satisfactory-factories/application#67). The
// exact wording of the API's message is a guess from those.
func (w *World) ruleRefusal(r *repo, name, cur, next string) error {
	if !strings.HasPrefix(name, "refs/heads/") || cur == "" {
		return nil
	}
	switch {
	case next == zeroOID && r.Rules.Deletion:
		return errorf(Invalid, "Repository rule violations found\n\nCannot delete this branch\n")
	case next != zeroOID && r.Rules.NonFastForward && !w.isAncestor(cur, next):
		return errorf(Invalid, "Repository rule violations found\n\nCannot force-push to this branch\n")
	}
	return nil
}

// CreateRef creates ref name (fully qualified) at commit oid.
func (w *World) CreateRef(actor *Token, repoID int64, name, oid string) (Ref, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.writable(actor, repoID)
	if err != nil {
		return Ref{}, err
	}
	if !validRefName(name) {
		return Ref{}, errorf(Invalid, "Reference name '%s' is not valid", name)
	}
	if len(r.refs) == 0 {
		return Ref{}, errorf(Conflict, "Git Repository is empty.")
	}
	if _, ok := r.refs[name]; ok {
		return Ref{}, errorf(Invalid, "Reference already exists")
	}
	if o := w.objects[oid]; o == nil || o.typ != TypeCommit {
		return Ref{}, errorf(Invalid, "Object does not exist")
	}
	w.setRef(r, name, oid)
	return r.refSnap(name, oid), nil
}

// UpdateRef moves ref name to oid. Without force the move must be a fast
// forward (the current head must be an ancestor of oid).
func (w *World) UpdateRef(actor *Token, repoID int64, name, oid string, force bool) (Ref, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.writable(actor, repoID)
	if err != nil {
		return Ref{}, err
	}
	full, ok := r.lookupRef(name)
	if !ok {
		return Ref{}, errorf(Invalid, "Reference does not exist")
	}
	if o := w.objects[oid]; o == nil || o.typ != TypeCommit {
		return Ref{}, errorf(Invalid, "Object does not exist")
	}
	if !force && !w.isAncestor(r.refs[full], oid) {
		return Ref{}, errorf(Invalid, "Update is not a fast forward")
	}
	if err := w.ruleRefusal(r, full, r.refs[full], oid); err != nil {
		return Ref{}, err
	}
	w.setRef(r, full, oid)
	return r.refSnap(full, oid), nil
}

// DeleteRef deletes ref name.
func (w *World) DeleteRef(actor *Token, repoID int64, name string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.writable(actor, repoID)
	if err != nil {
		return err
	}
	full, ok := r.lookupRef(name)
	if !ok {
		return errorf(Invalid, "Reference does not exist")
	}
	if err := w.ruleRefusal(r, full, r.refs[full], zeroOID); err != nil {
		return err
	}
	w.deleteRef(r, full)
	return nil
}

// setRef points name at oid, feeds the search index when it is the
// default branch, and settles the pull requests the move empties.
func (w *World) setRef(r *repo, name, oid string) {
	r.refs[name] = oid
	now := w.clk.Now()
	r.UpdatedAt, r.PushedAt = now, now
	if name == "refs/heads/"+r.DefaultBranch {
		r.index = append(r.index, indexEntry{at: now.Add(w.indexLag), commit: oid})
	}
	w.settlePulls(r, name)
}

// deleteRef deletes ref name and closes the open pull requests whose head
// it was.
func (w *World) deleteRef(r *repo, name string) {
	delete(r.refs, name)
	w.settlePulls(r, name)
}

// settlePulls does what GitHub does to the open pull requests whose head
// or base is branch ref name of r after it moved or was deleted:
//
//   - the head branch was deleted, or moved to a commit with no commits
//     over the base (equal to the base head or an ancestor of it, as after
//     a force push of the base commit): the pull request is closed, and
//     it cannot be opened again while that holds;
//   - the base branch moved to contain every commit of the head (the head
//     was pushed to the base): the pull request is marked merged.
//
// Pull requests from a fork into its parent are included.
func (w *World) settlePulls(r *repo, name string) {
	branch, ok := strings.CutPrefix(name, "refs/heads/")
	if !ok {
		return
	}
	bases := []*repo{r}
	if parent := w.repoByID[r.ParentID]; parent != nil {
		bases = append(bases, parent)
	}
	for _, b := range bases {
		for _, p := range b.pulls {
			if p.IsIssue || p.State != "open" {
				continue
			}
			isHead := p.Head.RepoID == r.ID && p.Head.Ref == branch
			isBase := p.Base.RepoID == r.ID && p.Base.Ref == branch
			if !isHead && !isBase {
				continue
			}
			var head string
			if hr := w.repoByID[p.Head.RepoID]; hr != nil {
				head, ok = hr.refs["refs/heads/"+p.Head.Ref]
			}
			if !ok {
				w.setPRState(p, "closed")
				continue
			}
			base, ok := b.refs["refs/heads/"+p.Base.Ref]
			if !ok || !w.isAncestor(head, base) {
				continue
			}
			if isHead {
				w.setPRState(p, "closed")
			} else {
				w.setPRState(p, "merged")
			}
		}
	}
}

// isAncestor reports whether commit a is b or an ancestor of b.
func (w *World) isAncestor(a, b string) bool {
	seen := map[string]bool{}
	stack := []string{b}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c == a {
			return true
		}
		if seen[c] {
			continue
		}
		seen[c] = true
		if o := w.objects[c]; o != nil && o.typ == TypeCommit {
			stack = append(stack, o.commit.Parents...)
		}
	}
	return false
}

// resolveRev resolves a revision (an oid, "HEAD", a branch or tag name, or a
// ref) to a commit oid.
func (w *World) resolveRev(r *repo, rev string) (string, bool) {
	if rev == "" || rev == "HEAD" {
		oid, ok := r.refs["refs/heads/"+r.DefaultBranch]
		return oid, ok
	}
	// A revision names a ref in git's order, tags before branches
	// (gitrevisions(7), "<refname>": refs/<refname>, refs/tags/<refname>,
	// refs/heads/<refname>, …): "x:path" reads tag x when both a tag and
	// a branch are called x. That GitHub's object(expression:) resolves
	// an ambiguous name as git rev-parse does is a guess.
	for _, cand := range []string{rev, "refs/" + rev, "refs/tags/" + rev, "refs/heads/" + rev} {
		if oid, ok := r.refs[cand]; ok && strings.HasPrefix(cand, "refs/") {
			return oid, true
		}
	}
	if IsOID(strings.ToLower(rev)) {
		if o := w.objects[strings.ToLower(rev)]; o != nil && o.typ == TypeCommit {
			return strings.ToLower(rev), true
		}
	}
	return "", false
}

// Object is a resolved git object: a blob (Data), a tree (Entries) or a
// commit (Commit).
type Object struct {
	Type    string
	OID     string
	Path    string // for "rev:path" look-ups
	Data    []byte
	Entries []TreeEntry
	Commit  *Commit
}

// Object resolves a rev-parse style expression in the repository:
// "HEAD:path", "branch:path", "<commit-oid>:path", a revision ("main",
// "refs/heads/main", "HEAD") or any object id.
func (w *World) Object(actor *Token, repoID int64, expr string) (Object, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return Object{}, err
	}
	nf := errorf(NotFound, "Could not resolve to a GitObject with the expression '%s'.", expr)
	rev, path, hasPath := strings.Cut(expr, ":")
	if !hasPath {
		if IsOID(strings.ToLower(expr)) {
			if o := w.objects[strings.ToLower(expr)]; o != nil {
				return w.objSnap(strings.ToLower(expr), o, ""), nil
			}
			return Object{}, nf
		}
		oid, ok := w.resolveRev(r, expr)
		if !ok {
			return Object{}, nf
		}
		return w.objSnap(oid, w.objects[oid], ""), nil
	}
	oid, ok := w.resolveRev(r, rev)
	if !ok {
		return Object{}, nf
	}
	e, ok := w.objects.lookupPath(w.objects[oid].commit.Tree, path)
	if !ok {
		return Object{}, nf
	}
	return w.objSnap(e.OID, w.objects[e.OID], strings.Trim(path, "/")), nil
}

func (w *World) objSnap(oid string, o *object, path string) Object {
	out := Object{Type: o.typ, OID: oid, Path: path}
	switch o.typ {
	case TypeBlob:
		out.Data = append([]byte(nil), o.data...)
	case TypeTree:
		out.Entries = append([]TreeEntry(nil), o.entries...)
	case TypeCommit:
		c := *o.commit
		out.Commit = &c
	}
	return out
}

// Commit returns the commit that rev (an oid, branch, tag or ref) names.
func (w *World) Commit(actor *Token, repoID int64, rev string) (Commit, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return Commit{}, err
	}
	oid, ok := w.resolveRev(r, rev)
	if !ok {
		return Commit{}, errorf(Invalid, "No commit found for SHA: %s", rev)
	}
	return *w.objects[oid].commit, nil
}

// Tree returns the entries of the tree that treeish names (a tree oid, a
// commit oid, a branch or ref), recursively with full paths when recursive.
func (w *World) Tree(actor *Token, repoID int64, treeish string, recursive bool) (oid string, entries []TreeEntry, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return "", nil, err
	}
	oid = strings.ToLower(treeish)
	if o := w.objects[oid]; o == nil || o.typ != TypeTree {
		c, ok := w.resolveRev(r, treeish)
		if !ok {
			return "", nil, notFound()
		}
		oid = w.objects[c].commit.Tree
	}
	if !recursive {
		return oid, append([]TreeEntry(nil), w.objects[oid].entries...), nil
	}
	w.objects.walk(oid, "", func(path string, e TreeEntry) {
		e.Path = path
		entries = append(entries, e)
	})
	return oid, entries, nil
}

// Blob returns the content of blob oid.
func (w *World) Blob(actor *Token, repoID int64, oid string) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.readable(actor, repoID); err != nil {
		return nil, err
	}
	o := w.objects[strings.ToLower(oid)]
	if o == nil || o.typ != TypeBlob {
		return nil, notFound()
	}
	return append([]byte(nil), o.data...), nil
}

// File is a file's content at a ref.
type File struct {
	Path    string
	SHA     string // blob oid
	Content []byte
	Commit  string // the commit the ref resolved to
}

// FileAt returns path at ref (a branch, tag, ref or commit oid; "" means
// the default branch). A directory or missing path is NotFound.
func (w *World) FileAt(actor *Token, repoID int64, ref, path string) (File, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return File{}, err
	}
	c, ok := w.resolveRev(r, ref)
	if !ok {
		if ref == "" {
			return File{}, errorf(NotFound, "This repository is empty.")
		}
		return File{}, errorf(NotFound, "No commit found for the ref %s", ref)
	}
	e, ok := w.objects.lookupPath(w.objects[c].commit.Tree, path)
	if !ok || e.Type != TypeBlob {
		return File{}, notFound()
	}
	return File{Path: strings.Trim(path, "/"), SHA: e.OID, Content: append([]byte(nil), w.objects[e.OID].data...), Commit: c}, nil
}

// Dir returns the entries of directory path at ref, with full paths.
func (w *World) Dir(actor *Token, repoID int64, ref, path string) ([]TreeEntry, string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return nil, "", err
	}
	c, ok := w.resolveRev(r, ref)
	if !ok {
		return nil, "", notFound()
	}
	e, ok := w.objects.lookupPath(w.objects[c].commit.Tree, path)
	if !ok || e.Type != TypeTree {
		return nil, "", notFound()
	}
	var out []TreeEntry
	prefix := strings.Trim(path, "/")
	if prefix != "" {
		prefix += "/"
	}
	for _, te := range w.objects[e.OID].entries {
		te.Path = prefix + te.Name
		out = append(out, te)
	}
	return out, c, nil
}

// CommitInput is one commit on an existing branch, as createCommitOnBranch
// and the contents API make it.
type CommitInput struct {
	Branch          string // short ("main") or "refs/heads/main"
	ExpectedHeadOID string // required unless AllowCreate
	Additions       map[string][]byte
	Deletions       []string
	Headline        string
	Body            string
	// AllowCreate lets the commit create Branch when the repository is empty
	// (the contents API does that); ExpectedHeadOID is then ignored.
	AllowCreate bool
}

// CommitOnBranch makes one verified commit authored by the actor whose parent
// is the branch head, and moves the branch to it. The branch must exist
// (NotFound "Branch not found" otherwise); the head must equal
// ExpectedHeadOID (Stale otherwise); every deleted path must exist.
func (w *World) CommitOnBranch(actor *Token, repoID int64, in CommitInput) (Commit, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.writable(actor, repoID)
	if err != nil {
		return Commit{}, err
	}
	branch := strings.TrimPrefix(in.Branch, "refs/heads/")
	ref := "refs/heads/" + branch
	head, ok := r.refs[ref]
	if !ok && !(in.AllowCreate && len(r.refs) == 0) {
		return Commit{}, errorf(NotFound, "Branch not found")
	}
	if ok && in.ExpectedHeadOID != head {
		return Commit{}, errorf(Stale, "Expected branch to point to \"%s\" but it did not.  Pull and try again.", in.ExpectedHeadOID)
	}
	seen := map[string]bool{}
	for p := range in.Additions {
		if !validPath(p) {
			return Commit{}, errorf(Invalid, "A path was requested for addition that is invalid: %q", p)
		}
		seen[p] = true
	}
	for _, p := range in.Deletions {
		if seen[p] {
			return Commit{}, errorf(Invalid, "The path %q appears more than once in the file changes", p)
		}
		seen[p] = true
	}
	msg := in.Headline
	if in.Body != "" {
		msg += "\n\n" + in.Body
	}
	author := w.signatureFor(actor, w.accByID[r.ownerID], w.clk.Now())
	return w.commit(r, ref, head, in.Additions, in.Deletions, msg, author, true, false)
}

// commit writes a commit on ref with parent (may be empty) and moves ref.
func (w *World) commit(r *repo, ref, parent string, adds map[string][]byte, dels []string, msg string, author Signature, verified, seeding bool) (Commit, error) {
	files := map[string]file{}
	if parent != "" {
		for p, f := range w.objects.flatten(w.objects[parent].commit.Tree) {
			files[p] = f
		}
	}
	for _, p := range dels {
		if _, ok := files[p]; !ok {
			return Commit{}, errorf(Invalid, "A path was requested for deletion which does not exist as of commit oid `%s`", parent)
		}
		delete(files, p)
	}
	for _, p := range slices.Sorted(maps.Keys(adds)) {
		// A file replaces a directory of the same name and vice versa.
		for q := range files {
			if strings.HasPrefix(q, p+"/") || strings.HasPrefix(p, q+"/") {
				delete(files, q)
			}
		}
		// Every addition is a regular file, whatever the path's mode was:
		// "The createCommitOnBranch GraphQL mutation creates all files as
		// mode 100644 (non-executable)" (babarot/gh-infra#167).
		files[p] = file{oid: w.objects.putBlob(adds[p]), size: len(adds[p])}
	}
	c := Commit{Tree: w.objects.buildTree(files), Message: msg, Author: author, Verified: verified,
		Committer: Signature{Name: "GitHub", Email: "noreply@github.com", Date: author.Date}}
	if parent != "" {
		c.Parents = []string{parent}
	}
	c = w.objects.putCommit(c)
	if seeding {
		r.refs[ref] = c.OID
		if ref == "refs/heads/"+r.DefaultBranch {
			r.index = append(r.index, indexEntry{at: time.Time{}, commit: c.OID})
		}
	} else {
		w.setRef(r, ref, c.OID)
	}
	return c, nil
}

// SeedExecutable makes paths executable (mode 100755) on branch, in a new
// commit on its head, without permission checks. Seeding uses it.
func (w *World) SeedExecutable(repoID int64, branch string, paths []string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.repoByID[repoID]
	if r == nil {
		return notFound()
	}
	head, ok := r.refs["refs/heads/"+branch]
	if !ok {
		return errorf(Invalid, "branch %q does not exist", branch)
	}
	parent := w.objects[head].commit
	files := w.objects.flatten(parent.Tree)
	for _, p := range paths {
		f, ok := files[p]
		if !ok {
			return errorf(Invalid, "path %q does not exist", p)
		}
		f.mode = ModeExecutable
		files[p] = f
	}
	c := Commit{Tree: w.objects.buildTree(files), Message: "chmod +x", Author: parent.Author, Committer: parent.Committer, Parents: []string{head}}
	c = w.objects.putCommit(c)
	r.refs["refs/heads/"+branch] = c.OID
	if branch == r.DefaultBranch {
		r.index = append(r.index, indexEntry{commit: c.OID})
	}
	return nil
}

// SeedBranch creates or moves branch in the repository to a new commit with
// files on top of from (a branch name; the default branch if empty), without
// permission checks or index lag. Seeding and test set-up use it.
func (w *World) SeedBranch(repoID int64, branch, from string, files map[string][]byte, message string) (Commit, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.repoByID[repoID]
	if r == nil {
		return Commit{}, notFound()
	}
	parent := ""
	if oid, ok := r.refs["refs/heads/"+branch]; ok {
		parent = oid
	} else if oid, ok := w.resolveRev(r, from); ok {
		parent = oid
	}
	if message == "" {
		message = "Update " + strings.Join(slices.Sorted(maps.Keys(files)), ", ")
	}
	author := w.signatureFor(nil, w.accByID[r.ownerID], w.clk.Now())
	return w.commit(r, "refs/heads/"+branch, parent, files, nil, message, author, true, true)
}

// ByPath sorts tree entries by path.
func ByPath(es []TreeEntry) { sort.Slice(es, func(i, j int) bool { return es[i].Path < es[j].Path }) }
