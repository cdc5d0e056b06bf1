// Package store keeps dfiu's image→tag store: a JSON file in a GitHub
// repository, in the format of salesforce/dockerfile-image-update,
//
//	{"images": {"<image>": "<tag>"}}
//
// Parent mode records the tag it rolls out; all mode reads the store and
// rolls out every entry. The store keeps the newest tag of each lineage of
// an image (lineage.go): the plain one in "images", the others (variants,
// v-prefixed versions) in a top-level "lineages" that the original tool
// leaves alone.
//
// Keys are image names without tag or digest, stored as the user first gave
// them to parent mode ("ubuntu" stays "ubuntu"). Existing keys are matched
// by canonical name (package imageref), so "ubuntu", "library/ubuntu" and
// "docker.io/library/ubuntu" are one entry and the first spelling is kept.
//
// An update changes only the bytes of the entry it sets (or inserts the
// new entry after the last one, in the layout of its neighbours): every
// other byte of the file, unknown keys, formatting, entries that are not
// valid UTF-8 or not strings, stays as it was. A new store is indented
// with two spaces. Entries whose value is not a string are not images:
// Load reports them by key, and setting such a key replaces its value.
// Writes use the blob sha as an optimistic lock; a lost race is re-read
// and retried, so concurrent writers never drop each other's entries. A
// store that is not valid JSON is reported and never overwritten.
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/gitref"
	"github.com/dfiu/dfiu/internal/imageref"
)

// DefaultPath is the store file's path when a location names none.
const DefaultPath = "store.json"

// Location is where the store lives.
type Location struct {
	Owner, Repo, Path string
	Branch            string // "" = the default branch
}

// String returns the location in ParseLocation's syntax.
func (l Location) String() string {
	s := l.Owner + "/" + l.Repo + "/" + l.Path
	if l.Branch != "" {
		s += "@" + l.Branch
	}
	return s
}

// ParseLocation reads "owner/repo[/path][@branch]"; the path defaults to
// DefaultPath. The branch is what follows the last "@" and must pass git
// check-ref-format --branch. The path is the file's name as it is in the
// repository: "#", "?" and "%" are part of it (gh escapes them in every
// request), so a "%" followed by two hex digits, which reads as an escape,
// is refused, as are control characters and empty, ".", ".." and ".git"
// segments.
func ParseLocation(s string) (Location, error) {
	bad := func(format string, args ...any) (Location, error) {
		return Location{}, fmt.Errorf("store %q: "+format, append([]any{s}, args...)...)
	}
	rest := strings.TrimSpace(s)
	var loc Location
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest, loc.Branch = rest[:i], rest[i+1:]
		if loc.Branch == "" {
			return bad("empty branch after @")
		}
		if err := gitref.CheckBranch(loc.Branch); err != nil {
			return bad("branch %q is not a valid branch name: it %v", loc.Branch, err)
		}
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 2 {
		return bad("want owner/repo[/path][@branch]")
	}
	loc.Owner, loc.Repo = parts[0], parts[1]
	if !gh.ValidOwner(loc.Owner) {
		return bad("owner %q is not a GitHub login", loc.Owner)
	}
	if !gh.ValidRepoName(loc.Repo) {
		return bad("repository %q is not a repository name", loc.Repo)
	}
	loc.Path = DefaultPath
	if len(parts) == 3 {
		loc.Path = parts[2]
		if err := checkPath(loc.Path); err != nil {
			return bad("path %q %v", loc.Path, err)
		}
	}
	return loc, nil
}

var percentEscape = regexp.MustCompile(`%[0-9A-Fa-f]{2}`)

// checkPath says why p cannot be the store file's path in a repository.
func checkPath(p string) error {
	if p == "" || strings.HasSuffix(p, "/") {
		return errors.New("does not name a file")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.EqualFold(seg, ".git") {
			return errors.New("has an empty, ., .. or .git segment")
		}
	}
	if strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }) {
		return errors.New("holds a control character or a byte that is not UTF-8")
	}
	if e := percentEscape.FindString(p); e != "" {
		return fmt.Errorf("holds %q, which reads as a URL escape: write the path as it is in the repository (dfiu escapes it)", e)
	}
	return nil
}

