// Package scanindex keeps the scan's cache: for each repository, the head
// of its default branch and its candidate files (Dockerfile-like and
// compose files, with sizes) as of the last scan. A repository whose head
// has not moved is not listed again.
//
// It lives next to the store file (store.json → store.scan-index.json) and
// is written with the store's optimistic concurrency (store.Modify). It is
// only a cache: a missing file is an empty index, and one that does not
// decode or whose checksum does not match is reported and treated as
// empty, so losing or corrupting it costs one full scan, never a wrong
// result.
package scanindex

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/dfiu/dfiu/internal/gh"
	"github.com/dfiu/dfiu/internal/store"
)

// version changes when what a scan records changes (the candidate rules):
// an index of another version is discarded.
const version = 1

// ErrCorrupt marks an index that cannot be trusted.
var ErrCorrupt = errors.New("scan index is corrupt")

// File is one candidate file.
type File struct {
	Path string `json:"path"`
	Size int    `json:"size"`
}

// Entry is one repository as of the last scan.
type Entry struct {
	Head  string `json:"head"`
	Files []File `json:"files,omitempty"`
	// Checked records, for the files at Head read under Rules, the images
	// with nothing to do: image → "" when no file references it, or the
	// tag (tag@digest) every reference was already at. Such a repository
	// is not read again for that image while its head, the rules and the
	// tag stay the same.
	Rules   string            `json:"rules,omitempty"`
	Checked map[string]string `json:"checked,omitempty"`
}

// Index maps lower-case "owner/name" to its entry.
type Index map[string]Entry

// Location returns where the index of the store at loc lives: the same
// repository and branch, beside the store file.
func Location(loc store.Location) store.Location {
	dir, base := path.Split(loc.Path)
	base = strings.TrimSuffix(base, path.Ext(base))
	loc.Path = dir + base + ".scan-index.json"
	return loc
}

type doc struct {
	Version  int    `json:"version"`
	Checksum string `json:"checksum"`
	Repos    Index  `json:"repos"`
}

// checksum is the sha256 of the repos' canonical JSON (encoding/json sorts
// map keys).
func checksum(idx Index) (string, error) {
	b, err := json.Marshal(idx)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Encode returns the index file's content.
func Encode(idx Index) ([]byte, error) {
	if idx == nil {
		idx = Index{}
	}
	sum, err := checksum(idx)
	if err != nil {
		return nil, fmt.Errorf("encoding the scan index: %w", err)
	}
	b, err := json.Marshal(doc{Version: version, Checksum: sum, Repos: idx})
	if err != nil {
		return nil, fmt.Errorf("encoding the scan index: %w", err)
	}
	return append(b, '\n'), nil
}

// Decode reads an index file. Empty content is an empty index; anything
// that does not decode, is of another version or fails its checksum wraps
// ErrCorrupt.
func Decode(b []byte) (Index, error) {
	if len(strings.TrimSpace(string(b))) == 0 {
		return Index{}, nil
	}
	var d doc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if d.Version != version {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrCorrupt, d.Version, version)
	}
	if d.Repos == nil {
		d.Repos = Index{}
	}
	sum, err := checksum(d.Repos)
	if err != nil || sum != d.Checksum {
		return nil, fmt.Errorf("%w: checksum does not match", ErrCorrupt)
	}
	return d.Repos, nil
}

// Store reads and writes the index at one location.
type Store struct {
	Files store.Files
	Loc   store.Location
	Opts  store.Options
}

// Repository returns "owner/name" of the repository holding the index.
func (s Store) Repository() string { return s.Loc.Owner + "/" + s.Loc.Repo }

// Load reads the index. A missing file is an empty index; a corrupt one is
// an empty index and an error wrapping ErrCorrupt (the caller reports it
// and scans in full).
func (s Store) Load(ctx context.Context) (Index, error) {
	b, _, err := s.Files.GetContents(ctx, s.Loc.Owner, s.Loc.Repo, s.Loc.Path, s.Loc.Branch)
	if err != nil {
		if isNotFound(err) {
			return Index{}, nil
		}
		return Index{}, fmt.Errorf("reading the scan index %s: %w", s.Loc, err)
	}
	idx, err := Decode(b)
	if err != nil {
		return Index{}, fmt.Errorf("scan index %s: %w", s.Loc, err)
	}
	return idx, nil
}

// Save writes idx for the owners it scanned: entries of those owners are
// replaced by idx's (a repository no longer listed drops out), entries of
// other owners, from other runs, are kept. A concurrent writer's entries
// for other owners survive the retry; a corrupt file is replaced. Nothing
// is written when nothing changed.
func (s Store) Save(ctx context.Context, owners []string, idx Index) error {
	scanned := map[string]bool{}
	for _, o := range owners {
		scanned[strings.ToLower(o)] = true
	}
	_, err := store.Modify(ctx, s.Files, s.Loc, s.Opts, "dfiu: update the scan index", func(content []byte) ([]byte, error) {
		old, err := Decode(content)
		if err != nil {
			old = Index{}
		}
		merged := Index{}
		for k, e := range old {
			if o, _, _ := strings.Cut(k, "/"); !scanned[o] {
				merged[k] = e
			}
		}
		for k, e := range idx {
			merged[strings.ToLower(k)] = e
		}
		out, encErr := Encode(merged)
		if encErr != nil {
			return nil, encErr
		}
		if err == nil && bytes.Equal(bytes.TrimSpace(content), bytes.TrimSpace(out)) {
			return nil, nil
		}
		return out, nil
	})
	return err
}

func isNotFound(err error) bool { return errors.Is(err, gh.ErrNotFound) }
