package dockerfile

import (
	"regexp"
	"testing"
)

// TestSkipClass checks that every skipped reference says why as a value,
// and that the value matches the rule that left it alone.
func TestSkipClass(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		src  string
		want Skip
	}{
		{"opt-out", Options{}, "# no-dfiu\nFROM python:3.10\n", SkipOptOut},
		{"opt-out above ARG", Options{}, "# no-dfiu\nARG V=3.10\nFROM python:${V}\n", SkipOptOut},
		{"floating", Options{}, "FROM python:latest\n", SkipFloating},
		{"no tag", Options{}, "FROM python\n", SkipFloating},
		{"digest", Options{}, "FROM python:3.10@sha256:" + sha('a') + "\n", SkipDigest},
		{"downgrade", Options{}, "FROM python:3.13\n", SkipDowngrade},
		{"variant", Options{}, "FROM python:3.10-slim\n", SkipVariant},
		{"kind", Options{}, "FROM python:bookworm\n", SkipVariant},
		{"same version", Options{}, "FROM python:3.11.0\n", SkipSameVersion},
		{"filter", Options{TagFilter: regexp.MustCompile(`-slim$`)}, "FROM python:3.10\n", SkipFilter},
		{"unset ARG", Options{}, "ARG V\nFROM python:${V}\n", SkipUnresolved},
		{"current", Options{}, "FROM python:3.11\n", SkipNone},
		{"changed", Options{}, "FROM python:3.10\n", SkipNone},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.opts
			o.Image, o.Tag = "python", "3.11"
			rw, err := o.Compile()
			if err != nil {
				t.Fatal(err)
			}
			res, err := rw.Rewrite(KindDockerfile, []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Refs) != 1 {
				t.Fatalf("refs = %+v, want one", res.Refs)
			}
			r := res.Refs[0]
			if r.Skip != c.want {
				t.Errorf("Skip = %d, want %d (status %s, reason %q)", r.Skip, c.want, r.Status, r.Reason)
			}
			if (r.Status == StatusSkipped) != (r.Skip != SkipNone) {
				t.Errorf("status %s with Skip %d", r.Status, r.Skip)
			}
		})
	}
}

func sha(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return string(b)
}
