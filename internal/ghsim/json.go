package ghsim

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// obj is a JSON object under construction.
type obj = map[string]any

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// links holds the two base URLs of one request: the API's (scheme, host and
// the /api/v3 prefix if used) and the web UI's (for html_url).
type links struct {
	api string
	web string
}

func (l links) userJSON(a state.Account) obj {
	u := l.api + "/users/" + a.Login
	return obj{
		"login": a.Login, "id": a.ID, "node_id": a.NodeID,
		"avatar_url":          fmt.Sprintf("%s/avatars/u/%d?v=4", l.web, a.ID),
		"gravatar_id":         "",
		"url":                 u,
		"html_url":            l.web + "/" + a.Login,
		"followers_url":       u + "/followers",
		"following_url":       u + "/following{/other_user}",
		"gists_url":           u + "/gists{/gist_id}",
		"starred_url":         u + "/starred{/owner}{/repo}",
		"subscriptions_url":   u + "/subscriptions",
		"organizations_url":   u + "/orgs",
		"repos_url":           u + "/repos",
		"events_url":          u + "/events{/privacy}",
		"received_events_url": u + "/received_events",
		"type":                a.Type,
		"site_admin":          false,
	}
}

// minimalRepoJSON has the fields of minimal-repository's required set.
func (l links) minimalRepoJSON(r state.Repo) obj {
	u := l.api + "/repos/" + r.FullName()
	var desc any
	if r.Description != "" {
		desc = r.Description
	}
	o := obj{
		"id": r.ID, "node_id": r.NodeID, "name": r.Name, "full_name": r.FullName(),
		"private": r.Private, "owner": l.userJSON(r.Owner), "html_url": l.web + "/" + r.FullName(),
		"description": desc, "fork": r.Fork, "url": u,
	}
	for k, v := range map[string]string{
		"forks_url": "/forks", "keys_url": "/keys{/key_id}", "collaborators_url": "/collaborators{/collaborator}",
		"teams_url": "/teams", "hooks_url": "/hooks", "issue_events_url": "/issues/events{/number}",
		"events_url": "/events", "assignees_url": "/assignees{/user}", "branches_url": "/branches{/branch}",
		"tags_url": "/tags", "blobs_url": "/git/blobs{/sha}", "git_tags_url": "/git/tags{/sha}",
		"git_refs_url": "/git/refs{/sha}", "trees_url": "/git/trees{/sha}", "statuses_url": "/statuses/{sha}",
		"languages_url": "/languages", "stargazers_url": "/stargazers", "contributors_url": "/contributors",
		"subscribers_url": "/subscribers", "subscription_url": "/subscription", "commits_url": "/commits{/sha}",
		"git_commits_url": "/git/commits{/sha}", "comments_url": "/comments{/number}",
		"issue_comment_url": "/issues/comments{/number}", "contents_url": "/contents/{+path}",
		"compare_url": "/compare/{base}...{head}", "merges_url": "/merges", "archive_url": "/{archive_format}{/ref}",
		"downloads_url": "/downloads", "issues_url": "/issues{/number}", "pulls_url": "/pulls{/number}",
		"milestones_url": "/milestones{/number}", "notifications_url": "/notifications{?since,all,participating}",
		"labels_url": "/labels{/name}", "releases_url": "/releases{/id}", "deployments_url": "/deployments",
	} {
		o[k] = u + v
	}
	return o
}

