package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections"
)

// Scheduler fires deadlines: every replica runs one. It finds what has come due in its read
// models and issues the domain command for it (a missed acknowledgement, a reminder, an expired
// handoff, an overdue report), as the system, with a command id derived from the deadline. Two
// replicas, or one replica before and after a restart, may both try: the aggregate's invariant
// (only a pending, due deadline can be missed) and the expected-sequence check let exactly one
// record it, and the others record nothing.
type Scheduler struct {
	app       *App
	store     *eventstore.Store
	read      Waiter
	deadlines *projections.Deadlines
	reports   *projections.Reports
	now       func() time.Time
	log       *slog.Logger
	// Interval bounds how long the loop sleeps between looks (default 1 s).
	Interval time.Duration
	// RetryAfter is when a deadline whose command failed for a transient reason is tried again.
	RetryAfter time.Duration
	// Workers bounds how many deadline commands run at once (default 16).
	Workers int

	fired, skipped, failed atomic.Uint64
}

// NewScheduler returns the scheduler of one replica: it fires what proj's deadline index says
// is due, through app; now is the injectable clock (nil: time.Now).
func NewScheduler(app *App, store *eventstore.Store, proj *projections.Projector, now func() time.Time, log *slog.Logger) *Scheduler {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{app: app, store: store, read: proj, deadlines: proj.Deadlines, reports: proj.Reports, now: now, log: log,
		Interval: time.Second, RetryAfter: 5 * time.Second, Workers: 16}
}

// SchedulerStats are counters for /metrics.
type SchedulerStats struct{ Fired, Skipped, Failed uint64 }

// Stats returns what the scheduler has done since it started.
func (s *Scheduler) Stats() SchedulerStats {
	return SchedulerStats{s.fired.Load(), s.skipped.Load(), s.failed.Load()}
}

// Run fires deadlines as they come until ctx ends. It waits for the read models to catch up
// with the log first, so that a restarted replica does not act on a stale picture.
func (s *Scheduler) Run(ctx context.Context) error {
	if last, err := s.store.LastSequence(ctx); err == nil {
		if err := s.read.WaitFor(ctx, last); err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	for {
		s.Tick(ctx)
		wait := s.Interval
		if at, ok := s.deadlines.Next(); ok {
			if d := at.Sub(s.now()); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Tick fires everything due at the scheduler's clock and returns how many commands recorded
// something. Tests call it directly with a fake clock.
func (s *Scheduler) Tick(ctx context.Context) int {
	now := s.now()
	due := s.deadlines.Due(now, 0)
	var n atomic.Int64
	work := make(chan projections.Due)
	var wg sync.WaitGroup
	for range max(1, min(s.Workers, len(due))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				if s.fire(ctx, d, now) {
					n.Add(1)
				}
			}
		}()
	}
	for _, d := range due {
		work <- d
	}
	close(work)
	wg.Wait()
	return int(n.Load()) + s.periodicReports(ctx, now)
}

func (s *Scheduler) fire(ctx context.Context, d projections.Due, now time.Time) bool {
	retry := func() { s.deadlines.Retry(d, now.Add(s.RetryAfter)) }
	cmd, err := d.Deadline.Command()
	if err == nil {
		var res Result
		res, err = s.app.Execute(ctx, Request{Actor: domain.SystemActor, AggregateID: d.IncidentID, Command: cmd, At: now, NoWait: true,
			Key: fmt.Sprintf("deadline/%s/%s/%s/%d", d.Deadline.Kind, d.IncidentID, d.Deadline.RefID, d.Deadline.At.UnixNano())})
		return s.outcome(res, err, retry, "incident", d.IncidentID, "kind", d.Deadline.Kind, "ref", d.Deadline.RefID)
	}
	return s.outcome(Result{}, err, retry, "incident", d.IncidentID, "kind", d.Deadline.Kind)
}

// outcome sorts a firing's result: recorded, already handled elsewhere (or not due: nothing to
// do), or a transient failure to retry.
func (s *Scheduler) outcome(res Result, err error, retry func(), args ...any) bool {
	switch domain.ErrorCode(err) {
	case "":
		if res.Events > 0 && !res.Duplicate {
			s.fired.Add(1)
			return true
		}
		s.skipped.Add(1)
	case domain.ECONFLICT, domain.EINVALID, domain.ENOTFOUND, domain.EFORBIDDEN:
		s.skipped.Add(1) // another replica did it, or it no longer applies
	default:
		s.failed.Add(1)
		s.log.Warn("deadline could not be recorded; will retry", append(args, "err", err)...)
		retry()
	}
	return false
}

// periodicReports records overdue periodic reports (Mẫu 05) whose due date has passed. Dues come
// from the calendar in the configuration; the read models say which are settled.
func (s *Scheduler) periodicReports(ctx context.Context, now time.Time) int {
	from := now.AddDate(-1, 0, 0)
	n := 0
	for _, due := range domain.DuePeriodicReports(s.app.Config(), from, now) {
		if s.reports.Settled(due.ID) {
			continue
		}
		res, err := s.app.Execute(ctx, Request{Actor: domain.SystemActor, AggregateID: due.ID, Command: domain.MissPeriodicReport{}, At: now,
			Key: "deadline/report/" + due.ID, NoWait: true})
		if s.outcome(res, err, func() {}, "report", due.ID) {
			n++
		}
	}
	return n
}
