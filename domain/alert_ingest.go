package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ReceiveAlert is one alert as an ingest account sends it. TLP defaults to AMBER; Raw is the
// source's original JSON, kept for analysts; RuleID is the source's detection rule, when it has
// one (a fingerprint and suppression rules may use it).
type ReceiveAlert struct {
	Source     string           `json:"source"`
	SourceRef  string           `json:"sourceRef"`
	RuleID     string           `json:"ruleId"`
	Title      string           `json:"title"`
	Severity   Severity         `json:"severity"`
	ObservedAt time.Time        `json:"observedAt"`
	Asset      string           `json:"asset"`
	Indicators []AlertIndicator `json:"indicators"`
	TLP        TLP              `json:"tlp"`
	Raw        json.RawMessage  `json:"raw"`
}

// NormaliseAlert checks an alert from an ingest account and returns it trimmed, with indicators
// normalised and deduplicated, TLP defaulted and raw compacted, and its source's configuration.
// Any error means nothing may be written for it.
func NormaliseAlert(in Invocation, c ReceiveAlert) (ReceiveAlert, *AlertSource, error) {
	if in.Actor.Role != RoleIngest {
		return c, nil, Errorf(EFORBIDDEN, "only ingest accounts may send alerts; this token has the %s role", in.Actor.Role)
	}
	if in.Config == nil {
		return c, nil, Errorf(EINTERNAL, "no configuration in effect")
	}
	n := ReceiveAlert{Source: strings.TrimSpace(c.Source), SourceRef: strings.TrimSpace(c.SourceRef),
		RuleID: strings.TrimSpace(c.RuleID), Title: strings.TrimSpace(c.Title), Severity: c.Severity,
		ObservedAt: c.ObservedAt.UTC(), Asset: strings.TrimSpace(c.Asset), TLP: c.TLP}
	if n.TLP == "" {
		n.TLP = TLPAmber
	}
	if n.Source == "" {
		return c, nil, Errorf(EINVALID, "give the alert's source: the id of a source declared in the configuration (alertSources)")
	}
	src, ok := in.Config.AlertSource(n.Source)
	switch {
	case !ok:
		return c, nil, Errorf(EINVALID, "unknown source %q: declare it under alertSources in the configuration", trimForMessage(n.Source))
	case src.Org != in.Actor.Org:
		return c, nil, Errorf(EFORBIDDEN, "source %q belongs to %s, not to %s", n.Source, src.Org, in.Actor.Org)
	case utf8.RuneCountInString(n.SourceRef) > 200:
		return c, nil, Errorf(EINVALID, "the source reference is longer than 200 characters")
	case utf8.RuneCountInString(n.RuleID) > 200:
		return c, nil, Errorf(EINVALID, "the rule id is longer than 200 characters")
	case n.Title == "":
		return c, nil, Errorf(EINVALID, "give the alert a title")
	case utf8.RuneCountInString(n.Title) > 300:
		return c, nil, Errorf(ETOOLARGE, "the title is longer than 300 characters; shorten it")
	case utf8.RuneCountInString(n.Asset) > 300:
		return c, nil, Errorf(EINVALID, "the asset is longer than 300 characters")
	case !n.Severity.Valid():
		return c, nil, Errorf(EINVALID, "unknown severity %q; use LOW, MEDIUM, HIGH or CRITICAL", trimForMessage(string(c.Severity)))
	case !n.TLP.Valid():
		return c, nil, Errorf(EINVALID, "unknown TLP label %q; use CLEAR, GREEN, AMBER, AMBER_STRICT or RED", trimForMessage(string(c.TLP)))
	}
	for _, f := range []struct{ what, s string }{{"the title", n.Title}, {"the asset", n.Asset}, {"the source reference", n.SourceRef}, {"the rule id", n.RuleID}} {
		if err := checkText(f.what, f.s, false); err != nil {
			return c, nil, err
		}
	}
	if slices.Contains(src.fingerprint(), "sourceRef") && n.SourceRef == "" {
		return c, nil, Errorf(EINVALID, "give sourceRef: source %q deduplicates by it", n.Source)
	}
	if slices.Contains(src.fingerprint(), "ruleId") && n.RuleID == "" {
		return c, nil, Errorf(EINVALID, "give ruleId: source %q deduplicates by it", n.Source)
	}
	if err := checkObserved(in, "observedAt", c.ObservedAt); err != nil {
		return c, nil, err
	}
	if len(c.Indicators) > MaxAlertIndicators {
		return c, nil, Errorf(ETOOLARGE, "the alert has %d indicators; the limit is %d", len(c.Indicators), MaxAlertIndicators)
	}
	for i, x := range c.Indicators {
		v, err := ValidateIndicator(x.Type, x.Value)
		if err != nil {
			return c, nil, Errorf(ErrorCode(err), "indicators[%d]: %s", i, ErrorMessage(err))
		}
		x = AlertIndicator{Type: x.Type, Value: v}
		if !slices.Contains(n.Indicators, x) { // sources often repeat an indicator
			n.Indicators = append(n.Indicators, x)
		}
	}
	if len(c.Raw) > MaxAlertRaw {
		return c, nil, Errorf(ETOOLARGE, "the raw alert is %d bytes; the limit is %d", len(c.Raw), MaxAlertRaw)
	}
	if len(c.Raw) > 0 && string(c.Raw) != "null" {
		var buf bytes.Buffer
		if err := json.Compact(&buf, c.Raw); err != nil {
			return c, nil, Errorf(EINVALID, "the raw alert is not valid JSON: %v", err)
		}
		n.Raw = buf.Bytes()
	}
	return n, src, nil
}

