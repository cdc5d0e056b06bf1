package gh

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Propose commits in.Files on in.Branch and opens or updates the pull
// request. The commit is made by createCommitOnBranch
// (https://docs.github.com/graphql/reference/mutations#createcommitonbranch),
// so it is signed by GitHub, and its only parent is BaseOID.
//
// A new branch (BranchRefID "") takes one mutation document (one HTTP
// request) whose fields GitHub runs in order: createRef at BaseOID,
// createCommitOnBranch with expectedHeadOid BaseOID, createPullRequest
// (https://docs.github.com/graphql/reference/mutations#createref).
//
// An existing branch is never moved to BaseOID: GitHub closes an open pull
// request whose head has no commits over its base, for good. So it takes
// two or three documents (see proposeExisting): the commit is made on a
// temporary branch (TempBranch), then one atomic updateRefs moves our
// branch from BranchHeadOID straight to the commit and deletes the
// temporary branch, and only once that succeeded is the pull request
// opened, or updated when its title or body differ.
//
// A branch that moved since it was read gives an error wrapping
// ErrBranchMoved.
// Partial failure and what the caller does: on any error, re-read the
// repository with Hydrate and call Propose again with the fresh state
// (BranchRefID, BranchHeadOID, ExistingPR). GitHub runs every field of a
// document even when an earlier one fails, so after a failed commit on a
// new branch the pull-request step may still have opened a PR (from the
// branch as it stood); the result, non-nil with an empty CommitOID, then
// reports it, and the re-read finds it as ExistingPR. A failed move of an
// existing branch leaves its pull request untouched and deletes the
// temporary branch. When
// the outcome is unknown (a transport error, 5xx or timeout on a mutation,
// which the transport does not resend), the error wraps both
// ErrOutcomeUnknown and the cause, for the same reason. A temporary branch left behind by a
// failure is reset by the next call.
func (c *Client) Propose(ctx context.Context, in ProposeInput) (*ProposeResult, error) {
	res, err := c.propose(ctx, in)
	if err != nil && refusedByRule(err) {
		err = fmt.Errorf("%w: %w", ErrRefusedByRule, err)
	}
	return res, err
}

// refusedByRule reports whether err is a refusal by a repository ruleset
// ("Repository rule violations found", GH013: dependabot-core#9439,
// renovate#44819) or by classic branch protection (GH006 "Protected branch
// update failed"; GraphQL type BRANCH_PROTECTION_RULE_VIOLATION, which
// Thinkmill/keystatic#1598 reports rulesets do not use).
func refusedByRule(err error) bool {
	var ge *GraphQLError
	if errors.As(err, &ge) && ge.Type == "BRANCH_PROTECTION_RULE_VIOLATION" {
		return true
	}
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "repository rule violation") || strings.Contains(m, "protected branch")
}

func (c *Client) propose(ctx context.Context, in ProposeInput) (*ProposeResult, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	if in.BranchRefID != "" {
		return c.proposeExisting(ctx, in)
	}
	repo := in.Owner + "/" + in.Name
	doc, prField := buildProposeDocument(in)
	ans, err := c.postMutation(ctx, in, doc)
	if err != nil {
		return nil, err
	}

	oid, cerr := decodeCommit(ans, "ref")
	if cerr != nil {
		// The pull-request step ran regardless; report a PR it opened.
		return decodePartialPR(ans, prField, in), contentLimited(ans, fmt.Errorf("committing to %s on %s: %w", in.Branch, repo, cerr))
	}
	return c.finishPR(ctx, in, ans, prField, &ProposeResult{CommitOID: oid})
}

// contentLimited wraps a non-nil err with ErrContentLimited when a step of
// the answer was refused as submitted too quickly.
func contentLimited(ans *graphQLAnswer, err error) error {
	if err == nil {
		return nil
	}
	for _, e := range ans.Errors {
		if isTooQuickly(e.Type, e.Message) {
			return fmt.Errorf("%w: %w", ErrContentLimited, err)
		}
	}
	return err
}

