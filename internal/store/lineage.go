package store

// Lineages. An image often has several lines of tags (node 22, 22-alpine,
// 22-slim), and a reference only ever moves within its own (package
// dockerfile's tag policy). The store keeps the newest tag of each:
//
//	{
//	  "images": {"node": "22"},
//	  "lineages": {"node": {"alpine": "22-alpine", "v:": "v1.4.0"}}
//	}
//
// "images" holds one tag per image, exactly as
// salesforce/dockerfile-image-update reads and writes it: the plain
// lineage (a version with neither variant nor v prefix), or a build id
// when the image has no plain version. Every other lineage is under
// "lineages", by image (spelled as in "images") and lineage id: the
// variant ("alpine", "slim-bookworm"), "v:" and the variant for versions
// with a v prefix ("v:", "v:alpine"), "build:" for build ids while a plain
// version holds "images". A tag cannot contain ':', so an id never
// collides with a variant. The original tool reads only "images" and
// writes the whole document back with the other top-level keys, so each
// tool reads the other's store. An update splices only the bytes it
// changes, as set does for "images".

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/imageref"
)

// lineagesKey is the top-level key of the lineages other than the one in
// "images".
const lineagesKey = "lineages"

// buildLineage is the lineage id of build ids (tags that are not
// versions) kept under "lineages".
const buildLineage = "build:"

// lineageID returns the id of tag's lineage: "" for the plain lineage,
// the variant, "v:" and the variant, or buildLineage.
func lineageID(tag string) string {
	l := dockerfile.LineageOf(tag)
	switch {
	case !l.Version:
		return buildLineage
	case l.Prefix != "":
		return l.Prefix + ":" + l.Variant
	}
	return l.Variant
}

// object is a JSON object in the file: its members, the offsets of its
// braces, and the white space before the key holding it ("\n" at the top
// level), which lays out a member added to it when it is empty.
type object struct {
	members     []member
	open, close int
	ws          string
}

// lineageItem is one image's member of "lineages"; obj is its value when
// it is an object, entries that object's members (lineage id → tag).
type lineageItem struct {
	member
	obj     *object
	entries []entry
}

// Tags returns every image's tags, one per lineage: the tag in "images"
// first, then those under "lineages" in file order, keyed as in "images";
// and, as Load does, the entries that are not tags, each with why. When a
// lineage appears twice (a tag the original tool wrote in "images" beside
// ours), the higher version wins, and for build ids the one in "images".
// The digests are LoadDigests'. A missing file is an empty store.
func Tags(ctx context.Context, f Files, loc Location) (tags map[string][]string, invalid, digests map[string]string, err error) {
	doc, _, err := read(ctx, f, loc)
	if err != nil {
		return nil, nil, nil, err
	}
	tags, invalid = doc.lineageTags()
	if digests, err = doc.digestMap(); err != nil {
		return nil, nil, nil, fmt.Errorf("store %s: %w", loc, err)
	}
	return tags, invalid, digests, nil
}

func (d *document) lineageTags() (tags map[string][]string, invalid map[string]string) {
	tags, invalid = map[string][]string{}, map[string]string{}
	for _, e := range d.entries {
		if e.isTag {
			tags[e.key] = append(tags[e.key], e.tag)
		} else {
			invalid[e.key] = "its value is " + kind(e.raw) + ", not a tag"
		}
	}
	if d.lineages != nil && d.lineagesObj == nil && string(d.lineages.raw) != "null" {
		invalid[lineagesKey] = "its value is " + kind(d.lineages.raw) + ", not an object of images"
	}
	for _, li := range d.lineageItems {
		if li.obj == nil {
			invalid[li.key+" ("+lineagesKey+")"] = "its value is " + kind(li.raw) + ", not an object of tags"
			continue
		}
		key := li.key
		if name, err := imageref.Parse(key); err == nil {
			if e := d.imageEntry(name); e != nil {
				key = e.key
			}
		}
		for _, e := range li.entries {
			if !e.isTag {
				invalid[fmt.Sprintf("%s (lineage %q)", li.key, e.key)] = "its value is " + kind(e.raw) + ", not a tag"
				continue
			}
			tags[key] = withTag(tags[key], e.tag)
		}
	}
	return tags, invalid
}

