package domain

import (
	"slices"
	"strings"
	"time"
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

// Classification is what an incident is: its type (with the ENISA RSIT class and type partners
// use), severity, regulatory tier, sector and affected system.
type Classification struct {
	Type           string          `json:"type"`
	RSITClass      string          `json:"rsitClass"`
	RSITType       string          `json:"rsitType"`
	Severity       Severity        `json:"severity"`
	Tier           Tier            `json:"tier"`
	Sector         string          `json:"sector,omitempty"`
	AffectedSystem *AffectedSystem `json:"affectedSystem,omitempty"`
}

func (c Classification) clone() Classification {
	c.AffectedSystem = c.AffectedSystem.clone()
	return c
}

// Incident is the aggregate of one cyber incident. Fields are exported for read models, which
// Replay incidents too, but only apply changes them.
type Incident struct {
	Recorder `json:"-"`

	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Classification
	Origin       string         `json:"origin"` // organisation that opened it
	OpenedBy     Actor          `json:"openedBy"`
	Lead         string         `json:"lead"`
	Owner        string         `json:"owner"` // Origin until a handoff is accepted
	Status       IncidentStatus `json:"status"`
	Phase        Phase          `json:"phase"`
	TLP          TLP            `json:"tlp"`
	PAP          PAP            `json:"pap"`
	Drill        bool           `json:"drill"`
	Source       IncidentSource `json:"source"`
	AlertIDs     []string       `json:"alertIds,omitempty"`
	DetectedAt   time.Time      `json:"detectedAt"`
	OpenedAt     time.Time      `json:"openedAt"`
	Notes        []Note         `json:"notes,omitempty"`
	Indicators   []Indicator    `json:"indicators,omitempty"`
	Shared       []string       `json:"shared,omitempty"`     // sorted, unique org slugs
	Recipients   []string       `json:"recipients,omitempty"` // sorted, unique "org/user" keys for TLP:RED
	Escalations  []*Escalation  `json:"escalations,omitempty"`
	Handoffs     []*Handoff     `json:"handoffs,omitempty"`
	Resolution   Resolution     `json:"resolution,omitempty"`
	CloseSummary string         `json:"closeSummary,omitempty"`
	ClosedAt     time.Time      `json:"closedAt,omitzero"`
	Reopened     int            `json:"reopened,omitempty"`

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
	// Evidence lists the files kept for the investigation, with their chain of custody.
	Evidence []*Evidence `json:"evidence,omitempty"`
}

// NewIncident returns an unopened incident with the given id; call Open or Replay its events.
func NewIncident(id string) *Incident { return &Incident{ID: id} }

// AggregateType implements Aggregate.
func (i *Incident) AggregateType() string { return "incident" }

// AggregateID implements Aggregate.
func (i *Incident) AggregateID() string { return i.ID }

// Replay implements Aggregate: it applies an event read from the log without recording it.
func (i *Incident) Replay(e Event) { i.apply(e) }

func (i *Incident) record(e Event) {
	i.apply(e)
	i.add(e)
}

// apply changes state from an event, the only place that does; it never fails, so that any
// stored log replays. It reports whether it knew the event.
func (i *Incident) apply(e Event) bool {
	switch e := e.(type) {
	case IncidentOpened:
		if i.ID == "" {
			i.ID = e.ID
		}
		i.Title, i.Description, i.Classification = e.Title, e.Description, e.Classification.clone()
		i.TLP, i.PAP, i.Drill, i.Source, i.AlertIDs = e.TLP, e.PAP, e.Drill, e.Source, slices.Clone(e.AlertIDs)
		i.DetectedAt, i.OpenedAt, i.OpenedBy = e.DetectedAt, e.At, e.By
		i.Origin, i.Lead, i.Owner = e.By.Org, e.By.Org, e.By.Org
		i.Status, i.Phase = IncidentStatusOpen, PhaseDetected
		i.Recipients = []string{UserKey(e.By.Org, e.By.User)}
	case IncidentClassified:
		i.Classification = e.Classification.clone()
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
	case HandoffChainExhausted, HandoffChainBlocked:
		// Ownership stays where it is; the event is for the timeline.
	default:
		return i.applyEvidence(e) // false for what is not an incident event: a test checks that every incident event is handled
	}
	return true
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

// guardWrite is guard, then needWrite.
func (i *Incident) guardWrite(in Invocation, cmd string, allowClosed bool) error {
	if err := i.guard(in, cmd, allowClosed); err != nil {
		return err
	}
	return i.needWrite(in)
}

// guardManage is guard, then needManage.
func (i *Incident) guardManage(in Invocation, cmd string, allowClosed bool) error {
	if err := i.guard(in, cmd, allowClosed); err != nil {
		return err
	}
	return i.needManage(in)
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
