package testshared

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recordingTB keeps what Absent reports instead of ending the real test.
type recordingTB struct {
	testing.TB
	skips, fatals []string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Skipf(format string, args ...any) {
	r.skips = append(r.skips, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

// clone makes dir/clone/go.mod and works from dir/clone/internal/x, as a
// package's test binary does; with shared, dir/shared/corpus exists too.
func clone(t *testing.T, shared bool) string {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "clone", "internal", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "clone", "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if shared {
		if err := os.MkdirAll(filepath.Join(dir, "shared", "corpus"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(filepath.Join(dir, "clone", "internal", "x"))
	return dir
}

func TestPathFindsSharedBesideTheClone(t *testing.T) {
	dir := clone(t, true)
	got, err := Path("corpus")
	if want := filepath.Join(dir, "shared", "corpus"); err != nil || got != want {
		t.Errorf("Path(corpus) = %q, %v; want %q", got, err, want)
	}
	t.Setenv(RequireEnv, "1")
	rec := &recordingTB{}
	if got := Require(rec, "corpus"); got == "" || len(rec.skips)+len(rec.fatals) != 0 {
		t.Errorf("Require(corpus) = %q with skips %q fatals %q; want the path and neither", got, rec.skips, rec.fatals)
	}
	if got, ok := Optional(rec, "corpus"); !ok || got == "" || len(rec.skips)+len(rec.fatals) != 0 {
		t.Errorf("Optional(corpus) = %q, %v with skips %q fatals %q; want the path and neither", got, ok, rec.skips, rec.fatals)
	}
}

// TestAbsentSkipsUnlessRequired: without ../shared a test skips, naming the
// path looked for; with RequireEnv set (as .ci/run does) it fails instead.
func TestAbsentSkipsUnlessRequired(t *testing.T) {
	dir := clone(t, false)
	_, err := Path("github-api/schema.graphql")
	want := filepath.Join(dir, "shared", "github-api", "schema.graphql")
	if !errors.Is(err, ErrAbsent) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Path() = %v, want ErrAbsent naming %s", err, want)
	}

	t.Setenv(RequireEnv, "")
	rec := &recordingTB{}
	Require(rec, "github-api/schema.graphql")
	if len(rec.skips) != 1 || !strings.Contains(rec.skips[0], want) || len(rec.fatals) != 0 {
		t.Errorf("%s unset: skips %q fatals %q, want one skip naming %s", RequireEnv, rec.skips, rec.fatals, want)
	}

	rec = &recordingTB{}
	if _, ok := Optional(rec, "github-api/schema.graphql"); ok || len(rec.skips)+len(rec.fatals) != 0 {
		t.Errorf("%s unset: Optional() = %v with skips %q fatals %q, want false and neither", RequireEnv, ok, rec.skips, rec.fatals)
	}

	t.Setenv(RequireEnv, "1")
	rec = &recordingTB{}
	if _, ok := Optional(rec, "github-api/schema.graphql"); ok || len(rec.fatals) != 1 || !strings.Contains(rec.fatals[0], RequireEnv) {
		t.Errorf("%s=1: Optional() = %v with fatals %q, want false and one failure naming %s", RequireEnv, ok, rec.fatals, RequireEnv)
	}
	rec = &recordingTB{}
	Require(rec, "github-api/schema.graphql")
	if len(rec.fatals) != 1 || !strings.Contains(rec.fatals[0], RequireEnv) || !strings.Contains(rec.fatals[0], want) || len(rec.skips) != 0 {
		t.Errorf("%s=1: skips %q fatals %q, want one failure naming the path and %s", RequireEnv, rec.skips, rec.fatals, RequireEnv)
	}
}

// TestAbsentFailsOnOtherErrors: a shared file that exists but is broken is
// a failure whether or not the run requires ../shared.
func TestAbsentFailsOnOtherErrors(t *testing.T) {
	t.Setenv(RequireEnv, "")
	rec := &recordingTB{}
	Absent(rec, fmt.Errorf("decoding: %w", io.ErrUnexpectedEOF))
	if len(rec.fatals) != 1 || len(rec.skips) != 0 {
		t.Errorf("broken file: skips %q fatals %q, want a failure", rec.skips, rec.fatals)
	}
}

func TestNoModuleRoot(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, err := Path("corpus"); !errors.Is(err, ErrAbsent) || !strings.Contains(err.Error(), "go.mod") {
		t.Errorf("Path() outside a module = %v, want ErrAbsent mentioning go.mod", err)
	}
}
