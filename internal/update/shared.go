package update

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dfiu/dfiu/internal/gh"
)

// SharedDiscoveryAbove is the number of images above which all mode
// stops searching for each image's name and instead finds the files by
// name alone, once per organisation and file kind (GitHub's legacy code
// search needs no search term with a filename: qualifier,
// https://docs.github.com/search-github/searching-on-github/searching-code),
// reads them and matches every image locally. Code search is GitHub's
// scarcest resource (about 9 requests a minute): per image it costs images
// × kinds × orgs requests at least, shared it costs kinds × orgs (plus a
// page per 100 files), whatever the size of the store.
const SharedDiscoveryAbove = 3

// SearchesPerMinute is the code-search rate the run's cost is planned
// with: GitHub documents 10 a minute, and its newest docs 9.
const SearchesPerMinute = 9

// planDiscovery logs, and notes in the report, what discovery will cost in
// code searches (the first page of each query; more pages and splits come
// on top) and says whether it is shared between images.
func (r *runner) planDiscovery(targets []Target, rep *Report) (shared bool) {
	perQuery := len(Qualifiers(r.opts.Kinds)) * len(r.opts.Orgs)
	shared = r.opts.Mode == ModeAll && len(targets) > SharedDiscoveryAbove
	searches := perQuery * len(targets)
	if shared {
		searches = perQuery
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d images: files were found by name once per organisation (%d code searches at least, instead of %d) and matched to the images locally",
			len(targets), perQuery, perQuery*len(targets)))
	}
	r.log.Info("plan", "images", len(targets), "shared_discovery", shared, "min_code_searches", searches,
		"min_minutes", (searches+SearchesPerMinute-1)/SearchesPerMinute)
	return shared
}

// discoverShared finds every Dockerfile and compose file of the orgs by
// name, reads them once and keeps, for each repository, the images whose
// search terms its files contain, as code search would have found them.
// Excluded repositories are read too, so that they are reported as
// skipped for the images they use.
func (r *runner) discoverShared(ctx context.Context, targets []Target) (map[string]*candidate, []*ImageReport, []*OrgCoverage, error) {
	res, err := r.c.SearchCode(ctx, gh.CodeQuery{Qualifiers: Qualifiers(r.opts.Kinds), Orgs: r.opts.Orgs})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("searching for Dockerfiles and compose files: %w", err)
	}
	complete, notes := res.Complete, res.Notes
	all := map[string]*candidate{}
	for _, h := range res.Hits {
		if r.kindEnabled(h.Path) {
			r.addHit(all, h)
		}
	}
	var reqs []gh.RepoRequest
	for _, k := range slices.Sorted(maps.Keys(all)) {
		c := all[k]
		reqs = append(reqs, gh.RepoRequest{Owner: c.owner, Name: c.name, Paths: slices.Sorted(maps.Keys(c.paths))})
	}
	var hyd *gh.HydrateResult
	if len(reqs) > 0 {
		if hyd, err = r.c.Hydrate(ctx, reqs, nil, nil, r.opts.BatchSize); err != nil {
			return nil, nil, nil, fmt.Errorf("reading %d repositories: %w", len(reqs), err)
		}
	}

	terms := make([][]string, len(targets))
	byLast := map[string][]int{} // an image's last search term → images
	for i, t := range targets {
		for _, s := range SearchTerms(t.Image) {
			terms[i] = append(terms[i], strings.ToLower(s))
		}
		if n := len(terms[i]); n > 0 {
			byLast[terms[i][n-1]] = append(byLast[terms[i][n-1]], i)
		}
	}
	cands := map[string]*candidate{}
	for key, c := range all {
		repo := hyd.Repos[key]
		if repo == nil || repo.Err != nil {
			complete = false
			why := "it was not read"
			if repo != nil {
				why = repo.Err.Error()
			}
			notes = append(notes, fmt.Sprintf("%s was not matched to the images: %s", c.fullName(), why))
			continue
		}
		for path := range c.paths {
			f := repo.Files[path]
			if f == nil {
				delete(c.paths, path) // gone since it was indexed
				continue
			}
			words := map[string]bool{}
			for _, w := range tokenize(f.Text) {
				words[w] = true
			}
			found := false
			for w := range words {
				for _, i := range byLast[w] {
					if hasAll(words, terms[i]) {
						c.images[i], found = true, true
					}
				}
			}
			if !found {
				delete(c.paths, path)
			}
		}
		if len(c.images) > 0 {
			cands[key] = c
		}
	}
	images := make([]*ImageReport, len(targets))
	for i, t := range targets {
		images[i] = r.imageReport(t)
		images[i].Complete = complete
		images[i].Notes = append(images[i].Notes, notes...)
	}
	covs, byOrg := r.searchCoverage()
	for _, cov := range covs {
		if !complete {
			for _, n := range notes {
				cov.unseen("%s", n)
			}
		}
	}
	for _, c := range cands {
		if cov := byOrg[strings.ToLower(c.owner)]; cov != nil {
			cov.Searched++
		}
	}
	for _, cov := range covs {
		cov.finish()
	}
	r.log.Info("discovered", "images", len(targets), "files", len(res.Hits), "repositories", len(cands), "search_requests", res.Requests, "complete", complete)
	return cands, images, covs, nil
}
