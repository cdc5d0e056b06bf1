package dockerfile

import (
	"bytes"
	"sort"
	"unicode"
	"unicode/utf8"
)

// source is a file split into physical lines the way BuildKit's scanner
// splits it: on '\n', each line keeping its own ending.
type source struct {
	data  []byte
	lines []int // offset of the first byte of each line
}

func newSource(data []byte) *source {
	lines := make([]int, 1, 1+bytes.Count(data, []byte{'\n'}))
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 || i+j+1 >= len(data) {
			break
		}
		i += j + 1
		lines = append(lines, i)
	}
	return &source{data: data, lines: lines}
}

// line returns the bytes of 0-based line i without its trailing '\r' and
// '\n' bytes (BuildKit's trimNewline), and the offset where they start.
func (s *source) line(i int) ([]byte, int) {
	if i < 0 || i >= len(s.lines) {
		return nil, len(s.data)
	}
	start := s.lines[i]
	end := len(s.data)
	if i+1 < len(s.lines) {
		end = s.lines[i+1]
	}
	b := bytes.TrimRight(s.data[start:end], "\r\n")
	if i == 0 {
		if t, ok := bytes.CutPrefix(b, bom); ok {
			return t, start + len(bom)
		}
	}
	return b, start
}

// lineOf returns the 1-based line holding byte offset off.
func (s *source) lineOf(off int) int {
	return sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off })
}

var bom = []byte("\xef\xbb\xbf")

// optedOut reports whether the comment block directly above the 1-based
// line start (no blank line between) holds the opt-out marker.
func (s *source) optedOut(start int, marker string) bool {
	for i := start - 2; i >= 0; i-- {
		b, _ := s.line(i)
		b = bytes.TrimSpace(b)
		if len(b) == 0 || b[0] != '#' {
			return false
		}
		if string(bytes.TrimSpace(bytes.TrimLeft(b, "# \t"))) == marker { // trimMarker, without a copy
			return true
		}
	}
	return false
}

// logical is one instruction as BuildKit's parser joins it from physical
// lines, with the file offset of every byte. An instruction on one line is
// that line's bytes in the file, and needs no table of offsets.
type logical struct {
	text []byte
	offs []int32 // the offset of each byte of text; nil when they run from base
	base int32
}

// off returns the file offset of text[i].
func (l logical) off(i int) int32 {
	if l.offs == nil {
		return l.base + int32(i)
	}
	return l.offs[i]
}

func isSpaceByte(b byte) bool { return unicode.IsSpace(rune(b)) }

// logicalLine joins the instruction that starts on 1-based line start, the
// way parser.Parse does: the first line loses its leading white space,
// comment lines and empty lines inside a continuation are dropped, and a
// trailing escape token (plus spaces and tabs) continues the line.
func (s *source) logicalLine(start int, esc byte) logical {
	var l logical
	for i, first := start-1, true; i < len(s.lines); i, first = i+1, false {
		b, off := s.line(i)
		if first {
			t := bytes.TrimLeftFunc(b, unicode.IsSpace)
			off += len(b) - len(t)
			b = t
		} else {
			t := bytes.TrimLeftFunc(b, unicode.IsSpace)
			if len(t) == 0 || t[0] == '#' {
				continue
			}
		}
		b, cont := trimContinuation(b, esc)
		switch {
		case first:
			// Share the file's bytes until a second line joins them.
			l.text, l.base = b[:len(b):len(b)], int32(off)
		default:
			if l.offs == nil {
				text := make([]byte, len(l.text), len(l.text)+len(b))
				copy(text, l.text)
				l.offs = make([]int32, len(l.text), len(l.text)+len(b))
				for k := range l.offs {
					l.offs[k] = l.base + int32(k)
				}
				l.text = text
			}
			l.text = append(l.text, b...)
			for k := range b {
				l.offs = append(l.offs, int32(off+k))
			}
		}
		if !cont {
			break
		}
	}
	return l
}

// trimContinuation mirrors BuildKit's line continuation regexp
// `([^\\])\\[ \t]*$|^\\[ \t]*$` for escape token esc.
func trimContinuation(b []byte, esc byte) ([]byte, bool) {
	j := len(b)
	for j > 0 && (b[j-1] == ' ' || b[j-1] == '\t') {
		j--
	}
	if j == 0 || b[j-1] != esc {
		return b, false
	}
	if j == 1 {
		return b[:0], true
	}
	if b[j-2] == esc {
		return b, false
	}
	return b[:j-1], true
}

