// Package imageref is dfiu's one image-name type. An image name is parsed
// once, where it enters (an input, a store key, a reference in a file), and
// passed down as a Name; nothing below parses the string again.
//
// The rules are those of github.com/distribution/reference, the grammar
// Docker and every registry use:
//
//   - A name is an optional registry host (with an optional :port) and a
//     path of lower-case components separated by "/": "ubuntu",
//     "bitnami/redis", "ghcr.io/acme/base", "registry:5000/team/app".
//   - Without a host the registry is Docker Hub, "docker.io" (the legacy
//     host index.docker.io is the same); a Docker Hub name of one component
//     is in "library/": "ubuntu", "library/ubuntu" and
//     "docker.io/library/ubuntu" are one name, whose canonical form is the
//     last.
//   - Upper-case letters are not allowed in the path; such a name is
//     rejected with reference.ErrNameContainsUppercase.
//   - A Name never carries a tag or a digest: Parse rejects them, and
//     ParseReference accepts and drops them.
//
// Two Names are the same image when their canonical forms are equal; the
// spelling given is kept for display, store keys and files.
package imageref

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

// Name is a parsed image repository name. The zero Name is no name.
type Name struct {
	given     string // as written, without tag or digest
	canonical string // e.g. "docker.io/library/ubuntu"
	familiar  string // e.g. "ubuntu"
}

// Parse reads a repository name without a tag or digest, such as an input
// or a store key. Its errors start with `image "<s>": `.
func Parse(s string) (Name, error) {
	if s == "" {
		return Name{}, errors.New("image: must not be empty")
	}
	n, tagged, digested, err := parse(s)
	if err != nil {
		return Name{}, fmt.Errorf("image %q: %w", s, err)
	}
	if tagged || digested {
		return Name{}, fmt.Errorf("image %q: must be a repository name without a tag or digest", s)
	}
	return n, nil
}

// MustParse is Parse for names known to be valid; it panics otherwise.
func MustParse(s string) Name {
	n, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return n
}

// ParseReference reads a reference as a file writes it, a name optionally
// followed by :tag and @digest, and returns the name, which is given as
// its familiar form. Its errors are reference's, such as
// reference.ErrNameContainsUppercase.
func ParseReference(s string) (Name, error) {
	n, _, _, err := parse(s)
	n.given = n.familiar
	return n, err
}

func parse(s string) (n Name, tagged, digested bool, err error) {
	if s == "" {
		return Name{}, false, false, errors.New("empty image name")
	}
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		if s != strings.ToLower(s) {
			if _, lerr := reference.ParseNormalizedNamed(strings.ToLower(s)); lerr == nil {
				return Name{}, false, false, reference.ErrNameContainsUppercase
			}
		}
		return Name{}, false, false, err
	}
	_, tagged = named.(reference.Tagged)
	_, digested = named.(reference.Digested)
	return Name{given: s, canonical: named.Name(), familiar: reference.FamiliarName(named)}, tagged, digested, nil
}

// String returns the name as it was given to Parse, e.g. "ubuntu".
func (n Name) String() string { return n.given }

// Canonical returns the fully qualified name, e.g.
// "docker.io/library/ubuntu"; names are the same image when these agree.
func (n Name) Canonical() string { return n.canonical }

// Familiar returns the shortest name Docker accepts for the image, e.g.
// "ubuntu" or "ghcr.io/acme/base".
func (n Name) Familiar() string { return n.familiar }

// Registry returns the registry host (with its port, if any) the name
// lives in, e.g. "docker.io" or "ghcr.io".
func (n Name) Registry() string {
	host, _, _ := strings.Cut(n.canonical, "/")
	return host
}

// Same reports whether n and o are the same image.
func (n Name) Same(o Name) bool { return n.canonical == o.canonical }

// tagRE is the tag grammar of the distribution reference, anchored.
var tagRE = regexp.MustCompile(`^` + reference.TagRegexp.String() + `$`)

// ValidTag reports whether tag is a valid tag: 1 to 128 letters, digits,
// '_', '.' or '-', not starting with '.' or '-'.
func ValidTag(tag string) bool { return tagRE.MatchString(tag) }
