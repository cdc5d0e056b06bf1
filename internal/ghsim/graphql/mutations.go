package graphql

import (
	"encoding/base64"
	"strings"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// mutationName is the name GitHub uses in permission errors: createRef is
// executed as `CreateRef`.
func mutationName(field string) string {
	if field == "" {
		return field
	}
	return strings.ToUpper(field[:1]) + field[1:]
}

// writeErr maps a state error from a write to GitHub's GraphQL error.
func (ec *execCtx) writeErr(err error) error {
	if isKind(err, state.Forbidden) && !strings.Contains(err.Error(), "archived") {
		name := ""
		if ec.field != nil {
			name = ec.field.Name
		}
		return errorf("FORBIDDEN", "%s does not have the correct permissions to execute `%s`", ec.actor.Login, mutationName(name))
	}
	return stateErr(err)
}

func nodeNotFound(id string) error {
	return errorf("NOT_FOUND", "Could not resolve to a node with the global id of '%s'", id)
}

func (ec *execCtx) repoByNode(id string) (state.Repo, error) {
	r, err := ec.world().RepoByNodeID(ec.actor, id)
	if err != nil {
		return state.Repo{}, nodeNotFound(id)
	}
	return r, nil
}

func (ec *execCtx) refByNode(id string) (refV, error) {
	n, err := ec.world().ResolveNode(ec.actor, id)
	if err != nil || n.Ref == nil {
		return refV{}, nodeNotFound(id)
	}
	r, err := ec.world().RepoByID(ec.actor, n.Ref.RepoID)
	if err != nil {
		return refV{}, nodeNotFound(id)
	}
	return refV{repo: r, ref: *n.Ref}, nil
}

func (ec *execCtx) pullByNode(id string) (pullV, error) {
	pr, err := ec.world().PullRequestByNodeID(ec.actor, id)
	if err != nil {
		return pullV{}, nodeNotFound(id)
	}
	r, err := ec.world().RepoByID(ec.actor, pr.RepoID)
	if err != nil {
		return pullV{}, nodeNotFound(id)
	}
	return pullV{pr: pr, repo: r}, nil
}

// labelNames resolves label node ids to names.
func (ec *execCtx) labelNames(ids []string) ([]string, error) {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		n, err := ec.world().ResolveNode(ec.actor, id)
		if err != nil || n.Label == nil {
			return nil, nodeNotFound(id)
		}
		names = append(names, n.Label.Name)
	}
	return names, nil
}

// logins resolves user node ids to logins.
func (ec *execCtx) logins(ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		n, err := ec.world().ResolveNode(ec.actor, id)
		if err != nil || n.Account == nil || !n.Account.IsUser() {
			return nil, nodeNotFound(id)
		}
		out = append(out, n.Account.Login)
	}
	return out, nil
}

func (ec *execCtx) viewer() any {
	a, err := ec.world().Viewer(ec.actor)
	if err != nil {
		return nil
	}
	return a
}

