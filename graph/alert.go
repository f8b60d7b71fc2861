package graph

import (
	"context"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
	"github.com/dieuphoi/dieuphoi/projections"
)

func (s *Server) needAlerts() error {
	if s.alerts == nil || s.alertStore == nil {
		return domain.Errorf(domain.EINTERNAL, "alert triage is not configured on this server")
	}
	return nil
}

// alertReader starts every alert query: the authenticated actor, alert triage configured, and
// the read model at minSeq of the alerts stream at least.
func (s *Server) alertReader(ctx context.Context, minSeq *uint64) (domain.Actor, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return a, err
	}
	if err := s.needAlerts(); err != nil {
		return a, err
	}
	return a, s.alertMinSequence(ctx, minSeq)
}

// alertMinSequence is minSequence for the alerts stream.
func (s *Server) alertMinSequence(ctx context.Context, seq *uint64) error {
	if seq == nil || s.alerts.Applied() >= *seq {
		return nil
	}
	if last, err := s.alertStore.LastSequence(ctx); err == nil && *seq > last {
		return domain.Errorf(domain.EINVALID, "alert sequence %d is beyond the end of the alerts stream (%d)", *seq, last)
	}
	return s.waitAlerts(ctx, *seq)
}

func (s *Server) waitAlerts(ctx context.Context, seq uint64) error {
	if s.alerts.Applied() >= seq {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, readYourWrites)
	defer cancel()
	return s.alerts.WaitFor(wctx, seq)
}

func alertNode(v projections.AlertView) *model.Alert {
	out := &model.Alert{ID: v.ID, Title: v.Title, Status: v.Status, Count: v.Count, FirstSeen: v.FirstSeen, LastSeen: v.LastSeen,
		ReceivedAt: v.ReceivedAt, LastReceivedAt: v.LastReceivedAt, Source: v.Source, Org: v.Org, SourceRef: nonEmpty(v.SourceRef),
		RuleID: nonEmpty(v.RuleID), Severity: v.Severity, Asset: nonEmpty(v.Asset), Tlp: v.TLP, Raw: nonEmpty(string(v.Raw)),
		SuppressedCount: v.Suppressed, SuppressedBy: nonEmpty(v.SuppressedBy), IncidentID: nonEmpty(v.Incident),
		ProposedIncidents: orEmpty(v.Proposed), DismissReason: nonEmpty(v.DismissReason), Indicators: []*model.AlertIndicator{}}
	for _, x := range v.Indicators {
		out.Indicators = append(out.Indicators, &model.AlertIndicator{Type: x.Type, Value: x.Value})
	}
	return out
}

func triageCounts(c projections.TriageCounts) *model.TriageCounts {
	return &model.TriageCounts{New: c.New, Grouped: c.Grouped, Suppressed: c.Suppressed, Dismissed: c.Dismissed, Promoted: c.Promoted, Repeats: c.Repeats}
}

func suppressionNode(v projections.SuppressionView, now func() time.Time) *model.Suppression {
	r := v.Suppression
	out := &model.Suppression{ID: r.ID, Source: r.Source, Asset: nonEmpty(r.Asset), RuleID: nonEmpty(r.RuleID), From: r.From,
		Until: r.Until, Reason: r.Reason, Active: r.Active(now()), Removed: r.Removed, RemovedBy: r.RemovedBy,
		RemoveReason: nonEmpty(r.RemoveReason), Suppressed: v.Suppressed}
	setBy := r.SetBy
	out.SetBy = &setBy
	if r.Indicator != nil {
		out.Indicator = &model.AlertIndicator{Type: r.Indicator.Type, Value: r.Indicator.Value}
	}
	return out
}

func (s *Server) alertList(ctx context.Context, filter *model.AlertFilter, first *int, after *string, minSeq *uint64) (*model.AlertConnection, error) {
	a, err := s.alertReader(ctx, minSeq)
	if err != nil {
		return nil, err
	}
	var f projections.AlertFilter
	if filter != nil {
		f = projections.AlertFilter{Status: filter.Status, Source: deref(filter.Source), Asset: deref(filter.Asset),
			Severity: filter.Severity, Incident: deref(filter.IncidentID), Grouped: deref(filter.Grouped)}
	}
	page, err := s.alerts.List(a, f, deref(first), deref(after))
	if err != nil {
		return nil, err
	}
	out := &model.AlertConnection{TotalCount: page.TotalCount, Counts: triageCounts(page.Counts), AlertSequence: page.Sequence,
		PageInfo: &model.PageInfo{EndCursor: nonEmpty(page.EndCursor), HasNextPage: page.HasNext}, Nodes: []*model.Alert{}}
	for _, v := range page.Nodes {
		out.Nodes = append(out.Nodes, alertNode(v))
	}
	return out, nil
}

func (s *Server) alertByID(ctx context.Context, id string, minSeq *uint64) (*model.Alert, error) {
	a, err := s.alertReader(ctx, minSeq)
	if err != nil {
		return nil, err
	}
	v, err := s.alerts.Alert(a, id)
	if err != nil {
		return nil, err
	}
	return alertNode(v), nil
}

func (s *Server) suppressionList(ctx context.Context, includeInactive *bool, minSeq *uint64) ([]*model.Suppression, error) {
	a, err := s.alertReader(ctx, minSeq)
	if err != nil {
		return nil, err
	}
	out := []*model.Suppression{}
	for _, v := range s.alerts.Suppressions(a, deref(includeInactive), s.now()) {
		out = append(out, suppressionNode(v, s.now))
	}
	return out, nil
}

