package update

import "testing"

// TestCountsAnUnsearchableOrgAsAFailure: an org that could not be searched
// fails the run (the exit status follows Counts), beside the results of
// the orgs that were searched.
func TestCountsAnUnsearchableOrgAsAFailure(t *testing.T) {
	t.Parallel()
	rep := &Report{Images: []*ImageReport{{Image: "acme/base", FailedOrgs: []string{"secret"},
		Results: []Result{{Repository: "acme/app", Action: Created}}}}}
	if changed, _, failed := rep.Counts(); changed != 1 || failed != 1 {
		t.Errorf("Counts = %d changed, %d failed; want 1 and 1", changed, failed)
	}
}
