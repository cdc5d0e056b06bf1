package imageref

import (
	"errors"
	"strings"
	"testing"

	"github.com/distribution/reference"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{
		"ubuntu":                         {"docker.io/library/ubuntu", "ubuntu"},
		"library/ubuntu":                 {"docker.io/library/ubuntu", "ubuntu"},
		"docker.io/library/ubuntu":       {"docker.io/library/ubuntu", "ubuntu"},
		"index.docker.io/library/ubuntu": {"docker.io/library/ubuntu", "ubuntu"},
		"index.docker.io/ubuntu":         {"docker.io/library/ubuntu", "ubuntu"},
		"bitnami/redis":                  {"docker.io/bitnami/redis", "bitnami/redis"},
		"ghcr.io/acme/base":              {"ghcr.io/acme/base", "ghcr.io/acme/base"},
		"registry:5000/team/app":         {"registry:5000/team/app", "registry:5000/team/app"},
	} {
		n, err := Parse(in)
		if err != nil || n.Canonical() != want[0] || n.Familiar() != want[1] || n.String() != in {
			t.Errorf("Parse(%q) = %q %q %q, %v; want %q %q", in, n.Canonical(), n.Familiar(), n.String(), err, want[0], want[1])
		}
	}
	for in, want := range map[string]string{
		"":             "image: must not be empty",
		"Ubuntu":       `image "Ubuntu": repository name must be lowercase`,
		"ubuntu:22.04": `image "ubuntu:22.04": must be a repository name without a tag or digest`,
		"ubuntu@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": "without a tag or digest",
		"not valid": `image "not valid": invalid reference format`,
	} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error = %v, want %q", in, err, want)
		}
	}
}

func TestParseReference(t *testing.T) {
	t.Parallel()
	n, err := ParseReference("index.docker.io/library/ubuntu:22.04@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	if err != nil || !n.Same(MustParse("ubuntu")) {
		t.Errorf("ParseReference = %q, %v; want the name ubuntu", n.Canonical(), err)
	}
	if _, err := ParseReference("Ubuntu:20.04"); !errors.Is(err, reference.ErrNameContainsUppercase) {
		t.Errorf("ParseReference(Ubuntu:20.04) error = %v, want ErrNameContainsUppercase", err)
	}
}

func TestValidTag(t *testing.T) {
	t.Parallel()
	for tag, want := range map[string]bool{"24.04": true, "v1_2-rc.3": true, "-x": false, ".x": false, "a b": false, "": false} {
		if ValidTag(tag) != want {
			t.Errorf("ValidTag(%q) = %v, want %v", tag, !want, want)
		}
	}
}

func TestRegistry(t *testing.T) {
	for in, want := range map[string]string{
		"ubuntu":                       "docker.io",
		"index.docker.io/library/node": "docker.io",
		"ghcr.io/acme/base":            "ghcr.io",
		"registry.local:5000/team/app": "registry.local:5000",
		"localhost/app":                "localhost",
	} {
		if got := MustParse(in).Registry(); got != want {
			t.Errorf("Registry(%q) = %q, want %q", in, got, want)
		}
	}
}
