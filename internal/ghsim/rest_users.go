package ghsim

// GitHub's users API: the authenticated user and accounts by login.

import (
	"net/http"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// privateUserJSON is GET /user's shape.
func (c *call) accountJSON(a state.Account) obj {
	o := c.l.userJSON(a)
	now := ts(c.s.clk.Now())
	for k, v := range map[string]any{"name": a.Name, "company": nil, "blog": "", "location": nil, "email": nil,
		"hireable": nil, "bio": nil, "twitter_username": nil, "public_repos": 0, "public_gists": 0,
		"followers": 0, "following": 0, "created_at": now, "updated_at": now} {
		o[k] = v
	}
	return o
}

func (s *Server) getUser(c *call) (int, any, error) {
	a, err := s.world.Viewer(c.actor)
	if err != nil {
		return 0, nil, err
	}
	if a.Type == "Bot" { // an installation token is no user's
		return 0, nil, errorf(http.StatusForbidden, "Resource not accessible by integration")
	}
	o := c.accountJSON(a)
	o["user_view_type"] = "private"
	for _, k := range []string{"private_gists", "total_private_repos", "owned_private_repos", "disk_usage", "collaborators"} {
		o[k] = 0
	}
	o["two_factor_authentication"] = true
	return http.StatusOK, o, nil
}

func (s *Server) getUserByLogin(c *call) (int, any, error) {
	a, err := s.world.Account(c.r.PathValue("username"))
	if err != nil {
		return 0, nil, notFound
	}
	o := c.accountJSON(a)
	o["user_view_type"] = "public"
	return http.StatusOK, o, nil
}
