// Package safe neutralises text that comes from a repository (paths, file
// contents, names, store entries) before it reaches a log line, an
// annotation or the job summary. Such text is data: it must never start a
// workflow command, move to a new log line, colour or hide the log, or
// become Markdown or HTML in the summary.
//
// Text is the one function for plain text: every character that a terminal,
// the Actions runner or a reader could take for something other than
// itself is shown as a Go escape (\n, \x1b, \u202e, \xff for a byte that is
// not UTF-8), and a line that would start a workflow command ("::" or
// "##[", after spaces) has its first character escaped. The Markdown
// functions build on it.
package safe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text returns s as one inert line of plain text.
func Text(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteByte('\t')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case hidden(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return uncommand(b.String())
}

// hidden reports whether r is a control or format character that is
// invisible or reorders text: C1 controls, line and paragraph separators,
// bidirectional overrides and isolates, zero-width characters. The BOM
// (U+FEFF) is kept: it starts many Windows files, escaping it would make
// their diffs patches that no longer apply, and it neither breaks a line
// nor reorders one.
func hidden(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f, r == 0x2028, r == 0x2029:
		return true
	case r == 0xfeff:
		return false
	}
	return unicode.Is(unicode.Cf, r)
}

// uncommand escapes the first character of a line that the Actions runner
// would read as a workflow command: "::name" (after white space, which the
// runner trims) or the older "##[name".
func uncommand(line string) string {
	trimmed := strings.TrimLeft(line, " \t")
	pad := len(line) - len(trimmed)
	switch {
	case strings.HasPrefix(trimmed, "::"):
		return line[:pad] + `\x3a` + trimmed[1:]
	case strings.HasPrefix(trimmed, "##["):
		return line[:pad] + `\x23` + trimmed[1:]
	}
	return line
}

// Lines neutralises multi-line text (a diff, say) line by line: each line
// as Text, the line breaks kept. A CR that ends a line (CRLF) is kept too;
// any other CR is escaped.
func Lines(s string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		body, nl := strings.CutSuffix(l, "\n")
		cr := ""
		if b, ok := strings.CutSuffix(body, "\r"); ok && nl {
			body, cr = b, "\r"
		}
		b.WriteString(Text(body))
		b.WriteString(cr)
		if nl {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Markdown returns s as inert Markdown text on one line that may start a
// block (a list item, say): Inline, and a backslash before a leading
// block marker (a list item, heading or setext underline).
func Markdown(s string) string {
	s = Inline(s)
	if s != "" && strings.ContainsRune("-+#=", rune(s[0])) {
		return `\` + s
	}
	if i := listMarker(s); i >= 0 {
		return s[:i] + `\` + s[i:]
	}
	return s
}

// Inline returns s as inert Markdown text inside a line (a table cell, a
// heading): Text, then a backslash before every character that can start
// inline markup (emphasis, code, links, images, HTML, entities, table
// cells, strikethrough, math, mentions), as CommonMark allows for any
// ASCII punctuation.
func Inline(s string) string {
	s = Text(s)
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(inlineMarkup, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

const inlineMarkup = "\\`*_[]<>|~&$@!"

// listMarker returns the index of the "." or ")" that makes s start an
// ordered list ("1. "), or -1.
func listMarker(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && i < len(s) && (s[i] == '.' || s[i] == ')') {
		return i
	}
	return -1
}

// Code returns s as a Markdown code span on one line, delimited by a run of
// backticks longer than any in s. In a table cell, pass the result
// through Cell.
func Code(s string) string {
	s = Text(s)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || s == "" {
		s = " " + s + " "
	}
	return fence + s + fence
}

// Cell makes inline Markdown safe inside a table cell: GitHub splits cells
// on "|" even inside code spans unless it is escaped.
func Cell(md string) string {
	return strings.ReplaceAll(md, "|", `\|`)
}

// Fence returns s (as Lines) as a fenced code block with the given info
// string, fenced with more backticks than any line of s holds, so that no
// line can close it.
func Fence(info, s string) string {
	s = Lines(s)
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + info + "\n" + s + fence + "\n"
}

func longestRun(s string, c byte) int {
	longest, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			longest = max(longest, n)
		} else {
			n = 0
		}
	}
	return longest
}
