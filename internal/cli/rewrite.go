package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/dfiu/dfiu/internal/diff"
	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/safe"
)

const rewriteUsage = `usage: dfiu rewrite --image IMAGE --tag TAG [--digest sha256:HEX | --resolve] [--allow-downgrade]
                    [--tag-filter REGEX] [--floating-tags skip|pin]
                    [--ignore-comment MARKER] [--check | --diff] PATH...

Rewrites every reference to IMAGE in the Dockerfiles and compose files at
PATH (a file, or a directory walked for Dockerfile and compose file names) to
IMAGE:TAG, in place. A reference moves only along its own lineage: a
version to a higher version of the same variant (node:20 to node:22, never
node:20-alpine), a build id to a build id; floating tags (no tag, latest,
lts, stable, ...) are left alone unless --floating-tags pin.

Output (stdout), one line each:
  updated PATH                       a file was rewritten
  would update PATH                  --check: the file would be rewritten
  skipped PATH:LINE: REF: REASON     a reference to IMAGE was left alone
Errors go to stderr as "error PATH: MESSAGE". With --diff, stdout holds only
the unified diff and the skipped lines go to stderr.

Exit status: 0 done (changed or not), 1 a file could not be read, parsed or
written (the others were still processed), 2 usage error (nothing touched),
3 --check found files that would change.

Flags:
`

// skipDirs are directory names never walked into.
var skipDirs = map[string]bool{".git": true, "vendor": true, "node_modules": true}

// rewriteMode says what runRewrite does with a changed file.
type rewriteMode int

const (
	modeWrite rewriteMode = iota // write it in place
	modeCheck                    // report it, exit ExitChanges
	modeDiff                     // print a unified diff
)

// rewriteFile is one file to process: where it is on disk, how to show it,
// and how to parse it.
type rewriteFile struct {
	path    string // path on disk (symlinks resolved for explicitly named files)
	display string // path as printed: the PATH argument joined with the walked name
	kind    dockerfile.Kind
}

// runRewrite implements `dfiu rewrite`. It validates every flag and PATH
// before it touches anything, then processes each file independently: a
// file that cannot be read, parsed or written is reported and the rest are
// still done.
func runRewrite(ctx context.Context, args []string, env Env) int {
	flags := flag.NewFlagSet("dfiu rewrite", flag.ContinueOnError)
	flags.SetOutput(env.Stderr)
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), rewriteUsage)
		flags.PrintDefaults()
	}
	var (
		image      = flags.String("image", "", "the `IMAGE` repository to bump, without tag or digest (required), e.g. ubuntu or ghcr.io/acme/base")
		tag        = flags.String("tag", "", "the new `TAG` (required), e.g. 24.04")
		digest     = flags.String("digest", "", "new digest `sha256:HEX`; references pinned by digest are re-pinned as IMAGE:TAG@DIGEST")
		allowDown  = flags.Bool("allow-downgrade", false, "let a lower version tag replace a higher one")
		tagFilter  = flags.String("tag-filter", "", "rewrite the references whose current tag matches this `REGEX`, whatever its variant or kind (instead of the lineage rules)")
		floating   = flags.String("floating-tags", string(dockerfile.FloatingSkip), "`skip` leaves a missing tag, latest and channel tags (lts, stable, ...) alone; pin replaces a missing tag and latest with TAG")
		ignoreMark = flags.String("ignore-comment", dockerfile.DefaultIgnoreComment, "opt-out `MARKER`: a comment line '# MARKER' directly above an instruction skips it")
		check      = flags.Bool("check", false, "write nothing; exit 3 when any file would change")
		showDiff   = flags.Bool("diff", false, "write nothing; print a unified diff of the changes")
		resolve    = flags.Bool("resolve", false, "without --digest, look up IMAGE:TAG's digest in its registry (anonymously, then with the Docker config's credentials) and re-pin as with --digest")
	)
	paths, err := parseInterleaved(flags, args)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage // the flag package has printed the error and usage
	}

	opts, mode, err := rewriteOptions(rewriteFlags{image: *image, tag: *tag, digest: *digest, tagFilter: *tagFilter, floating: *floating, ignoreMark: *ignoreMark,
		allowDown: *allowDown, check: *check, showDiff: *showDiff}, paths)
	if err != nil {
		fmt.Fprintf(env.Stderr, "dfiu rewrite: %v\nRun \"dfiu rewrite -h\" for usage.\n", err)
		return ExitUsage
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(env.Stderr, "dfiu rewrite: PATH %q: %v\n", p, statReason(err))
			return ExitUsage
		}
	}

	if *resolve && opts.Digest == "" {
		if opts, err = resolveDigest(ctx, opts, env); err != nil {
			fmt.Fprintf(env.Stderr, "dfiu rewrite: --resolve: %v\n", err)
			return ExitFailure
		}
	}

	r := &rewriter{opts: opts, mode: mode, env: env, code: ExitOK}
	files := r.collect(paths)
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			r.fail(f.display, fmt.Errorf("interrupted: %w", err))
			break
		}
		r.process(f)
	}
	return r.code
}

