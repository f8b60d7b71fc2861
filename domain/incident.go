package domain

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Phase is a step of the response workflow (TT20 Art. 11, QĐ05 Art. 14), mapped to NIST SP 800-61.
type Phase string

// Phases of an incident, in workflow order.
const (
	PhaseDetected    Phase = "DETECTED"
	PhaseTriage      Phase = "TRIAGE"
	PhaseContainment Phase = "CONTAINMENT"
	PhaseEradication Phase = "ERADICATION"
	PhaseRecovery    Phase = "RECOVERY"
	PhaseReview      Phase = "REVIEW"
)

// Phases lists every phase in workflow order.
var Phases = []Phase{PhaseDetected, PhaseTriage, PhaseContainment, PhaseEradication, PhaseRecovery, PhaseReview}

var phaseLabels = map[Phase][2]string{
	PhaseDetected:    {"Phát hiện, tiếp nhận", "Detected"},
	PhaseTriage:      {"Xác minh, phân tích, phân loại", "Triage"},
	PhaseContainment: {"Ngăn chặn", "Containment"},
	PhaseEradication: {"Xử lý, loại bỏ nguyên nhân", "Eradication"},
	PhaseRecovery:    {"Khôi phục", "Recovery"},
	PhaseReview:      {"Đánh giá, rút kinh nghiệm", "Review"},
}

// Rank is the position of p in the workflow; -1 for an unknown phase.
func (p Phase) Rank() int { return slices.Index(Phases, p) }

// Valid reports whether p is a known phase.
func (p Phase) Valid() bool { return p.Rank() >= 0 }

// NIST names the NIST SP 800-61 phase p belongs to; "" for an unknown phase.
func (p Phase) NIST() string {
	switch p {
	case PhaseDetected, PhaseTriage:
		return "detection-analysis"
	case PhaseContainment, PhaseEradication, PhaseRecovery:
		return "containment-eradication-recovery"
	case PhaseReview:
		return "post-incident"
	}
	return ""
}

// LabelVi is the Vietnamese label of p for timelines; the code itself when p is unknown.
func (p Phase) LabelVi() string {
	if l, ok := phaseLabels[p]; ok {
		return l[0]
	}
	return string(p)
}

// LabelEn is the English label of p for timelines; the code itself when p is unknown.
func (p Phase) LabelEn() string {
	if l, ok := phaseLabels[p]; ok {
		return l[1]
	}
	return string(p)
}

// IncidentStatus says whether an incident is being handled.
type IncidentStatus string

// Incident statuses.
const (
	IncidentStatusOpen   IncidentStatus = "OPEN"
	IncidentStatusClosed IncidentStatus = "CLOSED"
)

// IncidentSource says how an incident came in: a person's report or promoted alerts.
type IncidentSource string

// Incident sources.
const (
	SourceReport IncidentSource = "REPORT"
	SourceAlerts IncidentSource = "ALERTS"
)

// Resolution is how an incident ended.
type Resolution string

// Resolutions.
const (
	ResolutionResolved      Resolution = "RESOLVED"
	ResolutionFalsePositive Resolution = "FALSE_POSITIVE"
	ResolutionDuplicate     Resolution = "DUPLICATE"
	ResolutionNoAction      Resolution = "NO_ACTION"
)

