package domain

import (
	"slices"
	"strings"
	"time"
)

// Deadlines are computed from the log, not from timers: a scheduler on every replica lists the
// incidents' PendingDeadlines and calls Fire as SystemActor once one is due. Several replicas may
// fire the same deadline at once; optimistic concurrency serialises them, and the invariants
// below make all but the first a no-op: a deadline already handled is ECONFLICT, one not due yet
// is EINVALID, and neither records anything.

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

// ReportForm is a report form of Thông tư 20/2017.
type ReportForm string

// Report forms an incident may be reported with.
const (
	ReportFormInitial ReportForm = "MAU_03" // Báo cáo ban đầu (initial report)
	ReportFormClosing ReportForm = "MAU_04" // Báo cáo kết thúc (closing report)
)

// Commands the scheduler issues as SystemActor.

// MissEscalationDeadline records that an escalation was not acknowledged in time and moves the
// escalation along its chain.
type MissEscalationDeadline struct{ EscalationID string }

// RemindEscalation reminds the addressee of an escalation that its deadline is near.
type RemindEscalation struct{ EscalationID string }

// MissHandoffDeadline records that a handoff was not answered in time and offers it to the
// next organisation of its chain.
type MissHandoffDeadline struct{ HandoffID string }

// RemindHandoff reminds the addressee of a handoff that its answer deadline is near.
type RemindHandoff struct{ HandoffID string }

// Commands people issue.

// RecordNotification records that organisations were notified of the incident outside the
// service (TT20 Art. 9), by Channel ("email", "phone", "official letter"), with an optional
// document Reference.
type RecordNotification struct {
	Orgs      []string
	Channel   string
	Reference string
}

// SubmitReport records that a report form was submitted: the initial report (MAU_03) at any
// time, the closing report (MAU_04) once the incident is closed.
type SubmitReport struct {
	Form      ReportForm
	Reference string
	Summary   string
}

// Events.

// EscalationDeadlineMissed records that nobody acknowledged the escalation by its deadline.
type EscalationDeadlineMissed struct {
	EscalationID string    `json:"escalationId"`
	To           string    `json:"to"`
	Deadline     time.Time `json:"deadline"`
	Stamp
}

// EscalationReminderDue records the reminder sent to the addressee before the deadline.
type EscalationReminderDue struct {
	EscalationID string    `json:"escalationId"`
	To           string    `json:"to"`
	Deadline     time.Time `json:"deadline"`
	Stamp
}

// EscalationChainExhausted records that the chain of an escalation has nobody left to ask.
// RuleID is set when it ends an automatic escalation that found no step to start with.
type EscalationChainExhausted struct {
	EscalationID string   `json:"escalationId"`
	RuleID       string   `json:"ruleId,omitempty"`
	Skipped      []string `json:"skipped,omitempty"` // steps passed over because they may not receive it
	Stamp
}

// EscalationChainBlocked records that the chain could not go on because the incident may not
// reach anybody new (TLP:AMBER+STRICT or TLP:RED). Pending lists the steps not taken.
type EscalationChainBlocked struct {
	EscalationID string   `json:"escalationId"`
	RuleID       string   `json:"ruleId,omitempty"`
	Reason       string   `json:"reason"`
	Pending      []string `json:"pending,omitempty"`
	Stamp
}

// HandoffDeadlineMissed records that the addressee did not answer an offer in time.
type HandoffDeadlineMissed struct {
	HandoffID string    `json:"handoffId"`
	To        string    `json:"to"`
	Deadline  time.Time `json:"deadline"`
	Stamp
}

// HandoffReminderDue records the reminder sent to the addressee before the answer deadline.
type HandoffReminderDue struct {
	HandoffID string    `json:"handoffId"`
	To        string    `json:"to"`
	Deadline  time.Time `json:"deadline"`
	Stamp
}

// HandoffChainExhausted records that nobody is left to offer the incident to: ownership stays
// with Owner, the organisation that offered it.
type HandoffChainExhausted struct {
	HandoffID string   `json:"handoffId"`
	Owner     string   `json:"owner"`
	Skipped   []string `json:"skipped,omitempty"`
	Stamp
}

