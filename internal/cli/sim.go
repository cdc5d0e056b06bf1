//go:build !nosim

package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/dfiu/dfiu/internal/ghsim"
)

// runSim serves the GitHub simulator on a loopback address until ctx ends
// (SIGINT or SIGTERM). The first line of stdout is the base URL, the second
// the admin token.
func runSim(ctx context.Context, args []string, env Env) int {
	fs := flag.NewFlagSet("dfiu sim", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback `address` to listen on; port 0 picks a free port")
	seedFile := fs.String("seed", "", "YAML or JSON `file` declaring tokens, orgs, repositories, limits and faults (see README.md)")
	token := fs.String("token", "", "admin `token` (random when empty)")
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: dfiu sim [--addr 127.0.0.1:PORT] [--seed FILE] [--token TOKEN]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "dfiu sim: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	if err := checkLoopback(*addr); err != nil {
		fmt.Fprintf(env.Stderr, "dfiu sim: %v\n", err)
		return ExitUsage
	}
	seed := ghsim.Seed{Orgs: []string{"acme"}}
	if *seedFile != "" {
		data, err := os.ReadFile(*seedFile)
		if err != nil {
			fmt.Fprintf(env.Stderr, "dfiu sim: reading seed: %v\n", err)
			return ExitUsage
		}
		if seed, err = ghsim.ParseSeed(data); err != nil {
			fmt.Fprintf(env.Stderr, "dfiu sim: %s: %v\n", *seedFile, err)
			return ExitUsage
		}
	}
	if *token == "" {
		b := make([]byte, 16)
		rand.Read(b)
		*token = "ghsim_" + hex.EncodeToString(b)
	}
	srv := ghsim.New(ghsim.Options{AdminToken: *token})
	if err := srv.Seed(seed); err != nil {
		fmt.Fprintf(env.Stderr, "dfiu sim: %v\n", err)
		return ExitUsage
	}
	url, err := srv.Start(*addr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "dfiu sim: %v\n", err)
		return ExitFailure
	}
	fmt.Fprintln(env.Stdout, url)
	fmt.Fprintln(env.Stdout, *token)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Close(shutdown); err != nil {
		fmt.Fprintf(env.Stderr, "dfiu sim: stopping: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}

// checkLoopback refuses addresses other machines could reach: the simulator
// has no real security.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %q: the simulator only listens on loopback (127.0.0.1, ::1 or localhost)", addr)
}
