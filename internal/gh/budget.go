package gh

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// WriteLimit is one of GitHub's content-creation limits: at most N
// content-creating requests in any span of Per.
type WriteLimit struct {
	N   int
	Per time.Duration
}

// String writes l as the write-limits input spells it, e.g. "80/1m".
func (l WriteLimit) String() string {
	return strconv.Itoa(l.N) + "/" + shortDuration(l.Per)
}

// shortDuration is d as time.Duration prints it, without the zero units
// ("1m" for 1m0s, "1h" for 1h0m0s).
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// DefaultWriteLimits are GitHub's documented secondary limits on content
// creation: "No more than 80 content-generating requests per minute and no
// more than 500 content-generating requests per hour"
// (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits).
var DefaultWriteLimits = []WriteLimit{{N: 80, Per: time.Minute}, {N: 500, Per: time.Hour}}

// ErrTimeBudget: a request would have had to wait past the client's
// Deadline (the time-budget input), so it was not sent.
var ErrTimeBudget = errors.New("time budget spent")

// writeBudget holds the content-creation budget of one token: a log of the
// times at which content-creating units were (or will be) sent, so that no
// span of a limit's Per (plus a safety margin for the time a request takes
// to reach GitHub) holds more than its N. A sliding log never exceeds a
// limit however GitHub aligns its windows. Units are also spaced evenly at
// the pace of the fastest limit (80 a minute: 750 ms apart), so that a
// burst never hits a window GitHub counts more finely.
type writeBudget struct {
	limits []WriteLimit
	gap    time.Duration // per unit
	log    []time.Time   // ascending
	next   time.Time     // earliest time the next unit may go
}

func newWriteBudget(limits []WriteLimit) *writeBudget {
	b := &writeBudget{}
	for _, l := range limits {
		if l.N > 0 && l.Per > 0 {
			b.limits = append(b.limits, l)
		}
	}
	if len(b.limits) == 0 {
		b.limits = append(b.limits, DefaultWriteLimits...)
	}
	for _, l := range b.limits {
		if g := max(l.Per/time.Duration(l.N), 1); b.gap == 0 || g < b.gap {
			b.gap = g
		}
	}
	return b
}

// margin is added to each limit's span: a request that left us at t may
// reach GitHub a little later, so a slot is reused only once GitHub has
// surely seen the span end (1% of the span, at most a second).
func margin(per time.Duration) time.Duration { return min(per/100, time.Second) }

// reserve books n units at the earliest time not before now at which every
// limit allows them, and returns that time. When it falls after deadline
// (unless deadline is zero) nothing is booked and ok is false. A request
// worth more units than a limit allows waits for an empty span.
func (b *writeBudget) reserve(now time.Time, n int, deadline time.Time) (at time.Time, ok bool) {
	if n <= 0 {
		return now, true
	}
	at = now
	if b.next.After(at) {
		at = b.next
	}
	for _, l := range b.limits {
		keep := l.N - min(n, l.N) // units that may stay in the span
		if len(b.log) > keep {
			// The (keep+1)-th newest unit must have left the span.
			if t := b.log[len(b.log)-keep-1].Add(l.Per + margin(l.Per)); t.After(at) {
				at = t
			}
		}
	}
	if !deadline.IsZero() && at.After(deadline) {
		return at, false
	}
	for range n {
		b.log = append(b.log, at)
	}
	b.next = at.Add(time.Duration(n) * b.gap)
	b.trim(at)
	return at, true
}

// trim drops the units that no limit's span can still hold at now.
func (b *writeBudget) trim(now time.Time) {
	var longest time.Duration
	for _, l := range b.limits {
		longest = max(longest, l.Per+margin(l.Per))
	}
	i := 0
	for i < len(b.log) && !b.log[i].After(now.Add(-longest)) {
		i++
	}
	if i > 0 {
		b.log = append(b.log[:0], b.log[i:]...)
	}
}
