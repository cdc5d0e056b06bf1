package scanindex

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/store"
)

// memFiles is one file with a sha; race, when set, is written by "another
// writer" just before our first write.
type memFiles struct {
	content []byte
	sha     int
	puts    int
	race    []byte
}

func (m *memFiles) GetContents(_ context.Context, _, _, _, _ string) ([]byte, string, error) {
	if m.content == nil {
		return nil, "", fmt.Errorf("missing: %w", gh.ErrNotFound)
	}
	return m.content, fmt.Sprint(m.sha), nil
}

func (m *memFiles) PutContents(_ context.Context, _, _, _, _ string, content []byte, sha, _ string) error {
	if m.race != nil {
		m.content, m.race = m.race, nil
		m.sha++
	}
	if (m.content == nil) != (sha == "") || m.content != nil && sha != fmt.Sprint(m.sha) {
		return fmt.Errorf("stale: %w", gh.ErrConflict)
	}
	m.content, m.sha, m.puts = content, m.sha+1, m.puts+1
	return nil
}

func TestLocation(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"o/r": "store.scan-index.json", "o/r/ops/images.json@cfg": "ops/images.scan-index.json"} {
		loc, err := store.ParseLocation(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := Location(loc); got.Path != want || got.Branch != loc.Branch || got.Repo != "r" {
			t.Errorf("Location(%s) = %+v, want path %s", in, got, want)
		}
	}
}

func TestCorruptIsNeverTrusted(t *testing.T) {
	t.Parallel()
	good, err := Encode(Index{"acme/app": {Head: "abc", Files: []File{{Path: "Dockerfile", Size: 10}}}})
	if err != nil {
		t.Fatal(err)
	}
	if idx, err := Decode(good); err != nil || idx["acme/app"].Files[0].Path != "Dockerfile" {
		t.Fatalf("round trip: %v, %v", idx, err)
	}
	for name, b := range map[string]string{
		"not JSON":       "{",
		"tampered":       strings.Replace(string(good), "Dockerfile", "Dockerfilf", 1),
		"other version":  strings.Replace(string(good), `"version":1`, `"version":2`, 1),
		"truncated file": string(good[:len(good)/2]),
	} {
		if _, err := Decode([]byte(b)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	m := &memFiles{content: []byte("{")}
	s := Store{Files: m, Loc: store.Location{Owner: "o", Repo: "r", Path: "store.scan-index.json"}}
	if idx, err := s.Load(context.Background()); !errors.Is(err, ErrCorrupt) || len(idx) != 0 {
		t.Errorf("Load of a corrupt index = %v, %v", idx, err)
	}
	// Saving replaces it.
	if err := s.Save(context.Background(), []string{"acme"}, Index{"acme/app": {Head: "h"}}); err != nil {
		t.Fatal(err)
	}
	if idx, err := s.Load(context.Background()); err != nil || idx["acme/app"].Head != "h" {
		t.Errorf("after saving: %v, %v", idx, err)
	}
}

// TestSaveMergesOnConflict: another run's entries for other owners survive
// a lost race; the scanned owners' entries are ours; an unchanged index is
// not written.
func TestSaveMergesOnConflict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	theirs, _ := Encode(Index{"other/x": {Head: "1"}, "acme/gone": {Head: "2"}})
	m := &memFiles{race: theirs}
	s := Store{Files: m, Loc: store.Location{Owner: "o", Repo: "r", Path: "i.json"}, Opts: store.Options{Clock: clock.NewFake(time.Now())}}
	if err := s.Save(ctx, []string{"Acme"}, Index{"acme/app": {Head: "3"}}); err != nil {
		t.Fatal(err)
	}
	idx, err := s.Load(ctx)
	if err != nil || len(idx) != 2 || idx["other/x"].Head != "1" || idx["acme/app"].Head != "3" {
		t.Errorf("merged = %v, %v; want other/x kept, acme/gone dropped, acme/app ours", idx, err)
	}
	puts := m.puts
	if err := s.Save(ctx, []string{"acme"}, Index{"acme/app": {Head: "3"}}); err != nil || m.puts != puts {
		t.Errorf("saving the same index wrote again (%d puts), %v", m.puts-puts, err)
	}
}
