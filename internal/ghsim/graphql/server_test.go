package graphql_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/ghsim"
)

// TestBehindTheSimulator runs the handler as the simulator mounts it, behind
// authentication and the limiter, at both GraphQL paths: rateLimit must
// agree with the x-ratelimit-* headers of the same answer.
func TestBehindTheSimulator(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := ghsim.New(ghsim.Options{Clock: clk})
	if err := srv.Seed(ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n"}}}}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for _, path := range []string{"/graphql", "/api/graphql"} {
		for range 2 {
			req, _ := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(
				`{"query":"{ rateLimit { limit remaining used resetAt } repository(owner:\"acme\", name:\"app\") { object(expression:\"HEAD:Dockerfile\") { ... on Blob { text } } } }"}`))
			req.Header.Set("Authorization", "bearer "+srv.AdminToken())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Data struct {
					RateLimit struct {
						Limit, Remaining, Used int
						ResetAt                time.Time
					}
					Repository struct{ Object struct{ Text string } }
				}
				Errors []any
			}
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || len(body.Errors) > 0 {
				t.Fatalf("%s: status %d, err %v, errors %v", path, resp.StatusCode, err, body.Errors)
			}
			rl := body.Data.RateLimit
			h := resp.Header
			if strconv.Itoa(rl.Used) != h.Get("X-Ratelimit-Used") || strconv.Itoa(rl.Limit) != h.Get("X-Ratelimit-Limit") ||
				strconv.FormatInt(rl.ResetAt.Unix(), 10) != h.Get("X-Ratelimit-Reset") {
				t.Errorf("%s: rateLimit %+v, headers used=%s limit=%s reset=%s", path, rl,
					h.Get("X-Ratelimit-Used"), h.Get("X-Ratelimit-Limit"), h.Get("X-Ratelimit-Reset"))
			}
			if body.Data.Repository.Object.Text != "FROM alpine:3.19\n" {
				t.Errorf("%s: text = %q", path, body.Data.Repository.Object.Text)
			}
		}
	}
}
