package graph

import (
	"context"
	"slices"
	"time"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
	"github.com/dieuphoi/dieuphoi/projections"
)

// derivedID is the id of a new entity a command creates: derived from the actor and the
// client's command id (a retry names the same entity), else new.
func derivedID(a domain.Actor, commandID *string, kind string) string {
	return app.DerivedID(a, deref(commandID), kind)
}

// command is one command as a resolver states it.
type command struct {
	id        string // the aggregate's
	cmd       domain.Command
	commandID *string
	expected  *int
	// inspect sees the aggregate after the command (app.Request.Inspect).
	inspect func(agg domain.Aggregate, recorded []domain.Event)
}

// execute runs a command for the authenticated actor through the application, which waits until
// this replica's read models contain it, so that the payload shows the write.
func (s *Server) execute(ctx context.Context, c command) (app.Result, domain.Actor, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return app.Result{}, a, err
	}
	res, err := s.app.Execute(ctx, app.Request{Actor: a, AggregateID: c.id, Command: c.cmd, CommandID: deref(c.commandID),
		ExpectedVersion: c.expected, Inspect: c.inspect})
	return res, a, err
}

// waitApplied waits (a bounded time) for the read models to contain seq.
func (s *Server) waitApplied(ctx context.Context, seq uint64) error {
	if s.projector.Applied() >= seq {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, readYourWrites)
	defer cancel()
	return s.projector.WaitFor(wctx, seq)
}

// incidentAfter returns the incident as the actor sees it after a command recorded at seq.
func (s *Server) incidentAfter(a domain.Actor, id string, seq uint64) (*projections.IncidentDetail, error) {
	d, err := s.projector.Incidents.Incident(a, id, s.now())
	if err != nil {
		return nil, domain.Errorf(domain.ENOTFOUND, "the change was recorded (sequence %d), but you can no longer see incident %q", seq, id)
	}
	return &d, nil
}

// incidentPayload runs a command whose payload is the incident.
func (s *Server) incidentPayload(ctx context.Context, c command) (*model.IncidentPayload, error) {
	res, a, err := s.execute(ctx, c)
	if err != nil {
		return nil, err
	}
	inc, err := s.incidentAfter(a, c.id, res.Sequence)
	if err != nil {
		return nil, err
	}
	return &model.IncidentPayload{Incident: inc, Sequence: res.Sequence}, nil
}

// incidentOf finds the incident an escalation or handoff belongs to, among those the actor may
// read; one that is not found yet may be in the log already (written on another replica a
// moment ago), so the read models catch up once before the answer is NOT_FOUND.
func (s *Server) incidentOf(ctx context.Context, find func(domain.Actor, string) (string, error), id string) (string, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return "", err
	}
	inc, err := find(a, id)
	if err == nil || domain.ErrorCode(err) != domain.ENOTFOUND {
		return inc, err
	}
	wctx, cancel := context.WithTimeout(ctx, catchUpWait)
	defer cancel()
	if last, lerr := s.store.LastSequence(wctx); lerr == nil && last > s.projector.Applied() {
		if s.projector.WaitFor(wctx, last) == nil {
			return find(a, id)
		}
	}
	return "", err
}

func (s *Server) openIncident(ctx context.Context, in model.OpenIncidentInput) (*model.OpenIncidentPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	id := derivedID(a, in.CommandID, "")
	res, a, err := s.execute(ctx, command{id: id, commandID: in.CommandID, cmd: openCommand(in)})
	if err != nil {
		return nil, err
	}
	inc, err := s.incidentAfter(a, id, res.Sequence)
	if err != nil {
		return nil, err
	}
	return &model.OpenIncidentPayload{Incident: inc, Sequence: res.Sequence}, nil
}

func (s *Server) classifyIncident(ctx context.Context, in model.ClassifyIncidentInput) (*model.IncidentPayload, error) {
	c := domain.Classify{Type: deref(in.Type), Severity: deref(in.Severity), Tier: deref(in.Tier), Sector: deref(in.Sector),
		AffectedSystem: affectedSystem(in.AffectedSystem)}
	return s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: c})
}

func (s *Server) assignLead(ctx context.Context, in model.AssignLeadInput) (*model.IncidentPayload, error) {
	return s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: domain.AssignLead{Org: in.Org}})
}

func (s *Server) changePhase(ctx context.Context, in model.ChangePhaseInput) (*model.IncidentPayload, error) {
	c := domain.ChangePhase{Phase: in.Phase, Reason: deref(in.Reason)}
	return s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: c})
}

