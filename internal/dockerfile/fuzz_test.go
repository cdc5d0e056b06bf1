package dockerfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

var fuzzDockerfileSeeds = []string{
	"FROM ubuntu:20.04\n",
	"# syntax=docker/dockerfile:1.4\n# escape=`\nFROM --platform=$P `\n  ubuntu:20.04 AS a\r\nCOPY --from=a /a /b\n",
	"ARG BASE=ubuntu:20.04\nARG V=1\nFROM ${BASE}\nFROM myorg/base:${V:-2}\nFROM $BASE AS b\n",
	"ARG B=\"ubuntu\"\nFROM ${B}@sha256:1111111111111111111111111111111111111111111111111111111111111111\n",
	"\ufeffFROM ubuntu\nRUN <<EOF\nFROM ubuntu:1\nEOF\n# no-dfiu\nFROM ubuntu:1",
	"FROM alpine\nRUN --mount=type=cache,from=ubuntu:1,target=/x \\\n  true\nCOPY --from=ubuntu:1 --chown=1 /a /b\n",
	"FROM ubuntu:20\\\n.04\nONBUILD COPY --from=ubuntu /a /b\n",
	"ARG A=x\nARG B=${A}/ubuntu:1\nFROM ${B}\nFROM ubuntu:${A:+y}\n",
	"FROM ubuntu:20-fuzz\nFROM ubuntu:lts\nFROM ubuntu:latest\nFROM ubuntu:0.1@sha256:1111111111111111111111111111111111111111111111111111111111111111\nFROM ubuntu:3f2a1b9\n",
	"ARG T=0.0\nARG D=sha256:1111111111111111111111111111111111111111111111111111111111111111\nFROM ubuntu:${T}@${D}\n",
}

var fuzzComposeSeeds = []string{
	"services:\n  a:\n    image: ubuntu:20.04\n",
	"version: '2'\nservices:\n  a:\n    image: \"ubuntu\"\n  b:\n    image: 'ubuntu:${TAG:-1}'\n",
	"web:\n  image: ubuntu:1\ndb:\n  image: >-\n    ubuntu:1\n",
	"x: &x\n  image: ubuntu:1\nservices:\n  a:\n    <<: *x\n  b: {image: \"ubuntu:$$1\"}\n",
	"\ufeffservices:\r\n  a:\r\n    # no-dfiu\r\n    image: ${IMG:-ubuntu}:1",
	"services:\n  a:\n    image: ${IMG:-ubuntu:17.04}\n  b:\n    image: ubuntu\n",
	"services:\n  a:\n    build:\n      dockerfile_inline: |\n        ARG T=1\n        FROM ubuntu:$T\n\n        COPY --from=ubuntu /a /b\n  b:\n    build: {dockerfile_inline: 'FROM ubuntu:1'}\n",
}

// fuzzOptions picks options that touch the file: bump its first image.
func fuzzOptions(kind Kind, data []byte) []Options {
	img := "ubuntu"
	if imgs, err := Images(kind, data); err == nil && len(imgs) > 0 {
		img = imgs[0]
	}
	if (Options{Image: img, Tag: "1"}).Validate() != nil {
		img = "ubuntu"
	}
	return []Options{
		{Image: img, Tag: "99.0-fuzz"},
		{Image: img, Tag: "0.1", Digest: "sha256:2222222222222222222222222222222222222222222222222222222222222222"},
		{Image: img, Tag: "1", FloatingTags: FloatingPin},
		{Image: img, Tag: "fuzz-build"},
	}
}

func fuzzRewrite(t *testing.T, kind Kind, data []byte) {
	_, inErr := Images(kind, data)
	if errors.Is(inErr, ErrInternal) {
		t.Fatalf("Images panicked: %v", inErr)
	}
	for _, opts := range fuzzOptions(kind, data) {
		res, err := Rewrite(kind, data, opts)
		if err != nil {
			if errors.Is(err, ErrInternal) {
				t.Fatalf("Rewrite panicked: %v", err)
			}
			if inErr == nil {
				t.Fatalf("Images accepted the input but Rewrite failed: %v", err)
			}
			continue
		}
		if inErr != nil {
			t.Fatalf("Rewrite accepted the input but Images failed: %v", inErr)
		}
		if !res.Changed && !bytes.Equal(res.Content, data) {
			t.Fatalf("Changed is false but the content differs")
		}
		if _, err := Images(kind, res.Content); err != nil {
			t.Fatalf("input parsed, output does not: %v\ninput:\n%q\noutput:\n%q", err, data, res.Content)
		}
		again, err := Rewrite(kind, res.Content, opts)
		if err != nil {
			t.Fatalf("second Rewrite: %v", err)
		}
		if again.Changed {
			t.Fatalf("not idempotent:\ninput:\n%q\nfirst:\n%q\nsecond:\n%q", data, res.Content, again.Content)
		}
		for _, r := range res.Refs {
			if r.Status == StatusSkipped && r.Reason == "" {
				t.Fatalf("skipped without a reason: %+v", r)
			}
			if r.Status == StatusChanged {
				checkPolicyChange(t, opts, r)
			}
		}
	}
}

func FuzzRewriteDockerfile(f *testing.F) {
	for _, s := range fuzzDockerfileSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRewrite(t, KindDockerfile, data)
		if len(data) < 4096 {
			checkCannotFail(t, data)
			checkQuickParse(t, data)
		}
	})
}

func FuzzRewriteCompose(f *testing.F) {
	for _, s := range fuzzComposeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRewrite(t, KindCompose, data)
	})
}

// checkPolicyChange fails unless the tag policy lets r, a changed
// reference, move to opts.Tag (see oracleEligible): the same tag re-pinned
// to a new digest, a reference pinned by digest alone, a missing tag or
// latest with FloatingPin, or an eligible tag.
func checkPolicyChange(t *testing.T, opts Options, r Ref) {
	t.Helper()
	pinnedOnly := r.OldTag == "" && strings.Contains(r.Old, "@")
	switch {
	case r.OldTag == opts.Tag && opts.Digest != "":
	case pinnedOnly && opts.Digest != "":
	case opts.FloatingTags == FloatingPin && (r.OldTag == "" || r.OldTag == "latest"):
	case oracleEligible(r.OldTag, opts.Tag):
	default:
		t.Fatalf("%s changed to %s, but the tag policy does not let %q move to %q", r.Old, r.New, r.OldTag, opts.Tag)
	}
	if r.Rebuilt != (r.OldTag == opts.Tag) {
		t.Fatalf("%s changed to %s with Rebuilt %v", r.Old, r.New, r.Rebuilt)
	}
}
