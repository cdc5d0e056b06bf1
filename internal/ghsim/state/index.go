package state

import (
	"sort"
	"time"
)

// The code-search index's blind spots. GitHub documents them on the legacy
// code-search page, which governs the REST endpoint
// (docs.github.com/search-github/searching-on-github/searching-code,
// "Considerations for code search", quoted in
// ../shared/github-api/FACTS.md §1):
//
//   - "Only repositories that have had activity or have been returned in
//     search results in the last year are searchable" (DormantAfter; the
//     search-results half is not modelled: a dormant repository stays out).
//   - "The REST API will find up to 4,000 repositories that match your
//     filters and return results from those repositories"
//     (docs content/rest/search/search.md), and "Up to 4,000 private
//     repositories are searchable. These 4,000 repositories will be the
//     most recently updated of the first 10,000 …" (the same legacy page):
//     SearchRepoCap, keeping the most recently pushed.
//   - forks (fork:), the default branch only and MaxIndexedSize are in
//     SearchCode.
//
// Nothing else about such a repository changes: listings, trees, contents
// and GraphQL serve it as before.
const (
	DormantAfter  = 365 * 24 * time.Hour
	SearchRepoCap = 4000
)

// SetIndexed puts a repository in the code-search index (the default) or
// leaves it out, as GitHub does for reasons it does not expose.
func (w *World) SetIndexed(repoID int64, indexed bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.repoByID[repoID]
	if r == nil {
		return errorf(NotFound, "Not Found")
	}
	r.unindexed = !indexed
	return nil
}

// SetPushedAt sets when a repository was last pushed to; one pushed more
// than DormantAfter before the clock is out of the code-search index until
// its next push.
func (w *World) SetPushedAt(repoID int64, t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.repoByID[repoID]
	if r == nil {
		return errorf(NotFound, "Not Found")
	}
	r.PushedAt = t
	return nil
}

// SetSearchRepoCap sets how many repositories one code search considers
// (SearchRepoCap by default); tests lower it to exercise the cap.
func (w *World) SetSearchRepoCap(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.searchRepoCap = n
}

// searchable reports whether code search sees r at now.
func (r *repo) searchable(now time.Time) bool {
	return !r.unindexed && !r.PushedAt.Before(now.Add(-DormantAfter))
}

// capRepos keeps the n most recently pushed of repos (ties by name), as
// GitHub keeps the most recently updated.
func capRepos[T any](repos []T, n int, pushed func(T) time.Time, name func(T) string) []T {
	if n <= 0 || len(repos) <= n {
		return repos
	}
	sort.SliceStable(repos, func(i, j int) bool {
		pi, pj := pushed(repos[i]), pushed(repos[j])
		if !pi.Equal(pj) {
			return pi.After(pj)
		}
		return name(repos[i]) < name(repos[j])
	})
	return repos[:n]
}
