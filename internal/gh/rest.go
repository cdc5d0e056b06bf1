package gh

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"
)

// ContentsPath returns the REST path of a file's contents,
// repos/{owner}/{repo}/contents/{path}, with each segment of path
// percent-escaped: "#", "?", "%" and spaces are part of the file's name,
// never a fragment, a query or an escape. GetContents and PutContents
// both use it, so a file is read and written under one name.
func ContentsPath(owner, repo, path string) string {
	return "repos/" + url.PathEscape(owner) + "/" + url.PathEscape(repo) + "/contents/" + escapeSegments(path)
}

// escapeSegments percent-escapes each "/"-separated segment of p.
func escapeSegments(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// GetContents reads a file at ref ("" = the default branch)
// (GET /repos/{owner}/{repo}/contents/{path},
// https://docs.github.com/rest/repos/contents#get-repository-content) and
// returns its bytes and blob sha. Files over 1 MB, whose content the
// endpoint leaves out, are read as blobs. A missing file gives an error
// wrapping ErrNotFound.
func (c *Client) GetContents(ctx context.Context, owner, repo, path, ref string) (content []byte, sha string, err error) {
	u := ContentsPath(owner, repo, path)
	if ref != "" {
		u += "?ref=" + url.QueryEscape(ref)
	}
	var raw json.RawMessage
	req, err := c.rest.NewRequest(http.MethodGet, u, nil)
	if err == nil {
		_, err = c.rest.Do(ctx, req, &raw)
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading %q in %s/%s: %w", path, owner, repo, restError(err))
	}
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
		var dir []json.RawMessage
		_ = json.Unmarshal(t, &dir)
		return nil, "", fmt.Errorf("reading %q in %s/%s: is a directory of %d entries, not a file", path, owner, repo, len(dir))
	}
	var file github.RepositoryContent
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, "", fmt.Errorf("reading %q in %s/%s: %w", path, owner, repo, err)
	}
	if file.GetType() != "" && file.GetType() != "file" {
		return nil, "", fmt.Errorf("reading %q in %s/%s: is a %s, not a file", path, owner, repo, file.GetType())
	}
	if file.GetEncoding() == "none" || (file.Content == nil && file.GetSize() > 0) {
		b, _, err := c.rest.Git.GetBlobRaw(ctx, owner, repo, file.GetSHA())
		if err != nil {
			return nil, "", fmt.Errorf("reading blob of %q in %s/%s: %w", path, owner, repo, restError(err))
		}
		return b, file.GetSHA(), nil
	}
	text, err := file.GetContent()
	if err != nil {
		return nil, "", fmt.Errorf("decoding %q in %s/%s: %w", path, owner, repo, err)
	}
	return []byte(text), file.GetSHA(), nil
}

// PutContents creates (sha "") or updates a file on branch ("" = the
// default branch) (PUT /repos/{owner}/{repo}/contents/{path},
// https://docs.github.com/rest/repos/contents#create-or-update-file-contents).
// A lost race, a 409 or a 422 about the sha, gives an error wrapping
// ErrConflict: re-read and try again.
func (c *Client) PutContents(ctx context.Context, owner, repo, path, branch string, content []byte, sha, message string) error {
	opts := &github.RepositoryContentFileOptions{
		Message: github.String(message),
		Content: content,
	}
	if sha != "" {
		opts.SHA = github.String(sha)
	}
	if branch != "" {
		opts.Branch = github.String(branch)
	}
	req, err := c.rest.NewRequest(http.MethodPut, ContentsPath(owner, repo, path), opts)
	if err == nil {
		_, err = c.rest.Do(ctx, req, nil)
	}
	if err == nil {
		return nil
	}
	if isContentsConflict(err) {
		err = fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return fmt.Errorf("writing %q in %s/%s: %w", path, owner, repo, restError(err))
}

func isContentsConflict(err error) bool {
	switch statusOf(err) {
	case http.StatusConflict:
		return true
	case http.StatusUnprocessableEntity:
		var er *github.ErrorResponse
		if !errors.As(err, &er) {
			return false
		}
		if strings.Contains(strings.ToLower(er.Message), "sha") {
			return true
		}
		for _, e := range er.Errors {
			if e.Field == "sha" || strings.Contains(strings.ToLower(e.Message), "sha") {
				return true
			}
		}
	}
	return false
}