func (s *Server) addNote(ctx context.Context, in model.AddNoteInput) (*model.AddNotePayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	c := domain.AddNote{NoteID: derivedID(a, in.CommandID, "note"), Text: in.Text, TLP: deref(in.Tlp)}
	p, err := s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: c})
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(p.Incident.Notes, func(n domain.Note) bool { return n.ID == c.NoteID })
	if i < 0 {
		return nil, domain.Errorf(domain.ENOTFOUND, "the note was recorded (sequence %d), but you can no longer see it", p.Sequence)
	}
	return &model.AddNotePayload{Note: &p.Incident.Notes[i], Incident: p.Incident, Sequence: p.Sequence}, nil
}

func (s *Server) addIndicator(ctx context.Context, in model.AddIndicatorInput) (*model.AddIndicatorPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	c := domain.AddIndicator{IndicatorID: derivedID(a, in.CommandID, "indicator"), Type: in.Type, Value: in.Value, TLP: deref(in.Tlp)}
	p, err := s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: c})
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(p.Incident.Indicators, func(x domain.Indicator) bool { return x.ID == c.IndicatorID })
	if i < 0 {
		return nil, domain.Errorf(domain.ENOTFOUND, "the indicator was recorded (sequence %d), but you can no longer see it", p.Sequence)
	}
	return &model.AddIndicatorPayload{Indicator: &p.Incident.Indicators[i], Incident: p.Incident, Sequence: p.Sequence}, nil
}

func (s *Server) shareIncident(ctx context.Context, in model.ShareIncidentInput) (*model.IncidentPayload, error) {
	return s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: domain.Share{Orgs: in.Orgs}})
}

func (s *Server) nameRecipients(ctx context.Context, in model.NameRecipientsInput) (*model.IncidentPayload, error) {
	return s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: domain.NameRecipients{Users: in.Users}})
}

func (s *Server) changeTLP(ctx context.Context, in model.ChangeTLPInput) (*model.IncidentPayload, error) {
	c := domain.ChangeTLP{TLP: in.Tlp, Reason: deref(in.Reason)}
	return s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: c})
}

func (s *Server) closeIncident(ctx context.Context, in model.CloseIncidentInput) (*model.IncidentPayload, error) {
	c := domain.CloseIncident{Resolution: in.Resolution, Summary: in.Summary}
	return s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: c})
}

func (s *Server) reopenIncident(ctx context.Context, in model.ReopenIncidentInput) (*model.IncidentPayload, error) {
	c := domain.ReopenIncident{Reason: in.Reason}
	return s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: c})
}

// Escalations.

func (s *Server) escalationPayload(ctx context.Context, c command, escalationID string) (*model.EscalationPayload, error) {
	p, err := s.incidentPayload(ctx, c)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(p.Incident.Escalations, func(x domain.Escalation) bool { return x.ID == escalationID })
	if i < 0 {
		return nil, domain.Errorf(domain.ENOTFOUND, "escalation %q not found", escalationID)
	}
	return &model.EscalationPayload{Escalation: &p.Incident.Escalations[i], Incident: p.Incident, Sequence: p.Sequence}, nil
}

func (s *Server) escalateIncident(ctx context.Context, in model.EscalateIncidentInput) (*model.EscalationPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	c := domain.Escalate{EscalationID: derivedID(a, in.CommandID, "escalation"), ToOrg: in.ToOrg, Reason: in.Reason, AckWithin: deref(in.AckWithin)}
	return s.escalationPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: c}, c.EscalationID)
}

func (s *Server) acknowledgeEscalation(ctx context.Context, in model.AcknowledgeEscalationInput) (*model.EscalationPayload, error) {
	inc, err := s.incidentOf(ctx, s.projector.Incidents.IncidentOfEscalation, in.EscalationID)
	if err != nil {
		return nil, err
	}
	c := domain.AcknowledgeEscalation{EscalationID: in.EscalationID}
	return s.escalationPayload(ctx, command{id: inc, commandID: in.CommandID, cmd: c}, in.EscalationID)
}

func (s *Server) resolveEscalation(ctx context.Context, in model.ResolveEscalationInput) (*model.EscalationPayload, error) {
	inc, err := s.incidentOf(ctx, s.projector.Incidents.IncidentOfEscalation, in.EscalationID)
	if err != nil {
		return nil, err
	}
	c := domain.ResolveEscalation{EscalationID: in.EscalationID, Resolution: in.Resolution}
	return s.escalationPayload(ctx, command{id: inc, commandID: in.CommandID, cmd: c}, in.EscalationID)
}

// Handoffs. Answering a handoff can take the incident out of the answering organisation's
// sight (a declined or returned handoff), so the payload's incident may be null; the handoff
// itself is taken from the incident as the command left it.

