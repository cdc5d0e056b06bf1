package dockerfile

import (
	_ "crypto/sha256" // go-digest accepts no sha256 digest unless this is linked
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// tagPattern is the tag grammar of the distribution reference, anchored.
var tagPattern = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)

// Validate checks the options before any file is read. Each error names the
// field and the value, e.g. `image "Ubuntu": repository name must be
// lowercase`.
func (o Options) Validate() error {
	_, err := o.validate()
	return err
}

// validated is the last Options validate accepted, with the image's
// normalised name. A run bumps one image across many files: this spares
// each file the reference and digest parsing.
type validated struct {
	image, tag, digest, ignoreComment string
	name                              string
}

var lastValidated atomic.Pointer[validated]

// validate checks the options and returns the image's normalised name.
func (o Options) validate() (string, error) {
	if v := lastValidated.Load(); v != nil && v.image == o.Image && v.tag == o.Tag && v.digest == o.Digest && v.ignoreComment == o.IgnoreComment {
		return v.name, nil
	}
	name, err := o.validateNew()
	if err == nil {
		lastValidated.Store(&validated{image: o.Image, tag: o.Tag, digest: o.Digest, ignoreComment: o.IgnoreComment, name: name})
	}
	return name, err
}

// validateNew is validate without the cache.
func (o Options) validateNew() (string, error) {
	if o.Image == "" {
		return "", errors.New("image: must not be empty")
	}
	name, err := normalizeName(o.Image)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", o.Image, err)
	}
	if strings.ContainsAny(o.Image, "@") || name.hasTag {
		return "", fmt.Errorf("image %q: must be a repository name without a tag or digest", o.Image)
	}
	if name.name == "docker.io/library/scratch" {
		return "", fmt.Errorf("image %q: scratch is not an image that can be bumped", o.Image)
	}
	return name.name, o.validateRest()
}

func (o Options) validateRest() error {
	if o.Tag == "" {
		return errors.New("tag: must not be empty")
	}
	if !tagPattern.MatchString(o.Tag) {
		return fmt.Errorf("tag %q: must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'", o.Tag)
	}
	if o.Digest != "" {
		if _, err := digest.Parse(o.Digest); err != nil {
			return fmt.Errorf("digest %q: %w", o.Digest, err)
		}
	}
	if o.IgnoreComment != "" {
		if strings.ContainsAny(o.IgnoreComment, "\r\n") {
			return fmt.Errorf("ignore comment %q: must be a single line", o.IgnoreComment)
		}
		if trimMarker(o.IgnoreComment) == "" {
			return fmt.Errorf("ignore comment %q: must contain more than '#' and spaces", o.IgnoreComment)
		}
	}
	return nil
}

// trimMarker trims the leading '#'s and the surrounding white space of a
// comment, so that "# no-dfiu", "#no-dfiu" and "no-dfiu" compare equal.
func trimMarker(s string) string {
	return strings.TrimSpace(strings.TrimLeft(s, "# \t"))
}

// normalized is a repository name in its canonical form
// ("docker.io/library/ubuntu").
type normalized struct {
	name   string
	hasTag bool
}

// normalizeName parses s, a repository name possibly followed by a tag or a
// digest, and returns its canonical repository name. It treats
// index.docker.io as docker.io, which reference.ParseNormalizedNamed does
// not.
func normalizeName(s string) (normalized, error) {
	if rest, ok := strings.CutPrefix(s, "index.docker.io/"); ok {
		s = "docker.io/" + rest
	}
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil && s != strings.ToLower(s) {
		if _, lerr := reference.ParseNormalizedNamed(strings.ToLower(s)); lerr == nil {
			return normalized{}, reference.ErrNameContainsUppercase
		}
	}
	if err != nil {
		return normalized{}, err
	}
	_, tagged := named.(reference.Tagged)
	return normalized{name: named.Name(), hasTag: tagged}, nil
}
