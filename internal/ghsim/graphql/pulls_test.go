package graphql

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

const createPR = `mutation($in: CreatePullRequestInput!) {
  createPullRequest(input: $in) { pullRequest { id number url title body state isDraft headRefName baseRefName headRefOid
    headRepository { nameWithOwner } author { login } } }
}`

// openPR opens a pull request from a new branch and returns its node id.
func (e *env) openPR(branch string) (string, int) {
	e.t.Helper()
	e.branch(branch, map[string]string{"Dockerfile": "FROM alpine:3.20\n"})
	r := e.do(createPR, map[string]any{"in": map[string]any{
		"repositoryId": e.app.NodeID, "baseRefName": "main", "headRefName": branch, "title": "Bump " + branch,
	}}).ok(e.t)
	return r.str(e.t, "createPullRequest", "pullRequest", "id"), int(r.get(e.t, "createPullRequest", "pullRequest", "number").(float64))
}

func TestCreatePullRequest(t *testing.T) {
	e := newEnv(t)
	head := e.branch("bump", map[string]string{"Dockerfile": "FROM alpine:3.20\n"})
	r := e.do(createPR, map[string]any{"in": map[string]any{
		"repositoryId": e.app.NodeID, "baseRefName": "main", "headRefName": "bump",
		"title": "Bump alpine", "body": "Automated.", "draft": true,
	}}).ok(t)
	pr := r.get(t, "createPullRequest", "pullRequest").(map[string]any)
	want := map[string]any{
		"id": pr["id"], "number": 1.0, "url": "http://sim.test/acme/app/pull/1", "title": "Bump alpine", "body": "Automated.",
		"state": "OPEN", "isDraft": true, "headRefName": "bump", "baseRefName": "main", "headRefOid": head,
		"headRepository": map[string]any{"nameWithOwner": "acme/app"}, "author": map[string]any{"login": "octo"},
	}
	if diff := cmp.Diff(want, pr); diff != "" {
		t.Errorf("pullRequest (-want +got):\n%s", diff)
	}

	again := e.do(createPR, map[string]any{"in": map[string]any{
		"repositoryId": e.app.NodeID, "baseRefName": "main", "headRefName": "bump", "title": "again"}})
	if len(again.Errors) != 1 || again.Errors[0]["type"] != "UNPROCESSABLE" ||
		again.Errors[0]["message"] != "A pull request already exists for acme:bump." {
		t.Errorf("duplicate: %s", again.raw)
	}
	e.branch("same", nil)
	if _, err := e.w.UpdateRef(nil, e.app.ID, "refs/heads/same", e.headOID("main"), true); err != nil {
		t.Fatal(err)
	}
	none := e.do(createPR, map[string]any{"in": map[string]any{
		"repositoryId": e.app.NodeID, "baseRefName": "main", "headRefName": "same", "title": "nothing"}})
	if len(none.Errors) != 1 || none.Errors[0]["message"] != "No commits between main and same" {
		t.Errorf("no commits: %s", none.raw)
	}
}

func TestCreateCrossRepositoryPullRequest(t *testing.T) {
	e := newEnv(t)
	e.w.AddOrg("fork-org")
	fork, err := e.w.CreateRepo(nil, state.NewRepo{Owner: "fork-org", Name: "app", Files: map[string][]byte{"Dockerfile": []byte("FROM alpine:3.21\n")}})
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(createPR, map[string]any{"in": map[string]any{
		"repositoryId": e.app.NodeID, "headRepositoryId": fork.NodeID, "baseRefName": "main",
		"headRefName": "fork-org:main", "title": "From a fork"}}).ok(t)
	if got := r.str(t, "createPullRequest", "pullRequest", "headRepository", "nameWithOwner"); got != "fork-org/app" {
		t.Errorf("headRepository = %q, want fork-org/app", got)
	}
}

