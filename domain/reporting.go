package domain

import (
	"slices"
	"strings"
	"time"
)

func init() {
	registerEvent[NotificationRecorded]("incident", 1, nil)
	registerEvent[NotificationDeadlineMissed]("incident", 1, nil)
	registerEvent[ReportSubmitted]("incident", 1, nil)
	registerEvent[ClosingReportOverdue]("incident", 1, nil)
	registerCommand((*Incident).RecordNotification)
	registerCommand((*Incident).SubmitReport)
	registerCommand((*Incident).MissNotificationDeadline)
	registerCommand((*Incident).MissClosingReport)
}

// SubmittedReport is a report form (Mẫu 03, Mẫu 04) recorded as submitted for the incident.
type SubmittedReport struct {
	Form      ReportForm `json:"form"`
	Reference string     `json:"reference,omitempty"`
	Late      bool       `json:"late,omitempty"`
	By        Actor      `json:"by"`
	At        time.Time  `json:"at"`
}

// ReportForm is a report form of Thông tư 20/2017.
type ReportForm string

// Report forms an incident may be reported with.
const (
	ReportFormInitial ReportForm = "MAU_03" // Báo cáo ban đầu (initial report)
	ReportFormClosing ReportForm = "MAU_04" // Báo cáo kết thúc (closing report)
)

// RecordNotification records that organisations were notified of the incident outside the
// service (TT20 Art. 9), by Channel ("email", "phone", "official letter"), with an optional
// document Reference.
type RecordNotification struct {
	Orgs      []string
	Channel   string
	Reference string
}

// CommandName implements Command.
func (RecordNotification) CommandName() string { return "RecordNotification" }

// SubmitReport records that a report form was submitted: the initial report (MAU_03) at any
// time, the closing report (MAU_04) once the incident is closed.
type SubmitReport struct {
	Form      ReportForm
	Reference string
	Summary   string
	// Document, when the report was generated from the log, identifies the file submitted;
	// the summary may then be empty.
	Document *ReportDocument
}

// CommandName implements Command.
func (SubmitReport) CommandName() string { return "SubmitReport" }

// NotificationRecorded records organisations notified outside the service (TT20 Art. 9). Drill
// copies the incident's flag so that statistics can leave drills out.
type NotificationRecorded struct {
	Orgs      []string `json:"orgs"`
	Channel   string   `json:"channel"`
	Reference string   `json:"reference,omitempty"`
	Drill     bool     `json:"drill,omitempty"`
	Stamp
}

// NotificationDeadlineMissed records that the system owner or VNCERT/CC (Missing) had not been
// notified by Due (TT20 Art. 9), under the policy of PolicyVersion.
type NotificationDeadlineMissed struct {
	Due           time.Time `json:"due"`
	Missing       []string  `json:"missing"`
	PolicyVersion string    `json:"policyVersion"`
	RuleID        string    `json:"ruleId"`
	Drill         bool      `json:"drill,omitempty"`
	Stamp
}

// ReportSubmitted records a report form submitted for the incident; Late when a closing report
// came after its due time. The summary stays in the log for auditors; timelines do not show it.
type ReportSubmitted struct {
	Form      ReportForm `json:"form"`
	Reference string     `json:"reference,omitempty"`
	Summary   string     `json:"summary"`
	Late      bool       `json:"late,omitempty"`
	Drill     bool       `json:"drill,omitempty"`
	// Document identifies the generated file that was submitted, when it was generated.
	Document *ReportDocument `json:"document,omitempty"`
	Stamp
}

// ClosingReportOverdue records that the closing report (Mẫu 04) was not submitted by Due.
type ClosingReportOverdue struct {
	Due   time.Time `json:"due"`
	Owner string    `json:"owner"`
	Drill bool      `json:"drill,omitempty"`
	Stamp
}

// EventType implements Event.
func (NotificationRecorded) EventType() string { return "NotificationRecorded" }

// EventType implements Event.
func (NotificationDeadlineMissed) EventType() string { return "NotificationDeadlineMissed" }

// EventType implements Event.
func (ReportSubmitted) EventType() string { return "ReportSubmitted" }

// EventType implements Event.
func (ClosingReportOverdue) EventType() string { return "ClosingReportOverdue" }

// notification is the TT20 Art. 9 obligation of an incident under cfg: when it is due and who
// has not been told yet. ok is false when none is owed: no policy or no NotifyWithin, or the
// incident was closed as a false positive or a duplicate.
func (i *Incident) notification(cfg *Config) (due time.Time, missing []string, rule *PolicyRule, ok bool) {
	if i.Status == "" || cfg == nil {
		return time.Time{}, nil, nil, false
	}
	if rule = cfg.PolicyFor(i); rule == nil || rule.NotifyWithin <= 0 {
		return time.Time{}, nil, nil, false
	}
	if i.Status == IncidentStatusClosed && !owesClosingReport(i.Resolution) {
		return time.Time{}, nil, nil, false
	}
	reached := func(org string) bool {
		return slices.Contains(i.Notified, org) || org == i.Origin || org == i.Lead || org == i.Owner ||
			slices.Contains(i.Shared, org) ||
			slices.ContainsFunc(i.Escalations, func(x *Escalation) bool { return x.To == org }) ||
			slices.ContainsFunc(i.Handoffs, func(h *Handoff) bool { return h.To == org })
	}
	national := cfg.NationalCERTs()
	if !slices.ContainsFunc(national, reached) {
		missing = append(missing, national[0])
	}
	if i.AffectedSystem != nil && i.AffectedSystem.OwnerOrg != "" && !reached(i.AffectedSystem.OwnerOrg) {
		missing = append(missing, i.AffectedSystem.OwnerOrg)
	}
	return i.DetectedAt.Add(time.Duration(rule.NotifyWithin)), missing, rule, true
}

