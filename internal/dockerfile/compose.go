package dockerfile

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// scanCompose parses a compose file with yaml.v3 and finds the image: value
// of every service, in the services: form and the old top-level (v1) form,
// and the references of each build.dockerfile_inline.
func scanCompose(data []byte, marker string) (*scan, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &fileError{kind: ErrMalformed, err: err}
	}
	sc := &scan{kind: KindCompose, src: newSource(data)}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return sc, nil
	}
	top := deref(doc.Content[0])
	if top.Kind != yaml.MappingNode {
		return sc, nil
	}
	services := mapValue(top, "services")
	if services == nil {
		services = top // version 1: services at the top level
	}
	services = deref(services)
	if services.Kind != yaml.MappingNode {
		return sc, nil
	}
	seen := map[*yaml.Node]bool{}
	for i := 0; i+1 < len(services.Content); i += 2 {
		svc := deref(services.Content[i+1])
		if svc.Kind != yaml.MappingNode {
			continue
		}
		if build := deref(mapValue(svc, "build")); build != nil && build.Kind == yaml.MappingNode {
			if inline := deref(mapValue(build, "dockerfile_inline")); inline != nil && inline.Kind == yaml.ScalarNode && !seen[inline] {
				seen[inline] = true
				sc.composeInline(keyOf(build, "dockerfile_inline"), inline, marker)
			}
		}
		img := mapValue(svc, "image")
		if img == nil {
			continue
		}
		key := keyOf(svc, "image")
		img = deref(img)
		if seen[img] || img.Kind != yaml.ScalarNode {
			continue
		}
		seen[img] = true
		sc.composeImage(key, img, marker)
	}
	return sc, nil
}

// deref follows an alias to its anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// mapValue returns the value of key in mapping m, following merge keys
// (<<: *anchor), or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	return mapLookup(m, key, 0)
}

func mapLookup(m *yaml.Node, key string, depth int) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode || depth > 8 {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key && k.Tag != "!!merge" {
			return m.Content[i+1]
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode || k.Tag != "!!merge" {
			continue
		}
		v := deref(m.Content[i+1])
		if v.Kind == yaml.SequenceNode {
			for _, e := range v.Content {
				if r := mapLookup(deref(e), key, depth+1); r != nil {
					return r
				}
			}
			continue
		}
		if r := mapLookup(v, key, depth+1); r != nil {
			return r
		}
	}
	return nil
}

// keyOf returns the key node of key in m itself, or nil (a merged key).
func keyOf(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return k
		}
	}
	return nil
}

// offsetOf returns the byte offset of 1-based line and column (columns count
// characters, as yaml.v3 counts them).
func (s *source) offsetOf(line, col int) int {
	b, off := s.line(line - 1)
	if b == nil && line-1 >= len(s.lines) {
		return -1
	}
	i := 0
	for c := 1; c < col; c++ {
		if i >= len(b) {
			return -1
		}
		_, w := utf8.DecodeRune(b[i:])
		i += w
	}
	return off + i
}

// composeImage records one image: value.
func (sc *scan) composeImage(key, n *yaml.Node, marker string) {
	r := sc.addRegion(region{instr: "image"})
	cand := candidate{instr: "image", line: n.Line, text: n.Value, nameFromVarSkips: true}
	if key != nil {
		cand.optOut = sc.src.optedOut(key.Line, marker)
	}
	sc.regions[r].optOut = cand.optOut
	var raw []ochar
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		cand.reason = "block scalar image values are not rewritten"
		cand.text = strings.TrimSpace(n.Value)
	default:
		off := sc.src.offsetOf(n.Line, n.Column)
		if off < 0 {
			break
		}
		off = skipProperties(sc.src.data, off)
		if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
			off++
		}
		v := []byte(n.Value)
		if off+len(v) > len(sc.src.data) || !bytes.Equal(sc.src.data[off:off+len(v)], v) {
			break
		}
		if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
			q := sc.src.data[off-1]
			if off+len(v) >= len(sc.src.data) || sc.src.data[off+len(v)] != q {
				break
			}
		}
		raw = make([]ochar, len(v))
		for i, c := range v {
			raw[i] = ochar{off: int32(off + i), region: r, c: c}
		}
	}
	if raw == nil {
		raw = opaque(cand.text)
		if cand.reason == "" {
			cand.reason = reasonNotFound
		}
	}
	if bytes.IndexByte([]byte(n.Value), '$') < 0 {
		cand.chars = raw
	} else {
		x := &expander{compose: true, lookup: func(string) ([]ochar, bool) { return nil, false }}
		cand.chars = x.expand(raw)
		cand.text = ocharsString(cand.chars)
		cand.unset = x.unset
		if x.bad && cand.reason == "" {
			cand.reason = "cannot follow the variables in " + n.Value
		}
	}
	sc.cands = append(sc.cands, cand)
}

