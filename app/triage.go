package app

import (
	"context"
	"slices"
	"strings"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/projections"
)

// MaxBulkAlerts bounds the alerts of one bulk triage command.
const MaxBulkAlerts = domain.MaxMergeAlerts

// AlertOutcome is what became of one alert of a bulk triage command: Err nil when done.
type AlertOutcome struct {
	AlertID string
	Err     error
}

// Triaged is the result of a bulk triage command: each alert's outcome in request order
// (repeated ids once), the alerts stream's sequence after the last write, and the incident the
// alerts joined with the event stream's sequence, if any.
type Triaged struct {
	Outcomes      []AlertOutcome
	AlertSequence uint64
	IncidentID    string
	Sequence      uint64
}

// bulk is one bulk triage command under way.
type bulk struct {
	a     *App
	actor domain.Actor
	out   Triaged
}

func (a *App) newBulk(actor domain.Actor, ids []string) (*bulk, error) {
	if a.alerts == nil || a.repos["alertfp"] == nil {
		return nil, domain.Errorf(domain.EINTERNAL, "alert triage is not configured on this server")
	}
	switch {
	case len(ids) == 0:
		return nil, domain.Errorf(domain.EINVALID, "give at least one alert id")
	case len(ids) > MaxBulkAlerts:
		return nil, domain.Errorf(domain.ETOOLARGE, "at most %d alerts at once, not %d", MaxBulkAlerts, len(ids))
	}
	b := &bulk{a: a, actor: actor}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if !slices.ContainsFunc(b.out.Outcomes, func(o AlertOutcome) bool { return o.AlertID == id }) {
			b.out.Outcomes = append(b.out.Outcomes, AlertOutcome{AlertID: id})
		}
	}
	return b, nil
}

// ok returns the ids of the alerts still without a failure.
func (b *bulk) ok() []string {
	var out []string
	for _, o := range b.out.Outcomes {
		if o.Err == nil {
			out = append(out, o.AlertID)
		}
	}
	return out
}

// check marks alerts the actor may not triage (NOT_FOUND) or that are not in a state for the
// command (want nil accepts any), from the read model caught up with the stream.
func (b *bulk) check(ctx context.Context, want func(projections.AlertView) error) {
	b.a.catchUpAlerts(ctx)
	for i := range b.out.Outcomes {
		o := &b.out.Outcomes[i]
		v, err := b.a.alerts.Alert(b.actor, o.AlertID)
		if err == nil && want != nil {
			err = want(v)
		}
		o.Err = err
	}
}

// each runs a command on the series of every alert still ok; the command id of each derives
// from the client's, so that a retry records nothing twice.
func (b *bulk) each(ctx context.Context, commandID string, cmd func(alertID string) domain.Command) {
	for i := range b.out.Outcomes {
		o := &b.out.Outcomes[i]
		if o.Err != nil {
			continue
		}
		fp := domain.SeriesOf(o.AlertID)
		if fp == "" {
			o.Err = domain.Errorf(domain.ENOTFOUND, "alert %q not found", o.AlertID)
			continue
		}
		cid := ""
		if commandID != "" {
			if cid = commandID + "." + strings.ReplaceAll(o.AlertID, "-", "_"); len(cid) > 128 {
				cid = DerivedID(b.actor, cid, "")
			}
		}
		res, err := b.a.Execute(ctx, Request{Actor: b.actor, AggregateID: fp, Command: cmd(o.AlertID), CommandID: cid, NoWait: true})
		if err != nil {
			o.Err = err
			continue
		}
		b.out.AlertSequence = max(b.out.AlertSequence, res.Sequence)
	}
}

// done waits until this replica's read models show the command's writes.
func (b *bulk) done(ctx context.Context) (Triaged, error) {
	if err := b.a.wait(ctx, b.a.alerts, b.out.AlertSequence); err != nil {
		return b.out, err
	}
	if b.out.IncidentID != "" {
		if err := b.a.wait(ctx, b.a.repos["incident"].waiter(), b.out.Sequence); err != nil {
			return b.out, err
		}
	}
	return b.out, nil
}

