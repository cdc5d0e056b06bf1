package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/dfiu/dfiu/internal/imageref"
)

// Rewrite bumps every reference to opts.Image in content to opts.Tag (and
// opts.Digest for digest-pinned references), changing only the bytes of the
// references or of the global ARG defaults they come from. It validates opts
// first; a caller rewriting many files compiles them once instead. It never
// panics; a file it cannot read returns an error wrapping ErrMalformed,
// ErrNotText or ErrTooLarge, and the caller leaves it alone.
func Rewrite(kind Kind, content []byte, opts Options) (Result, error) {
	rw, err := opts.Compile()
	if err != nil {
		return Result{}, err
	}
	return rw.Rewrite(kind, content)
}

// Rewrite is the package's Rewrite with the compiled options.
func (rw *Rewriter) Rewrite(kind Kind, content []byte) (res Result, err error) {
	defer recoverInternal(&err)
	sc, err := scanFile(kind, content, rw.t.marker)
	if err != nil {
		return Result{}, err
	}
	t := rw.t
	return t.rewrite(sc), nil
}

// recoverInternal turns a panic into an error wrapping ErrInternal: a bug
// of ours, not a file the user must fix.
func recoverInternal(err *error) {
	if r := recover(); r != nil {
		*err = &fileError{kind: ErrInternal, detail: fmt.Sprint(r)}
	}
}

// Images returns every distinct image repository content references, as
// written (no tag or digest), in file order. Spellings of one repository
// ("ubuntu", "docker.io/library/ubuntu") count once, as first written.
// Stage names, scratch and references it cannot resolve are left out.
func Images(kind Kind, content []byte) (images []string, err error) {
	defer recoverInternal(&err)
	sc, err := scanFile(kind, content, DefaultIgnoreComment)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, c := range sc.cands {
		if len(c.unset) > 0 || c.text == "scratch" {
			continue
		}
		n, err := imageref.ParseReference(c.text)
		if err != nil || seen[n.Canonical()] {
			continue
		}
		seen[n.Canonical()] = true
		images = append(images, c.text[:splitRef(c.text).nameEnd])
	}
	return images, nil
}

func (o Options) marker() string {
	if o.IgnoreComment == "" {
		return DefaultIgnoreComment
	}
	return trimMarker(o.IgnoreComment)
}

// checkText rejects files that are too large, binary or not UTF-8.
func checkText(content []byte) error {
	if len(content) > MaxSize {
		return &fileError{kind: ErrTooLarge, detail: fmt.Sprintf("%d bytes", len(content))}
	}
	if i := bytes.IndexByte(content, 0); i >= 0 {
		return &fileError{kind: ErrNotText, detail: fmt.Sprintf("NUL byte at offset %d", i)}
	}
	if !utf8.Valid(bytes.TrimPrefix(content, bom)) {
		return &fileError{kind: ErrNotText, detail: "invalid UTF-8"}
	}
	return nil
}

func scanFile(kind Kind, content []byte, marker string) (*scan, error) {
	if err := checkText(content); err != nil {
		return nil, err
	}
	switch kind {
	case KindDockerfile:
		return scanDockerfile(content, marker)
	case KindCompose:
		return scanCompose(content, marker)
	}
	return nil, fmt.Errorf("kind %d: %w", int(kind), errUnknownKind)
}

var errUnknownKind = errors.New("not a Dockerfile or compose file kind")

// target is the compiled Options.
type target struct {
	name   string // normalised repository name
	last   string // its last path component
	tag    string
	digest string
	marker string
	policy policy
}

// edit replaces the file's bytes [start, end) with repl.
type edit struct {
	start, end int
	repl       string
	region     int16 // where the bytes are
}

func (e edit) overlaps(o edit) bool {
	if e == o {
		return false
	}
	if e.start == e.end || o.start == o.end {
		// An insertion conflicts with any other edit at or around its point.
		return e.start <= o.end && o.start <= e.end
	}
	return e.start < o.end && o.start < e.end
}

