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
	broken := errors.New("the log is broken")
	s := newSupervisor(slog.New(slog.DiscardHandler), func(err error) bool { return errors.Is(err, broken) })
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
	var fatalRuns atomic.Int32
	s.run("checker", func(context.Context) error { fatalRuns.Add(1); return broken })
	<-third // started again after each error
	err := <-s.Fatal()
	is.True(errors.Is(err, broken)) // a fatal error is reported
	s.stop()
	is.Equal(fatalRuns.Load(), int32(1)) // and not retried
	is.Equal(starts.Load(), int32(3))    // two failures, then it ran until stopped
	is.Equal(finished.Load(), int32(1))  // a component that finishes is not started again
}
