package ghsim_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The simulator stands in for GitHub, so it must not share code with the
// client it checks, and the product must not lean on it. Like
// go-containerregistry's depcheck tests, this reads the import graph of the
// module's non-test code (tests may drive the simulator) and enforces:
//   - a product package never imports internal/ghsim or anything under it;
//   - internal/ghsim/... imports nothing of the module outside itself but
//     the shared infrastructure (internal/clock: time is not GitHub's
//     behaviour, and both sides need one fake of it);
//   - the shared infrastructure imports nothing of the module;
//   - test-support packages (internal/testshared, internal/ghsim/ghsimtest)
//     are imported by no shipped package;
//   - the composition roots (the main package, internal/cli, internal/demo)
//     may import the product and the simulator both.
const module = "github.com/dfiu/dfiu"

var (
	compositionRoots = []string{module, module + "/internal/cli", module + "/internal/demo"}
	sharedInfra      = []string{module + "/internal/clock"}
	testSupport      = []string{module + "/internal/testshared", module + "/internal/ghsim/ghsimtest"}
)

func inSim(pkg string) bool {
	return pkg == module+"/internal/ghsim" || strings.HasPrefix(pkg, module+"/internal/ghsim/")
}

// boundaryViolations checks imports (package → its direct imports, for every
// package of the module) against the rules above.
func boundaryViolations(imports map[string][]string) []string {
	var bad []string
	for pkg, deps := range imports {
		for _, dep := range deps {
			if dep != module && !strings.HasPrefix(dep, module+"/") {
				continue
			}
			var why string
			switch {
			case slices.Contains(testSupport, dep) && !slices.Contains(testSupport, pkg):
				why = "shipped code must not import test support"
			case slices.Contains(sharedInfra, pkg) || pkg == module+"/internal/testshared":
				why = "shared infrastructure imports nothing of the module"
			case slices.Contains(compositionRoots, pkg):
			case inSim(pkg) && !inSim(dep) && !slices.Contains(sharedInfra, dep) && !slices.Contains(testSupport, dep):
				why = "the simulator must not import the product"
			case !inSim(pkg) && inSim(dep):
				why = "the product must not import the simulator"
			}
			if why != "" {
				bad = append(bad, fmt.Sprintf("%s imports %s: %s", pkg, dep, why))
			}
		}
	}
	slices.Sort(bad)
	return bad
}

func TestDependencies(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		imports[f[0]] = f[1:]
	}
	for _, pkg := range []string{module + "/internal/ghsim", module + "/internal/update", module + "/internal/cli"} {
		if _, ok := imports[pkg]; !ok {
			t.Fatalf("go list did not list %s; got %d packages", pkg, len(imports))
		}
	}
	for _, v := range boundaryViolations(imports) {
		t.Error(v)
	}
}

// TestDependencyRulesCatch feeds boundaryViolations a graph breaking each
// rule once, so that TestDependencies can fail.
func TestDependencyRulesCatch(t *testing.T) {
	t.Parallel()
	p := func(s string) string { return module + "/internal/" + s }
	imports := map[string][]string{
		p("update"):          {"fmt", p("gh"), p("ghsim/state")},
		p("ghsim"):           {p("ghsim/state"), p("clock"), p("dockerfile")},
		p("ghsim/ghsimtest"): {p("ghsim/graphql"), p("testshared")},
		p("clock"):           {"time", p("gh")},
		p("cli"):             {p("update"), p("ghsim"), p("demo"), p("testshared")},
		p("demo"):            {p("ghsim"), p("ghsim/state")},
		p("gh"):              {p("clock")},
	}
	got := boundaryViolations(imports)
	want := []string{
		p("cli") + " imports " + p("testshared") + ": shipped code must not import test support",
		p("clock") + " imports " + p("gh") + ": shared infrastructure imports nothing of the module",
		p("ghsim") + " imports " + p("dockerfile") + ": the simulator must not import the product",
		p("update") + " imports " + p("ghsim/state") + ": the product must not import the simulator",
	}
	if !slices.Equal(got, want) {
		t.Errorf("boundaryViolations() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