// prLagRetries bounds the tries of a pull request GitHub refuses as if the
// fresh commit were not there yet; the waits double from prLagWait.
const (
	prLagRetries = 4
	prLagWait    = 2 * time.Second
)

// finishPR completes res with the pull request the pr field of ans opened
// or updated. Two refusals of createPullRequest are fixed by sending the
// pull-request step again, alone (the commit is already on the branch):
//   - "No commits between" or "Head sha can't be blank" right after the
//     commit: GitHub has not caught up with the push yet (the
//     createPullRequest answer quoted in wso2/mi-vscode#1608, the timing
//     diagnosis in microsoft/vscode-pull-request-github#5543). Retried
//     after 2, 4, 8 and 16 s.
//   - "Draft pull requests are not supported in this repository" (a plan
//     without drafts; cli/cli#520): opened as a normal pull request, and
//     res.DraftRefused says so.
func (c *Client) finishPR(ctx context.Context, in ProposeInput, ans *graphQLAnswer, prField string, res *ProposeResult) (*ProposeResult, error) {
	out, err := decodePR(ans, prField, in, res)
	wait := prLagWait
	for lagTries := 0; err != nil && prField == "createPullRequest"; {
		switch {
		case in.Draft && draftRefused(err):
			in.Draft = false
			res.DraftRefused = true
		case prLagging(err) && lagTries < prLagRetries:
			lagTries++
			c.opts.logger().InfoContext(ctx, "the pull request was refused as if the commit were not there yet; trying again",
				"repository", in.Owner+"/"+in.Name, "branch", in.Branch, "wait", wait)
			if serr := c.transport.clk.Sleep(ctx, wait); serr != nil {
				return out, err
			}
			wait *= 2
		default:
			return out, contentLimited(ans, err)
		}
		var b strings.Builder
		b.WriteString("mutation {\n")
		writePR(&b, in)
		b.WriteString("}\n")
		var perr error
		ans, perr = c.postMutation(ctx, in, b.String())
		if perr != nil {
			return res, perr
		}
		out, err = decodePR(ans, prField, in, res)
	}
	return out, contentLimited(ans, err)
}

func draftRefused(err error) bool {
	return strings.Contains(strings.ToLower(err.Error()), "draft pull requests are not supported")
}

func prLagging(err error) bool {
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "no commits between") || strings.Contains(m, "head sha can't be blank")
}

// TempBranch is the branch Propose makes a superseding commit on before it
// moves branch to it: branch + ".next". Dots and letters are not special
// in Actions' branch filters, so workflows can leave it out with
// branches-ignore.
func TempBranch(branch string) string { return branch + ".next" }

// zeroOID is git's "no object" id: as an updateRefs afterOid it deletes
// the ref.
const zeroOID = "0000000000000000000000000000000000000000"

