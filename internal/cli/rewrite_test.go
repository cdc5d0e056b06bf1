package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var updateGolden = flag.Bool("update", false, "regenerate testdata/rewrite/*/{want/,want.stdout,want.stderr,want.exit} from the current output (review every change)")

// goldenRoot holds the golden cases: testdata/rewrite/<case>/ with
//
//	in/          the tree the command runs on (copied to a temp dir)
//	args         one line of flags, without paths; "quotes" group words
//	paths        optional: paths relative to the temp dir, one a line;
//	             the temp dir itself when absent
//	want/        the tree expected afterwards, byte for byte
//	want.stdout  the expected stdout, the temp dir written as $DIR; empty when absent
//	want.stderr  the expected stderr, likewise
//	want.exit    the expected exit code; 0 when absent
const goldenRoot = "../../testdata/rewrite"

// minGoldenCases guards against cases going missing unnoticed.
const minGoldenCases = 40

func TestRewriteGolden(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(goldenRoot)
	if err != nil {
		t.Fatalf("reading golden cases: %v", err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runGolden(t, filepath.Join(goldenRoot, name))
		})
	}
	if n < minGoldenCases {
		t.Errorf("found %d golden cases in %s, want at least %d", n, goldenRoot, minGoldenCases)
	}
}

func runGolden(t *testing.T, dir string) {
	t.Helper()
	argsLine, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatalf("reading args: %v", err)
	}
	args, err := splitArgs(strings.TrimSpace(string(argsLine)))
	if err != nil {
		t.Fatalf("parsing args %q: %v", argsLine, err)
	}
	tmp := t.TempDir()
	copyTree(t, filepath.Join(dir, "in"), tmp)
	if b, err := os.ReadFile(filepath.Join(dir, "paths")); err == nil {
		for _, p := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			args = append(args, filepath.Join(tmp, filepath.FromSlash(strings.TrimSpace(p))))
		}
	} else {
		args = append(args, tmp)
	}

	code, stdout, stderr := runCmd(t, args)
	stdout, stderr = placeholder(stdout, tmp), placeholder(stderr, tmp)
	got := readTree(t, tmp)

	if *updateGolden {
		wantDir := filepath.Join(dir, "want")
		if err := os.RemoveAll(wantDir); err != nil {
			t.Fatal(err)
		}
		writeTree(t, wantDir, got)
		writeOptional(t, filepath.Join(dir, "want.stdout"), stdout)
		writeOptional(t, filepath.Join(dir, "want.stderr"), stderr)
		exit := ""
		if code != 0 {
			exit = strconv.Itoa(code) + "\n"
		}
		writeOptional(t, filepath.Join(dir, "want.exit"), exit)
		return
	}

	wantCode := 0
	if b, err := os.ReadFile(filepath.Join(dir, "want.exit")); err == nil {
		if wantCode, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			t.Fatalf("want.exit: %v", err)
		}
	}
	if code != wantCode {
		t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantCode, stdout, stderr)
	}
	if diff := cmp.Diff(readOptional(t, filepath.Join(dir, "want.stdout")), stdout); diff != "" {
		t.Errorf("stdout mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(readOptional(t, filepath.Join(dir, "want.stderr")), stderr); diff != "" {
		t.Errorf("stderr mismatch (-want +got):\n%s", diff)
	}
	want := readTree(t, filepath.Join(dir, "want"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tree after rewrite mismatch (-want +got):\n%s", diff)
	}
}

// runCmd runs `dfiu rewrite args...` in-process.
func runCmd(t *testing.T, args []string) (code int, stdout, stderr string) {
	t.Helper()
	return runCmdEnv(t, func(k string) string {
		t.Errorf("rewrite read the environment variable %q; it must not", k)
		return ""
	}, args)
}

// runCmdEnv runs `dfiu rewrite args...` in-process with getenv as its
// environment.
func runCmdEnv(t *testing.T, getenv func(string) string, args []string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runRewrite(context.Background(), args, Env{
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errb,
		Getenv: getenv,
	})
	return code, out.String(), errb.String()
}

// placeholder writes the temp dir as $DIR, also in diff labels where it
// has lost its leading slash.
func placeholder(s, tmp string) string {
	label := strings.TrimLeft(filepath.ToSlash(tmp), "/")
	s = strings.ReplaceAll(s, "--- a/"+label, "--- a/$DIR")
	s = strings.ReplaceAll(s, "+++ b/"+label, "+++ b/$DIR")
	return strings.ReplaceAll(s, tmp, "$DIR")
}

// splitArgs splits a line into words on spaces; single or double quotes
// group words and are removed.
func splitArgs(line string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}

// treeFile is one regular file of a tree: its content and permission bits.
type treeFile struct {
	Content string
	Mode    fs.FileMode
}

// readTree reads every file under root, keyed by slash-separated relative
// path. Anything that is not a regular file or directory fails the test.
func readTree(t *testing.T, root string) map[string]treeFile {
	t.Helper()
	tree := map[string]treeFile{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", rel)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		tree[filepath.ToSlash(rel)] = treeFile{Content: string(b), Mode: info.Mode().Perm()}
		return nil
	})
	if err != nil {
		t.Fatalf("reading tree %s: %v", root, err)
	}
	return tree
}

