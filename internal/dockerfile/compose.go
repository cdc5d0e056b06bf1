package dockerfile

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// scanCompose parses a compose file with yaml.v3 and finds the image: value
// of every service, in the services: form and the old top-level (v1) form.
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
