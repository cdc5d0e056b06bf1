package dockerfile

import (
	"strconv"
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

// version is a tag read as a version: an optional "v", dot-separated
// numbers, and a suffix such as "-slim" that must match for two versions to
// be compared.
type version struct {
	prefix string
	nums   []int
	suffix string
}

// parseVersion reads tags such as "20.11.1", "3.11-slim", "v1.2" and
// "1.26.8-bookworm". It reports false for tags that are not versions
// ("latest", "bookworm", "alpine3.19").
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
		if i == 0 || i > 9 {
			return version{}, false
		}
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return version{}, false
		}
		v.nums = append(v.nums, n)
		s = s[i:]
		if len(s) > 1 && s[0] == '.' && s[1] >= '0' && s[1] <= '9' {
			s = s[1:]
			continue
		}
		break
	}
	v.suffix = s
	return v, true
}

// compareVersions returns -1, 0 or +1, and false when the tags cannot be
// compared: either is not a version, or their prefix or suffix differ.
func compareVersions(oldTag, newTag string) (int, bool) {
	a, ok := parseVersion(oldTag)
	if !ok {
		return 0, false
	}
	b, ok := parseVersion(newTag)
	if !ok || a.prefix != b.prefix || a.suffix != b.suffix {
		return 0, false
	}
	for i := 0; i < len(a.nums) || i < len(b.nums); i++ {
		x, y := -1, -1
		if i < len(a.nums) {
			x = a.nums[i]
		}
		if i < len(b.nums) {
			y = b.nums[i]
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
	}
	return 0, true
}
