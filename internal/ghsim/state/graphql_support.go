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

// CommitsBetween returns the commits reachable from head but not from base,
// oldest first (parents before children), as a pull request lists them.
// The actor must be able to read the repository; git objects are shared by
// all repositories, so head may come from a fork.
func (w *World) CommitsBetween(actor *Token, repoID int64, base, head string) ([]Commit, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.readable(actor, repoID); err != nil {
		return nil, err
	}
	inBase := map[string]bool{}
	stack := []string{base}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		o := w.objects[c]
		if inBase[c] || o == nil || o.typ != TypeCommit {
			continue
		}
		inBase[c] = true
		stack = append(stack, o.commit.Parents...)
	}
	var out []Commit
	seen := map[string]bool{}
	var visit func(oid string)
	visit = func(oid string) {
		o := w.objects[oid]
		if seen[oid] || inBase[oid] || o == nil || o.typ != TypeCommit {
			return
		}
		seen[oid] = true
		for _, p := range o.commit.Parents {
			visit(p)
		}
		out = append(out, *o.commit)
	}
	visit(head)
	return out, nil
}
