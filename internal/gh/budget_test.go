package gh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// recorder notes when each request reached the handler (on the fake
// clock) and what it was.
type recorder struct {
	mu   sync.Mutex
	reqs []seen
}

type seen struct {
	at   time.Duration // since epoch
	what string        // "PUT /repos/acme/app/contents/f", or the GraphQL document
}

func (r *recorder) note(now time.Time, req *http.Request) string {
	what := req.Method + " " + req.URL.Path
	if req.URL.Path == "/graphql" {
		var b struct {
			Query string `json:"query"`
		}
		body, _ := io.ReadAll(req.Body)
		_ = json.Unmarshal(body, &b)
		what = b.Query
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, seen{now.Sub(epoch), what})
	r.mu.Unlock()
	return what
}

func (r *recorder) times() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Duration
	for _, s := range r.reqs {
		out = append(out, s.at)
	}
	return out
}

func (r *recorder) all() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.reqs...)
}

// recording is setup with a handler that notes each request (n counts
// them from 1, what is as recorder.note gives it) before answer answers it.
func recording(t *testing.T, opts Options, answer func(w http.ResponseWriter, n int, what string)) (*Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	var c *Client
	c, _ = setup(t, opts, func(w http.ResponseWriter, r *http.Request) {
		what := rec.note(c.opts.Clock.Now(), r)
		answer(w, len(rec.all()), what)
	})
	return c, rec
}

const threeFields = "mutation {\n  a: createRef(input: {}) { clientMutationId }\n  b: createCommitOnBranch(input: {}) { clientMutationId }\n  c: createPullRequest(input: {}) { clientMutationId }\n}\n"

// TestBudgetCountsMutationFields: a document of three mutations is three
// content-creating requests, not one. With a budget of 6 a minute the
// third document must wait until the first has left the minute.
func TestBudgetCountsMutationFields(t *testing.T) {
	t.Parallel()
	c, rec := recording(t, Options{WriteLimits: []WriteLimit{{N: 6, Per: time.Minute}}}, func(w http.ResponseWriter, _ int, _ string) {
		writeJSON(w, 200, map[string]any{"data": map[string]any{"a": nil, "b": nil, "c": nil}})
	})
	for range 3 {
		if _, err := c.postGraphQL(context.Background(), threeFields); err != nil {
			t.Fatal(err)
		}
	}
	// Units are spaced at the limit's pace (10 s each, 30 s a document);
	// the third document needs the first one's three slots back: one minute
	// after it, plus the 0.6 s margin.
	want := []time.Duration{0, 30 * time.Second, time.Minute + 600*time.Millisecond}
	if diff := cmp.Diff(want, rec.times()); diff != "" {
		t.Errorf("documents sent at (-want +got):\n%s", diff)
	}
}

func TestMutationFields(t *testing.T) {
	t.Parallel()
	tests := map[string]int{
		threeFields: 3,
		"mutation { a: createRef(input: {name: \"{x} }\"}) { ref { id } } }":                               1,
		"mutation M($in: In = {a: {b: 1}}) { a: x(input: $in) { id } b: y }":                               2,
		"mutation {\n  # c: d { e }\n  a: x @include(if: true) { id }\n  b: y(s: \"\\\"}\") { id } c: z }": 3,
		"mutation { a: x(s: \"\"\"a \\\"\"\" ) b: c\"\"\") { id } b: y }":                                  2,
		"mutation { a: x(s: \"(\") { id } b: y }":                                                          2,
		"mutation { x }": 1,
		"mutation { ...F } fragment F on Mutation { a: x b: y c: z }": 1, // fragments: at least one
		"not graphql {": 1,
		"mutation { next: updateRefs(input: {}) { c } commit: createCommitOnBranch { c } }": 2,
	}
	for q, want := range tests {
		body, _ := json.Marshal(map[string]string{"query": q})
		if got := mutationFields(body); got != want {
			t.Errorf("mutationFields(%q) = %d, want %d", q, got, want)
		}
	}
}

// TestMutationFieldsOfOurDocuments checks the counter against a GraphQL
// parser on every kind of document this client sends.
func TestMutationFieldsOfOurDocuments(t *testing.T) {
	t.Parallel()
	in := testProposeInput()
	in.Title = "Bump {alpine} (to \"3.20\" # not a comment"
	in.Message.Body = "a: b { c ))\n\"\"\" d \\"
	newDoc, _ := buildProposeDocument(in)
	in.BranchRefID, in.BranchHeadOID = "REF_1", strings.Repeat("b", 40)
	in.ExistingPR = &PullRequest{ID: "PR_1", Title: "old"}
	moveDoc := buildMoveDocument(in, strings.Repeat("c", 40))
	var prDoc strings.Builder
	prDoc.WriteString("mutation {\n")
	writePR(&prDoc, in)
	prDoc.WriteString("}\n")
	var b strings.Builder
	b.WriteString("mutation {\n")
	writeCommit(&b, in, TempBranch(in.Branch))
	b.WriteString("}\n")
	for _, doc := range []string{newDoc, moveDoc, prDoc.String(), b.String(), threeFields} {
		parsed, err := parser.ParseQuery(&ast.Source{Input: doc})
		if err != nil {
			t.Fatalf("parsing %s: %v", doc, err)
		}
		want := len(parsed.Operations[0].SelectionSet)
		body, _ := json.Marshal(map[string]string{"query": doc})
		if got := mutationFields(body); got != want {
			t.Errorf("mutationFields = %d, the parser finds %d top-level fields in\n%s", got, want, doc)
		}
	}
}

