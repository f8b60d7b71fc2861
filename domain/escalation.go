package domain

import "time"

func init() {
	registerEvent[IncidentEscalated]("incident", 1, nil)
	registerEvent[EscalationAcknowledged]("incident", 1, nil)
	registerEvent[EscalationResolved]("incident", 1, nil)
	registerEvent[EscalationDeadlineMissed]("incident", 1, nil)
	registerEvent[EscalationReminderDue]("incident", 1, nil)
	registerCommand((*Incident).Escalate)
	registerCommand((*Incident).AcknowledgeEscalation)
	registerCommand((*Incident).ResolveEscalation)
	registerCommand((*Incident).MissEscalationDeadline)
	registerCommand((*Incident).RemindEscalation)
}

// EscalationStatus is where an escalation stands.
type EscalationStatus string

// Escalation statuses.
const (
	EscalationStatusPending      EscalationStatus = "PENDING"
	EscalationStatusAcknowledged EscalationStatus = "ACKNOWLEDGED"
	EscalationStatusResolved     EscalationStatus = "RESOLVED"
	// EscalationStatusMissed: the deadline passed without an acknowledgement; the chain moved on.
	// The addressee may still acknowledge, late.
	EscalationStatusMissed EscalationStatus = "MISSED"
)

// Escalation asks another organisation to take notice; it must be acknowledged before Deadline
// (TT20 Art. 10.1.b: "immediately", given a number in configuration).
type Escalation struct {
	ID         string           `json:"id"`
	From       string           `json:"from"`
	To         string           `json:"to"`
	Reason     string           `json:"reason"`
	Deadline   time.Time        `json:"deadline"`
	Status     EscalationStatus `json:"status"`
	By         Actor            `json:"by"`
	At         time.Time        `json:"at"`
	AckBy      *Actor           `json:"ackBy,omitempty"`
	AckAt      time.Time        `json:"ackAt,omitzero"`
	Late       bool             `json:"late,omitempty"`
	ResolvedBy *Actor           `json:"resolvedBy,omitempty"`
	ResolvedAt time.Time        `json:"resolvedAt,omitzero"`
	Resolution string           `json:"resolution,omitempty"`

	// What the escalation started with; later configuration versions never change it.
	PolicyVersion string      `json:"policyVersion,omitempty"` // configuration version whose policy applied; "" none
	RuleID        string      `json:"ruleId,omitempty"`
	Chain         []ChainStep `json:"chain,omitempty"` // the steps still to go when this one is missed
	RemindBefore  Duration    `json:"remindBefore,omitempty"`
	Auto          bool        `json:"auto,omitempty"`    // recorded by the system, not a person
	Follows       string      `json:"follows,omitempty"` // the missed escalation this step follows
	RemindAt      time.Time   `json:"remindAt,omitzero"` // zero: no reminder
	Reminded      bool        `json:"reminded,omitempty"`
	MissedAt      time.Time   `json:"missedAt,omitzero"`
}

