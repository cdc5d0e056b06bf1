package gh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/google/go-github/v60/github"
)

// Errors Preflight returns, for callers to name the input at fault.
var (
	// ErrBadCredentials: GitHub answered 401 "Bad credentials". GitHub gives
	// the same answer for a token that never existed, one that was revoked
	// and one that expired.
	ErrBadCredentials = errors.New("GitHub refused the token (401 Bad credentials): it is unknown, revoked or expired")
	// ErrForbidden: GitHub answered 403 without a rate limit: the token is
	// valid but lacks a permission (e.g. "Resource not accessible by
	// integration").
	ErrForbidden = errors.New("the token lacks a permission")
)

// EndpointError is an endpoint that did not answer as GitHub does: the
// connection failed, or the answer was not GitHub's.
type EndpointError struct {
	API string // "REST" or "GraphQL"
	URL string
	Err error
}

func (e *EndpointError) Error() string {
	return fmt.Sprintf("the %s endpoint %s does not answer as GitHub does: %v", e.API, e.URL, e.Err)
}

func (e *EndpointError) Unwrap() error { return e.Err }

// PreflightRepo is a repository a run must be able to read (and, for the
// store, write): its existence, the branch and the file are checked.
type PreflightRepo struct {
	Owner, Name string
	Branch      string // "" = the default branch
	Path        string // "" = no file to check
}

// PreflightRepoState is what GitHub says of a PreflightRepo.
type PreflightRepoState struct {
	Found         bool
	Archived      bool
	Permission    string // ADMIN … READ, or "" when GitHub does not say (GitHub Apps)
	DefaultBranch string
	BranchFound   bool // Branch (or the default branch) exists
	FileFound     bool // Path exists on that branch
}

// PreflightResult is the answer to Preflight.
type PreflightResult struct {
	Viewer        string               // the token's login
	MissingOwners []string             // owners that are neither an organisation nor a user
	Repos         []PreflightRepoState // in the order asked
}

// failFastKey marks a context whose requests are not retried after a
// connection error: at preflight a closed port or unknown host is a
// configuration error, not a transient one.
type failFastKey struct{}

// Preflight checks, before a run writes anything, that both endpoints
// answer as GitHub does and accept the token, that the owners exist and
// what the token may do in repos. It sends two requests: GET /rate_limit
// on the REST API (https://docs.github.com/rest/rate-limit/rate-limit,
// which "does not count against your primary rate limit" and answers 401
// to a token GitHub refuses) and one GraphQL query (viewer,
// repositoryOwner per owner, repository per repo). Connection errors are
// not retried.
//
// A 401 from either endpoint wraps ErrBadCredentials; a connection error, a
// 404 or an answer that is not GitHub's JSON is an *EndpointError.
func (c *Client) Preflight(ctx context.Context, owners []string, repos []PreflightRepo) (*PreflightResult, error) {
	ctx = context.WithValue(ctx, failFastKey{}, true)
	if err := c.endpointError("REST", c.rest.BaseURL.String(), c.getRateLimit(ctx)); err != nil {
		return nil, err
	}
	ans, err := c.postGraphQL(ctx, buildPreflightQuery(owners, repos))
	if err := c.endpointError("GraphQL", c.opts.GraphQLURL, err); err != nil {
		return nil, err
	}
	res := &PreflightResult{}
	var v struct {
		Login string `json:"login"`
	}
	if raw := ans.Data["viewer"]; len(raw) == 0 || json.Unmarshal(raw, &v) != nil || v.Login == "" {
		return nil, &EndpointError{API: "GraphQL", URL: c.opts.GraphQLURL, Err: errors.New("the answer has no viewer")}
	}
	res.Viewer = v.Login
	for i, o := range owners {
		if raw := ans.Data[fmt.Sprintf("o%d", i)]; len(raw) == 0 || string(raw) == "null" {
			res.MissingOwners = append(res.MissingOwners, o)
		}
	}
	for i, r := range repos {
		alias := fmt.Sprintf("r%d", i)
		var rj struct {
			IsArchived       bool    `json:"isArchived"`
			ViewerPermission *string `json:"viewerPermission"`
			DefaultBranchRef *struct {
				Name string `json:"name"`
			} `json:"defaultBranchRef"`
			Branch *struct {
				Name string `json:"name"`
			} `json:"branch"`
			File *struct {
				OID string `json:"oid"`
			} `json:"file"`
		}
		st := PreflightRepoState{}
		if raw := ans.Data[alias]; len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &rj); err != nil {
				return nil, fmt.Errorf("preflight: decoding %s/%s: %w", r.Owner, r.Name, err)
			}
			st.Found, st.Archived = true, rj.IsArchived
			if rj.ViewerPermission != nil {
				st.Permission = *rj.ViewerPermission
			}
			if rj.DefaultBranchRef != nil {
				st.DefaultBranch = rj.DefaultBranchRef.Name
			}
			st.BranchFound = (r.Branch == "" && st.DefaultBranch != "") || (r.Branch != "" && rj.Branch != nil)
			st.FileFound = rj.File != nil && rj.File.OID != ""
		} else if errs := ans.errorsFor(alias); len(errs) > 0 && errs[0].Type != "NOT_FOUND" {
			return nil, fmt.Errorf("preflight: reading %s/%s: %w", r.Owner, r.Name, errs[0])
		}
		res.Repos = append(res.Repos, st)
	}
	return res, nil
}

