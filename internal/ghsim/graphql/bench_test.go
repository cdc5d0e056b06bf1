package graphql

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// BenchmarkHydrate50Repos runs the action's hydration document: 50
// repository aliases, each with its metadata and three files. Every
// iteration sends a new document text, as the action does for each batch,
// so parsing and validation are measured too.
func BenchmarkHydrate50Repos(b *testing.B) { benchHydrate(b, false) }

// BenchmarkHydrate50ReposCached sends the same text every time: the
// parsed, validated document comes from the cache.
func BenchmarkHydrate50ReposCached(b *testing.B) { benchHydrate(b, true) }

func benchHydrate(b *testing.B, cached bool) {
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	w := state.New(state.Options{Clock: clk, BaseURL: "http://sim.test"})
	w.AddOrg("acme")
	actor := w.AddToken("t", "octo", state.PermWrite, nil)
	var doc strings.Builder
	doc.WriteString("query {\n")
	for i := range 50 {
		name := fmt.Sprintf("svc%02d", i)
		files := map[string][]byte{
			"Dockerfile":          []byte("FROM golang:1.22 AS build\nRUN go build ./...\nFROM alpine:3.19\n"),
			"deploy/Dockerfile":   []byte("FROM nginx:1.25\n"),
			"docker-compose.yaml": []byte("services:\n  db:\n    image: postgres:16\n"),
		}
		if _, err := w.CreateRepo(nil, state.NewRepo{Owner: "acme", Name: name, Files: files}); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&doc, `  r%d: repository(owner: "acme", name: %q) { id nameWithOwner isArchived isFork isDisabled isEmpty viewerPermission autoMergeAllowed
    defaultBranchRef { name target { oid } }
    f0: object(expression: "HEAD:Dockerfile") { ... on Blob { text isBinary isTruncated byteSize oid } }
    f1: object(expression: "HEAD:deploy/Dockerfile") { ... on Blob { text isBinary isTruncated byteSize oid } }
    f2: object(expression: "HEAD:docker-compose.yaml") { ... on Blob { text isBinary isTruncated byteSize oid } }
  }
`, i, name)
	}
	doc.WriteString("  rateLimit { cost remaining resetAt nodeCount }\n}")
	q := doc.String()
	h := NewHandler(w, Options{Clock: clk})
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n++
		text := q
		if !cached {
			text = fmt.Sprintf("# batch %d\n%s", n, q)
		}
		body := fmt.Sprintf(`{"query":%q}`, text)
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req = req.WithContext(state.WithActor(req.Context(), actor))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}
