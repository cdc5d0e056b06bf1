package update

import (
	"context"
	"fmt"
)

// Resolver looks tags up in their registry; *registry.Client satisfies
// it. Resolve returns the digest of image:tag, or an error naming the
// image and the registry.
type Resolver interface {
	Resolve(ctx context.Context, image, tag string) (digest string, err error)
}

// airGapHint ends every registry error that stops a run.
const airGapHint = "on a runner that cannot reach the registry, set verify-tag: false (and resolve-digest: false, or give digest)"

// lookupTarget asks the registry about the target of parent and child
// mode, before anything is written: with verify-tag, a tag the registry
// does not have (or cannot be asked about) stops the run; with
// resolve-digest and no digest given, the target takes the registry's
// digest, and a failed lookup is only a note. One lookup serves both.
func (r *runner) lookupTarget(ctx context.Context, rep *Report) error {
	t := &r.opts.Target
	resolve := r.opts.ResolveDigest && t.Digest == ""
	if !r.opts.VerifyTag && !resolve {
		return nil
	}
	defer r.phase("Registry")()
	digest, err := r.opts.Registry.Resolve(ctx, t.Image.String(), t.Tag)
	if err != nil {
		if r.opts.VerifyTag {
			return fmt.Errorf("verify-tag: %w; %s", err, airGapHint)
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("resolve-digest: %v; references pinned by digest are skipped", err))
		r.log.Warn("resolve-digest failed", "image", t.Image.String(), "tag", t.Tag, "error", err)
		return nil
	}
	r.log.Info("registry", "image", t.Image.String(), "tag", t.Tag, "digest", digest)
	switch {
	case resolve:
		t.Digest = digest
		rep.Notes = append(rep.Notes, fmt.Sprintf("resolved %s:%s to %s", t.Image, t.Tag, digest))
	case t.Digest != "" && t.Digest != digest:
		rep.Notes = append(rep.Notes, fmt.Sprintf("the digest input %s is not what the registry has for %s:%s now (%s); using the input", t.Digest, t.Image, t.Tag, digest))
	}
	return nil
}

// lookupStored asks the registry about each image of the store, once per
// image whatever the number of repositories. With resolve-digest the
// registry's digest replaces the store's (a rebuild since parent mode
// recorded it is followed); a failed lookup keeps the store's digest. With
// verify-tag an image whose tag cannot be found or asked about is not
// searched and is reported as failed; the other images go on.
func (r *runner) lookupStored(ctx context.Context, targets []Target, unsearched []*ImageReport) ([]Target, []*ImageReport) {
	if !r.opts.VerifyTag && !r.opts.ResolveDigest || len(targets) == 0 {
		return targets, unsearched
	}
	defer r.phase("Registry")()
	var kept []Target
	for _, t := range targets {
		digest, err := r.opts.Registry.Resolve(ctx, t.Image.String(), t.Tag)
		switch {
		case err != nil && r.opts.VerifyTag:
			r.log.Warn("verify-tag failed", "image", t.Image.String(), "tag", t.Tag, "error", err)
			unsearched = append(unsearched, &ImageReport{Image: t.Image.String(), Tag: t.Tag, Digest: t.Digest,
				Error: fmt.Sprintf("not searched: verify-tag: %v; %s", err, airGapHint)})
			continue
		case err != nil:
			r.log.Warn("resolve-digest failed", "image", t.Image.String(), "tag", t.Tag, "error", err)
			note := fmt.Sprintf("resolve-digest: %v", err)
			if t.Digest != "" {
				note += "; using the store's digest"
			}
			r.note(t, note)
		case r.opts.ResolveDigest && digest != t.Digest:
			if t.Digest != "" {
				r.note(t, fmt.Sprintf("rebuilt since recorded: the registry has %s, the store %s", digest, t.Digest))
			}
			t.Digest = digest
		}
		kept = append(kept, t)
	}
	return kept, unsearched
}

// note records a note for target t's image report.
func (r *runner) note(t Target, note string) {
	if r.notes == nil {
		r.notes = map[string][]string{}
	}
	r.notes[t.Image.String()] = append(r.notes[t.Image.String()], note)
}
