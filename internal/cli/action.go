package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/config"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/imageref"
	"github.com/dfiu/dfiu/internal/report"
	"github.com/dfiu/dfiu/internal/safe"
	"github.com/dfiu/dfiu/internal/scanindex"
	"github.com/dfiu/dfiu/internal/store"
	"github.com/dfiu/dfiu/internal/update"
)

// actionOptions are one parent, child or all run.
type actionOptions struct {
	// Mode is parent, child or all, with Args its flags; "" runs as the
	// GitHub Action: inputs come from INPUT_* variables and the mode input.
	Mode string
	Args []string
	actionDeps
}

// actionDeps are what tests (and the demo) inject into a run.
type actionDeps struct {
	Clock       clock.Clock     // nil: clock.Real
	HTTPClient  *http.Client    // nil: the default transport
	WriteLimits []gh.WriteLimit // nil: the write-limits input
	BatchSize   int             // 0: the client's default
	MaxRetries  int             // 0: 5
	Logger      *slog.Logger    // nil: text to stderr (stdout in Actions)
	// Jitter is the client's back-off jitter; nil: random.
	Jitter func(time.Duration) time.Duration
	// RegistryTransport carries registry requests (nil: the default
	// transport); the demo and tests send them to an in-process registry.
	RegistryTransport http.RoundTripper
	RegistryTimeout   time.Duration // 0: registry.DefaultTimeout
}

// runAction reads the configuration and runs it. The token and the
// registry password are masked as soon as they are read, before anything
// else is printed, and from then on everything is written through the
// reporter, which scrubs them.
func runAction(ctx context.Context, opts actionOptions, env Env) int {
	secrets := []string{opts.input(env.Getenv, "github-token"), opts.input(env.Getenv, "registry-password")}
	if secrets[0] == "" {
		secrets[0] = env.Getenv("GITHUB_TOKEN")
	}
	asAction := opts.Mode == "" || env.Getenv("GITHUB_ACTIONS") == "true"
	if asAction {
		gha := githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(env.Stdout))
		for _, s := range secrets {
			if s != "" {
				gha.AddMask(s)
			}
		}
	}
	out := newReporter(asAction, secrets, env)

	var cfg *config.Config
	var err error
	if opts.Mode == "" {
		cfg, err = config.FromAction(env.Getenv)
	} else {
		cfg, err = config.FromFlags(opts.Mode, opts.Args, env.Getenv, out.stderr)
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			out.error(line)
		}
		return ExitUsage
	}
	return runConfig(ctx, cfg, out, opts.actionDeps)
}

// input is the raw value of an input (a secret, read before the inputs
// are parsed so that it is masked first).
func (o actionOptions) input(getenv func(string) string, name string) string {
	if o.Mode == "" {
		return githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(io.Discard)).GetInput(name)
	}
	return flagValue(o.Args, name)
}

// runConfig runs a validated configuration and publishes the report.
func runConfig(ctx context.Context, cfg *config.Config, out *reporter, deps actionDeps) int {
	logger := deps.Logger
	if logger == nil {
		level := slog.LevelInfo
		if out.getenv("RUNNER_DEBUG") == "1" {
			level = slog.LevelDebug
		}
		logger = slog.New(slog.NewTextHandler(out.logWriter(), &slog.HandlerOptions{Level: level}))
	}
	clk := deps.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	limits := cfg.WriteLimits
	if deps.WriteLimits != nil {
		limits = deps.WriteLimits
	}
	var deadline time.Time
	if cfg.TimeBudget > 0 {
		deadline = clk.Now().Add(cfg.TimeBudget)
	}
	client, err := gh.New(gh.Options{
		Token: cfg.Token, APIURL: cfg.APIURL, GraphQLURL: cfg.GraphQLURL,
		HTTPClient: deps.HTTPClient, Clock: clk, Logger: logger,
		MaxRetries: orDefault(deps.MaxRetries, 5), WriteLimits: limits, Deadline: deadline, Jitter: deps.Jitter,
		Concurrency: cfg.Concurrency, UserAgent: "dfiu",
	})
	if err != nil {
		out.error((&config.InputError{Input: "github-token", Err: err}).Error())
		return ExitUsage
	}
	var st update.Store
	if cfg.Store != nil {
		st = storeAt{files: client, loc: *cfg.Store}
	}
	opts := cfg.Options
	if cfg.Store != nil {
		// The scan's cache lives beside the store file.
		opts.Index = scanindex.Store{Files: client, Loc: scanindex.Location(*cfg.Store)}
	}
	opts.BatchSize, opts.Logger, opts.Phase, opts.Now = deps.BatchSize, logger, out.phase(), clk.Now
	if opts.VerifyTag || opts.ResolveDigest {
		if opts.Registry, err = newRegistry(cfg, out.getenv, deps); err != nil {
			out.error(err.Error())
			return ExitUsage
		}
	}
	rep, err := update.Run(ctx, client, st, opts)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			out.error(line)
		}
		if ie := (*update.InputError)(nil); errors.As(err, &ie) {
			return ExitUsage
		}
		return ExitFailure
	}
	if err := out.publish(rep, cfg.ReportFile); err != nil {
		out.error(err.Error())
		return ExitFailure
	}
	for _, e := range rep.Errors() {
		out.error(e)
	}
	if _, _, failed := rep.Counts(); (failed > 0 || len(rep.Errors()) > 0) && cfg.FailOnError {
		return ExitFailure
	}
	return ExitOK
}

