package graphql

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

func repoOf(src any) state.Repo { return src.(state.Repo) }

func dateTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// comparisonV is a Comparison: how far a head ref is ahead of and behind
// a base ref.
type comparisonV struct{ ahead, behind int }

func init() {
	register("Comparison", map[string]resolver{
		"aheadBy":  func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(comparisonV).ahead, nil },
		"behindBy": func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(comparisonV).behind, nil },
		"status": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			c := src.(comparisonV)
			switch {
			case c.ahead > 0 && c.behind > 0:
				return "DIVERGED", nil
			case c.ahead > 0:
				return "AHEAD", nil
			case c.behind > 0:
				return "BEHIND", nil
			}
			return "IDENTICAL", nil
		},
	})

	register("Repository", map[string]resolver{
		"id":            func(_ *execCtx, src any, _ map[string]any) (any, error) { return repoOf(src).NodeID, nil },
		"databaseId":    func(_ *execCtx, src any, _ map[string]any) (any, error) { return int(repoOf(src).ID), nil },
		"name":          func(_ *execCtx, src any, _ map[string]any) (any, error) { return repoOf(src).Name, nil },
		"nameWithOwner": func(_ *execCtx, src any, _ map[string]any) (any, error) { return repoOf(src).FullName(), nil },
		"owner":         func(_ *execCtx, src any, _ map[string]any) (any, error) { return repoOf(src).Owner, nil },
		"description": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			if d := repoOf(src).Description; d != "" {
				return d, nil
			}
			return nil, nil
		},
		"isArchived":          func(_ *execCtx, src any, _ map[string]any) (any, error) { return repoOf(src).Archived, nil },
		"isFork":              func(_ *execCtx, src any, _ map[string]any) (any, error) { return repoOf(src).Fork, nil },
		"isDisabled":          func(_ *execCtx, src any, _ map[string]any) (any, error) { return repoOf(src).Disabled, nil },
		"isEmpty":             func(_ *execCtx, src any, _ map[string]any) (any, error) { return repoOf(src).Empty, nil },
		"isPrivate":           func(_ *execCtx, src any, _ map[string]any) (any, error) { return repoOf(src).Private, nil },
		"isLocked":            func(_ *execCtx, _ any, _ map[string]any) (any, error) { return false, nil },
		"isTemplate":          func(_ *execCtx, _ any, _ map[string]any) (any, error) { return false, nil },
		"isMirror":            func(_ *execCtx, _ any, _ map[string]any) (any, error) { return false, nil },
		"autoMergeAllowed":    func(_ *execCtx, src any, _ map[string]any) (any, error) { return repoOf(src).AutoMergeAllowed, nil },
		"mergeCommitAllowed":  func(_ *execCtx, _ any, _ map[string]any) (any, error) { return true, nil },
		"squashMergeAllowed":  func(_ *execCtx, _ any, _ map[string]any) (any, error) { return true, nil },
		"rebaseMergeAllowed":  func(_ *execCtx, _ any, _ map[string]any) (any, error) { return true, nil },
		"deleteBranchOnMerge": func(_ *execCtx, _ any, _ map[string]any) (any, error) { return false, nil },
		"createdAt":           func(_ *execCtx, src any, _ map[string]any) (any, error) { return dateTime(repoOf(src).CreatedAt), nil },
		"updatedAt":           func(_ *execCtx, src any, _ map[string]any) (any, error) { return dateTime(repoOf(src).UpdatedAt), nil },
		"pushedAt":            func(_ *execCtx, src any, _ map[string]any) (any, error) { return dateTime(repoOf(src).PushedAt), nil },
		"visibility": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			if repoOf(src).Private {
				return "PRIVATE", nil
			}
			return "PUBLIC", nil
		},
		"url":          func(ec *execCtx, src any, _ map[string]any) (any, error) { return ec.url(repoOf(src).FullName()), nil },
		"resourcePath": func(_ *execCtx, src any, _ map[string]any) (any, error) { return "/" + repoOf(src).FullName(), nil },
		"viewerPermission": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			p := ec.world().ViewerPermission(ec.actor, repoOf(src).ID).GraphQL()
			if p == "" {
				return nil, nil
			}
			return p, nil
		},
		"parent": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			r := repoOf(src)
			if !r.Fork || r.ParentID == 0 {
				return nil, nil
			}
			p, err := ec.world().RepoByID(ec.actor, r.ParentID)
			if err != nil {
				return nil, nil
			}
			return p, nil
		},
		"defaultBranchRef": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			r := repoOf(src)
			ref, err := ec.world().Ref(ec.actor, r.ID, "refs/heads/"+r.DefaultBranch)
			if err != nil {
				return nil, nil
			}
			return refV{repo: r, ref: ref}, nil
		},
		"ref": func(ec *execCtx, src any, args map[string]any) (any, error) {
			r := repoOf(src)
			name := argString(args, "qualifiedName")
			if !strings.HasPrefix(name, "refs/") {
				name = "refs/heads/" + name
			}
			ref, err := ec.world().Ref(ec.actor, r.ID, name)
			if err != nil {
				return nil, nil
			}
			return refV{repo: r, ref: ref}, nil
		},
		"refs": func(ec *execCtx, src any, args map[string]any) (any, error) {
			r := repoOf(src)
			refs, err := ec.world().Refs(ec.actor, r.ID, argString(args, "refPrefix"))
			if err != nil {
				return nil, stateErr(err)
			}
			items := make([]any, len(refs))
			for i, ref := range refs {
				items[i] = refV{repo: r, ref: ref}
			}
			return connection(items, args)
		},
		"object": func(ec *execCtx, src any, args map[string]any) (any, error) {
			r := repoOf(src)
			expr := argString(args, "expression")
			if oid := argString(args, "oid"); oid != "" {
				expr = oid
			}
			if expr == "" {
				return nil, nil
			}
			o, err := ec.world().Object(ec.actor, r.ID, expr)
			if err != nil {
				return nil, nil // GitHub answers null for an unresolvable expression
			}
			return gitObject(r, o), nil
		},
	})

	register("Ref", map[string]resolver{
		// compare: "Compares the current ref as a base ref to another head
		// ref, if the comparison can be made" (schema; docs.github.com
		// graphql/reference/objects#ref): null when headRef does not
		// resolve. aheadBy counts the head's commits the base lacks,
		// behindBy the base's the head lacks, as REST's compare does
		// (docs.github.com rest/commits/commits#compare-two-commits).
		"compare": func(ec *execCtx, src any, args map[string]any) (any, error) {
			rv := src.(refV)
			head, err := ec.world().Ref(ec.actor, rv.repo.ID, argString(args, "headRef"))
			if err != nil {
				return nil, nil
			}
			ahead, err := ec.world().CommitsBetween(ec.actor, rv.repo.ID, rv.ref.OID, head.OID)
			if err != nil {
				return nil, stateErr(err)
			}
			behind, err := ec.world().CommitsBetween(ec.actor, rv.repo.ID, head.OID, rv.ref.OID)
			if err != nil {
				return nil, stateErr(err)
			}
			return comparisonV{ahead: len(ahead), behind: len(behind)}, nil
		},
		"id":         func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(refV).ref.NodeID, nil },
		"name":       func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(refV).ref.ShortName(), nil },
		"prefix":     func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(refV).ref.Prefix(), nil },
		"repository": func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(refV).repo, nil },
		"target": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			rv := src.(refV)
			o, err := ec.world().Object(ec.actor, rv.repo.ID, rv.ref.OID)
			if err != nil {
				return nil, stateErr(err)
			}
			return gitObject(rv.repo, o), nil
		},
	})

	gitObjectFields := func(oidOf func(any) string, repoOfV func(any) state.Repo) map[string]resolver {
		return map[string]resolver{
			"oid": func(_ *execCtx, src any, _ map[string]any) (any, error) { return oidOf(src), nil },
			"abbreviatedOid": func(_ *execCtx, src any, _ map[string]any) (any, error) {
				return oidOf(src)[:7], nil
			},
			"repository": func(_ *execCtx, src any, _ map[string]any) (any, error) { return repoOfV(src), nil },
			"commitUrl": func(ec *execCtx, src any, _ map[string]any) (any, error) {
				return ec.url(repoOfV(src).FullName(), "commit", oidOf(src)), nil
			},
			"commitResourcePath": func(_ *execCtx, src any, _ map[string]any) (any, error) {
				return "/" + repoOfV(src).FullName() + "/commit/" + oidOf(src), nil
			},
		}
	}

	register("Commit", gitObjectFields(func(v any) string { return v.(commitV).c.OID }, func(v any) state.Repo { return v.(commitV).repo }))
	register("Commit", map[string]resolver{
		"id": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			c := src.(commitV)
			return state.CommitNodeID(c.repo.ID, c.c.OID), nil
		},
		"message": func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(commitV).c.Message, nil },
		"messageHeadline": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			h, _, _ := strings.Cut(src.(commitV).c.Message, "\n")
			return h, nil
		},
		"messageBody": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			_, b, _ := strings.Cut(src.(commitV).c.Message, "\n")
			return strings.TrimLeft(b, "\n"), nil
		},
		"committedDate": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			return dateTime(src.(commitV).c.Committer.Date), nil
		},
		"authoredDate": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			return dateTime(src.(commitV).c.Author.Date), nil
		},
		// The simulated world has no commit statuses or check runs, and
		// GitHub answers null for a commit that has neither: the field is
		// nullable, and clients null-check it for commits without CI
		// (github/combine-prs#41, github/branch-deploy#78).
		"statusCheckRollup": func(_ *execCtx, _ any, _ map[string]any) (any, error) { return nil, nil },
		"author":            func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(commitV).c.Author, nil },
		"committer":         func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(commitV).c.Committer, nil },
		"url": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			c := src.(commitV)
			return ec.url(c.repo.FullName(), "commit", c.c.OID), nil
		},
		// file: "The tree entry at the given path" of the commit
		// (schema, Commit.file), null when there is none; its mode is how
		// a client sees an executable bit.
		"file": func(ec *execCtx, src any, args map[string]any) (any, error) {
			c := src.(commitV)
			p := strings.Trim(argString(args, "path"), "/")
			dir, name := "", p
			if i := strings.LastIndexByte(p, '/'); i >= 0 {
				dir, name = p[:i], p[i+1:]
			}
			o, err := ec.world().Object(ec.actor, c.repo.ID, c.c.OID+":"+dir)
			if err != nil {
				return nil, nil
			}
			for _, e := range o.Entries {
				if e.Name == name {
					return entryV{repo: c.repo, e: e, path: p}, nil
				}
			}
			return nil, nil
		},
		"tree": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			c := src.(commitV)
			o, err := ec.world().Object(ec.actor, c.repo.ID, c.c.Tree)
			if err != nil {
				return nil, stateErr(err)
			}
			return gitObject(c.repo, o), nil
		},
		"parents": func(ec *execCtx, src any, args map[string]any) (any, error) {
			c := src.(commitV)
			items := make([]any, 0, len(c.c.Parents))
			for _, p := range c.c.Parents {
				pc, err := ec.world().Commit(ec.actor, c.repo.ID, p)
				if err != nil {
					return nil, stateErr(err)
				}
				items = append(items, commitV{repo: c.repo, c: pc})
			}
			return connection(items, args)
		},
		"signature": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			c := src.(commitV)
			if !c.c.Verified {
				return nil, nil
			}
			return typed{Type: "GpgSignature", Value: map[string]any{
				"isValid": true, "state": "VALID", "wasSignedByGitHub": true,
				"email": c.c.Committer.Email, "signature": "", "payload": string(state.EncodeCommit(c.c)),
				"keyId": "B5690EEEBB952194",
			}}, nil
		},
	})

	register("GitActor", map[string]resolver{
		"name":  func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(state.Signature).Name, nil },
		"email": func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(state.Signature).Email, nil },
		"date": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			return dateTime(src.(state.Signature).Date), nil
		},
		"user": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			login := src.(state.Signature).Login
			if login == "" {
				return nil, nil
			}
			a, err := ec.world().Account(login)
			if err != nil || !a.IsUser() { // an organisation, or an App's bot
				return nil, nil
			}
			return a, nil
		},
	})

	register("Tree", gitObjectFields(func(v any) string { return v.(treeV).oid }, func(v any) state.Repo { return v.(treeV).repo }))
	register("Tree", map[string]resolver{
		"id": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			t := src.(treeV)
			return state.CommitNodeID(t.repo.ID, t.oid), nil
		},
		"entries": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			t := src.(treeV)
			out := make([]any, len(t.entries))
			for i, e := range t.entries {
				p := e.Name
				if t.path != "" {
					p = t.path + "/" + e.Name
				}
				out[i] = entryV{repo: t.repo, e: e, path: p}
			}
			return out, nil
		},
	})

	register("TreeEntry", map[string]resolver{
		"name":        func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(entryV).e.Name, nil },
		"path":        func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(entryV).path, nil },
		"type":        func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(entryV).e.Type, nil },
		"oid":         func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(entryV).e.OID, nil },
		"repository":  func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(entryV).repo, nil },
		"isGenerated": func(_ *execCtx, _ any, _ map[string]any) (any, error) { return false, nil },
		"size":        func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(entryV).e.Size, nil },
		"submodule":   func(_ *execCtx, _ any, _ map[string]any) (any, error) { return nil, nil },
		"mode": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			// GitHub reports the octal git mode as its decimal value.
			m, err := strconv.ParseInt(src.(entryV).e.Mode, 8, 64)
			return int(m), err
		},
		"extension": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			e := src.(entryV).e
			if i := strings.LastIndexByte(e.Name, '.'); i > 0 && e.Type == "blob" {
				return e.Name[i:], nil
			}
			return nil, nil
		},
		"object": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			e := src.(entryV)
			o, err := ec.world().Object(ec.actor, e.repo.ID, e.e.OID)
			if err != nil {
				return nil, nil
			}
			o.Path = e.path
			return gitObject(e.repo, o), nil
		},
	})

	register("Blob", gitObjectFields(func(v any) string { return v.(blobV).oid }, func(v any) state.Repo { return v.(blobV).repo }))
	register("Blob", map[string]resolver{
		"id": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			b := src.(blobV)
			return state.CommitNodeID(b.repo.ID, b.oid), nil
		},
		"byteSize": func(_ *execCtx, src any, _ map[string]any) (any, error) { return len(src.(blobV).data), nil },
		"isBinary": func(_ *execCtx, src any, _ map[string]any) (any, error) { return isBinary(src.(blobV).data), nil },
		"isTruncated": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			return len(src.(blobV).data) > ec.h.opts.MaxBlobText, nil
		},
		"text": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			data := src.(blobV).data
			if isBinary(data) {
				return nil, nil
			}
			if max := ec.h.opts.MaxBlobText; len(data) > max {
				data = data[:max]
				for len(data) > 0 && !utf8.Valid(data) { // cut at a rune boundary
					data = data[:len(data)-1]
				}
			}
			// Bytes that are not UTF-8 reach the client as U+FFFD (the
			// JSON encoder replaces them), so the text's length differs
			// from byteSize. That GitHub's answer differs the same way for
			// such a blob is a guess; the schema only says "UTF8 text data
			// or null if the Blob is binary".
			return string(data), nil
		},
	})
}

// isBinary decides as git does (buffer_is_binary in git's xdiff-interface.c):
// a NUL byte in the first 8,000 bytes makes a blob binary. A Latin-1 file
// is text, and its text field then differs from its bytes (see "text").
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

// gitObject wraps a state object as the GraphQL value of its type.
func gitObject(r state.Repo, o state.Object) any {
	switch o.Type {
	case "commit":
		return commitV{repo: r, c: *o.Commit}
	case "tree":
		return treeV{repo: r, oid: o.OID, path: o.Path, entries: o.Entries}
	case "blob":
		return blobV{repo: r, oid: o.OID, data: o.Data}
	}
	return nil
}
