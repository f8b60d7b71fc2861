package graph

import (
	"context"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
)

func (s *Server) recordNotification(ctx context.Context, in model.RecordNotificationInput) (*model.IncidentPayload, error) {
	c := domain.RecordNotification{Orgs: in.Orgs, Channel: in.Channel, Reference: deref(in.Reference)}
	return s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: c})
}

func (s *Server) submitReport(ctx context.Context, in model.SubmitReportInput) (*model.IncidentPayload, error) {
	c := domain.SubmitReport{Form: domain.ReportForm(in.Form), Reference: in.Reference, Summary: deref(in.Summary)}
	return s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: c})
}

func (s *Server) submitPeriodicReport(ctx context.Context, in model.SubmitPeriodicReportInput) (*model.PeriodicReportPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	c := domain.SubmitPeriodicReport{Reference: in.Reference, Summary: deref(in.Summary)}
	for _, l := range in.Lines {
		c.Lines = append(c.Lines, domain.PeriodicReportLine{Type: l.Type, Count: l.Count, HandledAlone: l.HandledAlone,
			DomesticHelp: l.DomesticHelp, ForeignHelp: l.ForeignHelp, NationalHelp: l.NationalHelp, EstimatedDamage: deref(l.EstimatedDamage)})
	}
	id := domain.PeriodicReportID(a.Org, in.Period, in.Year)
	res, _, err := s.execute(ctx, command{id: id, commandID: in.CommandID, cmd: c})
	if err != nil {
		return nil, err
	}
	return &model.PeriodicReportPayload{ReportID: id, Sequence: res.Sequence}, nil
}
