package graphql

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// resolvers maps a GraphQL object type and field name to its resolver.
// Objects represented as map[string]any (connections, payloads, page info)
// need no entry: their fields are read from the map.
var resolvers = map[string]map[string]resolver{}

func register(typ string, fields map[string]resolver) {
	m := resolvers[typ]
	if m == nil {
		m = map[string]resolver{}
		resolvers[typ] = m
	}
	for k, v := range fields {
		m[k] = v
	}
}

// Go values behind GitHub's git object types; each knows its repository,
// which ids and URLs need.
type (
	refV struct {
		repo state.Repo
		ref  state.Ref
	}
	commitV struct {
		repo state.Repo
		c    state.Commit
	}
	treeV struct {
		repo    state.Repo
		oid     string
		path    string
		entries []state.TreeEntry
	}
	blobV struct {
		repo state.Repo
		oid  string
		data []byte
	}
	entryV struct {
		repo state.Repo
		e    state.TreeEntry
		path string
	}
)

// typeNameOf returns the GraphQL object type of a resolved Go value, for
// fields of interface or union type.
func typeNameOf(v any) string {
	switch v := v.(type) {
	case state.Repo:
		return "Repository"
	case state.Account:
		switch {
		case v.IsOrg():
			return "Organization"
		case v.Type == "Bot":
			return "Bot"
		}
		return "User"
	case state.Team:
		return "Team"
	case refV:
		return "Ref"
	case commitV:
		return "Commit"
	case treeV:
		return "Tree"
	case blobV:
		return "Blob"
	case pullV:
		return "PullRequest"
	case labelV:
		return "Label"
	}
	return ""
}

// stateErr turns a state error into a GraphQL field error with its type.
func stateErr(err error) error {
	var se *state.Error
	if errors.As(err, &se) {
		return &fieldError{Type: se.Kind.GraphQLType(), Message: se.Message}
	}
	return err
}

func isKind(err error, k state.Kind) bool {
	var se *state.Error
	return errors.As(err, &se) && se.Kind == k
}

func (ec *execCtx) world() *state.World { return ec.h.w }

func (ec *execCtx) url(parts ...string) string {
	return ec.baseURL + "/" + strings.Join(parts, "/")
}

func init() {
	register("Query", map[string]resolver{
		"viewer": func(ec *execCtx, _ any, _ map[string]any) (any, error) {
			a, err := ec.world().Viewer(ec.actor)
			return a, stateErr(err)
		},
		"repository": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			owner, name := argString(args, "owner"), argString(args, "name")
			r, err := ec.world().RepoByName(ec.actor, owner, name)
			if err != nil {
				if isKind(err, state.NotFound) || isKind(err, state.Forbidden) {
					return nil, errorf("NOT_FOUND", "Could not resolve to a Repository with the name '%s/%s'.", owner, name)
				}
				return nil, stateErr(err)
			}
			return r, nil
		},
		"organization": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			login := argString(args, "login")
			a, err := ec.world().Account(login)
			if err != nil || !a.IsOrg() {
				return nil, errorf("NOT_FOUND", "Could not resolve to an Organization with the login of '%s'.", login)
			}
			return a, nil
		},
		"user": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			login := argString(args, "login")
			a, err := ec.world().Account(login)
			if err != nil || !a.IsUser() {
				return nil, errorf("NOT_FOUND", "Could not resolve to a User with the login of '%s'.", login)
			}
			return a, nil
		},
		"repositoryOwner": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			a, err := ec.world().Account(argString(args, "login"))
			if err != nil || a.Type == "Bot" { // a bot owns no repositories
				return nil, nil
			}
			return a, nil
		},
		"node": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			return ec.node(argString(args, "id"))
		},
		"nodes": func(ec *execCtx, _ any, args map[string]any) (any, error) {
			ids := argStrings(args, "ids")
			out := make([]any, len(ids))
			path := append([]any(nil), ec.path...)
			f := ec.field
			for i, id := range ids {
				n, err := ec.node(id)
				if err != nil {
					ec.addError(append(path, i), f, err)
					continue
				}
				out[i] = n
			}
			return out, nil
		},
		"rateLimit": func(ec *execCtx, _ any, _ map[string]any) (any, error) {
			return ec.h.rateLimit(ec), nil
		},
	})

	accountFields := map[string]resolver{
		"id":         func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(state.Account).NodeID, nil },
		"databaseId": func(_ *execCtx, src any, _ map[string]any) (any, error) { return int(src.(state.Account).ID), nil },
		"login":      func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(state.Account).Login, nil },
		"name": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			if n := src.(state.Account).Name; n != "" {
				return n, nil
			}
			return nil, nil
		},
		"email": func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(state.Account).Email, nil },
		"url": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			return ec.url(src.(state.Account).Login), nil
		},
		"resourcePath": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			return "/" + src.(state.Account).Login, nil
		},
		"repositories": func(ec *execCtx, src any, args map[string]any) (any, error) {
			return ec.repositories(src.(state.Account), args)
		},
		"repository": func(ec *execCtx, src any, args map[string]any) (any, error) {
			r, err := ec.world().RepoByName(ec.actor, src.(state.Account).Login, argString(args, "name"))
			if err != nil {
				return nil, nil
			}
			return r, nil
		},
		"team": func(ec *execCtx, src any, args map[string]any) (any, error) {
			if ec.actor.Teams == state.TeamsForbidden {
				return nil, errorf("FORBIDDEN", "Resource not accessible by integration")
			}
			t, err := ec.world().Team(src.(state.Account).Login, argString(args, "slug"))
			if err != nil {
				return nil, nil
			}
			return t, nil
		},
	}
	register("User", accountFields)
	register("Organization", accountFields)
	// An installation token's viewer is its App's bot, answered as a User
	// (viewer is User!) with the bot's login and databaseId; as an Actor
	// (a pull request's author) the bot is a Bot.
	register("Bot", accountFields)

	register("Team", map[string]resolver{
		"id":         func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(state.Team).NodeID, nil },
		"databaseId": func(_ *execCtx, src any, _ map[string]any) (any, error) { return int(src.(state.Team).ID), nil },
		"slug":       func(_ *execCtx, src any, _ map[string]any) (any, error) { return src.(state.Team).Slug, nil },
		"combinedSlug": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			t := src.(state.Team)
			return t.Org + "/" + t.Slug, nil
		},
		"name": func(_ *execCtx, src any, _ map[string]any) (any, error) {
			t := src.(state.Team)
			if t.Name == "" {
				return t.Slug, nil
			}
			return t.Name, nil
		},
		"organization": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			a, err := ec.world().Account(src.(state.Team).Org)
			return a, stateErr(err)
		},
		"url": func(ec *execCtx, src any, _ map[string]any) (any, error) {
			t := src.(state.Team)
			return ec.url("orgs", t.Org, "teams", t.Slug), nil
		},
	})
}

