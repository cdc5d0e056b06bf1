package dockerfile

import (
	_ "crypto/sha256" // go-digest accepts no sha256 digest unless this is linked
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/dfiu/dfiu/internal/imageref"
)

// Validate checks the options before any file is read. Each error names the
// field and the value, e.g. `image "Ubuntu": repository name must be
// lowercase`, and is an *OptionError that says which field it is about.
func (o Options) Validate() error {
	_, err := o.Compile()
	return err
}

// OptionError is an invalid option. Field is the option's name as a user
// types it: "image", "tag", "digest", "ignore-comment" or "floating-tags".
// Its text is the underlying error's, which already names the value.
type OptionError struct {
	Field string
	Err   error
}

func (e *OptionError) Error() string { return e.Err.Error() }

func (e *OptionError) Unwrap() error { return e.Err }

// Rewriter is a validated Options, compiled once: a run bumps one image
// across many files, and each file is spared the parsing of the options.
// It is safe for concurrent use.
type Rewriter struct {
	t target
}

// Compile validates the options and returns the Rewriter that applies them.
func (o Options) Compile() (*Rewriter, error) {
	name, err := imageref.Parse(o.Image)
	if err == nil && name.Canonical() == "docker.io/library/scratch" {
		err = fmt.Errorf("image %q: scratch is not an image that can be bumped", o.Image)
	}
	if err != nil {
		return nil, &OptionError{Field: "image", Err: err}
	}
	if err := o.validateRest(); err != nil {
		return nil, err
	}
	if err := o.validatePolicy(); err != nil {
		return nil, &OptionError{Field: "floating-tags", Err: err}
	}
	c := name.Canonical()
	return &Rewriter{t: target{name: c, last: c[strings.LastIndexByte(c, '/')+1:], tag: o.Tag, digest: o.Digest,
		marker: o.marker(), policy: newPolicy(o)}}, nil
}

func (o Options) validateRest() error {
	bad := func(field string, err error) error { return &OptionError{Field: field, Err: err} }
	if o.Tag == "" {
		return bad("tag", errors.New("tag: must not be empty"))
	}
	if !imageref.ValidTag(o.Tag) {
		return bad("tag", fmt.Errorf("tag %q: must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'", o.Tag))
	}
	if o.Digest != "" {
		if _, err := digest.Parse(o.Digest); err != nil {
			return bad("digest", fmt.Errorf("digest %q: %w", o.Digest, err))
		}
	}
	if o.IgnoreComment != "" {
		if strings.ContainsAny(o.IgnoreComment, "\r\n") {
			return bad("ignore-comment", fmt.Errorf("ignore comment %q: must be a single line", o.IgnoreComment))
		}
		if trimMarker(o.IgnoreComment) == "" {
			return bad("ignore-comment", fmt.Errorf("ignore comment %q: must contain more than '#' and spaces", o.IgnoreComment))
		}
	}
	return nil
}

// trimMarker trims the leading '#'s and the surrounding white space of a
// comment, so that "# no-dfiu", "#no-dfiu" and "no-dfiu" compare equal.
func trimMarker(s string) string {
	return strings.TrimSpace(strings.TrimLeft(s, "# \t"))
}
