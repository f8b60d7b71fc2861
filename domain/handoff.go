package domain

import "time"

func init() {
	registerEvent[HandoffOffered]("incident", 1, nil)
	registerEvent[HandoffAcknowledged]("incident", 1, nil)
	registerEvent[HandoffAccepted]("incident", 1, nil)
	registerEvent[HandoffDeclined]("incident", 1, nil)
	registerEvent[HandoffReturned]("incident", 1, nil)
	registerEvent[HandoffWithdrawn]("incident", 1, nil)
	registerCommand((*Incident).OfferHandoff)
	registerCommand((*Incident).AcknowledgeHandoff)
	registerCommand((*Incident).AcceptHandoff)
	registerCommand((*Incident).DeclineHandoff)
	registerCommand((*Incident).ReturnHandoff)
	registerCommand((*Incident).WithdrawHandoff)
}

// HandoffStatus is where a handoff of ownership stands.
type HandoffStatus string

// Handoff statuses.
const (
	HandoffStatusOffered   HandoffStatus = "OFFERED"
	HandoffStatusAccepted  HandoffStatus = "ACCEPTED"
	HandoffStatusDeclined  HandoffStatus = "DECLINED"
	HandoffStatusReturned  HandoffStatus = "RETURNED"
	HandoffStatusWithdrawn HandoffStatus = "WITHDRAWN"
	// HandoffStatusExpired: the answer deadline passed; the offer went to the next organisation
	// of its chain, if any.
	HandoffStatusExpired HandoffStatus = "EXPIRED"
)

// Handoff offers ownership of an incident to a CERT or a force.
type Handoff struct {
	ID              string        `json:"id"`
	From            string        `json:"from"`
	To              string        `json:"to"`
	Summary         string        `json:"summary"`
	RequestedAction string        `json:"requestedAction,omitempty"`
	TLP             TLP           `json:"tlp"` // labels the summary and requested action; never below the incident's TLP at the offer
	Deadline        time.Time     `json:"deadline"`
	Status          HandoffStatus `json:"status"`
	Reason          string        `json:"reason,omitempty"` // why it was declined, returned or withdrawn
	By              Actor         `json:"by"`
	At              time.Time     `json:"at"`
	UpdatedBy       *Actor        `json:"updatedBy,omitempty"` // who made the last status change
	UpdatedAt       time.Time     `json:"updatedAt,omitzero"`
	// ReleaseOnAccept: once accepted, the originating organisation stops holding the incident.
	ReleaseOnAccept bool      `json:"releaseOnAccept,omitempty"`
	AcknowledgedBy  *Actor    `json:"acknowledgedBy,omitempty"` // the addressee confirmed receipt
	AcknowledgedAt  time.Time `json:"acknowledgedAt,omitzero"`

	// What the handoff started with; later configuration versions never change it.
	PolicyVersion string    `json:"policyVersion,omitempty"`
	RuleID        string    `json:"ruleId,omitempty"`
	Chain         []string  `json:"chain,omitempty"` // where the offer goes next when declined or unanswered
	RemindBefore  Duration  `json:"remindBefore,omitempty"`
	Auto          bool      `json:"auto,omitempty"`    // offered by the system along the chain
	Follows       string    `json:"follows,omitempty"` // the declined or expired handoff this one follows
	RemindAt      time.Time `json:"remindAt,omitzero"`
	Reminded      bool      `json:"reminded,omitempty"`
}

// Handoff returns the handoff with the given id, or nil.
func (i *Incident) Handoff(id string) *Handoff {
	for _, h := range i.Handoffs {
		if h.ID == id {
			return h
		}
	}
	return nil
}

// offered returns the handoff waiting for an answer, or nil.
func (i *Incident) offered() *Handoff {
	for _, h := range i.Handoffs {
		if h.Status == HandoffStatusOffered {
			return h
		}
	}
	return nil
}

// OfferHandoff offers ownership to a CERT or a force, to be answered within AnswerWithin (zero:
// the configured default). TLP labels the summary and requested action (empty: the incident's;
// never less restrictive). With ReleaseOnAccept the originating organisation, offering its own
// ownership, gives up its access once the offer is accepted; by default it keeps it.
type OfferHandoff struct {
	HandoffID       string
	ToOrg           string
	Summary         string
	RequestedAction string
	TLP             TLP
	AnswerWithin    time.Duration
	ReleaseOnAccept bool
}