// repoJSON is the full-repository shape (GET /repos/{o}/{r}); it also
// satisfies "repository".
func (l links) repoJSON(r state.Repo, perm state.Permission) obj {
	o := l.minimalRepoJSON(r)
	host := strings.TrimPrefix(strings.TrimPrefix(l.web, "http://"), "https://")
	o["git_url"] = "git://" + host + "/" + r.FullName() + ".git"
	o["ssh_url"] = "git@" + host + ":" + r.FullName() + ".git"
	o["clone_url"] = l.web + "/" + r.FullName() + ".git"
	o["svn_url"] = l.web + "/" + r.FullName()
	o["mirror_url"] = nil
	o["homepage"] = nil
	o["language"] = nil
	o["license"] = nil
	for _, k := range []string{"forks", "forks_count", "stargazers_count", "watchers", "watchers_count", "size",
		"open_issues", "open_issues_count", "network_count", "subscribers_count"} {
		o[k] = 0
	}
	for _, k := range []string{"has_issues", "has_projects", "has_wiki", "has_downloads"} {
		o[k] = true
	}
	o["has_pages"] = false
	o["has_discussions"] = false
	o["archived"] = r.Archived
	o["disabled"] = r.Disabled
	o["default_branch"] = r.DefaultBranch
	o["visibility"] = map[bool]string{true: "private", false: "public"}[r.Private]
	o["pushed_at"] = ts(r.PushedAt)
	o["created_at"] = ts(r.CreatedAt)
	o["updated_at"] = ts(r.UpdatedAt)
	o["allow_auto_merge"] = r.AutoMergeAllowed
	o["is_template"] = false
	o["topics"] = []string{}
	o["allow_forking"] = true
	o["web_commit_signoff_required"] = false
	for _, k := range []string{"allow_merge_commit", "allow_rebase_merge", "allow_squash_merge"} {
		o[k] = true
	}
	for _, k := range []string{"allow_update_branch", "delete_branch_on_merge", "use_squash_pr_title_as_default"} {
		o[k] = false
	}
	if r.Owner.IsOrg() {
		o["organization"] = l.userJSON(r.Owner)
	}
	o["permissions"] = obj{
		"admin": perm >= state.PermAdmin, "maintain": perm >= state.PermMaintain, "push": perm >= state.PermWrite,
		"triage": perm >= state.PermTriage, "pull": perm >= state.PermRead,
	}
	if r.Fork && r.ParentFullName != "" {
		o["parent"] = obj{"full_name": r.ParentFullName, "id": r.ParentID}
	}
	return o
}

func (l links) repoURL(full string) string { return l.api + "/repos/" + full }

func (l links) labelJSON(full string, lb state.Label) obj {
	// description is a string, never null: pull-request-simple's labels
	// do not allow null.
	return obj{"id": lb.ID, "node_id": lb.NodeID, "url": l.repoURL(full) + "/labels/" + url.PathEscape(lb.Name),
		"name": lb.Name, "color": lb.Color, "description": lb.Description, "default": lb.Default}
}

func (l links) refJSON(full string, ref state.Ref) obj {
	return obj{"ref": ref.Name, "node_id": ref.NodeID, "url": l.repoURL(full) + "/git/" + ref.Name,
		"object": obj{"sha": ref.OID, "type": "commit", "url": l.repoURL(full) + "/git/commits/" + ref.OID}}
}

func sigJSON(s state.Signature) obj {
	return obj{"name": s.Name, "email": s.Email, "date": ts(s.Date)}
}

func verificationJSON(c state.Commit) obj {
	if c.Verified {
		return obj{"verified": true, "reason": "valid", "signature": "-----BEGIN PGP SIGNATURE-----\n(simulated)\n-----END PGP SIGNATURE-----\n",
			"payload": string(state.EncodeCommit(c)), "verified_at": ts(c.Committer.Date)}
	}
	return obj{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil}
}

// gitCommitJSON is the git-commit shape (GET /git/commits/{sha}).
func (l links) gitCommitJSON(repo state.Repo, c state.Commit) obj {
	full := repo.FullName()
	parents := []obj{}
	for _, p := range c.Parents {
		parents = append(parents, obj{"sha": p, "url": l.repoURL(full) + "/git/commits/" + p, "html_url": l.web + "/" + full + "/commit/" + p})
	}
	return obj{
		"sha": c.OID, "node_id": state.CommitNodeID(repo.ID, c.OID), "url": l.repoURL(full) + "/git/commits/" + c.OID,
		"html_url": l.web + "/" + full + "/commit/" + c.OID,
		"author":   sigJSON(c.Author), "committer": sigJSON(c.Committer), "message": c.Message,
		"tree":         obj{"sha": c.Tree, "url": l.repoURL(full) + "/git/trees/" + c.Tree},
		"parents":      parents,
		"verification": verificationJSON(c),
	}
}

