package gh

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Code search limits (https://docs.github.com/rest/search/search#search-code).
const (
	searchPerPage = 100
	searchCap     = 1000       // results GitHub serves per query
	maxIndexed    = 384 * 1024 // only files smaller than 384 KB are searchable
)

// SearchCode runs the code searches of q (GET /search/code,
// https://docs.github.com/rest/search/search#search-code): one query per
// org and qualifier, paginated at 100 per page. A query whose total_count
// is over GitHub's 1,000-result cap is split by size: ranges in bytes,
// bisected (in log space while the range is wide, since file sizes are
// spread that way) until every part is at most 1,000. A part that is still
// over the cap at a single byte size is read as far as GitHub allows and
// reported. Hits are deduplicated by repository and path. Every gap in
// coverage (the cap, incomplete_results) sets Complete to false and adds a
// Note; splits are noted too.
//
// Search is paced by the transport to the code_search resource's
// x-ratelimit headers (about 9–10 requests a minute), so the queries run
// one after another.
func (c *Client) SearchCode(ctx context.Context, q CodeQuery) (*SearchResult, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	s := &searcher{c: c, res: &SearchResult{Complete: true}, seen: make(map[string]bool)}
	quals := q.Qualifiers
	if len(quals) == 0 {
		quals = []string{""}
	}
	for _, org := range q.Orgs {
		for _, qual := range quals {
			parts := append(append([]string(nil), q.Terms...), qual, "org:"+org)
			query := strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
			if err := s.run(ctx, query, 0, maxIndexed-1, false); err != nil {
				if !unsearchable(err) {
					return s.res, err
				}
				// This org only: the others are still searched.
				s.res.Complete = false
				s.res.FailedOrgs = append(s.res.FailedOrgs, org)
				s.note("org %s could not be searched (it does not exist, or the token may not search it): %v", org, err)
				break
			}
		}
	}
	return s.res, nil
}

// unsearchable reports whether err is GitHub's 422 for a qualifier naming
// something the token cannot search: "The listed users, orgs, or
// repositories cannot be searched either because the resources do not
// exist or you do not have permission to view them."
// (https://docs.github.com/rest/search/search).
func unsearchable(err error) bool {
	return statusOf(err) == http.StatusUnprocessableEntity && strings.Contains(err.Error(), "cannot be searched")
}

func (q CodeQuery) validate() error {
	if len(q.Orgs) == 0 {
		return errors.New("code search: no org given")
	}
	for _, o := range q.Orgs {
		if o == "" || strings.ContainsAny(o, " \t\n:") {
			return fmt.Errorf("code search: org %q: not an organisation login", o)
		}
	}
	terms := strings.Join(q.Terms, "")
	if strings.TrimSpace(terms) != "" {
		return nil
	}
	quals := q.Qualifiers
	if len(quals) == 0 {
		return errors.New("code search: no search term and no filename: qualifier (GitHub requires one)")
	}
	for _, qual := range quals {
		if !strings.Contains(qual, "filename:") {
			return fmt.Errorf("code search: qualifier %q: a query without a search term needs filename:", qual)
		}
	}
	return nil
}

type searcher struct {
	c        *Client
	res      *SearchResult
	seen     map[string]bool
	ssoNoted map[string]bool // queries whose SSO partial results are noted
}

func (s *searcher) note(format string, args ...any) {
	s.res.Notes = append(s.res.Notes, fmt.Sprintf(format, args...))
}

// run reads query, restricted to sizes lo..hi when sized, splitting it
// when it is over the cap.
func (s *searcher) run(ctx context.Context, base string, lo, hi int, sized bool) error {
	query := base
	if sized {
		query = fmt.Sprintf("%s size:%d..%d", base, lo, hi)
	}
	first, next, err := s.page(ctx, query, 1)
	if err != nil {
		return err
	}
	total := first.GetTotal()
	if total > searchCap && lo < hi {
		mid := splitPoint(lo, hi)
		s.note("query %q matched %d files, over the 1,000-result cap: split into size:%d..%d and size:%d..%d", query, total, lo, mid, mid+1, hi)
		if err := s.run(ctx, base, lo, mid, true); err != nil {
			return err
		}
		return s.run(ctx, base, mid+1, hi, true)
	}
	s.take(query, first)
	pages := 1
	for next != 0 && next*searchPerPage <= searchCap {
		r, n, err := s.page(ctx, query, next)
		if err != nil {
			var capErr *searchCapError
			if errors.As(err, &capErr) {
				break
			}
			return err
		}
		s.take(query, r)
		next = n
		pages++
	}
	if total > searchCap {
		s.res.Complete = false
		s.note("query %q matched %d files of one size, over the 1,000-result cap: only the first %d were read", query, total, min(pages*searchPerPage, searchCap))
	}
	return nil
}

// splitPoint picks where to cut lo..hi: at the geometric mean while the
// range spans more than a factor of 16, else at the middle.
func splitPoint(lo, hi int) int {
	if hi+1 > 16*(lo+1) {
		m := int(math.Sqrt(float64(lo+1)*float64(hi+1))) - 1
		if m >= lo && m < hi {
			return m
		}
	}
	return lo + (hi-lo)/2
}

type searchCapError struct{ err error }

func (e *searchCapError) Error() string { return e.err.Error() }
func (e *searchCapError) Unwrap() error { return e.err }

// page fetches one page of query and returns the next page number (0 at
// the end).
func (s *searcher) page(ctx context.Context, query string, n int) (*github.CodeSearchResult, int, error) {
	s.res.Requests++
	r, resp, err := s.c.rest.Search.Code(ctx, query, &github.SearchOptions{
		ListOptions: github.ListOptions{Page: n, PerPage: searchPerPage},
	})
	if err != nil {
		if statusOf(err) == http.StatusUnprocessableEntity && strings.Contains(err.Error(), "Only the first 1000") {
			s.res.Complete = false
			s.note("query %q: GitHub refused page %d: only the first 1,000 results are available", query, n)
			return nil, 0, &searchCapError{err}
		}
		return nil, 0, fmt.Errorf("searching code %q (page %d): %w", query, n, err)
	}
	if sso := resp.Header.Get("X-GitHub-SSO"); strings.HasPrefix(sso, "partial-results") && !s.ssoNoted[query] {
		// Results from organisations whose SAML single sign-on the token
		// is not authorised for were left out
		// (https://docs.github.com/rest/authentication/authenticating-to-the-rest-api).
		if s.ssoNoted == nil {
			s.ssoNoted = map[string]bool{}
		}
		s.ssoNoted[query] = true
		s.res.Complete = false
		s.note("query %q: GitHub left out results from organisations whose SAML single sign-on the token is not authorised for (X-GitHub-SSO: %s)", query, sso)
	}
	if r.GetIncompleteResults() {
		s.res.Complete = false
		s.note("query %q (page %d): GitHub reported incomplete_results (the search timed out); some files may be missing", query, n)
	}
	return r, resp.NextPage, nil
}

func (s *searcher) take(query string, r *github.CodeSearchResult) {
	for _, it := range r.CodeResults {
		repo := it.GetRepository()
		owner, name := repo.GetOwner().GetLogin(), repo.GetName()
		if owner == "" || name == "" {
			o, n, ok := strings.Cut(repo.GetFullName(), "/")
			if !ok {
				s.res.Complete = false
				s.note("query %q: a hit for %q has no repository name; skipped", query, it.GetPath())
				continue
			}
			owner, name = o, n
		}
		key := strings.ToLower(owner+"/"+name) + "\x00" + it.GetPath()
		if s.seen[key] {
			continue
		}
		s.seen[key] = true
		s.res.Hits = append(s.res.Hits, CodeHit{Owner: owner, Name: name, Path: it.GetPath(), SHA: it.GetSHA()})
	}
}
