package domain

import (
	"slices"
	"strings"
)

// Audience is what the access policy needs to know about an incident.
type Audience struct {
	TLP         TLP
	InfoClass   InfoClass
	Origin      string
	Lead        string
	Owner       string
	Shared      []string
	Recipients  []string // "org/user" keys, for TLP:RED
	EscalatedTo []string
	HandoffTo   []string // handoffs OFFERED or ACCEPTED
	// FormerOwners accepted a handoff and gave the incident back: they keep read access to
	// what they worked on (at AMBER, like participants), but no longer write.
	FormerOwners []string
	Drill        bool
	// OriginReleased: Origin gave up holding the incident on a handoff's acceptance; it then
	// holds or takes part only as lead, owner, or when shared, escalated or handed off to.
	OriginReleased bool
}

// Audience returns the incident's audience; EscalatedTo holds the addressee of every escalation
// ever made, HandoffTo the addressees of handoffs offered or accepted.
func (i *Incident) Audience() Audience {
	a := Audience{TLP: i.TLP, Origin: i.Origin, Lead: i.Lead, Owner: i.Owner, Shared: slices.Clone(i.Shared),
		Recipients: slices.Clone(i.Recipients), Drill: i.Drill, OriginReleased: i.OriginReleased}
	if i.AffectedSystem != nil {
		a.InfoClass = i.AffectedSystem.InfoClass
	}
	for _, x := range i.Escalations {
		a.EscalatedTo = append(a.EscalatedTo, x.To)
	}
	for _, h := range i.Handoffs {
		switch h.Status {
		case HandoffStatusOffered, HandoffStatusAccepted:
			a.HandoffTo = append(a.HandoffTo, h.To)
		case HandoffStatusReturned:
			a.FormerOwners = append(a.FormerOwners, h.To)
		}
	}
	// Sorted and unique once, not at every append: incidents with hundreds of escalations.
	a.EscalatedTo, a.HandoffTo, a.FormerOwners = unionSorted(a.EscalatedTo), unionSorted(a.HandoffTo), unionSorted(a.FormerOwners)
	return a
}

// holds reports whether org originated (and did not give it up), leads or owns the incident.
func (a Audience) holds(org string) bool {
	return org != "" && (org == a.Origin && !a.OriginReleased || org == a.Lead || org == a.Owner)
}

// participates reports whether org holds the incident or was brought in by sharing, escalation
// or handoff.
func (a Audience) participates(org string) bool {
	return a.holds(org) || slices.Contains(a.Shared, org) || slices.Contains(a.EscalatedTo, org) ||
		slices.Contains(a.HandoffTo, org)
}

// reach lists every organisation with a way in: participants and the organisations of named
// recipients.
func (a Audience) reach() []string {
	orgs := unionSorted(nil, a.Lead, a.Owner)
	if !a.OriginReleased {
		orgs = unionSorted(orgs, a.Origin)
	}
	orgs = unionSorted(orgs, a.Shared...)
	orgs = unionSorted(orgs, a.EscalatedTo...)
	orgs = unionSorted(orgs, a.HandoffTo...)
	orgs = unionSorted(orgs, a.FormerOwners...)
	for _, k := range a.Recipients {
		org, _, _ := strings.Cut(k, "/")
		orgs = unionSorted(orgs, org)
	}
	return orgs
}

// UserKey is how a user is named among TLP:RED recipients: "org/user".
func UserKey(org, user string) string { return org + "/" + user }

// CanRead reports whether a may see the incident. A state-secret incident is visible only to its
// holders and to forces among its participants (or named at TLP:RED), whatever the TLP; then TLP
// decides: CLEAR and GREEN any organisation in the directory, AMBER participants and former
// owners (read only), AMBER_STRICT holders, RED named recipients.
func CanRead(a Actor, aud Audience, cfg *Config) bool {
	if cfg == nil || !a.Role.Valid() || a.Role == RoleAdmin || a.Role == RoleIngest {
		return false
	}
	if _, ok := cfg.Org(a.Org); !ok {
		return false
	}
	holder, participant := aud.holds(a.Org), aud.participates(a.Org)
	former := slices.Contains(aud.FormerOwners, a.Org)
	named := slices.Contains(aud.Recipients, UserKey(a.Org, a.User))
	if aud.InfoClass.StateSecret() && !holder && !(cfg.IsForce(a.Org) && (participant || former || aud.TLP == TLPRed && named)) {
		return false
	}
	switch aud.TLP {
	case TLPClear, TLPGreen:
		return true
	case TLPAmber:
		return participant || former
	case TLPAmberStrict:
		return holder
	case TLPRed:
		return named
	}
	return false
}

