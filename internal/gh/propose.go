package gh

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Propose commits in.Files on in.Branch and opens or updates the pull
// request, in one GraphQL mutation document (one HTTP request) whose fields
// GitHub runs in order:
//
//  1. ref: createRef at BaseOID when BranchRefID is "", else updateRef to
//     BaseOID with force (https://docs.github.com/graphql/reference/mutations#createref);
//  2. commit: createCommitOnBranch with expectedHeadOid BaseOID, so the new
//     commit's parent is the base head and it is signed by GitHub
//     (https://docs.github.com/graphql/reference/mutations#createcommitonbranch);
//  3. pr: createPullRequest when ExistingPR is nil, else updatePullRequest,
//     and only when the title or body differ.
//
// A moved branch (STALE_DATA) gives an error wrapping ErrStale. A failed
// ref step is ignored when the commit still landed: the commit's check of
// the head against BaseOID already proves the branch is right.
//
// Partial failure and what the caller does: on any error, re-read the
// repository with Hydrate and call Propose again with the fresh state
// (BranchRefID, ExistingPR). Every call starts by resetting the branch to
// the base, so a retry converges whatever the previous call left behind (a
// branch at the base after a failed commit, or a commit without its PR).
// GitHub runs every field of the document even when an earlier one fails,
// so after a failed commit the pull-request step may still have opened or
// updated the PR (from the branch as it stood); the result, non-nil with an
// empty CommitOID, then reports it, and the re-read finds it as ExistingPR.
// When the outcome is unknown (a transport error, 5xx or timeout on the
// mutation, which the transport does not resend), the error wraps both
// ErrStale and the cause, for the same reason.
func (c *Client) Propose(ctx context.Context, in ProposeInput) (*ProposeResult, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	repo := in.Owner + "/" + in.Name
	doc, prField := buildProposeDocument(in)
	ans, err := c.postGraphQL(ctx, doc)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("proposing %s on %s: %w", in.Branch, repo, ctx.Err())
		}
		if outcomeUnknown(err) {
			return nil, fmt.Errorf("proposing %s on %s: outcome unknown, re-read and retry: %w: %w", in.Branch, repo, ErrStale, err)
		}
		return nil, fmt.Errorf("proposing %s on %s: %w", in.Branch, repo, err)
	}

	var commit struct {
		Commit *struct {
			OID string `json:"oid"`
		} `json:"commit"`
	}
	if err := decodeField(ans, "commit", &commit); err != nil || commit.Commit == nil {
		errs := ans.errorsFor("commit")
		refErrs := ans.errorsFor("ref")
		var cause error
		switch {
		case len(errs) > 0:
			cause = joinGraphQL(errs)
		case err != nil:
			cause = err
		default:
			cause = errors.New("commit: no commit in the answer")
		}
		if len(refErrs) > 0 {
			cause = fmt.Errorf("%w (branch step: %w)", cause, joinGraphQL(refErrs))
		}
		// The pull-request step ran regardless; report a PR it opened.
		var partial *ProposeResult
		var pr struct {
			PullRequest *prJSON `json:"pullRequest"`
		}
		if prField != "" && decodeField(ans, "pr", &pr) == nil && pr.PullRequest != nil {
			partial = &ProposeResult{PR: pr.PullRequest.pullRequest(), Created: in.ExistingPR == nil}
		}
		for _, e := range errs {
			if e.Type == "STALE_DATA" {
				return partial, fmt.Errorf("committing to %s on %s: %w: %w", in.Branch, repo, ErrStale, cause)
			}
		}
		return partial, fmt.Errorf("committing to %s on %s: %w", in.Branch, repo, cause)
	}
	res := &ProposeResult{CommitOID: commit.Commit.OID}

	if prField == "" {
		res.PR = *in.ExistingPR
		return res, nil
	}
	var pr struct {
		PullRequest *prJSON `json:"pullRequest"`
	}
	if err := decodeField(ans, "pr", &pr); err != nil || pr.PullRequest == nil {
		cause := err
		if errs := ans.errorsFor("pr"); len(errs) > 0 {
			cause = joinGraphQL(errs)
		} else if cause == nil {
			cause = errors.New("pr: no pull request in the answer")
		}
		return res, fmt.Errorf("%s for %s on %s (commit %s is on the branch): %w", prField, in.Branch, repo, res.CommitOID, cause)
	}
	res.PR = pr.PullRequest.pullRequest()
	res.Created = in.ExistingPR == nil
	return res, nil
}

