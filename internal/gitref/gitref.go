// Package gitref checks branch names as git does: CheckBranch accepts
// exactly the names `git check-ref-format --branch` accepts outside a
// repository (where @{-N} is not expanded), which is what GitHub's ref
// API accepts for refs/heads/<name>.
package gitref

import (
	"errors"
	"fmt"
	"strings"
)

// CheckBranch returns nil when name is a valid branch name, or an error
// saying which rule of git's it breaks. The rules are git's
// check_refname_format for "refs/heads/"+name (refs.c), plus
// strbuf_check_branch_ref's: no leading "-" and not "HEAD".
func CheckBranch(name string) error {
	switch {
	case name == "":
		return errors.New("is empty")
	case strings.HasPrefix(name, "-"):
		return errors.New(`starts with "-"`)
	case name == "HEAD":
		return errors.New(`is "HEAD"`)
	case strings.HasSuffix(name, "."):
		return errors.New(`ends with "."`)
	}
	for _, c := range strings.Split(name, "/") {
		if err := checkComponent(c); err != nil {
			return err
		}
	}
	return nil
}

// checkComponent applies git's check_refname_component to one
// slash-separated part.
func checkComponent(c string) error {
	switch {
	case c == "":
		return errors.New(`has an empty part ("//", or a leading or trailing "/")`)
	case strings.HasPrefix(c, "."):
		return fmt.Errorf("has a part starting with \".\" (%q)", c)
	case strings.HasSuffix(c, ".lock"):
		return fmt.Errorf("has a part ending with \".lock\" (%q)", c)
	case strings.Contains(c, ".."):
		return errors.New(`contains ".."`)
	case strings.Contains(c, "@{"):
		return errors.New(`contains "@{"`)
	}
	for i := 0; i < len(c); i++ {
		switch b := c[i]; {
		case b < 0x20 || b == 0x7f:
			return fmt.Errorf("contains the control character %q", b)
		case strings.IndexByte(" ~^:?*[\\", b) >= 0:
			return fmt.Errorf("contains %q", b)
		}
	}
	return nil
}