// proposeExisting supersedes the commit on an existing branch, in two
// documents:
//
//  1. next: updateRefs puts TempBranch(Branch) at BaseOID (creating it, or
//     resetting one a failed run left behind, with force); commit:
//     createCommitOnBranch on it with expectedHeadOid BaseOID.
//  2. ref: updateRefs (https://docs.github.com/graphql/reference/mutations#updaterefs),
//     atomically, moves Branch from BranchHeadOID to the commit (force: the
//     old commit is replaced, not built on) and deletes the temporary
//     branch.
//  3. pr: createPullRequest, or updatePullRequest when the title or body
//     differ, only after the move succeeded. GitHub runs every field of a
//     document even after one failed, so in the move's document it would
//     retitle the pull request of a branch that was not moved.
//
// Branch goes from one commit ahead of an older base straight to one
// commit ahead of the current base, as a force push would move it, and
// its pull request stays open. The beforeOid check makes a branch that a
// person pushed to since it was read fail with STALE_DATA (ErrBranchMoved)
// instead of being forced over.
func (c *Client) proposeExisting(ctx context.Context, in ProposeInput) (*ProposeResult, error) {
	repo := in.Owner + "/" + in.Name
	tmp := TempBranch(in.Branch)
	var b strings.Builder
	b.WriteString("mutation {\n")
	fmt.Fprintf(&b, "  next: updateRefs(input: {repositoryId: %s, refUpdates: [{name: %s, afterOid: %s, force: true}]}) { clientMutationId }\n",
		quote(in.RepoID), quote("refs/heads/"+tmp), quote(in.BaseOID))
	writeCommit(&b, in, tmp)
	b.WriteString("}\n")
	ans, err := c.postMutation(ctx, in, b.String())
	if err != nil {
		return nil, err
	}
	oid, err := decodeCommit(ans, "next")
	if err != nil {
		return nil, contentLimited(ans, fmt.Errorf("committing to %s on %s: %w", tmp, repo, err))
	}

	ans, err = c.postMutation(ctx, in, buildMoveDocument(in, oid))
	if err != nil {
		return nil, err
	}
	if errs := ans.errorsFor("ref"); len(errs) > 0 {
		cause := joinGraphQL(errs)
		for _, e := range errs {
			if e.Type == "STALE_DATA" {
				cause = fmt.Errorf("%w: %w", ErrBranchMoved, cause)
				break
			}
		}
		// The move failed atomically, so the temporary branch still holds
		// the commit: delete it (only if it is still there).
		if derr := c.deleteTemp(ctx, in, oid); derr != nil {
			cause = fmt.Errorf("%w (and removing %s: %w)", cause, tmp, derr)
		}
		return nil, contentLimited(ans, fmt.Errorf("moving %s on %s to commit %s: %w", in.Branch, repo, oid, cause))
	}
	// Only now that the branch holds the commit is the pull request opened
	// or retitled: a failed move leaves it as it was.
	return c.proposePR(ctx, in, &ProposeResult{CommitOID: oid})
}

// deleteTemp deletes TempBranch(in.Branch) if it is still at oid.
func (c *Client) deleteTemp(ctx context.Context, in ProposeInput, oid string) error {
	doc := fmt.Sprintf("mutation {\n  next: updateRefs(input: {repositoryId: %s, refUpdates: [{name: %s, beforeOid: %s, afterOid: %s}]}) { clientMutationId }\n}\n",
		quote(in.RepoID), quote("refs/heads/"+TempBranch(in.Branch)), quote(oid), quote(zeroOID))
	ans, err := c.postMutation(ctx, in, doc)
	if err != nil {
		return err
	}
	if errs := ans.errorsFor("next"); len(errs) > 0 {
		return joinGraphQL(errs)
	}
	return nil
}

// proposePR opens or updates the pull request of in.Branch, which holds
// res.CommitOID, in a document of its own (none when the open pull request
// is already as wanted).
func (c *Client) proposePR(ctx context.Context, in ProposeInput, res *ProposeResult) (*ProposeResult, error) {
	var b strings.Builder
	b.WriteString("mutation {\n")
	prField := writePR(&b, in)
	b.WriteString("}\n")
	if prField == "" {
		return decodePR(nil, "", in, res)
	}
	ans, err := c.postMutation(ctx, in, b.String())
	if err != nil {
		return res, err
	}
	return c.finishPR(ctx, in, ans, prField, res)
}

// buildMoveDocument writes proposeExisting's second document: one atomic
// updateRefs that moves the branch from the head read to oid and deletes
// the temporary branch.
func buildMoveDocument(in ProposeInput, oid string) string {
	var b strings.Builder
	b.WriteString("mutation {\n")
	fmt.Fprintf(&b, "  ref: updateRefs(input: {repositoryId: %s, refUpdates: [{name: %s, beforeOid: %s, afterOid: %s, force: true}, {name: %s, beforeOid: %s, afterOid: %s}]}) { clientMutationId }\n",
		quote(in.RepoID), quote("refs/heads/"+in.Branch), quote(in.BranchHeadOID), quote(oid),
		quote("refs/heads/"+TempBranch(in.Branch)), quote(oid), quote(zeroOID))
	b.WriteString("}\n")
	return b.String()
}