// matches reports whether a reference's text names the target repository,
// and whether it is a reference at all. An invalid reference whose name
// plausibly is the target is reported with the parse error.
func (t *target) matches(text string) (bool, error) {
	name := text[:splitRef(text).nameEnd]
	if !strings.EqualFold(name[strings.LastIndexByte(name, '/')+1:], t.last) {
		// Normalising never changes the last path component (but its case,
		// for the plausibility check below): this cannot match.
		return false, nil
	}
	n, err := imageref.ParseReference(text)
	if err == nil {
		return n.Canonical() == t.name, nil
	}
	if p, perr := imageref.ParseReference(strings.ToLower(name)); perr == nil && p.Canonical() == t.name {
		return true, err
	}
	return false, err
}

func (t *target) rewrite(sc *scan) Result {
	type outcome struct {
		ref Ref
		es  []edit // one edit, or one for the tag and one for the digest
		ok  bool
	}
	outs := make([]outcome, len(sc.cands))
	for i := range sc.cands {
		outs[i].ref, outs[i].es, outs[i].ok = t.evaluate(sc, &sc.cands[i])
	}
	isArg := func(e edit) bool { return e.region >= 0 && sc.regions[e.region].instr == "ARG" }
	// A change to a global ARG's value changes every FROM that uses it: it
	// is made only when each of them (unless opted out) makes the same
	// change. A reference dropped here may share another ARG with one
	// checked before (its tag in one ARG, its digest in another): repeat
	// until nothing more is dropped.
	for dropped := true; dropped; {
		dropped = false
		for i, o := range outs {
		edits:
			for _, e := range o.es {
				if !isArg(e) {
					continue
				}
				r := sc.regions[e.region]
				for _, u := range r.users {
					if u == i || sc.cands[u].optOut || slices.Contains(outs[u].es, e) {
						continue
					}
					c := sc.cands[u]
					outs[i].ref.Status, outs[i].ref.New, outs[i].ref.Rebuilt = StatusSkipped, outs[i].ref.Old, false
					outs[i].ref.Reason, outs[i].ref.Skip = fmt.Sprintf("ARG %s also sets %s on line %d", r.name, c.text, c.line), SkipUnresolved
					outs[i].es = nil
					dropped = true
					break edits
				}
			}
		}
	}
	// An opted-out FROM whose image comes from an ARG that another FROM
	// changes changes with it: its report says so rather than just "opted
	// out".
	for _, o := range outs {
		for _, e := range o.es {
			if !isArg(e) {
				continue
			}
			r := sc.regions[e.region]
			for _, u := range r.users {
				if sc.cands[u].optOut && outs[u].ok && outs[u].es == nil {
					outs[u].ref.Reason = fmt.Sprintf("opted out by # %s, but it takes its image from ARG %s, which changes for a FROM that is not opted out", t.marker, r.name)
				}
			}
		}
	}
	var refs []Ref
	var edits []edit
	seen := map[Ref]bool{}
	for _, o := range outs {
		ref, es := o.ref, o.es
		if !o.ok {
			continue
		}
	conflicts:
		for _, e := range es {
			for _, o := range edits {
				if o.overlaps(e) {
					ref.Status, ref.New, ref.Reason, ref.Rebuilt = StatusSkipped, ref.Old, "conflicts with another change to the same bytes", false
					ref.Skip = SkipUnresolved
					es = nil
					break conflicts
				}
			}
		}
		for _, e := range es {
			if !slices.Contains(edits, e) {
				edits = append(edits, e)
			}
		}
		if !seen[ref] {
			seen[ref] = true
			refs = append(refs, ref)
		}
	}
	res := Result{Content: sc.src.data, Refs: refs}
	if len(edits) == 0 {
		return res
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	size := len(sc.src.data)
	for _, e := range edits {
		size += len(e.repl) - (e.end - e.start)
	}
	out := make([]byte, 0, size)
	last := 0
	for _, e := range edits {
		out = append(out, sc.src.data[last:e.start]...)
		out = append(out, e.repl...)
		last = e.end
	}
	out = append(out, sc.src.data[last:]...)
	res.Content = out
	res.Changed = !bytes.Equal(out, sc.src.data)
	return res
}

// evaluate decides what happens to one candidate. ok is false when it does
// not reference the target image.
func (t *target) evaluate(sc *scan, c *candidate) (ref Ref, es []edit, ok bool) {
	text := c.text
	p := splitRef(text)
	ref = Ref{Line: c.line, Instruction: c.instr, Old: text, New: text, OldTag: p.tag(text), Status: StatusSkipped}
	if r, line, ok := argPlace(sc, c.chars, p); ok && !c.optOut {
		// The tag (or the whole reference) is one ARG's value: report it
		// there, as a change to it is reported.
		ref.Instruction, ref.Line = r.instr, line
	}
	if len(c.unset) > 0 {
		if m, _ := t.matches(text); !m {
			return Ref{}, nil, false
		}
		word := "ARG"
		if sc.kind == KindCompose {
			word = "variable"
		}
		ref.Reason, ref.Skip = fmt.Sprintf("%s %s has no default value", word, strings.Join(c.unset, ", ")), SkipUnresolved
		return ref, nil, true
	}
	m, err := t.matches(text)
	if !m {
		return Ref{}, nil, false
	}
	switch {
	case c.reason != "":
		ref.Reason, ref.Skip = c.reason, SkipUnresolved
		return ref, nil, true
	case err != nil:
		ref.Reason, ref.Attention, ref.Skip = fmt.Sprintf("invalid reference: %v", err), true, SkipInvalid
		return ref, nil, true
	case c.optOut:
		ref.Reason, ref.Skip = "opted out by # "+t.marker, SkipOptOut
		return ref, nil, true
	}
	if c.nameFromVarSkips && !wholeDefault(c.chars) {
		for _, ch := range c.chars[:p.nameEnd] {
			if ch.viaVar {
				ref.Reason, ref.Skip = "the image name comes from a variable", SkipUnresolved
				return ref, nil, true
			}
		}
	}
	dig := p.digest(text)
	// A reference pinned by digest alone names no tag but is not floating:
	// rule 6 re-pins it when a digest is given (or flags it when none is).
	if skip, reason := t.policy.check(ref.OldTag); reason != "" && (ref.OldTag != "" || dig == "") {
		ref.Reason, ref.Skip = reason, skip
		return ref, nil, true
	}
	if dig != "" && t.digest == "" {
		ref.Reason, ref.Attention, ref.Skip = "pinned by digest", true, SkipDigest
		return ref, nil, true
	}
	newText := text[:p.nameEnd] + ":" + t.tag
	if dig != "" {
		newText += "@" + t.digest
	}
	if newText == text {
		ref.Status = StatusCurrent
		return ref, nil, true
	}
	es, reg, reason := locateEdits(c.chars, text, newText)
	skip := SkipUnresolved
	if reason == "" {
		for _, e := range es {
			if r := sc.regions[e.region]; r.optOut && r.instr == "ARG" {
				reason = fmt.Sprintf("opted out by # %s above ARG %s", t.marker, r.name)
				skip = SkipOptOut
			}
		}
		if reason == "" {
			ref.Instruction = sc.regions[reg].instr
			ref.Line = sc.src.lineOf(es[0].start)
		}
	}
	if reason != "" {
		ref.Reason, ref.Skip = reason, skip
		return ref, nil, true
	}
	ref.Status, ref.New = StatusChanged, newText
	ref.Rebuilt = dig != "" && ref.OldTag == t.tag
	return ref, es, true
}

// wholeDefault reports whether every byte of a reference comes from a
// variable's default written in the file, as in compose's
// ${IMAGE:-ubuntu:17.04}, which Docker Compose pulls when IMAGE is unset.
func wholeDefault(chars []ochar) bool {
	for _, ch := range chars {
		if !ch.viaVar || ch.off < 0 {
			return false
		}
	}
	return len(chars) > 0
}

// locateEdits maps the change from old to new (both expanded references)
// to edits of the file's bytes: one edit when the changed bytes come from
// one place, else, when both hold a digest, one for the tag and one for the
// digest, each from its own place (an ARG for the tag and the FROM or
// another ARG for the digest). It returns the region of the first edit.
func locateEdits(chars []ochar, old, new string) ([]edit, int16, string) {
	e, reg, reason := locateEdit(chars, old, new)
	if reason == "" {
		return []edit{e}, reg, ""
	}
	oldAt, newAt := strings.IndexByte(old, '@'), strings.IndexByte(new, '@')
	if oldAt < 0 || newAt < 0 || len(chars) != len(old) || old[oldAt+1:] == new[newAt+1:] || old[:oldAt] == new[:newAt] {
		return nil, 0, reason
	}
	tagEdit, reg, treason := locateEdit(chars[:oldAt], old[:oldAt], new[:newAt])
	digEdit, _, dreason := locateEdit(chars[oldAt+1:], old[oldAt+1:], new[newAt+1:])
	if treason != "" || dreason != "" || tagEdit.overlaps(digEdit) {
		return nil, 0, reason
	}
	return []edit{tagEdit, digEdit}, reg, ""
}

// argPlace reports the ARG region and line when every byte of the tag and
// digest (or of the whole reference when it has neither) comes from that one
// ARG's value.
func argPlace(sc *scan, chars []ochar, p refParts) (region, int, bool) {
	switch {
	case p.tagStart >= 0 && p.tagStart < len(chars):
		chars = chars[p.tagStart:]
	case p.nameEnd < len(chars):
		chars = chars[p.nameEnd:]
	}
	if len(chars) == 0 || chars[0].off < 0 || chars[0].region < 0 {
		return region{}, 0, false
	}
	for _, ch := range chars {
		if ch.off < 0 || ch.region != chars[0].region {
			return region{}, 0, false
		}
	}
	r := sc.regions[chars[0].region]
	if r.instr != "ARG" {
		return region{}, 0, false
	}
	return r, sc.src.lineOf(int(chars[0].off)), true
}

// locateEdit maps the change from old to new (both expanded references) to
// one edit of the file's bytes. The changed bytes must come from one place:
// contiguous bytes of one instruction or one ARG value.
func locateEdit(chars []ochar, old, new string) (edit, int16, string) {
	if len(chars) != len(old) {
		return edit{}, 0, reasonNotFound
	}
	pre := 0
	for pre < len(old) && pre < len(new) && old[pre] == new[pre] {
		pre++
	}
	suf := 0
	for suf < len(old)-pre && suf < len(new)-pre && old[len(old)-1-suf] == new[len(new)-1-suf] {
		suf++
	}
	span := chars[pre : len(old)-suf]
	repl := new[pre : len(new)-suf]
	if len(span) == 0 {
		var at ochar
		switch {
		case pre > 0 && chars[pre-1].off >= 0:
			at = chars[pre-1]
			at.off++
		case pre < len(chars) && chars[pre].off >= 0:
			at = chars[pre]
		default:
			return edit{}, 0, reasonNotFound
		}
		return edit{start: int(at.off), end: int(at.off), repl: repl, region: at.region}, at.region, ""
	}
	first := span[0]
	for i, ch := range span {
		if ch.off < 0 {
			return edit{}, 0, reasonNotFound
		}
		if ch.region != first.region || ch.off != first.off+int32(i) {
			return edit{}, 0, "the reference is assembled from several places (variables or lines)"
		}
	}
	return edit{start: int(first.off), end: int(first.off) + len(span), repl: repl, region: first.region}, first.region, ""
}
