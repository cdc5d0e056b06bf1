package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/dfiu/dfiu/internal/testshared"
)

type corpusFile struct {
	name     string
	kind     Kind
	data     []byte
	negative bool
}

func loadCorpus(tb testing.TB) []corpusFile {
	tb.Helper()
	dir := testshared.Require(tb, "corpus")
	var files []corpusFile
	for sub, kind := range map[string]Kind{"dockerfiles": KindDockerfile, "compose": KindCompose} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			tb.Fatalf("reading corpus: %v", err)
		}
		for _, e := range entries {
			if e.IsDir() || strings.HasSuffix(e.Name(), "__result") {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, sub, e.Name()))
			if err != nil {
				tb.Fatalf("reading corpus: %v", err)
			}
			files = append(files, corpusFile{name: sub + "/" + e.Name(), kind: kind, data: data, negative: strings.Contains(e.Name(), "testfiles-negative")})
		}
	}
	if len(files) == 0 {
		tb.Fatalf("corpus %s holds no files", dir)
	}
	return files
}

const freshTag = "dfiu-prop-7"

// checkOnlyRefsChanged fails unless got is exactly in with the tag of each
// changed reference in refs replaced by freshTag, on the reference's line
// and nowhere else (see expectedRewrite).
func checkOnlyRefsChanged(t *testing.T, in, got []byte, refs []Ref, newTag string) {
	t.Helper()
	if err := onlyRefsChanged(in, got, refs, newTag); err != nil {
		t.Error(err)
	}
}

// onlyRefsChanged is checkOnlyRefsChanged's check.
func onlyRefsChanged(in, got []byte, refs []Ref, newTag string) error {
	want, err := expectedRewrite(in, refs, newTag)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("output is not the input with exactly the reported references changed (-want +got):\n%s",
			cmp.Diff(strings.SplitAfter(string(want), "\n"), strings.SplitAfter(string(got), "\n")))
	}
	return nil
}

// expectedRewrite rebuilds, independently of the engine, what Rewrite
// must write for refs: in, with each changed reference's tag (OldTag)
// replaced by newTag, or ":"+newTag added after a reference without
// one, once, on the reference's line. For a reference reported at an ARG
// line it is the tag in the ARG's value; several references reported at
// the same ARG value change it once. References on one line are found
// left to right. New must be Old with newTag for its tag.
func expectedRewrite(in []byte, refs []Ref, newTag string) ([]byte, error) {
	lines := strings.SplitAfter(string(in), "\n")
	next := map[int]int{}        // line → where its next reference is looked for
	argDone := map[string]bool{} // "line tag" of ARG values already changed
	for _, r := range refs {
		if r.Status != StatusChanged {
			continue
		}
		if r.Line < 1 || r.Line > len(lines) {
			return nil, fmt.Errorf("reference %+v: line %d is outside the file's %d lines", r, r.Line, len(lines))
		}
		base, repl := r.Old, ":"+newTag
		if r.OldTag != "" {
			base, repl = strings.TrimSuffix(r.Old, ":"+r.OldTag), newTag
		}
		if r.New != base+":"+newTag {
			return nil, fmt.Errorf("line %d: %s became %s, want %s", r.Line, r.Old, r.New, base+":"+newTag)
		}
		if r.Instruction == "ARG" {
			key := fmt.Sprint(r.Line, " ", r.OldTag)
			if argDone[key] {
				continue
			}
			argDone[key] = true
		}
		line := lines[r.Line-1]
		start, end, ok := tagSpan(line, next[r.Line], r, base)
		if !ok && r.Instruction == "ARG" {
			start, end, repl, ok = argTagPrefix(line, r.OldTag, newTag)
		}
		if !ok {
			return nil, fmt.Errorf("line %d: no place for the tag of %s (%s) in %q", r.Line, r.Old, r.Instruction, line)
		}
		lines[r.Line-1] = line[:start] + repl + line[end:]
		next[r.Line] = start + len(repl)
	}
	return []byte(strings.Join(lines, "")), nil
}