// CommandName implements Command.
func (OfferHandoff) CommandName() string { return "OfferHandoff" }

// AcknowledgeHandoff confirms that the addressee received an offer; it does not answer it.
type AcknowledgeHandoff struct{ HandoffID string }

// CommandName implements Command.
func (AcknowledgeHandoff) CommandName() string { return "AcknowledgeHandoff" }

// AcceptHandoff takes ownership offered to the actor's organisation.
type AcceptHandoff struct{ HandoffID string }

// CommandName implements Command.
func (AcceptHandoff) CommandName() string { return "AcceptHandoff" }

// DeclineHandoff refuses ownership offered to the actor's organisation.
type DeclineHandoff struct {
	HandoffID string
	Reason    string
}

// CommandName implements Command.
func (DeclineHandoff) CommandName() string { return "DeclineHandoff" }

// ReturnHandoff gives accepted ownership back to the organisation that offered it.
type ReturnHandoff struct {
	HandoffID string
	Reason    string
}

// CommandName implements Command.
func (ReturnHandoff) CommandName() string { return "ReturnHandoff" }

// WithdrawHandoff takes back an offer not yet answered.
type WithdrawHandoff struct {
	HandoffID string
	Reason    string
}

// CommandName implements Command.
func (WithdrawHandoff) CommandName() string { return "WithdrawHandoff" }

// HandoffOffered records an offer of ownership from the current owner; By is SystemActor when
// the offer moved on along the handoff chain. TLP labels the summary and requested action;
// events stored before it existed lack it, and the empty TLP then means the incident's TLP at the
// time of the offer (apply fills it in). ReleaseOnAccept is false on those events: the
// originating organisation keeps its access.
type HandoffOffered struct {
	HandoffID       string    `json:"handoffId"`
	From            string    `json:"from"`
	To              string    `json:"to"`
	Summary         string    `json:"summary"`
	RequestedAction string    `json:"requestedAction,omitempty"`
	TLP             TLP       `json:"tlp,omitempty"`
	ReleaseOnAccept bool      `json:"releaseOnAccept,omitempty"`
	Deadline        time.Time `json:"deadline"`

	PolicyVersion string    `json:"policyVersion,omitempty"`
	RuleID        string    `json:"ruleId,omitempty"`
	Chain         []string  `json:"chain,omitempty"` // where the offer goes next when declined or unanswered
	Auto          bool      `json:"auto,omitempty"`
	RemindAt      time.Time `json:"remindAt,omitzero"`
	RemindBefore  Duration  `json:"remindBefore,omitempty"`
	Follows       string    `json:"follows,omitempty"`
	Skipped       []string  `json:"skipped,omitempty"`
	Stamp
}

// HandoffAcknowledged records that the addressee confirmed receipt of an offer; the answer
// deadline stays, the reminder is no longer sent.
type HandoffAcknowledged struct {
	HandoffID string `json:"handoffId"`
	Stamp
}

// HandoffAccepted records that the addressee took ownership. OriginReleased: the offer was made
// with ReleaseOnAccept, so the originating organisation stops holding the incident (it keeps
// what it has as lead, by sharing or escalation).
type HandoffAccepted struct {
	HandoffID      string `json:"handoffId"`
	OriginReleased bool   `json:"originReleased,omitempty"`
	Stamp
}

// HandoffDeclined records that the addressee refused ownership.
type HandoffDeclined struct {
	HandoffID string `json:"handoffId"`
	Reason    string `json:"reason"`
	Stamp
}

// HandoffReturned records that ownership went back to the organisation that offered it.
type HandoffReturned struct {
	HandoffID string `json:"handoffId"`
	Reason    string `json:"reason"`
	Stamp
}

// HandoffWithdrawn records that the offer was taken back before an answer.
type HandoffWithdrawn struct {
	HandoffID string `json:"handoffId"`
	Reason    string `json:"reason"`
	Stamp
}

// EventType implements Event.
func (HandoffOffered) EventType() string { return "HandoffOffered" }

// EventType implements Event.
func (HandoffAcknowledged) EventType() string { return "HandoffAcknowledged" }

// EventType implements Event.
func (HandoffAccepted) EventType() string { return "HandoffAccepted" }

