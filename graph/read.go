package graph

import (
	"context"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
	"github.com/dieuphoi/dieuphoi/projections"
)

// minSequence makes a read wait until this replica's read models contain seq (read-your-writes
// across replicas): CONFLICT when they do not catch up in time, INVALID for a sequence the log
// has not reached.
func (s *Server) minSequence(ctx context.Context, seq *uint64) error {
	if seq == nil || s.projector.Applied() >= *seq {
		return nil
	}
	if last, err := s.store.LastSequence(ctx); err == nil && *seq > last {
		return domain.Errorf(domain.EINVALID, "sequence %d is beyond the end of the log (%d); pass a sequence a mutation or a query returned", *seq, last)
	}
	return s.waitApplied(ctx, *seq)
}

// asOf checks a time-travel instant: not in the future.
func (s *Server) asOf(t *time.Time) error {
	if t != nil && t.After(s.now()) {
		return domain.Errorf(domain.EINVALID, "asOf %s is in the future", t.UTC().Format(time.RFC3339))
	}
	return nil
}

func (s *Server) me(ctx context.Context) (*model.Me, error) {
	sess, err := sessionFrom(ctx)
	if err != nil {
		return nil, err
	}
	c := sess.claims
	org := &domain.Organisation{Slug: c.Org, Kind: "", NameVi: c.Org, NameEn: c.Org}
	if o, ok := s.cfg.Org(c.Org); ok {
		cp := *o
		org = &cp
	}
	return &model.Me{User: c.User, Org: org, Role: c.Role, TokenID: c.TokenID, ExpiresAt: c.Expires()}, nil
}

func (s *Server) organisations() []*domain.Organisation {
	out := make([]*domain.Organisation, len(s.cfg.Organisations))
	for i := range s.cfg.Organisations {
		o := s.cfg.Organisations[i]
		out[i] = &o
	}
	return out
}

func (s *Server) board(ctx context.Context, filter *model.BoardFilter, sort *projections.BoardSort, first *int, after *string, asOf *time.Time, minSeq *uint64) (*model.IncidentConnection, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if first != nil && (*first < 1 || *first > projections.MaxPage) {
		return nil, domain.Errorf(domain.EINVALID, "first must be between 1 and %d", projections.MaxPage)
	}
	if err := s.asOf(asOf); err != nil {
		return nil, err
	}
	if err := s.minSequence(ctx, minSeq); err != nil {
		return nil, err
	}
	p, now := s.projector, s.now()
	if asOf != nil {
		if p, err = projections.AsOf(ctx, s.store, s.cfg, *asOf); err != nil {
			return nil, err
		}
		p.ThroughTodaysRights(s.projector) // the past is shown through today's rights
		now = *asOf
	}
	b, err := p.Incidents.Board(a, projections.BoardQuery{Filter: boardFilter(filter), Sort: deref(sort), First: deref(first), After: deref(after), Now: now})
	if err != nil {
		return nil, err
	}
	out := &model.IncidentConnection{TotalCount: b.TotalCount, Sequence: b.Sequence,
		PageInfo: &model.PageInfo{EndCursor: nonEmpty(b.EndCursor), HasNextPage: b.HasNextPage}}
	if asOf != nil {
		out.Sequence = p.Applied()
	}
	for _, n := range b.Nodes {
		// The page holds summaries; the API's Incident is the detail. One that changed out of
		// sight in between is left out.
		if d, err := p.Incidents.Incident(a, n.ID, now); err == nil {
			out.Nodes = append(out.Nodes, &d)
		}
	}
	out.Nodes = orEmpty(out.Nodes)
	for _, st := range []domain.IncidentStatus{domain.IncidentStatusOpen, domain.IncidentStatusClosed} {
		out.StatusCounts = append(out.StatusCounts, &model.StatusCount{Status: st, Count: b.StatusCounts[st]})
	}
	for _, ph := range domain.Phases {
		out.PhaseCounts = append(out.PhaseCounts, &model.PhaseCount{Phase: ph, Count: b.PhaseCounts[ph]})
	}
	return out, nil
}

