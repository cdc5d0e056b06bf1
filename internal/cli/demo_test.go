//go:build !nosim

package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"demo"}, Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})
	out := stdout.String()
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr.String())
	}
	m := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no simulator URL in:\n%s", out)
	}
	base := m[1]
	for _, want := range []string{
		base + "/acme/api/pull/1",
		base + "/acme/supersede/pull/1", // superseded, not a second PR
		base + "/acme/web/pull/2",       // node, from all mode
		"-FROM ghcr.io/acme/base:1.2\n+FROM ghcr.io/acme/base:1.3\n",
		"-    image: node:20\n+    image: node:22\n",
		"no push permission",
		"pinned by digest",
		"not forcing over it",
		// acme/alpine (another lineage) and acme/floating (latest) are not
		// counted as behind.
		"adoption: 2 of 16",
		// One pull request moves both of node's lineages.
		"# acme/fullstack: node -> 22, 22-alpine (created)",
		"-    image: node:20-alpine\n+    image: node:22-alpine\n",
		"Dockerfile:1: variant alpine differs from the new tag's",
		"compose.yaml:3: floating tag",
		"$ dfiu all",
		base + "/acme/rebuilt/pull/1", // the rebuild of 1.3
		base + "/acme/pinned/pull/1",
		"is rebuilt for a security fix and pushed again",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if !regexp.MustCompile(`# acme/rebuilt: ghcr.io/acme/base -> 1.3@(sha256:[0-9a-f]{64}) \(created\)\n--- a/Dockerfile\n\+\+\+ b/Dockerfile\n@@ -1,2 \+1,2 @@\n-FROM ghcr.io/acme/base:1.3@sha256:[0-9a-f]{64}\n\+FROM ghcr.io/acme/base:1.3@sha256:[0-9a-f]{64}\n`).MatchString(out) {
		t.Errorf("the demo shows no rebuild re-pinning acme/rebuilt:\n%s", out)
	}
	// Deterministic apart from the port.
	var again bytes.Buffer
	Run(context.Background(), []string{"demo"}, Env{Stdin: strings.NewReader(""), Stdout: &again, Stderr: &stderr, Getenv: func(string) string { return "" }})
	port := regexp.MustCompile(`127\.0\.0\.1:\d+`)
	if a, b := port.ReplaceAllString(out, "PORT"), port.ReplaceAllString(again.String(), "PORT"); a != b {
		t.Errorf("two demo runs differ beyond the port")
	}
}

func TestDemoRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	code := Run(context.Background(), []string{"demo", "--addr", "0.0.0.0:0"}, Env{Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }})
	if code != ExitUsage || !strings.Contains(stderr.String(), "loopback") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
