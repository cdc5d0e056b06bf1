package update

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/dfiu/dfiu/internal/gh"
)

// applyAll carries out the plans that need writes, Concurrency at a time.
// Every plan is applied; one failing never stops the others.
func (r *runner) applyAll(ctx context.Context, plans []*plan, hyd *gh.HydrateResult) {
	var g errgroup.Group
	g.SetLimit(r.opts.Concurrency)
	for _, p := range plans {
		if p.write == writeNone {
			continue
		}
		if r.opts.DryRun {
			switch p.result.Action {
			case Created:
				p.result.Action = WouldCreate
			case Updated:
				p.result.Action = WouldUpdate
			}
			continue
		}
		g.Go(func() error {
			r.apply(ctx, p, hyd)
			r.log.Info("applied", "repository", p.result.Repository, "image", p.result.Image,
				"action", p.result.Action, "pr", p.result.URL, "reason", p.result.Reason)
			return nil
		})
	}
	_ = g.Wait() // apply records failures in the results
}

// apply makes one plan's writes. After a branch that moved under us
// (gh.ErrBranchMoved) or a write whose answer was lost
// (gh.ErrOutcomeUnknown), the repository is read again, re-planned and
// retried once; a lost answer whose write the re-read shows applied is
// reported as done. After a step GitHub refused as submitted too quickly
// (gh.ErrContentLimited: its content-creation limit, met after earlier
// steps ran) the same happens up to maxLimitedRetries times, so that only
// what did not happen is redone; the client holds every request back for
// the limit's wait meanwhile. A write that would have to wait past the
// time budget (gh.ErrTimeBudget) leaves the repository Deferred.
//
// A write a repository rule refused (gh.ErrRefusedByRule) leaves the
// repository Skipped with the rule's message, and no later plan of the run
// writes to it.
func (r *runner) apply(ctx context.Context, p *plan, hyd *gh.HydrateResult) {
	if err := ctx.Err(); err != nil {
		p.fail(err)
		return
	}
	key := repoKey(p.cand.owner, p.cand.name)
	if why, ok := r.refused.Load(key); ok {
		p.result.Action = Skipped
		p.result.Reason = joinReasons(fmt.Sprintf("not written: %s", why), p.result.Reason)
		return
	}
	r.applyWrites(ctx, p, hyd)
	if p.result.Action == Failed && p.ruleRefusal != nil {
		why := fmt.Sprintf("a rule of the repository refused a write: %v", p.ruleRefusal)
		r.refused.Store(key, why)
		p.result.Action = Skipped
		p.result.Reason = why
		p.result.Warnings = append(p.result.Warnings, fmt.Sprintf("%s: %s; no further writes to it in this run", p.result.Repository, why))
	}
}

// applyWrites makes the writes of apply.
func (r *runner) applyWrites(ctx context.Context, p *plan, hyd *gh.HydrateResult) {
	intended := p.result.Action
	reread, limited := false, 0
	for {
		var out *gh.ProposeResult
		var err error
		switch p.write {
		case writeRetitle:
			if err = r.c.UpdatePR(ctx, p.prID, p.in.Title, p.in.Body); err == nil {
				p.result.Action = Updated
				return
			}
			err = fmt.Errorf("updating pull request #%d: %w", p.result.Number, err)
		case writeOpenPR:
			out, err = r.c.OpenPullRequest(ctx, p.in)
		default:
			out, err = r.c.Propose(ctx, p.in)
		}
		if err == nil {
			r.done(ctx, p, out, hyd)
			return
		}
		moved, lost, throttled := errors.Is(err, gh.ErrBranchMoved), errors.Is(err, gh.ErrOutcomeUnknown), errors.Is(err, gh.ErrContentLimited)
		switch {
		case errors.Is(err, gh.ErrTimeBudget):
			p.fail(err)
			return
		case throttled && limited < maxLimitedRetries:
			limited++
		case (moved || lost) && !reread:
			reread = true
		default:
			p.fail(err)
			return
		}
		why := "branch moved"
		switch {
		case throttled:
			why = "GitHub refused a step as submitted too quickly"
		case lost:
			why = "the answer to a write was lost"
		}
		r.log.Info(why+"; reading the repository again", "repository", p.result.Repository, "branch", p.in.Branch)
		fresh, herr := r.c.Hydrate(ctx, []gh.RepoRequest{p.req}, nil, nil, r.opts.BatchSize)
		if herr != nil {
			p.fail(fmt.Errorf("reading %s again after %s: %w", p.result.Repository, why, herr))
			return
		}
		v := viewerOf(fresh)
		if v.login == "" {
			v = viewerOf(hyd)
		}
		r.plan(p, fresh.Repos[repoKey(p.cand.owner, p.cand.name)], v)
		if p.write == writeNone {
			if (lost || throttled) && p.result.Action == Unchanged && p.result.Number != 0 {
				// The write was applied after all: the branch and its pull
				// request are what it proposed.
				p.result.Action = intended
				p.result.Reason = joinReasons(p.result.Reason, why+"; reading the repository again showed it applied")
				if br := p.repo.Branches[p.in.Branch]; intended == Created && br != nil && br.PR != nil {
					notes := r.decorate(ctx, p, br.PR.ID, hyd)
					p.result.Reason = joinReasons(p.result.Reason, strings.Join(notes, "; "))
				}
			}
			return
		}
	}
}

