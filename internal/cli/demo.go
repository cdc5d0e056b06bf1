//go:build !nosim

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/dfiu/dfiu/internal/demo"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/ghsim"
)

// demoToken is the bot's token on the demo simulator; it is not a secret.
const demoToken = "dfiu-demo-token"

// runDemo starts the simulator on loopback, seeds the demo organisation,
// runs parent mode (ghcr.io/acme/base 1.2 → 1.3) and then all mode, and
// prints each run's diffs, summary and pull request links. With --serve it
// keeps the simulator running afterwards so the links can be opened.
func runDemo(ctx context.Context, args []string, env Env) int {
	fs := flag.NewFlagSet("dfiu demo", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback address for the simulator (port 0 picks a free port)")
	serve := fs.Bool("serve", false, "keep the simulator running after the demo, until interrupted")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "dfiu demo: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	if host, _, err := net.SplitHostPort(*addr); err != nil || !net.ParseIP(host).IsLoopback() {
		fmt.Fprintf(env.Stderr, "dfiu demo: --addr %q is not a loopback address (e.g. 127.0.0.1:0)\n", *addr)
		return ExitUsage
	}

	reg, digest, err := demo.StartRegistry()
	if err != nil {
		fmt.Fprintf(env.Stderr, "dfiu demo: %v\n", err)
		return ExitFailure
	}
	defer reg.Close()

	srv := ghsim.New(ghsim.Options{})
	url, err := srv.Start(*addr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "dfiu demo: starting the simulator: %v\n", err)
		return ExitFailure
	}
	defer srv.Close(context.Background())
	srv.SetBaseURL(url)
	if err := demo.Populate(srv, demoToken, digest); err != nil {
		fmt.Fprintf(env.Stderr, "dfiu demo: %v\n", err)
		return ExitFailure
	}

	out := env.Stdout
	fmt.Fprintf(out, "GitHub simulator serving on %s\n", url)
	fmt.Fprintf(out, "Container registry serving on %s, standing in for ghcr.io and Docker Hub (%s:%s is %s)\n", reg.Host, demo.Image, demo.NewTag, digest)
	fmt.Fprintf(out, "Demo organisation %q, store %s (%s: %s, %s: %s and %s):\n%s\n", demo.Org, demo.Store,
		demo.Image, demo.OldTag, demo.NodeImage, demo.NodeTag, demo.NodeAlpineTag, demo.Legend())

	// Everything goes to stdout in order; the logs are left out so that the
	// output is the same on every run, apart from the port.
	runEnv := Env{Stdin: env.Stdin, Stdout: out, Stderr: out, Getenv: func(k string) string {
		if k == "GITHUB_TOKEN" {
			return demoToken
		}
		return ""
	}}
	// The simulator runs without limits here: the demo need not pace writes.
	deps := actionDeps{WriteLimits: []gh.WriteLimit{{N: 1 << 20, Per: time.Minute}}, Logger: slog.New(slog.DiscardHandler), RegistryTransport: reg.Transport()}
	common := []string{"--orgs", demo.Org, "--github-api-url", url, "--github-graphql-url", url + "/graphql",
		"--store", demo.Store, "--exclude-repos", demo.Exclude, "--labels", demo.Label, "--auto-merge", "squash",
		// acme/partner-config fails (the token may only read it); the demo
		// shows that and still exits 0.
		"--fail-on-error=false"}

	steps := []struct {
		title string
		mode  string
		args  []string
		// before runs first, and says what it did
		before func() (string, error)
	}{
		{fmt.Sprintf("$ dfiu parent --image %s --tag %s ...", demo.Image, demo.NewTag), "parent",
			append([]string{"--image", demo.Image, "--tag", demo.NewTag}, common...), nil},
		{fmt.Sprintf("$ dfiu parent --image %s --tag %s ...   (the same tag, rebuilt)", demo.Image, demo.NewTag), "parent",
			append([]string{"--image", demo.Image, "--tag", demo.NewTag}, common...), func() (string, error) {
				d, err := demo.Rebuild(reg)
				return fmt.Sprintf("%s:%s is rebuilt for a security fix and pushed again: the same tag, now %s", demo.Image, demo.NewTag, d), err
			}},
		{"$ dfiu all ...   (every image in the store; " + demo.Image + " is now done, node is new)", "all", common, nil},
	}
	code := ExitOK
	for _, s := range steps {
		if s.before != nil {
			what, err := s.before()
			if err != nil {
				fmt.Fprintf(env.Stderr, "dfiu demo: %v\n", err)
				return ExitFailure
			}
			fmt.Fprintf(out, "\n%s\n", what)
		}
		fmt.Fprintf(out, "\n%s\n\n", s.title)
		if c := runAction(ctx, actionOptions{Mode: s.mode, Args: s.args, actionDeps: deps}, runEnv); c != ExitOK {
			code = c
		}
	}
	if *serve {
		fmt.Fprintf(out, "\nServing %s until interrupted (token %q).\n", url, demoToken)
		<-ctx.Done()
	}
	return code
}
