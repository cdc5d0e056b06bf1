package update

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/dfiu/dfiu/internal/diff"
	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/gh"
)

// writeKind is what a plan needs written.
type writeKind int

const (
	writeNone    writeKind = iota
	writePropose           // commit on the branch and open or update the PR
	writeRetitle           // the branch is right; only the PR's title or body is not
	writeOpenPR            // the branch holds the commit; only the PR is missing
)

// plan is the decision for one repository and one image.
type plan struct {
	ti     int // index of the target and its ImageReport
	target Target
	cand   *candidate
	req    gh.RepoRequest
	repo   *gh.Repo
	result Result

	write writeKind
	in    gh.ProposeInput // writePropose
	prID  string          // writeRetitle

	draftRefused bool  // the pull request was opened as a normal one: the repository has no drafts
	ruleRefusal  error // a repository rule refused a write (wraps gh.ErrRefusedByRule)
	// settled: the files leave nothing to do for this image (no reference,
	// or every reference at settledTo), read without a problem; the scan
	// index records it.
	settled   bool
	settledTo string
}

// planAll plans every (image, repository) pair in a stable order
// (repository, then image) and applies max-prs in that order.
func (r *runner) planAll(targets []Target, images []*ImageReport, cands map[string]*candidate, hyd *gh.HydrateResult) []*plan {
	var plans []*plan
	for _, key := range slices.Sorted(maps.Keys(cands)) {
		c := cands[key]
		var tis []int
		for ti := range c.images {
			tis = append(tis, ti)
		}
		sort.Ints(tis)
		for _, ti := range tis {
			p := &plan{ti: ti, target: targets[ti], cand: c}
			if c.excluded != "" {
				p.result = Result{Repository: c.fullName(), Image: targets[ti].Image.String(), Action: Skipped, Reason: c.excluded,
					To: toOf(targets[ti]), Files: []string{}}
			} else {
				p.req = r.request(c, targets)
				r.plan(p, hyd.Repos[key], viewerOf(hyd))
			}
			plans = append(plans, p)
		}
	}
	writes := 0
	for _, p := range plans {
		if p.write == writeNone {
			continue
		}
		if r.opts.MaxPRs > 0 && writes >= r.opts.MaxPRs {
			p.write = writeNone
			p.result.Action = Skipped
			p.result.Reason = joinReasons("max-prs reached", p.result.Reason)
			continue
		}
		writes++
	}
	for _, p := range plans {
		r.log.Debug("planned", "repository", p.result.Repository, "image", p.result.Image, "action", p.result.Action, "write", p.write)
	}
	return plans
}

