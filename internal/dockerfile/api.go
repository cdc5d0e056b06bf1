// Package dockerfile finds the image references in Dockerfiles and compose
// files and rewrites exactly their bytes. It does no I/O: bytes in, bytes out
// plus a report of every reference it saw.
//
// Dockerfiles are read with BuildKit's parser and instruction parser; the
// references are those a build pulls: FROM (any case, flags, AS alias,
// continuation lines, the escape directive), COPY --from=<image>,
// RUN --mount=...,from=<image> and the "# syntax=" directive. Stage names
// (anywhere in the file for COPY --from and --mount from=, earlier stages for
// FROM) and stage indexes are never images; heredoc bodies, comments, ONBUILD
// and ARGs inside stages are never touched. A FROM that takes its image from
// a global ARG ($BASE, ${BASE}, myorg/base:${V}, ${V:-default}) has the ARG's
// default (or the default in the FROM) rewritten, never the variable; a
// global ARG is changed only when every FROM using it takes the same change
// (opted-out ones aside); a tag and a digest that come from two places (an
// ARG for the tag, the FROM or another ARG for the digest) are each
// rewritten where they are written. Compose files are read with yaml.v3:
// the image: value of each service, in the services: form and the old
// top-level form (a whole reference in a variable's default,
// ${IMAGE:-ubuntu:17.04}, is rewritten there), and the Dockerfile in each
// build.dockerfile_inline, rewritten inside the YAML scalar when that can be
// done byte for byte (a literal block or one line without escapes).
//
// Which references move is the tag policy (policy.go): a version moves only
// to a higher version of the same variant and v prefix, a build id only to
// a build id, floating tags (no tag, latest, channel names) not at all
// unless Options.FloatingTags is FloatingPin; Options.TagFilter replaces
// the first two rules.
//
// Names match after normalisation by package imageref, never by suffix or
// substring. Only the bytes of a reference's tag and digest (or of the ARG
// value holding them) change; the name keeps its spelling, and line endings, a BOM and a
// missing final newline are kept. Rewrite and Images are safe for concurrent
// use.
package dockerfile

import (
	"errors"
	"regexp"
)

// Kind says how a file's content is parsed.
type Kind int

const (
	KindUnknown    Kind = iota
	KindDockerfile      // Dockerfile, Dockerfile.*, *.Dockerfile, *.dockerfile, Containerfile, Containerfile.*
	KindCompose         // docker-compose*.yml|yaml, compose*.yml|yaml
)

// String returns "dockerfile", "compose" or "unknown".
func (k Kind) String() string {
	switch k {
	case KindDockerfile:
		return "dockerfile"
	case KindCompose:
		return "compose"
	}
	return "unknown"
}

// Errors returned by Rewrite. Callers branch on them with errors.Is; the
// returned error wraps one of these with the detail.
var (
	ErrMalformed = errors.New("malformed")             // BuildKit's parser or the YAML parser rejected the file
	ErrNotText   = errors.New("not a UTF-8 text file") // binary, or not valid UTF-8
	ErrTooLarge  = errors.New("larger than 1 MiB")
	ErrInternal  = errors.New("internal error") // a bug in the engine (a recovered panic), not a problem of the file
)

// MaxSize is the largest file Rewrite accepts.
const MaxSize = 1 << 20

// DefaultIgnoreComment is the opt-out marker used when Options.IgnoreComment
// is empty.
const DefaultIgnoreComment = "no-dfiu"

// Options says which image to bump and how.
type Options struct {
	// Image is the repository name to bump as the user wrote it, without a
	// tag or digest: "ubuntu", "docker.io/library/ubuntu",
	// "ghcr.io/acme/base", "registry:5000/team/app".
	Image string
	// Tag is the new tag. Required.
	Tag string
	// Digest, when set ("sha256:<64 hex>"), re-pins digest-pinned references
	// as name:tag@digest. Unpinned references stay unpinned.
	Digest string
	// AllowDowngrade lets a lower version tag replace a higher one.
	AllowDowngrade bool
	// TagFilter, when set, decides which current tags may move instead of
	// the version and build-id rules: a reference moves when its tag
	// matches it. Downgrades are still refused and floating tags still need
	// FloatingTags: FloatingPin.
	TagFilter *regexp.Regexp
	// FloatingTags says what happens to a missing tag, latest and channel
	// names (lts, stable, ...): "" or FloatingSkip leaves them alone,
	// FloatingPin replaces a missing tag and latest with Tag.
	FloatingTags FloatingTags
	// IgnoreComment is the opt-out marker; "" means DefaultIgnoreComment.
	IgnoreComment string
}

// Status is what happened to one reference.
type Status string

const (
	StatusChanged Status = "changed" // rewritten to the new tag
	StatusCurrent Status = "current" // already at the new tag (and digest)
	StatusSkipped Status = "skipped" // left alone; Reason says why
)

// Ref is one reference to Options.Image found in a file.
type Ref struct {
	Line        int    // 1-based line of the bytes that hold the reference (or the ARG value)
	Instruction string // "FROM", "COPY --from", "RUN --mount", "# syntax", "ARG", "image" (compose)
	Old         string // the reference as the build resolves it, e.g. "ubuntu:20.04"
	New         string // the reference after the rewrite; equals Old unless Status is changed
	OldTag      string // the tag before ("" when the reference had none)
	Status      Status
	Reason      string // why it was skipped, e.g. "pinned by digest", "floating tag", "would downgrade 3.13 to 3.11", "opted out by # no-dfiu"
	// Rebuilt marks a changed reference that kept its tag and took the
	// new digest: the same tag rebuilt (image:1.2@sha256:old with Tag 1.2).
	Rebuilt bool
	// Attention marks a skip that a person has to resolve (a reference
	// pinned by digest with no new digest given, or an invalid reference),
	// as opposed to a deliberate one (opt-out, tag filter, downgrade).
	Attention bool
	// Skip says, as a value to branch on, why a skipped reference was left
	// alone; Reason says it in words. It is SkipNone unless Status is
	// StatusSkipped.
	Skip Skip
}

// Skip classifies why a reference was left alone.
type Skip int

const (
	SkipNone        Skip = iota
	SkipOptOut           // opted out by the ignore comment (on it, or on the ARG it takes its tag from)
	SkipFloating         // no tag, latest or a channel name
	SkipDigest           // pinned by digest and no new digest given
	SkipDowngrade        // the new tag is a lower version
	SkipVariant          // another variant, v prefix or tag kind than the new tag
	SkipSameVersion      // the same version spelt differently (3.11.0 and 3.11)
	SkipFilter           // the tag does not match the tag filter
	SkipInvalid          // not a valid reference
	SkipUnresolved       // cannot be rewritten byte for byte: a variable without a default, a name from a variable, an ARG shared with another reference, overlapping changes
)

// Result is the outcome of rewriting one file.
type Result struct {
	Content []byte // the new content; the input itself when nothing changed
	Changed bool   // Content differs from the input
	Refs    []Ref  // every reference to Options.Image, in file order
}
