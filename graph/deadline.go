package graph

import (
	"context"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
)

func (s *Server) recordNotification(ctx context.Context, in model.RecordNotificationInput) (*model.IncidentPayload, error) {
	c := domain.RecordNotification{Orgs: in.Orgs, Channel: in.Channel, Reference: deref(in.Reference)}
	return s.incidentPayload(ctx, command{name: "RecordNotification", incidentID: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion,
		run: func(i *domain.Incident, inv domain.Invocation) error { return i.RecordNotification(inv, c) }})
}

func (s *Server) submitReport(ctx context.Context, in model.SubmitReportInput) (*model.IncidentPayload, error) {
	c := domain.SubmitReport{Form: domain.ReportForm(in.Form), Reference: in.Reference, Summary: deref(in.Summary)}
	return s.incidentPayload(ctx, command{name: "SubmitReport", incidentID: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion,
		run: func(i *domain.Incident, inv domain.Invocation) error { return i.SubmitReport(inv, c) }})
}

func (s *Server) submitPeriodicReport(ctx context.Context, in model.SubmitPeriodicReportInput) (*model.PeriodicReportPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	meta, err := s.commandMeta("SubmitPeriodicReport", a, in.CommandID, nil)
	if err != nil {
		return nil, err
	}
	c := domain.SubmitPeriodicReport{Reference: in.Reference, Summary: deref(in.Summary)}
	for _, l := range in.Lines {
		c.Lines = append(c.Lines, domain.PeriodicReportLine{Type: l.Type, Count: l.Count, HandledAlone: l.HandledAlone,
			DomesticHelp: l.DomesticHelp, ForeignHelp: l.ForeignHelp, NationalHelp: l.NationalHelp, EstimatedDamage: deref(l.EstimatedDamage)})
	}
	id := domain.PeriodicReportID(a.Org, in.Period, in.Year)
	inv := domain.Invocation{Actor: a, Now: meta.At, Config: s.cfg}
	res, err := s.reports.Update(ctx, id, meta, func(r *domain.PeriodicReport) error { return r.SubmitPeriodicReport(inv, c) })
	if err != nil {
		return nil, err
	}
	if err := s.waitApplied(ctx, res.Sequence); err != nil {
		return nil, err
	}
	return &model.PeriodicReportPayload{ReportID: id, Sequence: res.Sequence}, nil
}
