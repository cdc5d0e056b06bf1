package ghsim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shurcooL/githubv4"

	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/limiter"
)

// gqlAnswer is a decoded GraphQL answer.
type gqlAnswer struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		Path    []any  `json:"path"`
	} `json:"errors"`
}

// postGraphQL sends a document as the Action's raw poster does, through the
// validator (which checks the answer against schema.graphql).
func (s *confSim) postGraphQL(t *testing.T, token, query string, vars map[string]any) (int, gqlAnswer) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.httpClient(token).Post(s.ts.URL+"/api/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var ans gqlAnswer
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &ans); err != nil {
			t.Fatalf("decoding GraphQL answer: %v: %s", err, clip(raw))
		}
	}
	return resp.StatusCode, ans
}

func (a gqlAnswer) errorFor(alias string) (typ, msg string, ok bool) {
	for _, e := range a.Errors {
		if len(e.Path) > 0 && e.Path[0] == alias {
			return e.Type, e.Message, true
		}
	}
	return "", "", false
}

func jsonString(t *testing.T, raw json.RawMessage, path ...string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// TestGraphQLActionDocuments sends the documents the Action sends (FACTS.md
// §2–§3: one batched hydration query, then createRef + createCommitOnBranch
// in one document, createPullRequest, then labels, reviewers and auto-merge
// in one document) and checks every answer against the schema, and the
// errors GitHub gives (NOT_FOUND, STALE_DATA, auto-merge refusals) by type
// and path.
func TestGraphQLActionDocuments(t *testing.T) {
	t.Parallel()
	sim := newConfSim(t, ghsim.Seed{
		Users: []string{"alice"},
		Tokens: []ghsim.SeedToken{
			{Token: "outsider-token", Login: "outsider", Default: "none"},
		},
		Repos: []ghsim.SeedRepo{
			{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n", "svc/Dockerfile": "FROM golang:1.22\n"}, Labels: []string{"dependencies"}, AutoMergeAllowed: true},
			{Name: "acme/web", Files: map[string]string{"Dockerfile": "FROM nginx:1.25\n"}},
			{Name: "acme/secret", Private: true, Files: map[string]string{"Dockerfile": "FROM alpine\n"}},
		},
	})

	hydrate := `query {
	  r0: repository(owner: "acme", name: "app") {
	    id nameWithOwner isArchived isFork isDisabled isEmpty isPrivate viewerPermission autoMergeAllowed
	    defaultBranchRef { name target { oid } }
	    f0: object(expression: "HEAD:Dockerfile") { ... on Blob { text isBinary isTruncated byteSize oid } }
	    f1: object(expression: "HEAD:svc/Dockerfile") { ... on Blob { text isBinary isTruncated byteSize oid } }
	    f2: object(expression: "HEAD:missing/Dockerfile") { ... on Blob { text } }
	    label(name: "dependencies") { id name }
	  }
	  r1: repository(owner: "acme", name: "web") { id nameWithOwner defaultBranchRef { name target { oid } } }
	  r2: repository(owner: "acme", name: "gone") { id }
	  alice: user(login: "alice") { id login }
	  rateLimit { cost remaining resetAt nodeCount }
	}`
	status, ans := sim.postGraphQL(t, sim.token, hydrate, nil)
	if status != http.StatusOK || ans.Data == nil {
		t.Fatalf("hydration: status %d, data %v", status, ans.Data)
	}
	if typ, msg, ok := ans.errorFor("r2"); !ok || typ != "NOT_FOUND" || !strings.Contains(msg, "Could not resolve to a Repository with the name 'acme/gone'.") {
		t.Errorf("missing repository: error (%q, %q, %v), want NOT_FOUND naming acme/gone", typ, msg, ok)
	}
	if string(ans.Data["r2"]) != "null" {
		t.Errorf("r2 = %s, want null", ans.Data["r2"])
	}
	if got := jsonString(t, ans.Data["r0"], "f0", "text"); got != "FROM alpine:3.19\n" {
		t.Errorf("r0.f0.text = %q", got)
	}
	repoID := jsonString(t, ans.Data["r0"], "id")
	headOID := jsonString(t, ans.Data["r0"], "defaultBranchRef", "target", "oid")
	labelID := jsonString(t, ans.Data["r0"], "label", "id")
	aliceID := jsonString(t, ans.Data["alice"], "id")
	if repoID == "" || headOID == "" || labelID == "" || aliceID == "" {
		t.Fatalf("ids: repo %q head %q label %q alice %q", repoID, headOID, labelID, aliceID)
	}

	// An invisible repository is NOT_FOUND too.
	_, ans = sim.postGraphQL(t, "outsider-token", `{ s: repository(owner: "acme", name: "secret") { id } }`, nil)
	if typ, _, ok := ans.errorFor("s"); !ok || typ != "NOT_FOUND" {
		t.Errorf("private repository to an outsider: error type %q (%v), want NOT_FOUND", typ, ok)
	}

	// Branch and commit in one document, run in order.
	commitDoc := `mutation($repo: ID!, $oid: GitObjectID!, $contents: Base64String!) {
	  b: createRef(input: {repositoryId: $repo, name: "refs/heads/dfiu/alpine", oid: $oid}) { ref { id name target { oid } } }
	  c: createCommitOnBranch(input: {
	    branch: {repositoryNameWithOwner: "acme/app", branchName: "dfiu/alpine"},
	    message: {headline: "Bump alpine to 3.20"},
	    fileChanges: {additions: [{path: "Dockerfile", contents: $contents}]},
	    expectedHeadOid: $oid
	  }) { commit { oid url message } ref { name target { oid } } }
	}`
	vars := map[string]any{"repo": repoID, "oid": headOID, "contents": "RlJPTSBhbHBpbmU6My4yMAo="}
	_, ans = sim.postGraphQL(t, sim.token, commitDoc, vars)
	if len(ans.Errors) != 0 {
		t.Fatalf("createRef + createCommitOnBranch: errors %+v", ans.Errors)
	}
	commitOID := jsonString(t, ans.Data["c"], "commit", "oid")
	if commitOID == "" || commitOID == headOID || jsonString(t, ans.Data["c"], "ref", "target", "oid") != commitOID {
		t.Errorf("createCommitOnBranch = %s, want a new commit at the branch head", ans.Data["c"])
	}

	// The same commit again: the branch moved, so the expected head is stale.
	_, ans = sim.postGraphQL(t, sim.token, `mutation($oid: GitObjectID!) {
	  c: createCommitOnBranch(input: {
	    branch: {repositoryNameWithOwner: "acme/app", branchName: "dfiu/alpine"},
	    message: {headline: "again"}, fileChanges: {deletions: [{path: "svc/Dockerfile"}]}, expectedHeadOid: $oid
	  }) { commit { oid } }
	}`, map[string]any{"oid": headOID})
	if typ, msg, ok := ans.errorFor("c"); !ok || typ != "STALE_DATA" || !strings.Contains(msg, headOID) {
		t.Errorf("stale expectedHeadOid: error (%q, %q, %v), want STALE_DATA naming %s", typ, msg, ok, headOID)
	}

	_, ans = sim.postGraphQL(t, sim.token, `mutation($repo: ID!) {
	  pr: createPullRequest(input: {repositoryId: $repo, baseRefName: "main", headRefName: "dfiu/alpine", title: "Bump alpine to 3.20", body: "by dfiu"}) {
	    pullRequest { id number url title state isDraft headRefName baseRefName }
	  }
	}`, map[string]any{"repo": repoID})
	prID := jsonString(t, ans.Data["pr"], "pullRequest", "id")
	if len(ans.Errors) != 0 || prID == "" || jsonString(t, ans.Data["pr"], "pullRequest", "state") != "OPEN" {
		t.Fatalf("createPullRequest: data %s errors %+v", ans.Data["pr"], ans.Errors)
	}
	if want := sim.ts.URL + "/acme/app/pull/1"; jsonString(t, ans.Data["pr"], "pullRequest", "url") != want {
		t.Errorf("pull request url %q, want %q", jsonString(t, ans.Data["pr"], "pullRequest", "url"), want)
	}

	decorate := `mutation($pr: ID!, $label: ID!, $alice: ID!) {
	  l: addLabelsToLabelable(input: {labelableId: $pr, labelIds: [$label]}) { labelable { ... on PullRequest { labels(first: 10) { nodes { name } } } } }
	  r: requestReviews(input: {pullRequestId: $pr, userIds: [$alice], union: true}) { pullRequest { id } }
	  a: enablePullRequestAutoMerge(input: {pullRequestId: $pr, mergeMethod: SQUASH}) { pullRequest { id } }
	}`
	_, ans = sim.postGraphQL(t, sim.token, decorate, map[string]any{"pr": prID, "label": labelID, "alice": aliceID})
	if _, _, ok := ans.errorFor("l"); ok {
		t.Errorf("addLabelsToLabelable failed: %+v", ans.Errors)
	}
	if _, _, ok := ans.errorFor("r"); ok {
		t.Errorf("requestReviews failed: %+v", ans.Errors)
	}
	// No required checks: GitHub refuses auto-merge on a pull request in
	// clean status; the sibling fields still ran.
	if typ, msg, ok := ans.errorFor("a"); !ok || !strings.Contains(msg, "clean status") {
		t.Errorf("enablePullRequestAutoMerge: error (%q, %q, %v), want the clean-status refusal", typ, msg, ok)
	}
	prs, err := sim.srv.PullRequests("acme", "app")
	if err != nil || len(prs) != 1 {
		t.Fatalf("PullRequests = %v (%v)", prs, err)
	}
	if got := fmt.Sprint(prs[0].Labels, prs[0].RequestedReviewers); !strings.Contains(got, "dependencies") || !strings.Contains(got, "alice") {
		t.Errorf("pull request state %s, want the label and alice requested", got)
	}

	// Invalid documents fail as a whole, with errors only.
	status, ans = sim.postGraphQL(t, sim.token, `{ viewer { nope } }`, nil)
	if status != http.StatusOK || ans.Data != nil || len(ans.Errors) == 0 || !strings.Contains(ans.Errors[0].Message, "nope") {
		t.Errorf("invalid document: status %d data %v errors %+v, want 200 with an error naming the field", status, ans.Data, ans.Errors)
	}
	if n := sim.tr.ValidatedGraphQL(); n != 7 {
		t.Errorf("GraphQL exchanges validated = %d, want 7", n)
	}
}

// TestGraphQLRefusalsValidate checks the limiter's GraphQL answers (primary
// limit as HTTP 200 with errors, secondary as 403, the "Something went
// wrong" fault) against the schema and GitHub's error shape.
func TestGraphQLRefusalsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      limiter.Config
		status   int
		wantType string
	}{
		{"primary RATE_LIMITED", limiter.Config{Limits: limiter.Limits{GraphQL: 1}}, 200, "RATE_LIMITED"},
		{"primary RATE_LIMIT", limiter.Config{Limits: limiter.Limits{GraphQL: 1, GraphQLPrimary: limiter.GraphQLPrimaryStyle("RATE_LIMIT")}}, 200, "RATE_LIMIT"},
		{"secondary 403", limiter.Config{Limits: limiter.Limits{GraphQLPointsPerMinute: 1}}, 403, ""},
		{"something went wrong", limiter.Config{Faults: []limiter.Fault{{Kind: limiter.FaultGraphQLError, From: 2}}}, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim := newConfSim(t, ghsim.Seed{})
			sim.srv.SetLimits(tc.cfg)
			sim.postGraphQL(t, sim.token, `{ viewer { login } }`, nil)
			status, ans := sim.postGraphQL(t, sim.token, `{ viewer { login } }`, nil)
			if status != tc.status {
				t.Fatalf("second document: status %d, want %d", status, tc.status)
			}
			if status == http.StatusOK && (len(ans.Errors) == 0 || (tc.wantType != "" && ans.Errors[0].Type != tc.wantType)) {
				t.Errorf("errors %+v, want one of type %q", ans.Errors, tc.wantType)
			}
			if n := sim.tr.ValidatedGraphQL(); n != 2 {
				t.Errorf("GraphQL exchanges validated = %d, want 2", n)
			}
		})
	}
}

