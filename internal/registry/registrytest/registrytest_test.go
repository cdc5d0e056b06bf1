package registrytest

import "testing"

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
