package limiter

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Documentation URLs GitHub sends with rate-limit refusals. go-github v60
// recognises a secondary refusal by the suffix "secondary-rate-limits".
const (
	primaryDocURL   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-rate-limits"
	secondaryDocURL = "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

type restError struct {
	Message          string `json:"message"`
	DocumentationURL string `json:"documentation_url,omitempty"`
}

type graphqlError struct {
	Type    string `json:"type,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed shapes of strings are marshalled
	}
	return b
}

// subject names the caller in a primary-limit message: "user ID N", or the
// IP address of an unauthenticated caller.
func (m *Middleware) subject(q *request) string {
	if q.token == "" {
		return strings.TrimPrefix(q.caller, "ip:")
	}
	return "user ID " + strconv.FormatInt(m.userID(q.token), 10)
}

func (m *Middleware) refusePrimary(w http.ResponseWriter, q *request, lim *Limits) {
	msg := "API rate limit exceeded for " + m.subject(q) + "."
	if q.token == "" {
		msg += " (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
	}
	if q.graphql {
		switch lim.GraphQLPrimary {
		case GraphQLRateLimit:
			writeJSON(w, http.StatusOK, marshal(map[string][]graphqlError{"errors": {{
				Type: "RATE_LIMIT", Code: "graphql_rate_limit",
				Message: "API rate limit already exceeded for " + m.subject(q) + ".",
			}}}))
			return
		case GraphQLPrimary403:
		default:
			writeJSON(w, http.StatusOK, marshal(map[string][]graphqlError{"errors": {{Type: "RATE_LIMITED", Message: msg}}}))
			return
		}
	}
	status := http.StatusForbidden
	if lim.PrimaryStatus == http.StatusTooManyRequests && !q.graphql {
		status = http.StatusTooManyRequests
	}
	writeJSON(w, status, marshal(restError{Message: msg, DocumentationURL: primaryDocURL}))
}

func (m *Middleware) refuseSecondary(w http.ResponseWriter, q *request, lim *Limits, id string, retryAfter time.Duration) {
	secs := int64((retryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	msg := "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID " + id + "."
	if q.graphql && lim.GraphQLSecondary == GraphQLSecondary200 {
		writeJSON(w, http.StatusOK, marshal(map[string][]graphqlError{"errors": {{Type: "RATE_LIMITED", Message: msg}}}))
		return
	}
	status := http.StatusForbidden
	if lim.SecondaryStatus == http.StatusTooManyRequests && !q.graphql {
		status = http.StatusTooManyRequests
	}
	writeJSON(w, status, marshal(restError{Message: msg, DocumentationURL: secondaryDocURL}))
}

// statusBodies are GitHub-like bodies of server errors.
var statusBodies = map[int]restError{
	500: {Message: "Server Error"},
	502: {Message: "Server Error"},
	503: {Message: "Service Unavailable"},
	504: {Message: "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists."},
}

// inject answers with fault f.
func inject(w http.ResponseWriter, f *Fault, id string) {
	switch f.Kind {
	case FaultStatus:
		body, ok := statusBodies[f.Status]
		if !ok {
			body = restError{Message: http.StatusText(f.Status)}
		}
		writeJSON(w, f.Status, marshal(body))
	case FaultGraphQLError:
		writeJSON(w, http.StatusOK, marshal(struct {
			Data   *struct{}      `json:"data"`
			Errors []graphqlError `json:"errors"`
		}{nil, []graphqlError{{Message: "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug. Please include `" + id + "` when reporting this issue."}}}))
	case FaultResourceLimits:
		writeJSON(w, http.StatusOK, marshal(struct {
			Data   *struct{}      `json:"data"`
			Errors []graphqlError `json:"errors"`
		}{nil, []graphqlError{{Type: "RESOURCE_LIMITS_EXCEEDED", Message: "Resource limits for this query exceeded."}}}))
	case FaultReset:
		resetConnection(w)
	}
}

// resetConnection closes the client's connection without an answer: with a
// TCP reset when the connection can be hijacked, else by aborting the
// handler.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}
