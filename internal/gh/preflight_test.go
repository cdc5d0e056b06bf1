package gh

import (
	"errors"
	"fmt"
	"testing"
)

func TestTokenProblem(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		err  error
		want error
	}{
		{"401", fmt.Errorf("x: %w", &HTTPError{StatusCode: 401, Message: "Bad credentials"}), ErrBadCredentials},
		{"403 permission", fmt.Errorf("x: %w", &HTTPError{StatusCode: 403, Message: "Resource not accessible by integration"}), ErrForbidden},
		{"403 secondary rate limit", &HTTPError{StatusCode: 403, Message: "You have exceeded a secondary rate limit."}, nil},
		{"GraphQL FORBIDDEN", fmt.Errorf("proposing: %w", &GraphQLError{Type: "FORBIDDEN", Message: "Resource not accessible by integration"}), ErrForbidden},
		{"GraphQL STALE_DATA", &GraphQLError{Type: "STALE_DATA"}, nil},
		{"422", &HTTPError{StatusCode: 422, Message: "Validation Failed"}, nil},
		{"other", errors.New("boom"), nil},
		{"nil", nil, nil},
	} {
		if got := TokenProblem(tt.err); got != tt.want {
			t.Errorf("%s: TokenProblem = %v, want %v", tt.name, got, tt.want)
		}
	}
}