// word is a run of bytes of a logical line, with the logical index of each
// byte (its raw form may hold quotes or escapes that are not in text).
type word struct {
	text []byte
	pos  []int
}

// split finds the command, the builder flags (as extractBuilderFlags parses
// them) and the start and end of the remaining arguments in l.
func (l logical) split(esc byte) (cmd []byte, flags []word, rest, end int) {
	t := l.text
	a, end := 0, len(t)
	for a < end && isSpaceByte(t[a]) {
		a++
	}
	for end > a && isSpaceByte(t[end-1]) {
		end--
	}
	c := a
	for c < end && !isReSpace(t[c]) {
		c++
	}
	cmd = t[a:c]
	for c < end && isReSpace(t[c]) {
		c++
	}
	flags, rest = extractFlags(t, c, end, esc)
	for rest < end && isSpaceByte(t[rest]) {
		rest++
	}
	return cmd, flags, rest, end
}

// isReSpace matches BuildKit's reWhitespace class [\t\v\f\r ].
func isReSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\v' || b == '\f' || b == '\r'
}

// extractFlags mirrors parser.extractBuilderFlags on t[from:to], keeping the
// logical position of every byte of each flag.
func extractFlags(t []byte, from, to int, esc byte) ([]word, int) {
	const (
		inSpaces = iota
		inWord
		inQuote
	)
	var words []word
	var cur word
	phase := inSpaces
	var quote byte
	blankOK := false
	for pos := from; pos <= to; pos++ {
		var ch byte
		if pos != to {
			ch = t[pos]
		}
		if phase == inSpaces {
			if pos == to {
				break
			}
			if isSpaceByte(ch) {
				continue
			}
			if ch != '-' || pos+1 == to || t[pos+1] != '-' {
				return words, pos
			}
			phase = inWord
		}
		if pos == to {
			if string(cur.text) != "--" && (blankOK || len(cur.text) > 0) {
				words = append(words, cur)
			}
			break
		}
		if phase == inWord {
			if isSpaceByte(ch) {
				phase = inSpaces
				if string(cur.text) == "--" {
					return words, pos
				}
				if blankOK || len(cur.text) > 0 {
					words = append(words, cur)
				}
				cur = word{}
				blankOK = false
				continue
			}
			if ch == '\'' || ch == '"' {
				quote = ch
				blankOK = true
				phase = inQuote
				continue
			}
			if ch == esc {
				if pos+1 == to {
					continue
				}
				pos++
				ch = t[pos]
			}
			cur.text = append(cur.text, ch)
			cur.pos = append(cur.pos, pos)
			continue
		}
		// inQuote
		if ch == quote {
			phase = inWord
			continue
		}
		if ch == esc {
			if pos+1 == to {
				phase = inWord
				continue
			}
			pos++
			ch = t[pos]
		}
		cur.text = append(cur.text, ch)
		cur.pos = append(cur.pos, pos)
	}
	return words, to
}

// firstField returns the first field of t[from:to] split on BuildKit's
// reWhitespace, as FROM's arguments are split, and false when there is none.
func firstField(t []byte, from, to int) (int, int, bool) {
	i := from
	for i < to && isReSpace(t[i]) {
		i++
	}
	j := i
	for j < to && !isReSpace(t[j]) {
		j++
	}
	return i, j, j > i
}

// parseWords mirrors parser.parseWords (used by ARG): words split on white
// space outside quotes, raw, quotes and escapes kept.
func parseWords(t []byte, from, to int, esc byte) [][2]int {
	var out [][2]int
	start := -1
	var quote rune
	inQuote := false
	for pos := from; pos < to; {
		ch, w := utf8.DecodeRune(t[pos:to])
		switch {
		case start < 0:
			if unicode.IsSpace(ch) {
				pos += w
				continue
			}
			start = pos
			continue
		case inQuote:
			if ch == quote {
				inQuote = false
			} else if ch == rune(esc) && quote != '\'' && pos+w < to {
				pos += w
				_, w = utf8.DecodeRune(t[pos:to])
			}
		default:
			if unicode.IsSpace(ch) {
				out = append(out, [2]int{start, pos})
				start = -1
				pos += w
				continue
			}
			if ch == '\'' || ch == '"' {
				quote, inQuote = ch, true
			} else if ch == rune(esc) && pos+w < to {
				pos += w
				_, w = utf8.DecodeRune(t[pos:to])
			}
		}
		pos += w
	}
	if start >= 0 {
		out = append(out, [2]int{start, to})
	}
	return out
}