// TestGraphQLConnections pages through an organisation's repositories with
// githubv4 and cursors, and checks GitHub's connection limits: a connection
// needs first or last, within 1–100.
func TestGraphQLConnections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	seed := ghsim.Seed{}
	for i := 0; i < 7; i++ {
		seed.Repos = append(seed.Repos, ghsim.SeedRepo{Name: fmt.Sprintf("acme/svc-%d", i), Files: map[string]string{"Dockerfile": "FROM alpine\n"}})
	}
	sim := newConfSim(t, seed)
	gql := githubv4.NewEnterpriseClient(sim.ts.URL+"/api/graphql", sim.httpClient(sim.token))
	var q struct {
		Organization struct {
			Repositories struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   githubv4.String
				}
				Nodes []struct{ NameWithOwner string }
			} `graphql:"repositories(first: 3, after: $cursor, orderBy: {field: NAME, direction: ASC})"`
		} `graphql:"organization(login: \"acme\")"`
	}
	vars := map[string]any{"cursor": (*githubv4.String)(nil)}
	var names []string
	for page := 0; ; page++ {
		if page > 4 {
			t.Fatal("paging did not end")
		}
		if err := gql.Query(ctx, &q, vars); err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		for _, n := range q.Organization.Repositories.Nodes {
			names = append(names, n.NameWithOwner)
		}
		if !q.Organization.Repositories.PageInfo.HasNextPage {
			break
		}
		vars["cursor"] = githubv4.NewString(q.Organization.Repositories.PageInfo.EndCursor)
	}
	if q.Organization.Repositories.TotalCount != 7 || len(names) != 7 || names[0] != "acme/svc-0" || names[6] != "acme/svc-6" {
		t.Errorf("paged names %v (totalCount %d), want acme/svc-0…6 in order", names, q.Organization.Repositories.TotalCount)
	}

	_, ans := sim.postGraphQL(t, sim.token, `{ organization(login: "acme") { repositories { totalCount } } }`, nil)
	if len(ans.Errors) == 0 || ans.Errors[0].Type != "MISSING_PAGINATION_BOUNDARIES" {
		t.Errorf("connection without first/last: errors %+v, want MISSING_PAGINATION_BOUNDARIES", ans.Errors)
	}
	_, ans = sim.postGraphQL(t, sim.token, `{ organization(login: "acme") { repositories(first: 101) { totalCount } } }`, nil)
	if len(ans.Errors) == 0 || !strings.Contains(ans.Errors[0].Message, "exceeds the `first` limit of 100 records") {
		t.Errorf("first: 101: errors %+v, want GitHub's \"exceeds the `first` limit of 100 records\"", ans.Errors)
	}
	if n := sim.tr.ValidatedGraphQL(); n < 5 {
		t.Errorf("GraphQL exchanges validated = %d, want at least 5", n)
	}
}