func (in ProposeInput) validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"RepoID", in.RepoID}, {"Owner", in.Owner}, {"Name", in.Name},
		{"BaseBranch", in.BaseBranch}, {"BaseOID", in.BaseOID}, {"Branch", in.Branch},
		{"Message.Headline", in.Message.Headline},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if in.ExistingPR == nil && strings.TrimSpace(in.Title) == "" {
		missing = append(missing, "Title")
	}
	if len(missing) > 0 {
		return fmt.Errorf("propose on %s/%s: missing %s", in.Owner, in.Name, strings.Join(missing, ", "))
	}
	if len(in.Files) == 0 {
		return fmt.Errorf("propose on %s/%s: no files to commit", in.Owner, in.Name)
	}
	if in.Branch == in.BaseBranch {
		return fmt.Errorf("propose on %s/%s: branch %q is the base branch", in.Owner, in.Name, in.Branch)
	}
	for p := range in.Files {
		if p == "" || strings.HasPrefix(p, "/") {
			return fmt.Errorf("propose on %s/%s: path %q: want a relative path", in.Owner, in.Name, p)
		}
	}
	return nil
}

// buildProposeDocument writes the mutation document and returns the name
// of the pull-request mutation in it ("" when there is none).
func buildProposeDocument(in ProposeInput) (doc, prField string) {
	var b strings.Builder
	b.WriteString("mutation {\n")
	if in.BranchRefID == "" {
		fmt.Fprintf(&b, "  ref: createRef(input: {repositoryId: %s, name: %s, oid: %s}) { ref { id } }\n",
			quote(in.RepoID), quote("refs/heads/"+in.Branch), quote(in.BaseOID))
	} else {
		fmt.Fprintf(&b, "  ref: updateRef(input: {refId: %s, oid: %s, force: true}) { ref { id } }\n",
			quote(in.BranchRefID), quote(in.BaseOID))
	}
	paths := make([]string, 0, len(in.Files))
	for p := range in.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var adds []string
	for _, p := range paths {
		adds = append(adds, fmt.Sprintf("{path: %s, contents: %s}", quote(p), quote(base64.StdEncoding.EncodeToString(in.Files[p]))))
	}
	msg := "headline: " + quote(in.Message.Headline)
	if in.Message.Body != "" {
		msg += ", body: " + quote(in.Message.Body)
	}
	fmt.Fprintf(&b, "  commit: createCommitOnBranch(input: {branch: {repositoryNameWithOwner: %s, branchName: %s}, expectedHeadOid: %s, message: {%s}, fileChanges: {additions: [%s]}}) { commit { oid } }\n",
		quote(in.Owner+"/"+in.Name), quote(in.Branch), quote(in.BaseOID), msg, strings.Join(adds, ", "))
	switch {
	case in.ExistingPR == nil:
		prField = "createPullRequest"
		fmt.Fprintf(&b, "  pr: createPullRequest(input: {repositoryId: %s, baseRefName: %s, headRefName: %s, title: %s, body: %s, draft: %t}) { pullRequest { %s } }\n",
			quote(in.RepoID), quote(in.BaseBranch), quote(in.Branch), quote(in.Title), quote(in.Body), in.Draft, prFields)
	case in.ExistingPR.Title != in.Title || in.ExistingPR.Body != in.Body:
		prField = "updatePullRequest"
		fmt.Fprintf(&b, "  pr: updatePullRequest(input: {pullRequestId: %s, title: %s, body: %s}) { pullRequest { %s } }\n",
			quote(in.ExistingPR.ID), quote(in.Title), quote(in.Body), prFields)
	}
	b.WriteString("}\n")
	return b.String(), prField
}

const prFields = "id number url title body"

type prJSON struct {
	ID     string `json:"id"`
	Number int    `json:"number"`
	URL    string `json:"url"`
	Title  string `json:"title"`
	Body   string `json:"body"`
}

func (p *prJSON) pullRequest() PullRequest {
	return PullRequest{ID: p.ID, Number: p.Number, URL: p.URL, Title: p.Title, Body: p.Body}
}

// outcomeUnknown reports whether a mutation document may have been
// applied although no answer says so.
func outcomeUnknown(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode >= 500
	}
	var ge *GraphQLError
	if errors.As(err, &ge) {
		return isSomethingWentWrong(ge.Message)
	}
	return true // a transport error: the request may have reached GitHub
}

