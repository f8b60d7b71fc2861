package projections

import (
	"slices"

	"github.com/dieuphoi/dieuphoi/domain"
)

// PartnerReason says why an organisation may see an incident, as partner feeds and webhooks
// report it.
type PartnerReason string

// Partner reasons.
const (
	ReasonOwn       PartnerReason = "OWN"       // the organisation originated or leads it (or owns it after a handoff)
	ReasonHandoff   PartnerReason = "HANDOFF"   // a handoff to it is offered or was accepted (or it gave the incident back after working on it)
	ReasonEscalated PartnerReason = "ESCALATED" // it was escalated to the organisation
	ReasonShared    PartnerReason = "SHARED"    // it was shared with the organisation, or a person of it is named (TLP:RED)
	ReasonCommunity PartnerReason = "COMMUNITY" // TLP:CLEAR or GREEN: every organisation may see it
)

// ReasonFor returns why a's organisation may see an incident with audience aud, the most
// specific reason first: origin or lead, then a handoff addressed to it (also once accepted,
// when it owns the incident), escalation, sharing, and the community (CLEAR and GREEN). It
// does not decide visibility: the policy does.
func ReasonFor(a domain.Actor, aud domain.Audience) PartnerReason {
	org := a.Org
	switch {
	case org == "":
		return ReasonCommunity
	case org == aud.Origin && !aud.OriginReleased || org == aud.Lead:
		return ReasonOwn
	case slices.Contains(aud.HandoffTo, org):
		return ReasonHandoff
	case org == aud.Owner:
		return ReasonOwn
	case slices.Contains(aud.EscalatedTo, org):
		return ReasonEscalated
	case slices.Contains(aud.Shared, org) || slices.Contains(aud.Recipients, domain.UserKey(a.Org, a.User)):
		return ReasonShared
	case slices.Contains(aud.FormerOwners, org):
		return ReasonHandoff
	}
	return ReasonCommunity
}
