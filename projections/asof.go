package projections

import (
	"context"
	"errors"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// AsOf rebuilds every read model from the log as it stood at instant t (commits recorded at or
// before t). The result answers board queries "as of 14:00 yesterday" exactly as the live read
// models answered then. It reads the log from the start: its cost grows with the log.
func AsOf(ctx context.Context, store *eventstore.Store, cfg *domain.Config, t time.Time) (*Projector, error) {
	p := newSnapshot(cfg)
	err := store.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		if c.RecordedAt.After(t) {
			return eventstore.ErrStop
		}
		envs, err := c.Envelopes()
		p.Apply(c, envs, err)
		return nil
	})
	if err != nil && !errors.Is(err, eventstore.ErrStop) {
		return nil, err
	}
	return p, nil
}

// IncidentAsOf rebuilds one incident's read models as they stood at instant t, from that
// incident's commits only (batched direct get: no stream scan).
func IncidentAsOf(ctx context.Context, store *eventstore.Store, cfg *domain.Config, id string, t time.Time) (*Projector, error) {
	commits, err := store.LoadCommits(ctx, "incident", id, 1, 0)
	if err != nil {
		return nil, err
	}
	p := newSnapshot(cfg)
	for _, c := range commits {
		if c.RecordedAt.After(t) {
			break
		}
		envs, err := c.Envelopes()
		p.Apply(c, envs, err)
	}
	return p, nil
}

// newSnapshot returns read models for answering queries as of a moment: no deadline index (they
// never schedule) and no change feed (nobody subscribes to the past).
func newSnapshot(cfg *domain.Config) *Projector { return newProjector(cfg, nil, 0) }

// ThroughTodaysRights makes read models rebuilt as of a past moment answer through today's
// rights: every incident takes the audience the live read models give it now, so that whoever
// may read an incident now may read its past, item by item as today's TLP and recipients allow,
// and whoever may not sees nothing of it at any moment. An incident live does not know (it
// cannot have been opened after it existed in the past, but a snapshot may be asked before live
// has caught up) is seen by nobody.
func (p *Projector) ThroughTodaysRights(live *Projector) {
	p.Incidents.adoptRights(live.Incidents)
}

func (x *Incidents) adoptRights(live *Incidents) {
	type rights struct {
		aud     domain.Audience
		readers readers
	}
	x.mu.RLock()
	ids := make([]string, 0, len(x.incidents))
	for id := range x.incidents {
		ids = append(ids, id)
	}
	x.mu.RUnlock()
	now := make(map[string]rights, len(ids))
	live.mu.RLock()
	for _, id := range ids {
		if m, ok := live.incidents[id]; ok {
			now[id] = rights{m.aud, m.readers}
		}
	}
	live.mu.RUnlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	for id, m := range x.incidents {
		r, ok := now[id]
		if !ok {
			r = rights{aud: domain.Audience{TLP: domain.TLPRed}} // nobody is named: nobody sees it
		}
		m.aud, m.readers = r.aud, r.readers
		x.rows[m.row] = x.row(m)
	}
}
