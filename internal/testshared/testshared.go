// Package testshared finds ../shared (the corpus of real Dockerfiles and
// GitHub's API descriptions, kept beside the clone, not in it) for tests of
// both the product and the simulator. It imports neither, so either may use
// it; shipped code never does (see internal/ghsim's TestDependencies).
//
// Where ../shared is absent (a user's clone) a test that needs it skips with
// a message naming the path. CI has it: .ci/run sets RequireEnv, and then
// every such skip is a failure, so a misplaced directory cannot turn the
// conformance and corpus tests into silent passes.
package testshared

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// RequireEnv is the variable that, set to a non-empty value, makes every test
// needing ../shared fail instead of skip when it is absent.
const RequireEnv = "DFIU_REQUIRE_SHARED"

// ErrAbsent is returned (wrapped, with the path looked for) when a file or
// directory of ../shared does not exist.
var ErrAbsent = errors.New("../shared not found")

// Path returns the path of rel (slash-separated, e.g. "corpus" or
// "github-api/schema.graphql") inside the shared directory beside the
// repository root: the parent of the directory holding go.mod, found by
// walking up from the working directory. The error wraps ErrAbsent when the
// file is missing.
func Path(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding ../shared: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: no go.mod above the working directory", ErrAbsent)
		}
		dir = parent
	}
	path := filepath.Join(filepath.Dir(dir), "shared", filepath.FromSlash(rel))
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%w at %q (CI keeps shared/ beside the clone)", ErrAbsent, path)
		}
		return "", fmt.Errorf("finding ../shared: %w", err)
	}
	return path, nil
}

// Required reports whether the run requires ../shared (RequireEnv is set).
func Required() bool { return os.Getenv(RequireEnv) != "" }

// Absent ends tb for err, an error of Path (or wrapping one): a skip naming
// the path when ../shared is merely absent, a failure when it is required
// or when err is anything else (a file that exists but cannot be read).
func Absent(tb testing.TB, err error) {
	tb.Helper()
	switch {
	case errors.Is(err, ErrAbsent) && !Required():
		tb.Skipf("skipping: %v", err)
	case errors.Is(err, ErrAbsent):
		tb.Fatalf("%v, and %s is set: this run requires it", err, RequireEnv)
	default:
		tb.Fatalf("%v", err)
	}
}

// Require returns Path(rel), ending tb as Absent does when it is missing.
func Require(tb testing.TB, rel string) string {
	tb.Helper()
	path, err := Path(rel)
	if err != nil {
		Absent(tb, err)
	}
	return path
}

// Optional is for tests that use ../shared when it is there and have enough
// to check without it: it returns Path(rel) and true when the file exists,
// and false when it is absent, except that it fails tb as Absent does when
// the run requires ../shared or the error is another one.
func Optional(tb testing.TB, rel string) (string, bool) {
	tb.Helper()
	path, err := Path(rel)
	if err != nil {
		if errors.Is(err, ErrAbsent) && !Required() {
			return "", false
		}
		Absent(tb, err)
		return "", false
	}
	return path, true
}