// Valid reports whether r is a known resolution.
func (r Resolution) Valid() bool {
	switch r {
	case ResolutionResolved, ResolutionFalsePositive, ResolutionDuplicate, ResolutionNoAction:
		return true
	}
	return false
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

// AffectedSystem is the information system an incident hit (Mẫu 03).
type AffectedSystem struct {
	Name             string    `json:"name"`
	OwnerOrg         string    `json:"ownerOrg,omitempty"`
	SecurityLevel    int       `json:"securityLevel"` // cấp độ 1..5; 0 unknown
	InfoClass        InfoClass `json:"infoClass,omitempty"`
	ProtectionLayers []string  `json:"protectionLayers,omitempty"` // Chỉ thị 14 four-layer model
}

// StateSecret reports whether the system holds state secrets; false for a nil system.
func (s *AffectedSystem) StateSecret() bool { return s != nil && s.InfoClass.StateSecret() }

func (s *AffectedSystem) clone() *AffectedSystem {
	if s == nil {
		return nil
	}
	c := *s
	c.ProtectionLayers = slices.Clone(s.ProtectionLayers)
	return &c
}

func (s *AffectedSystem) equal(o *AffectedSystem) bool {
	if s == nil || o == nil {
		return s == o
	}
	return s.Name == o.Name && s.OwnerOrg == o.OwnerOrg && s.SecurityLevel == o.SecurityLevel &&
		s.InfoClass == o.InfoClass && slices.Equal(s.ProtectionLayers, o.ProtectionLayers)
}

// normalise returns a trimmed, checked copy of s.
func (s *AffectedSystem) normalise(cfg *Config) (*AffectedSystem, error) {
	n := &AffectedSystem{SecurityLevel: s.SecurityLevel, InfoClass: s.InfoClass}
	var err error
	if n.Name, err = textField("affected system name", s.Name, 300, true); err != nil {
		return nil, err
	}
	if n.OwnerOrg = strings.TrimSpace(s.OwnerOrg); n.OwnerOrg != "" {
		if _, ok := cfg.Org(n.OwnerOrg); !ok {
			return nil, Errorf(ENOTFOUND, "system owner %q is not in the organisation directory", n.OwnerOrg)
		}
	}
	if n.SecurityLevel < 0 || n.SecurityLevel > 5 {
		return nil, Errorf(EINVALID, "security level must be 1 to 5, or 0 when unknown")
	}
	if n.InfoClass != "" && !n.InfoClass.Valid() {
		return nil, Errorf(EINVALID, "unknown information class %q (use PUBLIC, PRIVATE, PERSONAL or a STATE_SECRET_ grade)", n.InfoClass)
	}
	if len(s.ProtectionLayers) > 20 {
		return nil, Errorf(ETOOLARGE, "at most 20 protection layers may be listed")
	}
	for _, l := range s.ProtectionLayers {
		l, err := textField("protection layer", l, 200, false)
		if err != nil {
			return nil, err
		}
		if l != "" && !slices.Contains(n.ProtectionLayers, l) {
			n.ProtectionLayers = append(n.ProtectionLayers, l)
		}
	}
	return n, nil
}

// Note is a free-text entry on an incident, with its own TLP.
type Note struct {
	ID     string    `json:"id"`
	Text   string    `json:"text"`
	TLP    TLP       `json:"tlp"`
	Author Actor     `json:"author"`
	At     time.Time `json:"at"`
}

// Indicator is an indicator of compromise recorded on an incident, normalised by ValidateIndicator.
type Indicator struct {
	ID     string        `json:"id"`
	Type   IndicatorType `json:"type"`
	Value  string        `json:"value"`
	TLP    TLP           `json:"tlp"`
	Author Actor         `json:"author"`
	At     time.Time     `json:"at"`
}

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

// SubmittedReport is a report form (Mẫu 03, Mẫu 04) recorded as submitted for the incident.
type SubmittedReport struct {
	Form      ReportForm `json:"form"`
	Reference string     `json:"reference,omitempty"`
	Late      bool       `json:"late,omitempty"`
	By        Actor      `json:"by"`
	At        time.Time  `json:"at"`
}

// Incident is the aggregate of one cyber incident. Fields are exported for read models, which
// Replay incidents too, but only apply changes them.
type Incident struct {
	Recorder `json:"-"`

	ID             string          `json:"id"`
	Title          string          `json:"title"`
	Description    string          `json:"description,omitempty"`
	Type           string          `json:"type"`
	RSITClass      string          `json:"rsitClass"`
	RSITType       string          `json:"rsitType"`
	Severity       Severity        `json:"severity"`
	Tier           Tier            `json:"tier"`
	Sector         string          `json:"sector,omitempty"`
	AffectedSystem *AffectedSystem `json:"affectedSystem,omitempty"`
	Origin         string          `json:"origin"` // organisation that opened it
	OpenedBy       Actor           `json:"openedBy"`
	Lead           string          `json:"lead"`
	Owner          string          `json:"owner"` // Origin until a handoff is accepted
	Status         IncidentStatus  `json:"status"`
	Phase          Phase           `json:"phase"`
	TLP            TLP             `json:"tlp"`
	PAP            PAP             `json:"pap"`
	Drill          bool            `json:"drill"`
	Source         IncidentSource  `json:"source"`
	AlertIDs       []string        `json:"alertIds,omitempty"`
	DetectedAt     time.Time       `json:"detectedAt"`
	OpenedAt       time.Time       `json:"openedAt"`
	Notes          []Note          `json:"notes,omitempty"`
	Indicators     []Indicator     `json:"indicators,omitempty"`
	Shared         []string        `json:"shared,omitempty"`     // sorted, unique org slugs
	Recipients     []string        `json:"recipients,omitempty"` // sorted, unique "org/user" keys for TLP:RED
	Escalations    []*Escalation   `json:"escalations,omitempty"`
	Handoffs       []*Handoff      `json:"handoffs,omitempty"`
	Resolution     Resolution      `json:"resolution,omitempty"`
	CloseSummary   string          `json:"closeSummary,omitempty"`
	ClosedAt       time.Time       `json:"closedAt,omitzero"`
	Reopened       int             `json:"reopened,omitempty"`

	// OriginReleased: Origin gave up holding the incident when a handoff it offered with
	// ReleaseOnAccept was accepted; it ends when Origin owns the incident again.
	OriginReleased bool `json:"originReleased,omitempty"`
	// AutoRules lists the policy rules whose automatic escalation was recorded (or found blocked).
	AutoRules []string `json:"autoRules,omitempty"`
	// Notified lists the organisations recorded as notified outside the service (TT20 Art. 9).
	Notified           []string `json:"notified,omitempty"`
	NotificationMissed bool     `json:"notificationMissed,omitempty"`
	// ReportDue is when the closing report (Mẫu 04) is due; zero while open or when none is owed.
	ReportDue            time.Time         `json:"reportDue,omitzero"`
	ClosingReportAt      time.Time         `json:"closingReportAt,omitzero"` // Mẫu 04 submitted since the last closing
	ClosingReportOverdue bool              `json:"closingReportOverdue,omitempty"`
	Reports              []SubmittedReport `json:"reports,omitempty"`
}

// NewIncident returns an unopened incident with the given id; call Open or Replay its events.
func NewIncident(id string) *Incident { return &Incident{ID: id} }

// AggregateType implements Aggregate.
func (i *Incident) AggregateType() string { return "incident" }

// AggregateID implements Aggregate.
func (i *Incident) AggregateID() string { return i.ID }

// Replay implements Aggregate: it applies an event read from the log without recording it.
func (i *Incident) Replay(e Event) { i.apply(e) }

// Escalation returns the escalation with the given id, or nil.
func (i *Incident) Escalation(id string) *Escalation {
	for _, e := range i.Escalations {
		if e.ID == id {
			return e
		}
	}
	return nil
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

// Commands.

// OpenIncident opens an incident. Empty Tier, PAP and Source take their defaults (ORDINARY,
// AMBER, REPORT).
type OpenIncident struct {
	Title          string
	Description    string
	Type           string
	Sector         string
	Severity       Severity
	Tier           Tier
	TLP            TLP
	PAP            PAP
	DetectedAt     time.Time
	Drill          bool
	Source         IncidentSource
	AlertIDs       []string
	AffectedSystem *AffectedSystem
}

// Classify changes the classification; empty fields and a nil AffectedSystem leave it unchanged.
type Classify struct {
	Type           string
	Severity       Severity
	Tier           Tier
	Sector         string
	AffectedSystem *AffectedSystem
}

// AssignLead names the organisation that leads the response.
type AssignLead struct{ Org string }

// ChangePhase moves the incident to another phase; moving back needs a reason.
type ChangePhase struct {
	Phase  Phase
	Reason string
}

// AddNote adds a note; an empty TLP means the incident's TLP.
type AddNote struct {
	NoteID string
	Text   string
	TLP    TLP
}

// AddIndicator records an indicator of compromise; an empty TLP means the incident's TLP.
type AddIndicator struct {
	IndicatorID string
	Type        IndicatorType
	Value       string
	TLP         TLP
}

// Share gives organisations access (TLP:AMBER need-to-know, or write access at CLEAR/GREEN).
type Share struct{ Orgs []string }

// NameRecipients names the users ("org/user") who may read the incident at TLP:RED.
type NameRecipients struct{ Users []string }

// ChangeTLP raises or lowers the incident's TLP.
type ChangeTLP struct {
	TLP    TLP
	Reason string
}

// Escalate asks another organisation to acknowledge the incident within AckWithin (zero: the
// configured default).
type Escalate struct {
	EscalationID string
	ToOrg        string
	Reason       string
	AckWithin    time.Duration
}

// AcknowledgeEscalation acknowledges an escalation on behalf of its addressee.
type AcknowledgeEscalation struct{ EscalationID string }

// ResolveEscalation ends an escalation with a short statement of the outcome.
type ResolveEscalation struct {
	EscalationID string
	Resolution   string
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

// AcknowledgeHandoff confirms that the addressee received an offer; it does not answer it.
type AcknowledgeHandoff struct{ HandoffID string }

// AcceptHandoff takes ownership offered to the actor's organisation.
type AcceptHandoff struct{ HandoffID string }

// DeclineHandoff refuses ownership offered to the actor's organisation.
type DeclineHandoff struct {
	HandoffID string
	Reason    string
}

// ReturnHandoff gives accepted ownership back to the organisation that offered it.
type ReturnHandoff struct {
	HandoffID string
	Reason    string
}

// WithdrawHandoff takes back an offer not yet answered.
type WithdrawHandoff struct {
	HandoffID string
	Reason    string
}

// CloseIncident closes the incident with a resolution and a closing summary (Mẫu 04).
type CloseIncident struct {
	Resolution Resolution
	Summary    string
}

// ReopenIncident reopens a closed incident.
type ReopenIncident struct{ Reason string }

// Events.

// IncidentOpened records a new incident; By's organisation is its origin, lead and owner.
type IncidentOpened struct {
	ID             string          `json:"id"`
	Title          string          `json:"title"`
	Description    string          `json:"description,omitempty"`
	Type           string          `json:"type"`
	RSITClass      string          `json:"rsitClass"`
	RSITType       string          `json:"rsitType"`
	Severity       Severity        `json:"severity"`
	Tier           Tier            `json:"tier"`
	Sector         string          `json:"sector,omitempty"`
	AffectedSystem *AffectedSystem `json:"affectedSystem,omitempty"`
	TLP            TLP             `json:"tlp"`
	PAP            PAP             `json:"pap"`
	Drill          bool            `json:"drill"`
	Source         IncidentSource  `json:"source"`
	AlertIDs       []string        `json:"alertIds,omitempty"`
	DetectedAt     time.Time       `json:"detectedAt"`
	Stamp
}

// IncidentClassified records the complete classification after a change.
type IncidentClassified struct {
	Type           string          `json:"type"`
	RSITClass      string          `json:"rsitClass"`
	RSITType       string          `json:"rsitType"`
	Severity       Severity        `json:"severity"`
	Tier           Tier            `json:"tier"`
	Sector         string          `json:"sector,omitempty"`
	AffectedSystem *AffectedSystem `json:"affectedSystem,omitempty"`
	Stamp
}

// LeadAssigned records a new lead organisation.
type LeadAssigned struct {
	Org      string `json:"org"`
	Previous string `json:"previous"`
	Stamp
}

// PhaseChanged records a move between phases.
type PhaseChanged struct {
	From   Phase  `json:"from"`
	To     Phase  `json:"to"`
	Reason string `json:"reason,omitempty"`
	Stamp
}

// NoteAdded records a note. Schema version 2; version 1 named the text "body".
type NoteAdded struct {
	NoteID string `json:"noteId"`
	Text   string `json:"text"`
	TLP    TLP    `json:"tlp"`
	Stamp
}

// IndicatorAdded records an indicator of compromise with its normalised value.
type IndicatorAdded struct {
	IndicatorID string        `json:"indicatorId"`
	Type        IndicatorType `json:"type"`
	Value       string        `json:"value"`
	TLP         TLP           `json:"tlp"`
	Stamp
}

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

// IncidentClosed records the end of the response. ReportDue is when the closing report (Mẫu 04)
// is due; zero when none is owed (false positives, duplicates, events stored before it existed).
type IncidentClosed struct {
	Resolution Resolution `json:"resolution"`
	Summary    string     `json:"summary"`
	ReportDue  time.Time  `json:"reportDue,omitzero"`
	Stamp
}

// IncidentReopened records that a closed incident is being handled again.
type IncidentReopened struct {
	Reason string `json:"reason"`
	Stamp
}

// EventType implements Event.
func (IncidentOpened) EventType() string { return "IncidentOpened" }

// EventType implements Event.
func (IncidentClassified) EventType() string { return "IncidentClassified" }

// EventType implements Event.
func (LeadAssigned) EventType() string { return "LeadAssigned" }

// EventType implements Event.
func (PhaseChanged) EventType() string { return "PhaseChanged" }

// EventType implements Event.
func (NoteAdded) EventType() string { return "NoteAdded" }

// EventType implements Event.
func (IndicatorAdded) EventType() string { return "IndicatorAdded" }

// EventType implements Event.
func (IncidentShared) EventType() string { return "IncidentShared" }

// EventType implements Event.
func (RecipientsNamed) EventType() string { return "RecipientsNamed" }

// EventType implements Event.
func (TLPChanged) EventType() string { return "TLPChanged" }

// EventType implements Event.
func (IncidentEscalated) EventType() string { return "IncidentEscalated" }

// EventType implements Event.
func (EscalationAcknowledged) EventType() string { return "EscalationAcknowledged" }

// EventType implements Event.
func (EscalationResolved) EventType() string { return "EscalationResolved" }

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

// EventType implements Event.
func (IncidentClosed) EventType() string { return "IncidentClosed" }

// EventType implements Event.
func (IncidentReopened) EventType() string { return "IncidentReopened" }

func init() {
	registerEvent[IncidentOpened](1, nil)
	registerEvent[IncidentClassified](1, nil)
	registerEvent[LeadAssigned](1, nil)
	registerEvent[PhaseChanged](1, nil)
	registerEvent[NoteAdded](2, map[int]Upcaster{1: upcastNoteAddedV1})
	registerEvent[IndicatorAdded](1, nil)
	registerEvent[IncidentShared](1, nil)
	registerEvent[RecipientsNamed](1, nil)
	registerEvent[TLPChanged](1, nil)
	registerEvent[IncidentEscalated](1, nil)
	registerEvent[EscalationAcknowledged](1, nil)
	registerEvent[EscalationResolved](1, nil)
	registerEvent[HandoffOffered](1, nil)
	registerEvent[HandoffAcknowledged](1, nil)
	registerEvent[HandoffAccepted](1, nil)
	registerEvent[HandoffDeclined](1, nil)
	registerEvent[HandoffReturned](1, nil)
	registerEvent[HandoffWithdrawn](1, nil)
	registerEvent[IncidentClosed](1, nil)
	registerEvent[IncidentReopened](1, nil)
}

// upcastNoteAddedV1 renames the version 1 key "body" to "text".
func upcastNoteAddedV1(payload []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, err
	}
	if body, ok := m["body"]; ok {
		m["text"] = body
		delete(m, "body")
	}
	return json.Marshal(m)
}

func (i *Incident) record(e Event) {
	i.apply(e)
	i.add(e)
}

// apply changes state from an event; it never fails, so that any stored log replays.
func (i *Incident) apply(e Event) {
	switch e := e.(type) {
	case IncidentOpened:
		if i.ID == "" {
			i.ID = e.ID
		}
		i.Title, i.Description, i.Type, i.RSITClass, i.RSITType = e.Title, e.Description, e.Type, e.RSITClass, e.RSITType
		i.Severity, i.Tier, i.Sector, i.AffectedSystem = e.Severity, e.Tier, e.Sector, e.AffectedSystem.clone()
		i.TLP, i.PAP, i.Drill, i.Source, i.AlertIDs = e.TLP, e.PAP, e.Drill, e.Source, slices.Clone(e.AlertIDs)
		i.DetectedAt, i.OpenedAt, i.OpenedBy = e.DetectedAt, e.At, e.By
		i.Origin, i.Lead, i.Owner = e.By.Org, e.By.Org, e.By.Org
		i.Status, i.Phase = IncidentStatusOpen, PhaseDetected
		i.Recipients = []string{UserKey(e.By.Org, e.By.User)}
	case IncidentClassified:
		i.Type, i.RSITClass, i.RSITType = e.Type, e.RSITClass, e.RSITType
		i.Severity, i.Tier, i.Sector, i.AffectedSystem = e.Severity, e.Tier, e.Sector, e.AffectedSystem.clone()
	case LeadAssigned:
		i.Lead = e.Org
	case PhaseChanged:
		i.Phase = e.To
	case NoteAdded:
		i.Notes = append(i.Notes, Note{ID: e.NoteID, Text: e.Text, TLP: e.TLP, Author: e.By, At: e.At})
	case IndicatorAdded:
		i.Indicators = append(i.Indicators, Indicator{ID: e.IndicatorID, Type: e.Type, Value: e.Value, TLP: e.TLP, Author: e.By, At: e.At})
	case IncidentShared:
		i.Shared = unionSorted(i.Shared, e.Orgs...)
	case RecipientsNamed:
		i.Recipients = unionSorted(i.Recipients, e.Users...)
	case TLPChanged:
		i.TLP = e.To
		if e.To == TLPRed {
			i.Recipients = unionSorted(i.Recipients, UserKey(e.By.Org, e.By.User))
		}
	case IncidentEscalated:
		i.Escalations = append(i.Escalations, &Escalation{ID: e.EscalationID, From: e.From, To: e.To, Reason: e.Reason,
			Deadline: e.Deadline, Status: EscalationStatusPending, By: e.By, At: e.At,
			PolicyVersion: e.PolicyVersion, RuleID: e.RuleID, Chain: slices.Clone(e.Chain), RemindBefore: e.RemindBefore,
			Auto: e.Auto, Follows: e.Follows, RemindAt: e.RemindAt})
		if e.Auto && e.RuleID != "" {
			i.AutoRules = unionSorted(i.AutoRules, e.RuleID)
		}
	case EscalationAcknowledged:
		if x := i.Escalation(e.EscalationID); x != nil {
			by := e.By
			x.Status, x.AckBy, x.AckAt, x.Late = EscalationStatusAcknowledged, &by, e.At, e.Late
		}
	case EscalationResolved:
		if x := i.Escalation(e.EscalationID); x != nil {
			by := e.By
			x.Status, x.ResolvedBy, x.ResolvedAt, x.Resolution = EscalationStatusResolved, &by, e.At, e.Resolution
		}
	case HandoffOffered:
		tlp := e.TLP
		if tlp == "" { // stored before handoffs had their own TLP: the incident's at the time
			tlp = i.TLP
		}
		i.Handoffs = append(i.Handoffs, &Handoff{ID: e.HandoffID, From: e.From, To: e.To, Summary: e.Summary,
			RequestedAction: e.RequestedAction, TLP: tlp, ReleaseOnAccept: e.ReleaseOnAccept, Deadline: e.Deadline,
			Status: HandoffStatusOffered, By: e.By, At: e.At,
			PolicyVersion: e.PolicyVersion, RuleID: e.RuleID, Chain: slices.Clone(e.Chain), RemindBefore: e.RemindBefore,
			Auto: e.Auto, Follows: e.Follows, RemindAt: e.RemindAt})
	case HandoffAcknowledged:
		if h := i.Handoff(e.HandoffID); h != nil {
			by := e.By
			h.AcknowledgedBy, h.AcknowledgedAt = &by, e.At
		}
	case HandoffAccepted:
		if h := i.updateHandoff(e.HandoffID, HandoffStatusAccepted, "", e.By, e.At); h != nil {
			i.Owner = h.To
			i.OriginReleased = (i.OriginReleased || e.OriginReleased) && i.Owner != i.Origin
		}
	case HandoffDeclined:
		i.updateHandoff(e.HandoffID, HandoffStatusDeclined, e.Reason, e.By, e.At)
	case HandoffReturned:
		if h := i.updateHandoff(e.HandoffID, HandoffStatusReturned, e.Reason, e.By, e.At); h != nil {
			i.Owner = h.From
			i.OriginReleased = i.OriginReleased && i.Owner != i.Origin // owning it again, the origin holds it
		}
	case HandoffWithdrawn:
		i.updateHandoff(e.HandoffID, HandoffStatusWithdrawn, e.Reason, e.By, e.At)
	case IncidentClosed:
		i.Status, i.Resolution, i.CloseSummary, i.ClosedAt = IncidentStatusClosed, e.Resolution, e.Summary, e.At
		i.ReportDue, i.ClosingReportAt, i.ClosingReportOverdue = e.ReportDue, time.Time{}, false
	case IncidentReopened:
		i.Status, i.Resolution, i.CloseSummary, i.ClosedAt = IncidentStatusOpen, "", "", time.Time{}
		i.ReportDue, i.ClosingReportAt, i.ClosingReportOverdue = time.Time{}, time.Time{}, false // reopening cancels the due report
		i.Reopened++
	case IncidentAlertsMerged:
		i.AlertIDs = unionKeepOrder(i.AlertIDs, e.Alerts...)
	case IncidentAlertDetached:
		i.AlertIDs = slices.DeleteFunc(slices.Clone(i.AlertIDs), func(id string) bool { return id == e.Alert })
	default:
		i.applyDeadline(e)
	}
}

func (i *Incident) updateHandoff(id string, s HandoffStatus, reason string, by Actor, at time.Time) *Handoff {
	h := i.Handoff(id)
	if h != nil {
		h.Status, h.UpdatedBy, h.UpdatedAt = s, &by, at
		if reason != "" {
			h.Reason = reason
		}
	}
	return h
}

// unionSorted returns the sorted, duplicate-free union of a and more.
func unionSorted(a []string, more ...string) []string {
	out := append(slices.Clone(a), more...)
	slices.Sort(out)
	return slices.Compact(out)
}

// textField trims s and checks it: required if asked, valid UTF-8, at most max bytes.
func textField(what, s string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		return "", Errorf(EINVALID, "%s is required", what)
	case !utf8.ValidString(s):
		return "", Errorf(EINVALID, "%s is not valid UTF-8 text", what)
	case len(s) > max:
		return "", Errorf(ETOOLARGE, "%s is %d bytes long; the limit is %d", what, len(s), max)
	}
	return s, nil
}

// guard runs the checks every command on an existing incident starts with, in an order that never
// tells an outsider whether the incident exists.
func (i *Incident) guard(in Invocation, cmd string, allowClosed bool) error {
	if in.Config == nil {
		return Errorf(EINTERNAL, "no configuration in effect")
	}
	if !RoleMay(in.Actor.Role, cmd) {
		return Errorf(EFORBIDDEN, "the %s role may not issue %s", in.Actor.Role, cmd)
	}
	if i.Status == "" || !CanRead(in.Actor, i.Audience(), in.Config) {
		return Errorf(ENOTFOUND, "incident %q not found", i.ID)
	}
	if i.Status == IncidentStatusClosed && !allowClosed {
		return Errorf(ECONFLICT, "incident is closed; reopen it first")
	}
	return nil
}

func (i *Incident) needWrite(in Invocation) error {
	if !CanWrite(in.Actor, i.Audience(), in.Config) {
		return Errorf(EFORBIDDEN, "your organisation only has read access to this incident; ask its coordinator to share it with you")
	}
	return nil
}

func (i *Incident) needManage(in Invocation) error {
	if !CanManage(in.Actor, i.Audience(), in.Config) {
		return Errorf(EFORBIDDEN, "only a coordinator of the originating, lead or owning organisation (%s) can do this", strings.Join(i.holders(), ", "))
	}
	return nil
}

func (i *Incident) holders() []string { return unionSorted(nil, i.Origin, i.Lead, i.Owner) }

// widenable refuses commands that would bring another organisation in at AMBER_STRICT or RED.
func (i *Incident) widenable(what string) error {
	switch i.TLP {
	case TLPRed:
		return Errorf(EFORBIDDEN, "cannot %s at TLP:RED, which is for named recipients; use NameRecipients", what)
	case TLPAmberStrict:
		return Errorf(EFORBIDDEN, "cannot %s at TLP:AMBER_STRICT, which keeps the incident in its own organisations; lower to AMBER first", what)
	}
	return nil
}

// secretAllows refuses to bring a non-force organisation into a state-secret incident.
func (i *Incident) secretAllows(org string, cfg *Config) error {
	if i.AffectedSystem.StateSecret() && !cfg.IsForce(org) {
		return Errorf(EFORBIDDEN, "a state-secret incident cannot reach %s: it never leaves the forces", org)
	}
	return nil
}

func knownOrg(cfg *Config, org string) error {
	if _, ok := cfg.Org(org); !ok {
		return Errorf(ENOTFOUND, "organisation %q is not in the directory", org)
	}
	return nil
}

func incidentTypeCodes(cfg *Config) string {
	var codes []string
	for _, t := range cfg.IncidentTypes {
		codes = append(codes, t.Code)
	}
	return strings.Join(codes, ", ")
}

func sectorCodes(cfg *Config) string {
	var codes []string
	for _, s := range cfg.Sectors {
		codes = append(codes, s.Code)
	}
	return strings.Join(codes, ", ")
}

var earliestDetection = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Open opens the incident on behalf of the actor's organisation.
func (i *Incident) Open(in Invocation, c OpenIncident) error {
	if in.Config == nil {
		return Errorf(EINTERNAL, "no configuration in effect")
	}
	cfg, now := in.Config, in.Now.UTC()
	if !RoleMay(in.Actor.Role, CmdOpenIncident) {
		return Errorf(EFORBIDDEN, "the %s role may not open incidents; ask a coordinator or responder", in.Actor.Role)
	}
	if i.Status != "" {
		return Errorf(ECONFLICT, "incident %q is already open; use another id", i.ID)
	}
	if _, ok := cfg.Org(in.Actor.Org); !ok {
		return Errorf(EFORBIDDEN, "your organisation %q is not in the directory; ask an administrator to add it", in.Actor.Org)
	}
	if in.Actor.User == "" {
		return Errorf(EFORBIDDEN, "your credentials name no user; sign in again")
	}
	e := IncidentOpened{
		ID:       i.ID,
		Severity: c.Severity,
		Tier:     c.Tier,
		TLP:      c.TLP,
		PAP:      c.PAP,
		Drill:    c.Drill,
		Source:   c.Source,
		Stamp:    Stamp{By: in.Actor, At: now},
	}
	var err error
	if e.Title, err = textField("title", c.Title, 4*300, true); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(e.Title); n > 300 {
		return Errorf(ETOOLARGE, "title is %d characters long; the limit is 300", n)
	}
	if e.Description, err = textField("description", c.Description, 20000, false); err != nil {
		return err
	}
	t, ok := cfg.IncidentType(c.Type)
	if !ok {
		return Errorf(EINVALID, "unknown incident type %q; use one of %s", c.Type, incidentTypeCodes(cfg))
	}
	e.Type, e.RSITClass, e.RSITType = t.Code, t.RSITClass, t.RSITType
	if c.Sector != "" {
		if _, ok := cfg.Sector(c.Sector); !ok {
			return Errorf(EINVALID, "unknown sector %q; use one of %s", c.Sector, sectorCodes(cfg))
		}
		e.Sector = c.Sector
	}
	if !e.Severity.Valid() {
		return Errorf(EINVALID, "severity must be LOW, MEDIUM, HIGH or CRITICAL")
	}
	if e.Tier == "" {
		e.Tier = TierOrdinary
	} else if !e.Tier.Valid() {
		return Errorf(EINVALID, "tier must be ORDINARY or SERIOUS")
	}
	if !e.TLP.Valid() {
		return Errorf(EINVALID, "TLP must be CLEAR, GREEN, AMBER, AMBER_STRICT or RED")
	}
	if e.PAP == "" {
		e.PAP = PAPAmber
	} else if !e.PAP.Valid() {
		return Errorf(EINVALID, "PAP must be CLEAR, GREEN, AMBER or RED")
	}
	switch e.DetectedAt = c.DetectedAt.UTC(); {
	case c.DetectedAt.IsZero():
		return Errorf(EINVALID, "detection time is required")
	case e.DetectedAt.Before(earliestDetection):
		return Errorf(EINVALID, "detection time %s is before 2000; check the date", e.DetectedAt.Format(time.RFC3339))
	case e.DetectedAt.After(now.Add(5 * time.Minute)):
		return Errorf(EINVALID, "detection time %s is in the future; check the date and time zone", e.DetectedAt.Format(time.RFC3339))
	}
	switch e.Source {
	case "":
		e.Source = SourceReport
	case SourceReport, SourceAlerts:
	default:
		return Errorf(EINVALID, "source must be REPORT or ALERTS")
	}
	if len(c.AlertIDs) > 1000 {
		return Errorf(ETOOLARGE, "an incident can be opened from at most 1000 alerts, not %d", len(c.AlertIDs))
	}
	for _, id := range c.AlertIDs {
		if id = strings.TrimSpace(id); id == "" {
			return Errorf(EINVALID, "alert ids must not be empty")
		}
		if !slices.Contains(e.AlertIDs, id) {
			e.AlertIDs = append(e.AlertIDs, id)
		}
	}
	if e.Source == SourceAlerts && len(e.AlertIDs) == 0 {
		return Errorf(EINVALID, "an incident opened from alerts needs at least one alert id")
	}
	if c.AffectedSystem != nil {
		if e.AffectedSystem, err = c.AffectedSystem.normalise(cfg); err != nil {
			return err
		}
	}
	i.record(e)
	return nil
}

// Classify changes type, severity, tier, sector or affected system.
func (i *Incident) Classify(in Invocation, c Classify) error {
	if err := i.guard(in, CmdClassify, false); err != nil {
		return err
	}
	if err := i.needManage(in); err != nil {
		return err
	}
	cfg := in.Config
	e := IncidentClassified{
		Type:           i.Type,
		RSITClass:      i.RSITClass,
		RSITType:       i.RSITType,
		Severity:       i.Severity,
		Tier:           i.Tier,
		Sector:         i.Sector,
		AffectedSystem: i.AffectedSystem.clone(),
		Stamp:          Stamp{By: in.Actor, At: in.Now.UTC()},
	}
	if c.Type != "" {
		t, ok := cfg.IncidentType(c.Type)
		if !ok {
			return Errorf(EINVALID, "unknown incident type %q; use one of %s", c.Type, incidentTypeCodes(cfg))
		}
		e.Type, e.RSITClass, e.RSITType = t.Code, t.RSITClass, t.RSITType
	}
	if c.Severity != "" {
		if !c.Severity.Valid() {
			return Errorf(EINVALID, "severity must be LOW, MEDIUM, HIGH or CRITICAL")
		}
		e.Severity = c.Severity
	}
	if c.Tier != "" {
		if !c.Tier.Valid() {
			return Errorf(EINVALID, "tier must be ORDINARY or SERIOUS")
		}
		e.Tier = c.Tier
	}
	if c.Sector != "" {
		if _, ok := cfg.Sector(c.Sector); !ok {
			return Errorf(EINVALID, "unknown sector %q; use one of %s", c.Sector, sectorCodes(cfg))
		}
		e.Sector = c.Sector
	}
	if c.AffectedSystem != nil {
		var err error
		if e.AffectedSystem, err = c.AffectedSystem.normalise(cfg); err != nil {
			return err
		}
	}
	if e.Type == i.Type && e.Severity == i.Severity && e.Tier == i.Tier && e.Sector == i.Sector &&
		e.AffectedSystem.equal(i.AffectedSystem) {
		return Errorf(EINVALID, "nothing to change: give a type, severity, tier, sector or affected system that differs from the current one")
	}
	if e.AffectedSystem.StateSecret() {
		// Everyone but the originating organisation (which reported it) must be a force already.
		for _, org := range i.Audience().reach() {
			if org != i.Origin && !cfg.IsForce(org) {
				return Errorf(EFORBIDDEN, "this incident has already reached %s, which is not a force; a state-secret incident never leaves the forces, so open a separate incident for the secret part", org)
			}
		}
	}
	i.record(e)
	return nil
}

// AssignLead names the organisation leading the response.
func (i *Incident) AssignLead(in Invocation, c AssignLead) error {
	if err := i.guard(in, CmdAssignLead, false); err != nil {
		return err
	}
	if err := i.needManage(in); err != nil {
		return err
	}
	if err := knownOrg(in.Config, c.Org); err != nil {
		return err
	}
	if c.Org == i.Lead {
		return Errorf(EINVALID, "%s already leads this incident", c.Org)
	}
	if err := i.widenable("assign another organisation as lead"); err != nil {
		return err
	}
	if err := i.secretAllows(c.Org, in.Config); err != nil {
		return err
	}
	i.record(LeadAssigned{Org: c.Org, Previous: i.Lead, Stamp: in.Stamp()})
	return nil
}

// ChangePhase moves the incident to another phase of the workflow.
func (i *Incident) ChangePhase(in Invocation, c ChangePhase) error {
	if err := i.guard(in, CmdChangePhase, false); err != nil {
		return err
	}
	if err := i.needWrite(in); err != nil {
		return err
	}
	if !c.Phase.Valid() {
		return Errorf(EINVALID, "unknown phase %q; use DETECTED, TRIAGE, CONTAINMENT, ERADICATION, RECOVERY or REVIEW", c.Phase)
	}
	if c.Phase == i.Phase {
		return Errorf(EINVALID, "the incident is already in phase %s", c.Phase)
	}
	reason, err := textField("reason", c.Reason, 2000, false)
	if err != nil {
		return err
	}
	if reason == "" && c.Phase.Rank() < i.Phase.Rank() {
		return Errorf(EINVALID, "moving back from %s to %s needs a reason", i.Phase, c.Phase)
	}
	i.record(PhaseChanged{From: i.Phase, To: c.Phase, Reason: reason, Stamp: in.Stamp()})
	return nil
}

// itemTLP resolves the TLP of a note or indicator: the incident's when empty, never less
// restrictive than the incident's.
func (i *Incident) itemTLP(t TLP, what string) (TLP, error) {
	if t == "" {
		return i.TLP, nil
	}
	if !t.Valid() {
		return "", Errorf(EINVALID, "%s TLP must be CLEAR, GREEN, AMBER, AMBER_STRICT or RED", what)
	}
	if t.Rank() < i.TLP.Rank() {
		return "", Errorf(EINVALID, "a %s cannot be less restricted than the incident: use TLP:%s or stricter", what, i.TLP)
	}
	return t, nil
}

// AddNote adds a note; reviewers may add notes too, and notes may be added after closing.
func (i *Incident) AddNote(in Invocation, c AddNote) error {
	if err := i.guard(in, CmdAddNote, true); err != nil {
		return err
	}
	if in.Actor.Role != RoleReviewer {
		if err := i.needWrite(in); err != nil {
			return err
		}
	}
	e := NoteAdded{Stamp: in.Stamp()}
	var err error
	if e.NoteID, err = textField("note id", c.NoteID, 200, true); err != nil {
		return err
	}
	if slices.ContainsFunc(i.Notes, func(n Note) bool { return n.ID == e.NoteID }) {
		return Errorf(ECONFLICT, "note %q already exists", e.NoteID)
	}
	if e.Text, err = textField("note text", c.Text, 20000, true); err != nil {
		return err
	}
	if e.TLP, err = i.itemTLP(c.TLP, "note"); err != nil {
		return err
	}
	i.record(e)
	return nil
}

// AddIndicator records an indicator of compromise, normalised.
func (i *Incident) AddIndicator(in Invocation, c AddIndicator) error {
	if err := i.guard(in, CmdAddIndicator, false); err != nil {
		return err
	}
	if err := i.needWrite(in); err != nil {
		return err
	}
	e := IndicatorAdded{Type: c.Type, Stamp: in.Stamp()}
	var err error
	if e.IndicatorID, err = textField("indicator id", c.IndicatorID, 200, true); err != nil {
		return err
	}
	if e.Value, err = ValidateIndicator(c.Type, c.Value); err != nil {
		return err
	}
	for _, x := range i.Indicators {
		if x.ID == e.IndicatorID {
			return Errorf(ECONFLICT, "indicator %q already exists", e.IndicatorID)
		}
		if x.Type == e.Type && x.Value == e.Value {
			return Errorf(ECONFLICT, "%s %s is already recorded as indicator %q", e.Type, trimForMessage(e.Value), x.ID)
		}
	}
	if e.TLP, err = i.itemTLP(c.TLP, "indicator"); err != nil {
		return err
	}
	i.record(e)
	return nil
}

// Share gives organisations access to the incident.
func (i *Incident) Share(in Invocation, c Share) error {
	if err := i.guard(in, CmdShare, false); err != nil {
		return err
	}
	if err := i.needManage(in); err != nil {
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
	if err := i.guard(in, CmdNameRecipients, false); err != nil {
		return err
	}
	if err := i.needManage(in); err != nil {
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
	if err := i.guard(in, CmdEscalate, false); err != nil {
		return err
	}
	if err := i.needWrite(in); err != nil {
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

// AcknowledgeEscalation acknowledges an escalation addressed to the actor's organisation, late or not.
func (i *Incident) AcknowledgeEscalation(in Invocation, c AcknowledgeEscalation) error {
	if err := i.guard(in, CmdAcknowledgeEscalation, false); err != nil {
		return err
	}
	x := i.Escalation(c.EscalationID)
	switch {
	case x == nil:
		return Errorf(ENOTFOUND, "escalation %q not found", c.EscalationID)
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
	if err := i.guard(in, CmdResolveEscalation, false); err != nil {
		return err
	}
	x := i.Escalation(c.EscalationID)
	switch {
	case x == nil:
		return Errorf(ENOTFOUND, "escalation %q not found", c.EscalationID)
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

// OfferHandoff offers ownership of the incident to a CERT or a force.
func (i *Incident) OfferHandoff(in Invocation, c OfferHandoff) error {
	if err := i.guard(in, CmdOfferHandoff, false); err != nil {
		return err
	}
	if err := i.needManage(in); err != nil {
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

// Close closes the incident.
func (i *Incident) Close(in Invocation, c CloseIncident) error {
	if err := i.guard(in, CmdCloseIncident, false); err != nil {
		return err
	}
	if err := i.needManage(in); err != nil {
		return err
	}
	if !c.Resolution.Valid() {
		return Errorf(EINVALID, "resolution must be RESOLVED, FALSE_POSITIVE, DUPLICATE or NO_ACTION")
	}
	summary, err := textField("closing summary", c.Summary, 20000, true)
	if err != nil {
		return err
	}
	if h := i.offered(); h != nil {
		return Errorf(ECONFLICT, "answer or withdraw handoff %q to %s first", h.ID, h.To)
	}
	now := in.Now.UTC()
	e := IncidentClosed{Resolution: c.Resolution, Summary: summary, Stamp: Stamp{By: in.Actor, At: now}}
	if owesClosingReport(c.Resolution) {
		e.ReportDue = now.Add(time.Duration(in.Config.Deadlines.ClosingReport))
	}
	i.record(e)
	return nil
}

// Reopen reopens a closed incident.
func (i *Incident) Reopen(in Invocation, c ReopenIncident) error {
	if err := i.guard(in, CmdReopenIncident, true); err != nil {
		return err
	}
	if err := i.needManage(in); err != nil {
		return err
	}
	if i.Status != IncidentStatusClosed {
		return Errorf(ECONFLICT, "the incident is not closed")
	}
	reason, err := textField("reason", c.Reason, 2000, true)
	if err != nil {
		return err
	}
	i.record(IncidentReopened{Reason: reason, Stamp: in.Stamp()})
	return nil
}