// skipProperties skips a node's anchor (&a) and tag (!!str) before its value:
// yaml.v3 places the node where they start.
func skipProperties(data []byte, off int) int {
	for off < len(data) && (data[off] == '&' || data[off] == '!') {
		for off < len(data) && data[off] != ' ' && data[off] != '\t' && data[off] != '\n' && data[off] != '\r' {
			off++
		}
		for off < len(data) && (data[off] == ' ' || data[off] == '\t') {
			off++
		}
	}
	return off
}

// composeInline records the references of a build.dockerfile_inline, a
// Dockerfile held in a YAML scalar. They are rewritten in place when every
// byte of the value maps to one byte of the file (a literal block scalar,
// or a one-line plain or quoted scalar without escapes); otherwise they are
// reported and skipped. A Dockerfile that does not parse adds nothing: the
// build fails on it anyway.
func (sc *scan) composeInline(key, n *yaml.Node, marker string) {
	inner, err := scanDockerfile([]byte(n.Value), marker)
	if err != nil || len(inner.cands) == 0 {
		return
	}
	offs, firstLine := sc.src.scalarOffsets(n)
	optOut := key != nil && sc.src.optedOut(key.Line, marker)
	base := int16(len(sc.regions))
	first := len(sc.cands)
	for _, r := range inner.regions {
		users := make([]int, len(r.users))
		for k, u := range r.users {
			users[k] = first + u
		}
		r.users = users
		r.optOut = r.optOut || optOut
		sc.regions = append(sc.regions, r)
	}
	for _, c := range inner.cands {
		chars := make([]ochar, len(c.chars))
		for k, ch := range c.chars {
			if ch.region >= 0 {
				ch.region += base
			}
			switch {
			case ch.off < 0:
			case offs == nil || offs[ch.off] < 0:
				ch.off = -1
			default:
				ch.off = offs[ch.off]
			}
			chars[k] = ch
		}
		c.chars = chars
		c.line += firstLine - 1
		c.optOut = c.optOut || optOut
		if offs == nil && c.reason == "" {
			c.reason = "dockerfile_inline is neither a literal block (|) nor one line without escapes: it cannot be rewritten byte for byte"
		}
		sc.cands = append(sc.cands, c)
	}
}

// scalarOffsets maps each byte of a scalar's value to its offset in the
// file (-1 for the line breaks between the lines of a block), and returns
// the 1-based file line of the value's first line. The map is nil when a
// byte of the value is not one byte of the file: folded scalars, escapes,
// quoted or plain scalars over several lines, an indentation indicator.
func (s *source) scalarOffsets(n *yaml.Node) ([]int32, int) {
	off := s.offsetOf(n.Line, n.Column)
	if off < 0 {
		return nil, n.Line
	}
	off = skipProperties(s.data, off)
	v := n.Value
	switch {
	case n.Style&yaml.LiteralStyle != 0:
		return s.literalOffsets(n, off)
	case n.Style&yaml.FoldedStyle != 0:
		return nil, n.Line + 1
	case strings.ContainsAny(v, "\r\n"):
		return nil, n.Line
	case n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0:
		off++
	}
	if off+len(v) > len(s.data) || string(s.data[off:off+len(v)]) != v {
		return nil, n.Line
	}
	offs := make([]int32, len(v))
	for i := range offs {
		offs[i] = int32(off + i)
	}
	return offs, n.Line
}

// literalOffsets maps a literal block scalar whose header ("|", "|-",
// "|+") starts at off: each line of the value is a line of the file after
// the block's indentation.
func (s *source) literalOffsets(n *yaml.Node, off int) ([]int32, int) {
	header, _ := s.line(n.Line - 1)
	_, lineStart := s.line(n.Line - 1)
	h := string(header[off-lineStart:])
	if i := strings.IndexByte(h, '#'); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimRight(h, " \t")
	if h != "|" && h != "|-" && h != "|+" {
		return nil, n.Line // an indentation indicator
	}
	lines := strings.Split(n.Value, "\n")
	indent := -1
	for i := range lines {
		b, _ := s.line(n.Line + i)
		if t := bytes.TrimLeft(b, " "); len(t) > 0 {
			indent = len(b) - len(t)
			break
		}
	}
	if indent < 0 {
		return nil, n.Line + 1
	}
	offs := make([]int32, 0, len(n.Value))
	for i, l := range lines {
		if i > 0 {
			offs = append(offs, -1) // the line break
		}
		if l == "" {
			continue
		}
		b, start := s.line(n.Line + i)
		if len(b) != indent+len(l) || strings.TrimLeft(string(b[:indent]), " ") != "" || string(b[indent:]) != l {
			return nil, n.Line + 1
		}
		for k := range len(l) {
			offs = append(offs, int32(start+indent+k))
		}
	}
	return offs, n.Line + 1
}
