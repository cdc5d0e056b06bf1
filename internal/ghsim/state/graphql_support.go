package state

import (
	"strconv"
	"strings"
)

// CommitNodeRepoID returns the repository id carried by a commit node id
// made by CommitNodeID, for the GraphQL layer's Commit.repository.
func CommitNodeRepoID(id string) (int64, bool) {
	prefix, payload, ok := parseNodeID(id)
	if !ok || prefix != "C" {
		return 0, false
	}
	rid, _, _ := strings.Cut(payload, ":")
	n, err := strconv.ParseInt(rid, 10, 64)
	return n, err == nil
}
