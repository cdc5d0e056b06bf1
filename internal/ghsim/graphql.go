package ghsim

import (
	"net/http"

	"github.com/dfiu/dfiu/internal/clock"
	"github.com/dfiu/dfiu/internal/ghsim/graphql"
	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// defaultGraphQL returns the simulator's GraphQL handler.
func defaultGraphQL(w *state.World, clk clock.Clock) http.Handler {
	return graphql.NewHandler(w, graphql.Options{Clock: clk})
}
