package domain

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

func init() {
	registerEvent[IncidentOpened]("incident", 1, nil)
	registerEvent[IncidentClassified]("incident", 1, nil)
	registerEvent[LeadAssigned]("incident", 1, nil)
	registerEvent[PhaseChanged]("incident", 1, nil)
	registerEvent[IncidentClosed]("incident", 1, nil)
	registerEvent[IncidentReopened]("incident", 1, nil)
	registerCommand((*Incident).Open)
	registerCommand((*Incident).Classify)
	registerCommand((*Incident).AssignLead)
	registerCommand((*Incident).ChangePhase)
	registerCommand((*Incident).Close)
	registerCommand((*Incident).Reopen)
}

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

// CommandName implements Command.
func (OpenIncident) CommandName() string { return "OpenIncident" }

// Classify changes the classification; empty fields and a nil AffectedSystem leave it unchanged.
type Classify struct {
	Type           string
	Severity       Severity
	Tier           Tier
	Sector         string
	AffectedSystem *AffectedSystem
}

// CommandName implements Command.
func (Classify) CommandName() string { return "Classify" }

// AssignLead names the organisation that leads the response.
type AssignLead struct{ Org string }

// CommandName implements Command.
func (AssignLead) CommandName() string { return "AssignLead" }

// ChangePhase moves the incident to another phase; moving back needs a reason.
type ChangePhase struct {
	Phase  Phase
	Reason string
}

// CommandName implements Command.
func (ChangePhase) CommandName() string { return "ChangePhase" }

// CloseIncident closes the incident with a resolution and a closing summary (Mẫu 04).
type CloseIncident struct {
	Resolution Resolution
	Summary    string
}

// CommandName implements Command.
func (CloseIncident) CommandName() string { return "CloseIncident" }

// ReopenIncident reopens a closed incident.
type ReopenIncident struct{ Reason string }

// CommandName implements Command.
func (ReopenIncident) CommandName() string { return "ReopenIncident" }

// IncidentOpened records a new incident; By's organisation is its origin, lead and owner.
type IncidentOpened struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Classification
	TLP        TLP            `json:"tlp"`
	PAP        PAP            `json:"pap"`
	Drill      bool           `json:"drill"`
	Source     IncidentSource `json:"source"`
	AlertIDs   []string       `json:"alertIds,omitempty"`
	DetectedAt time.Time      `json:"detectedAt"`
	Stamp
}

// IncidentClassified records the complete classification after a change.
type IncidentClassified struct {
	Classification
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
func (IncidentClosed) EventType() string { return "IncidentClosed" }

// EventType implements Event.
func (IncidentReopened) EventType() string { return "IncidentReopened" }

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
		ID:             i.ID,
		TLP:            c.TLP,
		PAP:            c.PAP,
		Drill:          c.Drill,
		Source:         c.Source,
		Stamp:          Stamp{By: in.Actor, At: now},
		Classification: Classification{Severity: c.Severity, Tier: c.Tier},
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
	if err := i.guardManage(in, CmdClassify, false); err != nil {
		return err
	}
	cfg := in.Config
	e := IncidentClassified{Classification: i.Classification.clone(), Stamp: in.Stamp()}
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
	if err := i.guardManage(in, CmdAssignLead, false); err != nil {
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
	if err := i.guardWrite(in, CmdChangePhase, false); err != nil {
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

// Close closes the incident.
func (i *Incident) Close(in Invocation, c CloseIncident) error {
	if err := i.guardManage(in, CmdCloseIncident, false); err != nil {
		return err
	}
	if !c.Resolution.Valid() {
		return Errorf(EINVALID, "resolution must be RESOLVED, FALSE_POSITIVE, DUPLICATE or NO_ACTION")
	}
	summary, err := textField("closing summary", c.Summary, 20000, true)
	if err != nil {
		return err
	}
	if err := i.closable(in); err != nil {
		return err
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
	if err := i.guardManage(in, CmdReopenIncident, true); err != nil {
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