// postMutation posts one of Propose's documents; an error says whether the
// outcome is unknown (wrapping ErrOutcomeUnknown) or the document failed.
func (c *Client) postMutation(ctx context.Context, in ProposeInput, doc string) (*graphQLAnswer, error) {
	ans, err := c.postGraphQL(ctx, doc)
	if err == nil {
		return ans, nil
	}
	repo := in.Owner + "/" + in.Name
	if ctx.Err() != nil {
		return nil, fmt.Errorf("proposing %s on %s: %w", in.Branch, repo, ctx.Err())
	}
	if errors.Is(err, ErrTimeBudget) { // not sent
		return nil, fmt.Errorf("proposing %s on %s: %w", in.Branch, repo, err)
	}
	if outcomeUnknown(err) {
		return nil, fmt.Errorf("proposing %s on %s: re-read and retry: %w: %w", in.Branch, repo, ErrOutcomeUnknown, err)
	}
	if ge := (*GraphQLError)(nil); errors.As(err, &ge) && isTooQuickly(ge.Type, ge.Message) {
		return nil, fmt.Errorf("proposing %s on %s: %w: %w", in.Branch, repo, ErrContentLimited, err)
	}
	return nil, fmt.Errorf("proposing %s on %s: %w", in.Branch, repo, err)
}

// OpenPullRequest opens the pull request for in.Branch, which already
// holds the commit (in.BranchHeadOID), with createPullRequest alone
// (https://docs.github.com/graphql/reference/mutations#createpullrequest):
// the one step left when a proposal's commit went through and its
// pull-request step was refused.
func (c *Client) OpenPullRequest(ctx context.Context, in ProposeInput) (*ProposeResult, error) {
	in.ExistingPR = nil
	if err := in.validate(); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("mutation {\n")
	prField := writePR(&b, in)
	b.WriteString("}\n")
	ans, err := c.postMutation(ctx, in, b.String())
	if err != nil {
		return nil, err
	}
	return c.finishPR(ctx, in, ans, prField, &ProposeResult{CommitOID: in.BranchHeadOID})
}

// decodeCommit returns the oid made by the "commit" field, or an error
// that joins its errors with those of refAlias, the step before it, and
// wraps ErrBranchMoved on STALE_DATA.
func decodeCommit(ans *graphQLAnswer, refAlias string) (string, error) {
	var commit struct {
		Commit *struct {
			OID string `json:"oid"`
		} `json:"commit"`
	}
	err := decodeField(ans, "commit", &commit)
	if err == nil && commit.Commit != nil {
		return commit.Commit.OID, nil
	}
	errs := ans.errorsFor("commit")
	var cause error
	switch {
	case len(errs) > 0:
		cause = joinGraphQL(errs)
	case err != nil:
		cause = err
	default:
		cause = errors.New("commit: no commit in the answer")
	}
	if refErrs := ans.errorsFor(refAlias); len(refErrs) > 0 {
		cause = fmt.Errorf("%w (branch step: %w)", cause, joinGraphQL(refErrs))
	}
	for _, e := range errs {
		if e.Type == "STALE_DATA" {
			return "", fmt.Errorf("%w: %w", ErrBranchMoved, cause)
		}
	}
	return "", cause
}

// decodePartialPR returns the pull request the pr step opened or updated
// although an earlier step failed, or nil.
func decodePartialPR(ans *graphQLAnswer, prField string, in ProposeInput) *ProposeResult {
	var pr struct {
		PullRequest *prJSON `json:"pullRequest"`
	}
	if prField != "" && decodeField(ans, "pr", &pr) == nil && pr.PullRequest != nil {
		return &ProposeResult{PR: pr.PullRequest.pullRequest(), Created: in.ExistingPR == nil}
	}
	return nil
}