// FingerprintAlert returns the fingerprint of a normalised alert under its source's
// configuration: 32 hex digits of a SHA-256 over the source, its org and the configured fields.
func FingerprintAlert(src *AlertSource, a ReceiveAlert) string {
	h := sha256.New()
	fmt.Fprintf(h, "dieuphoi-alert-fp-v1\x00%s\x00%s", src.Org, src.ID)
	for _, f := range src.fingerprint() {
		h.Write([]byte{0})
		h.Write([]byte(f))
		h.Write([]byte{0})
		switch f {
		case "source":
			h.Write([]byte(a.Source))
		case "sourceRef":
			h.Write([]byte(a.SourceRef))
		case "ruleId":
			h.Write([]byte(a.RuleID))
		case "title":
			h.Write([]byte(a.Title))
		case "asset":
			h.Write([]byte(a.Asset))
		case "severity":
			h.Write([]byte(a.Severity))
		case "indicators":
			xs := slices.Clone(a.Indicators)
			slices.SortFunc(xs, func(x, y AlertIndicator) int {
				return strings.Compare(string(x.Type)+"\x00"+x.Value, string(y.Type)+"\x00"+y.Value)
			})
			for _, x := range xs {
				fmt.Fprintf(h, "%s\x01%s\x02", x.Type, x.Value)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// AlertCommandID is the idempotency key of one report: the same report sent again (a retried
// request, a replayed NATS message) records once. It covers every field of the normalised
// report, so any difference (another observation time) makes another report.
func AlertCommandID(org string, a ReceiveAlert) string {
	h := sha256.New()
	var buf [64]byte
	field := func(s string) {
		h.Write(strconv.AppendInt(buf[:0], int64(len(s)), 10))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	field("dieuphoi-alert-cmd-v1")
	for _, f := range []string{org, a.Source, a.SourceRef, a.RuleID, a.Title, string(a.Severity), a.Asset, string(a.TLP), string(a.Raw)} {
		field(f)
	}
	h.Write(a.ObservedAt.UTC().AppendFormat(buf[:0], time.RFC3339Nano))
	for _, x := range a.Indicators {
		field(string(x.Type))
		field(x.Value)
	}
	return "alert-" + hex.EncodeToString(h.Sum(nil))[:40]
}

// IngestStatus is what became of one report.
type IngestStatus string

// Ingest statuses, as the ingest API reports them.
const (
	IngestAccepted   IngestStatus = "accepted"
	IngestDuplicate  IngestStatus = "duplicate"
	IngestSuppressed IngestStatus = "suppressed"
	IngestRejected   IngestStatus = "rejected"
)

// IngestOutcome is what became of one report (OutcomeOf).
type IngestOutcome struct {
	Status       IngestStatus
	AlertID      string // the new alert (accepted), or the current alert of the fingerprint
	DuplicateOf  string
	SuppressedBy string
}

// IngestAlert records one report of an alert, normalised by NormaliseAlert, on the series of
// its fingerprint (FingerprintAlert).
type IngestAlert struct {
	Alert ReceiveAlert
	// SuppressedBy is the suppression rule that swallows the report now, if any: the alert
	// read model knows the rules.
	SuppressedBy string
	// Correlate, for a new alert, returns the open incidents sharing its asset or an indicator
	// and which of the two; nil proposes none. It is not part of the command's JSON form.
	Correlate func() ([]string, string) `json:"-"`
}

// CommandName implements Command.
func (IngestAlert) CommandName() string { return "IngestAlert" }

// Ingest records one normalised report of this fingerprint: suppressed when c.SuppressedBy is
// set; a repeat of the current alert while now is less than the source's window after that
// alert's first receipt; otherwise a new alert, with the correlation proposal if there is one.
// OutcomeOf tells from the recorded events what became of the report.
func (s *AlertSeries) Ingest(in Invocation, c IngestAlert) error {
	a, rule := c.Alert, c.SuppressedBy
	src, _ := in.Config.AlertSource(a.Source)
	if in.Actor.Role != RoleIngest || src == nil || src.Org != in.Actor.Org {
		return Errorf(EFORBIDDEN, "only ingest accounts of the source's organisation may send alerts")
	}
	now := in.Now.UTC()
	cur := s.Current()
	inWindow := cur != nil && now.Sub(cur.ReceivedAt) < src.window()
	report := AlertReceived{
		Fingerprint: s.ID,
		Org:         in.Actor.Org,
		Source:      a.Source,
		SourceRef:   a.SourceRef,
		RuleID:      a.RuleID,
		Title:       a.Title,
		Severity:    a.Severity,
		ObservedAt:  a.ObservedAt,
		Asset:       a.Asset,
		Indicators:  a.Indicators,
		TLP:         a.TLP,
		Raw:         a.Raw,
		Stamp:       Stamp{By: in.Actor, At: now},
	}
	if rule != "" {
		e := AlertSuppressed{Rule: rule, Report: report, Stamp: Stamp{By: in.Actor, At: now}}
		if inWindow {
			e.Alert = cur.ID
		}
		s.record(e)
		return nil
	}
	if inWindow {
		s.record(AlertRepeated{Alert: cur.ID, ObservedAt: a.ObservedAt, Count: cur.Count + 1, Stamp: Stamp{By: in.Actor, At: now}})
		return nil
	}
	report.Alert = AlertID(s.ID, len(s.Alerts)+1)
	s.record(report)
	if c.Correlate != nil {
		if ids, reason := c.Correlate(); len(ids) > 0 {
			s.record(AlertCorrelated{Alert: report.Alert, Incidents: unionSorted(nil, ids...), Reason: reason, Stamp: Stamp{By: SystemActor, At: now}})
		}
	}
	return nil
}

// OutcomeOf tells what became of a report from the events Ingest recorded for it.
func OutcomeOf(recorded []Event) IngestOutcome {
	for _, e := range recorded {
		switch e := e.(type) {
		case AlertSuppressed:
			return IngestOutcome{Status: IngestSuppressed, AlertID: e.Alert, SuppressedBy: e.Rule}
		case AlertRepeated:
			return IngestOutcome{Status: IngestDuplicate, AlertID: e.Alert, DuplicateOf: e.Alert}
		case AlertReceived:
			return IngestOutcome{Status: IngestAccepted, AlertID: e.Alert}
		}
	}
	return IngestOutcome{}
}
