package state

// Repository labels, and the labels of issues and pull requests.

import (
	"maps"
	"slices"
	"strings"
)

// Label is a repository label.
type Label struct {
	ID          int64
	NodeID      string
	Name        string
	Color       string
	Description string
	Default     bool
}

type label struct {
	Label
	repoID int64
}

// Labels returns the repository's labels sorted by name.
func (w *World) Labels(actor *Token, repoID int64) ([]Label, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return nil, err
	}
	out := make([]Label, 0, len(r.labels))
	for _, k := range slices.Sorted(maps.Keys(r.labels)) {
		out = append(out, r.labels[k].Label)
	}
	return out, nil
}

// Label returns the repository's label called name (any case).
func (w *World) Label(actor *Token, repoID int64, name string) (Label, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.readable(actor, repoID)
	if err != nil {
		return Label{}, err
	}
	l := r.labels[strings.ToLower(name)]
	if l == nil {
		return Label{}, errorf(NotFound, "Could not resolve to a Label with the name '%s'.", name)
	}
	return l.Label, nil
}

// CreateLabel creates a label; an existing name is Invalid (already_exists).
// An empty color gets GitHub's default "ededed".
func (w *World) CreateLabel(actor *Token, repoID int64, name, color, description string) (Label, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.writable(actor, repoID)
	if err != nil {
		return Label{}, err
	}
	if strings.TrimSpace(name) == "" {
		return Label{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "Label", Field: "name", Code: "missing_field"}
	}
	if r.labels[strings.ToLower(name)] != nil {
		return Label{}, &Error{Kind: Invalid, Message: "Validation Failed", Resource: "Label", Field: "name", Code: "already_exists"}
	}
	return w.addLabel(r, name, color, description).Label, nil
}

func (w *World) addLabel(r *repo, name, color, description string) *label {
	if color == "" {
		color = "ededed"
	}
	id := w.newID()
	l := &label{Label: Label{ID: id, NodeID: idNode("LA", id), Name: name, Color: strings.TrimPrefix(color, "#"), Description: description}, repoID: r.ID}
	r.labels[strings.ToLower(name)] = l
	w.labelByID[id] = l
	return l
}

// AddLabels adds labels by name to pull request (or issue) number. With
// create, missing labels are created as REST does; without, a missing label
// is NotFound.
func (w *World) AddLabels(actor *Token, repoID int64, number int, names []string, create bool) ([]Label, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, p, err := w.writableItem(actor, repoID, number, true)
	if err != nil {
		return nil, err
	}
	ids, err := w.labelIDs(r, names, create)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !contains(p.labels, id) {
			p.labels = append(p.labels, id)
		}
	}
	p.UpdatedAt = w.clk.Now()
	return w.prSnap(p).Labels, nil
}

// SetLabels replaces the pull request's labels (by name; all must exist).
func (w *World) SetLabels(actor *Token, repoID int64, number int, names []string) ([]Label, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, p, err := w.writableItem(actor, repoID, number, true)
	if err != nil {
		return nil, err
	}
	ids, err := w.labelIDs(r, names, false)
	if err != nil {
		return nil, err
	}
	p.labels = ids
	p.UpdatedAt = w.clk.Now()
	return w.prSnap(p).Labels, nil
}

func (w *World) labelIDs(r *repo, names []string, create bool) ([]int64, error) {
	var ids []int64
	for _, n := range names {
		l := r.labels[strings.ToLower(n)]
		if l == nil {
			if !create {
				return nil, errorf(NotFound, "Could not resolve to a Label with the name '%s'.", n)
			}
			l = w.addLabel(r, n, "", "")
		}
		if !contains(ids, l.ID) {
			ids = append(ids, l.ID)
		}
	}
	return ids, nil
}