// TestWriteBudgetHoldsAndUsesTheHourLimit books three-unit documents for
// two hours as fast as GitHub's default limits allow: no span of a minute
// may hold more than 80 units and none of an hour more than 500, and at
// least 95% of the 1,000 units two hours allow must be booked.
func TestWriteBudgetHoldsAndUsesTheHourLimit(t *testing.T) {
	t.Parallel()
	b := newWriteBudget(DefaultWriteLimits)
	end := epoch.Add(2 * time.Hour)
	var units []time.Time
	now := epoch
	for {
		at, ok := b.reserve(now, 3, end)
		if !ok {
			break
		}
		units = append(units, at, at, at)
		now = at
	}
	for _, l := range DefaultWriteLimits {
		for i := range units {
			j := i
			for j < len(units) && units[j].Sub(units[i]) < l.Per {
				j++
			}
			if j-i > l.N {
				t.Fatalf("%d units in the %s from %s: limit %s", j-i, l.Per, units[i].Sub(epoch), l)
			}
		}
	}
	if len(units) < 950 {
		t.Errorf("booked %d units in two hours, want at least 950 (95%% of 2×500)", len(units))
	}
	t.Logf("booked %d units in two hours", len(units))
}

// TestSecondaryLimitPausesEveryWorker: a secondary limit met by one
// request holds back every later request of the client, not just the
// refused one's retry.
func TestSecondaryLimitPausesEveryWorker(t *testing.T) {
	t.Parallel()
	c, rec := recording(t, Options{MaxRetries: -1}, func(w http.ResponseWriter, _ int, what string) {
		if strings.HasSuffix(what, "/first") {
			w.Header().Set("Retry-After", "45")
			writeJSON(w, 403, map[string]string{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})
			return
		}
		contentsOK(w)
	})
	ctx := context.Background()
	if _, _, err := c.GetContents(ctx, "acme", "app", "first", ""); err == nil {
		t.Fatal("the refused request succeeded")
	}
	// Another worker's read, sent after the refusal came back.
	if _, _, err := c.GetContents(ctx, "acme", "app", "other", ""); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{0, 45 * time.Second}, rec.times()); diff != "" {
		t.Errorf("requests sent at (-want +got):\n%s", diff)
	}
}

// TestSecondaryBackoffHasJitter: without retry-after or reset, the waits
// back off from a minute, doubling, each plus the injected jitter.
func TestSecondaryBackoffHasJitter(t *testing.T) {
	t.Parallel()
	var calls int
	var mu sync.Mutex
	c, clk := setup(t, Options{Jitter: func(d time.Duration) time.Duration { return d / 4 }}, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n <= 2 {
			writeJSON(w, 403, map[string]string{"message": "You have exceeded a secondary rate limit.",
				"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"})
			return
		}
		contentsOK(w)
	})
	if _, _, err := c.GetContents(context.Background(), "acme", "app", "f", ""); err != nil {
		t.Fatal(err)
	}
	// Jitter(d/2) = d/8: 1m + 7.5s, then 2m + 15s.
	want := []time.Duration{time.Minute + 7500*time.Millisecond, 2*time.Minute + 15*time.Second}
	if diff := cmp.Diff(want, clk.Sleeps()); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

// TestTimeBudgetStopsWrites: a write that would have to wait past the
// deadline is not sent.
func TestTimeBudgetStopsWrites(t *testing.T) {
	t.Parallel()
	c, rec := recording(t, Options{WriteLimits: []WriteLimit{{N: 1, Per: time.Minute}}, Deadline: epoch.Add(time.Minute)},
		func(w http.ResponseWriter, _ int, _ string) {
			writeJSON(w, 200, map[string]any{"content": map[string]any{"sha": "x"}})
		})
	ctx := context.Background()
	if err := c.PutContents(ctx, "acme", "app", "f", "", []byte("x"), "", "one"); err != nil {
		t.Fatal(err)
	}
	err := c.PutContents(ctx, "acme", "app", "f", "", []byte("x"), "", "two")
	if !errors.Is(err, ErrTimeBudget) {
		t.Fatalf("second write: %v, want ErrTimeBudget", err)
	}
	if n := len(rec.all()); n != 1 {
		t.Errorf("%d requests reached GitHub, want 1", n)
	}
}

// tooQuickly is GitHub's field-level refusal of content creation inside an
// HTTP 200 answer (cli/cli#4801).
func tooQuickly(alias string) map[string]any {
	return map[string]any{"type": "UNPROCESSABLE", "path": []any{alias}, "locations": []any{map[string]int{"line": 2, "column": 3}},
		"message": "was submitted too quickly"}
}

