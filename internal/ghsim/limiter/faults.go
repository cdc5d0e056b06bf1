package limiter

import (
	"net/http"
	"time"
)

// faultState is a configured fault and its counters.
type faultState struct {
	Fault
	matcher matcher
	n       int // matching requests seen
	fired   int
}

// pickFaults decides, with m.mu held, which faults hit the request: the sum
// of the latencies to sleep and the first answering fault, if any. Every
// fault counts every request it matches, and rate draws happen in the same
// order for the same requests, so a run with one seed is reproducible.
func (m *Middleware) pickFaults(r *http.Request, q *request) (time.Duration, *Fault, bool) {
	var latency time.Duration
	var answer *Fault
	var sso bool
	for i := range m.faults {
		fs := &m.faults[i]
		if (fs.Kind == FaultGraphQLError || fs.Kind == FaultResourceLimits) && !q.graphql {
			continue
		}
		if !fs.matcher.match(r.Method, q) {
			continue
		}
		fs.n++
		var hit bool
		switch {
		case fs.When != nil:
			hit = fs.When(r, fs.n)
		case fs.From > 0:
			to := fs.To
			if to == 0 {
				to = fs.From
			}
			hit = fs.From <= fs.n && fs.n <= to
		case fs.Rate > 0:
			hit = m.rng.Float64() < fs.Rate
		default:
			hit = true
		}
		if !hit || (fs.Once && fs.fired > 0) {
			continue
		}
		if fs.Kind == FaultLatency {
			latency += time.Duration(fs.Latency)
		} else if fs.Kind == FaultSSOPartial {
			sso = true
		} else if answer == nil {
			answer = &fs.Fault
		} else {
			continue
		}
		fs.fired++
		m.stats.fault(fs.Kind)
	}
	return latency, answer, sso
}

// ssoPartialResults is the X-GitHub-SSO header of an answer that left out
// organisations whose SAML single sign-on the token is not authorised for,
// with the example ids of GitHub's docs
// (content/rest/authentication/authenticating-to-the-rest-api.md: "the API
// will not return results from the organizations that require SAML SSO and
// the X-GitHub-SSO header will indicate the ID of the organizations").
const ssoPartialResults = "partial-results; organizations=21955855,20582480"
