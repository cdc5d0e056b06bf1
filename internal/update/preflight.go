package update

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dfiu/dfiu/internal/gh"
)

// InputError is an input that GitHub's answers show to be wrong (an
// organisation that does not exist, a store on a missing branch, a token
// GitHub refuses, an endpoint that does not answer). Its message names the
// input, like the configuration's own errors, and nothing has been
// written.
type InputError struct {
	Input string
	Err   error
}

func (e *InputError) Error() string { return fmt.Sprintf("input %q: %v", e.Input, e.Err) }

func (e *InputError) Unwrap() error { return e.Err }

// Preflighter is the client's preflight (*gh.Client has it). A client
// without one (a test's fake) skips the preflight.
type Preflighter interface {
	Preflight(ctx context.Context, owners []string, repos []gh.PreflightRepo) (*gh.PreflightResult, error)
}

// Located is a store that says where it is, so that the preflight can
// check it.
type Located interface {
	Where() gh.PreflightRepo
}

// preflight checks, with two read requests and before the first write,
// everything GitHub can tell about the inputs: both endpoints answer and
// accept the token, the organisations exist, the child repository exists,
// and the store's repository, branch and file exist and, when the run will
// write it, that the token may push there. It returns every problem
// found, each an *InputError.
func (r *runner) preflight(ctx context.Context, st Store, rep *Report) error {
	pf, ok := r.c.(Preflighter)
	if !ok {
		return nil
	}
	defer r.phase("Preflight")()
	var owners []string
	if r.opts.Mode != ModeChild {
		owners = r.opts.Orgs
	}
	var repos []gh.PreflightRepo
	storeAt, child := -1, -1
	if l, ok := st.(Located); ok {
		storeAt = len(repos)
		repos = append(repos, l.Where())
	}
	if r.opts.Mode == ModeChild {
		owner, name, _ := strings.Cut(r.opts.Repository, "/")
		child = len(repos)
		repos = append(repos, gh.PreflightRepo{Owner: owner, Name: name})
	}
	res, err := pf.Preflight(ctx, owners, repos)
	if err != nil {
		return preflightError(err)
	}
	r.log.Info("preflight", "viewer", res.Viewer)
	var errs []error
	bad := func(input, format string, args ...any) {
		errs = append(errs, &InputError{Input: input, Err: fmt.Errorf(format, args...)})
	}
	for _, o := range res.MissingOwners {
		bad("orgs", "%q is not an organisation or user on GitHub, or the token cannot see it", o)
	}
	if child >= 0 && !res.Repos[child].Found {
		bad("repository", "%s does not exist, or the token (%s) cannot see it", r.opts.Repository, res.Viewer)
	}
	if storeAt >= 0 {
		r.checkStore(st.(Located).Where(), res.Repos[storeAt], res.Viewer, rep, bad)
	}
	return errors.Join(errs...)
}

// checkStore judges the store's location from the preflight's answer.
func (r *runner) checkStore(loc gh.PreflightRepo, s gh.PreflightRepoState, viewer string, rep *Report, bad func(input, format string, args ...any)) {
	repo := loc.Owner + "/" + loc.Name
	branch := loc.Branch
	if branch == "" {
		branch = s.DefaultBranch
	}
	records := r.opts.Mode != ModeAll && !r.opts.DryRun
	switch {
	case !s.Found:
		bad("store", "repository %s does not exist, or the token (%s) cannot see it", repo, viewer)
		return
	case !s.BranchFound && loc.Branch != "":
		bad("store", "branch %q does not exist in %s", loc.Branch, repo)
		return
	case !s.BranchFound:
		bad("store", "repository %s is empty: it has no default branch to keep the store on", repo)
		return
	case !s.FileFound && r.opts.Mode == ModeAll:
		bad("store", "%s does not exist in %s on branch %s: all mode has nothing to roll out (check the path)", loc.Path, repo, branch)
		return
	case !s.FileFound:
		rep.Notes = append(rep.Notes, fmt.Sprintf("the store file %s does not exist in %s on branch %s; it is created", loc.Path, repo, branch))
	}
	if !records {
		return
	}
	if s.Archived {
		bad("store", "repository %s is archived (read-only): the tag cannot be recorded", repo)
		return
	}
	switch s.Permission {
	case "ADMIN", "MAINTAIN", "WRITE", "":
	default:
		bad("github-token", "lacks a permission: it may only read the store's repository %s (%s); recording the tag needs write access (Contents: write)", repo, s.Permission)
	}
}

// preflightError names the input behind a failed preflight request.
func preflightError(err error) error {
	var ee *gh.EndpointError
	switch {
	case errors.As(err, &ee) && ee.API == "REST":
		return &InputError{Input: "github-api-url", Err: err}
	case errors.As(err, &ee):
		return &InputError{Input: "github-graphql-url", Err: err}
	case errors.Is(err, gh.ErrBadCredentials), errors.Is(err, gh.ErrForbidden):
		return &InputError{Input: "github-token", Err: err}
	}
	return fmt.Errorf("preflight: %w", err)
}