func TestFindPullRequestsAndUpdate(t *testing.T) {
	e := newEnv(t)
	id1, _ := e.openPR("one")
	_, n2 := e.openPR("two")
	r := e.do(`{ repository(owner:"acme", name:"app") {
  open: pullRequests(headRefName: "two", baseRefName: "main", states: [OPEN], first: 10, orderBy: {field: CREATED_AT, direction: DESC}) {
    totalCount nodes { number headRefName } }
  all: pullRequests(first: 10) { totalCount nodes { number } }
  pullRequest(number: 1) { id title }
  missing: pullRequest(number: 99) { id }
} }`, nil)
	if got := r.get(t, "repository", "open", "totalCount"); got != 1.0 {
		t.Errorf("open totalCount = %v", got)
	}
	if got := r.get(t, "repository", "open", "nodes", 0, "number"); got != float64(n2) {
		t.Errorf("open number = %v, want %d", got, n2)
	}
	if got := r.get(t, "repository", "all", "totalCount"); got != 2.0 {
		t.Errorf("all totalCount = %v", got)
	}
	if got := r.str(t, "repository", "pullRequest", "id"); got != id1 {
		t.Errorf("pullRequest(1).id = %q, want %q", got, id1)
	}
	if len(r.Errors) != 1 || r.Errors[0]["type"] != "NOT_FOUND" || r.Errors[0]["message"] != "Could not resolve to a PullRequest with the number of 99." {
		t.Errorf("missing PR: %s", r.raw)
	}

	label, err := e.w.CreateLabel(nil, e.app.ID, "dependencies", "0366d6", "")
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := e.w.Account("alice")
	u := e.do(`mutation($in: UpdatePullRequestInput!) { updatePullRequest(input: $in) { pullRequest { title body
    labels(first: 5) { nodes { name } } assignees(first: 5) { nodes { login } } } } }`,
		map[string]any{"in": map[string]any{"pullRequestId": id1, "title": "New title", "body": "New body",
			"labelIds": []string{label.NodeID}, "assigneeIds": []string{alice.NodeID}}}).ok(t)
	got := u.get(t, "updatePullRequest", "pullRequest")
	want := map[string]any{"title": "New title", "body": "New body",
		"labels":    map[string]any{"nodes": []any{map[string]any{"name": "dependencies"}}},
		"assignees": map[string]any{"nodes": []any{map[string]any{"login": "alice"}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("updatePullRequest (-want +got):\n%s", diff)
	}
	c := e.do(`mutation($id: ID!) { closePullRequest(input: {pullRequestId: $id}) { pullRequest { state closed } } }`,
		map[string]any{"id": id1}).ok(t)
	if c.str(t, "closePullRequest", "pullRequest", "state") != "CLOSED" {
		t.Errorf("close: %s", c.raw)
	}
	reopen := e.do(`mutation($id: ID!) { updatePullRequest(input: {pullRequestId: $id, state: OPEN}) { pullRequest { state } } }`,
		map[string]any{"id": id1}).ok(t)
	if reopen.str(t, "updatePullRequest", "pullRequest", "state") != "OPEN" {
		t.Errorf("reopen: %s", reopen.raw)
	}
}

func TestLabelsAndAssignees(t *testing.T) {
	e := newEnv(t)
	id, n := e.openPR("bump")
	for _, name := range []string{"dependencies", "docker"} {
		if _, err := e.w.CreateLabel(nil, e.app.ID, name, "ededed", ""); err != nil {
			t.Fatal(err)
		}
	}
	r := e.do(`{ repository(owner:"acme", name:"app") { a: label(name: "dependencies") { id name } b: label(name: "docker") { id }
  c: label(name: "nope") { id } labels(first: 10) { totalCount } } }`, nil).ok(t)
	if r.get(t, "repository", "c") != nil {
		t.Error("unknown label should be null")
	}
	ids := []string{r.str(t, "repository", "a", "id"), r.str(t, "repository", "b", "id")}
	bob, _ := e.w.Account("bob")
	m := e.do(`mutation($pr: ID!, $labels: [ID!]!, $users: [ID!]!) {
  addLabelsToLabelable(input: {labelableId: $pr, labelIds: $labels}) { labelable { ... on PullRequest { labels(first: 10) { nodes { name } } } } }
  addAssigneesToAssignable(input: {assignableId: $pr, assigneeIds: $users}) { assignable { ... on PullRequest { assignees(first: 5) { nodes { login } } } } }
}`, map[string]any{"pr": id, "labels": ids, "users": []string{bob.NodeID}}).ok(t)
	var names []string
	for _, l := range m.get(t, "addLabelsToLabelable", "labelable", "labels", "nodes").([]any) {
		names = append(names, l.(map[string]any)["name"].(string))
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"dependencies", "docker"}, names); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	pr, _ := e.w.PullRequest(nil, e.app.ID, n)
	if len(pr.Assignees) != 1 || pr.Assignees[0].Login != "bob" {
		t.Errorf("assignees in state = %v", pr.Assignees)
	}
}

func TestRequestReviewsUnion(t *testing.T) {
	e := newEnv(t)
	id, n := e.openPR("bump")
	alice, _ := e.w.Account("alice")
	bob, _ := e.w.Account("bob")
	team, _ := e.w.Team("acme", "platform")
	doc := `mutation($pr: ID!, $users: [ID!], $teams: [ID!], $union: Boolean) {
  requestReviews(input: {pullRequestId: $pr, userIds: $users, teamIds: $teams, union: $union}) {
    pullRequest { reviewRequests(first: 10) { nodes { requestedReviewer { __typename ... on User { login } ... on Team { slug } } } } }
  }
}`
	reviewers := func() []string {
		pr, err := e.w.PullRequest(nil, e.app.ID, n)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range pr.RequestedReviewers {
			out = append(out, u.Login)
		}
		for _, tm := range pr.RequestedTeams {
			out = append(out, "team:"+tm.Slug)
		}
		sort.Strings(out)
		return out
	}
	r := e.do(doc, map[string]any{"pr": id, "users": []string{alice.NodeID}, "teams": []string{team.NodeID}}).ok(t)
	nodes := r.get(t, "requestReviews", "pullRequest", "reviewRequests", "nodes").([]any)
	if len(nodes) != 2 || nodes[1].(map[string]any)["requestedReviewer"].(map[string]any)["slug"] != "platform" {
		t.Errorf("reviewRequests = %v", nodes)
	}
	if diff := cmp.Diff([]string{"alice", "team:platform"}, reviewers()); diff != "" {
		t.Errorf("first request (-want +got):\n%s", diff)
	}
	e.do(doc, map[string]any{"pr": id, "users": []string{bob.NodeID}, "union": true}).ok(t)
	if diff := cmp.Diff([]string{"alice", "bob", "team:platform"}, reviewers()); diff != "" {
		t.Errorf("union adds (-want +got):\n%s", diff)
	}
	e.do(doc, map[string]any{"pr": id, "users": []string{bob.NodeID}}).ok(t)
	if diff := cmp.Diff([]string{"bob"}, reviewers()); diff != "" {
		t.Errorf("default replaces (-want +got):\n%s", diff)
	}
}

func TestEnableAutoMerge(t *testing.T) {
	e := newEnv(t)
	id, _ := e.openPR("bump")
	doc := `mutation($id: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: SQUASH}) {
  pullRequest { autoMergeRequest { mergeMethod enabledBy { login } } } } }`
	r := e.do(doc, map[string]any{"id": id}).ok(t)
	if got := r.str(t, "enablePullRequestAutoMerge", "pullRequest", "autoMergeRequest", "mergeMethod"); got != "SQUASH" {
		t.Errorf("mergeMethod = %q", got)
	}

	for _, tc := range []struct {
		name  string
		patch state.RepoPatch
		want  string
	}{
		{"clean status", state.RepoPatch{RequiredChecks: ptr(false)}, "Pull request is in clean status"},
		{"not allowed", state.RepoPatch{AutoMergeAllowed: ptr(false)}, "Auto merge is not allowed for this repository"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.w.UpdateRepo(nil, e.app.ID, tc.patch); err != nil {
				t.Fatal(err)
			}
			r := e.do(doc, map[string]any{"id": id})
			if len(r.Errors) != 1 || r.Errors[0]["message"] != tc.want || r.Errors[0]["type"] != "UNPROCESSABLE" {
				t.Errorf("errors = %s, want %q", r.raw, tc.want)
			}
			if r.get(t, "enablePullRequestAutoMerge") != nil {
				t.Error("payload should be null")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestNodeAndNodes(t *testing.T) {
	e := newEnv(t)
	id, _ := e.openPR("bump")
	ref, _ := e.w.Ref(nil, e.app.ID, "refs/heads/main")
	r := e.do(`query($ids: [ID!]!, $repo: ID!) {
  node(id: $repo) { __typename ... on Repository { nameWithOwner } }
  nodes(ids: $ids) { __typename id ... on PullRequest { number } ... on Ref { name } }
}`, map[string]any{"repo": e.app.NodeID, "ids": []string{id, ref.NodeID, "bogus"}})
	if got := r.str(t, "node", "nameWithOwner"); got != "acme/app" {
		t.Errorf("node = %v", r.get(t, "node"))
	}
	nodes := r.get(t, "nodes").([]any)
	if len(nodes) != 3 || nodes[0].(map[string]any)["__typename"] != "PullRequest" || nodes[1].(map[string]any)["name"] != "main" || nodes[2] != nil {
		t.Errorf("nodes = %v", nodes)
	}
	if len(r.Errors) != 1 || r.Errors[0]["type"] != "NOT_FOUND" || !strings.Contains(r.Errors[0]["message"].(string), "bogus") {
		t.Errorf("errors = %s", r.raw)
	}
	if diff := cmp.Diff([]any{"nodes", 2.0}, r.Errors[0]["path"]); diff != "" {
		t.Errorf("path (-want +got):\n%s", diff)
	}
}

func TestAssociatedPullRequestsAndCommits(t *testing.T) {
	e := newEnv(t)
	id, _ := e.openPR("bump")
	second, err := e.w.SeedBranch(e.app.ID, "bump", "main", map[string][]byte{"more.txt": []byte("more\n")}, "second")
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(`{ repository(owner:"acme", name:"app") {
  ref(qualifiedName: "bump") { associatedPullRequests(states: [OPEN], first: 5) { totalCount nodes { id } } }
  main: ref(qualifiedName: "main") { associatedPullRequests(first: 5) { totalCount } }
  pullRequest(number: 1) { commits(first: 10) { totalCount nodes { commit { oid messageHeadline } } } }
} }`, nil).ok(t)
	if got := r.str(t, "repository", "ref", "associatedPullRequests", "nodes", 0, "id"); got != id {
		t.Errorf("associated PR = %q, want %q", got, id)
	}
	if got := r.get(t, "repository", "main", "associatedPullRequests", "totalCount"); got != 0.0 {
		t.Errorf("main has %v associated PRs, want 0", got)
	}
	commits := r.get(t, "repository", "pullRequest", "commits", "nodes").([]any)
	var heads []string
	for _, c := range commits {
		heads = append(heads, c.(map[string]any)["commit"].(map[string]any)["messageHeadline"].(string))
	}
	if diff := cmp.Diff([]string{"change bump", "second"}, heads); diff != "" {
		t.Errorf("PR commits (-want +got):\n%s", diff)
	}
	if got := commits[1].(map[string]any)["commit"].(map[string]any)["oid"]; got != second.OID {
		t.Errorf("last commit = %v, want %s", got, second.OID)
	}
}

// TestPullRequestStates checks OPEN, CLOSED and MERGED: a merged pull
// request is listed under MERGED only, with merged true, and the latest
// closed one comes first with orderBy UPDATED_AT DESC.
func TestPullRequestStates(t *testing.T) {
	e := newEnv(t)
	_, open := e.openPR("open")
	_, closedOld := e.openPR("closed-old")
	_, closedNew := e.openPR("closed-new")
	_, merged := e.openPR("merged")
	for _, n := range []int{closedOld, closedNew} {
		if _, err := e.w.ClosePullRequest(nil, e.app.ID, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.w.MergePullRequest(nil, e.app.ID, merged, "squash"); err != nil {
		t.Fatal(err)
	}
	// closed-old is updated last.
	e.clk.Advance(time.Minute)
	title := "edited"
	if _, err := e.w.UpdatePullRequest(nil, e.app.ID, closedOld, state.PRPatch{Title: &title}); err != nil {
		t.Fatal(err)
	}
	const q = `query($states: [PullRequestState!]) { repository(owner: "acme", name: "app") {
  pullRequests(states: $states, first: 10, orderBy: {field: UPDATED_AT, direction: DESC}) { nodes { number state merged } } } }`
	for _, tc := range []struct {
		states []any
		want   []any
	}{
		{[]any{"OPEN"}, []any{map[string]any{"number": float64(open), "state": "OPEN", "merged": false}}},
		{[]any{"CLOSED"}, []any{
			map[string]any{"number": float64(closedOld), "state": "CLOSED", "merged": false},
			map[string]any{"number": float64(closedNew), "state": "CLOSED", "merged": false},
		}},
		{[]any{"MERGED"}, []any{map[string]any{"number": float64(merged), "state": "MERGED", "merged": true}}},
	} {
		r := e.do(q, map[string]any{"states": tc.states}).ok(t)
		if diff := cmp.Diff(tc.want, r.get(t, "repository", "pullRequests", "nodes")); diff != "" {
			t.Errorf("states %v (-want +got):\n%s", tc.states, diff)
		}
	}
}
