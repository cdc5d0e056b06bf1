package ghsim

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dfiu/dfiu/internal/ghsim/limiter"
	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// SetIncompleteResults makes code search report incomplete_results: true
// (GitHub does after a search timeout), or stops it.
func (s *Server) SetIncompleteResults(on bool) { s.incomplete.Store(on) }

func (s *Server) incompleteResults() bool { return s.incomplete.Load() }

// SetTreeLimit sets how many entries a recursive tree listing holds before
// it is truncated (0: GitHub's 100,000); tests lower it to exercise
// truncated: true without a monorepo.
func (s *Server) SetTreeLimit(n int) { s.treeLimit.Store(int64(n)) }

// SetSearchRepoCap sets how many repositories one code search considers
// (0: GitHub's 4,000); tests lower it to exercise the cap.
func (s *Server) SetSearchRepoCap(n int) {
	if n <= 0 {
		n = state.SearchRepoCap
	}
	s.world.SetSearchRepoCap(n)
}

// serveAdmin serves the admin API under /_sim/ (admin token required):
//
//	GET  /_sim/stats        request counters (limiter.Stats)
//	POST /_sim/stats/reset  zero the counters
//	POST /_sim/seed         add state (a Seed in YAML or JSON)
//	GET  /_sim/limits       the limits and faults in force (limiter.Config)
//	PUT  /_sim/limits       replace them (limiter.Config in JSON or YAML)
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if tokenFrom(r) != s.adminToken {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": docsURL})
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /_sim/stats":
		writeJSON(w, http.StatusOK, s.Stats())
	case "POST /_sim/stats/reset":
		s.lim.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	case "POST /_sim/seed":
		b, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err != nil {
			writeError(w, http.StatusBadRequest, "reading seed: "+err.Error())
			return
		}
		seed, err := ParseSeed(b)
		if err == nil {
			err = s.Seed(seed)
		}
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "GET /_sim/limits":
		writeJSON(w, http.StatusOK, s.lim.Config())
	case "PUT /_sim/limits":
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			writeError(w, http.StatusBadRequest, "reading limits: "+err.Error())
			return
		}
		cfg, err := parseLimits(b)
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		s.lim.SetConfig(cfg)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusNotFound, "Not Found")
	}
}

// parseLimits reads a limiter.Config in YAML or JSON and validates it.
func parseLimits(b []byte) (limiter.Config, error) {
	var cfg limiter.Config
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return limiter.Config{}, fmt.Errorf("parsing limits: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return limiter.Config{}, fmt.Errorf("invalid limits: %w", err)
	}
	return cfg, nil
}