// EventType implements Event.
func (HandoffDeclined) EventType() string { return "HandoffDeclined" }

// EventType implements Event.
func (HandoffReturned) EventType() string { return "HandoffReturned" }

// EventType implements Event.
func (HandoffWithdrawn) EventType() string { return "HandoffWithdrawn" }

// OfferHandoff offers ownership of the incident to a CERT or a force.
func (i *Incident) OfferHandoff(in Invocation, c OfferHandoff) error {
	if err := i.guardManage(in, CmdOfferHandoff, false); err != nil {
		return err
	}
	cfg := in.Config
	id, err := textField("handoff id", c.HandoffID, 200, true)
	if err != nil {
		return err
	}
	if i.Handoff(id) != nil {
		return Errorf(ECONFLICT, "handoff %q already exists", id)
	}
	if err := knownOrg(cfg, c.ToOrg); err != nil {
		return err
	}
	if !cfg.IsCERT(c.ToOrg) && !cfg.IsForce(c.ToOrg) {
		return Errorf(EINVALID, "%s is neither a CERT nor a force; hand off only to one of them", c.ToOrg)
	}
	if c.ToOrg == i.Owner {
		return Errorf(EINVALID, "%s already owns this incident", c.ToOrg)
	}
	summary, err := textField("summary", c.Summary, 5000, true)
	if err != nil {
		return err
	}
	action, err := textField("requested action", c.RequestedAction, 2000, false)
	if err != nil {
		return err
	}
	tlp, err := i.itemTLP(c.TLP, "handoff")
	if err != nil {
		return err
	}
	d, err := within(c.AnswerWithin, cfg.Deadlines.AnswerHandoff, 0, 0, "answer")
	if err != nil {
		return err
	}
	if c.ReleaseOnAccept {
		switch {
		case in.Actor.Org != i.Origin:
			return Errorf(EFORBIDDEN, "only the originating organisation (%s) can give up its own access on acceptance", i.Origin)
		case i.Owner != i.Origin:
			return Errorf(EINVALID, "%s owns the incident now; the originating organisation can give up its access only when it hands over its own ownership", i.Owner)
		case i.Lead == i.Origin:
			return Errorf(EINVALID, "%s also leads the incident and would keep its access as lead; assign another lead first", i.Origin)
		}
	}
	if err := i.widenable("hand off"); err != nil {
		return err
	}
	if i.AffectedSystem.StateSecret() && !cfg.IsForce(c.ToOrg) {
		return Errorf(EFORBIDDEN, "a state-secret incident cannot be handed to %s: it never leaves the forces", c.ToOrg)
	}
	if h := i.offered(); h != nil {
		return Errorf(ECONFLICT, "handoff %q to %s is still waiting for an answer; withdraw it first", h.ID, h.To)
	}
	now := in.Now.UTC()
	e := HandoffOffered{
		HandoffID:       id,
		From:            i.Owner,
		To:              c.ToOrg,
		Summary:         summary,
		RequestedAction: action,
		TLP:             tlp,
		ReleaseOnAccept: c.ReleaseOnAccept,
		Deadline:        now.Add(d),
		Stamp:           Stamp{By: in.Actor, At: now},
	}
	if rule := cfg.PolicyFor(i); rule != nil {
		e.PolicyVersion, e.RuleID = cfg.Version, rule.ID
		e.Chain = i.resolveHandoffChain(cfg, rule.HandoffChain, c.ToOrg)
		e.RemindBefore = cfg.EscalationPolicy.RemindBefore
		e.RemindAt = remindAt(e.Deadline, now, e.RemindBefore)
	}
	i.record(e)
	return nil
}

// answerable finds a handoff the actor's organisation may answer, in the wanted status.
func (i *Incident) answerable(in Invocation, cmd, id string, want HandoffStatus) (*Handoff, error) {
	if err := i.guard(in, cmd, false); err != nil {
		return nil, err
	}
	h := i.Handoff(id)
	switch {
	case h == nil:
		return nil, Errorf(ENOTFOUND, "handoff %q not found", id)
	case in.Actor.Org != h.To:
		return nil, Errorf(EFORBIDDEN, "only %s can answer handoff %q", h.To, h.ID)
	case h.Status != want:
		return nil, Errorf(ECONFLICT, "handoff %q is %s, not %s", h.ID, h.Status, want)
	}
	return h, nil
}

