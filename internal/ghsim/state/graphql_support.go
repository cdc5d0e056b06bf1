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

// RefUpdate is one change of GraphQL's updateRefs: Name is fully
// qualified; an AfterOID of all zeros deletes the ref; a BeforeOID, when
// set, must be the current value (all zeros: the ref must not exist).
type RefUpdate struct {
	Name      string
	AfterOID  string
	BeforeOID string
	Force     bool
}

// zeroOID is git's "no object" id.
const zeroOID = "0000000000000000000000000000000000000000"

// UpdateRefs applies updates atomically: every update is checked against
// the current refs first, and none is applied unless all pass. Without
// Force a move must be a fast forward.
func (w *World) UpdateRefs(actor *Token, repoID int64, updates []RefUpdate) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.writable(actor, repoID)
	if err != nil {
		return err
	}
	for _, u := range updates {
		if !validRefName(u.Name) {
			return errorf(Invalid, "Reference name '%s' is not valid", u.Name)
		}
		cur, exists := r.refs[u.Name]
		switch {
		case u.BeforeOID == zeroOID && exists:
			return errorf(Invalid, "Reference '%s' already exists", u.Name)
		case u.BeforeOID != "" && u.BeforeOID != zeroOID && u.BeforeOID != cur:
			return errorf(Stale, "Expected '%s' to point to '%s' but it points to '%s'", u.Name, u.BeforeOID, cur)
		}
		if u.AfterOID == zeroOID {
			if !exists {
				return errorf(Invalid, "Reference '%s' does not exist", u.Name)
			}
			continue
		}
		if o := w.objects[u.AfterOID]; o == nil || o.typ != TypeCommit {
			return errorf(Invalid, "Object '%s' does not exist", u.AfterOID)
		}
		if exists && !u.Force && !w.isAncestor(cur, u.AfterOID) {
			return errorf(Invalid, "Update of '%s' is not a fast forward", u.Name)
		}
	}
	for _, u := range updates {
		if cur, exists := r.refs[u.Name]; exists {
			if err := w.ruleRefusal(r, u.Name, cur, u.AfterOID); err != nil {
				return err
			}
		}
	}
	for _, u := range updates {
		if u.AfterOID == zeroOID {
			w.deleteRef(r, u.Name)
			continue
		}
		w.setRef(r, u.Name, u.AfterOID)
	}
	return nil
}