// parseInterleaved parses flags that may come before, between or after the
// PATH arguments, as users of other CLIs expect; everything after "--" is a
// PATH.
func parseInterleaved(flags *flag.FlagSet, args []string) ([]string, error) {
	var paths []string
	for {
		if err := flags.Parse(args); err != nil {
			return nil, err
		}
		rest := flags.Args()
		if len(rest) == 0 {
			return paths, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(paths, rest...), nil
		}
		paths = append(paths, rest[0])
		args = rest[1:]
	}
}

// rewriteFlags are the values of dfiu rewrite's flags.
type rewriteFlags struct {
	image, tag, digest, tagFilter, floating, ignoreMark string
	allowDown, check, showDiff                          bool
}

// rewriteOptions validates the flag values, each error naming its flag,
// and turns them into engine options and a mode.
func rewriteOptions(f rewriteFlags, paths []string) (dockerfile.Options, rewriteMode, error) {
	var opts dockerfile.Options
	image, tag, digest, tagFilter, ignoreMark := f.image, f.tag, f.digest, f.tagFilter, f.ignoreMark
	check, showDiff := f.check, f.showDiff
	switch {
	case image == "":
		return opts, 0, errors.New("--image is required, e.g. --image ubuntu")
	case tag == "":
		return opts, 0, errors.New("--tag is required, e.g. --tag 24.04")
	case check && showDiff:
		return opts, 0, errors.New("--check and --diff cannot be used together")
	case len(paths) == 0:
		return opts, 0, errors.New("no PATH given: name the files or directories to rewrite")
	}
	floating, err := dockerfile.ParseFloatingTags(f.floating)
	if err != nil {
		return opts, 0, fmt.Errorf("--floating-tags %q: must be skip or pin", f.floating)
	}
	opts = dockerfile.Options{
		Image:          image,
		Tag:            tag,
		Digest:         digest,
		AllowDowngrade: f.allowDown,
		FloatingTags:   floating,
		IgnoreComment:  ignoreMark,
	}
	if tagFilter != "" {
		re, err := regexp.Compile(tagFilter)
		if err != nil {
			return opts, 0, fmt.Errorf("--tag-filter %q: invalid regular expression: %w", tagFilter, err)
		}
		opts.TagFilter = re
	}
	if err := opts.Validate(); err != nil {
		// Name the flag the user has to fix.
		if oe := (*dockerfile.OptionError)(nil); errors.As(err, &oe) {
			return opts, 0, fmt.Errorf("--%s: %w", oe.Field, err)
		}
		return opts, 0, err
	}
	mode := modeWrite
	switch {
	case check:
		mode = modeCheck
	case showDiff:
		mode = modeDiff
	}
	return opts, mode, nil
}

// statReason words a failed os.Stat of a PATH argument.
func statReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}

// rewriter carries the state of one `dfiu rewrite` run.
type rewriter struct {
	opts dockerfile.Options
	mode rewriteMode
	env  Env
	code int
}

// fail reports a file that could not be processed and records the failure.
func (r *rewriter) fail(display string, err error) {
	fmt.Fprintf(r.env.Stderr, "error %s: %s\n", safe.Text(display), safe.Text(err.Error()))
	r.code = ExitFailure
}

