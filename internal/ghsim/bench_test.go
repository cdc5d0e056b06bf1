package ghsim_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/ghsim"
)

func seed5000() ghsim.Seed {
	seed := ghsim.Seed{Orgs: []string{"acme"}}
	for i := range 5000 {
		seed.Repos = append(seed.Repos, ghsim.SeedRepo{Name: fmt.Sprintf("acme/repo-%04d", i), Files: map[string]string{
			"Dockerfile":      fmt.Sprintf("FROM alpine:3.%d\nRUN echo %d\n", i%20, i),
			"docker/app.yaml": "image: nginx:1.25\n",
		}})
	}
	return seed
}

// TestSeed5000 checks that 5,000 repositories seed and are searchable; the
// speed is measured by BenchmarkSeed5000, not asserted.
func TestSeed5000(t *testing.T) {
	t.Parallel()
	srv := ghsim.New(ghsim.Options{Clock: clock.NewFake(time.Now())})
	if err := srv.Seed(seed5000()); err != nil {
		t.Fatal(err)
	}
	// One query considers at most 4,000 repositories, as on GitHub.
	hits, err := srv.World().SearchCode(nil, "alpine filename:Dockerfile org:acme")
	if err != nil || len(hits) != 4000 {
		t.Fatalf("SearchCode = %d hits, %v; want 4000 (the per-query repository cap)", len(hits), err)
	}
	srv.SetSearchRepoCap(5000)
	if hits, err := srv.World().SearchCode(nil, "alpine filename:Dockerfile org:acme"); err != nil || len(hits) != 5000 {
		t.Fatalf("SearchCode with the cap at 5,000 = %d hits, %v; want 5000", len(hits), err)
	}
}

// BenchmarkSeed5000 seeds 5,000 repositories of two files each.
func BenchmarkSeed5000(b *testing.B) {
	seed := seed5000()
	for b.Loop() {
		srv := ghsim.New(ghsim.Options{Clock: clock.NewFake(time.Now())})
		if err := srv.Seed(seed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetRepo serves GET /repos/{owner}/{repo} over loopback HTTP, in
// parallel, through the limiter.
func BenchmarkGetRepo(b *testing.B) {
	srv := ghsim.New(ghsim.Options{Clock: clock.NewFake(time.Now())})
	if err := srv.Seed(ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/app", AutoInit: true}}}); err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	client := ts.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", ts.URL+"/repos/acme/app", nil)
			req.Header.Set("Authorization", "token "+srv.AdminToken())
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body) // so that the connection is reused
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkGetRepoInProcess serves GET /repos/{owner}/{repo} by calling
// ServeHTTP directly: the simulator's own cost without the network stack.
func BenchmarkGetRepoInProcess(b *testing.B) {
	srv := ghsim.New(ghsim.Options{Clock: clock.NewFake(time.Now())})
	if err := srv.Seed(ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/app", AutoInit: true}}}); err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/repos/acme/app", nil)
			req.Header.Set("Authorization", "token "+srv.AdminToken())
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