// maxLimitedRetries bounds how often one repository's proposal is re-read
// and redone after GitHub refused a step as submitted too quickly. The
// back-offs between them (one minute, doubling up to ten) add up to more
// than GitHub's hour window, so a budget another client used up is waited
// out; the time budget usually ends the wait first (Deferred).
const maxLimitedRetries = 12

// done records a successful proposal and decorates a new pull request.
func (r *runner) done(ctx context.Context, p *plan, out *gh.ProposeResult, hyd *gh.HydrateResult) {
	p.result.Number, p.result.URL = out.PR.Number, out.PR.URL
	if out.DraftRefused {
		p.draftRefused = true
		p.result.Reason = joinReasons(p.result.Reason, "draft pull requests are not supported in this repository; opened a normal pull request")
	}
	if !out.Created {
		p.result.Action = Updated
		return
	}
	p.result.Action = Created
	notes := r.decorate(ctx, p, out.PR.ID, hyd)
	p.result.Reason = joinReasons(p.result.Reason, strings.Join(notes, "; "))
}

// fail records err as the plan's outcome: Deferred when the time budget
// ran out before the write could be made, Failed otherwise. An error that
// is GitHub refusing the token, or refusing it a permission, names
// github-token.
func (p *plan) fail(err error) {
	if errors.Is(err, gh.ErrRefusedByRule) {
		p.ruleRefusal = err
	}
	if errors.Is(err, gh.ErrTimeBudget) {
		p.result.Action = Deferred
		p.result.Reason = "time-budget reached before this repository's writes; left for the next run"
		return
	}
	p.result.Action = Failed
	p.result.Reason = err.Error()
	switch tp := gh.TokenProblem(err); {
	case errors.Is(tp, gh.ErrBadCredentials):
		p.result.Reason = fmt.Sprintf("github-token: %v: %s", tp, p.result.Reason)
	case tp != nil:
		p.result.Reason = "github-token lacks a permission (it needs Contents and Pull requests: write): " + p.result.Reason
	}
}

// decorate adds labels, reviewers, assignees and auto-merge to a new pull
// request. What cannot be done (a label, user or team that does not exist,
// auto-merge not allowed or the PR already mergeable) comes back as notes.
func (r *runner) decorate(ctx context.Context, p *plan, prID string, hyd *gh.HydrateResult) []string {
	var notes []string
	d := gh.Decoration{PRID: prID}
	repo := p.repo
	for _, l := range r.opts.Labels {
		if id := lookupFold(repo.Labels, l); id != "" {
			d.LabelIDs = append(d.LabelIDs, id)
		} else {
			notes = append(notes, fmt.Sprintf("label %q does not exist in %s/%s; not added", l, repo.Owner, repo.Name))
		}
	}
	for _, u := range r.opts.Reviewers {
		if id := lookupFold(hyd.Users, u); id != "" {
			d.UserIDs = append(d.UserIDs, id)
		} else if hyd.UsersErr != nil {
			notes = append(notes, fmt.Sprintf("reviewer %q not requested: users could not be looked up: %v", u, hyd.UsersErr))
		} else {
			notes = append(notes, fmt.Sprintf("reviewer %q not found", u))
		}
	}
	for _, t := range r.opts.TeamReviewers {
		key := t
		if !strings.Contains(t, "/") {
			key = repo.Owner + "/" + t
		}
		if id := lookupFold(hyd.Teams, key); id != "" {
			d.TeamIDs = append(d.TeamIDs, id)
		} else if hyd.TeamsErr != nil {
			notes = append(notes, fmt.Sprintf("team %q not requestable: the token cannot read teams (a classic token needs the read:org scope, a GitHub App the organisation permission Members: read): %v", key, hyd.TeamsErr))
		} else {
			notes = append(notes, fmt.Sprintf("team %q not found", key))
		}
	}
	for _, u := range r.opts.Assignees {
		if id := lookupFold(hyd.Users, u); id != "" {
			d.AssigneeIDs = append(d.AssigneeIDs, id)
		} else {
			notes = append(notes, fmt.Sprintf("assignee %q not found", u))
		}
	}
	switch {
	case r.opts.AutoMerge == "":
	case r.opts.Draft && !p.draftRefused:
		notes = append(notes, "auto-merge not enabled on a draft pull request")
	case !repo.AutoMergeAllowed:
		notes = append(notes, "auto-merge is not allowed in this repository")
	default:
		d.AutoMerge = r.opts.AutoMerge
	}
	if len(d.LabelIDs)+len(d.UserIDs)+len(d.TeamIDs)+len(d.AssigneeIDs) == 0 && d.AutoMerge == "" {
		return notes
	}
	more, err := r.c.Decorate(ctx, d)
	notes = append(notes, more...)
	if err != nil {
		notes = append(notes, fmt.Sprintf("decorating the pull request: %v", err))
		p.result.Warnings = append(p.result.Warnings, fmt.Sprintf("%s: decorating pull request #%d failed: %v", p.result.Repository, p.result.Number, err))
	}
	return notes
}

// lookupFold finds key in m, exactly or else case-insensitively.
func lookupFold(m map[string]string, key string) string {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// collect returns the results of the plans for image ti.
func collect(plans []*plan, ti int) []Result {
	var out []Result
	for _, p := range plans {
		if p.ti == ti {
			out = append(out, p.result)
		}
	}
	return out
}