// Files reads and writes one file in a repository. *gh.Client satisfies
// it. GetContents wraps gh.ErrNotFound for a missing file; PutContents
// wraps gh.ErrConflict when sha no longer matches.
type Files interface {
	GetContents(ctx context.Context, owner, repo, path, ref string) ([]byte, string, error)
	PutContents(ctx context.Context, owner, repo, path, branch string, content []byte, sha, message string) error
}

// Load returns the store's images, tags by key as written, and the keys
// whose value is not a string, each with what it is instead ("a number").
// A missing file is an empty store.
func Load(ctx context.Context, f Files, loc Location) (images, invalid map[string]string, err error) {
	doc, _, err := read(ctx, f, loc)
	if err != nil {
		return nil, nil, err
	}
	images, invalid = doc.tags()
	return images, invalid, nil
}

// tags returns the tags of "images" by key, and the keys whose value is
// not a tag, each with what it is instead.
func (d *document) tags() (images, invalid map[string]string) {
	images, invalid = map[string]string{}, map[string]string{}
	for _, e := range d.entries {
		if e.isTag {
			images[e.key] = e.tag
		} else {
			invalid[e.key] = "its value is " + kind(e.raw) + ", not a tag"
		}
	}
	return images, invalid
}

// Options tune SetWithOptions.
type Options struct {
	Clock       clock.Clock // waits between attempts; nil means clock.Real{}
	MaxAttempts int         // 0 means DefaultMaxAttempts
}

// DefaultMaxAttempts bounds Set's read-modify-write attempts. Each lost
// race means another writer succeeded, so n concurrent writers need at
// most n attempts; jittered backoff spreads them out.
const DefaultMaxAttempts = 30

// Set records tag for image. It reads the store, changes the entry (or
// adds it) and writes it back with the sha it read; when another writer got
// there first (gh.ErrConflict) it waits a jittered, growing moment and
// starts over from a fresh read. changed is false, and nothing is written,
// when the entry already holds tag.
func Set(ctx context.Context, f Files, loc Location, image imageref.Name, tag string) (changed bool, err error) {
	return SetWithOptions(ctx, f, loc, image, tag, Options{})
}

// SetWithOptions is Set with an injected clock and attempt bound.
func SetWithOptions(ctx context.Context, f Files, loc Location, image imageref.Name, tag string, opts Options) (changed bool, err error) {
	if !imageref.ValidTag(tag) {
		return false, fmt.Errorf("store %s: tag %q for image %q is not a valid tag", loc, tag, image)
	}
	msg := fmt.Sprintf("dfiu: set %s to %s", image, tag)
	return modify(ctx, f, loc, msg, opts, func(d *document) ([]byte, error) {
		out, _, err := d.record(image, tag)
		return out, err
	})
}

// modify is Modify on the parsed store: change computes the new file from
// the document as read (a missing file is a blank one).
func modify(ctx context.Context, f Files, loc Location, msg string, opts Options, change func(*document) ([]byte, error)) (bool, error) {
	return Modify(ctx, f, loc, opts, msg, func(content []byte) ([]byte, error) {
		doc := &document{blank: true}
		if content != nil {
			var err error
			if doc, err = parse(content); err != nil {
				return nil, err
			}
		}
		return change(doc)
	})
}

// Modify is the store's optimistic read-modify-write, for any file: it
// reads loc (nil content when missing), asks change for the new content
// (nil: nothing to write) and writes it with the blob sha it read. When
// another writer got there first (gh.ErrConflict) it waits a jittered,
// growing moment and starts over from a fresh read, so change sees the
// other writer's content. An error from change stops it; nothing is
// written.
func Modify(ctx context.Context, f Files, loc Location, opts Options, message string, change func(content []byte) ([]byte, error)) (changed bool, err error) {
	clk := opts.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	attempts := opts.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	for attempt := 0; attempt < attempts; attempt++ {
		content, sha, err := f.GetContents(ctx, loc.Owner, loc.Repo, loc.Path, loc.Branch)
		if errors.Is(err, gh.ErrNotFound) {
			content, sha, err = nil, "", nil
		}
		if err != nil {
			return false, fmt.Errorf("store %s: reading: %w", loc, err)
		}
		out, err := change(content)
		if err != nil {
			return false, fmt.Errorf("store %s: %w", loc, err)
		}
		if out == nil {
			return false, nil
		}
		err = f.PutContents(ctx, loc.Owner, loc.Repo, loc.Path, loc.Branch, out, sha, message)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, gh.ErrConflict) {
			return false, fmt.Errorf("store %s: writing (%s): %w", loc, message, err)
		}
		ceiling := min(100*time.Millisecond<<attempt, 5*time.Second)
		if err := clk.Sleep(ctx, time.Duration(rand.Int64N(int64(ceiling))+1)); err != nil {
			return false, fmt.Errorf("store %s: %w", loc, err)
		}
	}
	return false, fmt.Errorf("store %s: %s: %d attempts lost to concurrent writers: %w", loc, message, attempts, gh.ErrConflict)
}