// plan decides what to do in one repository for one image, filling
// p.result, p.write and the write's input. It is called again with fresh
// state after a stale branch.
func (r *runner) plan(p *plan, repo *gh.Repo, v viewer) {
	t, c := p.target, p.cand
	p.repo = repo
	p.write = writeNone
	p.settled, p.settledTo = false, ""
	p.result = Result{Repository: c.fullName(), Image: t.Image.String(), To: toOf(t), Files: []string{}}
	res := &p.result
	if repo == nil {
		res.Action, res.Reason = Failed, "the repository was not read"
		return
	}
	res.Repository = repo.Owner + "/" + repo.Name
	switch {
	case repo.Err != nil && errors.Is(repo.Err, gh.ErrNotFound):
		res.Action, res.Reason = Failed, "repository not found, or not visible to the token"
		return
	case repo.Err != nil:
		res.Action, res.Reason = Failed, repo.Err.Error()
		return
	case repo.Empty:
		res.Action, res.Reason = Skipped, "empty repository"
		return
	}

	es := r.engines[p.ti]
	a := r.analyse(es, c, repo)
	res.From = strings.Join(a.from, ", ")
	if len(a.oldDigests) > 0 {
		res.To = t.to(append([]string{t.Tag}, t.Also...), true) // references pinned by digest are re-pinned
	}
	if a.rebuilt {
		res.From = t.Tag + "@" + strings.Join(a.oldDigests, ", ")
	}
	res.Warnings = a.warnings
	res.Files = a.files
	if len(res.Files) == 0 {
		res.Files = a.referencing
	}
	if len(a.referencing) == 0 {
		p.settled = len(a.problems) == 0 && len(c.tooLarge) == 0
		res.Action = Skipped
		res.Reason = joinReasons(fmt.Sprintf("no file references %s", t.Image), strings.Join(a.problems, "; "), strings.Join(c.tooLargeNotes(), "; "))
		if len(c.tooLarge) > 0 {
			res.Reason = joinReasons(fmt.Sprintf("no file that could be read references %s", t.Image), strings.Join(a.problems, "; "), strings.Join(c.tooLargeNotes(), "; "))
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %s", res.Repository, strings.Join(c.tooLargeNotes(), "; ")))
		}
		return
	}
	switch {
	case repo.Archived:
		res.Action, res.Reason = Skipped, "archived"
		return
	case repo.Disabled:
		res.Action, res.Reason = Skipped, "disabled"
		return
	case repo.Fork && !r.opts.IncludeForks:
		res.Action, res.Reason = Skipped, "fork (include-forks is false)"
		return
	}
	res.Uses = usesOf(es, a.uses)
	if len(a.changes) == 0 {
		if a.allCurrent {
			p.settled, p.settledTo = len(a.problems) == 0 && len(c.tooLarge) == 0, settledRef(t)
			res.Action = Unchanged
			res.Reason = strings.Join(a.problems, "; ")
			return
		}
		res.Action = Skipped
		res.Reason = joinReasons(strings.Join(a.skips, "; "), strings.Join(a.problems, "; "))
		return
	}
	res.Reason = joinReasons(strings.Join(a.skips, "; "), strings.Join(a.problems, "; "))
	switch repo.ViewerPermission {
	case "ADMIN", "MAINTAIN", "WRITE", "":
	default:
		// The repository needs the change and the token cannot make it:
		// a failure, so that a read-only token does not exit 0 with work
		// left undone. A dry run writes nothing and goes on to show the
		// change.
		why := fmt.Sprintf("no push permission (%s): github-token may only read this repository; give it write access, or leave the repository out with exclude-repos", repo.ViewerPermission)
		if !r.opts.DryRun {
			res.Action = Failed
			res.Reason = joinReasons(why, res.Reason)
			return
		}
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %s", res.Repository, why))
	}
	for _, path := range a.files {
		res.Diffs = append(res.Diffs, diff.Unified(path, []byte(repo.Files[path].Text), a.changes[path]))
	}

	branch := r.branch(t)
	data := templateData(t, movedTo(es, a.moved))
	data.From, data.Rebuilt, data.OldDigests = a.from, a.rebuilt, a.oldDigests
	data.Repository, data.Files, data.Branch = res.Repository, a.files, branch
	res.To = t.to(data.Tags, len(a.oldDigests) > 0)
	title, body, msg, err := r.opts.Templates.Render(data)
	if err != nil {
		res.Action, res.Reason = Failed, err.Error()
		return
	}
	in := gh.ProposeInput{
		RepoID: repo.ID, Owner: repo.Owner, Name: repo.Name,
		BaseBranch: repo.DefaultBranch, BaseOID: repo.HeadOID, Branch: branch,
		Files: a.changes, Message: msg, Title: title, Body: body, Draft: r.opts.Draft,
	}
	br := repo.Branches[branch]
	if br == nil {
		p.write, p.in = writePropose, in
		res.Action = Created
		return
	}
	if br.PR != nil {
		res.Number, res.URL = br.PR.Number, br.PR.URL
	}
	// Our branch: it has no commit of its own (its head is the default
	// branch's or an ancestor of it, as a failed commit after createRef
	// leaves it), or its head is ours.
	ours := br.HeadOID == repo.HeadOID || br.InBase || br.AuthoredBy(v.login, v.id)
	if !ours {
		who := br.HeadAuthor
		if who == "" {
			who = br.HeadAuthorName
		}
		if who == "" {
			who = "someone who is not the token's user"
		}
		res.Action = Skipped
		res.Reason = joinReasons(fmt.Sprintf("branch %s has a commit by %s; not forcing over it", branch, who), res.Reason)
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %s", res.Repository, res.Reason))
		return
	}
	if br.PR != nil && holds(br, repo, c, a.changes) {
		if br.PR.Title == title && br.PR.Body == body {
			res.Action = Unchanged
			res.Reason = joinReasons("pull request is up to date", res.Reason)
			return
		}
		p.write, p.prID = writeRetitle, br.PR.ID
		p.in = in
		res.Action = Updated
		return
	}
	if br.PR == nil && br.ClosedPR != nil && br.ClosedPR.HeadOID == br.HeadOID && holdsChanges(br, a.changes) {
		// A person closed our proposal and we have nothing new to propose:
		// opening it again on every run would be nagging.
		res.Number, res.URL = br.ClosedPR.Number, br.ClosedPR.URL
		res.Action = Skipped
		res.Reason = joinReasons(fmt.Sprintf("pull request #%d was closed without merging; not reopening", br.ClosedPR.Number), res.Reason)
		return
	}
	in.BranchRefID, in.BranchHeadOID = br.RefID, br.HeadOID
	if br.PR == nil && br.ClosedPR == nil && br.HeadOID != repo.HeadOID && holds(br, repo, c, a.changes) {
		// Our commit is on the branch but its pull request was never
		// opened (the step was refused, say): open it, nothing more. (With
		// a closed pull request the commit is made again, as before.)
		p.write, p.in = writeOpenPR, in
		res.Action = Created
		return
	}
	in.ExistingPR = br.PR
	p.write, p.in = writePropose, in
	res.Action = Created
	if br.PR != nil {
		res.Action = Updated
	}
}

