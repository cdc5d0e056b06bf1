package limiter

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/dfiu/dfiu/internal/clock"
)

// TestGoGitHubTypedErrors checks that go-github v60, unchanged, turns the
// middleware's refusals into its typed errors. go-github remembers resets
// and refuses later calls itself, so each call uses a fresh client, and the
// clock is the wall clock's time so that resets are near time.Now().
func TestGoGitHubTypedErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		limits Limits
		prefix string
		check  func(t *testing.T, err error)
	}{
		{"primary 403", Limits{Core: 1}, "/", func(t *testing.T, err error) {
			var rle *github.RateLimitError
			if !errors.As(err, &rle) {
				t.Fatalf("error %T %v, want *github.RateLimitError", err, err)
			}
			if rle.Rate.Limit != 1 || rle.Rate.Remaining != 0 || rle.Message != "API rate limit exceeded for user ID 1001." {
				t.Errorf("rate %+v message %q, want limit 1, remaining 0 and GitHub's message", rle.Rate, rle.Message)
			}
			if d := time.Until(rle.Rate.Reset.Time); d < 59*time.Minute || d > time.Hour {
				t.Errorf("reset in %s, want about an hour", d)
			}
		}},
		{"secondary 403", Limits{ContentPerMinute: 1}, "/api/v3/", func(t *testing.T, err error) {
			var are *github.AbuseRateLimitError
			if !errors.As(err, &are) {
				t.Fatalf("error %T %v, want *github.AbuseRateLimitError", err, err)
			}
			if are.RetryAfter == nil || *are.RetryAfter != 60*time.Second {
				t.Errorf("RetryAfter = %v, want 60s", are.RetryAfter)
			}
		}},
		{"primary 429 is a plain error in v60", Limits{Core: 1, PrimaryStatus: 429}, "/", func(t *testing.T, err error) {
			var er *github.ErrorResponse
			if !errors.As(err, &er) || er.Response.StatusCode != 429 {
				t.Fatalf("error %T %v, want *github.ErrorResponse with 429", err, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(time.Now())
			m := New(Config{Limits: tt.limits}, clk, Hooks{UserID: func(string) (int64, bool) { return 1001, true }})
			srv := httptest.NewServer(m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				w.Write([]byte(`{"number":1}`))
			})))
			defer srv.Close()
			// A fresh client per call: the first answer's remaining 0
			// would make the same client refuse the second call itself.
			create := func() error {
				client := github.NewClient(nil).WithAuthToken("alice")
				client.BaseURL, _ = url.Parse(srv.URL + tt.prefix)
				_, _, err := client.Issues.Create(context.Background(), "o", "r", &github.IssueRequest{Title: github.String("t")})
				return err
			}
			if err := create(); err != nil {
				t.Fatalf("first call: %v", err)
			}
			tt.check(t, create())
		})
	}
}
