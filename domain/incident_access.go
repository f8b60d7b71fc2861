package domain

import (
	"slices"
	"strings"
)

func init() {
	registerEvent[IncidentShared]("incident", 1, nil)
	registerEvent[RecipientsNamed]("incident", 1, nil)
	registerEvent[TLPChanged]("incident", 1, nil)
	registerCommand((*Incident).Share)
	registerCommand((*Incident).NameRecipients)
	registerCommand((*Incident).ChangeTLP)
}

// Share gives organisations access (TLP:AMBER need-to-know, or write access at CLEAR/GREEN).
type Share struct{ Orgs []string }

// CommandName implements Command.
func (Share) CommandName() string { return "Share" }

// NameRecipients names the users ("org/user") who may read the incident at TLP:RED.
type NameRecipients struct{ Users []string }

// CommandName implements Command.
func (NameRecipients) CommandName() string { return "NameRecipients" }

// ChangeTLP raises or lowers the incident's TLP.
type ChangeTLP struct {
	TLP    TLP
	Reason string
}

// CommandName implements Command.
func (ChangeTLP) CommandName() string { return "ChangeTLP" }

// IncidentShared records the organisations newly given access.
type IncidentShared struct {
	Orgs []string `json:"orgs"`
	Stamp
}

// RecipientsNamed records the users ("org/user") newly named as TLP:RED recipients.
type RecipientsNamed struct {
	Users []string `json:"users"`
	Stamp
}

// TLPChanged records a new TLP; a change to RED makes By a named recipient.
type TLPChanged struct {
	From   TLP    `json:"from"`
	To     TLP    `json:"to"`
	Reason string `json:"reason,omitempty"`
	Stamp
}

// EventType implements Event.
func (IncidentShared) EventType() string { return "IncidentShared" }

// EventType implements Event.
func (RecipientsNamed) EventType() string { return "RecipientsNamed" }

// EventType implements Event.
func (TLPChanged) EventType() string { return "TLPChanged" }

// Share gives organisations access to the incident.
func (i *Incident) Share(in Invocation, c Share) error {
	if err := i.guardManage(in, CmdShare, false); err != nil {
		return err
	}
	if err := i.widenable("share"); err != nil {
		return err
	}
	switch {
	case len(c.Orgs) == 0:
		return Errorf(EINVALID, "name at least one organisation to share with")
	case len(c.Orgs) > 100:
		return Errorf(ETOOLARGE, "share with at most 100 organisations at a time")
	}
	aud := i.Audience()
	var orgs []string
	for _, org := range c.Orgs {
		if err := knownOrg(in.Config, org); err != nil {
			return err
		}
		if err := i.secretAllows(org, in.Config); err != nil {
			return err
		}
		if !aud.holds(org) && !slices.Contains(i.Shared, org) {
			orgs = append(orgs, org)
		}
	}
	if len(orgs) == 0 {
		return Errorf(EINVALID, "the incident is already shared with every organisation named")
	}
	i.record(IncidentShared{Orgs: unionSorted(nil, orgs...), Stamp: in.Stamp()})
	return nil
}

// NameRecipients names the users who may read the incident at TLP:RED.
func (i *Incident) NameRecipients(in Invocation, c NameRecipients) error {
	if err := i.guardManage(in, CmdNameRecipients, false); err != nil {
		return err
	}
	switch {
	case len(c.Users) == 0:
		return Errorf(EINVALID, "name at least one recipient as org/user")
	case len(c.Users) > 100:
		return Errorf(ETOOLARGE, "name at most 100 recipients at a time")
	}
	aud := i.Audience()
	var users []string
	for _, key := range c.Users {
		org, user, ok := strings.Cut(key, "/")
		if !ok || org == "" || user == "" || strings.ContainsAny(key, " \t") || strings.Contains(user, "/") {
			return Errorf(EINVALID, "recipient %q must be written org/user, for example police/an", trimForMessage(key))
		}
		if err := knownOrg(in.Config, org); err != nil {
			return err
		}
		if !aud.holds(org) {
			if err := i.secretAllows(org, in.Config); err != nil {
				return err
			}
		}
		if !slices.Contains(i.Recipients, key) {
			users = append(users, key)
		}
	}
	if len(users) == 0 {
		return Errorf(EINVALID, "every user named is already a recipient")
	}
	i.record(RecipientsNamed{Users: unionSorted(nil, users...), Stamp: in.Stamp()})
	return nil
}

// ChangeTLP raises the TLP (any writer) or lowers it (a coordinator of the originating organisation).
func (i *Incident) ChangeTLP(in Invocation, c ChangeTLP) error {
	if err := i.guard(in, CmdChangeTLP, false); err != nil {
		return err
	}
	if !c.TLP.Valid() {
		return Errorf(EINVALID, "TLP must be CLEAR, GREEN, AMBER, AMBER_STRICT or RED")
	}
	if c.TLP == i.TLP {
		return Errorf(EINVALID, "the incident is already TLP:%s", c.TLP)
	}
	if c.TLP.Rank() < i.TLP.Rank() {
		if in.Actor.Role != RoleCoordinator || in.Actor.Org != i.Origin {
			return Errorf(EFORBIDDEN, "only a coordinator of the originating organisation (%s) may lower the TLP", i.Origin)
		}
	} else if err := i.needWrite(in); err != nil {
		return err
	}
	reason, err := textField("reason", c.Reason, 2000, false)
	if err != nil {
		return err
	}
	i.record(TLPChanged{From: i.TLP, To: c.TLP, Reason: reason, Stamp: in.Stamp()})
	return nil
}
