package dockerfile

import (
	"fmt"
	"regexp"
	"strings"
)

// refParts splits a reference as written into its name, tag and digest. The
// tag is what follows the last ':' after the last '/' (so a registry port is
// part of the name); the digest is what follows '@'. Offsets index s.
type refParts struct {
	nameEnd  int // end of the name
	tagStart int // index of the tag's first byte, or -1
	tagEnd   int
	digStart int // index of the digest's first byte (after '@'), or -1
}

func splitRef(s string) refParts {
	p := refParts{nameEnd: len(s), tagStart: -1, tagEnd: -1, digStart: -1}
	head := s
	if at := strings.IndexByte(s, '@'); at >= 0 {
		p.digStart = at + 1
		head = s[:at]
	}
	p.nameEnd = len(head)
	slash := strings.LastIndexByte(head, '/')
	if colon := strings.LastIndexByte(head, ':'); colon > slash {
		p.nameEnd = colon
		p.tagStart = colon + 1
		p.tagEnd = len(head)
	}
	return p
}

func (p refParts) tag(s string) string {
	if p.tagStart < 0 {
		return ""
	}
	return s[p.tagStart:p.tagEnd]
}

func (p refParts) digest(s string) string {
	if p.digStart < 0 {
		return ""
	}
	return s[p.digStart:]
}

// FloatingTags says what happens to a reference with a floating tag (no
// tag, latest, or a channel name such as lts or stable).
type FloatingTags string

const (
	// FloatingSkip leaves every floating tag alone (the default; "" means
	// the same).
	FloatingSkip FloatingTags = "skip"
	// FloatingPin replaces a missing tag and latest (only those) with the
	// new tag; channel names are still left alone.
	FloatingPin FloatingTags = "pin"
)

// ParseFloatingTags reads the value of the floating-tags input or flag:
// "skip" or "pin". The error names the value.
func ParseFloatingTags(s string) (FloatingTags, error) {
	switch FloatingTags(s) {
	case FloatingSkip, FloatingPin:
		return FloatingTags(s), nil
	}
	return "", fmt.Errorf("floating tags %q: must be %q or %q", s, FloatingSkip, FloatingPin)
}

// validatePolicy checks the options of the tag policy.
func (o Options) validatePolicy() error {
	if o.FloatingTags == "" {
		return nil
	}
	_, err := ParseFloatingTags(string(o.FloatingTags))
	return err
}

// channels are the tags that name a moving channel rather than a build;
// with latest and no tag at all they are the floating tags.
var channels = map[string]bool{
	"latest": true, "stable": true, "edge": true, "lts": true, "nightly": true, "beta": true, "alpha": true,
	"dev": true, "main": true, "master": true, "mainline": true, "current": true, "rolling": true,
}

// isFloating reports whether tag names no fixed build: no tag, latest or a
// channel name.
func isFloating(tag string) bool {
	return tag == "" || channels[strings.ToLower(tag)]
}

// version is a tag read as a version: an optional "v", one to four
// dot-separated numbers, and optionally "-" and a variant ("20",
// "v1.4.0", "3.11-slim-bookworm", "20.1-alpine3.19").
type version struct {
	prefix  string   // "v" or ""
	nums    []string // the numbers, without leading zeros ("0" for zero)
	variant string   // what follows the "-", or ""
}

// parseVersion reads tag as a version, and reports false for any other tag
// ("latest", "bookworm", "alpine3.19", "8c9d0e1", "1.2.3.4.5", "3.11rc1").
func parseVersion(tag string) (version, bool) {
	var v version
	s := tag
	if strings.HasPrefix(s, "v") {
		v.prefix, s = "v", s[1:]
	}
	for {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || len(v.nums) == 4 {
			return version{}, false
		}
		n := strings.TrimLeft(s[:i], "0")
		if n == "" {
			n = "0"
		}
		v.nums = append(v.nums, n)
		s = s[i:]
		if len(s) > 0 && s[0] == '.' {
			s = s[1:]
			continue
		}
		break
	}
	switch {
	case s == "":
	case len(s) > 1 && s[0] == '-':
		v.variant = s[1:]
	default:
		return version{}, false
	}
	return v, true
}