// CanWrite reports whether a may work on the incident: a reader with role coordinator, responder
// or partner whose organisation participates (at TLP:RED, being named suffices).
func CanWrite(a Actor, aud Audience, cfg *Config) bool {
	switch a.Role {
	case RoleCoordinator, RoleResponder, RolePartner:
	default:
		return false
	}
	return CanRead(a, aud, cfg) && (aud.TLP == TLPRed || aud.participates(a.Org))
}

// CanManage reports whether a may steer the incident (share, classify, hand off, close): a
// coordinator of a holding organisation who can read it.
func CanManage(a Actor, aud Audience, cfg *Config) bool {
	return a.Role == RoleCoordinator && aud.holds(a.Org) && CanRead(a, aud, cfg)
}

// CanReadItem reports whether a may see a note or indicator labelled itemTLP and written by
// author: the more restrictive of the incident's and the item's TLP decides, and the author may
// always read their own item while they can read the incident.
func CanReadItem(a Actor, aud Audience, itemTLP TLP, author Actor, cfg *Config) bool {
	if a.User != "" && a.User == author.User && a.Org == author.Org {
		return CanRead(a, aud, cfg)
	}
	aud.TLP = MaxTLP(aud.TLP, itemTLP)
	return CanRead(a, aud, cfg)
}

// incidentCommandRoles says which roles may issue each incident command at all.
var incidentCommandRoles = func() map[string][]Role {
	coord := []Role{RoleCoordinator}
	write := []Role{RoleCoordinator, RoleResponder, RolePartner}
	read := []Role{RoleCoordinator, RoleResponder, RoleReviewer, RolePartner}
	answer := []Role{RoleCoordinator, RolePartner}
	return map[string][]Role{
		CmdOpenIncident: {RoleCoordinator, RoleResponder}, CmdClassify: coord, CmdAssignLead: coord,
		CmdChangePhase: write, CmdAddNote: read, CmdAddIndicator: write, CmdShare: coord,
		CmdNameRecipients: coord, CmdChangeTLP: write, CmdEscalate: write, CmdAcknowledgeEscalation: read,
		CmdResolveEscalation: read, CmdOfferHandoff: coord, CmdAcknowledgeHandoff: write, CmdAcceptHandoff: answer,
		CmdDeclineHandoff: answer, CmdReturnHandoff: answer, CmdWithdrawHandoff: coord,
		CmdCloseIncident: coord, CmdReopenIncident: coord, CmdRecordNotification: write, CmdSubmitReport: coord,
		CmdMergeAlerts: {RoleCoordinator, RoleResponder}, CmdDetachAlert: {RoleCoordinator, RoleResponder},
	}
}()

// RoleMay reports whether role r may issue the named incident command (Cmd* constants) at all;
// the incident's audience then decides for the actor's organisation. Admin and ingest may issue
// none.
func RoleMay(r Role, command string) bool {
	return slices.Contains(incidentCommandRoles[command], r)
}

// Command names, as RoleMay knows them; each is the name of the command's struct.
const (
	CmdOpenIncident          = "OpenIncident"
	CmdClassify              = "Classify"
	CmdAssignLead            = "AssignLead"
	CmdChangePhase           = "ChangePhase"
	CmdAddNote               = "AddNote"
	CmdAddIndicator          = "AddIndicator"
	CmdShare                 = "Share"
	CmdNameRecipients        = "NameRecipients"
	CmdChangeTLP             = "ChangeTLP"
	CmdEscalate              = "Escalate"
	CmdAcknowledgeEscalation = "AcknowledgeEscalation"
	CmdResolveEscalation     = "ResolveEscalation"
	CmdOfferHandoff          = "OfferHandoff"
	CmdAcceptHandoff         = "AcceptHandoff"
	CmdAcknowledgeHandoff    = "AcknowledgeHandoff"
	CmdDeclineHandoff        = "DeclineHandoff"
	CmdReturnHandoff         = "ReturnHandoff"
	CmdWithdrawHandoff       = "WithdrawHandoff"
	CmdCloseIncident         = "CloseIncident"
	CmdReopenIncident        = "ReopenIncident"
	CmdRecordNotification    = "RecordNotification"
	CmdSubmitReport          = "SubmitReport"
	CmdMergeAlerts           = "MergeAlerts"
	CmdDetachAlert           = "DetachAlert"
)
