package clock

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFakeSleepAdvancesAndRecords(t *testing.T) {
	t.Parallel()
	start := time.Unix(1_800_000_000, 0)
	f := NewFake(start)
	ctx := context.Background()
	for _, d := range []time.Duration{time.Minute, 0, -time.Second, 2 * time.Second} {
		if err := f.Sleep(ctx, d); err != nil {
			t.Fatalf("Sleep(%v) = %v", d, err)
		}
	}
	f.Advance(time.Hour)
	if got, want := f.Now(), start.Add(time.Hour+time.Minute+2*time.Second); !got.Equal(want) {
		t.Errorf("Now() = %v, want %v (negative and zero sleeps must not move the clock)", got, want)
	}
	want := []time.Duration{time.Minute, 0, -time.Second, 2 * time.Second}
	if diff := cmp.Diff(want, f.Sleeps()); diff != "" {
		t.Errorf("Sleeps() (-want +got):\n%s", diff)
	}
}

func TestSleepHonoursCancellation(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := NewFake(time.Unix(0, 0))
	if err := f.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Fake.Sleep on a cancelled context = %v, want context.Canceled", err)
	}
	if len(f.Sleeps()) != 0 || !f.Now().Equal(time.Unix(0, 0)) {
		t.Errorf("a cancelled Fake.Sleep moved the clock or was recorded: now %v, sleeps %v", f.Now(), f.Sleeps())
	}
	// Real.Sleep must return at once, not after an hour.
	if err := (Real{}).Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Real.Sleep on a cancelled context = %v, want context.Canceled", err)
	}
	if err := (Real{}).Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Real.Sleep(1ms) = %v", err)
	}
}
