package dockerfile

import (
	"strconv"
	"testing"
)

// TestValidateCache checks that the cache of the last valid options never
// answers for other options: each step alternates between options that
// share some fields.
func TestValidateCache(t *testing.T) {
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
		name, err := s.opts.validate()
		if s.name == "" {
			if err == nil {
				t.Errorf("step %d: validate(%+v) = %q, want an error", i, s.opts, name)
			}
			continue
		}
		if err != nil || name != s.name {
			t.Errorf("step %d: validate(%+v) = %q, %v; want %q", i, s.opts, name, err, s.name)
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
