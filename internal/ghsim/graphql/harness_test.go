package graphql

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// env is a world served by the GraphQL handler behind a tiny fake of the
// REST server's authentication: "Authorization: bearer <token>".
type env struct {
	t     *testing.T
	w     *state.World
	clk   *clock.Fake
	srv   *httptest.Server
	app   state.Repo // acme/app: Dockerfile, README.md, bin.dat
	token string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	w := state.New(state.Options{Clock: clk, BaseURL: "http://sim.test"})
	w.AddOrg("acme")
	w.AddToken("t-writer", "octo", state.PermWrite, nil)
	w.AddToken("t-reader", "reader", state.PermRead, nil)
	w.AddToken("t-none", "stranger", state.PermNone, nil)
	w.AddUser("alice")
	w.AddUser("bob")
	w.AddTeam("acme", "platform")
	app, err := w.CreateRepo(nil, state.NewRepo{Owner: "acme", Name: "app", AutoMergeAllowed: true, RequiredChecks: true,
		Files: map[string][]byte{
			"Dockerfile": []byte("FROM alpine:3.19\n"),
			"README.md":  []byte("hi\n"),
			"bin.dat":    {0x00, 0x01, 0x02},
			"sub/x.txt":  []byte("x\n"),
		}})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(w, Options{Clock: clk})
	auth := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		tok := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(r.Header.Get("Authorization"), "bearer "), "Bearer "))
		actor, ok := w.TokenFor(tok)
		if !ok {
			rw.WriteHeader(http.StatusUnauthorized)
			io.WriteString(rw, `{"message":"Bad credentials"}`)
			return
		}
		h.ServeHTTP(rw, r.WithContext(state.WithActor(r.Context(), actor)))
	})
	mux := http.NewServeMux()
	mux.Handle("/graphql", auth)
	mux.Handle("/api/graphql", auth)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, w: w, clk: clk, srv: srv, app: app, token: "t-writer"}
}

// post sends a document and returns the HTTP status and raw body.
func (e *env) post(token, query string, vars map[string]any) (int, []byte) {
	e.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// result is a decoded response.
type result struct {
	Data   map[string]any   `json:"data"`
	Errors []map[string]any `json:"errors"`
	raw    []byte
}

// do posts as the writer token and decodes the answer, which must be 200.
func (e *env) do(query string, vars map[string]any) result {
	e.t.Helper()
	return e.doAs(e.token, query, vars)
}

func (e *env) doAs(token, query string, vars map[string]any) result {
	e.t.Helper()
	status, body := e.post(token, query, vars)
	if status != http.StatusOK {
		e.t.Fatalf("status = %d, want 200; body %s", status, body)
	}
	var r result
	if err := json.Unmarshal(body, &r); err != nil {
		e.t.Fatalf("decoding %s: %v", body, err)
	}
	r.raw = body
	return r
}

// ok requires that the response has no errors.
func (r result) ok(t *testing.T) result {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %s", r.raw)
	}
	return r
}

// get walks data by keys and list indexes, e.g. get("repository", "ref", "name").
func (r result) get(t *testing.T, path ...any) any {
	t.Helper()
	var cur any = r.Data
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %v is not an object in %s", p, cur, r.raw)
			}
			v, has := m[p]
			if !has {
				t.Fatalf("key %q missing in %s", p, r.raw)
			}
			cur = v
		case int:
			l, ok := cur.([]any)
			if !ok || p >= len(l) {
				t.Fatalf("at %v: %v is not a list long enough in %s", p, cur, r.raw)
			}
			cur = l[p]
		}
	}
	return cur
}

func (r result) str(t *testing.T, path ...any) string {
	t.Helper()
	s, ok := r.get(t, path...).(string)
	if !ok {
		t.Fatalf("%v is not a string in %s", path, r.raw)
	}
	return s
}

// headOID returns the head commit of branch in acme/app.
func (e *env) headOID(branch string) string {
	e.t.Helper()
	ref, err := e.w.Ref(nil, e.app.ID, "refs/heads/"+branch)
	if err != nil {
		e.t.Fatalf("ref %s: %v", branch, err)
	}
	return ref.OID
}

// branch creates branch in acme/app with one more commit changing files.
func (e *env) branch(name string, files map[string]string) string {
	e.t.Helper()
	fs := map[string][]byte{}
	for k, v := range files {
		fs[k] = []byte(v)
	}
	c, err := e.w.SeedBranch(e.app.ID, name, "main", fs, "change "+name)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.OID
}

func stateNewPrivate(name string) state.NewRepo {
	return state.NewRepo{Owner: "acme", Name: name, Private: true, Files: map[string][]byte{"a": []byte("a\n")}}
}

// postJSON posts an arbitrary request body as the writer token.
func (e *env) postJSON(body map[string]any) (int, result) {
	e.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(raw))
	req.Header.Set("Authorization", "bearer "+e.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		e.t.Fatalf("decoding %s: %v", out, err)
	}
	r.raw = out
	return resp.StatusCode, r
}
