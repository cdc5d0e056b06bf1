package store

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/dfiu/dfiu/internal/imageref"
)

// The store's digests live in their own top-level key, beside "images",
// so that the original tool, which reads only "images", is not disturbed:
//
//	{"images": {"ghcr.io/acme/base": "1.3"},
//	 "digests": {"ghcr.io/acme/base:1.3": "sha256:…"}}
//
// A key is an images key (in its spelling) and the tag it holds; parent
// mode records the digest the tag had when it recorded the tag, and drops
// the image's digests for other tags of its lineage (lineage.go): those
// of the image's other lineages stay. All mode re-pins references to the
// stored digest after a rebuild that kept its tag.
const digestsKey = "digests"

var digestRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// LoadDigests is Load that also returns the store's digests ("image:tag"
// → "sha256:…", keyed with the images key's spelling), from the same
// read. Digest values that are not sha256:<64 hex> are left out.
func LoadDigests(ctx context.Context, f Files, loc Location) (images, invalid, digests map[string]string, err error) {
	doc, _, err := read(ctx, f, loc)
	if err != nil {
		return nil, nil, nil, err
	}
	images, invalid = doc.tags()
	if digests, err = doc.digestMap(); err != nil {
		return nil, nil, nil, fmt.Errorf("store %s: %w", loc, err)
	}
	return images, invalid, digests, nil
}

// digestMap returns the valid entries of "digests".
func (d *document) digestMap() (map[string]string, error) {
	_, entries, _, err := d.digests()
	if err != nil {
		return nil, err
	}
	digests := map[string]string{}
	for _, e := range entries {
		if e.isTag && digestRE.MatchString(e.tag) {
			digests[e.key] = e.tag
		}
	}
	return digests, nil
}

// Record is Set that also records digest for image:tag, in the same write;
// an empty digest records only the tag (and keeps a digest already stored
// for image:tag). Either way the image's digests for other tags of the
// tag's lineage are dropped: they no longer describe the store's tag.
// The tag is recorded as the newest of its lineage (see SetWithOptions):
// when the store keeps a higher version, nothing is written, digest
// included. As with Set, only the
// bytes that change differ: the "digests" value is rewritten with every
// entry it keeps copied byte for byte.
func Record(ctx context.Context, f Files, loc Location, image imageref.Name, tag, digest string) (changed bool, err error) {
	return RecordWithOptions(ctx, f, loc, image, tag, digest, Options{})
}

// RecordWithOptions is Record with an injected clock and attempt bound.
func RecordWithOptions(ctx context.Context, f Files, loc Location, image imageref.Name, tag, digest string, opts Options) (changed bool, err error) {
	changed, _, err = RecordTags(ctx, f, loc, image, tag, digest, opts)
	return changed, err
}

// RecordTags is RecordWithOptions that also returns the image's tags of
// every lineage once tag is recorded (as Tags reads them), from the read
// it makes anyway.
func RecordTags(ctx context.Context, f Files, loc Location, image imageref.Name, tag, digest string, opts Options) (changed bool, tags []string, err error) {
	if !imageref.ValidTag(tag) {
		return false, nil, fmt.Errorf("store %s: tag %q for image %q is not a valid tag", loc, tag, image)
	}
	if digest != "" && !digestRE.MatchString(digest) {
		return false, nil, fmt.Errorf("store %s: digest %q for %s:%s: want sha256:<64 hex>", loc, digest, image, tag)
	}
	msg := fmt.Sprintf("dfiu: set %s to %s", image, tag)
	if digest != "" {
		msg += "@" + digest
	}
	changed, err = modify(ctx, f, loc, msg, opts, func(d *document) ([]byte, error) {
		out, after, err := d.record(image, tag)
		if err != nil {
			return nil, err
		}
		tags = after.tagsOf(image)
		if !slices.Contains(tags, tag) {
			return nil, nil // the store keeps a higher version of the lineage
		}
		withDigest, err := after.setDigest(image, tag, digest)
		if err != nil || withDigest != nil {
			return withDigest, err
		}
		return out, nil
	})
	if err != nil {
		return false, nil, err
	}
	return changed, tags, nil
}