// sameImage compares a stored key with a name; keys that do not parse only
// match themselves.
func sameImage(key string, image imageref.Name) bool {
	if key == image.String() {
		return true
	}
	k, err := imageref.Parse(strings.TrimSpace(key))
	return err == nil && k.Same(image)
}

func read(ctx context.Context, f Files, loc Location) (*document, string, error) {
	content, sha, err := f.GetContents(ctx, loc.Owner, loc.Repo, loc.Path, loc.Branch)
	if errors.Is(err, gh.ErrNotFound) {
		return &document{blank: true}, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("store %s: reading: %w", loc, err)
	}
	doc, err := parse(content)
	if err != nil {
		return nil, "", fmt.Errorf("store %s: %w", loc, err)
	}
	return doc, sha, nil
}

// document is the store file as read, with the byte offsets of what set
// may change: an update splices the new bytes into src and leaves every
// other byte as it was.
type document struct {
	src         []byte   // the file, BOM included
	blank       bool     // src holds no JSON: a new store
	top         []member // the top-level members, in order
	open, close int      // offsets of the top-level "{" and "}"
	images      *member  // the "images" member, or nil
	// entries are the members of "images", in order, when it is an object.
	entries []entry
	// imagesClose is the offset of the "}" closing "images".
	imagesClose int

	// The lineages other than the one in "images" (lineage.go).
	lineages     *member // the "lineages" member, or nil
	lineagesObj  *object // its value when it is an object
	lineageItems []lineageItem
}

// member is one "key": value of an object, with offsets into src.
type member struct {
	key                  string
	keyStart, keyEnd     int
	valueStart, valueEnd int
	raw                  []byte
}

// entry is one member of "images". isTag is false when its value is not
// a string: it is not an image, Load reports it, and setting its key
// replaces it.
type entry struct {
	member
	tag   string
	isTag bool
}

// kind names a JSON value's type for messages, without quoting it.
func kind(raw []byte) string {
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// parse reads the store file. Blank content is an empty store.
func parse(b []byte) (*document, error) {
	doc := &document{src: b}
	body := bytes.TrimPrefix(b, []byte("\ufeff"))
	if len(bytes.TrimSpace(body)) == 0 {
		doc.blank = true
		return doc, nil
	}
	base := len(b) - len(body)
	open, top, close, err := objectMembers(body, base)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	doc.top, doc.open, doc.close = top, open, close
	for i, m := range top {
		if m.key != "images" {
			continue
		}
		if doc.images != nil {
			return nil, errors.New(`invalid store: "images" appears twice`)
		}
		doc.images = &doc.top[i]
		if string(m.raw) == "null" {
			continue
		}
		_, members, end, err := objectMembers(m.raw, m.valueStart)
		if err != nil {
			return nil, fmt.Errorf(`invalid store: "images": %w`, err)
		}
		doc.imagesClose = end
		for _, im := range members {
			doc.entries = append(doc.entries, tagEntry(im))
		}
	}
	if err := doc.parseLineages(); err != nil {
		return nil, err
	}
	return doc, nil
}

// tagEntry reads a member as an entry: a tag when its value is a string.
func tagEntry(m member) entry {
	e := entry{member: m}
	e.isTag = m.raw[0] == '"' && json.Unmarshal(m.raw, &e.tag) == nil
	return e
}

// objectMembers splits the JSON object in b, which starts at offset base
// of the document, into its members, in order, and returns the offsets of
// its "{" and "}".
func objectMembers(b []byte, base int) (open int, out []member, close int, err error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return 0, nil, 0, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return 0, nil, 0, fmt.Errorf("want an object, found %v", tok)
	}
	open = base + int(dec.InputOffset()) - 1
	for dec.More() {
		prev := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return 0, nil, 0, err
		}
		key, ok := tok.(string)
		if !ok {
			return 0, nil, 0, fmt.Errorf("want a key, found %v", tok)
		}
		keyStart, keyEnd := prev+bytes.IndexByte(b[prev:], '"'), int(dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return 0, nil, 0, fmt.Errorf("value of %q: %w", key, err)
		}
		end := int(dec.InputOffset())
		start := end - len(raw)
		if start < 0 || !bytes.Equal(b[start:end], raw) {
			return 0, nil, 0, fmt.Errorf("value of %q: cannot locate it in the file", key)
		}
		out = append(out, member{key: key, keyStart: base + keyStart, keyEnd: base + keyEnd, valueStart: base + start, valueEnd: base + end, raw: raw})
	}
	if _, err := dec.Token(); err != nil {
		return 0, nil, 0, err
	}
	close = base + int(dec.InputOffset()) - 1
	if _, err := dec.Token(); err != io.EOF {
		return 0, nil, 0, errors.New("data after the top-level object")
	}
	return open, out, close, nil
}

