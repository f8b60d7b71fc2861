package projections

import (
	"slices"
	"sync"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// PeriodicStatus is where one periodic report (Mẫu 05) stands in the log.
type PeriodicStatus struct {
	ID          string
	Submitted   bool
	SubmittedAt time.Time
	Late        bool
	Overdue     bool // recorded overdue by the scheduler
	Reference   string
	Sha256      string
}

// Reports knows the periodic reports (Mẫu 05) recorded in the log: submitted, or recorded
// overdue ("settled" either way).
type Reports struct {
	mu sync.RWMutex
	m  map[string]PeriodicStatus
}

func (r *Reports) apply(id string, envs []eventstore.Envelope) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]PeriodicStatus{}
	}
	s := r.m[id]
	s.ID = id
	for _, e := range envs {
		switch ev := e.Event.(type) {
		case domain.PeriodicReportSubmitted:
			s.Submitted, s.SubmittedAt, s.Late, s.Reference = true, ev.At, ev.Late, ev.Reference
			if ev.Document != nil {
				s.Sha256 = ev.Document.Sha256
			}
		case domain.PeriodicReportOverdue:
			s.Overdue = true
		}
	}
	r.m[id] = s
}

// Settled reports whether a periodic report was submitted or recorded overdue.
func (r *Reports) Settled(id string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.m[id]
	return ok && (s.Submitted || s.Overdue)
}

// Status returns what the log says of a periodic report (zero when nothing).
func (r *Reports) Status(id string) PeriodicStatus {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s := r.m[id]
	s.ID = id
	return s
}

// PeriodicObligations lists the periodic reports org owes with a due time in [from, to], with
// where each stands at now. Only the organisation itself and the subcommittee, which receives
// them, may see them (domain.CanReadPeriodicReports); anyone else gets none.
func (p *Projector) PeriodicObligations(viewer domain.Actor, org string, from, to, now time.Time) []domain.Obligation {
	if !domain.CanReadPeriodicReports(viewer, org, p.cfg) {
		return nil
	}
	var out []domain.Obligation
	for _, due := range domain.DuePeriodicReports(p.cfg, from, to) {
		if due.Org != org {
			continue
		}
		s := p.Reports.Status(due.ID)
		o := domain.Obligation{Kind: domain.ObligationPeriodicReport, RefID: due.ID, OwedBy: org, Due: due.Due, Status: domain.ObligationPending}
		switch {
		case s.Submitted && s.Late:
			o.Status, o.SettledAt = domain.ObligationLate, s.SubmittedAt
		case s.Submitted:
			o.Status, o.SettledAt = domain.ObligationMet, s.SubmittedAt
		case s.Overdue:
			o.Status = domain.ObligationMissed
		case now.After(due.Due):
			o.Status = domain.ObligationOverdue
		}
		out = append(out, o)
	}
	return out
}

// ReportIncident returns the incident as a report made for viewer may show it: ENOTFOUND when
// the viewer may not read it (the same answer as for one that does not exist). Notes and
// indicators are left out (no form prints them); handoff summaries and requested actions the
// viewer may not read are blank; TLP:RED recipients are those the viewer may know of.
func (x *Incidents) ReportIncident(viewer domain.Actor, id string) (*domain.Incident, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, err := x.lookup(viewer, id)
	if err != nil {
		return nil, err
	}
	i := m.inc
	c := &domain.Incident{ID: i.ID, Title: i.Title, Description: i.Description, Classification: i.Classification,
		Origin: i.Origin, OpenedBy: i.OpenedBy, Lead: i.Lead, Owner: i.Owner, Status: i.Status, Phase: i.Phase, TLP: i.TLP, PAP: i.PAP,
		Drill: i.Drill, Source: i.Source, DetectedAt: i.DetectedAt, OpenedAt: i.OpenedAt, Shared: slices.Clone(i.Shared),
		Recipients: x.recipients(viewer, m), Resolution: i.Resolution, CloseSummary: i.CloseSummary, ClosedAt: i.ClosedAt, Reopened: i.Reopened,
		OriginReleased: i.OriginReleased, Notified: slices.Clone(i.Notified), NotificationMissed: i.NotificationMissed, ReportDue: i.ReportDue,
		ClosingReportAt: i.ClosingReportAt, ClosingReportOverdue: i.ClosingReportOverdue, Reports: slices.Clone(i.Reports)}
	if s := i.AffectedSystem; s != nil {
		cs := *s
		cs.ProtectionLayers = slices.Clone(s.ProtectionLayers)
		c.AffectedSystem = &cs
	}
	for _, e := range i.Escalations {
		ce := *e
		ce.Chain = slices.Clone(e.Chain)
		c.Escalations = append(c.Escalations, &ce)
	}
	for _, h := range i.Handoffs {
		ch := *h
		ch.Chain = slices.Clone(h.Chain)
		if !x.handoffReadable(viewer, m, h) {
			ch.Summary, ch.RequestedAction = "", ""
		}
		c.Handoffs = append(c.Handoffs, &ch)
	}
	return c, nil
}

// ReportScan calls fn with every incident viewer may read, in the order they were opened, under
// the read lock: fn must neither keep nor change it, and may only use what no TLP-labelled item
// holds (classification, dates, escalations' and handoffs' addressees and statuses). It returns
// the highest stream sequence the incident read model holds, readable or not, so that a caller
// can tell whether it is still the log as of a sequence.
func (x *Incidents) ReportScan(viewer domain.Actor, fn func(*domain.Incident)) (last uint64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	v := x.viewer(viewer)
	for k := range x.rows {
		r := &x.rows[k]
		last = max(last, r.m.seq)
		if r.m.inc.Status != "" && x.visible(&v, r) {
			fn(r.m.inc)
		}
	}
	return last
}
