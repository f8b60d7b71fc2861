package domain

import (
	"slices"
	"strings"
	"time"
)

// Kinds of obligation a coordinator follows besides the scheduler's deadlines (PendingDeadline).
const (
	ObligationInitialReport  = "INITIAL_REPORT"  // Mẫu 03, with the TT20 Art. 9 notification
	ObligationPeriodicReport = "PERIODIC_REPORT" // Mẫu 05
)

// ObligationStatus says where an obligation stands.
type ObligationStatus string

// Obligation statuses. OVERDUE is PENDING past its due time (no miss recorded yet).
const (
	ObligationPending ObligationStatus = "PENDING"
	ObligationOverdue ObligationStatus = "OVERDUE"
	ObligationMet     ObligationStatus = "MET"
	ObligationLate    ObligationStatus = "LATE" // met after its due time
	ObligationMissed  ObligationStatus = "MISSED"
)

// Open reports whether the obligation is still owed.
func (s ObligationStatus) Open() bool { return s == ObligationPending || s == ObligationOverdue }

// Obligation is one regulatory or agreed deadline on an incident: the TT20 Art. 9 notification,
// the initial (Mẫu 03) and closing (Mẫu 04) reports, each escalation's acknowledgement and
// each handoff's answer, whether still owed, met or missed.
type Obligation struct {
	Kind      string // DeadlineNotification, ObligationInitialReport, DeadlineClosingReport, DeadlineEscalationAck, DeadlineHandoffAnswer
	RefID     string // escalation or handoff id; the incident id otherwise
	OwedBy    string
	Due       time.Time
	Status    ObligationStatus
	SettledAt time.Time // when it was met or missed, when the state knows it
}

func settle(due, at time.Time) ObligationStatus {
	if at.After(due) {
		return ObligationLate
	}
	return ObligationMet
}

// Obligations lists the incident's obligations at now under cfg, soonest due first. An
// escalation or handoff still waiting when the incident was closed is no longer owed and is
// left out, as is a withdrawn handoff.
func (i *Incident) Obligations(cfg *Config, now time.Time) []Obligation {
	if i.Status == "" {
		return nil
	}
	var out []Obligation
	open := func(due time.Time) ObligationStatus {
		if now.After(due) {
			return ObligationOverdue
		}
		return ObligationPending
	}
	if due, missing, _, ok := i.notification(cfg); ok {
		o := Obligation{Kind: DeadlineNotification, RefID: i.ID, OwedBy: i.Owner, Due: due, Status: open(due)}
		switch {
		case i.NotificationMissed:
			o.Status = ObligationMissed
		case len(missing) == 0:
			o.Status = ObligationMet
		}
		out = append(out, o)
		o = Obligation{Kind: ObligationInitialReport, RefID: i.ID, OwedBy: i.Owner, Due: due, Status: open(due)}
		if k := slices.IndexFunc(i.Reports, func(r SubmittedReport) bool { return r.Form == ReportFormInitial }); k >= 0 {
			o.Status, o.SettledAt = settle(due, i.Reports[k].At), i.Reports[k].At
		}
		out = append(out, o)
	}
	if i.Status == IncidentStatusClosed && !i.ReportDue.IsZero() {
		o := Obligation{Kind: DeadlineClosingReport, RefID: i.ID, OwedBy: i.Owner, Due: i.ReportDue, Status: open(i.ReportDue)}
		switch {
		case !i.ClosingReportAt.IsZero():
			o.Status, o.SettledAt = settle(i.ReportDue, i.ClosingReportAt), i.ClosingReportAt
		case i.ClosingReportOverdue:
			o.Status = ObligationMissed
		}
		out = append(out, o)
	}
	for _, x := range i.Escalations {
		o := Obligation{Kind: DeadlineEscalationAck, RefID: x.ID, OwedBy: x.To, Due: x.Deadline, Status: open(x.Deadline)}
		switch {
		case !x.AckAt.IsZero():
			o.Status, o.SettledAt = settle(x.Deadline, x.AckAt), x.AckAt
		case x.Status == EscalationStatusMissed:
			o.Status, o.SettledAt = ObligationMissed, x.MissedAt
		case !x.ResolvedAt.IsZero():
			o.Status, o.SettledAt = settle(x.Deadline, x.ResolvedAt), x.ResolvedAt
		case i.Status == IncidentStatusClosed:
			continue
		}
		out = append(out, o)
	}
	for _, h := range i.Handoffs {
		o := Obligation{Kind: DeadlineHandoffAnswer, RefID: h.ID, OwedBy: h.To, Due: h.Deadline, Status: open(h.Deadline)}
		switch h.Status {
		case HandoffStatusAccepted, HandoffStatusDeclined:
			o.Status, o.SettledAt = settle(h.Deadline, h.UpdatedAt), h.UpdatedAt
		case HandoffStatusReturned:
			o.Status = ObligationMet // it was accepted; the return overwrote when
		case HandoffStatusExpired:
			o.Status, o.SettledAt = ObligationMissed, h.UpdatedAt
		case HandoffStatusWithdrawn:
			continue
		default:
			if i.Status == IncidentStatusClosed {
				continue
			}
		}
		out = append(out, o)
	}
	SortObligations(out)
	return out
}

// obligationOrder ranks kinds falling due at the same instant: the notification first.
var obligationOrder = []string{DeadlineNotification, ObligationInitialReport, DeadlineEscalationAck, DeadlineHandoffAnswer,
	DeadlineClosingReport, ObligationPeriodicReport}

// SortObligations orders obligations soonest due first, then by kind (the notification before
// the initial report) and reference.
func SortObligations(os []Obligation) {
	slices.SortStableFunc(os, func(a, b Obligation) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		if c := slices.Index(obligationOrder, a.Kind) - slices.Index(obligationOrder, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.RefID, b.RefID)
	})
}

// NextObligation returns the incident's soonest open obligation, if any.
func (i *Incident) NextObligation(cfg *Config, now time.Time) (Obligation, bool) {
	for _, o := range i.Obligations(cfg, now) {
		if o.Status.Open() {
			return o, true
		}
	}
	return Obligation{}, false
}
