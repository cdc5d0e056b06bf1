package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/dfiu/dfiu/internal/dockerfile"
)

// Docker cannot run in CI, so these tests read the project's own Dockerfile
// with BuildKit's parser and dfiu's own engine and check what matters for
// the action's image.

const caBundle = "/etc/ssl/certs/ca-certificates.crt"

// exactVersionTag is a version tag that names one release: at least
// major.minor.patch, with an optional variant suffix ("1.26.8-alpine").
// Floating tags such as "latest", "1" or "1.26" do not match.
var exactVersionTag = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9][a-z0-9.]*)?$`)

func TestDockerfile(t *testing.T) {
	t.Parallel()
	content, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatalf("reading the project's Dockerfile: %v", err)
	}
	goVersion := goModVersion(t)
	for _, problem := range checkDockerfile(content, goVersion) {
		t.Errorf("Dockerfile: %s", problem)
	}
}

// TestCheckDockerfileCatches makes sure that checkDockerfile, which
// TestDockerfile relies on, reports each kind of mistake.
func TestCheckDockerfileCatches(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatalf("reading the project's Dockerfile: %v", err)
	}
	const goVersion = "1.26.8"
	goodTag := buildStageTag(t, good)
	tests := []struct {
		name     string
		from, to string // a replacement applied to the real Dockerfile
		want     string // a piece of the expected problem
	}{
		{name: "floating tag", from: "golang:" + goodTag, to: "golang:1.26-alpine", want: "not pinned by an exact version tag"},
		{name: "latest", from: "golang:" + goodTag, to: "golang:latest", want: "not pinned by an exact version tag"},
		{name: "other go version", from: "golang:" + goodTag, to: "golang:1.25.3-alpine", want: `go.mod's go version "1.26.8"`},
		{name: "not golang", from: "golang:" + goodTag, to: "alpine:3.20.3", want: "build stage"},
		{name: "cgo", from: "CGO_ENABLED=0", to: "CGO_ENABLED=1", want: "CGO_ENABLED=0"},
		{name: "no trimpath", from: "-trimpath ", to: "", want: "-trimpath"},
		{name: "no strip", from: `-ldflags="-s -w `, to: `-ldflags="`, want: `-ldflags="-s -w`},
		{name: "simulator built in", from: "-tags nosim ", to: "", want: "-tags nosim"},
		{name: "distroless", from: "FROM scratch", to: "FROM gcr.io/distroless/static-debian12:nonroot", want: "final stage"},
		{name: "no CA bundle", from: "COPY --from=build " + caBundle + " " + caBundle + "\n", to: "", want: "CA bundle"},
		{name: "shell entrypoint", from: `ENTRYPOINT ["/dfiu"]`, to: "ENTRYPOINT /dfiu", want: "ENTRYPOINT"},
		{name: "extra entrypoint arg", from: `ENTRYPOINT ["/dfiu"]`, to: `ENTRYPOINT ["/dfiu", "all"]`, want: "ENTRYPOINT"},
		{name: "non-root", from: `ENTRYPOINT ["/dfiu"]`, to: "USER 65532\nENTRYPOINT [\"/dfiu\"]", want: "runs as root"},
		{name: "third stage", from: "FROM scratch", to: "FROM build AS extra\nFROM scratch", want: "stages"},
		{name: "no module layer", from: "RUN go mod download\n", to: "", want: "go mod download"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !bytes.Contains(good, []byte(tt.from)) {
				t.Fatalf("the Dockerfile no longer contains %q; update this case", tt.from)
			}
			bad := bytes.Replace(good, []byte(tt.from), []byte(tt.to), 1)
			problems := checkDockerfile(bad, goVersion)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("replacing %q with %q: problems %q, want one mentioning %q", tt.from, tt.to, problems, tt.want)
			}
		})
	}
}