// tagsOf returns image's tags of every lineage, as tags does.
func (d *document) tagsOf(image imageref.Name) []string {
	var out []string
	all, _ := d.lineageTags()
	for _, key := range slices.Sorted(maps.Keys(all)) {
		if sameImage(key, image) {
			for _, t := range all[key] {
				out = withTag(out, t)
			}
		}
	}
	return out
}

// withTag adds tag to tags, replacing a tag of its lineage that is a lower
// version.
func withTag(tags []string, tag string) []string {
	id := lineageID(tag)
	for i, t := range tags {
		if lineageID(t) == id {
			if c, ok := dockerfile.CompareTags(t, tag); ok && c < 0 {
				tags[i] = tag
			}
			return tags
		}
	}
	return append(tags, tag)
}

// parseLineages reads the top-level "lineages" member, if any, with the
// offsets setLineage splices at.
func (d *document) parseLineages() error {
	for i, m := range d.top {
		if m.key != lineagesKey {
			continue
		}
		if d.lineages != nil {
			return fmt.Errorf("invalid store: %q appears twice", lineagesKey)
		}
		d.lineages = &d.top[i]
		if m.raw[0] != '{' {
			continue
		}
		open, items, close, err := objectMembers(m.raw, m.valueStart)
		if err != nil {
			return fmt.Errorf("invalid store: %q: %w", lineagesKey, err)
		}
		d.lineagesObj = &object{members: items, open: open, close: close, ws: indentBefore(d.src, m.keyStart)}
		for _, it := range items {
			li := lineageItem{member: it}
			if it.raw[0] == '{' {
				open, ids, close, err := objectMembers(it.raw, it.valueStart)
				if err != nil {
					return fmt.Errorf("invalid store: %q: %q: %w", lineagesKey, it.key, err)
				}
				li.obj = &object{members: ids, open: open, close: close, ws: indentBefore(d.src, it.keyStart)}
				for _, id := range ids {
					li.entries = append(li.entries, tagEntry(id))
				}
			}
			d.lineageItems = append(d.lineageItems, li)
		}
	}
	return nil
}

// imageEntry returns image's entry in "images" when it holds a tag.
func (d *document) imageEntry(image imageref.Name) *entry {
	for i, e := range d.entries {
		if e.isTag && sameImage(e.key, image) {
			return &d.entries[i]
		}
	}
	return nil
}

func (d *document) lineageItem(image imageref.Name) *lineageItem {
	for i, li := range d.lineageItems {
		if sameImage(li.key, image) {
			return &d.lineageItems[i]
		}
	}
	return nil
}

// newest returns the highest tag the store holds for image's lineage id,
// in "images" or under "lineages".
func (d *document) newest(image imageref.Name, id string) (string, bool) {
	var tags []string
	if e := d.imageEntry(image); e != nil && lineageID(e.tag) == id {
		tags = append(tags, e.tag)
	}
	if li := d.lineageItem(image); li != nil {
		for _, e := range li.entries {
			if e.isTag && e.key == id {
				tags = withTag(tags, e.tag)
			}
		}
	}
	if len(tags) == 0 {
		return "", false
	}
	return tags[0], true
}

