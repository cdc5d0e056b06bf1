package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/gitref"
	"github.com/dfiu/dfiu/internal/store"
	"github.com/dfiu/dfiu/internal/update"
)

// FuzzInputs reads any values of the inputs whose checks are the most
// involved: either a Config comes back or every error is an *InputError
// naming a declared input, never the token; a Config holds a store
// location that parses back, a branch prefix git accepts and a target
// whose title renders.
func FuzzInputs(f *testing.F) {
	f.Add("parent", "ghcr.io/acme/base", "1.3", "", "acme/ops/s.json@main", "dfiu", "acme", "{{.Image}}", "4")
	f.Add("all", "", "", "", "acme/ops", "refs/heads/x", "acme,beta", "{{.Digest}}", "0")
	f.Add("child", "Ubuntu", "-x", "sha256:xyz", "acme/ops/new%41.json", "x.lock", "", "{{", "many")
	f.Add("PARENT", "ubuntu", "24.04", "", "acme/ops/a#b@-x", "-x", "a b", "", "33")
	names := map[string]bool{"flags": true}
	for _, in := range Inputs {
		names[in.Name] = true
	}
	const token = "ghp_fuzzSECRET"
	f.Fuzz(func(t *testing.T, mode, image, tag, digest, st, prefix, orgs, title, concurrency string) {
		env := map[string]string{
			"INPUT_MODE": mode, "INPUT_IMAGE": image, "INPUT_TAG": tag, "INPUT_DIGEST": digest, "INPUT_STORE": st,
			"INPUT_BRANCH-PREFIX": prefix, "INPUT_ORGS": orgs, "INPUT_PR-TITLE": title, "INPUT_CONCURRENCY": concurrency,
			"INPUT_REPOSITORY": "acme/svc", "INPUT_GITHUB-TOKEN": token,
		}
		if strings.Contains(title, "printf") || len(title) > 512 {
			return // output size is not what this target looks for
		}
		c, err := FromAction(func(k string) string { return env[k] })
		if (c == nil) == (err == nil) {
			t.Fatalf("config %v and error %v", c, err)
		}
		if err != nil {
			if strings.Contains(err.Error(), token) {
				t.Fatalf("the token is in the error %q", err)
			}
			errs := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			}
			for _, e := range errs {
				var ie *InputError
				if !errors.As(e, &ie) || !names[ie.Input] {
					t.Fatalf("error %v does not name an input", e)
				}
			}
			return
		}
		if c.Store != nil {
			if again, err := store.ParseLocation(c.Store.String()); err != nil || again != *c.Store {
				t.Fatalf("store %+v prints as %q, which parses to %+v, %v", *c.Store, c.Store.String(), again, err)
			}
		}
		if c.Mode != update.ModeAll {
			if err := gitref.CheckBranch(c.BranchPrefix + "/" + update.Slug(c.Target.Image)); err != nil || strings.HasPrefix(c.BranchPrefix, "refs/") {
				t.Fatalf("branch prefix %q accepted: %v", c.BranchPrefix, err)
			}
			if _, _, _, err := c.Templates.Render(update.SampleData(c.Target, c.BranchPrefix)); err != nil {
				t.Fatalf("accepted templates do not render: %v", err)
			}
		}
	})
}