// compensate detaches from the incident the alerts it lists that failed afterwards, so that
// incident and alerts agree.
func (b *bulk) compensate(ctx context.Context, listed []string) {
	for _, o := range b.out.Outcomes {
		if o.Err == nil || !slices.Contains(listed, o.AlertID) {
			continue
		}
		res, err := b.a.Execute(ctx, Request{Actor: b.actor, AggregateID: b.out.IncidentID, NoWait: true,
			Command: domain.DetachAlert{AlertID: o.AlertID, Reason: "the alert could not be recorded as part of the incident: " + domain.ErrorMessage(o.Err)}})
		if err == nil {
			b.out.Sequence = max(b.out.Sequence, res.Sequence)
		}
	}
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

// DismissAlerts closes new alerts without an incident.
func (a *App) DismissAlerts(ctx context.Context, actor domain.Actor, ids []string, reason, commandID string) (Triaged, error) {
	b, err := a.newBulk(actor, ids)
	if err != nil {
		return Triaged{}, err
	}
	if strings.TrimSpace(reason) == "" {
		return Triaged{}, domain.Errorf(domain.EINVALID, "give the reason for dismissing the alerts")
	}
	b.each(ctx, commandID, func(id string) domain.Command { return domain.DismissAlert{AlertID: id, Reason: reason} })
	return b.done(ctx)
}

// PromoteAlerts opens incident id (open, with source ALERTS) from the alerts that may be
// promoted, then marks each promoted. An alert triaged elsewhere in between is detached again
// from the new incident, so that incident and alerts agree.
func (a *App) PromoteAlerts(ctx context.Context, actor domain.Actor, ids []string, id string, open domain.OpenIncident, commandID string) (Triaged, error) {
	b, err := a.newBulk(actor, ids)
	if err != nil {
		return Triaged{}, err
	}
	if !domain.RoleMay(actor.Role, domain.CmdOpenIncident) {
		return Triaged{}, domain.Errorf(domain.EFORBIDDEN, "the %s role may not open incidents", actor.Role)
	}
	b.check(ctx, newOnly)
	ok := b.ok()
	if len(ok) == 0 {
		return b.done(ctx)
	}
	open.Source, open.AlertIDs = domain.SourceAlerts, ok
	res, err := a.Execute(ctx, Request{Actor: actor, AggregateID: id, Command: open, CommandID: commandID, NoWait: true})
	if err != nil {
		return Triaged{}, err
	}
	b.out.IncidentID, b.out.Sequence = id, res.Sequence
	b.each(ctx, commandID, func(aid string) domain.Command { return domain.PromoteAlert{AlertID: aid, IncidentID: id} })
	b.compensate(ctx, ok)
	return b.done(ctx)
}

// MergeAlerts adds new alerts to an existing incident: on the incident first (whose access
// rules decide), then on each alert.
func (a *App) MergeAlerts(ctx context.Context, actor domain.Actor, ids []string, incidentID, commandID string) (Triaged, error) {
	b, err := a.newBulk(actor, ids)
	if err != nil {
		return Triaged{}, err
	}
	b.check(ctx, func(v projections.AlertView) error {
		if v.Status == domain.AlertStatusPromoted && v.Incident == incidentID {
			return nil // already merged: a retry
		}
		return newOnly(v)
	})
	ok := b.ok()
	if len(ok) == 0 {
		return b.done(ctx)
	}
	res, err := a.Execute(ctx, Request{Actor: actor, AggregateID: incidentID, Command: domain.MergeAlerts{AlertIDs: ok}, CommandID: commandID, NoWait: true})
	if err != nil {
		return Triaged{}, err
	}
	b.out.IncidentID, b.out.Sequence = incidentID, res.Sequence
	b.each(ctx, commandID, func(aid string) domain.Command {
		return domain.PromoteAlert{AlertID: aid, IncidentID: incidentID, Merged: true}
	})
	b.compensate(ctx, ok)
	return b.done(ctx)
}

// DetachAlert takes an alert out of an incident: first on the incident (whose access rules
// decide), then on the alert, which is NEW again.
func (a *App) DetachAlert(ctx context.Context, actor domain.Actor, alertID, incidentID, reason, commandID string) (Triaged, error) {
	b, err := a.newBulk(actor, []string{alertID})
	if err != nil {
		return Triaged{}, err
	}
	res, err := a.Execute(ctx, Request{Actor: actor, AggregateID: incidentID, Command: domain.DetachAlert{AlertID: alertID, Reason: reason},
		CommandID: commandID, NoWait: true})
	if err != nil {
		return Triaged{}, err
	}
	b.out.IncidentID, b.out.Sequence = incidentID, res.Sequence
	b.each(ctx, commandID, func(aid string) domain.Command {
		return domain.DetachAlertFromIncident{AlertID: aid, IncidentID: incidentID, Reason: reason}
	})
	return b.done(ctx)
}

// catchUpAlerts lets the triage read model read what the alerts stream holds now, a bounded
// time.
func (a *App) catchUpAlerts(ctx context.Context) {
	if last, err := a.alertStore.LastSequence(ctx); err == nil {
		_ = a.wait(ctx, a.alerts, last)
	}
}
