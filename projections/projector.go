// Package projections builds dieuphoi's read models from the event log: the coordination board,
// incident details, timelines, escalation queues and handoff inboxes, and the change feed that
// subscriptions read. Every read path applies the domain's access policy. Read models live in
// memory, one set per service replica, fed by the store's follower, so they are rebuilt from
// the log at every start and can be rebuilt as of any earlier moment.
package projections

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// Version is the version of the read models' shape. Bump it when apply changes meaning; read
// models are rebuilt from the log at every start, so nothing else has to happen.
const Version = 1

// Projector holds every read model of one replica.
type Projector struct {
	cfg *domain.Config
	log *slog.Logger
	// orgs numbers the directory's organisations for the readers bitsets.
	orgs map[string]int

	mu          sync.RWMutex
	incidents   map[string]*incidentModel
	rows        []boardRow         // every incident's hot fields, by value: the board scans them in order
	escalations map[string]string  // escalation id -> incident id
	handoffs    map[string]string  // handoff id -> incident id
	words       map[string][]int32 // title word -> rows, ascending
	tokens      map[string]TokenInfo
	deadlines   deadlineIndex
	reports     map[string]bool // periodic report id -> submitted or recorded overdue
	hooks       webhookModels   // registered webhooks and their dead letters (webhook.go)
	undecodable int
	// corr maps an indicator or an asset (indicatorKey, assetKey) to the incidents that have it,
	// for the correlation of incoming alerts.
	corr map[string][]string

	// snapshot read models (time travel, rebuild reports) answer queries only: they keep no
	// deadline index and retain no changes for subscribers.
	snapshot bool

	applied atomic.Uint64
	waitMu  sync.Mutex
	waitCh  chan struct{}

	hub *hub
}

// New returns empty read models for the configuration in effect.
func New(cfg *domain.Config, log *slog.Logger) *Projector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Projector{cfg: cfg, log: log, orgs: map[string]int{}, incidents: map[string]*incidentModel{},
		escalations: map[string]string{}, handoffs: map[string]string{}, tokens: map[string]TokenInfo{}, corr: map[string][]string{}, words: map[string][]int32{}, reports: map[string]bool{}}
	for i, o := range cfg.Organisations {
		p.orgs[o.Slug] = i
	}
	p.hub = newHub(p, defaultRetained)
	return p
}

// Config returns the configuration the read models use.
func (p *Projector) Config() *domain.Config { return p.cfg }

// Sink is the eventstore sink that feeds these read models.
func (p *Projector) Sink() eventstore.Sink { return p.Apply }

// Applied returns the last stream sequence the read models contain.
func (p *Projector) Applied() uint64 { return p.applied.Load() }

// WaitFor blocks until the read models contain stream sequence seq, or ctx ends: the basis of
// read-your-writes.
func (p *Projector) WaitFor(ctx context.Context, seq uint64) error {
	for {
		p.waitMu.Lock()
		if p.applied.Load() >= seq {
			p.waitMu.Unlock()
			return nil
		}
		if p.waitCh == nil {
			p.waitCh = make(chan struct{})
		}
		ch := p.waitCh
		p.waitMu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return domain.Errorf(domain.ECONFLICT, "this replica has not yet caught up with sequence %d (it is at %d); retry in a moment", seq, p.applied.Load())
		}
	}
}

// Apply adds one commit to the read models. Commits are idempotent by stream sequence: one at or
// below the applied sequence is ignored.
func (p *Projector) Apply(c *eventstore.Commit, envs []eventstore.Envelope, err error) {
	if c.Sequence <= p.applied.Load() {
		return
	}
	var ch *Change
	if err != nil {
		p.mu.Lock()
		p.undecodable++
		p.mu.Unlock()
		p.log.Error("read models: commit does not decode; skipped", "sequence", c.Sequence, "aggregate", c.AggregateType, "err", err)
	} else {
		p.mu.Lock()
		switch c.AggregateType {
		case "incident":
			ch = p.applyIncident(c, envs)
		case "token":
			p.applyToken(envs)
		case "report":
			p.reports[c.AggregateID] = true // submitted or overdue: settled either way
		case "webhook":
			p.hooks.apply(c, envs)
		}
		p.mu.Unlock()
	}
	p.applied.Store(c.Sequence)
	switch {
	case p.snapshot:
	case ch != nil:
		p.hub.publish(ch)
	default:
		p.hub.advance(c.Sequence)
	}
	p.waitMu.Lock()
	if p.waitCh != nil {
		close(p.waitCh)
		p.waitCh = nil
	}
	p.waitMu.Unlock()
}

// ReportSettled reports whether a periodic report was submitted or recorded overdue.
func (p *Projector) ReportSettled(id string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.reports[id]
}

// Undecodable counts commits the read models had to skip (for /metrics).
func (p *Projector) Undecodable() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.undecodable
}

// Len returns the number of incidents.
func (p *Projector) Len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.rows)
}

// readers is a bitset over the directory's organisations.
type readers []uint64

func (r readers) has(i int) bool { return i >= 0 && i/64 < len(r) && r[i/64]&(1<<(i%64)) != 0 }

// viewer is an actor prepared for fast visibility checks.
type viewer struct {
	actor domain.Actor
	key   string // "org/user", as TLP:RED recipients are named
	org   int    // index in the directory, -1 if unknown
	ok    bool
}

func (p *Projector) viewer(a domain.Actor) viewer {
	i, known := p.orgs[a.Org]
	if !known {
		i = -1
	}
	return viewer{actor: a, key: domain.UserKey(a.Org, a.User), org: i,
		ok: known && a.Role.Valid() && a.Role != domain.RoleAdmin && a.Role != domain.RoleIngest}
}

// sees decides visibility with the domain policy's own answer: precomputed per organisation for
// every TLP but RED (where the answer depends on the person), asked directly for RED.
func (p *Projector) sees(v viewer, m *incidentModel) bool {
	return p.canSee(v, m.aud, m.readers)
}

// canSee is sees for an audience and its readers (also the hub's, for past audiences). At RED
// only a named recipient can pass the policy, so anyone else is answered without asking it.
func (p *Projector) canSee(v viewer, aud domain.Audience, r readers) bool {
	if !v.ok {
		return false
	}
	if aud.TLP == domain.TLPRed {
		return slices.Contains(aud.Recipients, v.key) && domain.CanRead(v.actor, aud, p.cfg)
	}
	return r.has(v.org)
}