// repositories lists an account's repositories as a RepositoryConnection,
// filtered by isFork, isArchived and privacy and sorted by orderBy.
func (ec *execCtx) repositories(owner state.Account, args map[string]any) (any, error) {
	repos, err := ec.world().ListRepos(ec.actor, owner.Login)
	if err != nil {
		return nil, stateErr(err)
	}
	var kept []state.Repo
	for _, r := range repos {
		if b, ok := argBool(args, "isFork"); ok && r.Fork != b {
			continue
		}
		if b, ok := argBool(args, "isArchived"); ok && r.Archived != b {
			continue
		}
		if p := argString(args, "privacy"); p != "" && r.Private != (p == "PRIVATE") {
			continue
		}
		kept = append(kept, r)
	}
	if ob, ok := args["orderBy"].(map[string]any); ok {
		field, _ := ob["field"].(string)
		desc := ob["direction"] == "DESC"
		key := func(r state.Repo) string {
			switch field {
			case "CREATED_AT":
				return r.CreatedAt.UTC().Format(time.RFC3339Nano)
			case "UPDATED_AT":
				return r.UpdatedAt.UTC().Format(time.RFC3339Nano)
			case "PUSHED_AT":
				return r.PushedAt.UTC().Format(time.RFC3339Nano)
			}
			return strings.ToLower(r.Name)
		}
		sort.SliceStable(kept, func(i, j int) bool {
			if desc {
				return key(kept[i]) > key(kept[j])
			}
			return key(kept[i]) < key(kept[j])
		})
	}
	return connection(toAny(kept), args)
}

// node resolves a global node id to a typed value.
func (ec *execCtx) node(id string) (any, error) {
	n, err := ec.world().ResolveNode(ec.actor, id)
	if err != nil {
		if isKind(err, state.NotFound) {
			return nil, errorf("NOT_FOUND", "Could not resolve to a node with the global id of '%s'", id)
		}
		return nil, stateErr(err)
	}
	switch {
	case n.Repo != nil:
		return *n.Repo, nil
	case n.Account != nil:
		return *n.Account, nil
	case n.Team != nil:
		return *n.Team, nil
	case n.Ref != nil:
		r, err := ec.world().RepoByID(ec.actor, n.Ref.RepoID)
		if err != nil {
			return nil, stateErr(err)
		}
		return refV{repo: r, ref: *n.Ref}, nil
	case n.PullRequest != nil:
		return ec.pull(*n.PullRequest)
	case n.Label != nil:
		return labelV{l: *n.Label}, nil
	case n.Commit != nil:
		// Commit node ids carry their repository; look it up through the id.
		if r, err := ec.repoOfCommitNode(id); err == nil {
			return commitV{repo: r, c: *n.Commit}, nil
		}
	}
	return nil, errorf("NOT_FOUND", "Could not resolve to a node with the global id of '%s'", id)
}

func asStateErr(err error, target **state.Error) bool { return errors.As(err, target) }

func itoa(n int) string { return strconv.Itoa(n) }

// repoOfCommitNode finds the repository a commit node id belongs to.
func (ec *execCtx) repoOfCommitNode(id string) (state.Repo, error) {
	repoID, ok := state.CommitNodeRepoID(id)
	if !ok {
		return state.Repo{}, nodeNotFound(id)
	}
	return ec.world().RepoByID(ec.actor, repoID)
}
