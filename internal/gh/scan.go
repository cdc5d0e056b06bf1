package gh

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// RepoInfo is one repository of an owner's listing.
type RepoInfo struct {
	Owner, Name      string
	Archived         bool
	Fork             bool
	Disabled         bool
	Empty            bool
	ViewerPermission string // ADMIN … READ, or "" (GitHub Apps)
	DefaultBranch    string
	HeadOID          string // the default branch's head commit; "" when empty
	PushedAt         time.Time
}

// RepoListing is every repository of one owner.
type RepoListing struct {
	Repos    []RepoInfo
	Total    int // totalCount as GitHub gave it on the first page
	Requests int // GraphQL requests sent
}

const listPageSize = 100 // GraphQL's largest page

// ListRepos lists every repository owner (an organisation or a user) owns,
// 100 a page over GraphQL (RepositoryOwner.repositories,
// https://docs.github.com/graphql/reference/interfaces#repositoryowner),
// each with its default branch head, archived and fork flags and the
// viewer's permission: one request per 100 repositories. An owner that
// does not exist, or that the token cannot see, is an error naming it.
func (c *Client) ListRepos(ctx context.Context, owner string) (*RepoListing, error) {
	out := &RepoListing{}
	after := ""
	for {
		args := fmt.Sprintf("first: %d, ownerAffiliations: [OWNER], orderBy: {field: NAME, direction: ASC}", listPageSize)
		if after != "" {
			args += ", after: " + quote(after)
		}
		q := fmt.Sprintf(`query { owner: repositoryOwner(login: %s) { login repositories(%s) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { name nameWithOwner isArchived isFork isDisabled isEmpty viewerPermission pushedAt defaultBranchRef { name target { oid } } }
} } }`, quote(owner), args)
		out.Requests++
		ans, err := c.postGraphQL(ctx, q)
		if err != nil {
			return out, fmt.Errorf("listing the repositories of %s: %w", owner, err)
		}
		raw := ans.Data["owner"]
		if len(raw) == 0 || string(raw) == "null" {
			if errs := ans.errorsFor("owner"); len(errs) > 0 {
				return out, fmt.Errorf("listing the repositories of %s: %w", owner, errs[0])
			}
			return out, fmt.Errorf("listing the repositories of %s: %w: no such organisation or user, or not visible to the token", owner, ErrNotFound)
		}
		var page struct {
			Repositories struct {
				TotalCount int `json:"totalCount"`
				PageInfo   struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
				Nodes []*struct {
					repoJSON
					Name     string    `json:"name"`
					PushedAt time.Time `json:"pushedAt"`
				} `json:"nodes"`
			} `json:"repositories"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return out, fmt.Errorf("listing the repositories of %s: decoding: %w", owner, err)
		}
		if out.Requests == 1 {
			out.Total = page.Repositories.TotalCount
		}
		for _, n := range page.Repositories.Nodes {
			if n == nil {
				continue
			}
			ri := RepoInfo{Name: n.Name, Owner: owner, Archived: n.IsArchived, Fork: n.IsFork, Disabled: n.IsDisabled,
				Empty: n.IsEmpty, PushedAt: n.PushedAt}
			if o, name, ok := strings.Cut(n.NameWithOwner, "/"); ok {
				ri.Owner, ri.Name = o, name
			}
			if n.ViewerPermission != nil {
				ri.ViewerPermission = *n.ViewerPermission
			}
			if d := n.DefaultBranchRef; d != nil {
				ri.DefaultBranch = d.Name
				if d.Target != nil {
					ri.HeadOID = d.Target.OID
				}
			}
			out.Repos = append(out.Repos, ri)
		}
		pi := page.Repositories.PageInfo
		if !pi.HasNextPage || pi.EndCursor == "" || pi.EndCursor == after {
			return out, nil
		}
		after = pi.EndCursor
	}
}

// ListFiles lists the blobs of ref's tree (a branch, tag or commit) with
// their sizes, in one recursive request
// (GET /repos/{owner}/{repo}/git/trees/{ref}?recursive=1,
// https://docs.github.com/rest/git/trees#get-a-tree). When GitHub answers
// truncated: true (over 100,000 entries or 7 MB), it goes by subtree as the
// docs advise: the top level without recursion, then each subtree
// recursively, splitting again any that is still truncated. truncated is
// true only when even a one-level listing was cut, so some files were not
// seen. A missing repository or ref, or an empty repository, gives an
// error wrapping ErrNotFound.
func (c *Client) ListFiles(ctx context.Context, owner, repo, ref string) (entries []TreeEntry, truncated bool, err error) {
	l := &lister{c: c, owner: owner, repo: repo}
	if err := l.list(ctx, ref, "", true); err != nil {
		if statusOf(err) == http.StatusConflict { // "Git Repository is empty."
			err = fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return nil, false, fmt.Errorf("listing files of %s/%s at %q: %w", owner, repo, ref, restError(err))
	}
	return l.entries, l.truncated, nil
}

type lister struct {
	c           *Client
	owner, repo string
	entries     []TreeEntry
	truncated   bool
}

func (l *lister) list(ctx context.Context, sha, prefix string, recursive bool) error {
	// The ref is escaped segment by segment like a contents path: a branch
	// may hold "#", "?" or "%" (go-github's GetTree sends it raw).
	u := "repos/" + url.PathEscape(l.owner) + "/" + url.PathEscape(l.repo) + "/git/trees/" + escapeSegments(sha)
	if recursive {
		u += "?recursive=1"
	}
	tree := &github.Tree{}
	req, err := l.c.rest.NewRequest(http.MethodGet, u, nil)
	if err == nil {
		_, err = l.c.rest.Do(ctx, req, tree)
	}
	if err != nil {
		return err
	}
	if recursive && tree.GetTruncated() {
		return l.list(ctx, sha, prefix, false)
	}
	if tree.GetTruncated() {
		l.truncated = true
	}
	for _, e := range tree.Entries {
		p := path.Join(prefix, e.GetPath())
		switch e.GetType() {
		case "blob":
			l.entries = append(l.entries, TreeEntry{Path: p, SHA: e.GetSHA(), Size: e.GetSize()})
		case "tree":
			if !recursive {
				if err := l.list(ctx, e.GetSHA(), p, true); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// CountRepos returns how many repositories owner owns, in one GraphQL
// request (the first page's totalCount).
func (c *Client) CountRepos(ctx context.Context, owner string) (int, error) {
	q := fmt.Sprintf(`query { owner: repositoryOwner(login: %s) { repositories(first: 1, ownerAffiliations: [OWNER]) { totalCount } } }`, quote(owner))
	ans, err := c.postGraphQL(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("counting the repositories of %s: %w", owner, err)
	}
	var o *struct {
		Repositories struct {
			TotalCount int `json:"totalCount"`
		} `json:"repositories"`
	}
	if raw := ans.Data["owner"]; len(raw) > 0 {
		if err := json.Unmarshal(raw, &o); err != nil {
			return 0, fmt.Errorf("counting the repositories of %s: decoding: %w", owner, err)
		}
	}
	if o == nil {
		return 0, fmt.Errorf("counting the repositories of %s: %w: no such organisation or user, or not visible to the token", owner, ErrNotFound)
	}
	return o.Repositories.TotalCount, nil
}
