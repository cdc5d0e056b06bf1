package diff

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnified(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{name: "equal", old: "FROM ubuntu:20.04\n", new: "FROM ubuntu:20.04\n", want: ""},
		{name: "both empty", old: "", new: "", want: ""},
		{
			name: "one line",
			old:  "FROM ubuntu:20.04\n",
			new:  "FROM ubuntu:24.04\n",
			want: "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1 +1 @@\n-FROM ubuntu:20.04\n+FROM ubuntu:24.04\n",
		},
		{
			name: "context and two hunks, missing final newline",
			old:  "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n",
			new:  "a\nB\nc\nd\ne\nf\ng\nh\ni\nJ",
			want: "--- a/Dockerfile\n+++ b/Dockerfile\n" +
				"@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n" +
				"@@ -7,4 +7,4 @@\n g\n h\n i\n-j\n+J\n\\ No newline at end of file\n",
		},
		{
			name: "both lack final newline",
			old:  "FROM a\nFROM b:1",
			new:  "FROM a\nFROM b:2",
			want: "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n FROM a\n" +
				"-FROM b:1\n\\ No newline at end of file\n+FROM b:2\n\\ No newline at end of file\n",
		},
		{
			name: "unchanged last line without newline in context",
			old:  "FROM b:1\nRUN x",
			new:  "FROM b:2\nRUN x",
			want: "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n-FROM b:1\n+FROM b:2\n RUN x\n\\ No newline at end of file\n",
		},
		{
			name: "crlf lines keep their endings",
			old:  "x\r\ny\r\n",
			new:  "x\r\nz\r\n",
			want: "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n x\r\n-y\r\n+z\r\n",
		},
		{
			name: "line ending change is a change",
			old:  "x\r\n",
			new:  "x\n",
			want: "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1 +1 @@\n-x\r\n+x\n",
		},
		{
			name: "from empty",
			old:  "",
			new:  "one\n",
			want: "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -0,0 +1 @@\n+one\n",
		},
		{
			name: "to empty",
			old:  "one\n",
			new:  "",
			want: "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1 +0,0 @@\n-one\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Unified("Dockerfile", []byte(tt.old), []byte(tt.new))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Unified(%q, %q) mismatch (-want +got):\n%s", tt.old, tt.new, diff)
			}
		})
	}
}

func TestUnifiedLabels(t *testing.T) {
	t.Parallel()
	got := Unified("sub/dir/compose.yaml", []byte("a\n"), []byte("b\n"))
	if !strings.HasPrefix(got, "--- a/sub/dir/compose.yaml\n+++ b/sub/dir/compose.yaml\n") {
		t.Errorf("Unified labels: got header %q, want a/ and b/ prefixed path", got)
	}
}

// TestUnifiedApplies checks on random edits that applying the diff to old
// gives new exactly, and that the hunk headers count the lines they hold.
func TestUnifiedApplies(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewSource(1))
	for i := range 500 {
		old := randomText(rng)
		new := mutate(rng, old)
		d := Unified("f", []byte(old), []byte(new))
		if (d == "") != (old == new) {
			t.Fatalf("case %d: Unified(%q, %q) = %q: empty iff equal violated", i, old, new, d)
		}
		got, err := apply(old, d)
		if err != nil {
			t.Fatalf("case %d: applying diff of %q -> %q: %v\n%s", i, old, new, err, d)
		}
		if got != new {
			t.Fatalf("case %d: applying diff of %q gave %q, want %q\n%s", i, old, got, new, d)
		}
	}
}

func randomText(rng *rand.Rand) string {
	var sb strings.Builder
	eol := []string{"\n", "\r\n"}[rng.Intn(2)]
	n := rng.Intn(25)
	for i := range n {
		fmt.Fprintf(&sb, "line %d", rng.Intn(8))
		if i < n-1 || rng.Intn(3) > 0 {
			sb.WriteString(eol)
		}
	}
	return sb.String()
}

