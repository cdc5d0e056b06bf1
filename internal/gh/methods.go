package gh

import "context"

// This file is the agreed method set. Each body is replaced by the real
// implementation; signatures stay.

// New returns a Client. It checks the options (URLs parse, token present)
// but sends no request.
func New(opts Options) (*Client, error) { return &Client{opts: opts}, nil }

// SearchCode runs the code searches of q (GET /search/code), paginating at
// 100 per page and splitting any query that reaches the 1,000-result cap.
func (c *Client) SearchCode(ctx context.Context, q CodeQuery) (*SearchResult, error) {
	return nil, ErrNotReady
}

// Hydrate reads the repositories in batches of batchSize (0 means 40), one
// aliased GraphQL query per batch, halving a batch that times out. Users and
// teams ("org/slug") are resolved to node ids in the same queries.
func (c *Client) Hydrate(ctx context.Context, reqs []RepoRequest, users, teams []string, batchSize int) (*HydrateResult, error) {
	return nil, ErrNotReady
}

// ListFiles lists the blobs of ref's tree recursively
// (GET /repos/{owner}/{repo}/git/trees/{ref}?recursive=1).
func (c *Client) ListFiles(ctx context.Context, owner, repo, ref string) (entries []TreeEntry, truncated bool, err error) {
	return nil, false, ErrNotReady
}

// Propose commits in.Files on in.Branch (creating the branch at BaseOID, or
// resetting it there) and opens or updates the pull request, in one mutation
// document. A moved branch gives an error wrapping ErrStale.
func (c *Client) Propose(ctx context.Context, in ProposeInput) (*ProposeResult, error) {
	return nil, ErrNotReady
}

// UpdatePR sets a pull request's title and body.
func (c *Client) UpdatePR(ctx context.Context, prID, title, body string) error {
	return ErrNotReady
}

// Decorate adds labels, reviewers (union), assignees and auto-merge to a
// pull request in one mutation document. Tolerable refusals (auto-merge on
// a PR already in clean status, or not allowed) come back as notes, not
// errors.
func (c *Client) Decorate(ctx context.Context, d Decoration) (notes []string, err error) {
	return nil, ErrNotReady
}

// GetContents reads a file (GET /repos/{owner}/{repo}/contents/{path}).
// A missing file gives an error wrapping ErrNotFound.
func (c *Client) GetContents(ctx context.Context, owner, repo, path, ref string) (content []byte, sha string, err error) {
	return nil, "", ErrNotReady
}

// PutContents creates (sha "") or updates a file on branch
// (PUT /repos/{owner}/{repo}/contents/{path}). A lost race gives an error
// wrapping ErrConflict.
func (c *Client) PutContents(ctx context.Context, owner, repo, path, branch string, content []byte, sha, message string) error {
	return ErrNotReady
}