// HandoffChainBlocked records that the handoff chain could not go on because the incident may
// not reach anybody new (TLP:AMBER+STRICT or TLP:RED).
type HandoffChainBlocked struct {
	HandoffID string   `json:"handoffId"`
	Owner     string   `json:"owner"`
	Reason    string   `json:"reason"`
	Pending   []string `json:"pending,omitempty"`
	Stamp
}

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
func (EscalationDeadlineMissed) EventType() string { return "EscalationDeadlineMissed" }

// EventType implements Event.
func (EscalationReminderDue) EventType() string { return "EscalationReminderDue" }

// EventType implements Event.
func (EscalationChainExhausted) EventType() string { return "EscalationChainExhausted" }

// EventType implements Event.
func (EscalationChainBlocked) EventType() string { return "EscalationChainBlocked" }

// EventType implements Event.
func (HandoffDeadlineMissed) EventType() string { return "HandoffDeadlineMissed" }

// EventType implements Event.
func (HandoffReminderDue) EventType() string { return "HandoffReminderDue" }

// EventType implements Event.
func (HandoffChainExhausted) EventType() string { return "HandoffChainExhausted" }

// EventType implements Event.
func (HandoffChainBlocked) EventType() string { return "HandoffChainBlocked" }

// EventType implements Event.
func (NotificationRecorded) EventType() string { return "NotificationRecorded" }

// EventType implements Event.
func (NotificationDeadlineMissed) EventType() string { return "NotificationDeadlineMissed" }

// EventType implements Event.
func (ReportSubmitted) EventType() string { return "ReportSubmitted" }

// EventType implements Event.
func (ClosingReportOverdue) EventType() string { return "ClosingReportOverdue" }

func init() {
	registerEvent[EscalationDeadlineMissed](1, nil)
	registerEvent[EscalationReminderDue](1, nil)
	registerEvent[EscalationChainExhausted](1, nil)
	registerEvent[EscalationChainBlocked](1, nil)
	registerEvent[HandoffDeadlineMissed](1, nil)
	registerEvent[HandoffReminderDue](1, nil)
	registerEvent[HandoffChainExhausted](1, nil)
	registerEvent[HandoffChainBlocked](1, nil)
	registerEvent[NotificationRecorded](1, nil)
	registerEvent[NotificationDeadlineMissed](1, nil)
	registerEvent[ReportSubmitted](1, nil)
	registerEvent[ClosingReportOverdue](1, nil)
}