// RecordNotification records organisations notified of the incident outside the service.
func (i *Incident) RecordNotification(in Invocation, c RecordNotification) error {
	if err := i.guardWrite(in, CmdRecordNotification, true); err != nil {
		return err
	}
	switch {
	case len(c.Orgs) == 0:
		return Errorf(EINVALID, "name at least one organisation that was notified")
	case len(c.Orgs) > 20:
		return Errorf(ETOOLARGE, "record at most 20 notified organisations at a time")
	}
	var orgs []string
	for _, org := range c.Orgs {
		org = strings.TrimSpace(org)
		if err := knownOrg(in.Config, org); err != nil {
			return err
		}
		orgs = unionSorted(orgs, org)
	}
	channel, err := textField("channel", c.Channel, 100, true)
	if err != nil {
		return err
	}
	ref, err := textField("reference", c.Reference, 500, false)
	if err != nil {
		return err
	}
	i.record(NotificationRecorded{Orgs: orgs, Channel: channel, Reference: ref, Drill: i.Drill, Stamp: in.Stamp()})
	return nil
}

// MissNotificationDeadline is the deadline scheduler's command for a TT20 Art. 9 notification
// not complete in time.
type MissNotificationDeadline struct{}

// CommandName implements Command.
func (MissNotificationDeadline) CommandName() string { return "MissNotificationDeadline" }

// MissNotificationDeadline records, once, that the TT20 Art. 9 notification was not complete by
// its due time (detection + the rule's NotifyWithin, under the configuration in effect).
func (i *Incident) MissNotificationDeadline(in Invocation, _ MissNotificationDeadline) error {
	if err := i.systemGuard(in, "a missed notification deadline"); err != nil {
		return err
	}
	due, missing, rule, ok := i.notification(in.Config)
	switch {
	case !ok:
		return Errorf(ECONFLICT, "no notification deadline applies to this incident under configuration %s", in.Config.Version)
	case i.NotificationMissed:
		return Errorf(ECONFLICT, "the missed notification deadline was already recorded")
	case len(missing) == 0:
		return Errorf(ECONFLICT, "the system owner and VNCERT/CC have been notified")
	case in.Now.Before(due):
		return Errorf(EINVALID, "the notification is not due until %s", due.Format(time.RFC3339Nano))
	}
	i.record(NotificationDeadlineMissed{
		Due:           due,
		Missing:       missing,
		PolicyVersion: in.Config.Version,
		RuleID:        rule.ID,
		Drill:         i.Drill,
		Stamp:         Stamp{By: in.Actor, At: in.Now.UTC()},
	})
	return nil
}

// owesClosingReport reports whether closing with r makes a closing report (Mẫu 04) due: not for
// false positives and duplicates, which were no incident of their own.
func owesClosingReport(r Resolution) bool {
	return r != ResolutionFalsePositive && r != ResolutionDuplicate
}

// SubmitReport records a report form submitted for the incident.
func (i *Incident) SubmitReport(in Invocation, c SubmitReport) error {
	if err := i.guardManage(in, CmdSubmitReport, true); err != nil {
		return err
	}
	switch c.Form {
	case ReportFormInitial:
	case ReportFormClosing:
		if i.Status != IncidentStatusClosed {
			return Errorf(ECONFLICT, "the closing report (MAU_04) is submitted once the incident is closed")
		}
	default:
		return Errorf(EINVALID, "form must be MAU_03 (initial report) or MAU_04 (closing report)")
	}
	ref, err := textField("reference", c.Reference, 500, false)
	if err != nil {
		return err
	}
	doc, err := c.Document.check()
	if err != nil {
		return err
	}
	summary, err := textField("summary", c.Summary, 20000, doc == nil)
	if err != nil {
		return err
	}
	now := in.Now.UTC()
	late := c.Form == ReportFormClosing && !i.ReportDue.IsZero() && now.After(i.ReportDue)
	i.record(ReportSubmitted{Form: c.Form, Reference: ref, Summary: summary, Late: late, Drill: i.Drill, Document: doc, Stamp: Stamp{By: in.Actor, At: now}})
	return nil
}

// MissClosingReport is the deadline scheduler's command for a closing report (Mẫu 04) not
// submitted in time.
type MissClosingReport struct{}

// CommandName implements Command.
func (MissClosingReport) CommandName() string { return "MissClosingReport" }

// MissClosingReport records, once per closing, that the closing report is overdue.
func (i *Incident) MissClosingReport(in Invocation, _ MissClosingReport) error {
	if err := i.systemGuard(in, "an overdue closing report"); err != nil {
		return err
	}
	switch {
	case i.Status != IncidentStatusClosed:
		return Errorf(ECONFLICT, "the incident is not closed; no closing report is due")
	case i.ReportDue.IsZero():
		return Errorf(ECONFLICT, "no closing report is due for this incident")
	case !i.ClosingReportAt.IsZero():
		return Errorf(ECONFLICT, "the closing report was submitted at %s", i.ClosingReportAt.Format(time.RFC3339))
	case i.ClosingReportOverdue:
		return Errorf(ECONFLICT, "the overdue closing report was already recorded")
	case in.Now.Before(i.ReportDue):
		return Errorf(EINVALID, "the closing report is not due until %s", i.ReportDue.Format(time.RFC3339Nano))
	}
	i.record(ClosingReportOverdue{Due: i.ReportDue, Owner: i.Owner, Drill: i.Drill, Stamp: in.Stamp()})
	return nil
}
