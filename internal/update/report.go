package update

// Action is what happened to one repository for one image.
type Action string

// The actions. In a dry run, WouldCreate and WouldUpdate stand in for
// Created and Updated.
const (
	Created   Action = "created"
	Updated   Action = "updated"
	Unchanged Action = "unchanged"
	Skipped   Action = "skipped"
	Failed    Action = "failed"
	// Deferred: the time budget ran out before the repository's writes;
	// the next run picks it up.
	Deferred    Action = "deferred"
	WouldCreate Action = "would create"
	WouldUpdate Action = "would update"
)

// Changed reports whether a is a created or updated pull request, real or
// planned.
func (a Action) Changed() bool {
	return a == Created || a == Updated || a == WouldCreate || a == WouldUpdate
}

// Result is the outcome for one repository and one image; its JSON form is
// an element of the pull-requests output.
type Result struct {
	Repository string   `json:"repository"`
	Image      string   `json:"image"`
	Number     int      `json:"number,omitempty"`
	URL        string   `json:"url,omitempty"`
	Action     Action   `json:"action"`
	Files      []string `json:"files"`
	From       string   `json:"from"` // the tags replaced, comma-separated
	To         string   `json:"to"`   // the new tag, with @digest when references pinned by digest are re-pinned
	Reason     string   `json:"reason,omitempty"`

	// Warnings are problems a person has to look at (a reference pinned by
	// digest, an invalid reference, no push permission); the action shows
	// them as annotations.
	Warnings []string `json:"-"`
	// Diffs are unified diffs of the planned changes, in path order.
	Diffs []string `json:"-"`
	// Uses are the image's lineages the repository references, each with
	// whether it is current; they feed the adoption figures.
	Uses []Use `json:"-"`
}

// ImageReport holds the results for one image.
type ImageReport struct {
	Image   string
	Tag     string
	Digest  string
	Also    []string // the tags of the image's other lineages, proposed too
	Results []Result // sorted by repository
	// Complete is false when discovery could not see every file (search
	// cap, incomplete results, truncated tree); Notes say why.
	Complete bool
	Notes    []string
	// Error, when set, says why the image was not processed at all (all
	// mode: verify-tag could not find its tag); it fails the run.
	Error string
	// FailedOrgs are the orgs that could not be searched; each counts as a
	// failure of the run (Counts), the other orgs were searched.
	FailedOrgs []string
}

// Adoption returns how many repositories that use the lineage of the tag
// are already on it, and how many use that lineage. A repository that uses
// only another variant, or a floating tag, is not counted.
func (r *ImageReport) Adoption() (current, consumers int) { return r.AdoptionOf(r.Tag) }

// AdoptionOf is Adoption for the lineage of tag, Tag or one of Also.
func (r *ImageReport) AdoptionOf(tag string) (current, consumers int) {
	for _, res := range r.Results {
		for _, u := range res.Uses {
			if u.Tag == tag {
				consumers++
				if u.Current {
					current++
				}
			}
		}
	}
	return current, consumers
}

// Report is the outcome of a run.
type Report struct {
	Mode   string
	DryRun bool
	Images []*ImageReport
	Notes  []string // run-wide notes, e.g. the store update
	// Coverage says, per org, what parent or all mode's discovery saw.
	Coverage []*OrgCoverage
	// Rollout is report mode's report; nil in the other modes, whose
	// Images it replaces.
	Rollout *Rollout
}

// Counts returns the changed (created or updated, or would be), skipped and
// failed totals over every image; an org that could not be searched counts
// as a failure.
func (r *Report) Counts() (changed, skipped, failed int) {
	for _, img := range r.Images {
		failed += len(img.FailedOrgs)
		for _, res := range img.Results {
			switch {
			case res.Action.Changed():
				changed++
			case res.Action == Skipped:
				skipped++
			case res.Action == Failed:
				failed++
			}
		}
	}
	return changed, skipped, failed
}

// Deferred returns how many results were left for a later run because the
// time budget ran out.
func (r *Report) Deferred() int {
	n := 0
	for _, img := range r.Images {
		for _, res := range img.Results {
			if res.Action == Deferred {
				n++
			}
		}
	}
	return n
}

// Errors returns the errors of the images that were not processed.
func (r *Report) Errors() []string {
	var out []string
	for _, img := range r.Images {
		if img.Error != "" {
			out = append(out, img.Error)
		}
	}
	return out
}

// Results returns every result, image by image.
func (r *Report) Results() []Result {
	out := []Result{}
	for _, img := range r.Images {
		out = append(out, img.Results...)
	}
	return out
}
