//go:build !nosim

package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSimRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":8080", "192.168.1.1:80", "example.com:80", "nonsense"} {
		var stderr strings.Builder
		env := Env{Stdout: io.Discard, Stderr: &stderr, Getenv: func(string) string { return "" }}
		if code := Run(context.Background(), []string{"sim", "--addr", addr}, env); code != ExitUsage {
			t.Errorf("sim --addr %s = %d, want %d", addr, code, ExitUsage)
		}
		if !strings.Contains(stderr.String(), addr) {
			t.Errorf("sim --addr %s: error %q does not name the address", addr, stderr.String())
		}
	}
}

func TestSimServesSeedAndStops(t *testing.T) {
	t.Parallel()
	seed := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(seed, []byte("repos:\n  - name: acme/app\n    files: {Dockerfile: \"FROM alpine:3.19\\n\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"sim", "--addr", "127.0.0.1:0", "--seed", seed}, Env{Stdout: pw, Stderr: io.Discard})
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var url, token string
	if lines.Scan() {
		url = lines.Text()
	}
	if lines.Scan() {
		token = lines.Text()
	}
	go io.Copy(io.Discard, pr)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || token == "" {
		t.Fatalf("first lines = %q, %q; want the base URL and a token", url, token)
	}
	for _, path := range []string{"/repos/acme/app", "/api/v3/repos/acme/app/contents/Dockerfile"} {
		req, _ := http.NewRequest("GET", url+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("GET %s = %d", path, res.StatusCode)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit code = %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop after cancellation")
	}
}