// applyDeadline applies the events of this file; apply calls it for every event it does not know.
func (i *Incident) applyDeadline(e Event) {
	switch e := e.(type) {
	case EscalationDeadlineMissed:
		if x := i.Escalation(e.EscalationID); x != nil {
			x.Status, x.MissedAt = EscalationStatusMissed, e.At
		}
	case EscalationReminderDue:
		if x := i.Escalation(e.EscalationID); x != nil {
			x.Reminded = true
		}
	case EscalationChainExhausted:
		if e.RuleID != "" && i.Escalation(e.EscalationID) == nil { // an automatic escalation with no step to take
			i.AutoRules = unionSorted(i.AutoRules, e.RuleID)
		}
	case EscalationChainBlocked:
		if e.RuleID != "" && i.Escalation(e.EscalationID) == nil {
			i.AutoRules = unionSorted(i.AutoRules, e.RuleID)
		}
	case HandoffDeadlineMissed:
		i.updateHandoff(e.HandoffID, HandoffStatusExpired, "", e.By, e.At)
	case HandoffReminderDue:
		if h := i.Handoff(e.HandoffID); h != nil {
			h.Reminded = true
		}
	case NotificationRecorded:
		i.Notified = unionSorted(i.Notified, e.Orgs...)
	case NotificationDeadlineMissed:
		i.NotificationMissed = true
	case ReportSubmitted:
		i.Reports = append(i.Reports, SubmittedReport{Form: e.Form, Reference: e.Reference, Late: e.Late, By: e.By, At: e.At})
		if e.Form == ReportFormClosing && i.Status == IncidentStatusClosed {
			i.ClosingReportAt = e.At
		}
	case ClosingReportOverdue:
		i.ClosingReportOverdue = true
	}
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

// orgsOf lists the organisations of chain steps.
func orgsOf(steps []ChainStep) []string {
	out := make([]string, len(steps))
	for k, s := range steps {
		out[k] = s.Org
	}
	return out
}

// manualChain is what a person's escalation to addressee carries: the rule's steps after the
// addressee when it is in the chain, else the whole chain, without the addressee, the escalating
// organisation and organisations the incident may not go to.
func (i *Incident) manualChain(cfg *Config, rule *PolicyRule, addressee, from string) []ChainStep {
	steps := rule.Chain
	if k := slices.Index(orgsOf(steps), addressee); k >= 0 {
		steps = steps[k+1:]
	}
	var out []ChainStep
	for _, s := range steps {
		if s.Org != addressee && s.Org != from && i.mayReceive(cfg, s.Org) {
			out = append(out, s)
		}
	}
	return out
}

// escalationStep describes the next escalation of a chain.
type escalationStep struct {
	id            func(org string) string
	from, reason  string
	policyVersion string
	ruleID        string
	remindBefore  Duration
	follows       string
}

// escalateAlong records the escalation to the first step of chain the incident may go to, or
// the event that says why there is none. Steps the incident may not go to are listed as skipped;
// the escalating and originating organisations and organisations already asked (a pending
// escalation) are passed over silently.
func (i *Incident) escalateAlong(in Invocation, s escalationStep, rootID string, chain []ChainStep) {
	now := in.Now.UTC()
	if len(chain) == 0 {
		i.record(EscalationChainExhausted{EscalationID: rootID, RuleID: s.ruleIDIfRoot(i, rootID), Stamp: Stamp{By: in.Actor, At: now}})
		return
	}
	if why := i.restricted(); why != "" {
		i.record(EscalationChainBlocked{
			EscalationID: rootID,
			RuleID:       s.ruleIDIfRoot(i, rootID),
			Reason:       why,
			Pending:      orgsOf(chain),
			Stamp:        Stamp{By: in.Actor, At: now},
		})
		return
	}
	var skipped []string
	for k, step := range chain {
		pending := slices.ContainsFunc(i.Escalations, func(x *Escalation) bool {
			return x.To == step.Org && x.Status == EscalationStatusPending
		})
		if !i.mayReceive(in.Config, step.Org) {
			skipped = append(skipped, step.Org) // recorded: the chain was shortened by a rule
			continue
		}
		if step.Org == s.from || step.Org == i.Origin || pending {
			continue // already holds the incident or is already asked: nothing to pass over
		}
		deadline := now.Add(time.Duration(step.AckWithin))
		var rest []ChainStep
		if k+1 < len(chain) {
			rest = slices.Clone(chain[k+1:])
		}
		i.record(IncidentEscalated{
			EscalationID:  s.id(step.Org),
			From:          s.from,
			To:            step.Org,
			Reason:        s.reason,
			Deadline:      deadline,
			PolicyVersion: s.policyVersion,
			RuleID:        s.ruleID,
			Chain:         rest,
			Auto:          true,
			RemindAt:      remindAt(deadline, now, s.remindBefore),
			RemindBefore:  s.remindBefore,
			Follows:       s.follows,
			Skipped:       skipped,
			Stamp:         Stamp{By: in.Actor, At: now},
		})
		return
	}
	i.record(EscalationChainExhausted{EscalationID: rootID, RuleID: s.ruleIDIfRoot(i, rootID), Skipped: skipped, Stamp: Stamp{By: in.Actor, At: now}})
}

// ruleIDIfRoot names the rule on a chain event that stands for an automatic escalation never
// started, so that replaying it marks the rule done.
func (s escalationStep) ruleIDIfRoot(i *Incident, rootID string) string {
	if i.Escalation(rootID) == nil {
		return s.ruleID
	}
	return ""
}

// AutoEscalationID is the deterministic id of the automatic escalation of an incident under a
// policy rule; the steps that follow it append "/<org>".
func AutoEscalationID(incidentID, ruleID string) string { return "auto:" + incidentID + ":" + ruleID }

// autoDone reports whether a policy escalation was already started under rule: automatically,
// or by a person escalating to one of the rule's chain.
func (i *Incident) autoDone(rule *PolicyRule) bool {
	if slices.Contains(i.AutoRules, rule.ID) {
		return true
	}
	chain := orgsOf(rule.Chain)
	return slices.ContainsFunc(i.Escalations, func(x *Escalation) bool {
		return x.RuleID == rule.ID && (x.Auto || slices.Contains(chain, x.To))
	})
}

// autoRule returns the rule AutoEscalate would act on, or why it would not.
func (i *Incident) autoRule(cfg *Config) (*PolicyRule, error) {
	if i.Status == IncidentStatusClosed {
		return nil, Errorf(ECONFLICT, "incident is closed; nothing to escalate")
	}
	rule := cfg.PolicyFor(i)
	switch {
	case rule == nil:
		return nil, Errorf(ECONFLICT, "configuration %s has no escalation policy for this incident", cfg.Version)
	case !rule.AutoEscalate:
		return nil, Errorf(EINVALID, "policy rule %s (configuration %s) does not escalate automatically", rule.ID, cfg.Version)
	case len(rule.Chain) == 0:
		return nil, Errorf(EINVALID, "policy rule %s (configuration %s) has an empty chain", rule.ID, cfg.Version)
	case i.autoDone(rule):
		return nil, Errorf(ECONFLICT, "the escalation under policy rule %s was already started", rule.ID)
	}
	return rule, nil
}

// AutoEscalate starts the policy escalation of an open incident whose rule escalates
// automatically, once per rule: to the first step of the rule's chain the incident may go to
// (not the origin, not a non-force for a state secret), carrying the rest of the chain.
func (i *Incident) AutoEscalate(in Invocation) error {
	if err := i.systemGuard(in, "an automatic escalation"); err != nil {
		return err
	}
	rule, err := i.autoRule(in.Config)
	if err != nil {
		return err
	}
	root := AutoEscalationID(i.ID, rule.ID)
	i.escalateAlong(in, escalationStep{
		id:            func(string) string { return root },
		from:          i.Owner,
		reason:        "policy " + in.Config.Version + ", rule " + rule.ID,
		policyVersion: in.Config.Version,
		ruleID:        rule.ID,
		remindBefore:  in.Config.EscalationPolicy.RemindBefore,
	}, root, rule.Chain)
	return nil
}

// MissEscalationDeadline records the missed acknowledgement and, in the same commit, the next
// step of the escalation's recorded chain (or why there is none).
func (i *Incident) MissEscalationDeadline(in Invocation, c MissEscalationDeadline) error {
	if err := i.systemGuard(in, "a missed escalation deadline"); err != nil {
		return err
	}
	x := i.Escalation(c.EscalationID)
	switch {
	case x == nil:
		return Errorf(ENOTFOUND, "escalation %q not found", c.EscalationID)
	case i.Status == IncidentStatusClosed:
		return Errorf(ECONFLICT, "incident is closed; its escalations wait until it is reopened")
	case x.Status != EscalationStatusPending:
		return Errorf(ECONFLICT, "escalation %q is %s, no longer pending", x.ID, x.Status)
	case in.Now.Before(x.Deadline):
		return Errorf(EINVALID, "escalation %q is not due until %s", x.ID, x.Deadline.Format(time.RFC3339Nano))
	}
	now := in.Now.UTC()
	i.record(EscalationDeadlineMissed{EscalationID: x.ID, To: x.To, Deadline: x.Deadline, Stamp: Stamp{By: in.Actor, At: now}})
	if x.PolicyVersion == "" {
		return nil // recorded without a policy: there is no chain to follow
	}
	i.escalateAlong(in, escalationStep{
		id:            func(org string) string { return x.ID + "/" + org },
		from:          x.From,
		reason:        x.Reason,
		policyVersion: x.PolicyVersion,
		ruleID:        x.RuleID,
		remindBefore:  x.RemindBefore,
		follows:       x.ID,
	}, x.ID, x.Chain)
	return nil
}

// RemindEscalation records the reminder of a pending escalation, once, from its RemindAt on.
func (i *Incident) RemindEscalation(in Invocation, c RemindEscalation) error {
	if err := i.systemGuard(in, "a reminder"); err != nil {
		return err
	}
	x := i.Escalation(c.EscalationID)
	switch {
	case x == nil:
		return Errorf(ENOTFOUND, "escalation %q not found", c.EscalationID)
	case i.Status == IncidentStatusClosed:
		return Errorf(ECONFLICT, "incident is closed")
	case x.Status != EscalationStatusPending:
		return Errorf(ECONFLICT, "escalation %q is %s, no longer pending", x.ID, x.Status)
	case x.RemindAt.IsZero():
		return Errorf(ECONFLICT, "escalation %q has no reminder", x.ID)
	case x.Reminded:
		return Errorf(ECONFLICT, "escalation %q was already reminded", x.ID)
	case in.Now.Before(x.RemindAt):
		return Errorf(EINVALID, "the reminder of escalation %q is not due until %s", x.ID, x.RemindAt.Format(time.RFC3339Nano))
	case !in.Now.Before(x.Deadline):
		return Errorf(ECONFLICT, "escalation %q is past its deadline; a reminder is no use now", x.ID)
	}
	i.record(EscalationReminderDue{EscalationID: x.ID, To: x.To, Deadline: x.Deadline, Stamp: in.Stamp()})
	return nil
}

// resolveHandoffChain turns a rule's handoff chain into organisations: "$sector-cert" becomes
// the CERT of the incident's sector (dropped when there is none); the addressee, the owner,
// repeats and organisations the incident may not go to are left out.
func (i *Incident) resolveHandoffChain(cfg *Config, chain []string, addressee string) []string {
	var out []string
	for _, org := range chain {
		if org == SectorCERTPlaceholder {
			org = cfg.SectorCERT(i.Sector)
		}
		if org == "" || org == addressee || org == i.Owner || slices.Contains(out, org) ||
			!i.mayReceive(cfg, org) || !(cfg.IsCERT(org) || cfg.IsForce(org)) {
			continue
		}
		out = append(out, org)
	}
	return out
}

// offerNext offers a declined or expired handoff to the next organisation of its chain that may
// receive it, as the system, or records that the chain is exhausted or blocked. Handoffs
// recorded without a policy have no chain and end where they are.
func (i *Incident) offerNext(in Invocation, h *Handoff) {
	if h.PolicyVersion == "" {
		return
	}
	now := in.Now.UTC()
	if len(h.Chain) == 0 {
		i.record(HandoffChainExhausted{HandoffID: h.ID, Owner: i.Owner, Stamp: Stamp{By: SystemActor, At: now}})
		return
	}
	if why := i.restricted(); why != "" {
		i.record(HandoffChainBlocked{HandoffID: h.ID, Owner: i.Owner, Reason: why, Pending: slices.Clone(h.Chain), Stamp: Stamp{By: SystemActor, At: now}})
		return
	}
	cfg := in.Config
	var skipped []string
	for k, org := range h.Chain {
		if !i.mayReceive(cfg, org) || !(cfg.IsCERT(org) || cfg.IsForce(org)) {
			skipped = append(skipped, org)
			continue
		}
		if org == i.Owner || org == h.To {
			continue
		}
		deadline := now.Add(time.Duration(cfg.Deadlines.AnswerHandoff))
		var rest []string
		if k+1 < len(h.Chain) {
			rest = slices.Clone(h.Chain[k+1:])
		}
		i.record(HandoffOffered{
			HandoffID:       h.ID + "/" + org,
			From:            i.Owner,
			To:              org,
			Summary:         h.Summary,
			RequestedAction: h.RequestedAction,
			TLP:             MaxTLP(h.TLP, i.TLP),
			ReleaseOnAccept: h.ReleaseOnAccept && i.Owner == i.Origin,
			Deadline:        deadline,
			PolicyVersion:   h.PolicyVersion,
			RuleID:          h.RuleID,
			Chain:           rest,
			Auto:            true,
			RemindAt:        remindAt(deadline, now, h.RemindBefore),
			RemindBefore:    h.RemindBefore,
			Follows:         h.ID,
			Skipped:         skipped,
			Stamp:           Stamp{By: SystemActor, At: now},
		})
		return
	}
	i.record(HandoffChainExhausted{HandoffID: h.ID, Owner: i.Owner, Skipped: skipped, Stamp: Stamp{By: SystemActor, At: now}})
}

// MissHandoffDeadline expires an unanswered offer and, in the same commit, offers the incident
// to the next organisation of the handoff's chain.
func (i *Incident) MissHandoffDeadline(in Invocation, c MissHandoffDeadline) error {
	if err := i.systemGuard(in, "a missed handoff deadline"); err != nil {
		return err
	}
	h := i.Handoff(c.HandoffID)
	switch {
	case h == nil:
		return Errorf(ENOTFOUND, "handoff %q not found", c.HandoffID)
	case i.Status == IncidentStatusClosed:
		return Errorf(ECONFLICT, "incident is closed")
	case h.Status != HandoffStatusOffered:
		return Errorf(ECONFLICT, "handoff %q is %s, no longer waiting for an answer", h.ID, h.Status)
	case in.Now.Before(h.Deadline):
		return Errorf(EINVALID, "handoff %q is not due until %s", h.ID, h.Deadline.Format(time.RFC3339Nano))
	}
	i.record(HandoffDeadlineMissed{HandoffID: h.ID, To: h.To, Deadline: h.Deadline, Stamp: in.Stamp()})
	i.offerNext(in, h)
	return nil
}

// RemindHandoff records the reminder of an offer waiting for an answer, once, unless the
// addressee acknowledged it.
func (i *Incident) RemindHandoff(in Invocation, c RemindHandoff) error {
	if err := i.systemGuard(in, "a reminder"); err != nil {
		return err
	}
	h := i.Handoff(c.HandoffID)
	switch {
	case h == nil:
		return Errorf(ENOTFOUND, "handoff %q not found", c.HandoffID)
	case i.Status == IncidentStatusClosed:
		return Errorf(ECONFLICT, "incident is closed")
	case h.Status != HandoffStatusOffered:
		return Errorf(ECONFLICT, "handoff %q is %s, no longer waiting for an answer", h.ID, h.Status)
	case h.RemindAt.IsZero():
		return Errorf(ECONFLICT, "handoff %q has no reminder", h.ID)
	case h.Reminded:
		return Errorf(ECONFLICT, "handoff %q was already reminded", h.ID)
	case h.AcknowledgedBy != nil:
		return Errorf(ECONFLICT, "handoff %q was acknowledged at %s; no reminder is needed", h.ID, h.AcknowledgedAt.Format(time.RFC3339))
	case in.Now.Before(h.RemindAt):
		return Errorf(EINVALID, "the reminder of handoff %q is not due until %s", h.ID, h.RemindAt.Format(time.RFC3339Nano))
	case !in.Now.Before(h.Deadline):
		return Errorf(ECONFLICT, "handoff %q is past its deadline; a reminder is no use now", h.ID)
	}
	i.record(HandoffReminderDue{HandoffID: h.ID, To: h.To, Deadline: h.Deadline, Stamp: in.Stamp()})
	return nil
}

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
	if err := i.guard(in, CmdRecordNotification, true); err != nil {
		return err
	}
	if err := i.needWrite(in); err != nil {
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

// MissNotificationDeadline records, once, that the TT20 Art. 9 notification was not complete by
// its due time (detection + the rule's NotifyWithin, under the configuration in effect).
func (i *Incident) MissNotificationDeadline(in Invocation) error {
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
	if err := i.guard(in, CmdSubmitReport, true); err != nil {
		return err
	}
	if err := i.needManage(in); err != nil {
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
	summary, err := textField("summary", c.Summary, 20000, true)
	if err != nil {
		return err
	}
	now := in.Now.UTC()
	late := c.Form == ReportFormClosing && !i.ReportDue.IsZero() && now.After(i.ReportDue)
	i.record(ReportSubmitted{Form: c.Form, Reference: ref, Summary: summary, Late: late, Drill: i.Drill, Stamp: Stamp{By: in.Actor, At: now}})
	return nil
}

// MissClosingReport records, once per closing, that the closing report is overdue.
func (i *Incident) MissClosingReport(in Invocation) error {
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

// Fire runs the command that handles a pending deadline: the scheduler's one entry point. Like
// the commands, it records nothing and returns ECONFLICT when the deadline was already handled,
// EINVALID when it is not due yet.
func (i *Incident) Fire(in Invocation, d PendingDeadline) error {
	switch d.Kind {
	case DeadlineEscalationAck:
		return i.MissEscalationDeadline(in, MissEscalationDeadline{EscalationID: d.RefID})
	case DeadlineEscalationReminder:
		return i.RemindEscalation(in, RemindEscalation{EscalationID: d.RefID})
	case DeadlineHandoffAnswer:
		return i.MissHandoffDeadline(in, MissHandoffDeadline{HandoffID: d.RefID})
	case DeadlineHandoffReminder:
		return i.RemindHandoff(in, RemindHandoff{HandoffID: d.RefID})
	case DeadlineNotification:
		return i.MissNotificationDeadline(in)
	case DeadlineClosingReport:
		return i.MissClosingReport(in)
	case DeadlineAutoEscalation:
		return i.AutoEscalate(in)
	}
	return Errorf(EINVALID, "unknown deadline kind %q", d.Kind)
}