// setSuppression records a rule; its id derives from the command id when one is given.
func (s *Server) setSuppression(ctx context.Context, in model.SetSuppressionInput) (*model.SuppressionPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.needAlerts(); err != nil {
		return nil, err
	}
	c := domain.SetSuppression{Source: in.Source, Asset: deref(in.Asset), RuleID: deref(in.RuleID), Until: in.Until, Reason: in.Reason}
	if in.Indicator != nil {
		c.Indicator = &domain.AlertIndicator{Type: in.Indicator.Type, Value: in.Indicator.Value}
	}
	id := "sup-" + derivedID(a, in.CommandID, "suppression")
	res, _, err := s.execute(ctx, command{id: id, commandID: in.CommandID, cmd: c})
	if err != nil {
		return nil, err
	}
	return s.suppressionPayload(ctx, a, id, res.Sequence)
}

func (s *Server) removeSuppression(ctx context.Context, in model.RemoveSuppressionInput) (*model.SuppressionPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.needAlerts(); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(in.ID, "sup-") {
		return nil, domain.Errorf(domain.ENOTFOUND, "suppression rule %q not found", in.ID)
	}
	res, _, err := s.execute(ctx, command{id: in.ID, commandID: in.CommandID, cmd: domain.RemoveSuppression{Reason: in.Reason}})
	if err != nil {
		return nil, err
	}
	return s.suppressionPayload(ctx, a, in.ID, res.Sequence)
}

func (s *Server) suppressionPayload(ctx context.Context, a domain.Actor, id string, seq uint64) (*model.SuppressionPayload, error) {
	if err := s.waitAlerts(ctx, seq); err != nil {
		return nil, err
	}
	v, err := s.alerts.Suppression(a, id)
	if err != nil {
		return nil, err
	}
	return &model.SuppressionPayload{Suppression: suppressionNode(v, s.now), AlertSequence: seq}, nil
}

// triage runs a bulk triage command of the application for the authenticated actor and maps
// its result: each alert's outcome with the alert as it now is, and the incident it joined.
func (s *Server) triage(ctx context.Context, run func(domain.Actor) (app.Triaged, error)) (*model.BulkAlertPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	t, err := run(a)
	if err != nil {
		return nil, err
	}
	out := &model.BulkAlertPayload{Sequence: t.Sequence, AlertSequence: t.AlertSequence, Results: []*model.AlertOutcome{}}
	for _, o := range t.Outcomes {
		r := &model.AlertOutcome{AlertID: o.AlertID, Ok: o.Err == nil}
		if o.Err != nil {
			r.Error = &model.AlertError{Code: domain.ErrorCode(o.Err), Message: domain.ErrorMessage(o.Err)}
			if r.Error.Code == domain.EINTERNAL {
				s.log.Error("graphql: alert triage failed", "alert", o.AlertID, "err", o.Err)
			}
		}
		if v, err := s.alerts.Alert(a, o.AlertID); err == nil {
			r.Alert = alertNode(v)
		}
		out.Results = append(out.Results, r)
	}
	if t.IncidentID != "" {
		if d, err := s.projector.Incidents.Incident(a, t.IncidentID, s.now()); err == nil {
			out.Incident = &d
		}
	}
	return out, nil
}

func (s *Server) dismissAlerts(ctx context.Context, in model.DismissAlertsInput) (*model.BulkAlertPayload, error) {
	return s.triage(ctx, func(a domain.Actor) (app.Triaged, error) {
		return s.app.DismissAlerts(ctx, a, in.AlertIds, in.Reason, deref(in.CommandID))
	})
}

// promoteAlerts opens an incident from the alerts that may be promoted.
func (s *Server) promoteAlerts(ctx context.Context, in model.OpenIncidentInput) (*model.BulkAlertPayload, error) {
	return s.triage(ctx, func(a domain.Actor) (app.Triaged, error) {
		return s.app.PromoteAlerts(ctx, a, in.AlertIds, derivedID(a, in.CommandID, ""), openCommand(in), deref(in.CommandID))
	})
}

func (s *Server) mergeAlerts(ctx context.Context, in model.MergeAlertsInput) (*model.BulkAlertPayload, error) {
	return s.triage(ctx, func(a domain.Actor) (app.Triaged, error) {
		return s.app.MergeAlerts(ctx, a, in.AlertIds, in.IncidentID, deref(in.CommandID))
	})
}

func (s *Server) detachAlert(ctx context.Context, in model.DetachAlertInput) (*model.BulkAlertPayload, error) {
	return s.triage(ctx, func(a domain.Actor) (app.Triaged, error) {
		return s.app.DetachAlert(ctx, a, in.AlertID, in.IncidentID, in.Reason, deref(in.CommandID))
	})
}

// alertTriage feeds alertTriage: each change with the alert as it now is and the counters.
func (s *Server) alertTriage(ctx context.Context, since *uint64) (<-chan *model.AlertTriageChange, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.needAlerts(); err != nil {
		return nil, err
	}
	if ctx.Value(socketKey) == nil {
		return nil, domain.Errorf(domain.EINVALID, "subscriptions are served over a websocket (graphql-transport-ws) on /graphql")
	}
	sub, err := s.alerts.SubscribeTriage(a, deref(since), s.subBuffer)
	if err != nil {
		return nil, err
	}
	return pump(ctx, s, sub, func(c projections.AlertChange) uint64 { return c.Sequence }, func(c projections.AlertChange) *model.AlertTriageChange {
		counts, _ := s.alerts.Counts(a)
		msg := &model.AlertTriageChange{AlertSequence: c.Sequence, Rule: nonEmpty(c.Rule), Types: orEmpty(c.Types), Counts: triageCounts(counts)}
		if c.AlertID != "" {
			if v, err := s.alerts.Alert(a, c.AlertID); err == nil {
				msg.Alert = alertNode(v)
			}
		}
		return msg
	}), nil
}