// viewer is the account the token belongs to: a user, or a GitHub App's
// bot ("slug[bot]").
type viewer struct {
	login string
	id    int64 // databaseId
}

func viewerOf(hyd *gh.HydrateResult) viewer { return viewer{login: hyd.Viewer, id: hyd.ViewerID} }

// holds reports whether branch br already has the wanted content: the
// changed files as planned and every other candidate file as on the
// default branch.
func holds(br *gh.Branch, repo *gh.Repo, c *candidate, changes map[string][]byte) bool {
	for path := range c.paths {
		got := br.Files[path]
		want, changed := changes[path]
		if !changed {
			base := repo.Files[path]
			if (got == nil) != (base == nil) || (got != nil && got.Text != base.Text) {
				return false
			}
			continue
		}
		if got == nil || got.Text != string(want) {
			return false
		}
	}
	return true
}

// holdsChanges reports whether branch br already holds every planned
// change: the change that would be proposed is the one it has.
func holdsChanges(br *gh.Branch, changes map[string][]byte) bool {
	for path, want := range changes {
		if got := br.Files[path]; got == nil || got.Text != string(want) {
			return false
		}
	}
	return true
}

// analysis is the engine's verdict on one repository's files for one image.
type analysis struct {
	changes     map[string][]byte // path → new content
	files       []string          // changed paths, sorted
	referencing []string          // paths that reference the image, sorted
	from        []string          // distinct tags replaced, sorted
	oldDigests  []string          // distinct digests replaced, sorted
	rebuilt     bool              // a same-tag rebuild: digests re-pinned, no tag moved
	allCurrent  bool              // every reference is at the tag
	skips       []string          // "path:line: reason" for skipped references
	problems    []string          // files that could not be read or parsed
	warnings    []string          // what a person must look at
	uses        map[string]bool   // new tag → every reference of its lineage is at it
	moved       map[string]bool   // the new tags references are moved to
}