// orDefault returns n, or def when n is 0.
func orDefault(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

// reporter writes what a run tells its user: as workflow commands,
// outputs and a job summary when it runs as an action, as plain text
// otherwise. It writes only through redactors of the token.
type reporter struct {
	asAction       bool
	gha            *githubactions.Action // writes to stdout
	stdout, stderr io.Writer
	getenv         func(string) string
}

func newReporter(asAction bool, secrets []string, env Env) *reporter {
	stdout := &redactor{w: env.Stdout, secrets: secrets}
	return &reporter{
		asAction: asAction,
		gha:      githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(stdout)),
		stdout:   stdout,
		stderr:   &redactor{w: env.Stderr, secrets: secrets},
		getenv:   env.Getenv,
	}
}

// error reports an error: an error annotation, or a line on stderr. An
// error may quote a repository or the store, so each of its lines is
// neutralised (safe.Text).
func (r *reporter) error(msg string) {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = safe.Text(l)
	}
	if r.asAction {
		r.gha.Errorf("%s", strings.Join(lines, "\n"))
		return
	}
	for _, l := range lines {
		fmt.Fprintf(r.stderr, "dfiu: %s\n", l)
	}
}

// annotate reports something a person must look at (report.Annotations
// neutralised it): an error or a warning annotation, or a line on stderr.
func (r *reporter) annotate(a report.Annotation) {
	switch {
	case r.asAction && a.Error:
		r.gha.WithFieldsMap(map[string]string{"title": a.Title}).Errorf("%s", a.Message)
	case r.asAction:
		r.gha.WithFieldsMap(map[string]string{"title": a.Title}).Warningf("%s", a.Message)
	case a.Error:
		fmt.Fprintf(r.stderr, "error: %s\n", a.Message)
	default:
		fmt.Fprintf(r.stderr, "warning: %s\n", a.Message)
	}
}

// logWriter is where logs go: stdout in Actions, in order with the group
// markers; stderr otherwise.
func (r *reporter) logWriter() io.Writer {
	if r.asAction {
		return r.stdout
	}
	return r.stderr
}

// phase returns the pipeline's Phase hook: log groups in Actions.
func (r *reporter) phase() func(string) func() {
	if !r.asAction {
		return nil
	}
	return func(name string) func() {
		r.gha.Group(name)
		return r.gha.EndGroup
	}
}

