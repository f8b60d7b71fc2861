package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

func init() {
	registerEvent[AlertReceived](1, nil)
	registerEvent[AlertRepeated](1, nil)
	registerEvent[AlertDismissed](1, nil)
	registerEvent[AlertPromoted](1, nil)
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
	AlertStatusPromoted  AlertStatus = "PROMOTED"
)

// AlertIndicator is an indicator of compromise attached to an alert.
type AlertIndicator struct {
	Type  IndicatorType `json:"type"`
	Value string        `json:"value"`
}

// Alert is a signal from a machine source (a SOC, an IDS, the national platform) waiting for
// triage: dismissed as noise or promoted into an incident.
type Alert struct {
	Recorder
	ID         string
	Org        string // the organisation whose ingest account received it
	Source     string
	SourceRef  string
	Title      string
	Severity   Severity
	ObservedAt time.Time
	Asset      string
	Indicators []AlertIndicator
	TLP        TLP
	Raw        json.RawMessage
	ReceivedAt time.Time
	Received   bool

	Status    AlertStatus
	Count     int // times the source reported it, the first included
	FirstSeen time.Time
	LastSeen  time.Time

	DismissReason string
	Incident      string // the incident it was promoted into
}

// NewAlert returns the not yet received alert with the given id.
func NewAlert(id string) *Alert { return &Alert{ID: id} }

// AggregateType implements Aggregate.
func (*Alert) AggregateType() string { return "alert" }

// AggregateID implements Aggregate.
func (a *Alert) AggregateID() string { return a.ID }

// Replay implements Aggregate.
func (a *Alert) Replay(e Event) { a.apply(e) }

func (a *Alert) apply(e Event) {
	switch e := e.(type) {
	case AlertReceived:
		a.ID, a.Org = e.Alert, e.Org
		a.Source, a.SourceRef, a.Title, a.Severity = e.Source, e.SourceRef, e.Title, e.Severity
		a.ObservedAt, a.Asset, a.TLP = e.ObservedAt, e.Asset, e.TLP
		a.Indicators = slices.Clone(e.Indicators)
		a.Raw = bytes.Clone(e.Raw)
		a.ReceivedAt, a.Received = e.At, true
		a.Status, a.Count = AlertStatusNew, 1
		a.FirstSeen, a.LastSeen = e.ObservedAt, e.ObservedAt
	case AlertRepeated:
		a.Count = e.Count
		if e.At.Before(a.FirstSeen) {
			a.FirstSeen = e.At
		}
		if e.At.After(a.LastSeen) {
			a.LastSeen = e.At
		}
	case AlertDismissed:
		a.Status, a.DismissReason = AlertStatusDismissed, e.Reason
	case AlertPromoted:
		a.Status, a.Incident = AlertStatusPromoted, e.Incident
	}
}

func (a *Alert) record(e Event) {
	a.apply(e)
	a.add(e)
}

// AlertReceived records a new alert from a monitoring source.
type AlertReceived struct {
	Alert      string           `json:"alert"`
	Org        string           `json:"org"`
	Source     string           `json:"source"`
	SourceRef  string           `json:"sourceRef,omitempty"`
	Title      string           `json:"title"`
	Severity   Severity         `json:"severity"`
	ObservedAt time.Time        `json:"observedAt"`
	Asset      string           `json:"asset,omitempty"`
	Indicators []AlertIndicator `json:"indicators,omitempty"`
	TLP        TLP              `json:"tlp"`
	Raw        json.RawMessage  `json:"raw,omitempty"`
	At         time.Time        `json:"at"`
	By         Actor            `json:"by"`
}

// EventType implements Event.
func (AlertReceived) EventType() string { return "AlertReceived" }

// AlertRepeated records that the source reported the same alert again, observed at At; Count is
// the new total.
type AlertRepeated struct {
	At    time.Time `json:"at"`
	Count int       `json:"count"`
	By    Actor     `json:"by"`
}

// EventType implements Event.
func (AlertRepeated) EventType() string { return "AlertRepeated" }

// AlertDismissed records that triage found the alert needs no incident.
type AlertDismissed struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	By     Actor     `json:"by"`
}

// EventType implements Event.
func (AlertDismissed) EventType() string { return "AlertDismissed" }

// AlertPromoted records that the alert became (or joined) an incident.
type AlertPromoted struct {
	Incident string    `json:"incident"`
	At       time.Time `json:"at"`
	By       Actor     `json:"by"`
}

// EventType implements Event.
func (AlertPromoted) EventType() string { return "AlertPromoted" }

// ReceiveAlert is what an ingest account sends for a new alert. TLP defaults to AMBER; Raw is
// the source's original JSON, kept for analysts.
type ReceiveAlert struct {
	Source     string
	SourceRef  string
	Title      string
	Severity   Severity
	ObservedAt time.Time
	Asset      string
	Indicators []AlertIndicator
	TLP        TLP
	Raw        json.RawMessage
}

// DismissAlert closes an alert as needing no incident.
type DismissAlert struct{ Reason string }

// PromoteAlert links an alert to the incident opened (or found) for it.
type PromoteAlert struct{ IncidentID string }

