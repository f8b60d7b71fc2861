package graph

import (
	"context"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
	"github.com/dieuphoi/dieuphoi/projections/report"
)

func (s *Server) recordNotification(ctx context.Context, in model.RecordNotificationInput) (*model.IncidentPayload, error) {
	c := domain.RecordNotification{Orgs: in.Orgs, Channel: in.Channel, Reference: deref(in.Reference)}
	return s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: c})
}

func (s *Server) submitReport(ctx context.Context, in model.SubmitReportInput) (*model.IncidentPayload, error) {
	c := domain.SubmitReport{Form: domain.ReportForm(in.Form), Reference: in.Reference, Summary: deref(in.Summary)}
	var sha *string
	if g := in.Generate; g != nil {
		r, err := s.generate(ctx, app.ReportRequest{Form: string(in.Form), IncidentID: in.IncidentID}, g.Format, g.AsOf, g.Fields)
		if err != nil {
			return nil, err
		}
		c.Document, sha = r.Record(), &r.Sha256
	}
	p, err := s.incidentPayload(ctx, command{id: in.IncidentID, commandID: in.CommandID, expected: in.ExpectedVersion, cmd: c})
	if p != nil {
		p.ReportSha256 = sha
	}
	return p, err
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
	var sha *string
	if g := in.Generate; g != nil {
		if len(in.Lines) > 0 {
			return nil, domain.Errorf(domain.EINVALID, "a generated report's lines are counted from the log: give no lines")
		}
		r, err := s.generate(ctx, app.ReportRequest{Form: report.Mau05, Org: a.Org, Period: in.Period, Year: in.Year}, g.Format, g.AsOf, g.Fields)
		if err != nil {
			return nil, err
		}
		c.Document, c.Lines, sha = r.Record(), r.Lines(), &r.Sha256
	}
	id := domain.PeriodicReportID(a.Org, in.Period, in.Year)
	res, _, err := s.execute(ctx, command{id: id, commandID: in.CommandID, cmd: c})
	if err != nil {
		return nil, err
	}
	return &model.PeriodicReportPayload{ReportID: id, Sequence: res.Sequence, ReportSha256: sha}, nil
}