// commitJSON is the commit shape (GET /commits/{ref}).
func (l links) commitJSON(repo state.Repo, c state.Commit, author *state.Account) obj {
	full := repo.FullName()
	parents := []obj{}
	for _, p := range c.Parents {
		parents = append(parents, obj{"sha": p, "url": l.repoURL(full) + "/commits/" + p, "html_url": l.web + "/" + full + "/commit/" + p})
	}
	inner := obj{
		"url": l.repoURL(full) + "/git/commits/" + c.OID, "author": sigJSON(c.Author), "committer": sigJSON(c.Committer),
		"message": c.Message, "comment_count": 0,
		"tree":         obj{"sha": c.Tree, "url": l.repoURL(full) + "/git/trees/" + c.Tree},
		"verification": verificationJSON(c),
	}
	var a any
	if author != nil {
		a = l.userJSON(*author)
	}
	return obj{
		"url": l.repoURL(full) + "/commits/" + c.OID, "sha": c.OID, "node_id": state.CommitNodeID(repo.ID, c.OID),
		"html_url": l.web + "/" + full + "/commit/" + c.OID, "comments_url": l.repoURL(full) + "/commits/" + c.OID + "/comments",
		"commit": inner, "author": a, "committer": nil, "parents": parents,
	}
}

// base64Lines encodes b as GitHub does in the contents API: standard
// base64 with a newline after every 60 characters.
func base64Lines(b []byte) string {
	enc := base64.StdEncoding.EncodeToString(b)
	var sb strings.Builder
	for len(enc) > 60 {
		sb.WriteString(enc[:60])
		sb.WriteByte('\n')
		enc = enc[60:]
	}
	sb.WriteString(enc)
	sb.WriteByte('\n')
	return sb.String()
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// contentJSON is a content-file (without content when dir listing).
func (l links) contentJSON(full, ref, path, typ, sha string, size int) obj {
	self := l.repoURL(full) + "/contents/" + escapePath(path) + "?ref=" + url.QueryEscape(ref)
	gitURL := l.repoURL(full) + "/git/blobs/" + sha
	kind := "blob"
	if typ == "dir" {
		gitURL = l.repoURL(full) + "/git/trees/" + sha
		kind = "tree"
	}
	html := l.web + "/" + full + "/" + kind + "/" + ref + "/" + escapePath(path)
	var download any
	if typ == "file" {
		download = l.web + "/" + full + "/raw/" + ref + "/" + escapePath(path)
	}
	name := path
	if i := strings.LastIndex(path, "/"); i >= 0 {
		name = path[i+1:]
	}
	return obj{"name": name, "path": path, "sha": sha, "size": size, "url": self, "html_url": html, "git_url": gitURL,
		"download_url": download, "type": typ, "_links": obj{"self": self, "git": gitURL, "html": html}}
}

func (l links) teamJSON(t state.Team) obj {
	u := fmt.Sprintf("%s/organizations/%d/team/%d", l.api, 1, t.ID)
	return obj{"id": t.ID, "node_id": t.NodeID, "url": u, "members_url": u + "/members{/member}", "name": t.Name,
		"description": nil, "permission": "pull", "privacy": "closed", "notification_setting": "notifications_enabled",
		"html_url": l.web + "/orgs/" + t.Org + "/teams/" + t.Slug, "repositories_url": u + "/repos", "slug": t.Slug,
		"type": "organization", "parent": nil}
}

func (s *Server) prJSON(l links, actor *state.Token, p state.PullRequest, full bool) obj {
	base, _ := s.world.RepoByID(nil, p.Base.RepoID)
	baseFull := p.Base.RepoName
	u := l.repoURL(baseFull) + fmt.Sprintf("/pulls/%d", p.Number)
	issue := l.repoURL(baseFull) + fmt.Sprintf("/issues/%d", p.Number)
	labels := []obj{}
	for _, lb := range p.Labels {
		labels = append(labels, l.labelJSON(baseFull, lb))
	}
	users := func(as []state.Account) []obj {
		out := []obj{}
		for _, a := range as {
			out = append(out, l.userJSON(a))
		}
		return out
	}
	teams := []obj{}
	for _, t := range p.RequestedTeams {
		teams = append(teams, l.teamJSON(t))
	}
	var assignee any
	if len(p.Assignees) > 0 {
		assignee = l.userJSON(p.Assignees[0])
	}
	var closed any
	if p.ClosedAt != nil {
		closed = ts(*p.ClosedAt)
	}
	var auto any
	if p.AutoMerge != nil {
		auto = obj{"enabled_by": l.userJSON(p.AutoMerge.EnabledBy), "merge_method": strings.ToLower(p.AutoMerge.MergeMethod),
			"commit_title": "", "commit_message": ""}
	}
	branch := func(b state.Branch) obj {
		var repo any
		if r, err := s.world.RepoByID(nil, b.RepoID); err == nil {
			repo = l.repoJSON(r, s.world.ViewerPermission(actor, r.ID))
		}
		owner, _ := s.world.Account(b.Owner)
		return obj{"label": b.Label(), "ref": b.Ref, "sha": b.SHA, "user": l.userJSON(owner), "repo": repo}
	}
	var body any
	if p.Body != "" {
		body = p.Body
	}
	o := obj{
		"url": u, "id": p.ID, "node_id": p.NodeID, "html_url": p.HTMLURL,
		"diff_url": p.HTMLURL + ".diff", "patch_url": p.HTMLURL + ".patch", "issue_url": issue,
		"commits_url": u + "/commits", "review_comments_url": u + "/comments",
		"review_comment_url": l.repoURL(baseFull) + "/pulls/comments{/number}", "comments_url": issue + "/comments",
		"statuses_url": l.repoURL(baseFull) + "/statuses/" + p.Head.SHA,
		"number":       p.Number, "state": p.State, "locked": false, "title": p.Title, "user": l.userJSON(p.User),
		"body": body, "labels": labels, "milestone": nil, "active_lock_reason": nil,
		"created_at": ts(p.CreatedAt), "updated_at": ts(p.UpdatedAt), "closed_at": closed, "merged_at": nil,
		"merge_commit_sha": nil, "assignee": assignee, "assignees": users(p.Assignees),
		"requested_reviewers": users(p.RequestedReviewers), "requested_teams": teams,
		"head": branch(p.Head), "base": branch(p.Base),
		"_links": obj{
			"self": obj{"href": u}, "html": obj{"href": p.HTMLURL}, "issue": obj{"href": issue},
			"comments": obj{"href": issue + "/comments"}, "review_comments": obj{"href": u + "/comments"},
			"review_comment": obj{"href": l.repoURL(baseFull) + "/pulls/comments{/number}"},
			"commits":        obj{"href": u + "/commits"}, "statuses": obj{"href": l.repoURL(baseFull) + "/statuses/" + p.Head.SHA},
		},
		"author_association": "MEMBER", "auto_merge": auto, "draft": p.Draft,
	}
	if full {
		mergeable := p.State == "open"
		state := "clean"
		if base.RequiredChecks {
			state = "blocked"
		}
		o["merged"] = false
		o["mergeable"] = mergeable
		o["rebaseable"] = mergeable
		o["mergeable_state"] = state
		o["merged_by"] = nil
		o["comments"] = 0
		o["review_comments"] = 0
		o["maintainer_can_modify"] = false
		o["commits"] = 1
		o["additions"] = 0
		o["deletions"] = 0
		o["changed_files"] = 0
	}
	return o
}