// getRateLimit sends GET /rate_limit and checks that the answer is
// GitHub's. It does not go through go-github, which would remember the
// limits in the body against the wall clock and then refuse requests
// itself (the transport waits for limits, on the injected clock).
func (c *Client) getRateLimit(ctx context.Context) error {
	u := c.rest.BaseURL.String() + "rate_limit"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	var ans struct {
		Message   string                     `json:"message"`
		Resources map[string]json.RawMessage `json:"resources"`
	}
	decoded := json.Unmarshal(body, &ans) == nil
	if resp.StatusCode != http.StatusOK {
		msg := ans.Message
		if !decoded || msg == "" {
			msg = strings.TrimSpace(string(body[:min(len(body), 200)]))
		}
		return fmt.Errorf("GET %s: %w", u, &HTTPError{StatusCode: resp.StatusCode, Message: msg})
	}
	if !decoded || ans.Resources["core"] == nil {
		return fmt.Errorf("GET %s: the answer is not GitHub's rate limits", u)
	}
	return nil
}

func buildPreflightQuery(owners []string, repos []PreflightRepo) string {
	var b strings.Builder
	b.WriteString("query {\n  viewer { login }\n")
	for i, o := range owners {
		fmt.Fprintf(&b, "  o%d: repositoryOwner(login: %s) { login }\n", i, quote(o))
	}
	for i, r := range repos {
		fmt.Fprintf(&b, "  r%d: repository(owner: %s, name: %s) {\n", i, quote(r.Owner), quote(r.Name))
		b.WriteString("    isArchived viewerPermission defaultBranchRef { name }\n")
		rev := "HEAD"
		if r.Branch != "" {
			fmt.Fprintf(&b, "    branch: ref(qualifiedName: %s) { name }\n", quote("refs/heads/"+r.Branch))
			rev = r.Branch
		}
		if r.Path != "" {
			fmt.Fprintf(&b, "    file: object(expression: %s) { oid }\n", quote(rev+":"+r.Path))
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// endpointError classifies a preflight request's error: nil, a 401
// (ErrBadCredentials), a 403 that is not a rate limit (ErrForbidden),
// or an *EndpointError.
func (c *Client) endpointError(api, url string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	status := statusOf(err)
	var he *HTTPError
	if errors.As(err, &he) {
		status = he.StatusCode
	}
	switch {
	case isRESTRateLimit(err):
		return fmt.Errorf("%s %s: %w", api, url, err)
	case status == http.StatusUnauthorized:
		return fmt.Errorf("%s %s: %w", api, url, ErrBadCredentials)
	case status == http.StatusForbidden:
		return fmt.Errorf("%s %s: %w: %w", api, url, ErrForbidden, err)
	}
	var ge *GraphQLError
	if errors.As(err, &ge) {
		return fmt.Errorf("preflight: %w", err)
	}
	return &EndpointError{API: api, URL: url, Err: err}
}

// isDialError reports whether err is a failure to connect (connection
// refused, unknown host, no route), as opposed to a connection that broke.
func isDialError(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// isRESTRateLimit reports whether err is go-github's rate-limit error.
func isRESTRateLimit(err error) bool {
	var rl *github.RateLimitError
	var ab *github.AbuseRateLimitError
	return errors.As(err, &rl) || errors.As(err, &ab)
}

// TokenProblem returns ErrBadCredentials when err is GitHub refusing the
// token (401), ErrForbidden when it is GitHub refusing the token a
// permission (a 403 that is not a rate limit, or a GraphQL error of type
// FORBIDDEN), and nil otherwise. Installation tokens expire after an hour,
// so a long run can meet the first in its middle.
func TokenProblem(err error) error {
	if err == nil || isRESTRateLimit(err) {
		return nil
	}
	status := statusOf(err)
	var he *HTTPError
	if errors.As(err, &he) {
		status = he.StatusCode
	}
	switch status {
	case http.StatusUnauthorized:
		return ErrBadCredentials
	case http.StatusForbidden:
		if !strings.Contains(strings.ToLower(err.Error()), "rate limit") {
			return ErrForbidden
		}
		return nil
	}
	if ge := (*GraphQLError)(nil); errors.As(err, &ge) && ge.Type == "FORBIDDEN" {
		return ErrForbidden
	}
	return nil
}