func mutate(rng *rand.Rand, s string) string {
	lines := splitLines(s)
	for range rng.Intn(4) {
		switch k := rng.Intn(4); {
		case k == 0 && len(lines) > 0:
			i := rng.Intn(len(lines))
			lines = append(lines[:i:i], lines[i+1:]...)
		case k == 1:
			i := rng.Intn(len(lines) + 1)
			lines = append(lines[:i:i], append([]string{"new " + strconv.Itoa(rng.Intn(9)) + "\n"}, lines[i:]...)...)
		case k == 2 && len(lines) > 0:
			lines[rng.Intn(len(lines))] = "changed\n"
		case k == 3 && len(lines) > 0:
			last := len(lines) - 1
			lines[last] = strings.TrimSuffix(lines[last], "\n")
		}
	}
	return strings.Join(lines, "")
}

// apply is a minimal patch(1) for a single-file unified diff, strict about
// hunk positions and line counts.
func apply(old, d string) (string, error) {
	if d == "" {
		return old, nil
	}
	src := splitLines(old)
	dl := splitLines(d)
	if len(dl) < 2 || dl[0] != "--- a/f\n" || dl[1] != "+++ b/f\n" {
		return "", fmt.Errorf("bad header %q", dl[:min(2, len(dl))])
	}
	var out []string
	pos := 0 // next unread line of src
	var last *string
	for i := 2; i < len(dl); {
		var os, oc, ns, nc int
		if _, err := fmt.Sscanf(normRange(dl[i]), "@@ -%d,%d +%d,%d @@\n", &os, &oc, &ns, &nc); err != nil {
			return "", fmt.Errorf("bad hunk header %q: %w", dl[i], err)
		}
		i++
		start := os - 1
		if oc == 0 {
			start = os
		}
		if start < pos {
			return "", fmt.Errorf("hunk at %d overlaps", os)
		}
		out = append(out, src[pos:start]...)
		pos = start
		gotOld, gotNew := 0, 0
		for i < len(dl) && !strings.HasPrefix(dl[i], "@@") {
			l := dl[i]
			i++
			if l == noNewline {
				if last == nil {
					return "", fmt.Errorf("stray no-newline marker")
				}
				*last = strings.TrimSuffix(*last, "\n")
				continue
			}
			body := l[1:]
			switch l[0] {
			case ' ', '-':
				if pos >= len(src) {
					return "", fmt.Errorf("hunk runs past end of file")
				}
				want := src[pos]
				got := body
				if i < len(dl) && dl[i] == noNewline {
					got = strings.TrimSuffix(got, "\n")
				}
				if got != want {
					return "", fmt.Errorf("context mismatch at line %d: %q vs %q", pos+1, got, want)
				}
				pos++
				gotOld++
				if l[0] == ' ' {
					out = append(out, want)
					gotNew++
					last = &out[len(out)-1]
				} else {
					last = new(string)
				}
			case '+':
				out = append(out, body)
				gotNew++
				last = &out[len(out)-1]
			default:
				return "", fmt.Errorf("bad line %q", l)
			}
		}
		if gotOld != oc || gotNew != nc {
			return "", fmt.Errorf("hunk counts -%d +%d, header says -%d +%d", gotOld, gotNew, oc, nc)
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, ""), nil
}

// normRange rewrites "@@ -3 +4 @@" into "@@ -3,1 +4,1 @@" so that one
// Sscanf format reads both forms.
func normRange(h string) string {
	f := strings.Fields(h)
	if len(f) != 4 {
		return h
	}
	for _, i := range []int{1, 2} {
		if !strings.Contains(f[i], ",") {
			f[i] += ",1"
		}
	}
	return strings.Join(f, " ") + "\n"
}

// TestLongRepetitiveFile: the hunk of a one-line change deep in a file of
// identical lines keeps its line numbers (only the middle is matched).
func TestLongRepetitiveFile(t *testing.T) {
	t.Parallel()
	old := strings.Repeat("# same\n", 9999) + "FROM a:1\n" + strings.Repeat("# same\n", 9999)
	new := strings.Replace(old, "FROM a:1", "FROM a:2", 1)
	want := "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -9997,7 +9997,7 @@\n" +
		strings.Repeat(" # same\n", 3) + "-FROM a:1\n+FROM a:2\n" + strings.Repeat(" # same\n", 3)
	if got := Unified("Dockerfile", []byte(old), []byte(new)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// An insertion at the very start and a deletion at the very end.
	if got := Unified("f", []byte("b\nc\n"), []byte("a\nb\nc\n")); got != "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n+a\n b\n c\n" {
		t.Errorf("insertion at the start: %q", got)
	}
}
