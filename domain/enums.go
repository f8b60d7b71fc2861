package domain

// Standards-defined enumerations (TLP 2.0, PAP, roles, information classes). Lists that regulations
// change (organisation kinds, sectors, incident types, deadlines) are data: see Config.

// TLP is a FIRST Traffic Light Protocol 2.0 label.
type TLP string

// TLP labels, least to most restrictive.
const (
	TLPClear       TLP = "CLEAR"
	TLPGreen       TLP = "GREEN"
	TLPAmber       TLP = "AMBER"
	TLPAmberStrict TLP = "AMBER_STRICT"
	TLPRed         TLP = "RED"
)

var tlpRank = map[TLP]int{TLPClear: 0, TLPGreen: 1, TLPAmber: 2, TLPAmberStrict: 3, TLPRed: 4}

// Valid reports whether t is a known label.
func (t TLP) Valid() bool { _, ok := tlpRank[t]; return ok }

// Rank orders labels from CLEAR (0) to RED (4); -1 for an unknown label.
func (t TLP) Rank() int {
	if r, ok := tlpRank[t]; ok {
		return r
	}
	return -1
}

// MaxTLP returns the more restrictive of two labels; an empty label counts as no restriction.
func MaxTLP(a, b TLP) TLP {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

// STIXMarkingID returns the STIX 2.1 marking-definition id of a TLP 2.0 label.
func (t TLP) STIXMarkingID() string {
	switch t {
	case TLPClear:
		return "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	case TLPGreen:
		return "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	case TLPAmber:
		return "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	case TLPAmberStrict:
		return "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	case TLPRed:
		return "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
	}
	return ""
}

// PAP is a Permissible Actions Protocol label.
type PAP string

// PAP labels.
const (
	PAPClear PAP = "CLEAR"
	PAPGreen PAP = "GREEN"
	PAPAmber PAP = "AMBER"
	PAPRed   PAP = "RED"
)

// Valid reports whether p is a known label.
func (p PAP) Valid() bool {
	switch p {
	case PAPClear, PAPGreen, PAPAmber, PAPRed:
		return true
	}
	return false
}

// Role is what a user may do; a token carries exactly one.
type Role string

// Roles.
const (
	RoleCoordinator Role = "coordinator"
	RoleResponder   Role = "responder"
	RoleReviewer    Role = "reviewer"
	RolePartner     Role = "partner"
	RoleAdmin       Role = "admin"
	RoleIngest      Role = "ingest"
)

// Roles lists every role.
var Roles = []Role{RoleCoordinator, RoleResponder, RoleReviewer, RolePartner, RoleAdmin, RoleIngest}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Severity is the operational scale under the regulatory tier.
type Severity string

// Severities.
const (
	SeverityLow      Severity = "LOW"
	SeverityMedium   Severity = "MEDIUM"
	SeverityHigh     Severity = "HIGH"
	SeverityCritical Severity = "CRITICAL"
)

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool {
	switch s {
	case SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical:
		return true
	}
	return false
}

// Rank orders severities from LOW (0) to CRITICAL (3); -1 when unknown.
func (s Severity) Rank() int {
	switch s {
	case SeverityLow:
		return 0
	case SeverityMedium:
		return 1
	case SeverityHigh:
		return 2
	case SeverityCritical:
		return 3
	}
	return -1
}

// Tier is the regulatory tier: ordinary (Thông tư 20/2017) or serious (Quyết định 05/2017).
type Tier string

// Tiers.
const (
	TierOrdinary Tier = "ORDINARY"
	TierSerious  Tier = "SERIOUS"
)

// Valid reports whether t is a known tier.
func (t Tier) Valid() bool { return t == TierOrdinary || t == TierSerious }

// InfoClass is the class of information an affected system holds.
type InfoClass string

// Information classes; the three state-secret grades (Mật, Tối mật, Tuyệt mật) never leave the
// forces that hold the incident.
const (
	InfoPublic          InfoClass = "PUBLIC"
	InfoPrivate         InfoClass = "PRIVATE"
	InfoPersonal        InfoClass = "PERSONAL"
	InfoSecretConfident InfoClass = "STATE_SECRET_CONFIDENTIAL" // Mật
	InfoSecretSecret    InfoClass = "STATE_SECRET_SECRET"       // Tối mật
	InfoSecretTop       InfoClass = "STATE_SECRET_TOP_SECRET"   // Tuyệt mật
)

// Valid reports whether c is a known class.
func (c InfoClass) Valid() bool {
	switch c {
	case InfoPublic, InfoPrivate, InfoPersonal, InfoSecretConfident, InfoSecretSecret, InfoSecretTop:
		return true
	}
	return false
}

// StateSecret reports whether c is one of the state-secret grades.
func (c InfoClass) StateSecret() bool {
	return c == InfoSecretConfident || c == InfoSecretSecret || c == InfoSecretTop
}
