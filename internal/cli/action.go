package cli

import (
	"context"
	"fmt"
)

// runAction is not written yet.
func runAction(ctx context.Context, mode string, args []string, env Env) int {
	fmt.Fprintln(env.Stderr, "dfiu: action modes are not implemented yet")
	return ExitFailure
}
