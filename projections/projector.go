// Package projections builds dieuphoi's read models from the event log: the incidents (board,
// details, timelines, escalation queues, handoff inboxes and their change feed), the deadline
// index, the correlation index, issued tokens, webhooks, periodic reports and, from the alerts
// stream, alert triage. Read models only read: nothing here issues a command. Each has its own
// lock; every read path applies the domain's access rule. They live in memory, one set per
// service replica, fed by the store's follower, so they are rebuilt from the log at every start
// and can be rebuilt as of any earlier moment.
package projections

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// Version is the version of the read models' shape. Bump it when apply changes meaning; read
// models are rebuilt from the log at every start, so nothing else has to happen.
const Version = 2

// defaultRetained is how many recent incident changes a replica keeps for subscribers resuming
// with since: at 500 changes a second, about half an hour.
const defaultRetained = 1 << 20

// Projector holds the read models of the event stream on one replica and feeds each commit to
// the ones it concerns, in log order.
type Projector struct {
	cfg *domain.Config
	log *slog.Logger

	Incidents   *Incidents
	Deadlines   *Deadlines // nil for snapshot read models: the past schedules nothing
	Correlation *Correlation
	Tokens      *Tokens
	Webhooks    *Webhooks
	Reports     *Reports
	Reviews     *Reviews // the subcommittee's reviews

	progress    progress
	undecodable atomic.Int64
}

// New returns empty read models for the configuration in effect.
func New(cfg *domain.Config, log *slog.Logger) *Projector {
	p := newProjector(cfg, log, defaultRetained)
	p.Deadlines = &Deadlines{}
	return p
}

func newProjector(cfg *domain.Config, log *slog.Logger, retained int) *Projector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Projector{cfg: cfg, log: log, Correlation: newCorrelation(), Tokens: &Tokens{}, Webhooks: &Webhooks{}, Reports: &Reports{}}
	p.Incidents = newIncidents(cfg, &p.progress, retained)
	p.Reviews = newReviews(cfg, p.Incidents, retained)
	return p
}

// Config returns the configuration the read models use.
func (p *Projector) Config() *domain.Config { return p.cfg }

// Sink is the eventstore sink that feeds these read models.
func (p *Projector) Sink() eventstore.Sink { return p.Apply }

// Applied returns the last stream sequence the read models contain.
func (p *Projector) Applied() uint64 { return p.progress.Applied() }

// WaitFor blocks until the read models contain stream sequence seq, or ctx ends (ECONFLICT):
// the basis of read-your-writes.
func (p *Projector) WaitFor(ctx context.Context, seq uint64) error {
	return p.progress.waitFor(ctx, seq, "sequence")
}

// Undecodable counts commits the read models had to skip (for /metrics).
func (p *Projector) Undecodable() int { return int(p.undecodable.Load()) }

// Apply adds one commit to the read models. Commits are idempotent by stream sequence: one at or
// below the applied sequence is ignored.
func (p *Projector) Apply(c *eventstore.Commit, envs []eventstore.Envelope, err error) {
	if c.Sequence <= p.progress.Applied() {
		return
	}
	var ch *Change
	switch {
	case err != nil:
		p.undecodable.Add(1)
		p.log.Error("read models: commit does not decode; skipped", "sequence", c.Sequence, "aggregate", c.AggregateType, "err", err)
	case c.AggregateType == "incident":
		var inc *domain.Incident
		ch, inc = p.Incidents.apply(c, envs)
		if p.Deadlines != nil {
			p.Deadlines.set(inc.ID, inc.PendingDeadlines(p.cfg))
		}
		p.Correlation.update(inc)
		p.Reviews.incidentChanged(c, envs, inc)
	case c.AggregateType == "token":
		p.Tokens.apply(envs)
	case c.AggregateType == "report":
		p.Reports.apply(c.AggregateID, envs)
	case c.AggregateType == "webhook":
		p.Webhooks.apply(c, envs)
	case c.AggregateType == "review":
		p.Reviews.apply(c, envs)
	}
	p.progress.advance(c.Sequence)
	if f := p.Incidents.changes; f != nil {
		if ch != nil {
			f.publish(ch)
		} else {
			f.advance(c.Sequence)
		}
	}
}