func (r *runner) analyse(es []engine, c *candidate, repo *gh.Repo) analysis {
	a := analysis{changes: map[string][]byte{}, allCurrent: true}
	from, oldDigests := map[string]bool{}, map[string]bool{}
	full := repo.Owner + "/" + repo.Name
	for _, path := range slices.Sorted(maps.Keys(c.paths)) {
		f := repo.Files[path]
		if f == nil {
			continue // gone since it was indexed
		}
		if f.Binary || f.Truncated {
			a.problems = append(a.problems, fmt.Sprintf("%s: not read (binary or too large)", path))
			continue
		}
		if !f.Truncated && f.Size > 0 && len(f.Text) != f.Size {
			// GraphQL gives text as UTF-8: a file in another encoding
			// comes back changed (invalid bytes replaced), and committing
			// it back would re-encode every such byte.
			a.problems = append(a.problems, fmt.Sprintf("%s: left alone: not UTF-8 (its text is %d bytes, the file %d)", path, len(f.Text), f.Size))
			continue
		}
		if f.Mode != 0 && f.Mode != 0o100644 {
			// createCommitOnBranch writes every file as 100644
			// (babarot/gh-infra#167): an executable would lose its bit, a
			// symbolic link would become a file.
			a.problems = append(a.problems, fmt.Sprintf("%s: left alone: its mode is %o and a commit through the API would make it a regular file (100644)", path, f.Mode))
			continue
		}
		res, owner, err := rewriteLineages(es, dockerfile.KindOf(path), []byte(f.Text))
		if err != nil {
			a.problems = append(a.problems, fmt.Sprintf("%s: %v", path, err))
			switch {
			case errors.Is(err, dockerfile.ErrMalformed):
				a.warnings = append(a.warnings, fmt.Sprintf("%s: %s is malformed and was left alone: %v", full, path, err))
			case errors.Is(err, dockerfile.ErrInternal):
				a.warnings = append(a.warnings, fmt.Sprintf("%s: %s was left alone after an internal error of dfiu (please report it): %v", full, path, err))
			}
			continue
		}
		if len(res.Refs) > 0 {
			a.referencing = append(a.referencing, path)
		}
		a.use(es, res.Refs, owner)
		for _, ref := range res.Refs {
			switch ref.Status {
			case dockerfile.StatusCurrent:
			case dockerfile.StatusChanged:
				a.allCurrent = false
				if ref.Rebuilt {
					a.rebuilt = true
				} else if ref.OldTag != "" {
					from[ref.OldTag] = true
				}
				if _, d, ok := strings.Cut(ref.Old, "@"); ok {
					oldDigests[d] = true
				}
			default:
				a.allCurrent = false
				a.skips = append(a.skips, fmt.Sprintf("%s:%d: %s", path, ref.Line, ref.Reason))
				if ref.Attention {
					a.warnings = append(a.warnings, fmt.Sprintf("%s: %s:%d: %s left alone: %s", full, path, ref.Line, ref.Old, ref.Reason))
				}
			}
		}
		if res.Changed {
			a.changes[path] = res.Content
			a.files = append(a.files, path)
		}
	}
	a.from = slices.Sorted(maps.Keys(from))
	a.oldDigests = slices.Sorted(maps.Keys(oldDigests))
	// A change that also moves a tag is a bump, whatever else it re-pins.
	a.rebuilt = a.rebuilt && len(a.from) == 0
	return a
}

// toOf returns the new tags of every lineage of t, comma-separated.
func toOf(t Target) string { return t.to(append([]string{t.Tag}, t.Also...), false) }

// to returns tags comma-separated, with the digest after t's own tag when
// pinned (references pinned by digest are re-pinned).
func (t Target) to(tags []string, pinned bool) string {
	out := make([]string, len(tags))
	for i, tag := range tags {
		out[i] = tag
		if pinned && tag == t.Tag && t.Digest != "" {
			out[i] += "@" + t.Digest
		}
	}
	return strings.Join(out, ", ")
}

func joinReasons(rs ...string) string {
	var out []string
	for _, r := range rs {
		if r != "" {
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}
