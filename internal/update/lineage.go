package update

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/imageref"
)

// An image has lineages (package dockerfile: node 22, 22-alpine, v1.4.0),
// and the store keeps the newest tag of each. A proposal for an image
// moves every lineage the store holds: the rewrite engine of each tag runs
// over the output of the one before, and as the tag policy lets each move
// only references of its own lineage, a reference changes at most once and
// the result is as byte-exact as each step.

// sameLineage reports whether two tags are of one lineage.
func sameLineage(a, b string) bool { return dockerfile.LineageOf(a) == dockerfile.LineageOf(b) }

// storedTags returns the tags the store holds for image, under any
// spelling of its name.
func storedTags(stored map[string][]string, image imageref.Name) []string {
	var out []string
	for _, key := range slices.Sorted(maps.Keys(stored)) {
		if key == image.String() {
			out = append(out, stored[key]...)
		} else if n, err := imageref.Parse(key); err == nil && n.Same(image) {
			out = append(out, stored[key]...)
		}
	}
	return out
}

// withLineages returns t with Also set to the stored tags of the image's
// other lineages (floating tags and entries that are not valid tags
// aside; all mode reports the latter). With a tag filter it is t alone:
// the filter picks the references that move to t's tag whatever their
// lineage, and another lineage's tag would take them first; a note says so.
func (r *runner) withLineages(t Target, stored map[string][]string, rep *Report) Target {
	var also []string
	for _, tag := range storedTags(stored, t.Image) {
		if !imageref.ValidTag(tag) || sameLineage(tag, t.Tag) || dockerfile.LineageOf(tag).Floating ||
			slices.ContainsFunc(also, func(a string) bool { return sameLineage(a, tag) }) {
			continue
		}
		also = append(also, tag)
	}
	if len(also) > 0 && r.opts.TagFilter != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("tag-filter is set: only %s:%s is proposed, not the store's other lineages (%s)",
			t.Image, t.Tag, strings.Join(also, ", ")))
		return t
	}
	t.Also = also
	return t
}

// newerInLineage returns the stored tag of t's lineage when it is a higher
// version than t's tag, or "".
func newerInLineage(stored map[string][]string, t Target) string {
	for _, tag := range storedTags(stored, t.Image) {
		if c, ok := dockerfile.CompareTags(tag, t.Tag); ok && c > 0 {
			return tag
		}
	}
	return ""
}

// compile compiles the rewrite engine of each target's tags: its own tag
// first, with the digest and (in child mode) downgrades allowed, then the
// tag of each other lineage. An error (a tag from the store that is not
// valid, say) is reported for each file. Only the targets some candidate
// uses are compiled, so that a large store's other images cost nothing;
// nil cands compiles them all.
func (r *runner) compile(targets []Target, cands map[string]*candidate) {
	r.engines = make([][]engine, len(targets))
	used := map[int]bool{}
	for _, c := range cands {
		maps.Copy(used, c.images)
	}
	for i, t := range targets {
		if cands != nil && !used[i] {
			continue
		}
		for j, tag := range append([]string{t.Tag}, t.Also...) {
			o := dockerfile.Options{
				Image: t.Image.String(), Tag: tag, AllowDowngrade: r.opts.AllowDowngrade,
				FloatingTags: r.opts.FloatingTags, TagFilter: r.opts.TagFilter, IgnoreComment: r.opts.IgnoreComment,
			}
			if j == 0 {
				o.Digest = t.Digest
				o.AllowDowngrade = o.AllowDowngrade || r.opts.Mode == ModeChild
			}
			rw, err := o.Compile()
			r.engines[i] = append(r.engines[i], engine{rw: rw, err: err, tag: tag})
		}
	}
}

// rewriteLineages rewrites content with each engine in turn, each over
// the previous one's output. A reference takes the verdict of the engine
// that changed it, else of the engine of its own lineage, else the first
// engine's; owner[j] is the index of the engine that changed reference j
// or whose lineage it is in, -1 for none (another lineage, a floating
// tag).
func rewriteLineages(es []engine, kind dockerfile.Kind, content []byte) (res dockerfile.Result, owner []int, err error) {
	for k, e := range es {
		if e.err != nil {
			return dockerfile.Result{}, nil, e.err
		}
		step, err := e.rw.Rewrite(kind, content)
		if err != nil {
			return dockerfile.Result{}, nil, err
		}
		content = step.Content
		res.Changed = res.Changed || step.Changed
		if k == 0 {
			res.Refs = step.Refs
			owner = make([]int, len(step.Refs))
			for j, ref := range step.Refs {
				owner[j] = -1
				if ref.Status == dockerfile.StatusChanged || sameLineage(ref.OldTag, e.tag) {
					owner[j] = 0
				}
			}
			continue
		}
		if len(step.Refs) != len(res.Refs) {
			return dockerfile.Result{}, nil, fmt.Errorf("%w: the rewrites to %s and to %s found %d and %d references",
				dockerfile.ErrInternal, es[0].tag, e.tag, len(res.Refs), len(step.Refs))
		}
		for j, ref := range step.Refs {
			if ref.Status == dockerfile.StatusChanged || (owner[j] < 0 && sameLineage(ref.OldTag, e.tag)) {
				res.Refs[j], owner[j] = ref, k
			}
		}
	}
	res.Content = content
	return res, owner, nil
}

// Use is what a repository's references say of one lineage of an image:
// whether any reference is of it, and whether all of those are at its
// tag. They feed the adoption figures.
type Use struct {
	Tag     string // the lineage's new tag
	Current bool
}

// use adds the references of one file to the lineages' uses and to the
// tags moved to.
func (a *analysis) use(es []engine, refs []dockerfile.Ref, owner []int) {
	if a.uses == nil {
		a.uses, a.moved = map[string]bool{}, map[string]bool{}
	}
	for j, ref := range refs {
		if owner[j] < 0 {
			continue
		}
		tag := es[owner[j]].tag
		current, seen := a.uses[tag]
		a.uses[tag] = (current || !seen) && ref.Status == dockerfile.StatusCurrent
		if ref.Status == dockerfile.StatusChanged {
			a.moved[tag] = true
		}
	}
}

// usesOf lists the lineages a repository uses, in the engines' order.
func usesOf(es []engine, uses map[string]bool) []Use {
	var out []Use
	for _, e := range es {
		if current, ok := uses[e.tag]; ok {
			out = append(out, Use{Tag: e.tag, Current: current})
		}
	}
	return out
}

// movedTo lists the tags a proposal moves references to, in the engines'
// order.
func movedTo(es []engine, moved map[string]bool) []string {
	var out []string
	for _, e := range es {
		if moved[e.tag] {
			out = append(out, e.tag)
		}
	}
	return out
}