// digests returns the "digests" member (nil when absent or null), its
// entries in order (isTag: the value is a string) and the offset of its
// closing "}".
func (d *document) digests() (*member, []entry, int, error) {
	for i, m := range d.top {
		if m.key != digestsKey {
			continue
		}
		if string(m.raw) == "null" {
			return nil, nil, 0, nil
		}
		_, members, end, err := objectMembers(m.raw, m.valueStart)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("invalid store: %q: %w", digestsKey, err)
		}
		var out []entry
		for _, im := range members {
			e := entry{member: im}
			e.isTag = im.raw[0] == '"' && json.Unmarshal(im.raw, &e.tag) == nil
			out = append(out, e)
		}
		return &d.top[i], out, end, nil
	}
	return nil, nil, 0, nil
}

// setDigest returns the document with digest recorded for image:tag under
// the images key's spelling and the image's entries for other tags
// dropped, or nil when nothing changes. image must be in "images" (set
// first). Only the value of "digests" changes (or the member is added
// after "images"); the entries it keeps are copied byte for byte.
func (d *document) setDigest(image imageref.Name, tag, digest string) ([]byte, error) {
	dm, entries, _, err := d.digests()
	if err != nil {
		return nil, err
	}
	key := image.String()
	for _, e := range d.entries {
		if sameImage(e.key, image) {
			key = e.key
			break
		}
	}
	want := key + ":" + tag
	newEntry := string(jsonString(want)) + ": " + string(jsonString(digest))
	changed, found := false, false
	var kept []string // each kept entry's bytes, "key": value
	for _, e := range entries {
		name, t, ok := splitDigestKey(e.key)
		if !ok || !sameImage(name, image) {
			kept = append(kept, string(d.src[e.keyStart:e.valueEnd]))
			continue
		}
		if t != tag && lineageID(t) != lineageID(tag) {
			kept = append(kept, string(d.src[e.keyStart:e.valueEnd])) // another lineage's
			continue
		}
		if t != tag || found {
			changed = true // another tag of the lineage, or a second spelling
			continue
		}
		found = true
		if digest != "" && (!e.isTag || e.tag != digest || e.key != want) {
			kept = append(kept, newEntry)
			changed = true
			continue
		}
		kept = append(kept, string(d.src[e.keyStart:e.valueEnd]))
	}
	if !found && digest != "" {
		kept = append(kept, newEntry)
		changed = true
	}
	if !changed {
		return nil, nil
	}
	object := func(ws string) []byte {
		if len(kept) == 0 {
			return []byte("{}")
		}
		in := inner(ws)
		return []byte("{" + in + strings.Join(kept, ","+in) + ws + "}")
	}
	if dm != nil {
		return splice(d.src, dm.valueStart, dm.valueEnd, object(indentBefore(d.src, dm.keyStart))), nil
	}
	if d.images == nil {
		return nil, fmt.Errorf("recording the digest of %s:%s: no %q in the store", image, tag, "images")
	}
	// The new member is separated as "images" is from what follows it, or
	// as "images" is indented when it is the last member.
	ws := indentBefore(d.src, d.images.keyStart)
	sep := "," + ws
	for i := range d.top {
		if &d.top[i] == d.images && i+1 < len(d.top) {
			sep = string(d.src[d.images.valueEnd:d.top[i+1].keyStart])
		}
	}
	add := append([]byte(sep+string(jsonString(digestsKey))+": "), object(ws)...)
	return splice(d.src, d.images.valueEnd, d.images.valueEnd, add), nil
}

// splitDigestKey splits "name:tag" at the tag's colon (not a port's).
func splitDigestKey(key string) (name, tag string, ok bool) {
	i := strings.LastIndex(key, ":")
	if i <= 0 || strings.Contains(key[i:], "/") {
		return "", "", false
	}
	return key[:i], key[i+1:], true
}