// decodeField decodes the data of one top-level alias; a null or missing
// field leaves v untouched.
func decodeField(ans *graphQLAnswer, alias string, v any) error {
	raw, ok := ans.Data[alias]
	if !ok || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decoding %s: %w", alias, err)
	}
	return nil
}

func joinGraphQL(errs []*GraphQLError) error {
	if len(errs) == 1 {
		return errs[0]
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// UpdatePR sets a pull request's title and body
// (https://docs.github.com/graphql/reference/mutations#updatepullrequest).
func (c *Client) UpdatePR(ctx context.Context, prID, title, body string) error {
	if prID == "" {
		return errors.New("updating pull request: empty id")
	}
	doc := fmt.Sprintf("mutation {\n  pr: updatePullRequest(input: {pullRequestId: %s, title: %s, body: %s}) { pullRequest { id } }\n}\n",
		quote(prID), quote(title), quote(body))
	ans, err := c.postGraphQL(ctx, doc)
	if err == nil {
		if errs := ans.errorsFor("pr"); len(errs) > 0 {
			err = joinGraphQL(errs)
		} else if errs := ans.Errors; len(errs) > 0 {
			err = joinGraphQL(errs)
		}
	}
	if err != nil {
		return fmt.Errorf("updating pull request %s: %w", prID, err)
	}
	return nil
}

// Decorate adds labels, reviewers (union), assignees and auto-merge to a
// pull request in one mutation document (one request; none when there is
// nothing to add): addLabelsToLabelable, requestReviews with union: true,
// addAssigneesToAssignable and enablePullRequestAutoMerge
// (https://docs.github.com/graphql/reference/mutations). Tolerable
// refusals of auto-merge ("Pull request is in clean status": the PR can be
// merged already; "Auto merge is not allowed for this repository") come
// back as notes, not errors. Other failures are joined, each naming its
// step.
func (c *Client) Decorate(ctx context.Context, d Decoration) (notes []string, err error) {
	if len(d.LabelIDs) == 0 && len(d.UserIDs) == 0 && len(d.TeamIDs) == 0 && len(d.AssigneeIDs) == 0 && d.AutoMerge == "" {
		return nil, nil
	}
	if d.PRID == "" {
		return nil, errors.New("decorating pull request: empty id")
	}
	switch d.AutoMerge {
	case "", "MERGE", "SQUASH", "REBASE":
	default:
		return nil, fmt.Errorf("decorating pull request %s: auto-merge method %q: want MERGE, SQUASH or REBASE", d.PRID, d.AutoMerge)
	}
	var b strings.Builder
	b.WriteString("mutation {\n")
	pr := quote(d.PRID)
	if len(d.LabelIDs) > 0 {
		fmt.Fprintf(&b, "  labels: addLabelsToLabelable(input: {labelableId: %s, labelIds: %s}) { clientMutationId }\n", pr, quoteList(d.LabelIDs))
	}
	if len(d.UserIDs) > 0 || len(d.TeamIDs) > 0 {
		fmt.Fprintf(&b, "  reviews: requestReviews(input: {pullRequestId: %s, userIds: %s, teamIds: %s, union: true}) { clientMutationId }\n", pr, quoteList(d.UserIDs), quoteList(d.TeamIDs))
	}
	if len(d.AssigneeIDs) > 0 {
		fmt.Fprintf(&b, "  assignees: addAssigneesToAssignable(input: {assignableId: %s, assigneeIds: %s}) { clientMutationId }\n", pr, quoteList(d.AssigneeIDs))
	}
	if d.AutoMerge != "" {
		fmt.Fprintf(&b, "  autoMerge: enablePullRequestAutoMerge(input: {pullRequestId: %s, mergeMethod: %s}) { clientMutationId }\n", pr, d.AutoMerge)
	}
	b.WriteString("}\n")
	ans, err := c.postGraphQL(ctx, b.String())
	if err != nil {
		return nil, fmt.Errorf("decorating pull request %s: %w", d.PRID, err)
	}
	var errs []error
	for _, e := range ans.Errors {
		if e.alias() == "autoMerge" && tolerableAutoMerge(e.Message) {
			notes = append(notes, "auto-merge not enabled: "+e.Message)
			continue
		}
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return notes, fmt.Errorf("decorating pull request %s: %w", d.PRID, errors.Join(errs...))
	}
	return notes, nil
}

func tolerableAutoMerge(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "clean status") || strings.Contains(m, "auto merge is not allowed")
}

func quoteList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = quote(id)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