// defaultStarts matches text that ends where a variable's default starts:
// ${X:- or ${X-.
var defaultStarts = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*:?-$`)

// variableEnds matches text that ends with a variable: $X or ${…}.
var variableEnds = regexp.MustCompile(`(\$[A-Za-z_][A-Za-z0-9_]*|\$\{[^{}]*\})$`)

// tagSpan finds, from byte from of line, the bytes [start, end) that hold
// the tag of reference r (whose reference without its tag is base): OldTag
// after ":" and base's last path component or a variable ($X, ${X}) that
// gives the name, or for an ARG's value also right after "=" or a quote;
// for a reference without a tag, the empty span after base's last path
// component. The tag must end the reference (a space, quote, digest, the
// end of a variable's default or the start of a variable may follow).
func tagSpan(line string, from int, r Ref, base string) (start, end int, ok bool) {
	name := base[strings.LastIndexByte(base, '/')+1:]
	endsRef := func(i int) bool { return i == len(line) || strings.IndexByte(" \t\r\n\"'@,}$", line[i]) >= 0 }
	startsName := func(i int) bool {
		return i == 0 || strings.IndexByte(" \t=\"'/}", line[i-1]) >= 0 || defaultStarts.MatchString(line[:i])
	}
	for k := from; k < len(line); k++ {
		if r.OldTag == "" {
			if strings.HasPrefix(line[k:], name) && startsName(k) && endsRef(k+len(name)) {
				return k + len(name), k + len(name), true
			}
			continue
		}
		if k == 0 || !strings.HasPrefix(line[k:], r.OldTag) || !endsRef(k+len(r.OldTag)) {
			continue
		}
		afterName := line[k-1] == ':' && (strings.HasSuffix(line[:k-1], name) && startsName(k-1-len(name)) || variableEnds.MatchString(line[:k-1]))
		argValue := r.Instruction == "ARG" && strings.IndexByte("=\"'", line[k-1]) >= 0
		if afterName || argValue {
			return k, k + len(r.OldTag), true
		}
	}
	return 0, 0, false
}

// argTagPrefix finds an ARG value (after "=") that holds the start of a
// tag, as ARG GO_VERSION=1.26 does for golang:${GO_VERSION}-alpine; the
// rest of the tag comes from the FROM and must end newTag too. It returns
// the value's bytes and what they become.
func argTagPrefix(line, oldTag, newTag string) (start, end int, repl string, ok bool) {
	for k := strings.IndexByte(line, '=') + 1; k > 0 && k < len(line); {
		v := line[k:]
		if i := strings.IndexAny(v, " \t\r\n\"'"); i >= 0 {
			v = v[:i]
		}
		if rest, found := strings.CutPrefix(oldTag, v); found && v != "" && strings.HasSuffix(newTag, rest) && len(newTag) > len(rest) {
			return k, k + len(v), strings.TrimSuffix(newTag, rest), true
		}
		next := strings.IndexByte(line[k:], '=')
		if next < 0 {
			break
		}
		k += next + 1
	}
	return 0, 0, "", false
}

// TestExpectedRewrite checks the corpus test's own yardstick: it rebuilds
// the right output for hand-written references, and that output differs
// from rewrites of the wrong bytes on the reference's line, which a check
// of "reference-like bytes changed on a line holding the new tag" accepted.
func TestExpectedRewrite(t *testing.T) {
	t.Parallel()
	changed := func(line int, instr, old, oldTag string) Ref {
		base := strings.TrimSuffix(old, ":"+oldTag)
		return Ref{Line: line, Instruction: instr, Old: old, OldTag: oldTag, New: base + ":" + freshTag, Status: StatusChanged}
	}
	tests := []struct {
		name  string
		in    string
		refs  []Ref
		want  string
		wrong []string
	}{
		{"tagless COPY --from", "FROM a\nCOPY --from=busybox /bin/paste /test/\n",
			[]Ref{changed(2, "COPY --from", "busybox", "")},
			"FROM a\nCOPY --from=busybox:dfiu-prop-7 /bin/paste /test/\n",
			[]string{"FROM a\nCOPY --from=busybox /bin/paste /test/:dfiu-prop-7\n", "FROM a\nCOPY --from=busybox /bin/paste:dfiu-prop-7 /test/\n"}},
		{"tag in a path too", "FROM alpine:3.19 AS build\nCOPY --from=alpine:3.19 /opt/3.19 /x\n",
			[]Ref{changed(1, "FROM", "alpine:3.19", "3.19"), changed(2, "COPY --from", "alpine:3.19", "3.19")},
			"FROM alpine:dfiu-prop-7 AS build\nCOPY --from=alpine:dfiu-prop-7 /opt/3.19 /x\n",
			[]string{"FROM alpine:dfiu-prop-7 AS build\nCOPY --from=alpine:3.19 /opt/dfiu-prop-7 /x\n"}},
		{"ARG value, two FROMs", "ARG V=1.2 W=1.2\nFROM alpine:${V}\nFROM alpine:${V}\n",
			[]Ref{changed(1, "ARG", "alpine:1.2", "1.2"), changed(1, "ARG", "alpine:1.2", "1.2")},
			"ARG V=dfiu-prop-7 W=1.2\nFROM alpine:${V}\nFROM alpine:${V}\n",
			[]string{"ARG V=1.2 W=dfiu-prop-7\nFROM alpine:${V}\nFROM alpine:${V}\n"}},
		{"name from a variable", "ARG REPO=mcr.microsoft.com/dotnet/aspnet\nFROM $REPO:10.0-noble\n",
			[]Ref{changed(2, "FROM", "mcr.microsoft.com/dotnet/aspnet:10.0-noble", "10.0-noble")},
			"ARG REPO=mcr.microsoft.com/dotnet/aspnet\nFROM $REPO:dfiu-prop-7\n", nil},
		{"ARG holding the start of the tag", "ARG GO=1.26\nFROM golang:${GO}-prop-7\n",
			[]Ref{changed(1, "ARG", "golang:1.26-prop-7", "1.26-prop-7")},
			"ARG GO=dfiu\nFROM golang:${GO}-prop-7\n",
			[]string{"ARG GO=dfiu-prop-7\nFROM golang:${GO}-prop-7\n"}},
		{"whole reference in a compose default", "    image: ${IMG:-ubuntu:17.04}\n",
			[]Ref{changed(1, "image", "ubuntu:17.04", "17.04")},
			"    image: ${IMG:-ubuntu:dfiu-prop-7}\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := onlyRefsChanged([]byte(tt.in), []byte(tt.want), tt.refs, freshTag); err != nil {
				t.Errorf("the right rewrite %q is refused: %v", tt.want, err)
			}
			for _, w := range tt.wrong {
				if onlyRefsChanged([]byte(tt.in), []byte(w), tt.refs, freshTag) == nil {
					t.Errorf("the wrong rewrite %q is accepted", w)
				}
			}
		})
	}
	if _, err := expectedRewrite([]byte("FROM alpine:3.19\n"), []Ref{changed(1, "FROM", "golang:1.22", "1.22")}, freshTag); err == nil {
		t.Error("expectedRewrite found a place for golang:1.22's tag in FROM alpine:3.19")
	}
}

// TestCorpusProperties rewrites every image of every corpus file to a fresh
// tag and checks that the output still parses, that only reference bytes
// changed, that a second run changes nothing, and that every reference not
// skipped now has the new tag.
func TestCorpusProperties(t *testing.T) {
	t.Parallel()
	files := loadCorpus(t)
	var nFiles, nRefs, nSkipped, nRejected, nPolicy int
	for _, f := range files {
		imgs, err := Images(f.kind, f.data)
		if f.negative {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: Images error = %v, want ErrMalformed", f.name, err)
			}
			if _, err := Rewrite(f.kind, f.data, Options{Image: "ubuntu", Tag: freshTag}); !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: Rewrite error = %v, want ErrMalformed", f.name, err)
			}
			nRejected++
			continue
		}
		if err != nil {
			if _, perr := parser.Parse(bytes.NewReader(f.data)); perr == nil && f.kind == KindDockerfile {
				t.Logf("%s: BuildKit's instruction parsing rejects it: %v", f.name, err)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: Images error = %v, want nil or ErrMalformed", f.name, err)
			}
			nRejected++
			continue
		}
		nFiles++
		for _, img := range imgs {
			t.Run(f.name+"/"+img, func(t *testing.T) {
				// Every tag but a channel name may move: the broadest
				// rewrite, to check the bytes.
				opts := Options{Image: img, Tag: freshTag, TagFilter: anyTag, FloatingTags: FloatingPin}
				res, err := Rewrite(f.kind, f.data, opts)
				if err != nil {
					t.Fatalf("Rewrite: %v", err)
				}
				if len(res.Refs) == 0 {
					t.Fatalf("Images listed %s but Rewrite found no reference to it", img)
				}
				if _, err := Images(f.kind, res.Content); err != nil {
					t.Fatalf("output does not parse: %v", err)
				}
				checkOnlyRefsChanged(t, f.data, res.Content, res.Refs, freshTag)
				again, err := Rewrite(f.kind, res.Content, opts)
				if err != nil {
					t.Fatalf("second Rewrite: %v", err)
				}
				if again.Changed {
					t.Errorf("second run changed the file again")
				}
				if len(again.Refs) != len(res.Refs) {
					t.Errorf("second run found %d references, first %d", len(again.Refs), len(res.Refs))
				}
				for _, r := range res.Refs {
					nRefs++
					if r.Status == StatusSkipped {
						nSkipped++
						if r.Reason == "" {
							t.Errorf("line %d: skipped %s without a reason", r.Line, r.Old)
						}
						continue
					}
					if tag := splitRef(r.New).tag(r.New); tag != freshTag {
						t.Errorf("line %d: %s is %s, want tag %s", r.Line, r.Old, r.New, freshTag)
					}
				}
				for _, r := range again.Refs {
					if r.Status == StatusChanged {
						t.Errorf("second run: line %d %s changed again", r.Line, r.Old)
					}
				}
				for _, newTag := range policyTags(res.Refs) {
					nPolicy += checkPolicy(t, f, img, newTag)
				}
			})
		}
	}
	t.Logf("checked %d files (%d rejected as malformed), %d references (%d skipped with a reason), %d changed under the default policy", nFiles, nRejected, nRefs, nSkipped, nPolicy)
	if nFiles == 0 || nRefs == 0 || nPolicy == 0 {
		t.Errorf("checked %d files, %d references and %d changed under the default policy; the corpus should give some of each", nFiles, nRefs, nPolicy)
	}
}

// anyTag is a tag filter every tag matches.
var anyTag = regexp.MustCompile(``)

// The tag policy, written again independently of policy.go for the
// property checks: a version is an optional v, one to four dot-separated
// numbers and optionally "-" and a variant.
var (
	oracleVersion  = regexp.MustCompile(`^(v?)([0-9]+(?:\.[0-9]+){0,3})(?:-(.+))?$`)
	oracleFloating = []string{"", "latest", "stable", "edge", "lts", "nightly", "beta", "alpha", "dev", "main", "master", "mainline", "current", "rolling"}
)

func oracleIsFloating(tag string) bool {
	return slices.Contains(oracleFloating, strings.ToLower(tag))
}

// oracleCompare compares the numbers of two version tags (matches of
// oracleVersion) with math/big, a missing part counting as 0.
func oracleCompare(a, b []string) int {
	parts := func(m []string) []*big.Int {
		var out []*big.Int
		for _, p := range strings.Split(m[2], ".") {
			n, _ := new(big.Int).SetString(p, 10)
			out = append(out, n)
		}
		return out
	}
	x, y := parts(a), parts(b)
	for i := 0; i < len(x) || i < len(y); i++ {
		u, v := big.NewInt(0), big.NewInt(0)
		if i < len(x) {
			u = x[i]
		}
		if i < len(y) {
			v = y[i]
		}
		if c := u.Cmp(v); c != 0 {
			return c
		}
	}
	return 0
}

// oracleEligible says whether the default policy lets old move to newTag:
// a lower version of the same prefix and variant, or a build id replacing
// a build id; never a floating tag.
func oracleEligible(old, newTag string) bool {
	if oracleIsFloating(old) || old == newTag {
		return false
	}
	a, b := oracleVersion.FindStringSubmatch(old), oracleVersion.FindStringSubmatch(newTag)
	switch {
	case a == nil && b == nil:
		return true
	case a == nil || b == nil:
		return false
	}
	return a[1] == b[1] && a[3] == b[3] && oracleCompare(a, b) < 0
}

// policyTags picks the new tags to try the default policy with: for up to
// three of the version tags refs use, the next major of its lineage
// (20.1-alpine gives 21-alpine), and freshTag, a build id.
func policyTags(refs []Ref) []string {
	tags := []string{freshTag}
	for _, r := range refs {
		m := oracleVersion.FindStringSubmatch(r.OldTag)
		if m == nil || len(tags) > 3 {
			continue
		}
		major, _ := new(big.Int).SetString(strings.Split(m[2], ".")[0], 10)
		tag := m[1] + major.Add(major, big.NewInt(1)).String()
		if m[3] != "" {
			tag += "-" + m[3]
		}
		if !slices.Contains(tags, tag) && len(tag) <= 128 {
			tags = append(tags, tag)
		}
	}
	return tags
}

// policyReasons are the skip reasons of the tag policy.
var policyReasons = []string{"floating tag", "variant ", "no variant", "tag kinds differ", "would downgrade", "same version", "v prefix"}

// checkPolicy rewrites img in f to newTag under the default policy and
// checks the policy against the oracle: a changed reference's old tag is
// eligible, a floating tag never changes, an eligible tag is never skipped
// for a policy reason, only the reported references change and a second
// run changes nothing. It returns how many references changed.
func checkPolicy(t *testing.T, f corpusFile, img, newTag string) int {
	t.Helper()
	opts := Options{Image: img, Tag: newTag}
	res, err := Rewrite(f.kind, f.data, opts)
	if err != nil {
		t.Fatalf("tag %s: Rewrite: %v", newTag, err)
	}
	n := 0
	for _, r := range res.Refs {
		eligible := oracleEligible(r.OldTag, newTag)
		switch {
		case r.Status == StatusChanged:
			n++
			if !eligible {
				t.Errorf("tag %s: line %d: %s changed, but its tag is not eligible", newTag, r.Line, r.Old)
			}
		case r.Status == StatusSkipped && eligible:
			for _, p := range policyReasons {
				if strings.Contains(r.Reason, p) {
					t.Errorf("tag %s: line %d: %s skipped (%s), but its tag is eligible", newTag, r.Line, r.Old, r.Reason)
				}
			}
		}
		if oracleIsFloating(r.OldTag) && r.Status == StatusChanged {
			t.Errorf("tag %s: line %d: floating %s changed", newTag, r.Line, r.Old)
		}
	}
	checkOnlyRefsChanged(t, f.data, res.Content, res.Refs, newTag)
	again, err := Rewrite(f.kind, res.Content, opts)
	if err != nil {
		t.Fatalf("tag %s: second Rewrite: %v", newTag, err)
	}
	if again.Changed {
		t.Errorf("tag %s: second run changed the file again", newTag)
	}
	return n
}

// TestOracleEligible pins the oracle to the examples, so that it
// and the policy cannot drift apart together unnoticed.
func TestOracleEligible(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		old, new string
		want     bool
	}{
		{"20", "22", true}, {"20-alpine", "22", false}, {"20.1-bookworm-slim", "22", false}, {"lts", "22", false}, {"latest", "22", false}, {"", "22", false},
		{"20", "22-alpine", false}, {"20-alpine", "22-alpine", true}, {"20.11-alpine", "22-alpine", true},
		{"3f2a1b9", "8c9d0e1", true}, {"latest", "8c9d0e1", false}, {"1.2", "8c9d0e1", false}, {"stable", "8c9d0e1", false},
		{"3.11-slim-bookworm", "3.13-slim-bookworm", true}, {"3.11-slim", "3.13-slim-bookworm", false}, {"3.11", "3.13-slim-bookworm", false},
		{"7357", "18026809126359806124890356219518632048125", true}, {"v1.2", "v1.4.0", true}, {"1.2", "v1.4.0", false}, {"1.2", "1.3.0", true}, {"1.3", "1.3.0", false},
	} {
		if got := oracleEligible(c.old, c.new); got != c.want {
			t.Errorf("oracleEligible(%q, %q) = %v, want %v", c.old, c.new, got, c.want)
		}
		if got := newPolicy(Options{Tag: c.new}).skip(c.old) == ""; got != c.want {
			t.Errorf("policy: %q -> %q eligible = %v, want %v", c.old, c.new, got, c.want)
		}
	}
}

// oddInstructions are hand-written edge cases for cannotFail.
var oddInstructions = []byte("FROM a\nRUN\nRUN []\nRUN [\"a\"\nCMD\nCMD []\nENTRYPOINT\nRUN <<EOF\nx\nEOF\n" +
	"RUN <<-A cat <<B\n\tx\nA\ny\nB\nWORKDIR\nWORKDIR a b\nUSER\nUSER a b\nEXPOSE\nENV a=b c=d\nENV a b\nENV =b\nENV \"\"=b\n" +
	"COPY\nCOPY a\nCOPY a b\nCOPY [\"a\", \"b\"]\nCOPY <<EOF /x\nhi\nEOF\nCOPY a <<EOF\nEOF\nLABEL\nLABEL a=b\nLABEL a\nLABEL =x\n")

// TestCannotFailAgreesWithBuildKit backs the shortcut in scanDockerfile:
// BuildKit's instruction parser accepts every instruction cannotFail
// vouches for, in the corpus and in odd hand-written ones.
func TestCannotFailAgreesWithBuildKit(t *testing.T) {
	t.Parallel()
	var inputs [][]byte
	for _, line := range bytes.Split(oddInstructions, []byte("\n")) {
		inputs = append(inputs, append([]byte("FROM a\n"), line...))
	}
	inputs = append(inputs, oddInstructions)
	if _, ok := testshared.Optional(t, "corpus"); ok {
		for _, f := range loadCorpus(t) {
			if f.kind == KindDockerfile {
				inputs = append(inputs, f.data)
			}
		}
	}
	n := 0
	for _, in := range inputs {
		n += checkCannotFail(t, in)
	}
	if n == 0 {
		t.Fatal("cannotFail vouched for no instruction")
	}
	t.Logf("checked %d instructions", n)
}

func checkCannotFail(t *testing.T, in []byte) int {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(in))
	if err != nil {
		return 0
	}
	n := 0
	for _, node := range res.AST.Children {
		if !cannotFail(node) {
			continue
		}
		n++
		if _, err := instructions.ParseInstruction(node); err != nil {
			t.Errorf("line %d: %q: cannotFail, but ParseInstruction: %v", node.StartLine, node.Original, err)
		}
	}
	return n
}

// oddQuickInstructions are hand-written edge cases for quickParse.
var oddQuickInstructions = []byte("ARG\nARG a\nARG a=b c\nARG =b\nARG a==b\nARG a= b=\nARG --x a\nARG -- a\nARG \"a=b c\" 'd=e'\n" +
	"FROM\nFROM a b\nFROM a AS\nFROM a as b\nFROM a AS B\nFROM a As 1b\nFROM a AS b_c.d-e\nFROM a AS b$\nFROM a AS b c\nFROM a to b\n" +
	"FROM --platform=x a\nFROM --platform a\nFROM --platform= a\nFROM --platform=x --platform=y a\nFROM --plat=x a\nFROM -- --platform=x a\n" +
	"FROM --platform=x -- a\nFROM -platform=x a\nFROM \"--platform=x\" a\nFROM --platform=\"a b\" c\n" +
	"COPY --from=a b c\nCOPY --from a b\nCOPY --from= a b\nCOPY --from=a --from=b c d\nCOPY --link a b\nCOPY --link=TRUE a b\n" +
	"COPY --link=falſe a b\nCOPY --link= a b\nCOPY --link=1 a b\nCOPY --parents --link=false a b\nCOPY --exclude=a --exclude=b c d\n" +
	"COPY --exclude a b\nCOPY --chown=1 --chmod=2 --from=x a b\nCOPY --chown=1 --chown=2 a b\nCOPY --keep-git-dir a b\nCOPY --from=a b\n" +
	"COPY --from=a <<EOF b\nhi\nEOF\nCOPY --from=a b <<EOF\nEOF\nCOPY --from=a [\"b\", \"c\"]\nCOPY --from=a [\"b\"]\ncopy --from=a b c\n" +
	"Copy --FROM=a b c\nfrom a\nFrOm a AS b\nArG x=1\nFROM a\\\n AS b\n" +
	"RUN --mount=type=cache,target=/x true\nRUN --mount=from=a,target=/x true\nRUN --mount=FROM=a true\nRUN --mount=from=a,from=b true\n" +
	"RUN --mount=from=$A true\nRUN --mount=from=a$ true\nRUN --mount=from=$ true\nRUN --mount= true\nRUN --mount true\nRUN --mount=\"from=a\" true\n" +
	"RUN --mount=from=a --mount=from=b true\nRUN --mount=type=secret,id=x,from=a true\nRUN --mount=from true\nRUN --mount=,, true\n" +
	"RUN --mount=from=,target=/x true\nRUN --mount=type=bogus,from=a true\nRUN --mount=from=a,ro true\nRUN --network=host true\nRUN --network=HOST true\n" +
	"RUN --network true\nRUN --network=none --network=host true\nRUN --security=insecure true\nRUN --security=x true\nRUN --device=/dev/x true\n" +
	"RUN --foo true\nRUN -- --mount=from=a true\nRUN --mount=from=a -- --bad true\nRUN --mount=from=ſ true\nRUN --mount=type=cache [\"a\"]\n" +
	"RUN --mount=from=a <<EOF\nx\nEOF\nrun --Mount=from=a true\nRUN --mount=from=a\nRUN --network=default\n" +
	"RUN --device=a,b true\nADD a b\nADD --checksum=x a b\nADD --checksum a b\nADD --keep-git-dir=TRUE a b\nADD --unpack=maybe a b\nADD --from=a b c\n" +
	"ADD a <<EOF\nEOF\nADD a\nADD --link --exclude=x a b\nADD <<EOF /x\nhi\nEOF\n")

// TestQuickParseAgreesWithBuildKit backs the shortcut in parseInstruction:
// BuildKit's instruction parser accepts every instruction quickParse reads
// and gives the same values, in the corpus and in odd hand-written ones.
func TestQuickParseAgreesWithBuildKit(t *testing.T) {
	t.Parallel()
	var inputs [][]byte
	for _, odd := range [][]byte{oddInstructions, oddQuickInstructions} {
		for _, line := range bytes.Split(odd, []byte("\n")) {
			inputs = append(inputs, append([]byte("FROM a\n"), line...))
		}
		inputs = append(inputs, odd)
	}
	if _, ok := testshared.Optional(t, "corpus"); ok {
		for _, f := range loadCorpus(t) {
			if f.kind == KindDockerfile {
				inputs = append(inputs, f.data)
			}
		}
	}
	n := map[string]int{}
	for _, in := range inputs {
		for k, v := range checkQuickParse(t, in) {
			n[k] += v
		}
	}
	for _, k := range []string{"arg", "from", "copy", "add", "run"} {
		if n[k] == 0 {
			t.Errorf("quickParse read no %s instruction", k)
		}
	}
	t.Logf("checked %v instructions", n)
}

// checkQuickParse compares quickParse with BuildKit on every instruction of
// in, and counts the instructions quickParse read, by command.
func checkQuickParse(t *testing.T, in []byte) map[string]int {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(in))
	if err != nil {
		return nil
	}
	n := map[string]int{}
	for _, node := range res.AST.Children {
		got, ok := quickParse(node)
		if !ok {
			continue
		}
		n[strings.ToLower(node.Value)]++
		v, err := instructions.ParseInstruction(node)
		if err != nil {
			t.Errorf("line %d: %q: quickParse read it, but ParseInstruction: %v", node.StartLine, node.Original, err)
			continue
		}
		want, ok := instrOf(v)
		if !ok {
			t.Errorf("line %d: %q: quickParse read it, but ParseInstruction gives %T", node.StartLine, node.Original, v)
			continue
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(instr{}, argPair{})); diff != "" {
			t.Errorf("line %d: %q: quickParse differs from ParseInstruction (-BuildKit +quickParse):\n%s", node.StartLine, node.Original, diff)
		}
	}
	return n
}

func BenchmarkParse(b *testing.B) {
	files := loadCorpus(b)
	var size int64
	for _, f := range files {
		if f.kind == KindDockerfile && !f.negative {
			size += int64(len(f.data))
		}
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			if f.kind == KindDockerfile && !f.negative {
				_, _ = parser.Parse(bytes.NewReader(f.data))
			}
		}
	}
}

func BenchmarkRewrite(b *testing.B) {
	files := loadCorpus(b)
	var size int64
	for _, f := range files {
		if f.kind == KindDockerfile && !f.negative {
			size += int64(len(f.data))
		}
	}
	opts := Options{Image: "ubuntu", Tag: freshTag}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			if f.kind == KindDockerfile && !f.negative {
				_, _ = Rewrite(f.kind, f.data, opts)
			}
		}
	}
}
