// Package diff renders the difference between two versions of a file as a
// unified diff, the format `git diff` and `patch` read.
//
// Lines keep their own endings, so a CRLF file diffs as CRLF lines and a
// change of line ending shows as a changed line. A last line without a
// newline is followed by the "\ No newline at end of file" marker, as in
// GNU diff and git.
package diff

import (
	"fmt"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// Context is the number of unchanged lines shown around each change.
const Context = 3

const noNewline = "\\ No newline at end of file\n"

// Unified returns a unified diff from old to new, labelled "a/path" and
// "b/path" with Context lines of context, or "" when old and new are equal.
// path is used as written (use forward slashes and a relative path for
// output that `git apply` accepts).
func Unified(path string, old, new []byte) string {
	if string(old) == string(new) {
		return ""
	}
	a, b := splitLines(string(old)), splitLines(string(new))
	// The matcher is quadratic in repeated lines (a 400 KB file of
	// comments takes minutes), and a rewrite changes a few lines: match
	// only what lies between the common head and tail, with Context lines
	// either side, and shift the line numbers back.
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	off := max(0, head-Context)
	cut := max(0, tail-Context)
	m := difflib.NewMatcherWithJunk(a[off:len(a)-cut], b[off:len(b)-cut], false, nil)
	a, b = a[off:], b[off:]
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- a/%s\n+++ b/%s\n", path, path)
	for _, group := range m.GetGroupedOpCodes(Context) {
		first, last := group[0], group[len(group)-1]
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(off+first.I1, off+last.I2), hunkRange(off+first.J1, off+last.J2))
		for _, op := range group {
			switch op.Tag {
			case 'e':
				writeLines(&sb, ' ', a[op.I1:op.I2])
			case 'r':
				writeLines(&sb, '-', a[op.I1:op.I2])
				writeLines(&sb, '+', b[op.J1:op.J2])
			case 'd':
				writeLines(&sb, '-', a[op.I1:op.I2])
			case 'i':
				writeLines(&sb, '+', b[op.J1:op.J2])
			}
		}
	}
	return sb.String()
}

// splitLines splits s after every "\n", keeping the line endings; the last
// line has none when s does not end with a newline.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// writeLines writes each line behind prefix, adding the no-newline marker
// after a line that lacks its newline.
func writeLines(sb *strings.Builder, prefix byte, lines []string) {
	for _, l := range lines {
		sb.WriteByte(prefix)
		sb.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			sb.WriteString("\n")
			sb.WriteString(noNewline)
		}
	}
}

// hunkRange formats a half-open line range [start, stop) the way unified
// diff headers do: 1-based, the count omitted when it is 1, and an empty
// range given as the line before it.
func hunkRange(start, stop int) string {
	n := stop - start
	switch {
	case n == 1:
		return fmt.Sprintf("%d", start+1)
	case n == 0:
		return fmt.Sprintf("%d,0", start)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
