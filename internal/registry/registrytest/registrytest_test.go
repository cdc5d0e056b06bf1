package registrytest

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestPushIsDeterministicAndUnlogged(t *testing.T) {
	t.Parallel()
	a, b := Start(Options{}), Start(Options{Username: "u", Password: "p", Hide: true})
	defer a.Close()
	defer b.Close()

	da, err := a.PushImage("acme/base", "1.0", 42)
	if err != nil {
		t.Fatal(err)
	}
	db, err := b.PushImage("acme/base", "1.0", 42) // pushes bypass the auth
	if err != nil {
		t.Fatal(err)
	}
	if da != db {
		t.Errorf("the same seed gave digests %s and %s", da, db)
	}
	if other, err := a.PushImage("acme/base", "1.1", 43); err != nil || other == da {
		t.Errorf("seed 43 gave %s, %v; want a digest other than %s", other, err, da)
	}
	idx, err := a.PushIndex("acme/multi", "1.0", 42)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Manifests) != 2 || idx.Manifests[0] != da || idx.Digest == da {
		t.Errorf("index %+v: want two platform manifests, the first %s, and its own digest", idx, da)
	}
	if reqs := append(a.Requests(), b.Requests()...); len(reqs) != 0 {
		t.Errorf("pushes were logged: %+v", reqs)
	}
}

func TestTransportServesEveryHost(t *testing.T) {
	t.Parallel()
	r := Start(Options{})
	defer r.Close()
	want, err := r.PushImage("acme/base", "1.0", 7)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag("ghcr.io/acme/base:1.0")
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(ref, remote.WithTransport(r.Transport()))
	if err != nil || desc.Digest.String() != want {
		t.Fatalf("HEAD ghcr.io/acme/base:1.0 through Transport: %v, %v; want %s", desc, err, want)
	}
	if reqs := r.Requests(); len(reqs) == 0 || reqs[len(reqs)-1].Path != "/v2/acme/base/manifests/1.0" {
		t.Errorf("requests = %+v", reqs)
	}
}
