package cli

import (
	"context"
	"fmt"
)

// runRewrite is not written yet.
func runRewrite(ctx context.Context, args []string, env Env) int {
	fmt.Fprintln(env.Stderr, "dfiu rewrite: not implemented yet")
	return ExitFailure
}
