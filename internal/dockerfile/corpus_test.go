package dockerfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// corpusDir returns ../shared/corpus relative to the repository root (the
// directory holding go.mod), or "" when it is absent.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "corpus")
	if _, err := os.Stat(c); err != nil {
		return ""
	}
	return c
}

type corpusFile struct {
	name     string
	kind     Kind
	data     []byte
	negative bool
}

func loadCorpus(tb testing.TB) []corpusFile {
	tb.Helper()
	dir := corpusDir(tb)
	if dir == "" {
		tb.Skip("corpus ../shared/corpus (beside the repository root) is absent; skipping")
	}
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

// refBytes matches what may differ inside a changed line: reference bytes.
var refBytes = regexp.MustCompile(`^[A-Za-z0-9_.:@/-]*$`)

// checkOnlyRefsChanged fails unless old and new have the same lines and each
// line that differs differs only in reference bytes, now holding freshTag.
func checkOnlyRefsChanged(t *testing.T, old, new []byte) {
	t.Helper()
	ol, nl := bytes.Split(old, []byte("\n")), bytes.Split(new, []byte("\n"))
	if len(ol) != len(nl) {
		t.Fatalf("line count changed from %d to %d", len(ol), len(nl))
	}
	for i := range ol {
		a, b := ol[i], nl[i]
		if bytes.Equal(a, b) {
			continue
		}
		p := 0
		for p < len(a) && p < len(b) && a[p] == b[p] {
			p++
		}
		s := 0
		for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
			s++
		}
		da, db := a[p:len(a)-s], b[p:len(b)-s]
		if !refBytes.Match(da) || !refBytes.Match(db) || !bytes.Contains(b, []byte(freshTag)) {
			t.Errorf("line %d changed outside a reference:\n-%q\n+%q", i+1, a, b)
		}
	}
}

// TestCorpusProperties rewrites every image of every corpus file to a fresh
// tag and checks that the output still parses, that only reference bytes
// changed, that a second run changes nothing, and that every reference not
// skipped now has the new tag.
func TestCorpusProperties(t *testing.T) {
	t.Parallel()
	files := loadCorpus(t)
	var nFiles, nRefs, nSkipped, nRejected int
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
				opts := Options{Image: img, Tag: freshTag}
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
				checkOnlyRefsChanged(t, f.data, res.Content)
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
			})
		}
	}
	t.Logf("checked %d files (%d rejected as malformed), %d references (%d skipped with a reason)", nFiles, nRejected, nRefs, nSkipped)
	if nFiles == 0 || nRefs == 0 {
		t.Errorf("checked %d files and %d references; the corpus should give some", nFiles, nRefs)
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
	if corpusDir(t) != "" {
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
	if corpusDir(t) != "" {
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
