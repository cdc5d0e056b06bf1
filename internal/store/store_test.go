package store

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/imageref"
)

// fakeFiles is an in-memory Files with GitHub's sha precondition.
type fakeFiles struct {
	t        *testing.T
	mu       sync.Mutex
	files    map[string][]byte
	puts     int
	gets     int
	loc      Location
	afterGet func(n int) // called after the n-th GetContents, outside the lock
}

func newFake(t *testing.T, loc Location, content string) *fakeFiles {
	f := &fakeFiles{t: t, files: map[string][]byte{}, loc: loc}
	if content != "" {
		f.files[loc.Path] = []byte(content)
	}
	return f
}

func blobSHA(b []byte) string {
	return fmt.Sprintf("%x", sha1.Sum(append([]byte(fmt.Sprintf("blob %d\x00", len(b))), b...)))
}

func (f *fakeFiles) check(owner, repo, ref string) {
	f.t.Helper()
	if owner != f.loc.Owner || repo != f.loc.Repo || ref != f.loc.Branch {
		f.t.Errorf("unexpected location %s/%s@%s, want %s", owner, repo, ref, f.loc)
	}
}

func (f *fakeFiles) GetContents(ctx context.Context, owner, repo, path, ref string) ([]byte, string, error) {
	f.check(owner, repo, ref)
	f.mu.Lock()
	f.gets++
	n := f.gets
	b, ok := f.files[path]
	f.mu.Unlock()
	if f.afterGet != nil {
		defer f.afterGet(n)
	}
	if !ok {
		return nil, "", fmt.Errorf("reading %q: %w", path, gh.ErrNotFound)
	}
	return append([]byte(nil), b...), blobSHA(b), nil
}

func (f *fakeFiles) PutContents(ctx context.Context, owner, repo, path, branch string, content []byte, sha, message string) error {
	f.check(owner, repo, branch)
	if message == "" {
		f.t.Errorf("empty commit message")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, ok := f.files[path]
	switch {
	case ok && sha == "":
		return fmt.Errorf("422 sha wasn't supplied: %w", gh.ErrConflict)
	case ok && sha != blobSHA(cur), !ok && sha != "":
		return fmt.Errorf("409 does not match: %w", gh.ErrConflict)
	}
	f.puts++
	f.files[path] = append([]byte(nil), content...)
	return nil
}

func (f *fakeFiles) content() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.files[f.loc.Path])
}

func TestParseLocation(t *testing.T) {
	t.Parallel()
	good := map[string]Location{
		"acme/ops":                     {Owner: "acme", Repo: "ops", Path: "store.json"},
		"acme/ops/dfiu/images.json":    {Owner: "acme", Repo: "ops", Path: "dfiu/images.json"},
		"acme/ops@store":               {Owner: "acme", Repo: "ops", Path: "store.json", Branch: "store"},
		"acme/my.ops/s.json@feature/x": {Owner: "acme", Repo: "my.ops", Path: "s.json", Branch: "feature/x"},
		"a-b/c_d/x@y/s@main":           {Owner: "a-b", Repo: "c_d", Path: "x@y/s", Branch: "main"},
		"acme/ops/store.json#x":        {Owner: "acme", Repo: "ops", Path: "store.json#x"},
		"acme/ops/a?b.json":            {Owner: "acme", Repo: "ops", Path: "a?b.json"},
		"acme/ops/100%.json":           {Owner: "acme", Repo: "ops", Path: "100%.json"},
		"acme/ops/dir #1/ünï.json@x/y": {Owner: "acme", Repo: "ops", Path: "dir #1/ünï.json", Branch: "x/y"},
	}
	for in, want := range good {
		got, err := ParseLocation(in)
		if err != nil {
			t.Errorf("ParseLocation(%q): %v", in, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParseLocation(%q) (-want +got):\n%s", in, diff)
		}
	}
	bad := map[string]string{
		"":                       "want owner/repo",
		"acme":                   "want owner/repo",
		"acme/":                  "repository",
		"/ops":                   "owner",
		"ac me/ops":              "owner",
		"acme/ops/":              "does not name a file",
		"acme/ops/a//b":          "empty",
		"acme/ops/../x":          "segment",
		"acme/ops@":              "empty branch",
		"acme/ops@bad..br":       "not a valid branch",
		"acme/ops@-x":            "not a valid branch",
		"acme/ops@x.lock":        "not a valid branch",
		"acme/ops@.hidden":       "not a valid branch",
		"acme/ops@a b":           "not a valid branch",
		"acme/ops/new%41.json":   "URL escape",
		"acme/ops/%2e%2e/x.json": "URL escape",
		"acme/ops/x%2Fy.json":    "URL escape",
		"acme/ops/.git/config":   ".git",
		"acme/ops/a\nb.json":     "control character",
		"acme/ops/a\xffb.json":   "not UTF-8",
	}
	for in, want := range bad {
		_, err := ParseLocation(in)
		if err == nil {
			t.Errorf("ParseLocation(%q) = nil error, want one containing %q", in, want)
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("store %q", in)) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseLocation(%q) error %q: want it to name the input and contain %q", in, err, want)
		}
	}
}

