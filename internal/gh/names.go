package gh

import (
	"regexp"
	"strings"
)

// The shapes of GitHub's names, checked before a request is sent. A login
// is 1 to 39 letters, digits and hyphens, not starting with a hyphen (new
// accounts may not end with one either, but some old ones do); a
// repository name is 1 to 100 letters, digits, '.', '_' and '-', other
// than "." and "..".
var (
	ownerRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}$`)
	repoRE  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
)

// ValidOwner reports whether s can be a user or organisation login.
func ValidOwner(s string) bool { return ownerRE.MatchString(s) }

// ValidRepoName reports whether s can be a repository's name (without its
// owner).
func ValidRepoName(s string) bool { return repoRE.MatchString(s) && s != "." && s != ".." }

// ValidFullName reports whether s is "owner/name".
func ValidFullName(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	return ok && ValidOwner(owner) && ValidRepoName(name)
}
