package ghsimtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dfiu/dfiu/internal/testshared"
)

// FixturesDir is the directory of recorded api.github.com sessions
// (octokit/fixtures) inside ../shared.
const FixturesDir = "github-api/fixtures"

// Recorded is one request and response of a recorded session, in nock's
// format as octokit/fixtures stores it in raw-fixture.json.
type Recorded struct {
	Scope  string `json:"scope"`
	Method string `json:"method"`
	// Path is the request path with its query string, e.g.
	// "/repos/o/r/issues?per_page=3".
	Path string `json:"path"`
	// Body is the request body: a JSON value, or "" when there was none.
	Body   json.RawMessage `json:"body"`
	Status int             `json:"status"`
	// Response is the response body: a JSON value, or a JSON string holding
	// a raw body (e.g. for application/vnd.github.v3.raw).
	Response json.RawMessage `json:"response"`
	// RawHeaders are the response headers as a flat name, value, … list.
	RawHeaders []string       `json:"rawHeaders"`
	ReqHeaders map[string]any `json:"reqheaders"`
}

// Header returns the recorded response headers.
func (r Recorded) Header() http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(r.RawHeaders); i += 2 {
		h.Add(r.RawHeaders[i], r.RawHeaders[i+1])
	}
	return h
}

// RequestHeader returns a recorded request header ("" when absent).
func (r Recorded) RequestHeader(name string) string {
	for k, v := range r.ReqHeaders {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// Setup reports whether octokit marked the call as scenario setup or
// teardown (X-Octokit-Fixture-Ignore), not part of what the scenario shows.
func (r Recorded) Setup() bool {
	return r.RequestHeader("x-octokit-fixture-ignore") == "true"
}

// RequestBody returns the request body as sent: nil when there was none.
func (r Recorded) RequestBody() []byte {
	if isEmptyJSONString(r.Body) {
		return nil
	}
	return r.Body
}

// ResponseBody returns the response body as GitHub sent it: JSON as
// recorded, a raw body unquoted, nil when empty.
func (r Recorded) ResponseBody() []byte {
	if isEmptyJSONString(r.Response) {
		return nil
	}
	if len(r.Response) > 0 && r.Response[0] == '"' {
		var s string
		if err := json.Unmarshal(r.Response, &s); err == nil {
			return []byte(s)
		}
	}
	return r.Response
}

func isEmptyJSONString(b json.RawMessage) bool {
	s := strings.TrimSpace(string(b))
	return s == "" || s == `""` || s == "null"
}

// FixturesPath returns the directory of recorded sessions beside the clone,
// or an error wrapping ErrNoDescription when it is absent.
func FixturesPath() (string, error) {
	return testshared.Path(FixturesDir)
}

// Scenarios returns the names of the recorded scenarios, sorted.
func Scenarios() ([]string, error) {
	dir, err := FixturesPath()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing fixtures %q: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// LoadFixture reads <scenario>/raw-fixture.json.
func LoadFixture(scenario string) ([]Recorded, error) {
	dir, err := FixturesPath()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, scenario, "raw-fixture.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading fixture %q: %w", path, err)
	}
	var recs []Recorded
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, fmt.Errorf("decoding fixture %q: %w", path, err)
	}
	for i, r := range recs {
		if r.Method == "" || r.Path == "" || r.Status == 0 {
			return nil, fmt.Errorf("fixture %q: entry %d lacks method, path or status", path, i)
		}
		recs[i].Method = strings.ToUpper(r.Method)
	}
	return recs, nil
}
