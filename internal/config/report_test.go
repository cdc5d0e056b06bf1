package config

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/update"
)

// TestReportMode checks report mode's inputs: image and tag optional (the
// store stands in), no registry asked, report-file defaulted, and the
// combinations that make no sense named.
func TestReportMode(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{"GITHUB_TOKEN": "tok", "GITHUB_REPOSITORY_OWNER": "acme"})
	ok := func(args ...string) *Config {
		t.Helper()
		c, err := FromFlags("report", args, env, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return c
	}
	c := ok("--store", "acme/infra")
	if c.Mode != update.ModeReport || c.Target.Image.String() != "" || c.VerifyTag || c.ResolveDigest || c.ReportFile != "dfiu-report.json" {
		t.Errorf("store only: %+v", c)
	}
	c = ok("--image", "ghcr.io/acme/base", "--report-file", "out.json")
	if c.Target.Image.String() != "ghcr.io/acme/base" || c.Target.Tag != "" || c.ReportFile != "out.json" {
		t.Errorf("image only: %+v", c)
	}
	if c := ok("--image", "ubuntu", "--tag", "24.04"); c.Target.Tag != "24.04" {
		t.Errorf("image and tag: %+v", c.Target)
	}
	if c, err := FromAction(envOf(map[string]string{"INPUT_MODE": "Report", "INPUT_STORE": "acme/infra", "GITHUB_TOKEN": "t", "GITHUB_REPOSITORY_OWNER": "acme"})); err != nil || c.Mode != update.ModeReport {
		t.Errorf("mode: Report: %v", err)
	}
	for _, bad := range []struct {
		args  []string
		input string
	}{
		{nil, "store"},
		{[]string{"--store", "acme/infra", "--tag", "1.2"}, "tag"},
		{[]string{"--store", "acme/infra", "--digest", "sha256:" + strings.Repeat("a", 64)}, "digest"},
		{[]string{"--image", "ubuntu", "--tag", "no good"}, "tag"},
		{[]string{"--store", "acme/infra", "--repository", "acme/app"}, "repository"},
		{[]string{"--store", "acme/infra", "--report-file", ""}, ""},
	} {
		_, err := FromFlags("report", bad.args, env, io.Discard)
		var ie *InputError
		if bad.input == "" {
			// An empty flag takes the default.
			if err != nil {
				t.Errorf("%v: %v", bad.args, err)
			}
			continue
		}
		if !errors.As(err, &ie) || ie.Input != bad.input {
			t.Errorf("%v: error %v, want one naming %q", bad.args, err, bad.input)
		}
	}
}