// TestGraphQLSweepValidates asks for broad selections of every query field
// and runs every mutation the simulator serves, each answer checked against
// schema.graphql, so that a served field cannot answer out of shape (a null
// where the schema says non-null, a wrong enum, a field left out).
func TestGraphQLSweepValidates(t *testing.T) {
	t.Parallel()
	sim := newConfSim(t, ghsim.Seed{
		Users: []string{"alice"},
		Teams: []ghsim.SeedTeam{{Org: "acme", Slug: "platform"}},
		Repos: []ghsim.SeedRepo{{
			Name:             "acme/app",
			Files:            map[string]string{"Dockerfile": "FROM alpine:3.19\n", "bin/tool": "\x00\x01binary"},
			Branches:         []ghsim.SeedBranch{{Name: "feature", Files: map[string]string{"f.txt": "f\n"}}},
			Labels:           []string{"dependencies"},
			Pulls:            []ghsim.SeedPull{{Head: "feature", Title: "Feature", Labels: []string{"dependencies"}, Reviewers: []string{"alice"}}},
			AutoMergeAllowed: true,
			RequiredChecks:   true,
		}},
	})
	ids := map[string]string{}
	read := func(ans gqlAnswer, key string, path ...string) string {
		t.Helper()
		v := jsonString(t, ans.Data[path[0]], path[1:]...)
		if v == "" {
			t.Fatalf("no %s at %v in %s", key, path, ans.Data[path[0]])
		}
		ids[key] = v
		return v
	}
	repoFields := `id databaseId name nameWithOwner url isArchived isFork isDisabled isEmpty isPrivate isLocked viewerPermission autoMergeAllowed
	  owner { login id } parent { nameWithOwner }
	  defaultBranchRef { id name prefix target { oid ... on Commit { oid message committedDate author { name email user { login } } parents(first: 2) { nodes { oid } } tree { oid } } } }
	  ref(qualifiedName: "refs/heads/feature") { id name prefix target { oid } associatedPullRequests(first: 5) { totalCount nodes { number } } }
	  blob: object(expression: "HEAD:Dockerfile") { __typename oid ... on Blob { text byteSize isBinary isTruncated oid } }
	  binary: object(expression: "HEAD:bin/tool") { ... on Blob { text isBinary byteSize } }
	  tree: object(expression: "HEAD:") { __typename ... on Tree { oid entries { name path type mode oid object { __typename oid } } } }
	  label(name: "dependencies") { id name color description }
	  labels(first: 10) { totalCount nodes { id name } }
	  pullRequests(first: 5, states: [OPEN], orderBy: {field: CREATED_AT, direction: DESC}) {
	    totalCount
	    nodes { id number url title body state isDraft headRefName baseRefName headRefOid
	      headRepository { nameWithOwner } author { login } labels(first: 5) { nodes { name } }
	      commits(first: 5) { totalCount nodes { commit { oid } } }
	      reviewRequests(first: 5) { nodes { requestedReviewer { __typename ... on User { login } ... on Team { slug } } } }
	      assignees(first: 5) { nodes { login } }
	      autoMergeRequest { enabledAt mergeMethod } }
	  }
	  pullRequest(number: 1) { id number }`
	status, ans := sim.postGraphQL(t, sim.token, `query {
	  viewer { login id databaseId }
	  repository(owner: "acme", name: "app") { `+repoFields+` }
	  organization(login: "acme") { id login repositories(first: 5, orderBy: {field: NAME, direction: ASC}) { totalCount pageInfo { hasNextPage endCursor } nodes { nameWithOwner } } team(slug: "platform") { id slug } }
	  user(login: "alice") { id login }
	  repositoryOwner(login: "acme") { __typename login }
	  rateLimit { cost limit remaining used resetAt nodeCount }
	}`, nil)
	if status != http.StatusOK || len(ans.Errors) != 0 {
		t.Fatalf("broad query: status %d errors %+v", status, ans.Errors)
	}
	repoID := read(ans, "repo", "repository", "id")
	read(ans, "head", "repository", "defaultBranchRef", "target", "oid")
	read(ans, "featureRef", "repository", "ref", "id")
	read(ans, "label", "repository", "label", "id")
	read(ans, "alice", "user", "id")
	read(ans, "team", "organization", "team", "id")
	var repo struct {
		PullRequest struct{ ID string } `json:"pullRequest"`
	}
	if err := json.Unmarshal(ans.Data["repository"], &repo); err != nil || repo.PullRequest.ID == "" {
		t.Fatalf("pull request id: %v", err)
	}
	ids["pr"] = repo.PullRequest.ID

	_, ans = sim.postGraphQL(t, sim.token, `query($ids: [ID!]!, $id: ID!) {
	  nodes(ids: $ids) { __typename id ... on Repository { nameWithOwner } ... on PullRequest { number } ... on Label { name } ... on User { login } ... on Team { slug } ... on Ref { name } }
	  node(id: $id) { __typename id }
	}`, map[string]any{"ids": []string{repoID, ids["pr"], ids["label"], ids["alice"], ids["team"], ids["featureRef"]}, "id": repoID})
	if len(ans.Errors) != 0 {
		t.Errorf("node/nodes: errors %+v", ans.Errors)
	}

	mutations := []struct {
		name string
		doc  string
		vars map[string]any
	}{
		{"createRef", `mutation($repo: ID!, $oid: GitObjectID!) { createRef(input: {repositoryId: $repo, name: "refs/heads/sweep", oid: $oid}) { clientMutationId ref { id name prefix target { oid } } } }`,
			map[string]any{"repo": repoID, "oid": ids["head"]}},
		{"createCommitOnBranch", `mutation($oid: GitObjectID!) { createCommitOnBranch(input: {branch: {repositoryNameWithOwner: "acme/app", branchName: "sweep"}, message: {headline: "h", body: "b"}, fileChanges: {additions: [{path: "x.txt", contents: "eAo="}], deletions: [{path: "bin/tool"}]}, expectedHeadOid: $oid}) { clientMutationId commit { oid url message } ref { name target { oid } } } }`,
			map[string]any{"oid": ids["head"]}},
		{"createPullRequest", `mutation($repo: ID!) { createPullRequest(input: {repositoryId: $repo, baseRefName: "main", headRefName: "sweep", title: "Sweep", draft: true}) { pullRequest { id number isDraft state } } }`,
			map[string]any{"repo": repoID}},
		{"updatePullRequest", `mutation($pr: ID!, $label: ID!, $alice: ID!) { updatePullRequest(input: {pullRequestId: $pr, title: "Feature!", body: "b", labelIds: [$label], assigneeIds: [$alice]}) { pullRequest { id title body state } } }`,
			map[string]any{"pr": ids["pr"], "label": ids["label"], "alice": ids["alice"]}},
		{"addAssigneesToAssignable", `mutation($pr: ID!, $alice: ID!) { addAssigneesToAssignable(input: {assignableId: $pr, assigneeIds: [$alice]}) { assignable { ... on PullRequest { number } } } }`,
			map[string]any{"pr": ids["pr"], "alice": ids["alice"]}},
		{"addLabelsToLabelable", `mutation($pr: ID!, $label: ID!) { addLabelsToLabelable(input: {labelableId: $pr, labelIds: [$label]}) { labelable { ... on PullRequest { number } } } }`,
			map[string]any{"pr": ids["pr"], "label": ids["label"]}},
		{"requestReviews", `mutation($pr: ID!, $alice: ID!, $team: ID!) { requestReviews(input: {pullRequestId: $pr, userIds: [$alice], teamIds: [$team], union: true}) { pullRequest { number } requestedReviewersEdge { cursor } } }`,
			map[string]any{"pr": ids["pr"], "alice": ids["alice"], "team": ids["team"]}},
		{"enablePullRequestAutoMerge", `mutation($pr: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $pr, mergeMethod: SQUASH}) { pullRequest { autoMergeRequest { enabledAt mergeMethod } } } }`,
			map[string]any{"pr": ids["pr"]}},
		{"updateRef", `mutation($ref: ID!, $oid: GitObjectID!) { updateRef(input: {refId: $ref, oid: $oid, force: true}) { ref { name target { oid } } } }`,
			map[string]any{"ref": ids["featureRef"], "oid": ids["head"]}},
		{"updateRefs", `mutation($repo: ID!, $oid: GitObjectID!) { updateRefs(input: {repositoryId: $repo, refUpdates: [{name: "refs/heads/batch", afterOid: $oid}]}) { clientMutationId } }`,
			map[string]any{"repo": repoID, "oid": ids["head"]}},
		{"closePullRequest", `mutation($pr: ID!) { closePullRequest(input: {pullRequestId: $pr}) { pullRequest { state closed closedAt } } }`,
			map[string]any{"pr": ids["pr"]}},
		{"deleteRef", `mutation($ref: ID!) { deleteRef(input: {refId: $ref}) { clientMutationId } }`,
			map[string]any{"ref": ids["featureRef"]}},
	}
	for _, m := range mutations {
		status, ans := sim.postGraphQL(t, sim.token, m.doc, m.vars)
		if status != http.StatusOK || len(ans.Errors) != 0 {
			t.Errorf("%s: status %d errors %+v", m.name, status, ans.Errors)
		}
	}
	if n := sim.tr.ValidatedGraphQL(); n != 2+len(mutations) {
		t.Errorf("GraphQL exchanges validated = %d, want %d", n, 2+len(mutations))
	}
}
