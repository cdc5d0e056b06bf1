//go:build nosim

package cli

// Release builds (the Dockerfile, the release workflow) use -tags nosim: the
// action never runs the GitHub simulator, which with its GraphQL engine is a
// fifth of the binary. "go run . demo" and "go test" build without the tag
// and keep sim.go and demo.go.

import (
	"context"
	"fmt"
)

func runSim(_ context.Context, _ []string, env Env) int  { return leftOut("sim", env) }
func runDemo(_ context.Context, _ []string, env Env) int { return leftOut("demo", env) }

func leftOut(cmd string, env Env) int {
	fmt.Fprintf(env.Stderr, "dfiu %s: this is a release build, which leaves the GitHub simulator out (-tags nosim); run it from a source checkout with \"go run . %s\"\n", cmd, cmd)
	return ExitUsage
}