func writeTree(t *testing.T, root string, tree map[string]treeFile) {
	t.Helper()
	names := make([]string, 0, len(tree))
	for name := range tree {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(tree[name].Content), tree[name].Mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tree[name].Mode); err != nil {
			t.Fatal(err)
		}
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	writeTree(t, dst, readTree(t, src))
}

func readOptional(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeOptional writes s to path, or removes path when s is empty.
func writeOptional(t *testing.T, path, s string) {
	t.Helper()
	if s == "" {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSplitArgs(t *testing.T) {
	t.Parallel()
	got, err := splitArgs(`--image ubuntu  --tag-filter '-slim$' --ignore-comment "keep this"`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"--image", "ubuntu", "--tag-filter", "-slim$", "--ignore-comment", "keep this"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("splitArgs mismatch (-want +got):\n%s", diff)
	}
	if _, err := splitArgs(`--image "ubuntu`); err == nil {
		t.Error("splitArgs with an unterminated quote: got no error")
	}
}

// TestGoldenBytes guards the byte-level cases against a checkout that
// converts line endings or re-encodes files: their inputs must still hold
// the bytes they are about.
func TestGoldenBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		check func([]byte) bool
		what  string
	}{
		{"crlf/in/Dockerfile", func(b []byte) bool { return bytes.Count(b, []byte("\r\n")) == bytes.Count(b, []byte("\n")) }, "CRLF line endings only"},
		{"bom/in/Dockerfile", func(b []byte) bool { return bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) }, "a UTF-8 BOM"},
		{"bom-crlf-no-final-newline/in/Dockerfile", func(b []byte) bool {
			return bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) && bytes.Contains(b, []byte("\r\n")) && !bytes.HasSuffix(b, []byte("\n"))
		}, "a BOM, CRLF and no final newline"},
		{"no-final-newline/in/Dockerfile", func(b []byte) bool { return len(b) > 0 && !bytes.HasSuffix(b, []byte("\n")) }, "no final newline"},
		{"compose-crlf-no-final-newline/in/docker-compose.yml", func(b []byte) bool {
			return bytes.Contains(b, []byte("\r\n")) && !bytes.HasSuffix(b, []byte("\n"))
		}, "CRLF and no final newline"},
		{"binary-walked/in/a/Dockerfile", func(b []byte) bool { return bytes.IndexByte(b, 0) >= 0 }, "a NUL byte"},
		{"not-utf8/in/Dockerfile", func(b []byte) bool { return !utf8.Valid(b) }, "invalid UTF-8"},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join(goldenRoot, filepath.FromSlash(tt.file)))
		if err != nil {
			t.Fatal(err)
		}
		if !tt.check(b) {
			t.Errorf("%s no longer holds %s (was it converted on checkout?)", tt.file, tt.what)
		}
	}
}
