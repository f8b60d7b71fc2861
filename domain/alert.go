package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

func init() {
	registerEvent[AlertReceived]("alertfp", 1, nil)
	registerEvent[AlertRepeated]("alertfp", 1, nil)
	registerEvent[AlertSuppressed]("alertfp", 1, nil)
	registerEvent[AlertCorrelated]("alertfp", 1, nil)
	registerEvent[AlertDismissed]("alertfp", 1, nil)
	registerEvent[AlertPromoted]("alertfp", 1, nil)
	registerEvent[AlertDetached]("alertfp", 1, nil)
	registerCommand((*AlertSeries).Ingest)
	registerCommand((*AlertSeries).Dismiss)
	registerCommand((*AlertSeries).Promote)
	registerCommand((*AlertSeries).Detach)
}

// Limits on what a monitoring source may send with one alert.
const (
	MaxAlertIndicators = 100
	MaxAlertRaw        = 64 << 10 // bytes of the source's original JSON
	// MaxAlertClockSkew is how far in the future an observation time may lie, for sources whose
	// clocks run ahead.
	MaxAlertClockSkew = 5 * time.Minute
)

// earliestObservation rejects zero-ish and mistyped dates from sources.
var earliestObservation = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// AlertStatus is where an alert stands in triage.
type AlertStatus string

// Alert statuses.
const (
	AlertStatusNew       AlertStatus = "NEW"
	AlertStatusDismissed AlertStatus = "DISMISSED"
	AlertStatusPromoted  AlertStatus = "PROMOTED" // promoted into a new incident or merged into one
)

// AlertIndicator is an indicator of compromise attached to an alert.
type AlertIndicator struct {
	Type  IndicatorType `json:"type"`
	Value string        `json:"value"`
}

// Alert is one alert: the first report of a fingerprint in its window and the repeats counted
// on it, waiting for triage (dismissed as noise, promoted into an incident, merged into one).
type Alert struct {
	ID         string
	Org        string // the SOC organisation whose ingest account sent it
	Source     string
	SourceRef  string
	RuleID     string
	Title      string
	Severity   Severity
	ObservedAt time.Time
	Asset      string
	Indicators []AlertIndicator
	TLP        TLP
	Raw        json.RawMessage

	Status AlertStatus
	Count  int // reports counted on it, the first included (suppressed ones are not)
	// FirstSeen and LastSeen are observation times as the source reported them; ReceivedAt and
	// LastReceivedAt are the service's clock. The dedup window counts from ReceivedAt.
	FirstSeen, LastSeen        time.Time
	ReceivedAt, LastReceivedAt time.Time
	// Suppressed counts reports of its fingerprint that a suppression rule swallowed while it
	// was current; SuppressedBy is the last such rule.
	Suppressed   int
	SuppressedBy string
	// Proposed lists open incidents the alert was correlated with (same asset or indicator).
	Proposed      []string
	DismissReason string
	Incident      string // the incident it was promoted or merged into
}

// AlertSeries is the aggregate of one fingerprint: every alert its reports made, one per dedup
// window. Keying the aggregate by fingerprint makes deduplication exact under concurrent
// producers and replicas: the first report wins the optimistic-concurrency race and every other
// one is re-run on the fresh state and becomes a repeat.
type AlertSeries struct {
	Recorder
	ID     string   // the fingerprint (FingerprintAlert)
	Alerts []*Alert // oldest first; the last one is current
	// Suppressed counts the reports suppression rules swallowed.
	Suppressed int
}

// NewAlertSeries returns the empty series of a fingerprint.
func NewAlertSeries(id string) *AlertSeries { return &AlertSeries{ID: id} }

// AggregateType implements Aggregate.
func (*AlertSeries) AggregateType() string { return "alertfp" }

// AggregateID implements Aggregate.
func (s *AlertSeries) AggregateID() string { return s.ID }

// Replay implements Aggregate.
func (s *AlertSeries) Replay(e Event) { s.apply(e) }

