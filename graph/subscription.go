package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
	"github.com/dieuphoi/dieuphoi/projections"
)

// subscribe opens a feed for the authenticated actor. Subscriptions are served over websockets
// only, where gqlgen can send a final error on the subscription.
func (s *Server) subscribe(ctx context.Context, feed projections.Feed, filter *projections.BoardFilter, since *uint64) (*projections.IncidentSubscription, domain.Actor, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, a, err
	}
	if ctx.Value(socketKey) == nil {
		return nil, a, domain.Errorf(domain.EINVALID, "subscriptions are served over a websocket (graphql-transport-ws) on /graphql")
	}
	sub, err := s.projector.Incidents.Subscribe(a, feed, filter, deref(since), s.subBuffer)
	return sub, a, err
}

// pump moves a feed's changes to gqlgen's channel until the client unsubscribes or the socket
// ends (ctx), or the feed ends. A feed cut off because the client did not keep up ends with an
// error on the subscription, extensions.code TOO_SLOW and extensions.since the last sequence
// delivered: the client resubscribes with since and misses nothing. The goroutine holds nothing
// shared while it waits: the hub never waits for it.
func pump[C, T any](ctx context.Context, s *Server, sub *projections.Subscription[C], seqOf func(C) uint64, conv func(C) T) <-chan T {
	out := make(chan T, 1)
	s.metrics.subs.Add(1)
	go func() {
		defer s.metrics.subs.Add(-1)
		defer close(out)
		defer sub.Close()
		var last uint64
		for {
			select {
			case <-ctx.Done():
				return
			case c, ok := <-sub.C:
				if !ok {
					if err := sub.Err(); err != nil {
						transport.AddSubscriptionError(ctx, s.feedError(err, last))
					}
					return
				}
				v := conv(c)
				select {
				case out <- v:
					last = seqOf(c)
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// feedError says why a feed ended, as the last message of the subscription.
func (s *Server) feedError(err error, last uint64) *gqlerror.Error {
	e := &gqlerror.Error{Message: err.Error(), Extensions: map[string]any{"since": last}}
	switch {
	case errors.Is(err, projections.ErrTooSlow):
		e.Extensions["code"] = codeTooSlow
	case errors.Is(err, projections.ErrClosed):
		e.Message = "the service is shutting down; resubscribe with since"
		e.Extensions["code"] = codeShutdown
	default:
		s.log.Error("graphql: subscription ended", "err", err)
		e.Message = "Internal error."
		e.Extensions["code"] = domain.EINTERNAL
	}
	return e
}

func (s *Server) incidentChanged(ctx context.Context, filter *model.BoardFilter, since *uint64) (<-chan *model.IncidentChange, error) {
	var f *projections.BoardFilter
	if filter != nil {
		bf := boardFilter(filter)
		f = &bf
	}
	sub, a, err := s.subscribe(ctx, projections.FeedIncidents, f, since)
	if err != nil {
		return nil, err
	}
	return pump(ctx, s, sub, changeSeq, func(c *projections.Change) *model.IncidentChange {
		out := &model.IncidentChange{Sequence: c.Sequence, IncidentID: c.IncidentID, Removed: c.Removed, Types: orEmpty(c.Types)}
		if c.Removed {
			out.Types = []string{}
			return out
		}
		// The incident as it is now; one that left the caller's sight or the filter since is
		// reported removed (a later change says so too).
		sum, err := s.projector.Incidents.Summary(a, c.IncidentID, s.now())
		if err != nil || f != nil && !f.Matches(sum) {
			out.Removed, out.Types = true, []string{}
			return out
		}
		return out
	}), nil
}

// queueChanged feeds the whole queue (or inbox) after each change to it.
func (s *Server) queueChanged(ctx context.Context, feed projections.Feed, since *uint64) (<-chan *model.QueueChange, error) {
	sub, a, err := s.subscribe(ctx, feed, nil, since)
	if err != nil {
		return nil, err
	}
	return pump(ctx, s, sub, changeSeq, func(c *projections.Change) *model.QueueChange {
		var items []projections.QueueItem
		if feed == projections.FeedEscalationQueue {
			items = s.projector.Incidents.EscalationQueue(a, false, s.now())
		} else {
			items = s.projector.Incidents.HandoffInbox(a, s.now())
		}
		return &model.QueueChange{Sequence: c.Sequence, IncidentID: c.IncidentID, Items: pointers(items)}
	}), nil
}

// changeIncident resolves the incident of a feed message, only when the client selected it: the
// incident as the caller may see it now, or null when it was removed from sight.
func (s *Server) changeIncident(ctx context.Context, id string, removed bool) (*projections.IncidentDetail, error) {
	if removed {
		return nil, nil
	}
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.projector.Incidents.Incident(a, id, s.now())
	if err != nil {
		return nil, nil // left the caller's sight since the change: a later message says removed
	}
	return &d, nil
}

func changeSeq(c *projections.Change) uint64 { return c.Sequence }