// checkDockerfile returns what is wrong with content as the project's
// Dockerfile, or nothing.
func checkDockerfile(content []byte, goVersion string) []string {
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	res, err := parser.Parse(bytes.NewReader(content))
	if err != nil {
		return []string{fmt.Sprintf("BuildKit's parser rejects it: %v", err)}
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return []string{fmt.Sprintf("BuildKit's instruction parser rejects it: %v", err)}
	}
	if len(stages) != 2 {
		report("%d stages, want 2 (build and final)", len(stages))
		if len(stages) < 2 {
			return problems
		}
	}

	// Every image the build pulls, as dfiu's own engine sees it.
	images, err := dockerfile.Images(dockerfile.KindDockerfile, content)
	if err != nil {
		report("dfiu's engine rejects it: %v", err)
	}
	if !slices.ContainsFunc(images, func(img string) bool { return img != "scratch" }) {
		report("dfiu's engine finds no base image in it (images %q)", images)
	}
	for _, img := range images {
		if img == "scratch" {
			continue
		}
		opts := dockerfile.Options{Image: img, Tag: "0.0.0"}
		out, err := dockerfile.Rewrite(dockerfile.KindDockerfile, content, opts)
		if err != nil {
			report("dfiu's engine cannot rewrite %s: %v", img, err)
			continue
		}
		for _, ref := range out.Refs {
			if !exactVersionTag.MatchString(ref.OldTag) {
				report("line %d: %s is not pinned by an exact version tag (major.minor.patch)", ref.Line, ref.Old)
			}
		}
	}

	build, final := stages[0], stages[len(stages)-1]
	named, err := reference.ParseNormalizedNamed(build.BaseName)
	tagged, isTagged := named.(reference.Tagged)
	switch {
	case err != nil:
		report("build stage base %q: %v", build.BaseName, err)
	case reference.FamiliarName(named) != "golang" || !isTagged:
		report("build stage is FROM %s, want golang:<go.mod's version>", build.BaseName)
	case tagged.Tag() != goVersion && !strings.HasPrefix(tagged.Tag(), goVersion+"-"):
		report("build stage tag %q does not match go.mod's go version %q", tagged.Tag(), goVersion)
	}

	var cgoOff, modDownload, built bool
	for _, cmd := range build.Commands {
		switch c := cmd.(type) {
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if kv.Key == "CGO_ENABLED" {
					cgoOff = kv.Value == "0"
				}
			}
		case *instructions.RunCommand:
			line := strings.Join(c.CmdLine, " ")
			if strings.Contains(line, "go mod download") && !built {
				modDownload = true
			}
			if !strings.Contains(line, "go build") {
				continue
			}
			built = true
			if strings.Contains(line, "CGO_ENABLED=0") {
				cgoOff = true
			}
			for _, want := range []string{"-trimpath", "-tags nosim", `-ldflags="-s -w`, "-o /dfiu"} {
				if !strings.Contains(line, want) {
					report("go build %q lacks %s", line, want)
				}
			}
		}
	}
	if !built {
		report("the build stage has no go build")
	}
	if !cgoOff {
		report("the build stage does not set CGO_ENABLED=0")
	}
	if !modDownload {
		report("the build stage has no go mod download layer before go build")
	}

	if final.BaseName != "scratch" {
		report("final stage is FROM %s, want scratch", final.BaseName)
	}
	var ca, binary bool
	var entrypoint *instructions.EntrypointCommand
	for _, cmd := range final.Commands {
		switch c := cmd.(type) {
		case *instructions.CopyCommand:
			if c.From != build.Name {
				continue
			}
			if slices.Equal(c.SourcePaths, []string{caBundle}) && (c.DestPath == caBundle || c.DestPath == path.Dir(caBundle)+"/") {
				ca = true
			}
			if slices.Equal(c.SourcePaths, []string{"/dfiu"}) && c.DestPath == "/dfiu" {
				binary = true
			}
		case *instructions.EntrypointCommand:
			entrypoint = c
		case *instructions.UserCommand:
			if c.User != "root" && c.User != "0" {
				report("final stage sets USER %s; it runs as root so that the action can write GITHUB_OUTPUT", c.User)
			}
		}
	}
	if !ca {
		report("final stage does not copy the CA bundle %s from the build stage", caBundle)
	}
	if !binary {
		report("final stage does not COPY --from=%s /dfiu /dfiu", build.Name)
	}
	if entrypoint == nil || entrypoint.PrependShell || !slices.Equal(entrypoint.CmdLine, []string{"/dfiu"}) {
		report(`ENTRYPOINT is not exactly ["/dfiu"] in exec form`)
	}
	return problems
}

