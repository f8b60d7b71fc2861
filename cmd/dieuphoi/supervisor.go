package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// supervisor runs the service's long-lived components (log followers, checkpointers, the
// deadline scheduler, webhook delivery, NATS ingest), each in its own goroutine. A component
// that returns an error while the supervisor runs is started again after a pause that grows to
// maxPause (a NATS outage), and resets after it ran for a while; one that returns nil has
// finished. An error that fatal says must stop the service (a broken log) is not retried: it
// is reported on Fatal.
type supervisor struct {
	log    *slog.Logger
	fatal  func(error) bool
	errs   chan error
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// pause is the first wait before a restart; it doubles up to maxPause.
	pause, maxPause time.Duration
}

func newSupervisor(log *slog.Logger, fatal func(error) bool) *supervisor {
	ctx, cancel := context.WithCancel(context.Background())
	return &supervisor{log: log, fatal: fatal, errs: make(chan error, 1), ctx: ctx, cancel: cancel,
		pause: 500 * time.Millisecond, maxPause: 10 * time.Second}
}

// Fatal delivers the first error that must stop the service.
func (s *supervisor) Fatal() <-chan error { return s.errs }

// run starts a component.
func (s *supervisor) run(name string, fn func(ctx context.Context) error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		pause := s.pause
		for s.ctx.Err() == nil {
			started := time.Now()
			err := fn(s.ctx)
			if s.ctx.Err() != nil {
				return
			}
			if err == nil {
				return
			}
			if s.fatal != nil && s.fatal(err) {
				s.log.Error(name+" stopped for good", "err", err)
				select {
				case s.errs <- fmt.Errorf("%s: %w", name, err):
				default:
				}
				return
			}
			if time.Since(started) > 2*s.maxPause {
				pause = s.pause // it ran well for a while: this is a new outage
			}
			s.log.Error(name+" stopped; restarting", "err", err, "in", pause)
			t := time.NewTimer(pause)
			select {
			case <-s.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			pause = min(2*pause, s.maxPause)
		}
	}()
}

// stop ends every component and waits for them.
func (s *supervisor) stop() {
	s.cancel()
	s.wg.Wait()
}
