// Package store keeps dfiu's image→tag store: a JSON file in a GitHub
// repository, in the format of salesforce/dockerfile-image-update,
//
//	{"images": {"<image>": "<tag>"}}
//
// Parent mode records the tag it rolls out; all mode reads the store and
// rolls out every entry.
//
// Keys are image names without tag or digest, stored as the user first gave
// them to parent mode ("ubuntu" stays "ubuntu"). Existing keys are matched
// by canonical name (package imageref), so "ubuntu", "library/ubuntu" and
// "docker.io/library/ubuntu" are one entry and the first spelling is kept.
//
// Unknown keys, at the top level and beside "images", are kept: their
// values are copied as written (json.RawMessage, re-indented), in the
// original key order. Output is indented with two spaces and ends with a
// newline. Writes use the blob sha as an optimistic lock; a lost race is
// re-read and retried, so concurrent writers never drop each other's
// entries. A store that is not valid JSON is reported and never
// overwritten.
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/gh"
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
// DefaultPath. The branch is what follows the last "@".
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
		if strings.ContainsAny(loc.Branch, " \t~^:?*[\\") || strings.Contains(loc.Branch, "..") {
			return bad("branch %q is not a valid branch name", loc.Branch)
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
		if loc.Path == "" || strings.HasSuffix(loc.Path, "/") {
			return bad("path %q does not name a file", loc.Path)
		}
		for _, seg := range strings.Split(loc.Path, "/") {
			if seg == "" || seg == "." || seg == ".." {
				return bad("path %q has an empty, . or .. segment", loc.Path)
			}
		}
	}
	return loc, nil
}

// Files reads and writes one file in a repository. *gh.Client satisfies
// it. GetContents wraps gh.ErrNotFound for a missing file; PutContents
// wraps gh.ErrConflict when sha no longer matches.
type Files interface {
	GetContents(ctx context.Context, owner, repo, path, ref string) ([]byte, string, error)
	PutContents(ctx context.Context, owner, repo, path, branch string, content []byte, sha, message string) error
}

// Load returns the store's images. A missing file is an empty store.
func Load(ctx context.Context, f Files, loc Location) (map[string]string, error) {
	doc, _, err := read(ctx, f, loc)
	if err != nil {
		return nil, err
	}
	images := make(map[string]string, len(doc.images))
	for _, e := range doc.images {
		if e.raw == nil {
			images[e.key] = e.tag
		}
	}
	return images, nil
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
	if tag == "" || strings.ContainsAny(tag, " \t\r\n\"") {
		return false, fmt.Errorf("store %s: tag %q for image %q: want a non-empty tag without spaces or quotes", loc, tag, image)
	}
	clk := opts.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	attempts := opts.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	for attempt := 0; attempt < attempts; attempt++ {
		doc, sha, err := read(ctx, f, loc)
		if err != nil {
			return false, err
		}
		if !doc.set(image, tag) {
			return false, nil
		}
		out := doc.marshal()
		msg := fmt.Sprintf("dfiu: set %s to %s", image, tag)
		err = f.PutContents(ctx, loc.Owner, loc.Repo, loc.Path, loc.Branch, out, sha, msg)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, gh.ErrConflict) {
			return false, fmt.Errorf("store %s: writing %s: %w", loc, image, err)
		}
		ceiling := min(100*time.Millisecond<<attempt, 5*time.Second)
		if err := clk.Sleep(ctx, time.Duration(rand.Int64N(int64(ceiling))+1)); err != nil {
			return false, fmt.Errorf("store %s: %w", loc, err)
		}
	}
	return false, fmt.Errorf("store %s: setting %s: %d attempts lost to concurrent writers: %w", loc, image, attempts, gh.ErrConflict)
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
		return &document{}, "", nil
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

// document is the store file, in key order.
type document struct {
	top       []member // every top-level key, "images" included, in order
	hasImages bool
	images    []entry
}

type member struct {
	key string
	raw json.RawMessage
}

// entry is one member of "images". A value that is not a string is kept
// as written (raw) and is not an image; setting that key replaces it.
type entry struct {
	key, tag string
	raw      json.RawMessage
}

// parse reads the store file. Blank content is an empty store.
func parse(b []byte) (*document, error) {
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	if len(bytes.TrimSpace(b)) == 0 {
		return &document{}, nil
	}
	top, err := objectMembers(b)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	doc := &document{top: top}
	for _, m := range top {
		if m.key != "images" {
			continue
		}
		if doc.hasImages {
			return nil, errors.New(`invalid store: "images" appears twice`)
		}
		doc.hasImages = true
		if string(bytes.TrimSpace(m.raw)) == "null" {
			continue
		}
		members, err := objectMembers(m.raw)
		if err != nil {
			return nil, fmt.Errorf(`invalid store: "images": %w`, err)
		}
		for _, im := range members {
			var tag string
			if err := json.Unmarshal(im.raw, &tag); err != nil {
				doc.images = append(doc.images, entry{key: im.key, raw: im.raw})
				continue
			}
			doc.images = append(doc.images, entry{key: im.key, tag: tag})
		}
	}
	return doc, nil
}

// objectMembers splits a JSON object into its members, in order.
func objectMembers(b []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want an object, found %v", tok)
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("want a key, found %v", tok)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("value of %q: %w", key, err)
		}
		out = append(out, member{key, raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the top-level object")
	}
	return out, nil
}

// set changes or adds the entry for image; it reports whether anything
// changed.
func (d *document) set(image imageref.Name, tag string) bool {
	for i, e := range d.images {
		if sameImage(e.key, image) {
			if e.raw == nil && e.tag == tag {
				return false
			}
			d.images[i].tag, d.images[i].raw = tag, nil
			return true
		}
	}
	d.images = append(d.images, entry{key: image.String(), tag: tag})
	return true
}

// marshal writes the document: the top-level keys in their order, images
// rewritten, others re-indented as they were.
func (d *document) marshal() []byte {
	var b bytes.Buffer
	b.WriteString("{\n")
	top := d.top
	if !d.hasImages {
		top = append([]member{{key: "images"}}, top...)
	}
	for i, m := range top {
		b.WriteString("  ")
		b.Write(jsonString(m.key))
		b.WriteString(": ")
		if m.key == "images" {
			d.writeImages(&b)
		} else {
			writeIndented(&b, m.raw, "  ")
		}
		if i < len(top)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func (d *document) writeImages(b *bytes.Buffer) {
	if len(d.images) == 0 {
		b.WriteString("{}")
		return
	}
	b.WriteString("{\n")
	for i, e := range d.images {
		b.WriteString("    ")
		b.Write(jsonString(e.key))
		b.WriteString(": ")
		if e.raw != nil {
			writeIndented(b, e.raw, "    ")
		} else {
			b.Write(jsonString(e.tag))
		}
		if i < len(d.images)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("  }")
}

// writeIndented copies a raw value, indented to sit at prefix.
func writeIndented(b *bytes.Buffer, raw json.RawMessage, prefix string) {
	if err := json.Indent(b, bytes.TrimSpace(raw), prefix, "  "); err != nil {
		b.Write(bytes.TrimSpace(raw)) // cannot happen: the decoder accepted it
	}
}

func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
