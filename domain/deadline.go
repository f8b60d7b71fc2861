package domain

import (
	"slices"
	"strings"
	"time"
)

// Kinds of deadline, as PendingDeadline.Kind gives them.
const (
	DeadlineEscalationAck      = "ESCALATION_ACK"
	DeadlineEscalationReminder = "ESCALATION_REMINDER"
	DeadlineHandoffAnswer      = "HANDOFF_ANSWER"
	DeadlineHandoffReminder    = "HANDOFF_REMINDER"
	DeadlineNotification       = "NOTIFICATION"
	DeadlineClosingReport      = "CLOSING_REPORT"
	DeadlineAutoEscalation     = "AUTO_ESCALATION"
)

// PendingDeadline is something the scheduler may have to fire on an incident.
type PendingDeadline struct {
	Kind   string    // one of the Deadline* kinds
	RefID  string    // escalation or handoff id; the rule id for AUTO_ESCALATION; the incident id otherwise
	At     time.Time // when it falls due; zero for "now" (AUTO_ESCALATION)
	OwedBy string    // the organisation expected to act
}

// systemGuard starts every command only the scheduler issues.
func (i *Incident) systemGuard(in Invocation, what string) error {
	if in.Config == nil {
		return Errorf(EINTERNAL, "no configuration in effect")
	}
	if in.Actor != SystemActor {
		return Errorf(EFORBIDDEN, "only the deadline scheduler may record %s", what)
	}
	if i.Status == "" {
		return Errorf(ENOTFOUND, "incident %q not found", i.ID)
	}
	return nil
}

// remindAt is when to remind of a deadline: before it by remindBefore, if that is still ahead.
func remindAt(deadline, now time.Time, before Duration) time.Time {
	if before <= 0 {
		return time.Time{}
	}
	if at := deadline.Add(-time.Duration(before)); at.After(now) {
		return at
	}
	return time.Time{}
}

// restricted explains why the incident may reach nobody new, or "".
func (i *Incident) restricted() string {
	switch i.TLP {
	case TLPRed:
		return "the incident is TLP:RED, which is for named recipients only"
	case TLPAmberStrict:
		return "the incident is TLP:AMBER+STRICT, which keeps it in its own organisations"
	}
	return ""
}

// mayReceive reports whether an automatic step may bring the incident to org: org is in the
// directory, and a state-secret incident goes to forces only.
func (i *Incident) mayReceive(cfg *Config, org string) bool {
	if _, ok := cfg.Org(org); !ok {
		return false
	}
	return !i.AffectedSystem.StateSecret() || cfg.IsForce(org)
}

// PendingDeadlines lists everything the scheduler may have to fire on the incident, earliest
// first. Escalation, handoff and closing-report deadlines come from what the incident recorded
// (the configuration version of their time); the automatic escalation and the notification
// deadline follow cfg, the configuration in effect, because they are owed under the rules that
// apply now.
func (i *Incident) PendingDeadlines(cfg *Config) []PendingDeadline {
	if i.Status == "" {
		return nil
	}
	var out []PendingDeadline
	if i.Status == IncidentStatusOpen {
		for _, x := range i.Escalations {
			if x.Status != EscalationStatusPending {
				continue
			}
			out = append(out, PendingDeadline{Kind: DeadlineEscalationAck, RefID: x.ID, At: x.Deadline, OwedBy: x.To})
			if !x.RemindAt.IsZero() && !x.Reminded {
				out = append(out, PendingDeadline{Kind: DeadlineEscalationReminder, RefID: x.ID, At: x.RemindAt, OwedBy: x.To})
			}
		}
		for _, h := range i.Handoffs {
			if h.Status != HandoffStatusOffered {
				continue
			}
			out = append(out, PendingDeadline{Kind: DeadlineHandoffAnswer, RefID: h.ID, At: h.Deadline, OwedBy: h.To})
			if !h.RemindAt.IsZero() && !h.Reminded && h.AcknowledgedBy == nil {
				out = append(out, PendingDeadline{Kind: DeadlineHandoffReminder, RefID: h.ID, At: h.RemindAt, OwedBy: h.To})
			}
		}
		if cfg != nil {
			if rule, err := i.autoRule(cfg); err == nil {
				out = append(out, PendingDeadline{Kind: DeadlineAutoEscalation, RefID: rule.ID, OwedBy: i.Owner})
			}
		}
	}
	if due, missing, _, ok := i.notification(cfg); ok && !i.NotificationMissed && len(missing) > 0 {
		out = append(out, PendingDeadline{Kind: DeadlineNotification, RefID: i.ID, At: due, OwedBy: i.Owner})
	}
	if i.Status == IncidentStatusClosed && !i.ReportDue.IsZero() && i.ClosingReportAt.IsZero() && !i.ClosingReportOverdue {
		out = append(out, PendingDeadline{Kind: DeadlineClosingReport, RefID: i.ID, At: i.ReportDue, OwedBy: i.Owner})
	}
	slices.SortStableFunc(out, func(a, b PendingDeadline) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.RefID, b.RefID)
	})
	return out
}

// deadlineCommands turns each kind of deadline into the command that handles it.
var deadlineCommands = map[string]func(ref string) Command{
	DeadlineEscalationAck:      func(ref string) Command { return MissEscalationDeadline{EscalationID: ref} },
	DeadlineEscalationReminder: func(ref string) Command { return RemindEscalation{EscalationID: ref} },
	DeadlineHandoffAnswer:      func(ref string) Command { return MissHandoffDeadline{HandoffID: ref} },
	DeadlineHandoffReminder:    func(ref string) Command { return RemindHandoff{HandoffID: ref} },
	DeadlineNotification:       func(string) Command { return MissNotificationDeadline{} },
	DeadlineClosingReport:      func(string) Command { return MissClosingReport{} },
	DeadlineAutoEscalation:     func(string) Command { return AutoEscalate{} },
}

// Command returns the command that handles the deadline: the scheduler's one entry point. Like
// every command, it records nothing and returns ECONFLICT when the deadline was already
// handled, EINVALID when it is not due yet; an unknown kind is EINVALID.
func (d PendingDeadline) Command() (Command, error) {
	mk, ok := deadlineCommands[d.Kind]
	if !ok {
		return nil, Errorf(EINVALID, "unknown deadline kind %q", d.Kind)
	}
	return mk(d.RefID), nil
}

// Fire runs the command that handles a pending deadline (PendingDeadline.Command).
func (i *Incident) Fire(in Invocation, d PendingDeadline) error {
	c, err := d.Command()
	if err != nil {
		return err
	}
	return Execute(i, in, c)
}