// TestFieldRefusalOfEveryFieldIsResent: when every field of a document was
// refused, nothing ran, so the transport waits and sends it again.
func TestFieldRefusalOfEveryFieldIsResent(t *testing.T) {
	t.Parallel()
	c, rec := recording(t, Options{}, func(w http.ResponseWriter, n int, _ string) {
		if n == 1 {
			writeJSON(w, 200, map[string]any{"data": map[string]any{"pr": nil}, "errors": []any{tooQuickly("pr")}})
			return
		}
		writeJSON(w, 200, map[string]any{"data": map[string]any{"pr": map[string]any{"pullRequest": map[string]any{"id": "PR_1"}}}})
	})
	if err := c.UpdatePR(context.Background(), "PR_1", "t", "b"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{0, time.Minute}, rec.times()); diff != "" {
		t.Errorf("documents sent at (-want +got):\n%s", diff)
	}
}

// TestProposeFieldRefusalAfterEarlierSteps: createRef ran, then GitHub
// refused the commit and the pull request as submitted too quickly. The
// answer is not resent (createRef would fail); Propose says
// ErrContentLimited, and the next request of any worker waits out the
// back-off.
func TestProposeFieldRefusalAfterEarlierSteps(t *testing.T) {
	t.Parallel()
	c, rec := recording(t, Options{}, func(w http.ResponseWriter, _ int, what string) {
		if strings.HasPrefix(what, "mutation") {
			writeJSON(w, 200, map[string]any{"data": map[string]any{"ref": map[string]any{"ref": map[string]any{"id": "REF_1"}}, "commit": nil, "pr": nil},
				"errors": []any{tooQuickly("commit"), tooQuickly("pr")}})
			return
		}
		contentsOK(w)
	})
	ctx := context.Background()
	_, err := c.Propose(ctx, testProposeInput())
	if !errors.Is(err, ErrContentLimited) {
		t.Fatalf("Propose: %v, want ErrContentLimited", err)
	}
	if _, _, err := c.GetContents(ctx, "acme", "app", "f", ""); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{0, time.Minute}, rec.times()); diff != "" {
		t.Errorf("requests sent at (-want +got):\n%s", diff)
	}
}

// TestDecorateRedoesOnlyRefusedSteps: labels were added, then the review
// request was refused as submitted too quickly: only it is sent again.
func TestDecorateRedoesOnlyRefusedSteps(t *testing.T) {
	t.Parallel()
	c, rec := recording(t, Options{}, func(w http.ResponseWriter, n int, _ string) {
		if n == 1 {
			writeJSON(w, 200, map[string]any{"data": map[string]any{"labels": map[string]any{"clientMutationId": nil}, "reviews": nil},
				"errors": []any{tooQuickly("reviews")}})
			return
		}
		writeJSON(w, 200, map[string]any{"data": map[string]any{"reviews": map[string]any{"clientMutationId": nil}}})
	})
	notes, err := c.Decorate(context.Background(), Decoration{PRID: "PR_1", LabelIDs: []string{"L_1"}, UserIDs: []string{"U_1"}})
	if err != nil || len(notes) != 0 {
		t.Fatalf("Decorate: notes %v, error %v", notes, err)
	}
	docs := rec.all()
	if len(docs) != 2 {
		t.Fatalf("sent %d documents, want 2: %+v", len(docs), docs)
	}
	if second := docs[1].what; strings.Contains(second, "addLabelsToLabelable") || !strings.Contains(second, "requestReviews") {
		t.Errorf("second document:\n%s\nwant only the review request", second)
	}
	if docs[1].at != time.Minute {
		t.Errorf("second document sent at %s, want after the one-minute back-off", docs[1].at)
	}
}

func TestOpenPullRequestSendsOnlyThePullRequest(t *testing.T) {
	t.Parallel()
	c, rec := recording(t, Options{}, func(w http.ResponseWriter, _ int, _ string) {
		writeJSON(w, 200, map[string]any{"data": map[string]any{"pr": map[string]any{"pullRequest": map[string]any{
			"id": "PR_1", "number": 7, "url": "u", "title": "t", "body": "b", "headRefOid": strings.Repeat("c", 40)}}}})
	})
	in := testProposeInput()
	in.BranchRefID, in.BranchHeadOID = "REF_1", strings.Repeat("c", 40)
	res, err := c.OpenPullRequest(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.PR.Number != 7 {
		t.Errorf("result %+v, want PR #7 created", res)
	}
	docs := rec.all()
	if len(docs) != 1 || strings.Count(docs[0].what, ":") < 1 || fmt.Sprint(mutationFieldsOf(docs[0].what)) != "1" ||
		!strings.Contains(docs[0].what, "createPullRequest") {
		t.Errorf("documents %+v, want one createPullRequest alone", docs)
	}
}

func mutationFieldsOf(q string) int {
	b, _ := json.Marshal(map[string]string{"query": q})
	return mutationFields(b)
}