// Receive records a new alert. Only an ingest account of an organisation of the directory may
// send one.
func (a *Alert) Receive(in Invocation, c ReceiveAlert) error {
	if in.Actor.Role != RoleIngest {
		return Errorf(EFORBIDDEN, "only ingest accounts may send alerts")
	}
	if _, ok := in.Config.Org(in.Actor.Org); !ok {
		return Errorf(ENOTFOUND, "organisation %q is not in the directory", in.Actor.Org)
	}
	if a.Received {
		return Errorf(ECONFLICT, "alert %s was already received; report a repeat instead", a.ID)
	}
	e := AlertReceived{
		Alert: a.ID, Org: in.Actor.Org,
		Source: strings.TrimSpace(c.Source), SourceRef: strings.TrimSpace(c.SourceRef),
		Title: strings.TrimSpace(c.Title), Severity: c.Severity, ObservedAt: c.ObservedAt,
		Asset: strings.TrimSpace(c.Asset), TLP: c.TLP, At: in.Now, By: in.Actor,
	}
	if e.TLP == "" {
		e.TLP = TLPAmber
	}
	switch {
	case e.Source == "":
		return Errorf(EINVALID, "give the alert's source, such as the name of the SOC or sensor")
	case utf8.RuneCountInString(e.Source) > 100:
		return Errorf(EINVALID, "the source is longer than 100 characters")
	case utf8.RuneCountInString(e.SourceRef) > 200:
		return Errorf(EINVALID, "the source reference is longer than 200 characters")
	case e.Title == "":
		return Errorf(EINVALID, "give the alert a title")
	case utf8.RuneCountInString(e.Title) > 300:
		return Errorf(EINVALID, "the title is longer than 300 characters; shorten it")
	case utf8.RuneCountInString(e.Asset) > 300:
		return Errorf(EINVALID, "the asset is longer than 300 characters")
	case !e.Severity.Valid():
		return Errorf(EINVALID, "unknown severity %q; use LOW, MEDIUM, HIGH or CRITICAL", trimForMessage(string(c.Severity)))
	case !e.TLP.Valid():
		return Errorf(EINVALID, "unknown TLP label %q; use CLEAR, GREEN, AMBER, AMBER_STRICT or RED", trimForMessage(string(c.TLP)))
	}
	if err := checkObserved(in, "observedAt", c.ObservedAt); err != nil {
		return err
	}
	if len(c.Indicators) > MaxAlertIndicators {
		return Errorf(ETOOLARGE, "the alert has %d indicators; the limit is %d", len(c.Indicators), MaxAlertIndicators)
	}
	for i, x := range c.Indicators {
		v, err := ValidateIndicator(x.Type, x.Value)
		if err != nil {
			return Errorf(ErrorCode(err), "indicators[%d]: %s", i, ErrorMessage(err))
		}
		x = AlertIndicator{Type: x.Type, Value: v}
		if !slices.Contains(e.Indicators, x) { // sources often repeat an indicator
			e.Indicators = append(e.Indicators, x)
		}
	}
	if len(c.Raw) > MaxAlertRaw {
		return Errorf(ETOOLARGE, "the raw alert is %d bytes; the limit is %d", len(c.Raw), MaxAlertRaw)
	}
	if len(c.Raw) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, c.Raw); err != nil {
			return Errorf(EINVALID, "the raw alert is not valid JSON: %v", err)
		}
		e.Raw = buf.Bytes()
	}
	a.record(e)
	return nil
}

// Repeat records that the source reported the alert again, observed at at.
func (a *Alert) Repeat(in Invocation, at time.Time) error {
	if in.Actor.Role != RoleIngest {
		return Errorf(EFORBIDDEN, "only ingest accounts may report repeated alerts")
	}
	if !a.Received {
		return Errorf(ENOTFOUND, "alert %s was not received; send it as a new alert", a.ID)
	}
	if err := checkObserved(in, "the repeat time", at); err != nil {
		return err
	}
	a.record(AlertRepeated{At: at, Count: a.Count + 1, By: in.Actor})
	return nil
}

// Dismiss closes the alert without an incident. Coordinators and responders triage alerts.
func (a *Alert) Dismiss(in Invocation, c DismissAlert) error {
	if err := a.checkTriage(in); err != nil {
		return err
	}
	reason := strings.TrimSpace(c.Reason)
	if reason == "" {
		return Errorf(EINVALID, "give the reason for dismissing the alert")
	}
	if utf8.RuneCountInString(reason) > 1000 {
		return Errorf(EINVALID, "the reason is longer than 1000 characters")
	}
	a.record(AlertDismissed{Reason: reason, At: in.Now, By: in.Actor})
	return nil
}

// Promote links the alert to an incident. Coordinators and responders triage alerts.
func (a *Alert) Promote(in Invocation, c PromoteAlert) error {
	if err := a.checkTriage(in); err != nil {
		return err
	}
	id := strings.TrimSpace(c.IncidentID)
	if id == "" {
		return Errorf(EINVALID, "give the id of the incident the alert belongs to")
	}
	if len(id) > 128 {
		return Errorf(EINVALID, "the incident id is longer than 128 characters")
	}
	a.record(AlertPromoted{Incident: id, At: in.Now, By: in.Actor})
	return nil
}

// checkTriage guards Dismiss and Promote: the alert exists, is still new, and the actor triages.
func (a *Alert) checkTriage(in Invocation) error {
	if !a.Received {
		return Errorf(ENOTFOUND, "alert %s was not found", a.ID)
	}
	if in.Actor.Role != RoleCoordinator && in.Actor.Role != RoleResponder {
		return Errorf(EFORBIDDEN, "only coordinators and responders may triage alerts")
	}
	switch a.Status {
	case AlertStatusDismissed:
		return Errorf(ECONFLICT, "alert %s was already dismissed", a.ID)
	case AlertStatusPromoted:
		return Errorf(ECONFLICT, "alert %s was already promoted to incident %s", a.ID, a.Incident)
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
