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
	"strings"
	"sync"

	"github.com/sethvargo/go-githubactions"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/config"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/report"
	"github.com/dfiu/dfiu/internal/store"
	pipeline "github.com/dfiu/dfiu/internal/update"
)

// actionDeps are what tests (and the demo) inject into a run.
type actionDeps struct {
	Clock           clock.Clock  // nil: clock.Real
	HTTPClient      *http.Client // nil: the default transport
	WritesPerMinute int          // 0: the client's default (80)
	BatchSize       int          // 0: the client's default
	MaxRetries      int          // 0: 5
	Logger          *slog.Logger // nil: text to stderr (stdout in Actions)
}

// runAction runs parent, child or all mode. With mode "" it runs as the
// GitHub Action: inputs come from INPUT_* variables and the mode input.
func runAction(ctx context.Context, mode string, args []string, env Env) int {
	return runActionWith(ctx, mode, args, env, actionDeps{})
}

func runActionWith(ctx context.Context, mode string, args []string, env Env, deps actionDeps) int {
	asAction := mode == "" || env.Getenv("GITHUB_ACTIONS") == "true"

	// The token is masked as soon as it is read, before anything else is
	// printed, and scrubbed from everything dfiu writes.
	token := ""
	if mode == "" {
		token = githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(io.Discard)).GetInput("github-token")
	} else {
		token = flagValue(args, "github-token")
	}
	if token == "" {
		token = env.Getenv("GITHUB_TOKEN")
	}
	if asAction && token != "" {
		githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(env.Stdout)).AddMask(token)
	}
	stdout := &redactor{w: env.Stdout, secret: token}
	stderr := &redactor{w: env.Stderr, secret: token}
	gha := githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(stdout))

	var cfg *config.Config
	var err error
	if mode == "" {
		cfg, err = config.FromAction(env.Getenv)
	} else {
		cfg, err = config.FromFlags(mode, args, env.Getenv, stderr)
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err == nil {
		var ts *pipeline.Templates
		ts, err = pipeline.NewTemplates(cfg.PRTitle, cfg.PRBody, cfg.CommitMessage)
		if err == nil {
			return runConfig(ctx, cfg, ts, asAction, gha, stdout, stderr, env, deps)
		}
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if asAction {
			gha.Errorf("%s", line)
		} else {
			fmt.Fprintf(stderr, "dfiu: %s\n", line)
		}
	}
	return ExitUsage
}

// runConfig runs a validated configuration and publishes the report.
func runConfig(ctx context.Context, cfg *config.Config, ts *pipeline.Templates, asAction bool, gha *githubactions.Action,
	stdout, stderr io.Writer, env Env, deps actionDeps) int {
	usage := func(input string, err error) int {
		msg := (&config.InputError{Input: input, Err: err}).Error()
		if asAction {
			gha.Errorf("%s", msg)
		} else {
			fmt.Fprintf(stderr, "dfiu: %s\n", msg)
		}
		return ExitUsage
	}
	var loc store.Location
	if cfg.Store != "" {
		var err error
		if loc, err = store.ParseLocation(cfg.Store); err != nil {
			return usage("store", err)
		}
	}

	logOut := stderr
	if asAction {
		logOut = stdout // with the group markers, in order
	}
	level := slog.LevelInfo
	if env.Getenv("RUNNER_DEBUG") == "1" {
		level = slog.LevelDebug
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))
	}

	retries := deps.MaxRetries
	if retries == 0 {
		retries = 5
	}
	client, err := gh.New(gh.Options{
		Token: cfg.Token, APIURL: cfg.APIURL, GraphQLURL: cfg.GraphQLURL,
		HTTPClient: deps.HTTPClient, Clock: deps.Clock, Logger: logger,
		MaxRetries: retries, WritesPerMinute: deps.WritesPerMinute,
		Concurrency: cfg.Concurrency, UserAgent: "dfiu",
	})
	if err != nil {
		return usage("github-token", err)
	}
	var st pipeline.Store
	if cfg.Store != "" {
		st = storeAt{files: client, loc: loc}
	}
	opts := pipeline.Options{
		Mode:           pipeline.Mode(cfg.Mode),
		Target:         pipeline.Target{Image: cfg.Image, Tag: cfg.Tag, Digest: cfg.Digest},
		Repository:     cfg.Repository,
		Orgs:           cfg.Orgs,
		ExcludeRepos:   cfg.ExcludeRepos,
		IncludeForks:   cfg.IncludeForks,
		Kinds:          cfg.FileTypes,
		DryRun:         cfg.DryRun,
		BranchPrefix:   cfg.BranchPrefix,
		Templates:      ts,
		Labels:         cfg.Labels,
		Reviewers:      cfg.Reviewers,
		TeamReviewers:  cfg.TeamReviewers,
		Assignees:      cfg.Assignees,
		Draft:          cfg.Draft,
		AutoMerge:      cfg.AutoMerge,
		IgnoreComment:  cfg.IgnoreComment,
		AllowDowngrade: cfg.AllowDowngrade,
		TagFilter:      cfg.TagFilter,
		MaxPRs:         cfg.MaxPRs,
		Concurrency:    cfg.Concurrency,
		BatchSize:      deps.BatchSize,
		Logger:         logger,
	}
	if asAction {
		opts.Phase = func(name string) func() {
			gha.Group(name)
			return gha.EndGroup
		}
	}
	rep, err := pipeline.Run(ctx, client, st, opts)
	if err != nil {
		if asAction {
			gha.Errorf("%s", err)
		} else {
			fmt.Fprintf(stderr, "dfiu: %v\n", err)
		}
		return ExitFailure
	}
	if err := publish(rep, asAction, gha, stdout, stderr, env); err != nil {
		fmt.Fprintf(stderr, "dfiu: %v\n", err)
		return ExitFailure
	}
	if _, _, failed := rep.Counts(); failed > 0 && cfg.FailOnError {
		return ExitFailure
	}
	return ExitOK
}