// compareNums compares two versions' numbers part by part, a missing part
// counting as 0, numbers of any length numerically; it returns -1, 0 or +1.
func compareNums(a, b []string) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		x, y := "0", "0"
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if len(x) != len(y) {
			if len(x) < len(y) {
				return -1
			}
			return 1
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// compareVersions returns -1, 0 or +1, and false when the tags cannot be
// compared: either is not a version, or their prefix or variant differ.
func compareVersions(oldTag, newTag string) (int, bool) {
	a, ok := parseVersion(oldTag)
	if !ok {
		return 0, false
	}
	b, ok := parseVersion(newTag)
	if !ok || a.prefix != b.prefix || a.variant != b.variant {
		return 0, false
	}
	return compareNums(a.nums, b.nums), true
}

// policy is the tag policy of one run: which current tags may move to the
// new tag.
type policy struct {
	tag            string
	newVer         version
	newIsVer       bool
	filter         *regexp.Regexp
	pin            bool
	allowDowngrade bool
}

func newPolicy(o Options) policy {
	p := policy{tag: o.Tag, filter: o.TagFilter, pin: o.FloatingTags == FloatingPin, allowDowngrade: o.AllowDowngrade}
	p.newVer, p.newIsVer = parseVersion(o.Tag)
	return p
}

// skip returns why a reference whose current tag is old must not move to
// the new tag, or "" when it may. A tag equal to the new one is always
// eligible (the reference is current, or re-pinned to a new digest), but
// for the tag filter.
func (p policy) skip(old string) string {
	_, reason := p.check(old)
	return reason
}

// check is skip with the reason's class.
func (p policy) check(old string) (Skip, string) {
	if p.filter != nil && !p.filter.MatchString(old) {
		return SkipFilter, fmt.Sprintf("tag %q does not match the tag filter %q", old, p.filter.String())
	}
	if old == p.tag {
		return SkipNone, ""
	}
	if isFloating(old) {
		if p.pin && (old == "" || old == "latest") {
			return SkipNone, ""
		}
		return SkipFloating, "floating tag"
	}
	ov, oldIsVer := parseVersion(old)
	if p.filter == nil {
		if r := p.kindSkip(old, ov, oldIsVer); r != "" {
			return SkipVariant, r
		}
	}
	if !oldIsVer || !p.newIsVer || ov.prefix != p.newVer.prefix {
		return SkipNone, ""
	}
	// With a tag filter the variants may differ: the numbers still say
	// whether the move is a downgrade.
	switch c := compareNums(ov.nums, p.newVer.nums); {
	case c > 0 && !p.allowDowngrade:
		return SkipDowngrade, fmt.Sprintf("would downgrade %s to %s", old, p.tag)
	case c == 0 && ov.variant == p.newVer.variant:
		return SkipSameVersion, fmt.Sprintf("%s is the same version as the new tag %s", old, p.tag)
	}
	return SkipNone, ""
}

// kindSkip applies rules 1, 2 and 4 of the policy: a version moves only to
// a version of the same variant and prefix, a build id only to a build id.
func (p policy) kindSkip(old string, ov version, oldIsVer bool) string {
	switch {
	case oldIsVer != p.newIsVer:
		if oldIsVer {
			return fmt.Sprintf("tag kinds differ: %s is a version, the new tag %s is not", old, p.tag)
		}
		return fmt.Sprintf("tag kinds differ: %s is not a version, the new tag %s is", old, p.tag)
	case !oldIsVer:
		return ""
	case ov.variant != p.newVer.variant:
		if ov.variant == "" {
			return fmt.Sprintf("no variant, unlike the new tag's %s", p.newVer.variant)
		}
		return fmt.Sprintf("variant %s differs from the new tag's", ov.variant)
	case ov.prefix != p.newVer.prefix:
		if ov.prefix == "" {
			return "no v prefix, unlike the new tag"
		}
		return "v prefix, unlike the new tag"
	}
	return ""
}

// Lineage is the line of tags a tag belongs to under the tag policy: a
// reference moves only to a tag of its own lineage (rules 1, 2 and 4).
// Versions are one lineage per v prefix and variant ("22" and "20.1" are
// one, "22-alpine" another, "v1.4.0" a third); build ids and codenames
// share the lineage whose Version and Floating are false; floating tags
// (no tag, latest, channel names) are the lineage whose Floating is true,
// which nothing moves to or from by default.
type Lineage struct {
	Floating bool   // no tag, latest or a channel name
	Version  bool   // the tag is a version
	Prefix   string // "v" or ""
	Variant  string // what follows the version's "-", or ""
}

// LineageOf returns the lineage of tag, read as the policy reads it.
func LineageOf(tag string) Lineage {
	if isFloating(tag) {
		return Lineage{Floating: true}
	}
	v, ok := parseVersion(tag)
	if !ok {
		return Lineage{}
	}
	return Lineage{Version: true, Prefix: v.prefix, Variant: v.variant}
}

// CompareTags compares two tags of one version lineage as the policy does:
// number by number, a missing part counting as 0. It returns -1, 0 or +1,
// and false when either tag is not a version or their lineages differ.
func CompareTags(a, b string) (int, bool) { return compareVersions(a, b) }