func payload(in map[string]any, kv ...any) map[string]any {
	m := map[string]any{"clientMutationId": in["clientMutationId"]}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func init() {
	register("Mutation", map[string]resolver{
		"createRef": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			in := argInput(args)
			r, err := ec.repoByNode(argString(in, "repositoryId"))
			if err != nil {
				return nil, err
			}
			ref, err := ec.world().CreateRef(ec.actor, r.ID, argString(in, "name"), argString(in, "oid"))
			if err != nil {
				return nil, ec.writeErr(err)
			}
			return payload(in, "ref", refV{repo: r, ref: ref}), nil
		},
		"updateRef": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			in := argInput(args)
			rv, err := ec.refByNode(argString(in, "refId"))
			if err != nil {
				return nil, err
			}
			force, _ := argBool(in, "force")
			ref, err := ec.world().UpdateRef(ec.actor, rv.repo.ID, rv.ref.Name, argString(in, "oid"), force)
			if err != nil {
				return nil, ec.writeErr(err)
			}
			return payload(in, "ref", refV{repo: rv.repo, ref: ref}), nil
		},
		"deleteRef": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			in := argInput(args)
			rv, err := ec.refByNode(argString(in, "refId"))
			if err != nil {
				return nil, err
			}
			if err := ec.world().DeleteRef(ec.actor, rv.repo.ID, rv.ref.Name); err != nil {
				return nil, ec.writeErr(err)
			}
			return payload(in), nil
		},
		"updateRefs": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			in := argInput(args)
			r, err := ec.repoByNode(argString(in, "repositoryId"))
			if err != nil {
				return nil, err
			}
			var ups []state.RefUpdate
			raw, _ := in["refUpdates"].([]any)
			for _, x := range raw {
				m, _ := x.(map[string]any)
				force, _ := argBool(m, "force")
				ups = append(ups, state.RefUpdate{Name: argString(m, "name"), AfterOID: argString(m, "afterOid"),
					BeforeOID: argString(m, "beforeOid"), Force: force})
			}
			if err := ec.world().UpdateRefs(ec.actor, r.ID, ups); err != nil {
				return nil, ec.writeErr(err)
			}
			return payload(in), nil
		},
		"createCommitOnBranch": createCommitOnBranch,
		"createPullRequest":    createPullRequest,
		"updatePullRequest": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			in := argInput(args)
			p, err := ec.pullByNode(argString(in, "pullRequestId"))
			if err != nil {
				return nil, err
			}
			var patch state.PRPatch
			if s, ok := in["title"].(string); ok {
				patch.Title = &s
			}
			if s, ok := in["body"].(string); ok {
				patch.Body = &s
			}
			if s, ok := in["baseRefName"].(string); ok {
				patch.Base = &s
			}
			if s, ok := in["state"].(string); ok {
				st := strings.ToLower(s)
				patch.State = &st
			}
			pr, err := ec.world().UpdatePullRequest(ec.actor, p.repo.ID, p.pr.Number, patch)
			if err != nil {
				return nil, ec.writeErr(err)
			}
			if _, ok := in["labelIds"]; ok {
				names, err := ec.labelNames(argStrings(in, "labelIds"))
				if err != nil {
					return nil, err
				}
				if _, err := ec.world().SetLabels(ec.actor, p.repo.ID, p.pr.Number, names); err != nil {
					return nil, ec.writeErr(err)
				}
			}
			if _, ok := in["assigneeIds"]; ok {
				logins, err := ec.logins(argStrings(in, "assigneeIds"))
				if err != nil {
					return nil, err
				}
				if pr, err = ec.world().SetAssignees(ec.actor, p.repo.ID, p.pr.Number, logins); err != nil {
					return nil, ec.writeErr(err)
				}
			}
			pr, err = ec.world().PullRequest(ec.actor, p.repo.ID, pr.Number)
			if err != nil {
				return nil, stateErr(err)
			}
			return payload(in, "pullRequest", pullV{pr: pr, repo: p.repo}, "actor", ec.viewer()), nil
		},
		"closePullRequest": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			in := argInput(args)
			p, err := ec.pullByNode(argString(in, "pullRequestId"))
			if err != nil {
				return nil, err
			}
			pr, err := ec.world().ClosePullRequest(ec.actor, p.repo.ID, p.pr.Number)
			if err != nil {
				return nil, ec.writeErr(err)
			}
			return payload(in, "pullRequest", pullV{pr: pr, repo: p.repo}), nil
		},
		"addLabelsToLabelable": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			in := argInput(args)
			p, err := ec.pullByNode(argString(in, "labelableId"))
			if err != nil {
				return nil, err
			}
			names, err := ec.labelNames(argStrings(in, "labelIds"))
			if err != nil {
				return nil, err
			}
			if _, err := ec.world().AddLabels(ec.actor, p.repo.ID, p.pr.Number, names, false); err != nil {
				return nil, ec.writeErr(err)
			}
			pr, err := ec.world().PullRequest(ec.actor, p.repo.ID, p.pr.Number)
			if err != nil {
				return nil, stateErr(err)
			}
			return payload(in, "labelable", pullV{pr: pr, repo: p.repo}), nil
		},
		"addAssigneesToAssignable": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			in := argInput(args)
			p, err := ec.pullByNode(argString(in, "assignableId"))
			if err != nil {
				return nil, err
			}
			logins, err := ec.logins(argStrings(in, "assigneeIds"))
			if err != nil {
				return nil, err
			}
			pr, err := ec.world().AddAssignees(ec.actor, p.repo.ID, p.pr.Number, logins)
			if err != nil {
				return nil, ec.writeErr(err)
			}
			return payload(in, "assignable", pullV{pr: pr, repo: p.repo}), nil
		},
		"requestReviews": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			in := argInput(args)
			p, err := ec.pullByNode(argString(in, "pullRequestId"))
			if err != nil {
				return nil, err
			}
			users, err := ec.logins(argStrings(in, "userIds"))
			if err != nil {
				return nil, err
			}
			var teams []string
			for _, id := range argStrings(in, "teamIds") {
				n, err := ec.world().ResolveNode(ec.actor, id)
				if err != nil || n.Team == nil {
					return nil, nodeNotFound(id)
				}
				teams = append(teams, n.Team.Slug)
			}
			union, _ := argBool(in, "union")
			pr, err := ec.world().RequestReviewers(ec.actor, p.repo.ID, p.pr.Number, users, teams, union)
			if err != nil {
				return nil, ec.writeErr(err)
			}
			return payload(in, "pullRequest", pullV{pr: pr, repo: p.repo}, "actor", ec.viewer(), "requestedReviewersEdge", nil), nil
		},
		"enablePullRequestAutoMerge": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			in := argInput(args)
			p, err := ec.pullByNode(argString(in, "pullRequestId"))
			if err != nil {
				return nil, err
			}
			if want := argString(in, "expectedHeadOid"); want != "" && want != p.pr.Head.SHA {
				return nil, errorf("UNPROCESSABLE", "Expected head oid \"%s\" does not match the pull request's head \"%s\".", want, p.pr.Head.SHA)
			}
			pr, err := ec.world().EnableAutoMerge(ec.actor, p.repo.ID, p.pr.Number, argString(in, "mergeMethod"))
			if err != nil {
				return nil, ec.writeErr(err)
			}
			return payload(in, "pullRequest", pullV{pr: pr, repo: p.repo}, "actor", ec.viewer()), nil
		},
	})
}

