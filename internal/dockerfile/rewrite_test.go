package dockerfile

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	dig1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	dig2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

// summary renders refs one per line: "FROM:3 changed ubuntu:20.04 -> ubuntu:24.04".
func summary(refs []Ref) []string {
	var out []string
	for _, r := range refs {
		s := fmt.Sprintf("%s:%d %s %s", r.Instruction, r.Line, r.Status, r.Old)
		switch r.Status {
		case StatusChanged:
			s += " -> " + r.New
			if r.Rebuilt {
				s += " (rebuilt)"
			}
		case StatusSkipped:
			s += " (" + r.Reason + ")"
		}
		out = append(out, s)
	}
	return out
}

type rewriteCase struct {
	name string
	kind Kind
	opts Options
	in   string
	want string // "" means unchanged
	refs []string
}

func runRewriteCases(t *testing.T, cases []rewriteCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kind := tc.kind
			if kind == KindUnknown {
				kind = KindDockerfile
			}
			opts := tc.opts
			if opts.Image == "" {
				opts.Image = "ubuntu"
			}
			if opts.Tag == "" {
				opts.Tag = "24.04"
			}
			in := []byte(tc.in)
			res, err := Rewrite(kind, in, opts)
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			if !res.Changed && len(in) > 0 && &res.Content[0] != &in[0] {
				t.Errorf("nothing changed, but Content is not the input itself")
			}
			want := tc.want
			if want == "" {
				want = tc.in
			}
			if diff := cmp.Diff(want, string(res.Content)); diff != "" {
				t.Errorf("content (-want +got):\n%s", diff)
			}
			if res.Changed != (want != tc.in) {
				t.Errorf("Changed = %v, want %v", res.Changed, want != tc.in)
			}
			if diff := cmp.Diff(tc.refs, summary(res.Refs)); diff != "" {
				t.Errorf("refs (-want +got):\n%s", diff)
			}
			// A second run changes nothing.
			again, err := Rewrite(kind, res.Content, opts)
			if err != nil {
				t.Fatalf("second Rewrite: %v", err)
			}
			if again.Changed {
				t.Errorf("second run changed the file again:\n%s", again.Content)
			}
		})
	}
}