// decodePR completes res with the pull request of the pr step (or
// in.ExistingPR when there was none).
func decodePR(ans *graphQLAnswer, prField string, in ProposeInput, res *ProposeResult) (*ProposeResult, error) {
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
		return res, fmt.Errorf("%s for %s on %s/%s (commit %s is on the branch): %w", prField, in.Branch, in.Owner, in.Name, res.CommitOID, cause)
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
	if in.BranchRefID != "" && strings.TrimSpace(in.BranchHeadOID) == "" {
		missing = append(missing, "BranchHeadOID")
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

// buildProposeDocument writes the document for a new branch and returns
// the name of the pull-request mutation in it ("" when there is none).
func buildProposeDocument(in ProposeInput) (doc, prField string) {
	var b strings.Builder
	b.WriteString("mutation {\n")
	fmt.Fprintf(&b, "  ref: createRef(input: {repositoryId: %s, name: %s, oid: %s}) { ref { id } }\n",
		quote(in.RepoID), quote("refs/heads/"+in.Branch), quote(in.BaseOID))
	writeCommit(&b, in, in.Branch)
	prField = writePR(&b, in)
	b.WriteString("}\n")
	return b.String(), prField
}

// writeCommit writes the commit field: createCommitOnBranch on branch with
// expectedHeadOid BaseOID.
func writeCommit(b *strings.Builder, in ProposeInput, branch string) {
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
	fmt.Fprintf(b, "  commit: createCommitOnBranch(input: {branch: {repositoryNameWithOwner: %s, branchName: %s}, expectedHeadOid: %s, message: {%s}, fileChanges: {additions: [%s]}}) { commit { oid } }\n",
		quote(in.Owner+"/"+in.Name), quote(branch), quote(in.BaseOID), msg, strings.Join(adds, ", "))
}

// writePR writes the pr field, if any, and returns its mutation's name.
func writePR(b *strings.Builder, in ProposeInput) string {
	switch {
	case in.ExistingPR == nil:
		fmt.Fprintf(b, "  pr: createPullRequest(input: {repositoryId: %s, baseRefName: %s, headRefName: %s, title: %s, body: %s, draft: %t}) { pullRequest { %s } }\n",
			quote(in.RepoID), quote(in.BaseBranch), quote(in.Branch), quote(in.Title), quote(in.Body), in.Draft, prFields)
		return "createPullRequest"
	case in.ExistingPR.Title != in.Title || in.ExistingPR.Body != in.Body:
		fmt.Fprintf(b, "  pr: updatePullRequest(input: {pullRequestId: %s, title: %s, body: %s}) { pullRequest { %s } }\n",
			quote(in.ExistingPR.ID), quote(in.Title), quote(in.Body), prFields)
		return "updatePullRequest"
	}
	return ""
}

const prFields = "id number url title body headRefOid"

type prJSON struct {
	ID      string `json:"id"`
	Number  int    `json:"number"`
	URL     string `json:"url"`
	Title   string `json:"title"`
	Body    string `json:"body"`
	HeadOID string `json:"headRefOid"`
}

func (p *prJSON) pullRequest() PullRequest {
	return PullRequest{ID: p.ID, Number: p.Number, URL: p.URL, Title: p.Title, Body: p.Body, HeadOID: p.HeadOID}
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
			err = contentLimited(ans, joinGraphQL(errs))
		} else if errs := ans.Errors; len(errs) > 0 {
			err = contentLimited(ans, joinGraphQL(errs))
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
// back as notes, not errors. Steps GitHub refuses as "was submitted too
// quickly" after the earlier ones ran are sent again alone, once the
// transport has waited out the limit (up to maxDecorateRounds times). Other
// failures are joined, each naming its step.
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
	pr := quote(d.PRID)
	var steps []decorationStep
	if len(d.LabelIDs) > 0 {
		steps = append(steps, decorationStep{"labels", fmt.Sprintf("addLabelsToLabelable(input: {labelableId: %s, labelIds: %s}) { clientMutationId }", pr, quoteList(d.LabelIDs))})
	}
	if len(d.UserIDs) > 0 || len(d.TeamIDs) > 0 {
		steps = append(steps, decorationStep{"reviews", fmt.Sprintf("requestReviews(input: {pullRequestId: %s, userIds: %s, teamIds: %s, union: true}) { clientMutationId }", pr, quoteList(d.UserIDs), quoteList(d.TeamIDs))})
	}
	if len(d.AssigneeIDs) > 0 {
		steps = append(steps, decorationStep{"assignees", fmt.Sprintf("addAssigneesToAssignable(input: {assignableId: %s, assigneeIds: %s}) { clientMutationId }", pr, quoteList(d.AssigneeIDs))})
	}
	if d.AutoMerge != "" {
		steps = append(steps, decorationStep{"autoMerge", fmt.Sprintf("enablePullRequestAutoMerge(input: {pullRequestId: %s, mergeMethod: %s}) { clientMutationId }", pr, d.AutoMerge)})
	}
	var errs []error
	// Steps GitHub refuses as submitted too quickly after earlier ones ran
	// are sent again, alone; the transport waits out the limit first.
	for round := 0; len(steps) > 0; round++ {
		var b strings.Builder
		b.WriteString("mutation {\n")
		for _, s := range steps {
			fmt.Fprintf(&b, "  %s: %s\n", s.alias, s.field)
		}
		b.WriteString("}\n")
		ans, err := c.postGraphQL(ctx, b.String())
		if err != nil {
			if ge := (*GraphQLError)(nil); errors.As(err, &ge) && isTooQuickly(ge.Type, ge.Message) {
				err = fmt.Errorf("%w: %w", ErrContentLimited, err)
			}
			return notes, fmt.Errorf("decorating pull request %s: %w", d.PRID, errors.Join(append(errs, err)...))
		}
		var again []decorationStep
		for _, e := range ans.Errors {
			switch {
			case e.alias() == "autoMerge" && tolerableAutoMerge(e.Message):
				notes = append(notes, "auto-merge not enabled: "+e.Message)
			case isTooQuickly(e.Type, e.Message) && round < maxDecorateRounds:
				for _, s := range steps {
					if s.alias == e.alias() {
						again = append(again, s)
					}
				}
			case isTooQuickly(e.Type, e.Message):
				errs = append(errs, fmt.Errorf("%w: %w", ErrContentLimited, e))
			case e.alias() == "reviews" && len(d.UserIDs)+len(d.TeamIDs) > 1:
				// GitHub refuses the whole request when one reviewer
				// cannot be asked (the pull request's author, a user or
				// team that is not a collaborator), and requests none
				// (Madrapps/add-reviewers#5, peter-evans/create-pull-request#1835):
				// ask each reviewer on their own.
				errs = append(errs, c.requestEach(ctx, d)...)
			default:
				errs = append(errs, e)
			}
		}
		steps = again
	}
	if len(errs) > 0 {
		return notes, fmt.Errorf("decorating pull request %s: %w", d.PRID, errors.Join(errs...))
	}
	return notes, nil
}

// maxDecorateRounds bounds how often Decorate sends the steps GitHub
// refused as submitted too quickly.
const maxDecorateRounds = 3

// decorationStep is one top-level field of Decorate's document.
type decorationStep struct{ alias, field string }

// requestEach requests each reviewer of d in an aliased field of its own
// (u0…, t0…) of one document, and returns the refusals.
func (c *Client) requestEach(ctx context.Context, d Decoration) []error {
	var b strings.Builder
	b.WriteString("mutation {\n")
	pr := quote(d.PRID)
	for i, id := range d.UserIDs {
		fmt.Fprintf(&b, "  u%d: requestReviews(input: {pullRequestId: %s, userIds: [%s], union: true}) { clientMutationId }\n", i, pr, quote(id))
	}
	for i, id := range d.TeamIDs {
		fmt.Fprintf(&b, "  t%d: requestReviews(input: {pullRequestId: %s, teamIds: [%s], union: true}) { clientMutationId }\n", i, pr, quote(id))
	}
	b.WriteString("}\n")
	ans, err := c.postGraphQL(ctx, b.String())
	if err != nil {
		return []error{fmt.Errorf("requesting reviewers one by one: %w", err)}
	}
	var errs []error
	for _, e := range ans.Errors {
		id, a := "", e.alias()
		if len(a) > 1 {
			i, err := strconv.Atoi(a[1:])
			switch {
			case err != nil:
			case a[0] == 'u' && i < len(d.UserIDs):
				id = d.UserIDs[i]
			case a[0] == 't' && i < len(d.TeamIDs):
				id = d.TeamIDs[i]
			}
		}
		errs = append(errs, fmt.Errorf("reviewer %s not requested: %w", id, e))
	}
	return errs
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