var testLoc = Location{Owner: "acme", Repo: "ops", Path: "store.json"}

func TestLoad(t *testing.T) {
	t.Parallel()
	t.Run("missing file is empty", func(t *testing.T) {
		t.Parallel()
		got, invalid, err := Load(context.Background(), newFake(t, testLoc, ""), testLoc)
		if err != nil || len(got) != 0 || len(invalid) != 0 {
			t.Fatalf("Load = %v, %v, %v; want empty, nil", got, invalid, err)
		}
	})
	t.Run("entries, non-strings reported", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, testLoc, `{"images": {"ubuntu": "24.04", "ghcr.io/acme/base": "1.2", "odd": {"x": 1}, "num": 5, "no": null}, "x": 1}`)
		got, invalid, err := Load(context.Background(), f, testLoc)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"ubuntu": "24.04", "ghcr.io/acme/base": "1.2"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Load (-want +got):\n%s", diff)
		}
		wantInvalid := map[string]string{"odd": "its value is an object, not a tag", "num": "its value is a number, not a tag", "no": "its value is null, not a tag"}
		if diff := cmp.Diff(wantInvalid, invalid); diff != "" {
			t.Errorf("Load's invalid entries (-want +got):\n%s", diff)
		}
	})
	t.Run("invalid JSON", func(t *testing.T) {
		t.Parallel()
		for _, content := range []string{`{"images": {`, `[1]`, `{"images": {"a": "1"}} x`, `{"images": [1]}`} {
			_, _, err := Load(context.Background(), newFake(t, testLoc, content), testLoc)
			if err == nil || !strings.Contains(err.Error(), "store acme/ops/store.json") {
				t.Errorf("Load(%q) error = %v, want one naming the store", content, err)
			}
		}
	})
}