// Current returns the most recent alert of the series, nil before the first.
func (s *AlertSeries) Current() *Alert {
	if len(s.Alerts) == 0 {
		return nil
	}
	return s.Alerts[len(s.Alerts)-1]
}

// Alert returns the series' alert with the given id, nil if none.
func (s *AlertSeries) Alert(id string) *Alert {
	for _, a := range s.Alerts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// AlertID names the n-th alert (from 1) of a fingerprint.
func AlertID(fingerprint string, n int) string { return fingerprint + "-" + strconv.Itoa(n) }

// SeriesOf returns the fingerprint (the aggregate id) of an alert id, "" if it is not one.
func SeriesOf(alertID string) string {
	i := strings.LastIndexByte(alertID, '-')
	if i <= 0 || i == len(alertID)-1 {
		return ""
	}
	if _, err := strconv.Atoi(alertID[i+1:]); err != nil {
		return ""
	}
	return alertID[:i]
}

// apply changes state from an event and reports whether it knew the event.
func (s *AlertSeries) apply(e Event) bool {
	switch e := e.(type) {
	case AlertReceived:
		s.Alerts = append(s.Alerts, &Alert{ID: e.Alert, Org: e.Org, Source: e.Source, SourceRef: e.SourceRef,
			RuleID: e.RuleID, Title: e.Title, Severity: e.Severity, ObservedAt: e.ObservedAt, Asset: e.Asset,
			Indicators: slices.Clone(e.Indicators), TLP: e.TLP, Raw: bytes.Clone(e.Raw),
			Status: AlertStatusNew, Count: 1, FirstSeen: e.ObservedAt, LastSeen: e.ObservedAt,
			ReceivedAt: e.At, LastReceivedAt: e.At})
	case AlertRepeated:
		if a := s.Alert(e.Alert); a != nil {
			a.Count = e.Count
			if e.ObservedAt.Before(a.FirstSeen) {
				a.FirstSeen = e.ObservedAt
			}
			if e.ObservedAt.After(a.LastSeen) {
				a.LastSeen = e.ObservedAt
			}
			a.LastReceivedAt = e.At
		}
	case AlertSuppressed:
		s.Suppressed++
		if a := s.Alert(e.Alert); a != nil {
			a.Suppressed++
			a.SuppressedBy = e.Rule
		}
	case AlertCorrelated:
		if a := s.Alert(e.Alert); a != nil {
			a.Proposed = unionSorted(a.Proposed, e.Incidents...)
		}
	case AlertDismissed:
		if a := s.Alert(e.Alert); a != nil {
			a.Status, a.DismissReason = AlertStatusDismissed, e.Reason
		}
	case AlertPromoted:
		if a := s.Alert(e.Alert); a != nil {
			a.Status, a.Incident = AlertStatusPromoted, e.Incident
		}
	case AlertDetached:
		if a := s.Alert(e.Alert); a != nil && a.Incident == e.Incident {
			a.Status, a.Incident = AlertStatusNew, ""
		}
	default:
		return false
	}
	return true
}

func (s *AlertSeries) record(e Event) {
	s.apply(e)
	s.add(e)
}

// AlertReceived records a new alert: the first report of its fingerprint in a window.
type AlertReceived struct {
	Alert       string           `json:"alert"`
	Fingerprint string           `json:"fingerprint,omitempty"`
	Org         string           `json:"org"`
	Source      string           `json:"source"`
	SourceRef   string           `json:"sourceRef,omitempty"`
	RuleID      string           `json:"ruleId,omitempty"`
	Title       string           `json:"title"`
	Severity    Severity         `json:"severity"`
	ObservedAt  time.Time        `json:"observedAt"`
	Asset       string           `json:"asset,omitempty"`
	Indicators  []AlertIndicator `json:"indicators,omitempty"`
	TLP         TLP              `json:"tlp"`
	Raw         json.RawMessage  `json:"raw,omitempty"`
	Stamp
}

// EventType implements Event.
func (AlertReceived) EventType() string { return "AlertReceived" }

// AlertRepeated records that the source reported the alert again inside its window, observed at
// ObservedAt and received at At; Count is the new total.
type AlertRepeated struct {
	Alert      string    `json:"alert,omitempty"`
	ObservedAt time.Time `json:"observedAt,omitzero"`
	Count      int       `json:"count"`
	Stamp
}

// EventType implements Event.
func (AlertRepeated) EventType() string { return "AlertRepeated" }

// AlertSuppressed records a report that a suppression rule swallowed: kept whole (nothing is
// lost), counted for the rule, never an alert of its own. Alert is the series' current alert
// in its window, if there was one.
type AlertSuppressed struct {
	Rule   string        `json:"rule"`
	Alert  string        `json:"alert,omitempty"`
	Report AlertReceived `json:"report"`
	Stamp
}

// EventType implements Event.
func (AlertSuppressed) EventType() string { return "AlertSuppressed" }

// AlertCorrelated records that a new alert shares its asset or an indicator with open
// incidents: a proposal to merge it into one of them, which a coordinator confirms or not.
type AlertCorrelated struct {
	Alert     string   `json:"alert"`
	Incidents []string `json:"incidents"`
	Reason    string   `json:"reason"` // "asset", "indicator" or both
	Stamp
}

// EventType implements Event.
func (AlertCorrelated) EventType() string { return "AlertCorrelated" }

// AlertDismissed records that triage found the alert needs no incident.
type AlertDismissed struct {
	Alert  string `json:"alert,omitempty"`
	Reason string `json:"reason"`
	Stamp
}

// EventType implements Event.
func (AlertDismissed) EventType() string { return "AlertDismissed" }

// AlertPromoted records that the alert became (Merged false) or joined (Merged true) an
// incident.
type AlertPromoted struct {
	Alert    string `json:"alert,omitempty"`
	Incident string `json:"incident"`
	Merged   bool   `json:"merged,omitempty"`
	Stamp
}

// EventType implements Event.
func (AlertPromoted) EventType() string { return "AlertPromoted" }

// AlertDetached records that an alert merged into an incident by mistake was taken out of it;
// it is NEW again.
type AlertDetached struct {
	Alert    string `json:"alert"`
	Incident string `json:"incident"`
	Reason   string `json:"reason"`
	Stamp
}

// EventType implements Event.
func (AlertDetached) EventType() string { return "AlertDetached" }

// AlertAudience is who may triage an alert: its SOC organisation holds it and the source's
// recipients share it, at the alert's TLP.
func AlertAudience(a *Alert, cfg *Config) Audience {
	aud := Audience{TLP: a.TLP, Origin: a.Org, Lead: a.Org, Owner: a.Org}
	if src, ok := cfg.AlertSource(a.Source); ok {
		aud.Shared = slices.Clone(src.Recipients)
	}
	return aud
}

// CanTriageAlert reports whether a may see and triage the alert: a coordinator or responder
// whom the incident access policy lets read an incident with the alert's audience. A machine
// source names no people, so a TLP:RED alert is read as AMBER+STRICT: its SOC organisation only.
func CanTriageAlert(a Actor, aud Audience, cfg *Config) bool {
	if a.Role != RoleCoordinator && a.Role != RoleResponder {
		return false
	}
	if aud.TLP == TLPRed {
		aud.TLP = TLPAmberStrict
	}
	return CanRead(a, aud, cfg)
}

// triage guards Dismiss, Promote and Detach: the alert exists and the actor may triage it.
func (s *AlertSeries) triage(in Invocation, id string) (*Alert, error) {
	a := s.Alert(id)
	if a == nil || in.Config == nil || !CanTriageAlert(in.Actor, AlertAudience(a, in.Config), in.Config) {
		if a != nil && in.Actor.Role != RoleCoordinator && in.Actor.Role != RoleResponder {
			return nil, Errorf(EFORBIDDEN, "only coordinators and responders may triage alerts")
		}
		return nil, Errorf(ENOTFOUND, "alert %q not found", id)
	}
	return a, nil
}

// DismissAlert closes a new alert without an incident.
type DismissAlert struct {
	AlertID string
	Reason  string
}

// CommandName implements Command.
func (DismissAlert) CommandName() string { return "DismissAlert" }

// PromoteAlert links a new alert to the incident opened from it (Merged false) or an existing
// incident it joins (Merged true). The incident side is recorded on the incident.
type PromoteAlert struct {
	AlertID    string
	IncidentID string
	Merged     bool
}

// CommandName implements Command.
func (PromoteAlert) CommandName() string { return "PromoteAlert" }

// DetachAlertFromIncident takes an alert out of the incident it was merged or promoted into;
// it is NEW again.
type DetachAlertFromIncident struct {
	AlertID    string
	IncidentID string
	Reason     string
}

// CommandName implements Command.
func (DetachAlertFromIncident) CommandName() string { return "DetachAlertFromIncident" }

// Dismiss closes a new alert without an incident.
func (s *AlertSeries) Dismiss(in Invocation, c DismissAlert) error {
	a, err := s.triage(in, c.AlertID)
	if err != nil {
		return err
	}
	if err := a.needNew(); err != nil {
		return err
	}
	reason, err := textField("reason", c.Reason, 1000, true)
	if err != nil {
		return err
	}
	s.record(AlertDismissed{Alert: c.AlertID, Reason: reason, Stamp: in.Stamp()})
	return nil
}

// Promote links a new alert to an incident.
func (s *AlertSeries) Promote(in Invocation, c PromoteAlert) error {
	a, err := s.triage(in, c.AlertID)
	if err != nil {
		return err
	}
	incident := strings.TrimSpace(c.IncidentID)
	if a.Status == AlertStatusPromoted && a.Incident == incident {
		return nil // already there: a retry
	}
	if err := a.needNew(); err != nil {
		return err
	}
	if incident == "" || len(incident) > 128 {
		return Errorf(EINVALID, "give the id of the incident the alert belongs to")
	}
	s.record(AlertPromoted{Alert: c.AlertID, Incident: incident, Merged: c.Merged, Stamp: in.Stamp()})
	return nil
}

// Detach takes an alert out of the incident it was merged or promoted into.
func (s *AlertSeries) Detach(in Invocation, c DetachAlertFromIncident) error {
	a, err := s.triage(in, c.AlertID)
	if err != nil {
		return err
	}
	if a.Status != AlertStatusPromoted || a.Incident != c.IncidentID {
		return Errorf(ECONFLICT, "alert %s is not part of incident %s", c.AlertID, c.IncidentID)
	}
	reason, err := textField("reason", c.Reason, 1000, true)
	if err != nil {
		return err
	}
	s.record(AlertDetached{Alert: c.AlertID, Incident: c.IncidentID, Reason: reason, Stamp: in.Stamp()})
	return nil
}

func (a *Alert) needNew() error {
	switch a.Status {
	case AlertStatusDismissed:
		return Errorf(ECONFLICT, "alert %s was already dismissed", a.ID)
	case AlertStatusPromoted:
		return Errorf(ECONFLICT, "alert %s is already part of incident %s", a.ID, a.Incident)
	}
	return nil
}

// checkObserved accepts an observation time from a source: set, not before 2000 and not more
// than MaxAlertClockSkew ahead of the service's clock.
func checkObserved(in Invocation, what string, t time.Time) error {
	switch {
	case t.IsZero():
		return Errorf(EINVALID, "give %s, the time the source observed the alert", what)
	case t.Before(earliestObservation):
		return Errorf(EINVALID, "%s %s is before the year 2000; check the source's clock", what, t.Format(time.RFC3339))
	case t.After(in.Now.Add(MaxAlertClockSkew)):
		return Errorf(EINVALID, "%s %s is more than %s in the future; check the source's clock", what, t.Format(time.RFC3339), fmt.Sprint(MaxAlertClockSkew))
	}
	return nil
}