// Escalation returns the escalation with the given id, or nil.
func (i *Incident) Escalation(id string) *Escalation {
	for _, e := range i.Escalations {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// Escalate asks another organisation to acknowledge the incident within AckWithin (zero: the
// configured default).
type Escalate struct {
	EscalationID string
	ToOrg        string
	Reason       string
	AckWithin    time.Duration
}

// CommandName implements Command.
func (Escalate) CommandName() string { return "Escalate" }

// AcknowledgeEscalation acknowledges an escalation on behalf of its addressee.
type AcknowledgeEscalation struct{ EscalationID string }

// CommandName implements Command.
func (AcknowledgeEscalation) CommandName() string { return "AcknowledgeEscalation" }

// ResolveEscalation ends an escalation with a short statement of the outcome.
type ResolveEscalation struct {
	EscalationID string
	Resolution   string
}

// CommandName implements Command.
func (ResolveEscalation) CommandName() string { return "ResolveEscalation" }

// IncidentEscalated records an escalation from By's organisation (or, when the system escalates
// along a policy chain, from the organisation From) to another. Events stored before the
// escalation policy existed lack the policy fields: their zero values mean "no policy".
type IncidentEscalated struct {
	EscalationID string    `json:"escalationId"`
	From         string    `json:"from"`
	To           string    `json:"to"`
	Reason       string    `json:"reason"`
	Deadline     time.Time `json:"deadline"`

	PolicyVersion string      `json:"policyVersion,omitempty"` // configuration version whose policy applied
	RuleID        string      `json:"ruleId,omitempty"`
	Chain         []ChainStep `json:"chain,omitempty"`        // the steps still to go after this one
	Auto          bool        `json:"auto,omitempty"`         // recorded by the system along the policy
	RemindAt      time.Time   `json:"remindAt,omitzero"`      // zero: no reminder
	RemindBefore  Duration    `json:"remindBefore,omitempty"` // carried to the next steps of the chain
	Follows       string      `json:"follows,omitempty"`      // the missed escalation this step follows
	Skipped       []string    `json:"skipped,omitempty"`      // chain steps passed over (not allowed to receive it)
	Stamp
}

// EscalationAcknowledged records the addressee's acknowledgement; Late when after the deadline.
type EscalationAcknowledged struct {
	EscalationID string `json:"escalationId"`
	Late         bool   `json:"late,omitempty"`
	Stamp
}

// EscalationResolved records the end of an escalation.
type EscalationResolved struct {
	EscalationID string `json:"escalationId"`
	Resolution   string `json:"resolution"`
	Stamp
}

// EventType implements Event.
func (IncidentEscalated) EventType() string { return "IncidentEscalated" }

// EventType implements Event.
func (EscalationAcknowledged) EventType() string { return "EscalationAcknowledged" }

// EventType implements Event.
func (EscalationResolved) EventType() string { return "EscalationResolved" }

// within resolves a requested answer time: zero means def, and an explicit value must lie in
// [lo, hi] (hi zero: no upper bound).
func within(d time.Duration, def, lo, hi Duration, what string) (time.Duration, error) {
	switch {
	case d == 0:
		return time.Duration(def), nil
	case d < 0:
		return 0, Errorf(EINVALID, "%s deadline is in the past; give a positive duration", what)
	case d < time.Duration(lo) || (hi > 0 && d > time.Duration(hi)):
		return 0, Errorf(EINVALID, "%s deadline must be between %s and %s", what, time.Duration(lo), time.Duration(hi))
	}
	return d, nil
}

// Escalate asks another organisation to acknowledge the incident.
func (i *Incident) Escalate(in Invocation, c Escalate) error {
	if err := i.guardWrite(in, CmdEscalate, false); err != nil {
		return err
	}
	id, err := textField("escalation id", c.EscalationID, 200, true)
	if err != nil {
		return err
	}
	if i.Escalation(id) != nil {
		return Errorf(ECONFLICT, "escalation %q already exists", id)
	}
	if err := knownOrg(in.Config, c.ToOrg); err != nil {
		return err
	}
	if c.ToOrg == in.Actor.Org {
		return Errorf(EINVALID, "you cannot escalate to your own organisation")
	}
	reason, err := textField("reason", c.Reason, 2000, true)
	if err != nil {
		return err
	}
	dl := in.Config.Deadlines
	d, err := within(c.AckWithin, dl.AcknowledgeEscalation, dl.MinAckWithin, dl.MaxAckWithin, "acknowledgement")
	if err != nil {
		return err
	}
	if err := i.widenable("escalate"); err != nil {
		return err
	}
	if err := i.secretAllows(c.ToOrg, in.Config); err != nil {
		return err
	}
	for _, x := range i.Escalations {
		if x.To == c.ToOrg && x.Status == EscalationStatusPending {
			return Errorf(ECONFLICT, "escalation %q to %s is still waiting for acknowledgement", x.ID, x.To)
		}
	}
	now := in.Now.UTC()
	e := IncidentEscalated{
		EscalationID: id,
		From:         in.Actor.Org,
		To:           c.ToOrg,
		Reason:       reason,
		Deadline:     now.Add(d),
		Stamp:        Stamp{By: in.Actor, At: now},
	}
	if rule := in.Config.PolicyFor(i); rule != nil {
		e.PolicyVersion, e.RuleID = in.Config.Version, rule.ID
		e.Chain = i.manualChain(in.Config, rule, c.ToOrg, in.Actor.Org)
		e.RemindBefore = in.Config.EscalationPolicy.RemindBefore
		e.RemindAt = remindAt(e.Deadline, now, e.RemindBefore)
	}
	i.record(e)
	return nil
}

// guardEscalation is guard, then the escalation the command names.
func (i *Incident) guardEscalation(in Invocation, cmd, id string) (*Escalation, error) {
	if err := i.guard(in, cmd, false); err != nil {
		return nil, err
	}
	if x := i.Escalation(id); x != nil {
		return x, nil
	}
	return nil, Errorf(ENOTFOUND, "escalation %q not found", id)
}

// AcknowledgeEscalation acknowledges an escalation addressed to the actor's organisation, late or not.
func (i *Incident) AcknowledgeEscalation(in Invocation, c AcknowledgeEscalation) error {
	x, err := i.guardEscalation(in, CmdAcknowledgeEscalation, c.EscalationID)
	if err != nil {
		return err
	}
	switch {
	case in.Actor.Org != x.To:
		return Errorf(EFORBIDDEN, "only %s can acknowledge escalation %q", x.To, x.ID)
	case x.Status == EscalationStatusAcknowledged:
		return Errorf(ECONFLICT, "escalation %q was already acknowledged at %s by %s", x.ID, x.AckAt.Format(time.RFC3339), x.AckBy.User)
	case x.Status != EscalationStatusPending && x.Status != EscalationStatusMissed:
		return Errorf(ECONFLICT, "escalation %q is already %s", x.ID, x.Status)
	}
	now := in.Now.UTC()
	i.record(EscalationAcknowledged{EscalationID: x.ID, Late: now.After(x.Deadline), Stamp: Stamp{By: in.Actor, At: now}})
	return nil
}

// ResolveEscalation ends an escalation; the escalating or the addressed organisation may do it.
func (i *Incident) ResolveEscalation(in Invocation, c ResolveEscalation) error {
	x, err := i.guardEscalation(in, CmdResolveEscalation, c.EscalationID)
	if err != nil {
		return err
	}
	switch {
	case in.Actor.Org != x.To && in.Actor.Org != x.From:
		return Errorf(EFORBIDDEN, "only %s or %s can resolve escalation %q", x.From, x.To, x.ID)
	case x.Status == EscalationStatusResolved:
		return Errorf(ECONFLICT, "escalation %q was already resolved at %s", x.ID, x.ResolvedAt.Format(time.RFC3339))
	}
	res, err := textField("resolution", c.Resolution, 2000, true)
	if err != nil {
		return err
	}
	i.record(EscalationResolved{EscalationID: x.ID, Resolution: res, Stamp: in.Stamp()})
	return nil
}

// MissEscalationDeadline records that an escalation was not acknowledged in time and moves the
// escalation along its chain.
type MissEscalationDeadline struct{ EscalationID string }

// CommandName implements Command.
func (MissEscalationDeadline) CommandName() string { return "MissEscalationDeadline" }

// RemindEscalation reminds the addressee of an escalation that its deadline is near.
type RemindEscalation struct{ EscalationID string }

// CommandName implements Command.
func (RemindEscalation) CommandName() string { return "RemindEscalation" }

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

// EventType implements Event.
func (EscalationDeadlineMissed) EventType() string { return "EscalationDeadlineMissed" }

// EventType implements Event.
func (EscalationReminderDue) EventType() string { return "EscalationReminderDue" }

// pendingEscalation finds the escalation a deadline command acts on: recorded by the scheduler
// (what), existing, still pending, on an open incident.
func (i *Incident) pendingEscalation(in Invocation, what, id string) (*Escalation, error) {
	if err := i.systemGuard(in, what); err != nil {
		return nil, err
	}
	x := i.Escalation(id)
	switch {
	case x == nil:
		return nil, Errorf(ENOTFOUND, "escalation %q not found", id)
	case i.Status == IncidentStatusClosed:
		return nil, Errorf(ECONFLICT, "incident is closed; its escalations wait until it is reopened")
	case x.Status != EscalationStatusPending:
		return nil, Errorf(ECONFLICT, "escalation %q is %s, no longer pending", x.ID, x.Status)
	}
	return x, nil
}

// MissEscalationDeadline records the missed acknowledgement and, in the same commit, the next
// step of the escalation's recorded chain (or why there is none).
func (i *Incident) MissEscalationDeadline(in Invocation, c MissEscalationDeadline) error {
	x, err := i.pendingEscalation(in, "a missed escalation deadline", c.EscalationID)
	if err != nil {
		return err
	}
	switch {
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
	x, err := i.pendingEscalation(in, "a reminder", c.EscalationID)
	if err != nil {
		return err
	}
	switch {
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