// publish writes the outputs, the job summary and the annotations when the
// runner provides them, and a readable summary on stdout otherwise.
func (r *reporter) publish(rep *update.Report, reportFile string) error {
	// The full report goes to report-file: report mode's always (config
	// gives it a default), the other modes' when it is named or when
	// outputs can point to it (a file in RUNNER_TEMP).
	switch {
	case rep.Rollout != nil:
		data, err := report.RolloutJSON(rep.Rollout)
		if err != nil {
			return err
		}
		if err := os.WriteFile(reportFile, data, 0o644); err != nil {
			return fmt.Errorf("report-file: %w", err)
		}
	case reportFile != "" || r.getenv("GITHUB_OUTPUT") != "":
		var err error
		if reportFile, err = r.writeReport(rep, reportFile); err != nil {
			return err
		}
	}
	outs, err := report.Outputs(rep, reportFile)
	if err != nil {
		return err
	}
	if r.getenv("GITHUB_OUTPUT") != "" {
		for _, o := range config.Outputs {
			if err := issueFile(func() { r.gha.SetOutput(o.Name, outs[o.Name]) }); err != nil {
				return fmt.Errorf("setting output %s: %w", o.Name, err)
			}
		}
	}
	summaryFile := r.getenv("GITHUB_STEP_SUMMARY") != ""
	if rep.Rollout != nil {
		if summaryFile {
			if err := issueFile(func() { r.gha.AddStepSummary(report.RolloutMarkdown(rep.Rollout, reportFile)) }); err != nil {
				return fmt.Errorf("writing the job summary: %w", err)
			}
		} else {
			fmt.Fprint(r.stdout, report.RolloutText(rep.Rollout, reportFile))
		}
		return nil
	}
	if summaryFile {
		md := report.Markdown(rep)
		if rep.DryRun {
			if d := report.Diffs(rep); d != "" {
				block := "\n<details><summary>Diffs</summary>\n\n" + safe.Fence("diff", d) + "\n</details>\n"
				if len(md)+len(block) <= report.SummaryBudget {
					md += block
				} else {
					md += "\nThe diffs are left out to stay within GitHub's 1 MiB; they are in the log.\n"
				}
			}
		}
		if err := issueFile(func() { r.gha.AddStepSummary(md) }); err != nil {
			return fmt.Errorf("writing the job summary: %w", err)
		}
	}
	for _, a := range report.Annotations(rep) {
		r.annotate(a)
	}
	// Diffs go to the terminal, and to the Actions log in a dry run (a real
	// run's diffs are in its pull requests).
	if !r.asAction || rep.DryRun {
		if d := report.Diffs(rep); d != "" {
			fmt.Fprint(r.stdout, d)
		}
	}
	if !summaryFile {
		fmt.Fprint(r.stdout, report.Text(rep))
	}
	return nil
}

// writeReport writes the full report to path, or when path is empty to a
// new file in RUNNER_TEMP (the system's temporary directory outside a
// runner), and returns where.
func (r *reporter) writeReport(rep *update.Report, path string) (string, error) {
	b, err := report.FullReport(rep)
	if err != nil {
		return "", err
	}
	if path != "" {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return "", fmt.Errorf("report-file: %w", err)
		}
		return path, nil
	}
	dir := r.getenv("RUNNER_TEMP")
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "dfiu-report-*.json")
	if err != nil {
		return "", fmt.Errorf("writing the report file: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return "", fmt.Errorf("writing the report file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("writing the report file: %w", err)
	}
	return f.Name(), nil
}

// issueFile runs a go-githubactions file command, which panics when the
// file cannot be written, and returns that as an error.
func issueFile(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}

// storeAt is the store at one location, as the pipeline sees it.
type storeAt struct {
	files store.Files
	loc   store.Location
}

func (s storeAt) Load(ctx context.Context) (images map[string][]string, invalid, digests map[string]string, err error) {
	return store.Tags(ctx, s.files, s.loc)
}

func (s storeAt) Where() gh.PreflightRepo {
	return gh.PreflightRepo{Owner: s.loc.Owner, Name: s.loc.Repo, Branch: s.loc.Branch, Path: s.loc.Path}
}

func (s storeAt) Set(ctx context.Context, image imageref.Name, tag, digest string) (bool, []string, error) {
	return store.RecordTags(ctx, s.files, s.loc, image, tag, digest, store.Options{})
}

// flagValue finds --name value or --name=value in args without parsing
// them (the token must be masked before flags are parsed and echoed).
func flagValue(args []string, name string) string {
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// redactor replaces secrets with *** in everything written through it.
type redactor struct {
	mu      sync.Mutex
	w       io.Writer
	secrets []string
}

func (r *redactor) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := p
	for _, s := range r.secrets {
		if s != "" && bytes.Contains(out, []byte(s)) {
			out = bytes.ReplaceAll(out, []byte(s), []byte("***"))
		}
	}
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