// AcknowledgeHandoff confirms, once, that the actor's organisation received an offer still
// waiting for an answer. The answer deadline stays; the reminder is no longer due.
func (i *Incident) AcknowledgeHandoff(in Invocation, c AcknowledgeHandoff) error {
	if err := i.guard(in, CmdAcknowledgeHandoff, false); err != nil {
		return err
	}
	h := i.Handoff(c.HandoffID)
	switch {
	case h == nil:
		return Errorf(ENOTFOUND, "handoff %q not found", c.HandoffID)
	case in.Actor.Org != h.To:
		return Errorf(EFORBIDDEN, "only %s can acknowledge handoff %q", h.To, h.ID)
	case h.Status != HandoffStatusOffered:
		return Errorf(ECONFLICT, "handoff %q is %s, no longer waiting for an answer", h.ID, h.Status)
	case h.AcknowledgedBy != nil:
		return Errorf(ECONFLICT, "handoff %q was already acknowledged at %s by %s", h.ID, h.AcknowledgedAt.Format(time.RFC3339), h.AcknowledgedBy.User)
	}
	i.record(HandoffAcknowledged{HandoffID: h.ID, Stamp: in.Stamp()})
	return nil
}

// AcceptHandoff makes the actor's organisation the owner; an offer made with ReleaseOnAccept
// also ends the originating organisation's hold on the incident.
func (i *Incident) AcceptHandoff(in Invocation, c AcceptHandoff) error {
	h, err := i.answerable(in, CmdAcceptHandoff, c.HandoffID, HandoffStatusOffered)
	if err != nil {
		return err
	}
	i.record(HandoffAccepted{
		HandoffID:      h.ID,
		OriginReleased: h.ReleaseOnAccept && h.From == i.Origin,
		Stamp:          Stamp{By: in.Actor, At: in.Now.UTC()},
	})
	return nil
}

// DeclineHandoff refuses an offer of ownership.
func (i *Incident) DeclineHandoff(in Invocation, c DeclineHandoff) error {
	h, err := i.answerable(in, CmdDeclineHandoff, c.HandoffID, HandoffStatusOffered)
	if err != nil {
		return err
	}
	reason, err := textField("reason", c.Reason, 2000, true)
	if err != nil {
		return err
	}
	i.record(HandoffDeclined{HandoffID: h.ID, Reason: reason, Stamp: in.Stamp()})
	i.offerNext(in, h) // same commit: the decline and the next offer are one fact
	return nil
}

// ReturnHandoff gives accepted ownership back to the organisation that offered it.
func (i *Incident) ReturnHandoff(in Invocation, c ReturnHandoff) error {
	h, err := i.answerable(in, CmdReturnHandoff, c.HandoffID, HandoffStatusAccepted)
	if err != nil {
		return err
	}
	if i.Owner != h.To {
		return Errorf(ECONFLICT, "ownership has moved on to %s since handoff %q; it can no longer be returned", i.Owner, h.ID)
	}
	reason, err := textField("reason", c.Reason, 2000, true)
	if err != nil {
		return err
	}
	i.record(HandoffReturned{HandoffID: h.ID, Reason: reason, Stamp: in.Stamp()})
	return nil
}

// WithdrawHandoff takes back an unanswered offer; only the offering organisation may.
func (i *Incident) WithdrawHandoff(in Invocation, c WithdrawHandoff) error {
	if err := i.guard(in, CmdWithdrawHandoff, false); err != nil {
		return err
	}
	h := i.Handoff(c.HandoffID)
	switch {
	case h == nil:
		return Errorf(ENOTFOUND, "handoff %q not found", c.HandoffID)
	case in.Actor.Org != h.From || !CanManage(in.Actor, i.Audience(), in.Config):
		return Errorf(EFORBIDDEN, "only a coordinator of %s can withdraw handoff %q", h.From, h.ID)
	case h.Status != HandoffStatusOffered:
		return Errorf(ECONFLICT, "handoff %q is %s, not OFFERED", h.ID, h.Status)
	}
	reason, err := textField("reason", c.Reason, 2000, true)
	if err != nil {
		return err
	}
	i.record(HandoffWithdrawn{HandoffID: h.ID, Reason: reason, Stamp: in.Stamp()})
	return nil
}
