package state

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Object types.
const (
	TypeBlob   = "blob"
	TypeTree   = "tree"
	TypeCommit = "commit"
)

// Git modes as the REST API reports them.
const (
	ModeFile       = "100644"
	ModeExecutable = "100755"
	ModeTree       = "040000"
)

// HashObject returns the git object id of an object of type typ ("blob",
// "tree", "commit") whose body is data: the SHA-1 of "<typ> <len>\x00<data>".
func HashObject(typ string, data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", typ, len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// TreeEntry is one entry of a git tree. Path is the full path from the root
// for recursive listings and equals Name otherwise.
type TreeEntry struct {
	Name string
	Path string
	Mode string // ModeFile, ModeExecutable or ModeTree
	Type string // TypeBlob or TypeTree
	OID  string
	Size int // blobs only
}

// Signature is a commit's author or committer.
type Signature struct {
	Name  string
	Email string
	Date  time.Time
	Login string // the GitHub user, if any
}

// Commit is a git commit.
type Commit struct {
	OID       string
	Tree      string
	Parents   []string
	Author    Signature
	Committer Signature
	Message   string
	Verified  bool
}

// object is a stored git object.
type object struct {
	typ     string
	data    []byte      // blob content
	entries []TreeEntry // tree entries, sorted git's way, Path == Name
	commit  *Commit
}

// EncodeTree returns the body of a git tree object for entries, sorted the
// way git sorts them (a tree's name compares as if it ended in "/").
func EncodeTree(entries []TreeEntry) []byte {
	es := append([]TreeEntry(nil), entries...)
	sortTree(es)
	var b bytes.Buffer
	for _, e := range es {
		mode := e.Mode
		if e.Type == TypeTree {
			mode = "40000" // git writes tree modes without the leading zero
		}
		raw, err := hex.DecodeString(e.OID)
		if err != nil || len(raw) != 20 {
			panic(fmt.Sprintf("state: bad object id %q in tree", e.OID))
		}
		b.WriteString(mode)
		b.WriteByte(' ')
		b.WriteString(e.Name)
		b.WriteByte(0)
		b.Write(raw)
	}
	return b.Bytes()
}

func sortTree(es []TreeEntry) {
	key := func(e TreeEntry) string {
		if e.Type == TypeTree {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(es, func(i, j int) bool { return key(es[i]) < key(es[j]) })
}

// EncodeCommit returns the body of a git commit object.
func EncodeCommit(c Commit) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "tree %s\n", c.Tree)
	for _, p := range c.Parents {
		fmt.Fprintf(&b, "parent %s\n", p)
	}
	fmt.Fprintf(&b, "author %s\n", sigLine(c.Author))
	fmt.Fprintf(&b, "committer %s\n", sigLine(c.Committer))
	b.WriteByte('\n')
	b.WriteString(c.Message)
	return b.Bytes()
}

func sigLine(s Signature) string {
	return fmt.Sprintf("%s <%s> %d +0000", s.Name, s.Email, s.Date.Unix())
}

// store holds git objects by id. Objects are content-addressed, so one store
// is shared by every repository (forks share their parent's objects).
type store map[string]*object

func (s store) putBlob(data []byte) string {
	oid := HashObject(TypeBlob, data)
	if _, ok := s[oid]; !ok {
		s[oid] = &object{typ: TypeBlob, data: append([]byte(nil), data...)}
	}
	return oid
}

func (s store) putTree(entries []TreeEntry) string {
	sortTree(entries)
	oid := HashObject(TypeTree, EncodeTree(entries))
	if _, ok := s[oid]; !ok {
		s[oid] = &object{typ: TypeTree, entries: entries}
	}
	return oid
}

func (s store) putCommit(c Commit) Commit {
	c.OID = HashObject(TypeCommit, EncodeCommit(c))
	if _, ok := s[c.OID]; !ok {
		cc := c
		s[c.OID] = &object{typ: TypeCommit, commit: &cc}
	}
	return c
}

// file is a blob in a flattened tree.
type file struct {
	oid  string
	size int
	mode string // "" is ModeFile
}

// flatten returns every blob under tree oid by full path.
func (s store) flatten(oid string) map[string]file {
	out := map[string]file{}
	s.walk(oid, "", func(path string, e TreeEntry) {
		if e.Type == TypeBlob {
			out[path] = file{oid: e.OID, size: e.Size, mode: e.Mode}
		}
	})
	return out
}

// walk calls fn for every entry under tree oid, depth first in git order.
func (s store) walk(oid, prefix string, fn func(path string, e TreeEntry)) {
	o := s[oid]
	if o == nil || o.typ != TypeTree {
		return
	}
	for _, e := range o.entries {
		p := prefix + e.Name
		fn(p, e)
		if e.Type == TypeTree {
			s.walk(e.OID, p+"/", fn)
		}
	}
}

// buildTree writes the trees for files (full path → blob) and returns the
// root tree's id.
func (s store) buildTree(files map[string]file) string {
	type dir struct {
		files map[string]file
		dirs  map[string]*dir
	}
	newDir := func() *dir { return &dir{files: map[string]file{}, dirs: map[string]*dir{}} }
	root := newDir()
	for p, f := range files {
		d := root
		parts := strings.Split(p, "/")
		for _, name := range parts[:len(parts)-1] {
			sub := d.dirs[name]
			if sub == nil {
				sub = newDir()
				d.dirs[name] = sub
			}
			d = sub
		}
		d.files[parts[len(parts)-1]] = f
	}
	var write func(d *dir) string
	write = func(d *dir) string {
		es := make([]TreeEntry, 0, len(d.files)+len(d.dirs))
		for name, f := range d.files {
			mode := f.mode
			if mode == "" {
				mode = ModeFile
			}
			es = append(es, TreeEntry{Name: name, Path: name, Mode: mode, Type: TypeBlob, OID: f.oid, Size: f.size})
		}
		for name, sub := range d.dirs {
			es = append(es, TreeEntry{Name: name, Path: name, Mode: ModeTree, Type: TypeTree, OID: write(sub)})
		}
		return s.putTree(es)
	}
	return write(root)
}

// lookupPath returns the entry at path under tree oid.
func (s store) lookupPath(treeOID, path string) (TreeEntry, bool) {
	path = strings.Trim(path, "/")
	if path == "" {
		return TreeEntry{Type: TypeTree, Mode: ModeTree, OID: treeOID}, true
	}
	cur := treeOID
	parts := strings.Split(path, "/")
	for i, name := range parts {
		o := s[cur]
		if o == nil || o.typ != TypeTree {
			return TreeEntry{}, false
		}
		found := false
		for _, e := range o.entries {
			if e.Name == name {
				if i == len(parts)-1 {
					e.Path = path
					return e, true
				}
				cur, found = e.OID, true
				break
			}
		}
		if !found {
			return TreeEntry{}, false
		}
	}
	return TreeEntry{}, false
}

// validPath reports whether p is a relative, clean, slash-separated path.
func validPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return false
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." || part == ".git" {
			return false
		}
	}
	return !strings.ContainsRune(p, 0)
}

// IsOID reports whether s looks like a full 40-hex-digit object id.
func IsOID(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
