package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/version"
)

// exampleBlock is how the README shows a file of examples/: a link naming
// it, then the file in a yaml block.
var exampleBlock = regexp.MustCompile("(?s)\\[`(examples/[^`]+)`\\]\\(([^)]+)\\):\n\n```yaml\n(.*?)```\n")

// TestExamplesInREADME checks that the README shows every example workflow
// exactly as it is in examples/ (where .ci/run lints it with actionlint),
// and that the examples use the action's current major version.
func TestExamplesInREADME(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("examples/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples/*.yml (%v)", err)
	}
	shown := map[string]int{}
	for _, m := range exampleBlock.FindAllStringSubmatch(string(readme), -1) {
		name, link, block := m[1], m[2], m[3]
		shown[name]++
		if link != name {
			t.Errorf("README: [%s] links to %s", name, link)
		}
		want, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("README shows %s: %v", name, err)
			continue
		}
		if block != string(want) {
			t.Errorf("README's block for %s differs from the file; copy the file into the README:\n%s", name, want)
		}
	}
	major := "dfiu/dfiu@v" + strings.Split(version.Release, ".")[0] + "\n"
	for _, f := range files {
		f = filepath.ToSlash(f)
		if shown[f] != 1 {
			t.Errorf("README shows %s %d times, want once, as [`%s`](%s):, a blank line and a yaml block", f, shown[f], f, f)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "uses: "+major) {
			t.Errorf("%s does not use %s (the major version of release %s)", f, strings.TrimSpace(major), version.Release)
		}
	}
	for name := range shown {
		if !strings.HasPrefix(name, "examples/") || !strings.HasSuffix(name, ".yml") {
			t.Errorf("README shows %s as an example", name)
		}
	}
}
