package graph

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
	"github.com/dieuphoi/dieuphoi/projections"
)

// maxBulkAlerts bounds the alerts of one bulk mutation.
const maxBulkAlerts = domain.MaxMergeAlerts

func (s *Server) needAlerts() error {
	if s.alerts == nil || s.alertStore == nil {
		return domain.Errorf(domain.EINTERNAL, "alert triage is not configured on this server")
	}
	return nil
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
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.needAlerts(); err != nil {
		return nil, err
	}
	if err := s.alertMinSequence(ctx, minSeq); err != nil {
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
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.needAlerts(); err != nil {
		return nil, err
	}
	if err := s.alertMinSequence(ctx, minSeq); err != nil {
		return nil, err
	}
	v, err := s.alerts.Alert(a, id)
	if err != nil {
		return nil, err
	}
	return alertNode(v), nil
}

func (s *Server) suppressionList(ctx context.Context, includeInactive *bool, minSeq *uint64) ([]*model.Suppression, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.needAlerts(); err != nil {
		return nil, err
	}
	if err := s.alertMinSequence(ctx, minSeq); err != nil {
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

// bulk is one bulk operation under way: the outcome of each alert.
type bulk struct {
	s       *Server
	actor   domain.Actor
	results []*model.AlertOutcome
	byID    map[string]*model.AlertOutcome
	seq     uint64 // alerts stream
}

func (s *Server) newBulk(ctx context.Context, ids []string) (*bulk, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.needAlerts(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, domain.Errorf(domain.EINVALID, "give at least one alert id")
	}
	if len(ids) > maxBulkAlerts {
		return nil, domain.Errorf(domain.ETOOLARGE, "at most %d alerts at once, not %d", maxBulkAlerts, len(ids))
	}
	b := &bulk{s: s, actor: a, byID: map[string]*model.AlertOutcome{}}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if _, dup := b.byID[id]; dup {
			continue
		}
		o := &model.AlertOutcome{AlertID: id, Ok: true}
		b.results = append(b.results, o)
		b.byID[id] = o
	}
	return b, nil
}

func (b *bulk) fail(o *model.AlertOutcome, err error) {
	o.Ok, o.Error = false, &model.AlertError{Code: domain.ErrorCode(err), Message: domain.ErrorMessage(err)}
	if o.Error.Code == domain.EINTERNAL {
		b.s.log.Error("graphql: alert triage failed", "alert", o.AlertID, "err", err)
	}
}

// ok returns the ids of the alerts still without a failure.
func (b *bulk) ok() []string {
	var out []string
	for _, o := range b.results {
		if o.Ok {
			out = append(out, o.AlertID)
		}
	}
	return out
}

// check marks alerts the actor may not triage (NOT_FOUND) or that are not in a state for the
// operation (want: nil accepts any status), from the read model caught up with the stream.
func (b *bulk) check(ctx context.Context, want func(projections.AlertView) error) {
	s := b.s
	if last, err := s.alertStore.LastSequence(ctx); err == nil {
		_ = s.waitAlerts(ctx, last)
	}
	for _, o := range b.results {
		v, err := s.alerts.Alert(b.actor, o.AlertID)
		if err == nil && want != nil {
			err = want(v)
		}
		if err != nil {
			b.fail(o, err)
		}
	}
}

// each runs a command on the series of every alert still ok; the command id of each derives
// from the client's (a retry records nothing twice).
func (b *bulk) each(ctx context.Context, commandID *string, cmd func(alertID string) domain.Command) {
	s := b.s
	for _, o := range b.results {
		if !o.Ok {
			continue
		}
		fp := domain.SeriesOf(o.AlertID)
		if fp == "" {
			b.fail(o, domain.Errorf(domain.ENOTFOUND, "alert %q not found", o.AlertID))
			continue
		}
		var cid *string
		if commandID != nil {
			x := *commandID + "." + strings.ReplaceAll(o.AlertID, "-", "_")
			if len(x) > 128 {
				x = derivedID(b.actor, &x, "")
			}
			cid = &x
		}
		res, err := s.app.Execute(ctx, app.Request{Actor: b.actor, AggregateID: fp, Command: cmd(o.AlertID), CommandID: deref(cid), NoWait: true})
		if err != nil {
			b.fail(o, err)
			continue
		}
		b.seq = max(b.seq, res.Sequence)
	}
}

// payload waits for the read models and fills in each alert as it now is.
func (b *bulk) payload(ctx context.Context, incidentID string, incSeq uint64) (*model.BulkAlertPayload, error) {
	s := b.s
	if err := s.waitAlerts(ctx, b.seq); err != nil {
		return nil, err
	}
	out := &model.BulkAlertPayload{Results: b.results, Sequence: incSeq, AlertSequence: b.seq}
	for _, o := range b.results {
		if v, err := s.alerts.Alert(b.actor, o.AlertID); err == nil {
			o.Alert = alertNode(v)
		}
	}
	if incidentID != "" {
		if err := s.waitApplied(ctx, incSeq); err != nil {
			return nil, err
		}
		if d, err := s.projector.Incidents.Incident(b.actor, incidentID, s.now()); err == nil {
			out.Incident = &d
		}
	}
	return out, nil
}

func newOnly(v projections.AlertView) error {
	switch v.Status {
	case domain.AlertStatusDismissed:
		return domain.Errorf(domain.ECONFLICT, "alert %s was already dismissed", v.ID)
	case domain.AlertStatusPromoted:
		return domain.Errorf(domain.ECONFLICT, "alert %s is already part of incident %s", v.ID, v.Incident)
	}
	return nil
}

func (s *Server) dismissAlerts(ctx context.Context, in model.DismissAlertsInput) (*model.BulkAlertPayload, error) {
	b, err := s.newBulk(ctx, in.AlertIds)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Reason) == "" {
		return nil, domain.Errorf(domain.EINVALID, "give the reason for dismissing the alerts")
	}
	b.each(ctx, in.CommandID, func(id string) domain.Command { return domain.DismissAlert{AlertID: id, Reason: in.Reason} })
	return b.payload(ctx, "", 0)
}

// promoteAlerts opens an incident from the alerts that may be promoted (source ALERTS), then
// marks each promoted. An alert triaged elsewhere in between is detached again from the new
// incident, so that incident and alerts agree.
func (s *Server) promoteAlerts(ctx context.Context, in model.OpenIncidentInput) (*model.BulkAlertPayload, error) {
	b, err := s.newBulk(ctx, in.AlertIds)
	if err != nil {
		return nil, err
	}
	if !domain.RoleMay(b.actor.Role, domain.CmdOpenIncident) {
		return nil, domain.Errorf(domain.EFORBIDDEN, "the %s role may not open incidents", b.actor.Role)
	}
	b.check(ctx, newOnly)
	ok := b.ok()
	if len(ok) == 0 {
		return b.payload(ctx, "", 0)
	}
	src := domain.SourceAlerts
	in.Source, in.AlertIds = &src, ok
	opened, err := s.openIncident(ctx, in)
	if err != nil {
		return nil, err
	}
	id := opened.Incident.ID
	b.each(ctx, in.CommandID, func(aid string) domain.Command { return domain.PromoteAlert{AlertID: aid, IncidentID: id} })
	seq := b.compensate(ctx, id, opened.Sequence, ok)
	return b.payload(ctx, id, seq)
}

// compensate detaches from the incident the alerts it lists that failed afterwards.
func (b *bulk) compensate(ctx context.Context, incidentID string, seq uint64, listed []string) uint64 {
	for _, o := range b.results {
		if o.Ok || !slices.Contains(listed, o.AlertID) {
			continue
		}
		res, _, err := b.s.execute(ctx, command{id: incidentID,
			cmd: domain.DetachAlert{AlertID: o.AlertID, Reason: "the alert could not be recorded as part of the incident: " + o.Error.Message}})
		if err == nil {
			seq = max(seq, res.Sequence)
		}
	}
	return seq
}

func (s *Server) mergeAlerts(ctx context.Context, in model.MergeAlertsInput) (*model.BulkAlertPayload, error) {
	b, err := s.newBulk(ctx, in.AlertIds)
	if err != nil {
		return nil, err
	}
	b.check(ctx, func(v projections.AlertView) error {
		if v.Status == domain.AlertStatusPromoted && v.Incident == in.IncidentID {
			return nil // already merged: a retry
		}
		return newOnly(v)
	})
	ok := b.ok()
	if len(ok) == 0 {
		return b.payload(ctx, "", 0)
	}
	res, _, err := s.execute(ctx, command{id: in.IncidentID, commandID: in.CommandID, cmd: domain.MergeAlerts{AlertIDs: ok}})
	if err != nil {
		return nil, err
	}
	b.each(ctx, in.CommandID, func(aid string) domain.Command {
		return domain.PromoteAlert{AlertID: aid, IncidentID: in.IncidentID, Merged: true}
	})
	seq := b.compensate(ctx, in.IncidentID, res.Sequence, ok)
	return b.payload(ctx, in.IncidentID, seq)
}

// detachAlert takes an alert out of an incident: first on the incident (whose access rules
// decide), then on the alert, which is NEW again.
func (s *Server) detachAlert(ctx context.Context, in model.DetachAlertInput) (*model.BulkAlertPayload, error) {
	b, err := s.newBulk(ctx, []string{in.AlertID})
	if err != nil {
		return nil, err
	}
	res, _, err := s.execute(ctx, command{id: in.IncidentID, commandID: in.CommandID, cmd: domain.DetachAlert{AlertID: in.AlertID, Reason: in.Reason}})
	if err != nil {
		return nil, err
	}
	b.each(ctx, in.CommandID, func(aid string) domain.Command {
		return domain.DetachAlertFromIncident{AlertID: aid, IncidentID: in.IncidentID, Reason: in.Reason}
	})
	return b.payload(ctx, in.IncidentID, res.Sequence)
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
