package ghsim_test

import "github.com/dfiu/dfiu/internal/ghsim/limiter"

type limiterDuration = limiter.Duration
