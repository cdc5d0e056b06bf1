package graphql

import (
	"sort"
	"strings"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// pullV is a pull request with its base repository.
type pullV struct {
	pr   state.PullRequest
	repo state.Repo
}

// labelV is a label; its repository is looked up when asked for.
type labelV struct {
	l state.Label
}

func (ec *execCtx) pull(pr state.PullRequest) (any, error) {
	r, err := ec.world().RepoByID(ec.actor, pr.RepoID)
	if err != nil {
		return nil, stateErr(err)
	}
	return pullV{pr: pr, repo: r}, nil
}

func prOf(src any) state.PullRequest { return src.(pullV).pr }

// prState is GraphQL's PullRequestState: OPEN, CLOSED (not merged) or
// MERGED.
func prState(p state.PullRequest) string {
	if p.Merged {
		return "MERGED"
	}
	return strings.ToUpper(p.State)
}

// inStates keeps the pull requests in one of states (GraphQL's
// PullRequestState values); no states keeps all.
func inStates(prs []state.PullRequest, states []string) []state.PullRequest {
	if len(states) == 0 {
		return prs
	}
	var out []state.PullRequest
	for _, p := range prs {
		for _, s := range states {
			if s == prState(p) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func init() {
	register("Repository", map[string]resolver{
		"pullRequests": func(ec *execCtx, src any, args map[string]any) (any, error) {
			r := repoOf(src)
			f := state.PRFilter{HeadRef: argString(args, "headRefName"), BaseRef: argString(args, "baseRefName")}
			prs, err := ec.world().FindPullRequests(ec.actor, r.ID, f)
			if err != nil {
				return nil, stateErr(err)
			}
			prs = inStates(prs, argStrings(args, "states"))
			if labels := argStrings(args, "labels"); len(labels) > 0 {
				kept := prs[:0]
				for _, p := range prs {
					if hasAnyLabel(p, labels) {
						kept = append(kept, p)
					}
				}
				prs = kept
			}
			// GraphQL lists oldest first unless orderBy says otherwise.
			field, desc := "CREATED_AT", false
			if ob, ok := args["orderBy"].(map[string]any); ok {
				field, _ = ob["field"].(string)
				desc = ob["direction"] == "DESC"
			}
			sort.SliceStable(prs, func(i, j int) bool {
				a, b := prs[i], prs[j]
				less := a.CreatedAt.Before(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.Number < b.Number
				if field == "UPDATED_AT" {
					less = a.UpdatedAt.Before(b.UpdatedAt) || a.UpdatedAt.Equal(b.UpdatedAt) && a.Number < b.Number
				}
				if desc {
					return !less
				}
				return less
			})
			items := make([]any, len(prs))
			for i, p := range prs {
				items[i] = pullV{pr: p, repo: r}
			}
			return connection(items, args)
		},
		"pullRequest": func(ec *execCtx, src any, args map[string]any) (any, error) {
			r := repoOf(src)
			n, _ := args["number"].(int)
			pr, err := ec.world().PullRequest(ec.actor, r.ID, n)
			if err != nil {
				return nil, errorf("NOT_FOUND", "Could not resolve to a PullRequest with the number of %d.", n)
			}
			return pullV{pr: pr, repo: r}, nil
		},
		"label": func(ec *execCtx, src any, args map[string]any) (any, error) {
			l, err := ec.world().Label(ec.actor, repoOf(src).ID, argString(args, "name"))
			if err != nil {
				return nil, nil
			}
			return labelV{l: l}, nil
		},
		"labels": func(ec *execCtx, src any, args map[string]any) (any, error) {
			ls, err := ec.world().Labels(ec.actor, repoOf(src).ID)
			if err != nil {
				return nil, stateErr(err)
			}
			q := strings.ToLower(argString(args, "query"))
			items := []any{}
			for _, l := range ls {
				if q == "" || strings.Contains(strings.ToLower(l.Name), q) {
					items = append(items, labelV{l: l})
				}
			}
			return connection(items, args)
		},
	})

	register("Ref", map[string]resolver{
		// associatedPullRequests lists the pull requests whose head is this
		// ref: in its repository, and from a fork in the fork's parent.
		"associatedPullRequests": func(ec *execCtx, src any, args map[string]any) (any, error) {
			rv := src.(refV)
			if !strings.HasPrefix(rv.ref.Name, "refs/heads/") {
				return connection(nil, args)
			}
			repos := []state.Repo{rv.repo}
			if rv.repo.Fork && rv.repo.ParentID != 0 {
				if p, err := ec.world().RepoByID(ec.actor, rv.repo.ParentID); err == nil {
					repos = append(repos, p)
				}
			}
			f := state.PRFilter{HeadRef: rv.ref.ShortName(), BaseRef: argString(args, "baseRefName")}
			var items []any
			for _, r := range repos {
				prs, err := ec.world().FindPullRequests(ec.actor, r.ID, f)
				if err != nil {
					continue
				}
				prs = inStates(prs, argStrings(args, "states"))
				for i := len(prs) - 1; i >= 0; i-- { // oldest first
					if prs[i].Head.RepoID == rv.repo.ID {
						items = append(items, pullV{pr: prs[i], repo: r})
					}
				}
			}
			return connection(items, args)
		},
	})

	register("Label", map[string]resolver{
		"id":    func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(labelV).l.NodeID, nil },
		"name":  func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(labelV).l.Name, nil },
		"color": func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(labelV).l.Color, nil },
		"description": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			if d := src.(labelV).l.Description; d != "" {
				return d, nil
			}
			return nil, nil
		},
		"isDefault": func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(labelV).l.Default, nil },
	})

	register("PullRequest", map[string]resolver{
		"id":          func(_ *execCtx, src any, _ map[string]any) (any, error) { return prOf(src).NodeID, nil },
		"databaseId":  func(_ *execCtx, src any, _ map[string]any) (any, error) { return int(prOf(src).ID), nil },
		"number":      func(_ *execCtx, src any, _ map[string]any) (any, error) { return prOf(src).Number, nil },
		"title":       func(_ *execCtx, src any, _ map[string]any) (any, error) { return prOf(src).Title, nil },
		"body":        func(_ *execCtx, src any, _ map[string]any) (any, error) { return prOf(src).Body, nil },
		"isDraft":     func(_ *execCtx, src any, _ map[string]any) (any, error) { return prOf(src).Draft, nil },
		"closed":      func(_ *execCtx, src any, _ map[string]any) (any, error) { return prOf(src).State == "closed", nil },
		"merged":      func(_ *execCtx, src any, _ map[string]any) (any, error) { return prOf(src).Merged, nil },
		"mergeable":   func(_ *execCtx, _ any, _ map[string]any) (any, error) { return "MERGEABLE", nil },
		"locked":      func(_ *execCtx, _ any, _ map[string]any) (any, error) { return false, nil },
		"createdAt":   func(_ *execCtx, src any, _ map[string]any) (any, error) { return dateTime(prOf(src).CreatedAt), nil },
		"updatedAt":   func(_ *execCtx, src any, _ map[string]any) (any, error) { return dateTime(prOf(src).UpdatedAt), nil },
		"headRefName": func(_ *execCtx, src any, _ map[string]any) (any, error) { return prOf(src).Head.Ref, nil },
		"baseRefName": func(_ *execCtx, src any, _ map[string]any) (any, error) { return prOf(src).Base.Ref, nil },
		"headRefOid":  func(_ *execCtx, src any, _ map[string]any) (any, error) { return prOf(src).Head.SHA, nil },
		"baseRefOid":  func(_ *execCtx, src any, _ map[string]any) (any, error) { return prOf(src).Base.SHA, nil },
		"repository":  func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(pullV).repo, nil },
		"isCrossRepository": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			p := prOf(src)
			return p.Head.RepoID != p.Base.RepoID, nil
		},
		"maintainerCanModify": func(_ *execCtx, _ any, _ map[string]any) (any, error) { return true, nil },
		"closedAt": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			if t := prOf(src).ClosedAt; t != nil {
				return dateTime(*t), nil
			}
			return nil, nil
		},
		"state": func(_ *execCtx, src any, _ map[string]any) (any, error) { return prState(prOf(src)), nil },
		"mergedAt": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			if t := prOf(src).MergedAt; t != nil {
				return dateTime(*t), nil
			}
			return nil, nil
		},
		"url": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			p := src.(pullV)
			if p.pr.HTMLURL != "" && ec.h.w.BaseURL() != "" {
				return p.pr.HTMLURL, nil
			}
			return ec.url(p.repo.FullName(), "pull", itoa(p.pr.Number)), nil
		},
		"permalink": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			p := src.(pullV)
			return ec.url(p.repo.FullName(), "pull", itoa(p.pr.Number)), nil
		},
		"author": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			u := prOf(src).User
			if u.Login == "" {
				return nil, nil
			}
			return u, nil
		},
		"baseRepository": func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(pullV).repo, nil },
		"headRepository": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			r, err := ec.world().RepoByID(ec.actor, prOf(src).Head.RepoID)
			if err != nil {
				return nil, nil
			}
			return r, nil
		},
		"headRepositoryOwner": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			r, err := ec.world().RepoByID(ec.actor, prOf(src).Head.RepoID)
			if err != nil {
				return nil, nil
			}
			return r.Owner, nil
		},
		"headRef": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			p := prOf(src)
			r, err := ec.world().RepoByID(ec.actor, p.Head.RepoID)
			if err != nil {
				return nil, nil
			}
			ref, err := ec.world().Ref(ec.actor, r.ID, "refs/heads/"+p.Head.Ref)
			if err != nil {
				return nil, nil
			}
			return refV{repo: r, ref: ref}, nil
		},
		"baseRef": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			p := src.(pullV)
			ref, err := ec.world().Ref(ec.actor, p.repo.ID, "refs/heads/"+p.pr.Base.Ref)
			if err != nil {
				return nil, nil
			}
			return refV{repo: p.repo, ref: ref}, nil
		},
		"labels": func(_ *execCtx, src any, args map[string]any) (any, error) {
			ls := prOf(src).Labels
			items := make([]any, len(ls))
			for i, l := range ls {
				items[i] = labelV{l: l}
			}
			return connection(items, args)
		},
		"commits": func(ec *execCtx, src any, args map[string]any) (any, error) {
			p := src.(pullV)
			cs, err := ec.world().CommitsBetween(ec.actor, p.repo.ID, p.pr.Base.SHA, p.pr.Head.SHA)
			if err != nil {
				return nil, stateErr(err)
			}
			head, err := ec.world().RepoByID(ec.actor, p.pr.Head.RepoID)
			if err != nil {
				head = p.repo
			}
			items := make([]any, len(cs))
			for i, c := range cs {
				items[i] = map[string]any{
					"id":          state.CommitNodeID(p.repo.ID, c.OID),
					"commit":      commitV{repo: head, c: c},
					"pullRequest": src,
					"url":         ec.url(p.repo.FullName(), "pull", itoa(p.pr.Number), "commits", c.OID),
				}
			}
			return connection(items, args)
		},
		"assignees": func(_ *execCtx, src any, args map[string]any) (any, error) {
			return connection(toAny(prOf(src).Assignees), args)
		},
		"reviewRequests": func(_ *execCtx, src any, args map[string]any) (any, error) {
			p := prOf(src)
			var items []any
			for _, u := range p.RequestedReviewers {
				items = append(items, map[string]any{"requestedReviewer": u, "asCodeOwner": false, "pullRequest": src})
			}
			for _, t := range p.RequestedTeams {
				items = append(items, map[string]any{"requestedReviewer": t, "asCodeOwner": false, "pullRequest": src})
			}
			return connection(items, args)
		},
		"autoMergeRequest": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			am := prOf(src).AutoMerge
			if am == nil {
				return nil, nil
			}
			var by any
			if am.EnabledBy.Login != "" {
				by = am.EnabledBy
			}
			return map[string]any{
				"enabledAt": dateTime(am.EnabledAt), "enabledBy": by, "mergeMethod": am.MergeMethod,
				"pullRequest": src, "authorEmail": nil, "commitHeadline": nil, "commitBody": nil,
			}, nil
		},
	})
}

func hasAnyLabel(p state.PullRequest, names []string) bool {
	for _, l := range p.Labels {
		for _, n := range names {
			if strings.EqualFold(l.Name, n) {
				return true
			}
		}
	}
	return false
}
