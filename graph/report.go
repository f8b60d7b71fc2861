package graph

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
	"github.com/dieuphoi/dieuphoi/projections"
	"github.com/dieuphoi/dieuphoi/projections/report"
)

func reportFields(in []*model.ReportFieldInput) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range in {
		if _, dup := out[f.Key]; dup {
			return nil, domain.Errorf(domain.EINVALID, "field %q is given twice", f.Key)
		}
		out[f.Key] = f.Value
	}
	return out, nil
}

func reportFormat(f *model.ReportFormat) string {
	if f == nil {
		return "pdf"
	}
	return strings.ToLower(string(*f))
}

func (s *Server) generate(ctx context.Context, req app.ReportRequest, format *model.ReportFormat, asOf *time.Time, fields []*model.ReportFieldInput) (*app.GeneratedReport, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if req.Fields, err = reportFields(fields); err != nil {
		return nil, err
	}
	req.Format, req.AsOf = reportFormat(format), deref(asOf)
	return s.reports.Generate(ctx, a, req)
}

func generatedNode(g *app.GeneratedReport) *model.GeneratedReport {
	b := g.Document.Basis
	out := &model.GeneratedReport{Form: g.Document.Form, Format: model.ReportFormat(strings.ToUpper(g.Format)), Filename: g.Filename, ContentType: g.ContentType,
		Content: base64.StdEncoding.EncodeToString(g.Body), Sha256: g.Sha256, AsOf: b.AsOf, TreeSize: uint64(b.TreeSize), Root: b.Root,
		SignedTreeSize: uint64(b.SignedSize), SignedRoot: b.SignedRoot, Missing: []*model.ReportField{}, Lines: []*model.PeriodicReportLine{}}
	labels := report.Asked(g.Document.Form)
	for _, k := range g.Document.Missing {
		out.Missing = append(out.Missing, &model.ReportField{Key: k, Label: labels[k]})
	}
	for _, l := range g.Lines() {
		out.Lines = append(out.Lines, &model.PeriodicReportLine{Type: l.Type, Count: l.Count, HandledAlone: l.HandledAlone, DomesticHelp: l.DomesticHelp,
			ForeignHelp: l.ForeignHelp, NationalHelp: l.NationalHelp, EstimatedDamage: nonEmpty(l.EstimatedDamage)})
	}
	if g.Tally != nil {
		for _, n := range g.Tally.Drills {
			out.Drills += n
		}
	}
	return out
}

func (s *Server) incidentReport(ctx context.Context, id string, form model.ReportForm, format *model.ReportFormat, asOf *time.Time, fields []*model.ReportFieldInput) (*model.GeneratedReport, error) {
	g, err := s.generate(ctx, app.ReportRequest{Form: string(form), IncidentID: id}, format, asOf, fields)
	if err != nil {
		return nil, err
	}
	return generatedNode(g), nil
}

func (s *Server) periodicReport(ctx context.Context, org *string, period string, year int, format *model.ReportFormat, asOf *time.Time, fields []*model.ReportFieldInput) (*model.GeneratedReport, error) {
	g, err := s.generate(ctx, app.ReportRequest{Form: report.Mau05, Org: deref(org), Period: period, Year: year}, format, asOf, fields)
	if err != nil {
		return nil, err
	}
	return generatedNode(g), nil
}

func obligationNode(o domain.Obligation, inc *projections.IncidentObligation, now time.Time) *model.Obligation {
	out := &model.Obligation{Kind: o.Kind, RefID: o.RefID, OwedBy: o.OwedBy, Due: o.Due, Status: model.ObligationStatus(o.Status),
		SecondsLeft: int(o.Due.Sub(now) / time.Second)}
	if !o.SettledAt.IsZero() {
		t := o.SettledAt
		out.SettledAt = &t
	}
	if inc != nil {
		out.IncidentID, out.IncidentTitle, out.Drill = &inc.IncidentID, &inc.Title, inc.Drill
	}
	return out
}

func (s *Server) incidentDeadlines(ctx context.Context, id string, minSeq *uint64) ([]*model.Obligation, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.minSequence(ctx, minSeq); err != nil {
		return nil, err
	}
	now := s.now()
	os, err := s.projector.Incidents.Obligations(a, id, now)
	if err != nil {
		return nil, err
	}
	out := []*model.Obligation{}
	for k := range os {
		out = append(out, obligationNode(os[k].Obligation, &os[k], now))
	}
	return out, nil
}

// orgOrOwn checks an organisation argument (default the caller's).
func (s *Server) orgOrOwn(a domain.Actor, org *string) (string, error) {
	if org == nil || *org == "" {
		return a.Org, nil
	}
	if _, ok := s.cfg.Org(*org); !ok {
		return "", domain.Errorf(domain.EINVALID, "organisation %q is not in the directory", *org)
	}
	return *org, nil
}

func (s *Server) deadlines(ctx context.Context, org *string, first *int, minSeq *uint64) ([]*model.Obligation, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.orgOrOwn(a, org)
	if err != nil {
		return nil, err
	}
	n := deref(first)
	if n < 1 || n > projections.MaxPage {
		return nil, domain.Errorf(domain.EINVALID, "first must be between 1 and %d", projections.MaxPage)
	}
	if err := s.minSequence(ctx, minSeq); err != nil {
		return nil, err
	}
	now := s.now()
	var nodes []*model.Obligation
	for _, io := range s.projector.Incidents.OwedBy(a, o, now, n) {
		nodes = append(nodes, obligationNode(io.Obligation, &io, now))
	}
	for _, po := range s.projector.PeriodicObligations(a, o, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0), now) {
		if po.Status.Open() {
			nodes = append(nodes, obligationNode(po, nil, now))
		}
	}
	slices.SortStableFunc(nodes, func(x, y *model.Obligation) int { return x.Due.Compare(y.Due) })
	if len(nodes) > n {
		nodes = nodes[:n]
	}
	return orEmpty(nodes), nil
}

func durationNode(d projections.Durations) *model.DurationSummary {
	out := &model.DurationSummary{Count: d.Count}
	if d.Count > 0 {
		med, mx := int(d.Median/time.Second), int(d.Max/time.Second)
		out.MedianSeconds, out.MaxSeconds = &med, &mx
	}
	return out
}

func (s *Server) compliance(ctx context.Context, org, period *string, year *int, from, to *time.Time, minSeq *uint64) (*model.Compliance, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.orgOrOwn(a, org)
	if err != nil {
		return nil, err
	}
	var f, t time.Time
	switch {
	case period != nil && year != nil && from == nil && to == nil:
		if f, t, _, err = domain.PeriodWindow(s.cfg, *period, *year); err != nil {
			return nil, err
		}
	case period == nil && year == nil && from != nil && to != nil && from.Before(*to):
		f, t = *from, *to
	default:
		return nil, domain.Errorf(domain.EINVALID, "give a period and a year, or from and to (from before to)")
	}
	if err := s.minSequence(ctx, minSeq); err != nil {
		return nil, err
	}
	c := s.projector.Compliance(a, o, f, t, s.now())
	out := &model.Compliance{Org: c.Org, From: c.From, To: c.To, Incidents: c.Incidents, Drills: c.Drills,
		Acknowledge: durationNode(c.Acknowledge), HandOff: durationNode(c.HandOff), Close: durationNode(c.Close)}
	for _, k := range c.Kinds {
		out.Kinds = append(out.Kinds, &model.KindCompliance{Kind: k.Kind, Met: k.Met, Late: k.Late, Missed: k.Missed, Pending: k.Pending, Overdue: k.Overdue})
	}
	return out, nil
}
