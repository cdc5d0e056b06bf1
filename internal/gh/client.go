package gh

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"
)

// HTTPError is a GraphQL answer with a status other than 200.
type HTTPError struct {
	StatusCode int
	Message    string // the body's "message", or its first bytes
}

func (e *HTTPError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("HTTP %d", e.StatusCode)
	}
	return fmt.Sprintf("HTTP %d: %s", e.StatusCode, e.Message)
}

// GraphQLError is one entry of a GraphQL answer's errors[], with the type
// and path that githubv4 drops.
type GraphQLError struct {
	Type    string   // e.g. NOT_FOUND, STALE_DATA, FORBIDDEN, UNPROCESSABLE; may be empty
	Path    []string // e.g. ["r0"] or ["commit"]; list indices as decimal strings
	Message string
}

func (e *GraphQLError) Error() string {
	var b strings.Builder
	if len(e.Path) > 0 {
		b.WriteString(strings.Join(e.Path, "."))
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Type != "" {
		fmt.Fprintf(&b, " (%s)", e.Type)
	}
	return b.String()
}

// UnmarshalJSON decodes a GraphQL error, turning path indices to strings.
func (e *GraphQLError) UnmarshalJSON(b []byte) error {
	var raw struct {
		Type    string `json:"type"`
		Path    []any  `json:"path"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	e.Type, e.Message, e.Path = raw.Type, raw.Message, nil
	for _, p := range raw.Path {
		switch v := p.(type) {
		case string:
			e.Path = append(e.Path, v)
		case float64:
			e.Path = append(e.Path, fmt.Sprint(int64(v)))
		default:
			e.Path = append(e.Path, fmt.Sprint(v))
		}
	}
	return nil
}

// alias is the first path element: the top-level field the error belongs to.
func (e *GraphQLError) alias() string {
	if len(e.Path) == 0 {
		return ""
	}
	return e.Path[0]
}

// isTimeout reports whether err is GitHub giving up on a heavy request:
// 502, 504 or "Something went wrong while executing your query".
func isTimeout(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode == http.StatusBadGateway || he.StatusCode == http.StatusGatewayTimeout
	}
	var ge *GraphQLError
	if errors.As(err, &ge) {
		return isSomethingWentWrong(ge.Message)
	}
	return false
}

// New returns a Client. It checks the options (URLs parse, token present)
// but sends no request. An empty APIURL means https://api.github.com/; an
// empty GraphQLURL is derived from APIURL (".../api/v3/" becomes
// ".../api/graphql", as on GitHub Enterprise Server).
func New(opts Options) (*Client, error) {
	if strings.TrimSpace(opts.Token) == "" {
		return nil, errors.New("github client: token is empty")
	}
	if opts.APIURL == "" {
		opts.APIURL = "https://api.github.com/"
	}
	if !strings.HasSuffix(opts.APIURL, "/") {
		opts.APIURL += "/"
	}
	api, err := parseHTTPURL(opts.APIURL)
	if err != nil {
		return nil, fmt.Errorf("github client: API URL %q: %w", opts.APIURL, err)
	}
	if opts.GraphQLURL == "" {
		opts.GraphQLURL = graphQLURLFor(api)
	}
	if _, err := parseHTTPURL(opts.GraphQLURL); err != nil {
		return nil, fmt.Errorf("github client: GraphQL URL %q: %w", opts.GraphQLURL, err)
	}
	tr := NewTransport(opts)
	hc := &http.Client{Transport: tr}
	if opts.HTTPClient != nil {
		hc.Timeout = opts.HTTPClient.Timeout
		hc.CheckRedirect = opts.HTTPClient.CheckRedirect
		hc.Jar = opts.HTTPClient.Jar
	}
	rest := github.NewClient(hc)
	rest.BaseURL = api
	if opts.UserAgent != "" {
		rest.UserAgent = opts.UserAgent
	}
	return &Client{opts: opts, http: hc, rest: rest, transport: tr}, nil
}

func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("scheme must be http or https")
	}
	if u.Host == "" {
		return nil, errors.New("host is missing")
	}
	return u, nil
}

func graphQLURLFor(api *url.URL) string {
	u := *api
	switch {
	case strings.HasSuffix(u.Path, "/api/v3/"):
		u.Path = strings.TrimSuffix(u.Path, "v3/") + "graphql"
	default:
		u.Path = strings.TrimSuffix(u.Path, "/") + "/graphql"
	}
	return u.String()
}

// Transport returns the client's rate-limit transport.
func (c *Client) Transport() *Transport { return c.transport }

// graphQLAnswer is a decoded GraphQL answer: data (possibly partial) and
// the errors, typed.
type graphQLAnswer struct {
	Data   map[string]json.RawMessage
	Errors []*GraphQLError
}

// errorsFor returns the errors whose path starts at alias.
func (a *graphQLAnswer) errorsFor(alias string) []*GraphQLError {
	var out []*GraphQLError
	for _, e := range a.Errors {
		if e.alias() == alias {
			out = append(out, e)
		}
	}
	return out
}

// postGraphQL sends one GraphQL document. A status other than 200 is an
// *HTTPError; a 200 with data null and errors is the first *GraphQLError
// (all of them are joined); partial answers come back whole, for the
// caller to read per alias.
func (c *Client) postGraphQL(ctx context.Context, query string) (*graphQLAnswer, error) {
	payload, err := json.Marshal(struct {
		Query string `json:"query"`
	}{query})
	if err != nil {
		return nil, fmt.Errorf("encoding GraphQL request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opts.GraphQLURL, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("building GraphQL request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if strings.Contains(query, "updateRefs(") {
		// GitHub Enterprise Server releases that still have updateRefs
		// as a schema preview refuse it without the preview's media type
		// (docs.github.com graphql/overview/schema-previews, "Update refs
		// preview"); servers where it graduated ignore it.
		req.Header.Set("Accept", "application/json, "+updateRefsPreview)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("posting GraphQL: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading GraphQL answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		he := &HTTPError{StatusCode: resp.StatusCode}
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &m) == nil && m.Message != "" {
			he.Message = m.Message
		} else {
			he.Message = strings.TrimSpace(string(body[:min(len(body), 200)]))
		}
		return nil, he
	}
	var raw struct {
		Data   json.RawMessage `json:"data"`
		Errors []*GraphQLError `json:"errors"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("decoding GraphQL answer: %w", err)
	}
	ans := &graphQLAnswer{Errors: raw.Errors}
	if len(raw.Data) > 0 && string(raw.Data) != "null" {
		if err := json.Unmarshal(raw.Data, &ans.Data); err != nil {
			return nil, fmt.Errorf("decoding GraphQL data: %w", err)
		}
	}
	if ans.Data == nil && len(ans.Errors) > 0 {
		errs := make([]error, len(ans.Errors))
		for i, e := range ans.Errors {
			errs[i] = e
		}
		if len(errs) == 1 {
			return nil, errs[0]
		}
		return nil, errors.Join(errs...)
	}
	return ans, nil
}

// updateRefsPreview is the media type of the updateRefs schema preview.
const updateRefsPreview = "application/vnd.github.update-refs-preview+json"

// quote writes s as a GraphQL string literal. JSON string syntax is a
// subset of GraphQL's, so encoding/json does the escaping.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// restError maps a go-github error: 404 wraps ErrNotFound.
func restError(err error) error {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

func statusOf(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) && rl.Response != nil {
		return rl.Response.StatusCode
	}
	var ab *github.AbuseRateLimitError
	if errors.As(err, &ab) && ab.Response != nil {
		return ab.Response.StatusCode
	}
	return 0
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// GraphQLURL returns the GraphQL endpoint the client posts to.
func (c *Client) GraphQLURL() string { return c.opts.GraphQLURL }