// set returns the document with image's entry (every spelling of it) set to
// tag, or added; nil when every entry for image already holds tag. Only
// the changed value's bytes, or the added member's, differ from src.
func (d *document) set(image imageref.Name, tag string) []byte {
	value := jsonString(tag)
	var matches []entry
	current := true
	for _, e := range d.entries {
		if sameImage(e.key, image) {
			matches = append(matches, e)
			current = current && e.isTag && e.tag == tag
		}
	}
	if len(matches) > 0 {
		if current {
			return nil
		}
		out := d.src
		for i := len(matches) - 1; i >= 0; i-- {
			out = splice(out, matches[i].valueStart, matches[i].valueEnd, value)
		}
		return out
	}
	newEntry := append(append(jsonString(image.String()), ": "...), value...)
	entryIn := func(ws string) string { return inner(ws) + string(newEntry) + ws }
	switch {
	case d.blank:
		return []byte("{\n  \"images\": {\n    " + string(newEntry) + "\n  }\n}\n")
	case len(d.top) == 0:
		return splice(d.src, d.open+1, d.close, []byte("\n  \"images\": {\n    "+string(newEntry)+"\n  }\n"))
	case d.images == nil:
		ws := indentBefore(d.src, d.top[0].keyStart)
		return splice(d.src, d.open+1, d.open+1, []byte(ws+`"images": {`+entryIn(ws)+"},"))
	case string(d.images.raw) == "null":
		ws := indentBefore(d.src, d.images.keyStart)
		return splice(d.src, d.images.valueStart, d.images.valueEnd, []byte("{"+entryIn(ws)+"}"))
	case len(d.entries) == 0:
		ws := indentBefore(d.src, d.images.keyStart)
		return splice(d.src, d.images.valueStart+1, d.imagesClose, []byte(entryIn(ws)))
	}
	last := d.entries[len(d.entries)-1]
	ins := "," + indentBefore(d.src, last.keyStart) + string(jsonString(image.String())) +
		string(d.src[last.keyEnd:last.valueStart]) + string(value)
	return splice(d.src, last.valueEnd, last.valueEnd, []byte(ins))
}

// inner is the indentation one level inside ws: two more spaces when ws
// starts a new line, none in a one-line document.
func inner(ws string) string {
	if strings.Contains(ws, "\n") {
		return ws + "  "
	}
	return ws
}

// indentBefore returns the white space before offset i, back to and
// including the last line break ("\n  "), or " " when the member shares
// its line with what precedes it.
func indentBefore(src []byte, i int) string {
	j := i
	for j > 0 && (src[j-1] == ' ' || src[j-1] == '\t') {
		j--
	}
	if j > 0 && src[j-1] == '\n' {
		k := j - 1
		if k > 0 && src[k-1] == '\r' {
			k--
		}
		return string(src[k:i])
	}
	if j == i {
		return ""
	}
	return " "
}

func splice(src []byte, start, end int, repl []byte) []byte {
	out := make([]byte, 0, len(src)-(end-start)+len(repl))
	out = append(out, src[:start]...)
	out = append(out, repl...)
	return append(out, src[end:]...)
}

func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