// collect expands the PATH arguments into the files to process, in a stable
// order and each file once. A file named explicitly is a Dockerfile unless
// its name is a compose name; directories are walked for Dockerfile and
// compose names, skipping skipDirs and symbolic links.
func (r *rewriter) collect(paths []string) []rewriteFile {
	var files []rewriteFile
	seen := map[string]bool{}
	add := func(f rewriteFile) {
		key := f.path
		if abs, err := filepath.Abs(f.path); err == nil {
			key = abs
		}
		if real, err := filepath.EvalSymlinks(key); err == nil {
			key = real
		}
		if !seen[key] {
			seen[key] = true
			files = append(files, f)
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			r.fail(p, err)
			continue
		}
		if !info.IsDir() && !info.Mode().IsRegular() {
			r.fail(p, errors.New("not a regular file or directory"))
			continue
		}
		if !info.IsDir() {
			target, err := filepath.EvalSymlinks(p)
			if err != nil {
				r.fail(p, fmt.Errorf("resolving symbolic links: %w", err))
				continue
			}
			kind := dockerfile.KindOf(p)
			if kind != dockerfile.KindCompose {
				kind = dockerfile.KindDockerfile
			}
			add(rewriteFile{path: target, display: p, kind: kind})
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				r.fail(path, fmt.Errorf("walking: %w", err))
				return nil
			}
			if d.IsDir() {
				if path != p && skipDirs[d.Name()] {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			if kind := dockerfile.KindOf(path); kind != dockerfile.KindUnknown {
				add(rewriteFile{path: path, display: path, kind: kind})
			}
			return nil
		})
		if err != nil {
			r.fail(p, fmt.Errorf("walking: %w", err))
		}
	}
	return files
}

// process rewrites one file and reports the outcome.
func (r *rewriter) process(f rewriteFile) {
	content, mode, err := readLimited(f.path)
	if err != nil {
		r.fail(f.display, err)
		return
	}
	res, err := dockerfile.Rewrite(f.kind, content, r.opts)
	if err != nil {
		r.fail(f.display, fmt.Errorf("not rewritten: %w", err))
		return
	}
	report := r.env.Stdout
	if r.mode == modeDiff {
		report = r.env.Stderr // stdout holds only the diff
	}
	// What the files hold (names, references, their lines) is data: it
	// must not start a workflow command when this runs in a workflow.
	display := safe.Text(f.display)
	for _, ref := range res.Refs {
		if ref.Status == dockerfile.StatusSkipped {
			fmt.Fprintf(report, "skipped %s:%d: %s: %s\n", display, ref.Line, safe.Text(ref.Old), safe.Text(ref.Reason))
		}
	}
	if !res.Changed {
		return
	}
	switch r.mode {
	case modeCheck:
		fmt.Fprintf(r.env.Stdout, "would update %s\n", display)
		if r.code == ExitOK {
			r.code = ExitChanges
		}
	case modeDiff:
		fmt.Fprint(r.env.Stdout, safe.Lines(diff.Unified(diffLabel(f.display), content, res.Content)))
	default:
		if err := writeAtomic(f.path, res.Content, mode); err != nil {
			r.fail(f.display, err)
			return
		}
		fmt.Fprintf(r.env.Stdout, "updated %s\n", display)
	}
}

// diffLabel turns a displayed path into the a/ b/ label of a diff: forward
// slashes and no leading slash, as git does.
func diffLabel(display string) string {
	return strings.TrimLeft(filepath.ToSlash(filepath.Clean(display)), "/")
}

// readLimited reads a file of at most dockerfile.MaxSize bytes (one more is
// read so that the engine can tell a larger file apart) and returns its mode.
func readLimited(path string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("reading: %w", bare(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("reading: %w", bare(err))
	}
	if info.Size() > dockerfile.MaxSize {
		return nil, 0, fmt.Errorf("not rewritten: %d bytes: %w", info.Size(), dockerfile.ErrTooLarge)
	}
	content, err := io.ReadAll(io.LimitReader(f, dockerfile.MaxSize+1))
	if err != nil {
		return nil, 0, fmt.Errorf("reading: %w", bare(err))
	}
	return content, info.Mode(), nil
}

// writeAtomic replaces path with content: it writes a temporary file in the
// same directory, gives it mode's permission bits, syncs it and renames it
// over path, so that readers see either the old or the new file, never a
// half-written one.
func writeAtomic(path string, content []byte, mode fs.FileMode) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".dfiu-*")
	if err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(content); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	if err := tmp.Chmod(mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	return nil
}

// bare strips the path from an *fs.PathError, whose path the report line
// already names.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
