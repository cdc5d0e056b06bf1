package state

import (
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// MaxIndexedSize is the largest file code search indexes: files of 384 KB and
// more are not searchable, as on GitHub.
const MaxIndexedSize = 384 * 1024

// searchPunct holds the characters legacy code search ignores.
const searchPunct = ".,:;/\\`'\"=*!?#$&+^|~<>(){}[]@"

// Tokenize splits s the way legacy code search does: on white space and the
// ignored punctuation, lowercased.
func Tokenize(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(searchPunct, r)
	})
}

// CodeQuery is a parsed legacy code-search query.
type CodeQuery struct {
	Terms     []string // tokens that must all occur
	InPath    bool     // in:path — match terms in the path
	InFile    bool     // in:file (the default)
	Filename  string
	Path      string
	Extension string
	Language  string
	Orgs      []string
	Users     []string
	Repos     []string
	Fork      string // "", "true" or "only"
	Size      string // "n", ">n", "<n", ">=n", "<=n", "n..m"
}

// ParseCodeQuery parses q. Unknown "key:value" words are search terms (and
// tokenised: "python:3.12" is the terms python, 3 and 12). A query needs at
// least one term unless it has a filename: qualifier.
func ParseCodeQuery(q string) (CodeQuery, error) {
	var cq CodeQuery
	for _, word := range splitQuery(q) {
		key, val, ok := strings.Cut(word, ":")
		if ok && val != "" && !strings.HasPrefix(word, "\"") {
			switch strings.ToLower(key) {
			case "filename":
				cq.Filename = strings.Trim(val, "\"")
				continue
			case "path":
				cq.Path = strings.Trim(val, "\"")
				continue
			case "extension":
				cq.Extension = strings.TrimPrefix(val, ".")
				continue
			case "language":
				cq.Language = val
				continue
			case "org":
				cq.Orgs = append(cq.Orgs, val)
				continue
			case "user":
				cq.Users = append(cq.Users, val)
				continue
			case "repo":
				cq.Repos = append(cq.Repos, val)
				continue
			case "fork":
				cq.Fork = strings.ToLower(val)
				continue
			case "size":
				if !validSize(val) {
					return CodeQuery{}, invalidQuery("The size qualifier %q is not valid.", val)
				}
				cq.Size = val
				continue
			case "in":
				for _, v := range strings.Split(strings.ToLower(val), ",") {
					cq.InPath = cq.InPath || v == "path"
					cq.InFile = cq.InFile || v == "file"
				}
				continue
			}
		}
		cq.Terms = append(cq.Terms, Tokenize(word)...)
	}
	if !cq.InPath {
		cq.InFile = true
	}
	if len(cq.Terms) == 0 && cq.Filename == "" {
		return CodeQuery{}, invalidQuery("Must include at least one search term.")
	}
	return cq, nil
}

func invalidQuery(format string, args ...any) *Error {
	e := errorf(Invalid, format, args...)
	e.Resource, e.Field, e.Code = "Search", "q", "invalid"
	return e
}

