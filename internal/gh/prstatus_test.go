package gh

import (
	"encoding/json"
	"testing"
)

// TestDecodePRStatus reads the head commit's rollup state as GitHub
// answers it, and "" for a null rollup.
func TestDecodePRStatus(t *testing.T) {
	ans := &graphQLAnswer{Data: map[string]json.RawMessage{"r0": json.RawMessage(`{
		"id": "R1", "nameWithOwner": "acme/app", "defaultBranchRef": {"name": "main", "target": {"oid": "a"}},
		"b0": {"id": "REF", "target": {"oid": "b"}},
		"b0p": {"nodes": [{"id": "PR1", "number": 7, "baseRefName": "main", "headRefOid": "b", "headRepository": {"nameWithOwner": "acme/app"},
			"createdAt": "2026-11-30T10:00:00Z", "mergeable": "CONFLICTING",
			"commits": {"nodes": [{"commit": {"statusCheckRollup": {"state": "FAILURE"}}}]}}]},
		"b1": {"id": "REF2", "target": {"oid": "c"}},
		"b1p": {"nodes": [{"id": "PR2", "number": 8, "baseRefName": "main", "headRefOid": "c", "headRepository": {"nameWithOwner": "acme/app"},
			"createdAt": "2026-11-30T10:00:00Z", "mergeable": "UNKNOWN",
			"commits": {"nodes": [{"commit": {"statusCheckRollup": null}}]}}]}
	}`)}}
	repo := decodeRepo(ans, "r0", RepoRequest{Owner: "acme", Name: "app", Branches: []string{"x", "y"}, PRStatus: true})
	if repo.Err != nil {
		t.Fatal(repo.Err)
	}
	pr := repo.Branches["x"].PR
	if pr.CIState != "FAILURE" || pr.Mergeable != "CONFLICTING" || pr.CreatedAt.Format("2006-01-02") != "2026-11-30" {
		t.Errorf("x: %+v", pr)
	}
	if pr := repo.Branches["y"].PR; pr.CIState != "" || pr.Mergeable != "UNKNOWN" {
		t.Errorf("y: %+v", pr)
	}
}
