package cli

import (
	"context"
	"fmt"
)

// runDemo is not written yet.
func runDemo(ctx context.Context, args []string, env Env) int {
	fmt.Fprintln(env.Stderr, "dfiu demo: not implemented yet")
	return ExitFailure
}
