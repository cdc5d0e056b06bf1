package dockerfile

// ochar is one byte of a reference after variable expansion, with where it
// came from, so that a change to the reference can be mapped back to the
// bytes of the file.
type ochar struct {
	off    int32 // offset in the file, or -1 when the byte has no single source
	region int16 // index into the scan's regions, or -1
	viaVar bool  // the byte came from a variable's value or default
	c      byte
}

func ocharsString(cs []ochar) string {
	b := make([]byte, len(cs))
	for i, c := range cs {
		b[i] = c.c
	}
	return string(b)
}

// rawChars returns the bytes of l.text[from:to], placed in the file, all in
// one region.
func rawChars(l logical, from, to int, region int16) []ochar {
	out := make([]ochar, to-from)
	for i := range out {
		out[i] = ochar{off: l.off(from + i), region: region, c: l.text[from+i]}
	}
	return out
}

// expander expands variables in one word: shell rules for Dockerfiles
// (quotes, the escape token, $V, ${V}, ${V:-w}, ${V-w}, ${V:+w}, ${V+w}),
// compose rules for compose files ($$ is a dollar; no quotes or escapes).
// Anything else sets bad, and the caller does not trust the result.
type expander struct {
	esc     byte
	compose bool
	lookup  func(name string) ([]ochar, bool)
	used    []string // every variable looked up
	unset   []string // variables with no value and no default
	bad     bool
}

func (x *expander) expand(in []ochar) []ochar {
	// Room for every byte, as most are kept; only here, as a nested default
	// sized so would make deep nesting quadratic.
	out, _ := x.until(in, 0, 0, make([]ochar, 0, len(in)))
	return out
}

// until expands in[i:] up to the byte stop (0: to the end), appending to
// out, and returns the index after it.
func (x *expander) until(in []ochar, i int, stop byte, out []ochar) ([]ochar, int) {
	for i < len(in) {
		c := in[i].c
		switch {
		case stop != 0 && c == stop:
			return out, i + 1
		case c == '$':
			var v []ochar
			v, i = x.dollar(in, i)
			out = append(out, v...)
		case x.compose:
			out = append(out, in[i])
			i++
		case c == '\'':
			i++
			for i < len(in) && in[i].c != '\'' {
				out = append(out, in[i])
				i++
			}
			if i == len(in) {
				x.bad = true
				return out, i
			}
			i++
		case c == '"':
			i++
			for i < len(in) && in[i].c != '"' {
				switch {
				case in[i].c == '$':
					var v []ochar
					v, i = x.dollar(in, i)
					out = append(out, v...)
					continue
				case in[i].c == x.esc:
					if i+1 == len(in) {
						i++
						continue
					}
					if n := in[i+1].c; n == '"' || n == '$' || n == x.esc {
						i++
					}
				}
				out = append(out, in[i])
				i++
			}
			if i == len(in) {
				x.bad = true
				return out, i
			}
			i++
		case c == x.esc:
			i++
			if i == len(in) {
				return out, i
			}
			out = append(out, in[i])
			i++
		default:
			out = append(out, in[i])
			i++
		}
	}
	if stop != 0 {
		x.bad = true
	}
	return out, i
}

func isNameByte(c byte, first bool) bool {
	switch {
	case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return true
	case c >= '0' && c <= '9':
		return !first
	}
	return false
}

// dollar expands the variable at in[i] == '$'.
func (x *expander) dollar(in []ochar, i int) ([]ochar, int) {
	start := i
	i++
	if x.compose && i < len(in) && in[i].c == '$' {
		return []ochar{{off: -1, region: -1, c: '$'}}, i + 1
	}
	if i < len(in) && in[i].c != '{' {
		j := i
		for j < len(in) && isNameByte(in[j].c, j == i) {
			j++
		}
		if j < len(in) && in[j].c >= 0x80 {
			x.bad = true // BuildKit's names may hold any Unicode letter
		}
		if j == i {
			if c := in[i].c; c >= 0x80 || (!x.compose && c >= '0' && c <= '9') || (!x.compose && isSpecialParam(c)) {
				x.bad = true
			}
			return in[start:i], i
		}
		return x.value(ocharsString(in[i:j])), j
	}
	if i == len(in) {
		return in[start:i], i
	}
	i++ // '{'
	j := i
	for j < len(in) && isNameByte(in[j].c, j == i) {
		j++
	}
	if j == i || j == len(in) || in[j].c >= 0x80 {
		x.bad = true
		return nil, len(in)
	}
	name := ocharsString(in[i:j])
	i = j
	op := in[i].c
	i++
	if op == '}' {
		return x.value(name), i
	}
	nullIsUnset := false
	if op == ':' {
		if i == len(in) {
			x.bad = true
			return nil, i
		}
		nullIsUnset = true
		op = in[i].c
		i++
	}
	if op != '-' && op != '+' {
		x.bad = true
		_, i = x.until(in, i, '}', nil)
		return nil, i
	}
	w, i := x.until(in, i, '}', nil)
	for k := range w {
		w[k].viaVar = true
	}
	x.used = append(x.used, name)
	v, set := x.lookup(name)
	if nullIsUnset && len(v) == 0 {
		set = false
	}
	if op == '-' {
		if !set {
			return w, i
		}
		return x.mark(v), i
	}
	if !set {
		return nil, i
	}
	return w, i
}

func isSpecialParam(c byte) bool {
	switch c {
	case '@', '*', '#', '?', '-', '$', '!':
		return true
	}
	return false
}

func (x *expander) value(name string) []ochar {
	x.used = append(x.used, name)
	v, set := x.lookup(name)
	if !set {
		x.unset = append(x.unset, name)
		return nil
	}
	return x.mark(v)
}

func (x *expander) mark(v []ochar) []ochar {
	out := make([]ochar, len(v))
	for k, c := range v {
		c.viaVar = true
		out[k] = c
	}
	return out
}
