package cli

import (
	"context"
	"fmt"
)

// runSim is not written yet.
func runSim(ctx context.Context, args []string, env Env) int {
	fmt.Fprintln(env.Stderr, "dfiu sim: not implemented yet")
	return ExitFailure
}