func createCommitOnBranch(ec *execCtx, _ any, args map[string]any) (any, error) {
	in := argInput(args)
	br, _ := in["branch"].(map[string]any)
	var (
		repo   state.Repo
		branch string
	)
	if id := argString(br, "id"); id != "" {
		rv, err := ec.refByNode(id)
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(rv.ref.Name, "refs/heads/") {
			return nil, errorf("UNPROCESSABLE", "The ref must be a branch.")
		}
		repo, branch = rv.repo, rv.ref.Name
	} else {
		nwo, name := argString(br, "repositoryNameWithOwner"), argString(br, "branchName")
		if nwo == "" || name == "" {
			return nil, errorf("UNPROCESSABLE", "Either the branch id, or repositoryNameWithOwner and branchName, must be given.")
		}
		owner, rname, _ := strings.Cut(nwo, "/")
		r, err := ec.world().RepoByName(ec.actor, owner, rname)
		if err != nil {
			return nil, errorf("NOT_FOUND", "Could not resolve to a Repository with the name '%s'.", nwo)
		}
		repo, branch = r, name
	}
	ci := state.CommitInput{Branch: branch, ExpectedHeadOID: argString(in, "expectedHeadOid"), Additions: map[string][]byte{}}
	seen := map[string]bool{}
	changes, _ := in["fileChanges"].(map[string]any)
	adds, _ := changes["additions"].([]any)
	for _, a := range adds {
		m, _ := a.(map[string]any)
		path := argString(m, "path")
		if seen[path] {
			return nil, errorf("UNPROCESSABLE", "The path '%s' appears more than once in the file changes.", path)
		}
		seen[path] = true
		data, err := base64.StdEncoding.DecodeString(argString(m, "contents"))
		if err != nil {
			return nil, errorf("UNPROCESSABLE", "The contents of '%s' are not valid base64.", path)
		}
		ci.Additions[path] = data
	}
	dels, _ := changes["deletions"].([]any)
	for _, d := range dels {
		m, _ := d.(map[string]any)
		path := argString(m, "path")
		if seen[path] {
			return nil, errorf("UNPROCESSABLE", "The path '%s' appears more than once in the file changes.", path)
		}
		seen[path] = true
		ci.Deletions = append(ci.Deletions, path)
	}
	msg, _ := in["message"].(map[string]any)
	ci.Headline, ci.Body = argString(msg, "headline"), argString(msg, "body")
	c, err := ec.world().CommitOnBranch(ec.actor, repo.ID, ci)
	if err != nil {
		return nil, ec.writeErr(err)
	}
	var ref any
	if r, err := ec.world().Ref(ec.actor, repo.ID, "refs/heads/"+strings.TrimPrefix(branch, "refs/heads/")); err == nil {
		ref = refV{repo: repo, ref: r}
	}
	return payload(in, "commit", commitV{repo: repo, c: c}, "ref", ref), nil
}

func createPullRequest(ec *execCtx, _ any, args map[string]any) (any, error) {
	in := argInput(args)
	r, err := ec.repoByNode(argString(in, "repositoryId"))
	if err != nil {
		return nil, err
	}
	np := state.NewPullRequest{
		Base:  argString(in, "baseRefName"),
		Head:  argString(in, "headRefName"),
		Title: argString(in, "title"),
		Body:  argString(in, "body"),
	}
	np.Draft, _ = argBool(in, "draft")
	if id := argString(in, "headRepositoryId"); id != "" {
		hr, err := ec.repoByNode(id)
		if err != nil {
			return nil, err
		}
		np.HeadRepoID = hr.ID
	}
	pr, err := ec.world().CreatePullRequest(ec.actor, r.ID, np)
	if err != nil {
		var se *state.Error
		if isKind(err, state.Invalid) && asStateErr(err, &se) && se.Message == "Validation Failed" {
			switch se.Field {
			case "head":
				return nil, errorf("UNPROCESSABLE", "Head sha can't be blank, Head ref must be a branch")
			case "base":
				return nil, errorf("UNPROCESSABLE", "Base ref must be a branch")
			case "title":
				return nil, errorf("UNPROCESSABLE", "Title can't be blank")
			}
		}
		return nil, ec.writeErr(err)
	}
	return payload(in, "pullRequest", pullV{pr: pr, repo: r}), nil
}
