// Package cli maps dfiu's command line (and the bare action invocation) onto
// the internal packages. Each subcommand lives in its own file and returns an
// exit code; nothing below this package calls os.Exit.
package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/dfiu/dfiu/internal/version"
)

// Exit codes shared by every subcommand.
const (
	ExitOK      = 0
	ExitFailure = 1 // some work failed (a file, a repository); the rest was done
	ExitUsage   = 2 // bad flags or inputs; nothing was touched
	ExitChanges = 3 // rewrite --check: files would change
)

// Env is the process environment, injected so that tests can run commands
// in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

const usage = `usage: dfiu <command> [flags]

Commands:
  parent    record IMAGE:TAG in the store and open PRs wherever it is used
  child     bump one repository to IMAGE:TAG
  all       open PRs wherever a file deviates from the store
  report    report who uses each image, at which tag, and who opted out (no writes)
  rewrite   rewrite image references in local files
  sim       serve the GitHub simulator on loopback
  demo      run parent and all mode against a seeded, in-process simulator
  version   print the version, commit and Go version (also --version)

With no command, dfiu runs as a GitHub Action: it reads INPUT_* variables and
the "mode" input picks parent, child, all or report.
Run "dfiu <command> -h" for a command's flags.
`

// Run executes one dfiu invocation and returns its exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		// The action's log starts with the version, so that a report
		// names the build it came from.
		fmt.Fprintln(env.Stdout, version.Get())
		return runAction(ctx, actionOptions{}, env)
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "parent", "child", "all", "report":
		return runAction(ctx, actionOptions{Mode: cmd, Args: rest}, env)
	case "rewrite":
		return runRewrite(ctx, rest, env)
	case "sim":
		return runSim(ctx, rest, env)
	case "demo":
		return runDemo(ctx, rest, env)
	case "version", "--version":
		if len(rest) > 0 {
			fmt.Fprintf(env.Stderr, "dfiu version: unexpected argument %q\n", rest[0])
			return ExitUsage
		}
		fmt.Fprintln(env.Stdout, version.Get())
		return ExitOK
	case "-h", "--help", "help":
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	default:
		fmt.Fprintf(env.Stderr, "dfiu: unknown command %q\n\n%s", cmd, usage)
		return ExitUsage
	}
}
