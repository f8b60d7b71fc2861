package main

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestSupervisorRestartsFailedComponents(t *testing.T) {
	is := is.New(t)
	s := newSupervisor(slog.New(slog.DiscardHandler))
	s.pause, s.maxPause = time.Millisecond, 4*time.Millisecond
	var starts atomic.Int32
	third := make(chan struct{})
	s.run("flaky", func(ctx context.Context) error {
		if starts.Add(1) < 3 {
			return errors.New("NATS is away")
		}
		close(third)
		<-ctx.Done()
		return ctx.Err()
	})
	var finished atomic.Int32
	s.run("one-shot", func(context.Context) error { finished.Add(1); return nil })
	<-third // started again after each error
	s.stop()
	is.Equal(starts.Load(), int32(3))   // two failures, then it ran until stopped
	is.Equal(finished.Load(), int32(1)) // a component that finishes is not started again
}