// readModels returns the read models to answer an incident's query from: the live ones, or
// that incident's rebuilt as of an instant.
func (s *Server) readModels(ctx context.Context, id string, asOf *time.Time, minSeq *uint64) (*projections.Projector, time.Time, error) {
	if err := s.asOf(asOf); err != nil {
		return nil, time.Time{}, err
	}
	if err := s.minSequence(ctx, minSeq); err != nil {
		return nil, time.Time{}, err
	}
	if asOf == nil {
		return s.projector, s.now(), nil
	}
	// The past is shown through today's rights: whoever may not read the incident now sees
	// nothing of it at any moment, and nothing is rebuilt for them.
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	if _, err := s.projector.Incidents.Summary(a, id, s.now()); err != nil {
		return nil, time.Time{}, err
	}
	p, err := projections.IncidentAsOf(ctx, s.store, s.cfg, id, *asOf)
	if err != nil {
		return nil, time.Time{}, err
	}
	p.ThroughTodaysRights(s.projector)
	return p, *asOf, nil
}

// incident answers null with a NOT_FOUND error for an incident that does not exist or that the
// caller may not see: the two are indistinguishable.
func (s *Server) incident(ctx context.Context, id string, asOf *time.Time, minSeq *uint64) (*projections.IncidentDetail, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	p, now, err := s.readModels(ctx, id, asOf, minSeq)
	if err != nil {
		return nil, err
	}
	d, err := p.Incidents.Incident(a, id, now)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func (s *Server) timeline(ctx context.Context, id string, asOf *time.Time, minSeq *uint64) ([]*projections.TimelineEntry, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	p, _, err := s.readModels(ctx, id, asOf, minSeq)
	if err != nil {
		return nil, err
	}
	entries, err := p.Incidents.Timeline(a, id)
	if err != nil {
		return nil, err
	}
	return pointers(entries), nil
}

func (s *Server) escalationQueue(ctx context.Context, acknowledged *bool, minSeq *uint64) ([]*projections.QueueItem, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.minSequence(ctx, minSeq); err != nil {
		return nil, err
	}
	return pointers(s.projector.Incidents.EscalationQueue(a, deref(acknowledged), s.now())), nil
}

func (s *Server) handoffInbox(ctx context.Context, minSeq *uint64) ([]*projections.QueueItem, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.minSequence(ctx, minSeq); err != nil {
		return nil, err
	}
	return pointers(s.projector.Incidents.HandoffInbox(a, s.now())), nil
}

func boardFilter(f *model.BoardFilter) projections.BoardFilter {
	if f == nil {
		return projections.BoardFilter{}
	}
	return projections.BoardFilter{Status: f.Status, Phase: f.Phase, Severity: f.Severity, Type: f.Type, Sector: f.Sector,
		TLP: f.Tlp, Org: deref(f.Org), Drill: f.Drill, Text: deref(f.Text)}
}

func pointers[T any](xs []T) []*T {
	out := make([]*T, len(xs))
	for i := range xs {
		out[i] = &xs[i]
	}
	return out
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// mutationMinSequence gives every mutation the minSequence (and, for alert mutations,
// minAlertSequence) of its input: the replica waits until its read models contain that
// sequence before the command is decided, so that a client acting on its own write through
// another replica (acknowledging the escalation it was just sent, answering the handoff it was
// just offered, triaging the alert it just saw) finds it there.
func (s *Server) mutationMinSequence(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Mutation" || !fc.IsResolver {
		return next(ctx)
	}
	if err := s.minSequence(ctx, inputSequence(fc.Args["input"], "MinSequence")); err != nil {
		return nil, err
	}
	if err := s.alertMinSequence(ctx, inputSequence(fc.Args["input"], "MinAlertSequence")); err != nil {
		return nil, err
	}
	return next(ctx)
}

// inputSequence is the named *uint64 field of a mutation's input struct, nil if it has none.
func inputSequence(in any, field string) *uint64 {
	v := reflect.ValueOf(in)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	f := v.FieldByName(field)
	if !f.IsValid() {
		return nil
	}
	seq, _ := f.Interface().(*uint64)
	return seq
}