func (s *Server) handoffPayload(ctx context.Context, c command, handoffID string) (*model.HandoffPayload, error) {
	var after domain.Handoff
	c.inspect = func(agg domain.Aggregate, _ []domain.Event) {
		if h := agg.(*domain.Incident).Handoff(handoffID); h != nil {
			after = *h
		}
	}
	res, a, err := s.execute(ctx, c)
	if err != nil {
		return nil, err
	}
	p := &model.HandoffPayload{Sequence: res.Sequence}
	if d, err := s.projector.Incidents.Incident(a, c.id, s.now()); err == nil {
		p.Incident = &d
		if i := slices.IndexFunc(d.Handoffs, func(h domain.Handoff) bool { return h.ID == handoffID }); i >= 0 {
			after = d.Handoffs[i]
		}
	}
	if after.ID == "" { // a retry answered from the command log: read the incident from the log
		agg, err := s.app.Load(ctx, "incident", c.id, res.Sequence)
		if err != nil {
			return nil, err
		}
		h := agg.(*domain.Incident).Handoff(handoffID)
		if h == nil {
			return nil, domain.Errorf(domain.ENOTFOUND, "handoff %q not found", handoffID)
		}
		after = *h
	}
	p.Handoff = &after
	return p, nil
}

func (s *Server) offerHandoff(ctx context.Context, in model.OfferHandoffInput) (*model.HandoffPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	c := domain.OfferHandoff{HandoffID: derivedID(a, in.CommandID, "handoff"), ToOrg: in.ToOrg, Summary: in.Summary,
		RequestedAction: deref(in.RequestedAction), TLP: deref(in.Tlp), AnswerWithin: deref(in.AnswerWithin),
		ReleaseOnAccept: deref(in.ReleaseOnAccept)}
	return s.handoffPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: c}, c.HandoffID)
}

// answerHandoff runs a command on the handoff of the incident it belongs to.
func (s *Server) answerHandoff(ctx context.Context, handoffID string, commandID *string, cmd domain.Command) (*model.HandoffPayload, error) {
	inc, err := s.incidentOf(ctx, s.projector.Incidents.IncidentOfHandoff, handoffID)
	if err != nil {
		return nil, err
	}
	return s.handoffPayload(ctx, command{id: inc, commandID: commandID, cmd: cmd}, handoffID)
}

func (s *Server) acknowledgeHandoff(ctx context.Context, in model.AcknowledgeHandoffInput) (*model.HandoffPayload, error) {
	return s.answerHandoff(ctx, in.HandoffID, in.CommandID, domain.AcknowledgeHandoff{HandoffID: in.HandoffID})
}

func (s *Server) acceptHandoff(ctx context.Context, in model.AcceptHandoffInput) (*model.HandoffPayload, error) {
	return s.answerHandoff(ctx, in.HandoffID, in.CommandID, domain.AcceptHandoff{HandoffID: in.HandoffID})
}

func (s *Server) declineHandoff(ctx context.Context, in model.DeclineHandoffInput) (*model.HandoffPayload, error) {
	return s.answerHandoff(ctx, in.HandoffID, in.CommandID, domain.DeclineHandoff{HandoffID: in.HandoffID, Reason: in.Reason})
}

func (s *Server) returnHandoff(ctx context.Context, in model.ReturnHandoffInput) (*model.HandoffPayload, error) {
	return s.answerHandoff(ctx, in.HandoffID, in.CommandID, domain.ReturnHandoff{HandoffID: in.HandoffID, Reason: in.Reason})
}

func (s *Server) withdrawHandoff(ctx context.Context, in model.WithdrawHandoffInput) (*model.HandoffPayload, error) {
	return s.answerHandoff(ctx, in.HandoffID, in.CommandID, domain.WithdrawHandoff{HandoffID: in.HandoffID, Reason: in.Reason})
}

// Mapping of inputs.

func openCommand(in model.OpenIncidentInput) domain.OpenIncident {
	return domain.OpenIncident{Title: in.Title, Description: deref(in.Description), Type: in.Type, Sector: deref(in.Sector),
		Severity: in.Severity, Tier: deref(in.Tier), TLP: in.Tlp, PAP: deref(in.Pap), DetectedAt: in.DetectedAt,
		Drill: deref(in.Drill), Source: deref(in.Source), AlertIDs: in.AlertIds, AffectedSystem: affectedSystem(in.AffectedSystem)}
}

func affectedSystem(in *model.AffectedSystemInput) *domain.AffectedSystem {
	if in == nil {
		return nil
	}
	return &domain.AffectedSystem{Name: in.Name, OwnerOrg: deref(in.OwnerOrg), SecurityLevel: deref(in.SecurityLevel),
		InfoClass: deref(in.InfoClass), ProtectionLayers: in.ProtectionLayers}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func nonEmpty[T ~string](v T) *T {
	if v == "" {
		return nil
	}
	return &v
}

func nonZeroTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
