package dockerfile

import (
	"errors"
	"strconv"
	"testing"
)

// TestCompile checks the image name each compiled Options holds: each step
// alternates between options that share some fields.
func TestCompile(t *testing.T) {
	steps := []struct {
		opts Options
		name string // "" means invalid
	}{
		{Options{Image: "ubuntu", Tag: "1"}, "docker.io/library/ubuntu"},
		{Options{Image: "ubuntu", Tag: "1"}, "docker.io/library/ubuntu"},
		{Options{Image: "ubuntu", Tag: "-1"}, ""},
		{Options{Image: "ubuntu", Tag: "1", Digest: "sha256:1"}, ""},
		{Options{Image: "ubuntu", Tag: "1", IgnoreComment: "#"}, ""},
		{Options{Image: "ghcr.io/a/b", Tag: "1"}, "ghcr.io/a/b"},
		{Options{Image: "Ubuntu", Tag: "1"}, ""},
		{Options{Image: "ubuntu", Tag: "1"}, "docker.io/library/ubuntu"},
		{Options{Image: "index.docker.io/library/ubuntu", Tag: "1"}, "docker.io/library/ubuntu"},
		{Options{Image: "ghcr.io/a/b", Tag: "1", Digest: dig1}, "ghcr.io/a/b"},
	}
	for i, s := range steps {
		rw, err := s.opts.Compile()
		var name string
		if rw != nil {
			name = rw.t.name
		}
		if s.name == "" {
			if err == nil {
				t.Errorf("step %d: Compile(%+v) = %q, want an error", i, s.opts, name)
			}
			continue
		}
		if err != nil || name != s.name {
			t.Errorf("step %d: Compile(%+v) = %q, %v; want %q", i, s.opts, name, err, s.name)
		}
	}
}

// TestMayBeIntCoversAtoi backs the shortcut in isStage: strconv.Atoi
// accepts no string mayBeInt rejects.
func TestMayBeIntCoversAtoi(t *testing.T) {
	t.Parallel()
	words := []string{"", "0", "1", "-1", "+1", "-", "+", "01", "1a", "a1", "1_000", "0x1", " 1", "1 ", "１",
		"99999999999999999999", "builder", "stage-1", "1.0", "--1", "+-1"}
	for i := range 300 {
		words = append(words, string(rune(i)), "1"+string(rune(i)), string(rune(i))+"1")
	}
	for _, w := range words {
		if _, err := strconv.Atoi(w); err == nil && !mayBeInt(w) {
			t.Errorf("mayBeInt(%q) = false, but strconv.Atoi accepts it", w)
		}
	}
	if mayBeInt("builder") || !mayBeInt("-12") {
		t.Error("mayBeInt does not tell a stage name from a number")
	}
}

// TestPanicIsInternalError checks that a recovered panic is reported as a
// bug of the engine, not as a malformed file.
func TestPanicIsInternalError(t *testing.T) {
	t.Parallel()
	err := func() (err error) {
		defer recoverInternal(&err)
		panic("index out of range")
	}()
	if !errors.Is(err, ErrInternal) || errors.Is(err, ErrMalformed) {
		t.Errorf("err = %v, want ErrInternal and not ErrMalformed", err)
	}
}
