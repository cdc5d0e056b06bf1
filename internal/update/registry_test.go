package update

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

const (
	digestOld = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	digestNew = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

// fakeRegistry answers Resolve from a map of "image:tag" → digest and
// counts the lookups.
type fakeRegistry struct {
	mu      sync.Mutex
	digests map[string]string
	err     error // returned for every lookup when set
	calls   []string
}

var errNoTag = errors.New("not found")

func (r *fakeRegistry) Resolve(ctx context.Context, image, tag string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, image+":"+tag)
	if r.err != nil {
		return "", r.err
	}
	d, ok := r.digests[image+":"+tag]
	if !ok {
		return "", fmt.Errorf("%s:%s in registry example: %w", image, tag, errNoTag) // as *registry.Error words it
	}
	return d, nil
}

func pinnedRepo(name, content string) *fakeRepo {
	return &fakeRepo{owner: "acme", name: name, files: map[string]string{"Dockerfile": content}}
}

func TestVerifyTagStopsBeforeTheStore(t *testing.T) {
	t.Parallel()
	for _, mode := range []Mode{ModeParent, ModeChild} {
		f := newFake(t, pinnedRepo("svc", "FROM acme/base:1.2\n"))
		f.noWrites = true
		st := &fakeStore{}
		reg := &fakeRegistry{}
		opts := testOptions(t, mode, "acme/base", "1.9")
		opts.Repository = "acme/svc"
		opts.VerifyTag, opts.ResolveDigest, opts.Registry = true, true, reg
		_, err := Run(context.Background(), f, st, opts)
		if !errors.Is(err, errNoTag) || !strings.Contains(err.Error(), "verify-tag: false") {
			t.Errorf("%s: err = %v, want the registry's error with the hint", mode, err)
		}
		if st.sets != 0 || f.searches != 0 || f.hydrates != 0 || len(reg.calls) != 1 {
			t.Errorf("%s: %d store writes, %d searches, %d reads, %d lookups; want none but one lookup", mode, st.sets, f.searches, f.hydrates, len(reg.calls))
		}
	}
}

func TestRebuiltTemplates(t *testing.T) {
	t.Parallel()
	f := newFake(t,
		pinnedRepo("pinned", "FROM acme/base:1.2@"+digestOld+"\n"),
		pinnedRepo("bump", "FROM acme/base:1.1@"+digestOld+"\n"),
		pinnedRepo("plain", "FROM acme/base:1.2\n"))
	st := &fakeStore{}
	reg := &fakeRegistry{digests: map[string]string{"acme/base:1.2": digestNew}}
	opts := testOptions(t, ModeParent, "acme/base", "1.2")
	opts.VerifyTag, opts.ResolveDigest, opts.Registry = true, true, reg
	rep, err := Run(context.Background(), f, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.digests["acme/base:1.2"] != digestNew {
		t.Errorf("store digests = %v", st.digests)
	}
	got := byRepo(rep)
	if r := got["acme/plain acme/base"]; r.Action != Unchanged || r.To != "1.2" {
		t.Errorf("plain = %+v", r)
	}
	if r := got["acme/pinned acme/base"]; r.Action != Created || r.From != "1.2@"+digestOld || r.To != "1.2@"+digestNew {
		t.Errorf("pinned = %+v", r)
	}
	titles := map[string]string{}
	for _, in := range f.proposed {
		titles[in.Name] = in.Title
		if in.Name == "pinned" && (!strings.Contains(in.Body, "was rebuilt") || !strings.Contains(in.Body, digestOld) || !strings.Contains(in.Body, digestNew) ||
			!strings.Contains(in.Message.Body, digestOld)) {
			t.Errorf("pinned: body %q, commit body %q; want rebuilt with both digests", in.Body, in.Message.Body)
		}
	}
	if titles["pinned"] != "Re-pin acme/base:1.2 (rebuilt)" || titles["bump"] != "Bump acme/base to 1.2" {
		t.Errorf("titles = %v", titles)
	}
}

func TestAllModeLooksUpEachImageOnce(t *testing.T) {
	t.Parallel()
	f := newFake(t,
		pinnedRepo("a", "FROM acme/base:1.2@"+digestOld+"\n"),
		pinnedRepo("b", "FROM acme/base:1.2@"+digestOld+"\nFROM node:20\n"),
		pinnedRepo("c", "FROM node:20\n"))
	st := &fakeStore{images: map[string]string{"acme/base": "1.2", "node": "22", "gone/app": "1.0"},
		digests: map[string]string{"acme/base:1.2": digestOld}}
	reg := &fakeRegistry{digests: map[string]string{"acme/base:1.2": digestNew, "node:22": digestOld}}
	opts := testOptions(t, ModeAll, "", "")
	opts.VerifyTag, opts.ResolveDigest, opts.Registry = true, true, reg
	rep, err := Run(context.Background(), f, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(reg.calls, ",") != "acme/base:1.2,gone/app:1.0,node:22" {
		t.Errorf("lookups = %v, want one per image", reg.calls)
	}
	got := byRepo(rep)
	if r := got["acme/a acme/base"]; r.Action != Created || r.To != "1.2@"+digestNew {
		t.Errorf("a = %+v, want re-pinned to the registry's digest", r)
	}
	if errs := rep.Errors(); len(errs) != 1 || !strings.Contains(errs[0], "gone/app") {
		t.Errorf("errors = %v, want one for gone/app", errs)
	}
	if r := got["acme/c node"]; r.Action != Created {
		t.Errorf("c = %+v", r)
	}
}

func TestGivenDigestIsVerifiedNotReplaced(t *testing.T) {
	t.Parallel()
	f := newFake(t, pinnedRepo("pinned", "FROM acme/base:1.2@"+digestOld+"\n"))
	reg := &fakeRegistry{digests: map[string]string{"acme/base:1.3": digestNew}}
	opts := testOptions(t, ModeParent, "acme/base", "1.3")
	opts.Target.Digest = digestOld
	opts.VerifyTag, opts.ResolveDigest, opts.Registry = true, true, reg
	rep, err := Run(context.Background(), f, &fakeStore{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r := byRepo(rep)["acme/pinned acme/base"]; r.To != "1.3@"+digestOld || len(reg.calls) != 1 {
		t.Errorf("pinned = %+v after %d lookups; want the input's digest and one lookup", r, len(reg.calls))
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "is not what the registry has") {
		t.Errorf("notes = %q, want the mismatch noted", rep.Notes)
	}
}
