package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/dfiu/dfiu/internal/version"
)

var rewriteYML = flag.Bool("update", false, "rewrite action.yml from the Inputs and Outputs tables")

// actionYML is the part of action.yml the tables describe.
type actionYML struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs  yaml.Node `yaml:"inputs"`
	Outputs yaml.Node `yaml:"outputs"`
	Runs    struct {
		Using string `yaml:"using"`
		Image string `yaml:"image"`
	} `yaml:"runs"`
}

type ymlInput struct {
	Description string  `yaml:"description"`
	Default     *string `yaml:"default"`
	Required    bool    `yaml:"required"`
}

// TestActionYML checks that action.yml declares exactly the inputs and
// outputs of the tables, in the same order, with the same descriptions and
// defaults, and that it is a docker container action with branding.
func TestActionYML(t *testing.T) {
	file := filepath.Join("..", "..", "action.yml")
	if *rewriteYML {
		if err := os.WriteFile(file, []byte(renderActionYML()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var a actionYML
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("parsing action.yml: %v", err)
	}
	if a.Runs.Using != "docker" || a.Runs.Image != version.ActionImage() {
		t.Errorf("runs = %+v, want using: docker, image: %s (the published image of the release)", a.Runs, version.ActionImage())
	}
	if a.Branding.Icon == "" || a.Branding.Color == "" || a.Name == "" || a.Description == "" {
		t.Errorf("action.yml lacks name, description or branding: %+v", a)
	}

	type in struct{ Name, Description, Default string }
	var want, got []in
	for _, i := range Inputs {
		def := i.Default
		if i.ActionDefault != "" {
			def = i.ActionDefault
		}
		want = append(want, in{i.Name, i.Description, def})
	}
	for k := 0; k+1 < len(a.Inputs.Content); k += 2 {
		var y ymlInput
		if err := a.Inputs.Content[k+1].Decode(&y); err != nil {
			t.Fatalf("input %s: %v", a.Inputs.Content[k].Value, err)
		}
		if y.Default == nil {
			t.Errorf("input %s has no default", a.Inputs.Content[k].Value)
			y.Default = new(string)
		}
		if y.Required {
			t.Errorf("input %s is required: dfiu checks inputs itself, per mode", a.Inputs.Content[k].Value)
		}
		got = append(got, in{a.Inputs.Content[k].Value, y.Description, *y.Default})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("action.yml inputs differ from config.Inputs (-want +got):\n%s\n(run go test ./internal/config -run TestActionYML -update)", diff)
	}

	var wantOut, gotOut []Output
	wantOut = append(wantOut, Outputs...)
	for k := 0; k+1 < len(a.Outputs.Content); k += 2 {
		var y struct {
			Description string `yaml:"description"`
		}
		if err := a.Outputs.Content[k+1].Decode(&y); err != nil {
			t.Fatal(err)
		}
		gotOut = append(gotOut, Output{Name: a.Outputs.Content[k].Value, Description: y.Description})
	}
	if diff := cmp.Diff(wantOut, gotOut); diff != "" {
		t.Errorf("action.yml outputs differ from config.Outputs (-want +got):\n%s", diff)
	}
}

// TestDocsTable checks that the README's section on the action has a table
// row for every input and output, and no row for anything else.
func TestDocsTable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n# The action\n")
	section, _, ok2 := strings.Cut(section, "\n# `dfiu rewrite`")
	if !ok || !ok2 {
		t.Fatal("README.md has no section from \"# The action\" to \"# `dfiu rewrite`\"")
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| `") {
			name := strings.TrimPrefix(line, "| `")
			name = name[:strings.Index(name, "`")]
			if !strings.HasPrefix(name, ".") { // template fields
				rows[name] = true
			}
		}
	}
	want := map[string]bool{}
	for _, i := range Inputs {
		want[i.Name] = true
	}
	for _, o := range Outputs {
		want[o.Name] = true
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("README.md input/output table rows differ from the config tables (-want +got):\n%s", diff)
	}
}

func renderActionYML() string {
	var b strings.Builder
	b.WriteString(`# Generated from internal/config/inputs.go and, for runs.image,
# internal/version/version.go by
#   go test ./internal/config -run TestActionYML -update
# Edit those, not this file.
name: dfiu - Docker base image updates
description: Keep Docker base images current across a GitHub organisation with idempotent pull requests.
author: dfiu
branding:
  icon: package
  color: blue
inputs:
`)
	for _, i := range Inputs {
		def := i.Default
		if i.ActionDefault != "" {
			def = i.ActionDefault
		}
		fmt.Fprintf(&b, "  %s:\n    description: %s\n    required: false\n    default: %s\n", i.Name, yamlString(i.Description), yamlString(def))
	}
	b.WriteString("outputs:\n")
	for _, o := range Outputs {
		fmt.Fprintf(&b, "  %s:\n    description: %s\n", o.Name, yamlString(o.Description))
	}
	fmt.Fprintf(&b, "runs:\n  using: docker\n  image: %s\n", yamlString(version.ActionImage()))
	return b.String()
}

// yamlString renders s as a YAML scalar (double-quoted JSON-style, which
// YAML accepts).
func yamlString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