// record returns the file with tag recorded as the newest of its lineage
// for image, and the file read again; nil when nothing changes (the store
// has tag, or a higher version of its lineage). The plain lineage, and
// the lineage "images" already holds, go to "images"; a plain version
// taking "images" from another lineage moves that tag under "lineages";
// every other lineage goes under "lineages".
func (d *document) record(image imageref.Name, tag string) (out []byte, after *document, err error) {
	id := lineageID(tag)
	if cur, ok := d.newest(image, id); ok {
		if c, ok := dockerfile.CompareTags(cur, tag); ok && c > 0 {
			return nil, d, nil
		}
	}
	slot := d.imageEntry(image)
	switch {
	case slot != nil && lineageID(slot.tag) == id, slot == nil && (id == "" || id == buildLineage):
		out = d.set(image, tag)
	case slot != nil && id == "":
		doc, moved := d, slot.tag
		if cur, _ := d.newest(image, lineageID(moved)); cur == moved {
			if doc, err = reparse(d.setLineage(image, lineageID(moved), moved)); err != nil {
				return nil, nil, err
			}
		}
		out = doc.set(image, tag)
	case d.blank:
		doc, err := reparse([]byte("{\n  \"images\": {}\n}\n"))
		if err != nil {
			return nil, nil, err
		}
		out = doc.setLineage(image, id, tag)
	default:
		out = d.setLineage(image, id, tag)
	}
	if out == nil {
		return nil, d, nil
	}
	after, err = reparse(out)
	return out, after, err
}

// reparse reads a file an update made; failing is a bug of the update.
func reparse(b []byte) (*document, error) {
	doc, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("an update made the store invalid (a bug in dfiu; nothing was written): %w", err)
	}
	return doc, nil
}

// setLineage returns the file with image's lineage id under "lineages"
// set to tag, or added in the layout of its neighbours (with "lineages"
// itself, or the image's object, when missing); nil when it holds tag.
// Only the bytes of the changed value, or of the added member, change.
func (d *document) setLineage(image imageref.Name, id, tag string) []byte {
	value := jsonString(tag)
	if li := d.lineageItem(image); li != nil {
		if li.obj == nil {
			return splice(d.src, li.valueStart, li.valueEnd, nested(indentBefore(d.src, li.keyStart), []string{id}, value))
		}
		for _, e := range li.entries {
			if e.key == id {
				if e.isTag && e.tag == tag {
					return nil
				}
				return splice(d.src, e.valueStart, e.valueEnd, value)
			}
		}
		return addMember(d.src, *li.obj, id, func(string) []byte { return value })
	}
	key := image.String()
	if e := d.imageEntry(image); e != nil {
		key = e.key
	}
	switch {
	case d.lineagesObj != nil:
		return addMember(d.src, *d.lineagesObj, key, func(ws string) []byte { return nested(ws, []string{id}, value) })
	case d.lineages != nil:
		ws := indentBefore(d.src, d.lineages.keyStart)
		return splice(d.src, d.lineages.valueStart, d.lineages.valueEnd, nested(ws, []string{key, id}, value))
	}
	top := object{members: d.top, open: d.open, close: d.close, ws: "\n"}
	return addMember(d.src, top, lineagesKey, func(ws string) []byte { return nested(ws, []string{key, id}, value) })
}

// addMember returns src with "key": value added to obj: after its last
// member, in that member's layout, or alone in it, one level inside ws.
// value is given the white space before the new key.
func addMember(src []byte, obj object, key string, value func(ws string) []byte) []byte {
	if n := len(obj.members); n > 0 {
		last := obj.members[n-1]
		ws := indentBefore(src, last.keyStart)
		ins := append([]byte(","+ws), jsonString(key)...)
		ins = append(append(ins, src[last.keyEnd:last.valueStart]...), value(ws)...)
		return splice(src, last.valueEnd, last.valueEnd, ins)
	}
	ws := inner(obj.ws)
	ins := append(append([]byte(ws), jsonString(key)...), ": "...)
	ins = append(append(ins, value(ws)...), obj.ws...)
	return splice(src, obj.open+1, obj.close, ins)
}

// nested returns the object {"k1": {"k2": ... value}} of keys, laid out
// one level inside ws at each level.
func nested(ws string, keys []string, value []byte) []byte {
	if len(keys) == 0 {
		return value
	}
	in := inner(ws)
	b := append([]byte("{"+in), jsonString(keys[0])...)
	b = append(append(b, ": "...), nested(in, keys[1:], value)...)
	return append(b, ws+"}"...)
}
