package domain

import (
	"slices"
	"time"
)

func init() {
	registerEvent[HandoffDeadlineMissed]("incident", 1, nil)
	registerEvent[HandoffReminderDue]("incident", 1, nil)
	registerEvent[HandoffChainExhausted]("incident", 1, nil)
	registerEvent[HandoffChainBlocked]("incident", 1, nil)
	registerCommand((*Incident).MissHandoffDeadline)
	registerCommand((*Incident).RemindHandoff)
}

// MissHandoffDeadline records that a handoff was not answered in time and offers it to the
// next organisation of its chain.
type MissHandoffDeadline struct{ HandoffID string }

// CommandName implements Command.
func (MissHandoffDeadline) CommandName() string { return "MissHandoffDeadline" }

// RemindHandoff reminds the addressee of a handoff that its answer deadline is near.
type RemindHandoff struct{ HandoffID string }

// CommandName implements Command.
func (RemindHandoff) CommandName() string { return "RemindHandoff" }

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

// EventType implements Event.
func (HandoffDeadlineMissed) EventType() string { return "HandoffDeadlineMissed" }

// EventType implements Event.
func (HandoffReminderDue) EventType() string { return "HandoffReminderDue" }

// EventType implements Event.
func (HandoffChainExhausted) EventType() string { return "HandoffChainExhausted" }

// EventType implements Event.
func (HandoffChainBlocked) EventType() string { return "HandoffChainBlocked" }

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

// pendingHandoff finds the handoff a deadline command acts on: recorded by the scheduler (what),
// existing, still waiting for an answer, on an open incident.
func (i *Incident) pendingHandoff(in Invocation, what, id string) (*Handoff, error) {
	if err := i.systemGuard(in, what); err != nil {
		return nil, err
	}
	h := i.Handoff(id)
	switch {
	case h == nil:
		return nil, Errorf(ENOTFOUND, "handoff %q not found", id)
	case i.Status == IncidentStatusClosed:
		return nil, Errorf(ECONFLICT, "incident is closed")
	case h.Status != HandoffStatusOffered:
		return nil, Errorf(ECONFLICT, "handoff %q is %s, no longer waiting for an answer", h.ID, h.Status)
	}
	return h, nil
}

// MissHandoffDeadline expires an unanswered offer and, in the same commit, offers the incident
// to the next organisation of the handoff's chain.
func (i *Incident) MissHandoffDeadline(in Invocation, c MissHandoffDeadline) error {
	h, err := i.pendingHandoff(in, "a missed handoff deadline", c.HandoffID)
	if err != nil {
		return err
	}
	switch {
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
	h, err := i.pendingHandoff(in, "a reminder", c.HandoffID)
	if err != nil {
		return err
	}
	switch {
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