// publish writes the outputs, the job summary and the annotations when the
// runner provides them, and a readable summary on stdout otherwise.
func publish(rep *pipeline.Report, asAction bool, gha *githubactions.Action, stdout, stderr io.Writer, env Env) error {
	outs, err := report.Outputs(rep)
	if err != nil {
		return err
	}
	if env.Getenv("GITHUB_OUTPUT") != "" {
		for _, name := range report.OutputNames() {
			if err := issueFile(func() { gha.SetOutput(name, outs[name]) }); err != nil {
				return fmt.Errorf("setting output %s: %w", name, err)
			}
		}
	}
	summaryFile := env.Getenv("GITHUB_STEP_SUMMARY") != ""
	if summaryFile {
		md := report.Markdown(rep)
		if rep.DryRun {
			if d := report.Diffs(rep); d != "" {
				md += "\n<details><summary>Diffs</summary>\n\n```diff\n" + d + "```\n\n</details>\n"
			}
		}
		if err := issueFile(func() { gha.AddStepSummary(md) }); err != nil {
			return fmt.Errorf("writing the job summary: %w", err)
		}
	}
	for _, a := range report.Annotations(rep) {
		if asAction {
			gha.WithFieldsMap(map[string]string{"title": a.Title}).Warningf("%s", a.Message)
		} else {
			fmt.Fprintf(stderr, "warning: %s\n", a.Message)
		}
	}
	// Diffs go to the terminal, and to the Actions log in a dry run (a real
	// run's diffs are in its pull requests).
	if !asAction || rep.DryRun {
		if d := report.Diffs(rep); d != "" {
			fmt.Fprint(stdout, d)
		}
	}
	if !summaryFile {
		fmt.Fprint(stdout, report.Text(rep))
	}
	return nil
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

func (s storeAt) Load(ctx context.Context) (map[string]string, error) {
	return store.Load(ctx, s.files, s.loc)
}

func (s storeAt) Set(ctx context.Context, image, tag string) (bool, error) {
	return store.Set(ctx, s.files, s.loc, image, tag)
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

// redactor replaces a secret with *** in everything written through it.
type redactor struct {
	mu     sync.Mutex
	w      io.Writer
	secret string
}

func (r *redactor) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secret == "" || !bytes.Contains(p, []byte(r.secret)) {
		return r.w.Write(p)
	}
	if _, err := r.w.Write(bytes.ReplaceAll(p, []byte(r.secret), []byte("***"))); err != nil {
		return 0, err
	}
	return len(p), nil
}