func TestRewriteParsing(t *testing.T) {
	t.Parallel()
	runRewriteCases(t, []rewriteCase{
		{name: "plain FROM", in: "FROM ubuntu:20.04\nRUN true\n", want: "FROM ubuntu:24.04\nRUN true\n",
			refs: []string{"FROM:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "platform flag and alias", in: "FROM --platform=$BUILDPLATFORM ubuntu:20.04 AS build\n", want: "FROM --platform=$BUILDPLATFORM ubuntu:24.04 AS build\n",
			refs: []string{"FROM:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "lower case and mixed case", in: "from ubuntu:20.04 as a\nFrOm ubuntu:22.04 aS b\n", want: "from ubuntu:24.04 as a\nFrOm ubuntu:24.04 aS b\n",
			refs: []string{"FROM:1 changed ubuntu:20.04 -> ubuntu:24.04", "FROM:2 changed ubuntu:22.04 -> ubuntu:24.04"}},
		{name: "continuation", in: "FROM \\\n    --platform=linux/amd64 \\\n    ubuntu:20.04 \\\n    AS base\n", want: "FROM \\\n    --platform=linux/amd64 \\\n    ubuntu:24.04 \\\n    AS base\n",
			refs: []string{"FROM:3 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "continuation with comment and empty line", in: "FROM \\\n# a comment\n\n  ubuntu:20.04\n", want: "FROM \\\n# a comment\n\n  ubuntu:24.04\n",
			refs: []string{"FROM:4 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "escape directive", in: "# escape=`\nFROM `\n  ubuntu:20.04\nRUN dir c:\\\n", want: "# escape=`\nFROM `\n  ubuntu:24.04\nRUN dir c:\\\n",
			refs: []string{"FROM:3 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "COPY --from image", in: "FROM alpine\nCOPY --from=ubuntu:20.04 /etc/os-release /x\n", want: "FROM alpine\nCOPY --from=ubuntu:24.04 /etc/os-release /x\n",
			refs: []string{"COPY --from:2 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "COPY --from quoted", in: "FROM alpine\nCOPY --chown=1 --from=\"ubuntu:20.04\" /a /b\n", want: "FROM alpine\nCOPY --chown=1 --from=\"ubuntu:24.04\" /a /b\n",
			refs: []string{"COPY --from:2 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "RUN --mount from", in: "FROM alpine\nRUN --mount=type=bind,from=ubuntu:20.04,source=/,target=/u ls /u\n", want: "FROM alpine\nRUN --mount=type=bind,from=ubuntu:24.04,source=/,target=/u ls /u\n",
			refs: []string{"RUN --mount:2 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "syntax directive", opts: Options{Image: "docker/dockerfile", Tag: "1.7"}, in: "# syntax=docker/dockerfile:1.4\nFROM alpine\n", want: "# syntax=docker/dockerfile:1.7\nFROM alpine\n",
			refs: []string{"# syntax:1 changed docker/dockerfile:1.4 -> docker/dockerfile:1.7"}},
		{name: "syntax directive with spaces", opts: Options{Image: "docker/dockerfile", Tag: "1.7"}, in: "#   syntax = docker/dockerfile:1.4  \nFROM alpine\n", want: "#   syntax = docker/dockerfile:1.7  \nFROM alpine\n",
			refs: []string{"# syntax:1 changed docker/dockerfile:1.4 -> docker/dockerfile:1.7"}},
		{name: "syntax-like comment after an instruction is not a directive", opts: Options{Image: "docker/dockerfile", Tag: "1.7"}, in: "FROM alpine\n# syntax=docker/dockerfile:1.4\n"},
		{name: "stage name equal to image", in: "FROM ubuntu:20.04 AS ubuntu\nFROM ubuntu\nCOPY --from=ubuntu /a /b\n", want: "FROM ubuntu:24.04 AS ubuntu\nFROM ubuntu\nCOPY --from=ubuntu /a /b\n",
			refs: []string{"FROM:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "stage referenced before its definition", in: "FROM alpine\nCOPY --from=ubuntu /a /b\nRUN --mount=from=ubuntu,target=/u true\nFROM alpine AS ubuntu\n"},
		{name: "stage referenced before its definition, between FROMs sharing an ARG",
			in:   "ARG V=20.04\nFROM ubuntu:${V} AS a\nCOPY --from=B /x /y\nCOPY --from=ubuntu:20.04 /p /q\nRUN --mount=from=b,target=/b true\nFROM ubuntu:${V} AS b\nCOPY --from=a /x /y\n",
			want: "ARG V=24.04\nFROM ubuntu:${V} AS a\nCOPY --from=B /x /y\nCOPY --from=ubuntu:24.04 /p /q\nRUN --mount=from=b,target=/b true\nFROM ubuntu:${V} AS b\nCOPY --from=a /x /y\n",
			refs: []string{"ARG:1 changed ubuntu:20.04 -> ubuntu:24.04", "COPY --from:4 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "stage referenced before its definition, FROMs sharing an ARG disagree",
			in:   "ARG V=20.04\nFROM ubuntu:${V} AS a\nCOPY --from=b /x /y\nFROM ubuntu:${V} AS b\nFROM ubuntu:${V}.1\n",
			refs: []string{"ARG:1 skipped ubuntu:20.04 (ARG V also sets ubuntu:20.04.1 on line 5)", "ARG:1 skipped ubuntu:20.04 (ARG V also sets ubuntu:20.04 on line 2)", "FROM:5 skipped ubuntu:20.04.1 (the reference is assembled from several places (variables or lines))"}},
		{name: "stage index", in: "FROM ubuntu:20.04\nFROM alpine\nCOPY --from=0 /a /b\n", want: "FROM ubuntu:24.04\nFROM alpine\nCOPY --from=0 /a /b\n",
			refs: []string{"FROM:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "heredoc and comments never match", in: "# FROM ubuntu:20.04\nFROM alpine\nRUN <<EOF\nFROM ubuntu:20.04\nEOF\nCOPY <<EOT /x\nubuntu:20.04\nEOT\n"},
		{name: "onbuild untouched", in: "FROM alpine\nONBUILD COPY --from=ubuntu:20.04 /a /b\n"},
		{name: "scratch", in: "FROM scratch\n"},
	})
}

func TestRewriteArgs(t *testing.T) {
	t.Parallel()
	runRewriteCases(t, []rewriteCase{
		{name: "braced whole reference", in: "ARG BASE=ubuntu:20.04\nFROM ${BASE}\n", want: "ARG BASE=ubuntu:24.04\nFROM ${BASE}\n",
			refs: []string{"ARG:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "bare whole reference", in: "ARG BASE=myorg/base:1.2\nFROM $BASE AS b\n", opts: Options{Image: "myorg/base", Tag: "1.3"}, want: "ARG BASE=myorg/base:1.3\nFROM $BASE AS b\n",
			refs: []string{"ARG:1 changed myorg/base:1.2 -> myorg/base:1.3"}},
		{name: "tag only", in: "ARG V=1.2\nFROM myorg/base:${V}\n", opts: Options{Image: "myorg/base", Tag: "1.3"}, want: "ARG V=1.3\nFROM myorg/base:${V}\n",
			refs: []string{"ARG:1 changed myorg/base:1.2 -> myorg/base:1.3"}},
		{name: "quoted default keeps quotes", in: "ARG BASE=\"ubuntu:20.04\"\nFROM ${BASE}\n", want: "ARG BASE=\"ubuntu:24.04\"\nFROM ${BASE}\n",
			refs: []string{"ARG:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "default in FROM", in: "ARG BASE\nFROM ${BASE:-ubuntu:20.04}\n", want: "ARG BASE\nFROM ${BASE:-ubuntu:24.04}\n",
			refs: []string{"FROM:2 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "tag default in FROM", in: "FROM ubuntu:${TAG:-20.04}\n", want: "FROM ubuntu:${TAG:-24.04}\n",
			refs: []string{"FROM:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "ARG default wins over FROM default", in: "ARG TAG=20.04\nFROM ubuntu:${TAG:-18.04}\n", want: "ARG TAG=24.04\nFROM ubuntu:${TAG:-18.04}\n",
			refs: []string{"ARG:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "no tag in ARG gets one", opts: Options{FloatingTags: FloatingPin}, in: "ARG BASE=ubuntu\nFROM $BASE\n", want: "ARG BASE=ubuntu:24.04\nFROM $BASE\n",
			refs: []string{"ARG:1 changed ubuntu -> ubuntu:24.04"}},
		{name: "ARG with no default is never replaced", in: "ARG TAG\nFROM ubuntu:${TAG}\n",
			refs: []string{"FROM:2 skipped ubuntu: (ARG TAG has no default value)"}},
		{name: "ARG shared by one image", in: "ARG TAG=20.04\nFROM ubuntu:${TAG} AS a\nFROM ubuntu:${TAG}\n", want: "ARG TAG=24.04\nFROM ubuntu:${TAG} AS a\nFROM ubuntu:${TAG}\n",
			refs: []string{"ARG:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "ARG shared with another image", in: "ARG TAG=20.04\nFROM ubuntu:${TAG} AS a\nFROM myorg/other:${TAG}\n",
			refs: []string{"ARG:1 skipped ubuntu:20.04 (ARG TAG also sets myorg/other:20.04 on line 3)"}},
		{name: "ARG shared with a FROM that cannot take the change", in: "ARG BASE=ubuntu:20.04\nARG S=.1\nFROM ${BASE}${S}\nFROM $BASE\n",
			refs: []string{"FROM:3 skipped ubuntu:20.04.1 (the reference is assembled from several places (variables or lines))", "ARG:1 skipped ubuntu:20.04 (ARG BASE also sets ubuntu:20.04.1 on line 3)"}},
		{name: "ARG inside a stage is not touched", in: "FROM alpine\nARG BASE=ubuntu:20.04\nFROM ${BASE}\n",
			refs: nil},
		{name: "all users opted out", in: "ARG BASE=ubuntu:20.04\n# no-dfiu\nFROM ${BASE}\n",
			refs: []string{"FROM:3 skipped ubuntu:20.04 (opted out by # no-dfiu)"}},
		{name: "one user opted in", in: "ARG BASE=ubuntu:20.04\n# no-dfiu\nFROM ${BASE} AS a\nFROM ${BASE}\n", want: "ARG BASE=ubuntu:24.04\n# no-dfiu\nFROM ${BASE} AS a\nFROM ${BASE}\n",
			refs: []string{"FROM:3 skipped ubuntu:20.04 (opted out by # no-dfiu, but it takes its image from ARG BASE, which changes for a FROM that is not opted out)", "ARG:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "nested ARG", in: "ARG REG=ghcr.io/acme\nARG IMG=${REG}/base:1.0\nFROM ${IMG}\n", opts: Options{Image: "ghcr.io/acme/base", Tag: "1.1"}, want: "ARG REG=ghcr.io/acme\nARG IMG=${REG}/base:1.1\nFROM ${IMG}\n",
			refs: []string{"ARG:2 changed ghcr.io/acme/base:1.0 -> ghcr.io/acme/base:1.1"}},
		{name: "single-quoted ARG", in: "ARG BASE='ubuntu:20.04'\nFROM $BASE\n", want: "ARG BASE='ubuntu:24.04'\nFROM $BASE\n",
			refs: []string{"ARG:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "tag and digest from different places", in: "ARG TAG=20.04\nFROM ubuntu:${TAG}@" + dig1 + "\n", opts: Options{Digest: dig2},
			want: "ARG TAG=24.04\nFROM ubuntu:${TAG}@" + dig2 + "\n",
			refs: []string{"ARG:1 changed ubuntu:20.04@" + dig1 + " -> ubuntu:24.04@" + dig2}},
		{name: "tag and digest from two ARGs", in: "ARG TAG=20.04\nARG DIGEST=" + dig1 + "\nFROM ubuntu:${TAG}@${DIGEST}\n", opts: Options{Digest: dig2},
			want: "ARG TAG=24.04\nARG DIGEST=" + dig2 + "\nFROM ubuntu:${TAG}@${DIGEST}\n",
			refs: []string{"ARG:1 changed ubuntu:20.04@" + dig1 + " -> ubuntu:24.04@" + dig2}},
		{name: "digest ARG used by another image", in: "ARG TAG=20.04\nARG DIGEST=" + dig1 + "\nFROM ubuntu:${TAG}@${DIGEST}\nFROM alpine@${DIGEST}\n", opts: Options{Digest: dig2},
			refs: []string{"ARG:1 skipped ubuntu:20.04@" + dig1 + " (ARG DIGEST also sets alpine@" + dig1 + " on line 4)"}},
		{name: "tag ARG used by another image", in: "ARG TAG=20.04\nARG DIGEST=" + dig1 + "\nFROM ubuntu:${TAG}@${DIGEST}\nFROM myorg/other:${TAG}\n", opts: Options{Digest: dig2},
			refs: []string{"ARG:1 skipped ubuntu:20.04@" + dig1 + " (ARG TAG also sets myorg/other:20.04 on line 4)"}},
		{name: "tag ARG shared by a FROM whose digest ARG cannot change", in: "ARG TAG=20.04\nARG D=" + dig1 + "\nFROM ubuntu:${TAG} AS a\nFROM ubuntu:${TAG}@${D}\nFROM alpine@${D}\n", opts: Options{Digest: dig2},
			refs: []string{"ARG:1 skipped ubuntu:20.04 (ARG TAG also sets ubuntu:20.04@" + dig1 + " on line 4)", "ARG:1 skipped ubuntu:20.04@" + dig1 + " (ARG D also sets alpine@" + dig1 + " on line 5)"}},
		{name: "same tag rebuilt", in: "ARG TAG=24.04\nARG DIGEST=" + dig1 + "\nFROM ubuntu:${TAG}@${DIGEST}\n", opts: Options{Digest: dig2},
			want: "ARG TAG=24.04\nARG DIGEST=" + dig2 + "\nFROM ubuntu:${TAG}@${DIGEST}\n",
			refs: []string{"ARG:2 changed ubuntu:24.04@" + dig1 + " -> ubuntu:24.04@" + dig2 + " (rebuilt)"}},
	})
}

func TestRewriteMatching(t *testing.T) {
	t.Parallel()
	runRewriteCases(t, []rewriteCase{
		{name: "normalised spellings", in: "FROM ubuntu:1\nFROM docker.io/library/ubuntu:2\nFROM index.docker.io/library/ubuntu:3\nFROM library/ubuntu:4\n",
			want: "FROM ubuntu:24.04\nFROM docker.io/library/ubuntu:24.04\nFROM index.docker.io/library/ubuntu:24.04\nFROM library/ubuntu:24.04\n",
			refs: []string{"FROM:1 changed ubuntu:1 -> ubuntu:24.04", "FROM:2 changed docker.io/library/ubuntu:2 -> docker.io/library/ubuntu:24.04", "FROM:3 changed index.docker.io/library/ubuntu:3 -> index.docker.io/library/ubuntu:24.04", "FROM:4 changed library/ubuntu:4 -> library/ubuntu:24.04"}},
		{name: "option spelled in full", opts: Options{Image: "index.docker.io/library/ubuntu"}, in: "FROM ubuntu:1\n", want: "FROM ubuntu:24.04\n",
			refs: []string{"FROM:1 changed ubuntu:1 -> ubuntu:24.04"}},
		{name: "no suffix or substring", in: "FROM myorg/ubuntu:1\nFROM ubuntu-custom:1\nFROM ghcr.io/x/ubuntu:1\nFROM ubuntu2:1\n"},
		{name: "registry with port", opts: Options{Image: "registry:5000/team/app", Tag: "2.0"}, in: "FROM registry:5000/team/app:1.0\nFROM registry/team/app:1.0\nFROM registry:5001/team/app:1.0\n",
			want: "FROM registry:5000/team/app:2.0\nFROM registry/team/app:1.0\nFROM registry:5001/team/app:1.0\n",
			refs: []string{"FROM:1 changed registry:5000/team/app:1.0 -> registry:5000/team/app:2.0"}},
		{name: "registry with port and no tag", opts: Options{Image: "localhost:5000/app", Tag: "2.0", FloatingTags: FloatingPin}, in: "FROM localhost:5000/app\n", want: "FROM localhost:5000/app:2.0\n",
			refs: []string{"FROM:1 changed localhost:5000/app -> localhost:5000/app:2.0"}},
		{name: "upper case reported and untouched", in: "FROM Ubuntu:20.04\nFROM UBUNTU\nFROM Other:1\n",
			refs: []string{"FROM:1 skipped Ubuntu:20.04 (invalid reference: repository name must be lowercase)", "FROM:2 skipped UBUNTU (invalid reference: repository name must be lowercase)"}},
		{name: "already current", in: "FROM ubuntu:24.04\n", refs: []string{"FROM:1 current ubuntu:24.04"}},
	})
}

func TestRewriteBytes(t *testing.T) {
	t.Parallel()
	runRewriteCases(t, []rewriteCase{
		{name: "CRLF", in: "FROM ubuntu:20.04 AS a\r\nRUN echo \\\r\n  hi\r\n", want: "FROM ubuntu:24.04 AS a\r\nRUN echo \\\r\n  hi\r\n",
			refs: []string{"FROM:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "CRLF ARG", in: "ARG BASE=\"ubuntu:20.04\"\r\nFROM $BASE\r\n", want: "ARG BASE=\"ubuntu:24.04\"\r\nFROM $BASE\r\n",
			refs: []string{"ARG:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "CRLF continuation", in: "FROM \\\r\n  ubuntu:20.04\r\n", want: "FROM \\\r\n  ubuntu:24.04\r\n",
			refs: []string{"FROM:2 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "BOM", in: "\ufeffFROM ubuntu:20.04\n", want: "\ufeffFROM ubuntu:24.04\n",
			refs: []string{"FROM:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "BOM and syntax", opts: Options{Image: "docker/dockerfile", Tag: "1.7"}, in: "\ufeff# syntax=docker/dockerfile:1\nFROM a\n", want: "\ufeff# syntax=docker/dockerfile:1.7\nFROM a\n",
			refs: []string{"# syntax:1 changed docker/dockerfile:1 -> docker/dockerfile:1.7"}},
		{name: "no final newline", in: "FROM ubuntu:20.04", want: "FROM ubuntu:24.04", refs: []string{"FROM:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "spacing and case kept", in: "  FrOm\t--platform=linux/arm64   ubuntu:20.04\t  As   Build\n",
			want: "  FrOm\t--platform=linux/arm64   ubuntu:24.04\t  As   Build\n", refs: []string{"FROM:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "name keeps its spelling", in: "FROM docker.io/library/ubuntu:20.04\n", want: "FROM docker.io/library/ubuntu:24.04\n",
			refs: []string{"FROM:1 changed docker.io/library/ubuntu:20.04 -> docker.io/library/ubuntu:24.04"}},
		{name: "no tag gets the tag", opts: Options{FloatingTags: FloatingPin}, in: "FROM ubuntu\nFROM ubuntu AS x\n", want: "FROM ubuntu:24.04\nFROM ubuntu:24.04 AS x\n",
			refs: []string{"FROM:1 changed ubuntu -> ubuntu:24.04", "FROM:2 changed ubuntu -> ubuntu:24.04"}},
		{name: "heredoc body kept", in: "FROM ubuntu:20.04\nRUN <<EOF\n  FROM ubuntu:20.04\r\nEOF\n", want: "FROM ubuntu:24.04\nRUN <<EOF\n  FROM ubuntu:20.04\r\nEOF\n",
			refs: []string{"FROM:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "reference split across lines", in: "FROM ubuntu:20\\\n.04\n", want: "FROM ubuntu:24\\\n.04\n",
			refs: []string{"FROM:1 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "change across a line break", in: "FROM ubuntu:20\\\n.04\n", opts: Options{Tag: "22.10"},
			refs: []string{"FROM:1 skipped ubuntu:20.04 (the reference is assembled from several places (variables or lines))"}},
	})
}

const inlineReason = "dockerfile_inline is neither a literal block (|) nor one line without escapes: it cannot be rewritten byte for byte"

func TestRewritePolicy(t *testing.T) {
	t.Parallel()
	runRewriteCases(t, []rewriteCase{
		{name: "new digest repins", opts: Options{Digest: dig2}, in: "FROM ubuntu:20.04@" + dig1 + "\nFROM ubuntu@" + dig1 + "\nFROM ubuntu:20.04\n",
			want: "FROM ubuntu:24.04@" + dig2 + "\nFROM ubuntu:24.04@" + dig2 + "\nFROM ubuntu:24.04\n",
			refs: []string{"FROM:1 changed ubuntu:20.04@" + dig1 + " -> ubuntu:24.04@" + dig2, "FROM:2 changed ubuntu@" + dig1 + " -> ubuntu:24.04@" + dig2, "FROM:3 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "no digest skips pinned", in: "FROM ubuntu:20.04@" + dig1 + "\nFROM ubuntu:24.04@" + dig1 + "\n",
			refs: []string{"FROM:1 skipped ubuntu:20.04@" + dig1 + " (pinned by digest)", "FROM:2 skipped ubuntu:24.04@" + dig1 + " (pinned by digest)"}},
		{name: "pinned and current", opts: Options{Digest: dig1}, in: "FROM ubuntu:24.04@" + dig1 + "\n", refs: []string{"FROM:1 current ubuntu:24.04@" + dig1}},
		{name: "pinned ARG gets new digest", opts: Options{Digest: dig2}, in: "ARG B=ubuntu:20.04@" + dig1 + "\nFROM $B\n", want: "ARG B=ubuntu:24.04@" + dig2 + "\nFROM $B\n",
			refs: []string{"ARG:1 changed ubuntu:20.04@" + dig1 + " -> ubuntu:24.04@" + dig2}},
		{name: "never downgrade", opts: Options{Image: "node", Tag: "20.11.1"}, in: "FROM node:22.1.0\nFROM node:18\n", want: "FROM node:22.1.0\nFROM node:20.11.1\n",
			refs: []string{"FROM:1 skipped node:22.1.0 (would downgrade 22.1.0 to 20.11.1)", "FROM:2 changed node:18 -> node:20.11.1"}},
		{name: "downgrade with suffix", opts: Options{Image: "python", Tag: "3.11-slim"}, in: "FROM python:3.13-slim\n",
			refs: []string{"FROM:1 skipped python:3.13-slim (would downgrade 3.13-slim to 3.11-slim)"}},
		{name: "allow downgrade", opts: Options{Image: "python", Tag: "3.11-slim", AllowDowngrade: true}, in: "FROM python:3.13-slim\n", want: "FROM python:3.11-slim\n",
			refs: []string{"FROM:1 changed python:3.13-slim -> python:3.11-slim"}},
		{name: "tag filter: floating tags still need pin", opts: Options{TagFilter: regexp.MustCompile(`^$`)}, in: "FROM ubuntu\nFROM ubuntu:1\n",
			refs: []string{"FROM:1 skipped ubuntu (floating tag)", `FROM:2 skipped ubuntu:1 (tag "1" does not match the tag filter "^$")`}},
		{name: "tag filter matching empty tag, pinned", opts: Options{TagFilter: regexp.MustCompile(`^$`), FloatingTags: FloatingPin}, in: "FROM ubuntu\nFROM ubuntu:1\n", want: "FROM ubuntu:24.04\nFROM ubuntu:1\n",
			refs: []string{"FROM:1 changed ubuntu -> ubuntu:24.04", `FROM:2 skipped ubuntu:1 (tag "1" does not match the tag filter "^$")`}},
		{name: "tag filter moves a variant", opts: Options{Image: "node", Tag: "22", TagFilter: regexp.MustCompile(`^20`)}, in: "FROM node:20-alpine\nFROM node:lts\nFROM node:24-alpine\n",
			want: "FROM node:22\nFROM node:lts\nFROM node:24-alpine\n",
			refs: []string{"FROM:1 changed node:20-alpine -> node:22", `FROM:2 skipped node:lts (tag "lts" does not match the tag filter "^20")`, `FROM:3 skipped node:24-alpine (tag "24-alpine" does not match the tag filter "^20")`}},
		{name: "tag filter still refuses a downgrade", opts: Options{Image: "node", Tag: "22", TagFilter: regexp.MustCompile(`.`)}, in: "FROM node:24-alpine\nFROM node:latest\n",
			refs: []string{"FROM:1 skipped node:24-alpine (would downgrade 24-alpine to 22)", "FROM:2 skipped node:latest (floating tag)"}},
		{name: "node 22: only the plain lineage", opts: Options{Image: "node", Tag: "22"},
			in:   "FROM node:20\nFROM node:20-alpine\nFROM node:20.1-bookworm-slim\nFROM node:lts\nFROM node:latest\nFROM node\n",
			want: "FROM node:22\nFROM node:20-alpine\nFROM node:20.1-bookworm-slim\nFROM node:lts\nFROM node:latest\nFROM node\n",
			refs: []string{"FROM:1 changed node:20 -> node:22", "FROM:2 skipped node:20-alpine (variant alpine differs from the new tag's)",
				"FROM:3 skipped node:20.1-bookworm-slim (variant bookworm-slim differs from the new tag's)", "FROM:4 skipped node:lts (floating tag)",
				"FROM:5 skipped node:latest (floating tag)", "FROM:6 skipped node (floating tag)"}},
		{name: "node 22-alpine: only the alpine lineage", opts: Options{Image: "node", Tag: "22-alpine"},
			in:   "FROM node:20\nFROM node:20-alpine\nFROM node:20.11-alpine\nFROM node:20-alpine3.19\n",
			want: "FROM node:20\nFROM node:22-alpine\nFROM node:22-alpine\nFROM node:20-alpine3.19\n",
			refs: []string{"FROM:1 skipped node:20 (no variant, unlike the new tag's alpine)", "FROM:2 changed node:20-alpine -> node:22-alpine",
				"FROM:3 changed node:20.11-alpine -> node:22-alpine", "FROM:4 skipped node:20-alpine3.19 (variant alpine3.19 differs from the new tag's)"}},
		{name: "floating tags pinned", opts: Options{Image: "node", Tag: "22", FloatingTags: FloatingPin},
			in:   "FROM node\nFROM node:latest\nFROM node:lts\nFROM node:stable\n",
			want: "FROM node:22\nFROM node:22\nFROM node:lts\nFROM node:stable\n",
			refs: []string{"FROM:1 changed node -> node:22", "FROM:2 changed node:latest -> node:22", "FROM:3 skipped node:lts (floating tag)", "FROM:4 skipped node:stable (floating tag)"}},
		{name: "build ids", opts: Options{Image: "ghcr.io/acme/base", Tag: "8c9d0e1"},
			in:   "FROM ghcr.io/acme/base:3f2a1b9\nFROM ghcr.io/acme/base:latest\nFROM ghcr.io/acme/base:1.2\nFROM ghcr.io/acme/base:stable\nFROM ghcr.io/acme/base:noble\n",
			want: "FROM ghcr.io/acme/base:8c9d0e1\nFROM ghcr.io/acme/base:latest\nFROM ghcr.io/acme/base:1.2\nFROM ghcr.io/acme/base:stable\nFROM ghcr.io/acme/base:8c9d0e1\n",
			refs: []string{"FROM:1 changed ghcr.io/acme/base:3f2a1b9 -> ghcr.io/acme/base:8c9d0e1", "FROM:2 skipped ghcr.io/acme/base:latest (floating tag)",
				"FROM:3 skipped ghcr.io/acme/base:1.2 (tag kinds differ: 1.2 is a version, the new tag 8c9d0e1 is not)", "FROM:4 skipped ghcr.io/acme/base:stable (floating tag)",
				"FROM:5 changed ghcr.io/acme/base:noble -> ghcr.io/acme/base:8c9d0e1"}},
		{name: "version over a build id", opts: Options{Image: "ghcr.io/acme/base", Tag: "1.3"}, in: "FROM ghcr.io/acme/base:3f2a1b9\n",
			refs: []string{"FROM:1 skipped ghcr.io/acme/base:3f2a1b9 (tag kinds differ: 3f2a1b9 is not a version, the new tag 1.3 is)"}},
		{name: "python variants", opts: Options{Image: "python", Tag: "3.13-slim-bookworm"},
			in:   "FROM python:3.11-slim-bookworm\nFROM python:3.11-slim\nFROM python:3.11\n",
			want: "FROM python:3.13-slim-bookworm\nFROM python:3.11-slim\nFROM python:3.11\n",
			refs: []string{"FROM:1 changed python:3.11-slim-bookworm -> python:3.13-slim-bookworm", "FROM:2 skipped python:3.11-slim (variant slim differs from the new tag's)",
				"FROM:3 skipped python:3.11 (no variant, unlike the new tag's slim-bookworm)"}},
		{name: "numbers of any length", opts: Options{Image: "app", Tag: "18026809126359806124890356219518632048125"},
			in:   "FROM app:7357\nFROM app:99999999999999999999999999999999999999999999\n",
			want: "FROM app:18026809126359806124890356219518632048125\nFROM app:99999999999999999999999999999999999999999999\n",
			refs: []string{"FROM:1 changed app:7357 -> app:18026809126359806124890356219518632048125",
				"FROM:2 skipped app:99999999999999999999999999999999999999999999 (would downgrade 99999999999999999999999999999999999999999999 to 18026809126359806124890356219518632048125)"}},
		{name: "v prefix must match", opts: Options{Image: "app", Tag: "v1.4.0"}, in: "FROM app:v1.2\nFROM app:1.2\n", want: "FROM app:v1.4.0\nFROM app:1.2\n",
			refs: []string{"FROM:1 changed app:v1.2 -> app:v1.4.0", "FROM:2 skipped app:1.2 (no v prefix, unlike the new tag)"}},
		{name: "precision may differ", opts: Options{Image: "app", Tag: "1.3.0"}, in: "FROM app:1.2\nFROM app:1.3\nFROM app:1.3.0.1\n", want: "FROM app:1.3.0\nFROM app:1.3\nFROM app:1.3.0.1\n",
			refs: []string{"FROM:1 changed app:1.2 -> app:1.3.0", "FROM:2 skipped app:1.3 (1.3 is the same version as the new tag 1.3.0)", "FROM:3 skipped app:1.3.0.1 (would downgrade 1.3.0.1 to 1.3.0)"}},
		{name: "same tag, new digest: rebuilt", opts: Options{Image: "app", Tag: "1.2", Digest: dig2}, in: "FROM app:1.2@" + dig1 + "\nFROM app:1.2@" + dig2 + "\nFROM app:1.2\n",
			want: "FROM app:1.2@" + dig2 + "\nFROM app:1.2@" + dig2 + "\nFROM app:1.2\n",
			refs: []string{"FROM:1 changed app:1.2@" + dig1 + " -> app:1.2@" + dig2 + " (rebuilt)", "FROM:2 current app:1.2@" + dig2, "FROM:3 current app:1.2"}},
		{name: "floating tag pinned by digest", opts: Options{Image: "app", Tag: "1.2", Digest: dig2}, in: "FROM app:latest@" + dig1 + "\n",
			refs: []string{"FROM:1 skipped app:latest@" + dig1 + " (floating tag)"}},
	})
}

func TestRewriteOptOut(t *testing.T) {
	t.Parallel()
	runRewriteCases(t, []rewriteCase{
		{name: "marker", in: "# no-dfiu\nFROM ubuntu:20.04\n", refs: []string{"FROM:2 skipped ubuntu:20.04 (opted out by # no-dfiu)"}},
		{name: "marker without space", in: "#no-dfiu\nFROM ubuntu:20.04\n", refs: []string{"FROM:2 skipped ubuntu:20.04 (opted out by # no-dfiu)"}},
		{name: "marker in a comment block", in: "# no-dfiu\n# keep: tested against 20.04\nFROM ubuntu:20.04\n", refs: []string{"FROM:3 skipped ubuntu:20.04 (opted out by # no-dfiu)"}},
		{name: "blank line breaks it", in: "# no-dfiu\n\nFROM ubuntu:20.04\n", want: "# no-dfiu\n\nFROM ubuntu:24.04\n", refs: []string{"FROM:3 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "not the marker", in: "# no-dfiu please\nFROM ubuntu:20.04\n", want: "# no-dfiu please\nFROM ubuntu:24.04\n", refs: []string{"FROM:2 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "only the next instruction", in: "# no-dfiu\nFROM ubuntu:20.04\nFROM ubuntu:20.04\n", want: "# no-dfiu\nFROM ubuntu:20.04\nFROM ubuntu:24.04\n",
			refs: []string{"FROM:2 skipped ubuntu:20.04 (opted out by # no-dfiu)", "FROM:3 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "COPY opted out", in: "FROM a\n# no-dfiu\nCOPY --from=ubuntu:20.04 /a /b\n", refs: []string{"COPY --from:3 skipped ubuntu:20.04 (opted out by # no-dfiu)"}},
		{name: "custom marker", opts: Options{IgnoreComment: "# keep-base"}, in: "# keep-base\nFROM ubuntu:20.04\n# no-dfiu\nFROM ubuntu:20.04\n", want: "# keep-base\nFROM ubuntu:20.04\n# no-dfiu\nFROM ubuntu:24.04\n",
			refs: []string{"FROM:2 skipped ubuntu:20.04 (opted out by # keep-base)", "FROM:4 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "opted-out ARG", in: "# no-dfiu\nARG B=ubuntu:20.04\nFROM $B\n", refs: []string{"ARG:2 skipped ubuntu:20.04 (opted out by # no-dfiu above ARG B)"}},
		{name: "CRLF marker", in: "# no-dfiu\r\nFROM ubuntu:20.04\r\n", refs: []string{"FROM:2 skipped ubuntu:20.04 (opted out by # no-dfiu)"}},
	})
}

func TestRewriteCompose(t *testing.T) {
	t.Parallel()
	runRewriteCases(t, []rewriteCase{
		{name: "services unquoted and quoted", kind: KindCompose,
			in: "services:\n  a:\n    image: ubuntu:20.04\n  b:\n    image: \"ubuntu:20.04\" # pinned\n  c:\n    image: 'docker.io/library/ubuntu'\n  d:\n    image: myorg/ubuntu:1\n", opts: Options{FloatingTags: FloatingPin},
			want: "services:\n  a:\n    image: ubuntu:24.04\n  b:\n    image: \"ubuntu:24.04\" # pinned\n  c:\n    image: 'docker.io/library/ubuntu:24.04'\n  d:\n    image: myorg/ubuntu:1\n",
			refs: []string{"image:3 changed ubuntu:20.04 -> ubuntu:24.04", "image:5 changed ubuntu:20.04 -> ubuntu:24.04", "image:7 changed docker.io/library/ubuntu -> docker.io/library/ubuntu:24.04"}},
		{name: "dockerfile_inline literal block", kind: KindCompose,
			in:   "services:\n  a:\n    build:\n      context: .\n      dockerfile_inline: |\n        FROM ubuntu:20.04\n\n        RUN echo ubuntu:20.04\n        COPY --from=ubuntu:20.04 /a /b\n    image: app\n",
			want: "services:\n  a:\n    build:\n      context: .\n      dockerfile_inline: |\n        FROM ubuntu:24.04\n\n        RUN echo ubuntu:20.04\n        COPY --from=ubuntu:24.04 /a /b\n    image: app\n",
			refs: []string{"FROM:6 changed ubuntu:20.04 -> ubuntu:24.04", "COPY --from:9 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "dockerfile_inline with an ARG, CRLF", kind: KindCompose,
			in:   "services:\r\n  a:\r\n    build:\r\n      dockerfile_inline: |-\r\n        ARG T=20.04\r\n        FROM ubuntu:$T AS x\r\n        FROM x\r\n",
			want: "services:\r\n  a:\r\n    build:\r\n      dockerfile_inline: |-\r\n        ARG T=24.04\r\n        FROM ubuntu:$T AS x\r\n        FROM x\r\n",
			refs: []string{"ARG:5 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "dockerfile_inline one line, quoted, folded, opted out", kind: KindCompose,
			in: "services:\n  a:\n    build:\n      dockerfile_inline: \"FROM ubuntu:20.04\\nRUN true\"\n  b:\n    build: {dockerfile_inline: 'FROM ubuntu:20.04'}\n  c:\n    build:\n      dockerfile_inline: >\n        FROM ubuntu:20.04\n" +
				"  d:\n    build:\n      # no-dfiu\n      dockerfile_inline: FROM ubuntu:20.04\n  e:\n    build:\n      dockerfile_inline: |2\n          FROM ubuntu:20.04\n",
			want: "services:\n  a:\n    build:\n      dockerfile_inline: \"FROM ubuntu:20.04\\nRUN true\"\n  b:\n    build: {dockerfile_inline: 'FROM ubuntu:24.04'}\n  c:\n    build:\n      dockerfile_inline: >\n        FROM ubuntu:20.04\n" +
				"  d:\n    build:\n      # no-dfiu\n      dockerfile_inline: FROM ubuntu:20.04\n  e:\n    build:\n      dockerfile_inline: |2\n          FROM ubuntu:20.04\n",
			refs: []string{"FROM:4 skipped ubuntu:20.04 (" + inlineReason + ")", "FROM:6 changed ubuntu:20.04 -> ubuntu:24.04", "FROM:10 skipped ubuntu:20.04 (" + inlineReason + ")",
				"FROM:14 skipped ubuntu:20.04 (opted out by # no-dfiu)", "FROM:17 skipped ubuntu:20.04 (" + inlineReason + ")"}},
		{name: "v1 top level", kind: KindCompose, in: "web:\n  image: ubuntu:20.04\n  environment:\n    BASE: ubuntu:20.04\n", want: "web:\n  image: ubuntu:24.04\n  environment:\n    BASE: ubuntu:20.04\n",
			refs: []string{"image:2 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "other keys untouched", kind: KindCompose, in: "services:\n  a:\n    build: .\n    labels:\n      image: ubuntu:20.04\n    command: [\"echo\", \"ubuntu:20.04\"]\nx-image: ubuntu:20.04\n"},
		{name: "block scalar", kind: KindCompose, in: "services:\n  a:\n    image: >-\n      ubuntu:20.04\n", refs: []string{"image:3 skipped ubuntu:20.04 (block scalar image values are not rewritten)"}},
		{name: "tag default", kind: KindCompose, in: "services:\n  a:\n    image: ubuntu:${TAG:-20.04}\n", want: "services:\n  a:\n    image: ubuntu:${TAG:-24.04}\n",
			refs: []string{"image:3 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "tag variable", kind: KindCompose, in: "services:\n  a:\n    image: ubuntu:${TAG}\n", refs: []string{"image:3 skipped ubuntu: (variable TAG has no default value)"}},
		{name: "image variable", kind: KindCompose, in: "services:\n  a:\n    image: ${IMAGE:-ubuntu}:20.04\n", refs: []string{"image:3 skipped ubuntu:20.04 (the image name comes from a variable)"}},
		{name: "CRLF BOM no final newline", kind: KindCompose, in: "\ufeffservices:\r\n  a:\r\n    image: ubuntu:20.04", want: "\ufeffservices:\r\n  a:\r\n    image: ubuntu:24.04",
			refs: []string{"image:3 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "opt-out", kind: KindCompose, in: "services:\n  a:\n    # no-dfiu\n    image: ubuntu:20.04\n", refs: []string{"image:4 skipped ubuntu:20.04 (opted out by # no-dfiu)"}},
		{name: "anchor", kind: KindCompose, in: "x-base: &base\n  image: ubuntu:20.04\nservices:\n  a:\n    <<: *base\n  b:\n    <<: *base\n", want: "x-base: &base\n  image: ubuntu:24.04\nservices:\n  a:\n    <<: *base\n  b:\n    <<: *base\n",
			refs: []string{"image:2 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "anchored and tagged values", kind: KindCompose, in: "services:\n  a:\n    image: &img ubuntu:20.04\n  b:\n    image: *img\n  c:\n    image: !!str 'ubuntu:20.04' # c\n",
			want: "services:\n  a:\n    image: &img ubuntu:24.04\n  b:\n    image: *img\n  c:\n    image: !!str 'ubuntu:24.04' # c\n",
			refs: []string{"image:3 changed ubuntu:20.04 -> ubuntu:24.04", "image:7 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "unicode before value", kind: KindCompose, in: "services:\n  \"é\": {image: ubuntu:20.04}\n", want: "services:\n  \"é\": {image: ubuntu:24.04}\n",
			refs: []string{"image:2 changed ubuntu:20.04 -> ubuntu:24.04"}},
		{name: "escaped double quotes", kind: KindCompose, in: "services:\n  a:\n    image: \"ubuntu:20.\\x30\"\n", refs: []string{"image:3 skipped ubuntu:20.0 (could not find the reference's bytes in the file)"}},
	})
}

func TestRewriteErrors(t *testing.T) {
	t.Parallel()
	opts := Options{Image: "ubuntu", Tag: "24.04"}
	cases := []struct {
		name string
		kind Kind
		in   string
		want error
	}{
		{"empty", KindDockerfile, "", ErrMalformed},
		{"only comments", KindDockerfile, "# hello\n", ErrMalformed},
		{"env with no value", KindDockerfile, "FROM a\nENV PATH\n", ErrMalformed},
		{"unknown instruction", KindDockerfile, "FROM a\nFROBNICATE x\n", ErrMalformed},
		{"instruction before FROM", KindDockerfile, "RUN true\nFROM a\n", ErrMalformed},
		{"FROM with two words", KindDockerfile, "FROM ubuntu:20.04 extra\n", ErrMalformed},
		{"unterminated heredoc", KindDockerfile, "FROM a\nRUN <<EOF\necho\n", ErrMalformed},
		{"bad yaml", KindCompose, "services: [\n", ErrMalformed},
		{"NUL byte", KindDockerfile, "FROM ubuntu\x00\n", ErrNotText},
		{"invalid UTF-8", KindDockerfile, "FROM ubuntu\xff\n", ErrNotText},
		{"invalid UTF-8 compose", KindCompose, "a: \xc3\n", ErrNotText},
		{"too large", KindDockerfile, "FROM ubuntu\n" + strings.Repeat("#", MaxSize), ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Rewrite(tc.kind, []byte(tc.in), opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Rewrite error = %v, want one wrapping %v", err, tc.want)
			}
			if _, err := Images(tc.kind, []byte(tc.in)); !errors.Is(err, tc.want) {
				t.Fatalf("Images error = %v, want one wrapping %v", err, tc.want)
			}
		})
	}
	if _, err := Rewrite(KindUnknown, []byte("FROM a\n"), opts); err == nil {
		t.Error("Rewrite(KindUnknown) returned no error")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := Options{Image: "ubuntu", Tag: "24.04"}
	cases := []struct {
		name  string
		edit  func(*Options)
		want  string // "" means valid
		field string // the OptionError's Field
	}{
		{"valid", func(o *Options) {}, "", ""},
		{"valid full", func(o *Options) {
			o.Image, o.Digest, o.IgnoreComment = "registry:5000/team/app", dig1, "#keep"
		}, "", ""},
		{"no image", func(o *Options) { o.Image = "" }, "image: must not be empty", "image"},
		{"upper case", func(o *Options) { o.Image = "Ubuntu" }, `image "Ubuntu": repository name must be lowercase`, "image"},
		{"image with tag", func(o *Options) { o.Image = "ubuntu:20.04" }, `image "ubuntu:20.04": must be a repository name without a tag or digest`, "image"},
		{"image with digest", func(o *Options) { o.Image = "ubuntu@" + dig1 }, `image "ubuntu@` + dig1 + `": must be a repository name without a tag or digest`, "image"},
		{"scratch", func(o *Options) { o.Image = "scratch" }, `image "scratch": scratch is not an image that can be bumped`, "image"},
		{"no tag", func(o *Options) { o.Tag = "" }, "tag: must not be empty", "tag"},
		{"bad tag", func(o *Options) { o.Tag = "-x" }, `tag "-x": must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`, "tag"},
		{"bad digest", func(o *Options) { o.Digest = "sha256:abc" }, `digest "sha256:abc": invalid checksum digest length`, "digest"},
		{"bad marker", func(o *Options) { o.IgnoreComment = "# #" }, `ignore comment "# #": must contain more than '#' and spaces`, "ignore-comment"},
		{"multiline marker", func(o *Options) { o.IgnoreComment = "a\nb" }, `ignore comment "a\nb": must be a single line`, "ignore-comment"},
		{"bad floating tags", func(o *Options) { o.FloatingTags = "Pin" }, `floating tags "Pin": must be "skip" or "pin"`, "floating-tags"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := ok
			tc.edit(&o)
			err := o.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Validate() = %q, want %q", got, tc.want)
			}
			var oe *OptionError
			if errors.As(err, &oe) != (tc.field != "") || (oe != nil && oe.Field != tc.field) {
				t.Errorf("Validate() = %#v, want an *OptionError for field %q", err, tc.field)
			}
			if err != nil {
				if _, rerr := Rewrite(KindDockerfile, []byte("FROM ubuntu\n"), o); rerr == nil || rerr.Error() != err.Error() {
					t.Errorf("Rewrite did not return the Validate error: %v", rerr)
				}
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	cases := map[string]Kind{
		"Dockerfile": KindDockerfile, "a/b/Dockerfile": KindDockerfile, "Dockerfile.prod": KindDockerfile,
		"api.Dockerfile": KindDockerfile, "api.dockerfile": KindDockerfile, "Containerfile": KindDockerfile,
		"Containerfile.dev": KindDockerfile, "docker-compose.yml": KindCompose, "docker-compose.prod.yaml": KindCompose,
		"compose.yaml": KindCompose, "dir/compose.override.yml": KindCompose, "compose.json": KindUnknown,
		"dockerfile": KindUnknown, "Dockerfile-old": KindUnknown, ".dockerfile": KindUnknown,
		"my-compose.yml": KindUnknown, "README.md": KindUnknown, "docker-compose.yml.bak": KindUnknown,
	}
	for name, want := range cases {
		if got := KindOf(name); got != want {
			t.Errorf("KindOf(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestImages(t *testing.T) {
	t.Parallel()
	in := "# syntax=docker/dockerfile:1\nARG BASE=golang:1.22\nFROM ${BASE} AS build\nRUN --mount=from=busybox:1,target=/b true\nFROM docker.io/library/golang:1.21 AS again\nFROM build\nCOPY --from=ghcr.io/acme/tool:2 /t /t\nCOPY --from=again /a /a\nFROM scratch\nFROM Upper\n"
	got, err := Images(KindDockerfile, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"docker/dockerfile", "golang", "busybox", "ghcr.io/acme/tool"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Images (-want +got):\n%s", diff)
	}
	got, err = Images(KindCompose, []byte("services:\n  a:\n    image: redis:7\n  b:\n    image: postgres\n  c:\n    image: redis\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"redis", "postgres"}, got); diff != "" {
		t.Errorf("compose Images (-want +got):\n%s", diff)
	}
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		old, new string
		cmp      int
		ok       bool
	}{
		{"20.11.1", "22.1.0", -1, true},
		{"22.1.0", "20.11.1", 1, true},
		{"3.11-slim", "3.13-slim", -1, true},
		{"3.13-slim", "3.11-slim", 1, true},
		{"3.13", "3.13", 0, true},
		{"3.13", "3.13.1", -1, true},
		{"v1.2", "v1.10", -1, true},
		{"3.11-slim", "3.13-alpine", 0, false},
		{"latest", "1.0", 0, false},
		{"", "1.0", 0, false},
		{"1.0", "v1.0", 0, false},
		{"alpine3.19", "alpine3.20", 0, false},
		{"1.2.3.4", "1.2.3.5", -1, true},
		{"1.2.3.4.5", "1.2.3.4.6", 0, false},
		{"3.11rc1", "3.11rc2", 0, false},
		{"20.1-alpine3.19", "22-alpine3.19", -1, true},
		{"20-", "22-", 0, false},
		{"007", "7", 0, true},
		{"7357", "18026809126359806124890356219518632048125", -1, true},
		{"18026809126359806124890356219518632048126", "18026809126359806124890356219518632048125", 1, true},
		{"1.2", "1.2.0", 0, true},
		{"8c9d0e1", "3f2a1b9", 0, false},
	}
	for _, tc := range cases {
		cmp, ok := compareVersions(tc.old, tc.new)
		if cmp != tc.cmp || ok != tc.ok {
			t.Errorf("compareVersions(%q, %q) = %d, %v; want %d, %v", tc.old, tc.new, cmp, ok, tc.cmp, tc.ok)
		}
	}
}

// TestAttention checks that only the skips a person must resolve are marked:
// a digest pin with no new digest and an invalid reference, not an opt-out,
// a refused downgrade or a tag-filter miss.
func TestAttention(t *testing.T) {
	t.Parallel()
	in := "FROM ubuntu:20.04@" + dig1 + "\n" +
		"FROM Ubuntu:20.04\n" +
		"# no-dfiu\nFROM ubuntu:18.04\n" +
		"FROM ubuntu:99.04\n" +
		"FROM ubuntu:20.04-slim\n"
	res, err := Rewrite(KindDockerfile, []byte(in), Options{Image: "ubuntu", Tag: "24.04", TagFilter: regexp.MustCompile(`^\d+\.\d+$`)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]bool{}
	for _, r := range res.Refs {
		if r.Status != StatusSkipped {
			t.Errorf("line %d: status %s, want skipped", r.Line, r.Status)
		}
		got[r.Line] = r.Attention
	}
	want := map[int]bool{1: true, 2: true, 4: false, 5: false, 6: false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Attention by line (-want +got):\n%s", diff)
	}
}

func TestLineageOf(t *testing.T) {
	t.Parallel()
	tests := map[string]Lineage{
		"22":                 {Version: true},
		"1.2.3":              {Version: true},
		"v1.4.0":             {Version: true, Prefix: "v"},
		"3.11-slim-bookworm": {Version: true, Variant: "slim-bookworm"},
		"v2-alpine":          {Version: true, Prefix: "v", Variant: "alpine"},
		"8c9d0e1":            {},
		"latest":             {Floating: true},
		"LTS":                {Floating: true},
		"":                   {Floating: true},
		"1.2.3.4.5":          {},
	}
	for tag, want := range tests {
		if got := LineageOf(tag); got != want {
			t.Errorf("LineageOf(%q) = %+v, want %+v", tag, got, want)
		}
	}
	for _, tc := range []struct {
		a, b string
		want int
		ok   bool
	}{
		{"22", "20.11", 1, true}, {"1.2", "1.2.0", 0, true}, {"20-alpine", "22-alpine", -1, true},
		{"20", "22-alpine", 0, false}, {"v1", "1", 0, false}, {"abc", "abc", 0, false},
	} {
		if got, ok := CompareTags(tc.a, tc.b); got != tc.want || ok != tc.ok {
			t.Errorf("CompareTags(%q, %q) = %d, %v, want %d, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
}