// TestSetKeepsEveryOtherByte: an update changes the bytes of the one entry
// it sets, or adds one after the last in its neighbours' layout; unknown
// keys, their formatting, non-string entries and entries that are not
// valid UTF-8 keep every byte.
func TestSetKeepsEveryOtherByte(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, image, tag, want string
	}{
		{
			name: "new store", image: "ubuntu", tag: "24.04",
			want: "{\n  \"images\": {\n    \"ubuntu\": \"24.04\"\n  }\n}\n",
		},
		{
			name: "empty object", image: "ubuntu", tag: "24.04", in: "{}\n",
			want: "{\n  \"images\": {\n    \"ubuntu\": \"24.04\"\n  }\n}\n",
		},
		{
			name: "minified, unknown keys kept as written", image: "ghcr.io/acme/base", tag: "2.0",
			in:   `{"version":2,"images":{"b":"1","x":{"n":1.50}},"meta":{"a":[1,2.50],"s":"<&>"}}`,
			want: `{"version":2,"images":{"b":"1","x":{"n":1.50},"ghcr.io/acme/base":"2.0"},"meta":{"a":[1,2.50],"s":"<&>"}}`,
		},
		{
			name: "another writer's entry that is not UTF-8", image: "alpine", tag: "3.20",
			in:   "{\n  \"images\": {\n    \"odd\": \"v1-\xe9t\xe9\",\n    \"alpine\": \"3.19\"\n  },\n  \"note\": \"caf\xe9\"\n}\n",
			want: "{\n  \"images\": {\n    \"odd\": \"v1-\xe9t\xe9\",\n    \"alpine\": \"3.20\"\n  },\n  \"note\": \"caf\xe9\"\n}\n",
		},
		{
			name: "added after an entry that is not UTF-8", image: "alpine", tag: "3.20",
			in:   "{\"images\": {\n\t\"odd\": \"v1-\xe9t\xe9\"\n}}",
			want: "{\"images\": {\n\t\"odd\": \"v1-\xe9t\xe9\",\n\t\"alpine\": \"3.20\"\n}}",
		},
		{
			name: "CRLF, BOM and odd spacing kept", image: "alpine", tag: "3.20",
			in:   "\ufeff{\r\n    \"images\" :  {\r\n        \"b\" :  \"1\"\r\n    }\r\n}",
			want: "\ufeff{\r\n    \"images\" :  {\r\n        \"b\" :  \"1\",\r\n        \"alpine\" :  \"3.20\"\r\n    }\r\n}",
		},
		{
			name: "normalised key updated in place", image: "ubuntu", tag: "24.04",
			in:   `{"images": {"docker.io/library/ubuntu": "20.04", "alpine": "3"}}`,
			want: `{"images": {"docker.io/library/ubuntu": "24.04", "alpine": "3"}}`,
		},
		{
			name: "every spelling of the image updated", image: "ubuntu", tag: "24.04",
			in:   `{"images": {"library/ubuntu": "20.04", "alpine": "3", "ubuntu": 5}}`,
			want: `{"images": {"library/ubuntu": "24.04", "alpine": "3", "ubuntu": "24.04"}}`,
		},
		{
			name: "index.docker.io matches", image: "index.docker.io/library/alpine", tag: "3.20",
			in:   `{"images": {"alpine": "3"}}`,
			want: `{"images": {"alpine": "3.20"}}`,
		},
		{
			name: "no images key", image: "alpine", tag: "3",
			in:   "{\n  \"owner\": \"platform\"\n}\n",
			want: "{\n  \"images\": {\n    \"alpine\": \"3\"\n  },\n  \"owner\": \"platform\"\n}\n",
		},
		{
			name: "images null", image: "alpine", tag: "3",
			in:   "{\n  \"images\": null, \"x\": [1,  2]\n}\n",
			want: "{\n  \"images\": {\n    \"alpine\": \"3\"\n  }, \"x\": [1,  2]\n}\n",
		},
		{
			name: "images empty", image: "alpine", tag: "3",
			in:   "{\n  \"images\": {}\n}\n",
			want: "{\n  \"images\": {\n    \"alpine\": \"3\"\n  }\n}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, testLoc, tt.in)
			changed, err := Set(context.Background(), f, testLoc, imageref.MustParse(tt.image), tt.tag)
			if err != nil || !changed {
				t.Fatalf("Set = %v, %v; want true, nil", changed, err)
			}
			if diff := cmp.Diff(tt.want, f.content()); diff != "" {
				t.Errorf("store content (-want +got):\n%s", diff)
			}
			images, _, err := Load(context.Background(), f, testLoc)
			for k, v := range images {
				if sameImage(k, imageref.MustParse(tt.image)) && v != tt.tag {
					t.Errorf("Load after Set: %s = %q", k, v)
				}
			}
			if err != nil {
				t.Errorf("Load after Set: %v", err)
			}
			// A second Set with the same tag writes nothing.
			changed, err = Set(context.Background(), f, testLoc, imageref.MustParse(tt.image), tt.tag)
			if err != nil || changed {
				t.Fatalf("second Set = %v, %v; want false, nil", changed, err)
			}
			if f.puts != 1 {
				t.Errorf("PutContents called %d times, want 1", f.puts)
			}
		})
	}
}

func TestSetRefusesBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, content, image, tag, want string }{
		{"invalid JSON never overwritten", `{"images": {"a": "1",}}`, "alpine", "3", "invalid JSON"},
		{"empty tag", "", "ubuntu", "", "tag"},
		{"tag with a line break", "", "ubuntu", "1\n::error::x", "not a valid tag"},
		{"images not an object", `{"images": "x"}`, "ubuntu", "1", `"images"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, testLoc, tt.content)
			_, err := Set(context.Background(), f, testLoc, imageref.MustParse(tt.image), tt.tag)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "store acme/ops/store.json") {
				t.Fatalf("Set error = %v, want one naming the store and containing %q", err, tt.want)
			}
			if f.puts != 0 || f.content() != tt.content {
				t.Errorf("store was written (%d puts): %q", f.puts, f.content())
			}
		})
	}
	// Set takes a parsed name: an upper-case name or one with a tag never
	// reaches it.
	for image, want := range map[string]string{"Ubuntu": `image "Ubuntu"`, "ubuntu:22.04": "without a tag"} {
		if _, err := imageref.Parse(image); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("imageref.Parse(%q) error = %v, want one containing %q", image, err, want)
		}
	}
}

func TestSetRetriesLostRace(t *testing.T) {
	t.Parallel()
	f := newFake(t, testLoc, `{"images": {"alpine": "3"}}`)
	// Another writer commits between our first read and our write.
	f.afterGet = func(n int) {
		if n == 1 {
			f.mu.Lock()
			f.files[testLoc.Path] = []byte(`{"images": {"alpine": "3", "nginx": "1.27"}}`)
			f.mu.Unlock()
		}
	}
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	changed, err := SetWithOptions(context.Background(), f, testLoc, imageref.MustParse("ubuntu"), "24.04", Options{Clock: clk})
	if err != nil || !changed {
		t.Fatalf("Set = %v, %v; want true, nil", changed, err)
	}
	got, _, err := Load(context.Background(), f, testLoc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"alpine": "3", "nginx": "1.27", "ubuntu": "24.04"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("store after the race (-want +got):\n%s", diff)
	}
	if s := clk.Sleeps(); len(s) != 1 || s[0] <= 0 || s[0] > 100*time.Millisecond {
		t.Errorf("sleeps = %v, want one jittered wait in (0, 100ms]", s)
	}
}

func TestSetGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	f := newFake(t, testLoc, `{"images": {}}`)
	// Someone else always writes between our read and our write.
	f.afterGet = func(n int) {
		f.mu.Lock()
		f.files[testLoc.Path] = []byte(fmt.Sprintf(`{"images": {"n%d": "1"}}`, n))
		f.mu.Unlock()
	}
	clk := clock.NewFake(time.Unix(0, 0))
	_, err := SetWithOptions(context.Background(), f, testLoc, imageref.MustParse("ubuntu"), "1", Options{Clock: clk, MaxAttempts: 3})
	if !errors.Is(err, gh.ErrConflict) || !strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("Set error = %v, want ErrConflict after 3 attempts", err)
	}
	if f.gets != 3 {
		t.Errorf("reads = %d, want 3", f.gets)
	}
}

func TestConcurrentSetKeepsEveryEntry(t *testing.T) {
	t.Parallel()
	f := newFake(t, testLoc, "")
	clk := clock.NewFake(time.Unix(0, 0))
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = SetWithOptions(context.Background(), f, testLoc, imageref.MustParse(fmt.Sprintf("ghcr.io/acme/img%d", i)), "1.0", Options{Clock: clk})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got, _, err := Load(context.Background(), f, testLoc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 {
		t.Errorf("store has %d entries, want 20: %v", len(got), got)
	}
}