// splitQuery splits on white space, keeping "quoted phrases" together.
func splitQuery(q string) []string {
	var out []string
	var cur strings.Builder
	inQuote := false
	for _, r := range q {
		switch {
		case r == '"':
			inQuote = !inQuote
			cur.WriteRune(r)
		case unicode.IsSpace(r) && !inQuote:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func validSize(s string) bool {
	_, ok := sizeMatcher(s)
	return ok
}

func sizeMatcher(s string) (func(n int) bool, bool) {
	num := func(v string) (int, bool) {
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	switch {
	case strings.HasPrefix(s, ">="):
		n, ok := num(s[2:])
		return func(x int) bool { return x >= n }, ok
	case strings.HasPrefix(s, "<="):
		n, ok := num(s[2:])
		return func(x int) bool { return x <= n }, ok
	case strings.HasPrefix(s, ">"):
		n, ok := num(s[1:])
		return func(x int) bool { return x > n }, ok
	case strings.HasPrefix(s, "<"):
		n, ok := num(s[1:])
		return func(x int) bool { return x < n }, ok
	case strings.Contains(s, ".."):
		a, b, _ := strings.Cut(s, "..")
		lo, ok1 := num(a)
		hi, ok2 := num(b)
		return func(x int) bool { return lo <= x && x <= hi }, ok1 && ok2
	}
	n, ok := num(s)
	return func(x int) bool { return x == n }, ok
}

// Language returns the linguist language of a file name, or "".
func Language(p string) string {
	base := strings.ToLower(path.Base(p))
	ext := strings.TrimPrefix(path.Ext(base), ".")
	switch {
	case base == "dockerfile" || base == "containerfile" ||
		strings.HasPrefix(base, "dockerfile.") || strings.HasPrefix(base, "containerfile.") ||
		ext == "dockerfile" || ext == "containerfile":
		return "Dockerfile"
	}
	switch ext {
	case "yml", "yaml":
		return "YAML"
	case "go":
		return "Go"
	case "md", "markdown":
		return "Markdown"
	case "json":
		return "JSON"
	case "sh", "bash":
		return "Shell"
	case "py":
		return "Python"
	case "js":
		return "JavaScript"
	case "ts":
		return "TypeScript"
	case "toml":
		return "TOML"
	case "hcl", "tf":
		return "HCL"
	}
	if base == "makefile" {
		return "Makefile"
	}
	return ""
}

// CodeHit is one code-search result.
type CodeHit struct {
	Repo     Repo
	Path     string
	Name     string
	SHA      string // blob oid
	Commit   string // the indexed commit
	Size     int
	Language string
}

// SearchCode runs a legacy code-search query as the actor and returns every
// hit, ordered by repository full name then path. Only each repository's
// default branch as indexed (commits older than the index lag) is searched;
// forks only with fork:true or fork:only; repositories the actor cannot see
// are left out, but naming one in repo:, org: or user: is Invalid. So are
// repositories out of the index and those past the per-query repository
// cap (index.go): silently, as on GitHub.
func (w *World) SearchCode(actor *Token, q string) ([]CodeHit, error) {
	cq, err := ParseCodeQuery(q)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	cannot := invalidQuery("The listed users, orgs, or repositories cannot be searched either because the resources do not exist or you do not have permission to view them.")
	// GitHub's 422 when the token "lacks access to a repository named in
	// a repo:, user: or org: qualifier" (docs content/rest/search/search.md);
	// an organisation that exists but the token may not search (a SAML
	// organisation, an installation elsewhere) is answered the same way.
	for _, name := range append(append([]string(nil), cq.Orgs...), cq.Users...) {
		if w.accounts[strings.ToLower(name)] == nil || actor != nil && slices.Contains(actor.Unsearchable, strings.ToLower(name)) {
			return nil, cannot
		}
	}
	for _, name := range cq.Repos {
		if r := w.repos[strings.ToLower(name)]; r == nil || w.perm(actor, r) < PermRead {
			return nil, cannot
		}
	}
	var sizeOK func(int) bool
	if cq.Size != "" {
		sizeOK, _ = sizeMatcher(cq.Size)
	}
	now := w.clk.Now()
	type cand struct {
		r    *repo
		name string
	}
	var repos []cand
	for _, r := range w.repoByID {
		owner := w.accByID[r.ownerID].Login
		full := owner + "/" + r.Name
		if cq.Fork == "" && r.Fork || cq.Fork == "only" && !r.Fork {
			continue
		}
		if len(cq.Repos) > 0 && !anyFold(cq.Repos, full) {
			continue
		}
		if (len(cq.Orgs) > 0 || len(cq.Users) > 0) && !anyFold(cq.Orgs, owner) && !anyFold(cq.Users, owner) {
			continue
		}
		if w.perm(actor, r) < PermRead || !r.searchable(now) {
			continue
		}
		repos = append(repos, cand{r, strings.ToLower(full)})
	}
	repos = capRepos(repos, w.searchRepoCap, func(c cand) time.Time { return c.r.PushedAt }, func(c cand) string { return c.name })
	sort.Slice(repos, func(i, j int) bool { return repos[i].name < repos[j].name })
	var hits []CodeHit
	for _, c := range repos {
		commit := ""
		for i := len(c.r.index) - 1; i >= 0; i-- {
			if !c.r.index[i].at.After(now) {
				commit = c.r.index[i].commit
				break
			}
		}
		if commit == "" {
			continue
		}
		files := w.flatCached(w.objects[commit].commit.Tree)
		var snap *Repo
		for _, p := range slices.Sorted(maps.Keys(files)) {
			f := files[p]
			if f.size >= MaxIndexedSize || !cq.matchPath(p) || sizeOK != nil && !sizeOK(f.size) {
				continue
			}
			if !w.matchTerms(cq, p, f.oid) {
				continue
			}
			if snap == nil {
				s := w.repoSnap(c.r)
				snap = &s
			}
			hits = append(hits, CodeHit{Repo: *snap, Path: p, Name: path.Base(p), SHA: f.oid, Commit: commit, Size: f.size, Language: Language(p)})
		}
	}
	return hits, nil
}

func anyFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func (cq CodeQuery) matchPath(p string) bool {
	base := strings.ToLower(path.Base(p))
	if cq.Filename != "" {
		f := strings.ToLower(cq.Filename)
		if base != f && !strings.HasPrefix(base, f+".") && !strings.HasSuffix(base, "."+f) {
			return false
		}
	}
	if cq.Extension != "" && !strings.EqualFold(strings.TrimPrefix(path.Ext(base), "."), cq.Extension) {
		return false
	}
	if cq.Language != "" && !strings.EqualFold(Language(p), cq.Language) {
		return false
	}
	if cq.Path != "" {
		dir := path.Dir(p)
		want := strings.Trim(cq.Path, "/")
		if want == "" {
			if dir != "." {
				return false
			}
		} else if !strings.EqualFold(dir, want) && !strings.HasPrefix(strings.ToLower(dir), strings.ToLower(want)+"/") {
			return false
		}
	}
	return true
}

func (w *World) matchTerms(cq CodeQuery, p, oid string) bool {
	if len(cq.Terms) == 0 {
		return true
	}
	var fileToks, pathToks map[string]struct{}
	if cq.InFile {
		fileToks = w.tokensCached(oid)
	}
	if cq.InPath {
		pathToks = map[string]struct{}{}
		for _, t := range Tokenize(p) {
			pathToks[t] = struct{}{}
		}
	}
	for _, t := range cq.Terms {
		_, inFile := fileToks[t]
		_, inPath := pathToks[t]
		if !inFile && !inPath {
			return false
		}
	}
	return true
}

func (w *World) flatCached(tree string) map[string]file {
	if f, ok := w.flatCache[tree]; ok {
		return f
	}
	f := w.objects.flatten(tree)
	w.flatCache[tree] = f
	return f
}

func (w *World) tokensCached(oid string) map[string]struct{} {
	if t, ok := w.tokCache[oid]; ok {
		return t
	}
	t := map[string]struct{}{}
	for _, tok := range Tokenize(string(w.objects[oid].data)) {
		t[tok] = struct{}{}
	}
	w.tokCache[oid] = t
	return t
}