// buildStageTag returns the tag of the first FROM, for building mutations.
func buildStageTag(t *testing.T, content []byte) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^FROM golang:(\S+)`).FindSubmatch(content)
	if m == nil {
		t.Fatal("the Dockerfile has no FROM golang:<tag> line")
	}
	return string(m[1])
}

// goModVersion returns the go directive of go.mod, e.g. "1.26.8".
func goModVersion(t *testing.T) string {
	t.Helper()
	f, err := os.Open("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("go.mod has no go directive")
	return ""
}

// TestDockerignore checks that .dockerignore keeps the repository's history
// and test data out of the build context but keeps everything the build
// reads: go.mod, go.sum, every non-test Go file and every //go:embed target.
func TestDockerignore(t *testing.T) {
	t.Parallel()
	patterns := readDockerignore(t)
	for _, excluded := range []string{".git", ".git/HEAD", "testdata/rewrite/x", "internal/dockerfile/testdata/fuzz/FuzzX/seed"} {
		if !ignored(patterns, excluded) {
			t.Errorf(".dockerignore does not exclude %s", excluded)
		}
	}
	needed := []string{"go.mod", "go.sum"}
	embed := regexp.MustCompile(`^//go:embed\s+(.+)$`)
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "testdata" {
				return filepath.SkipDir // go build never reads testdata
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		needed = append(needed, filepath.ToSlash(p))
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(src), "\n") {
			m := embed.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil {
				continue
			}
			for _, pat := range strings.Fields(m[1]) {
				pat = strings.TrimPrefix(strings.Trim(pat, "\"`"), "all:")
				matches, err := filepath.Glob(filepath.Join(filepath.Dir(p), pat))
				if err != nil {
					return fmt.Errorf("%s: //go:embed %s: %w", p, pat, err)
				}
				for _, m := range matches {
					needed = append(needed, filepath.ToSlash(m))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range needed {
		if ignored(patterns, p) {
			t.Errorf(".dockerignore excludes %s, which the build needs", p)
		}
	}
}

func TestIgnored(t *testing.T) {
	t.Parallel()
	patterns := []string{".git", "**/testdata", "*.md", "docs"}
	tests := map[string]bool{
		".git": true, ".git/objects/ab": true, "a/testdata/x": true, "testdata/y": true,
		"README.md": true, "docs/rewrite.md": true, "internal/x/README.md": false,
		"main.go": false, "internal/dockerfile/api.go": false, ".github/x": false, "gitx": false,
	}
	for p, want := range tests {
		if got := ignored(patterns, p); got != want {
			t.Errorf("ignored(%q, %q) = %v, want %v", patterns, p, got, want)
		}
	}
}

// readDockerignore reads the patterns of .dockerignore. Exceptions ("!")
// are not supported by ignored, so they fail the test rather than being
// misread.
func readDockerignore(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(".dockerignore")
	if err != nil {
		t.Fatalf("reading .dockerignore: %v", err)
	}
	var patterns []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Fatalf(".dockerignore: exception %q is not supported by this test's matcher", line)
		}
		patterns = append(patterns, strings.TrimPrefix(path.Clean(line), "/"))
	}
	return patterns
}

// ignored reports whether the slash path p (relative to the context root) is
// excluded by patterns, as Docker reads them: a pattern matches a path or
// any of its parent directories, and a leading "**/" matches at any depth.
func ignored(patterns []string, p string) bool {
	parts := strings.Split(p, "/")
	for _, pat := range patterns {
		anyDepth := strings.HasPrefix(pat, "**/")
		pat = strings.TrimPrefix(pat, "**/")
		for end := 1; end <= len(parts); end++ {
			starts := []int{0}
			if anyDepth {
				starts = make([]int, end)
				for i := range starts {
					starts[i] = i
				}
			}
			for _, start := range starts {
				if ok, _ := path.Match(pat, strings.Join(parts[start:end], "/")); ok {
					return true
				}
			}
		}
	}
	return false
}
