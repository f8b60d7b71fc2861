package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

func init() {
	registerEvent[SuppressionSet]("suppression", 1, nil)
	registerEvent[SuppressionRemoved]("suppression", 1, nil)
	registerCommand((*Suppression).Set)
	registerCommand((*Suppression).Remove)
}

// Defaults and bounds of alert source configuration.
const (
	DefaultAlertWindow = 10 * time.Minute
	MaxAlertWindow     = 7 * 24 * time.Hour
	// MaxSuppression is the longest time a suppression rule may run.
	MaxSuppression = 90 * 24 * time.Hour
)

// AlertFingerprintFields are the alert fields a source's fingerprint may combine.
var AlertFingerprintFields = []string{"source", "sourceRef", "ruleId", "title", "asset", "severity", "indicators"}

// defaultFingerprint is source + sourceRef.
var defaultFingerprint = []string{"source", "sourceRef"}

// AlertSource is a monitoring source that may send alerts, declared in configuration: which
// SOC organisation's ingest tokens send it, how its alerts are deduplicated, and which
// organisations triage them besides the SOC's own.
type AlertSource struct {
	// ID is what alerts carry in "source" and the last token of the NATS ingest subject.
	ID  string `json:"id"`
	Org string `json:"org"`
	// Fingerprint lists the alert fields that identify "the same alert" (default source and
	// sourceRef); Window is how long after an alert is first received a report with the same
	// fingerprint counts as a repeat of it (default 10m).
	Fingerprint []string `json:"fingerprint,omitempty"`
	Window      Duration `json:"window,omitempty"`
	// Recipients are organisations whose coordinators and responders triage its alerts (at
	// TLP:AMBER and below) besides the SOC organisation.
	Recipients []string `json:"recipients,omitempty"`
}

func (s *AlertSource) fingerprint() []string {
	if len(s.Fingerprint) == 0 {
		return defaultFingerprint
	}
	return s.Fingerprint
}

func (s *AlertSource) window() time.Duration {
	if s.Window <= 0 {
		return DefaultAlertWindow
	}
	return time.Duration(s.Window)
}

// WindowDuration returns the dedup window in effect (the default when none is configured).
func (s *AlertSource) WindowDuration() time.Duration { return s.window() }

// FingerprintFields returns the fingerprint fields in effect.
func (s *AlertSource) FingerprintFields() []string { return slices.Clone(s.fingerprint()) }

// AlertSource returns the declared source with the given id.
func (c *Config) AlertSource(id string) (*AlertSource, bool) {
	for i := range c.AlertSources {
		if c.AlertSources[i].ID == id {
			return &c.AlertSources[i], true
		}
	}
	return nil, false
}

// alertSourceProblems checks alertSources.
func (c *Config) alertSourceProblems(add func(path, format string, args ...any)) {
	seen := map[string]int{}
	for i, s := range c.AlertSources {
		at := fmt.Sprintf("alertSources[%d]", i)
		switch j, dup := seen[s.ID]; {
		case s.ID == "":
			add(at+".id", `is required; give a stable identifier such as "wazuh-dic" (lower-case letters, digits, hyphens)`)
		case !slugRe.MatchString(s.ID) || len(s.ID) > 64:
			add(at+".id", "id %q must be lower-case letters and digits in words joined by single hyphens, at most 64 characters", s.ID)
		case dup:
			add(at+".id", "duplicate id %q (already used by alertSources[%d])", s.ID, j)
		default:
			seen[s.ID] = i
		}
		if _, ok := c.orgs[s.Org]; !ok {
			add(at+".org", "unknown organisation %q; use a slug listed under organisations", s.Org)
		}
		for k, f := range s.Fingerprint {
			if !slices.Contains(AlertFingerprintFields, f) {
				add(fmt.Sprintf("%s.fingerprint[%d]", at, k), "unknown field %q; use %s", f, strings.Join(AlertFingerprintFields, ", "))
			}
		}
		if s.Window < 0 || time.Duration(s.Window) > MaxAlertWindow {
			add(at+".window", "must be between 1s and %s", MaxAlertWindow)
		}
		for k, r := range s.Recipients {
			if _, ok := c.orgs[r]; !ok {
				add(fmt.Sprintf("%s.recipients[%d]", at, k), "unknown organisation %q", r)
			}
		}
	}
}

// Suppression is the aggregate of one suppression rule: reports of a source matching every
// criterion it gives (asset, indicator, rule id) between From and Until are suppressed: kept and
// counted, not raised as alerts.
type Suppression struct {
	Recorder
	ID        string
	Source    string
	Asset     string
	Indicator *AlertIndicator
	RuleID    string
	From      time.Time
	Until     time.Time
	Reason    string
	SetBy     Actor
	Removed   bool
	RemovedBy *Actor
	// RemoveReason says why it was removed.
	RemoveReason string
}

// NewSuppression returns the not yet set rule with the given id.
func NewSuppression(id string) *Suppression { return &Suppression{ID: id} }

// AggregateType implements Aggregate.
func (*Suppression) AggregateType() string { return "suppression" }

// AggregateID implements Aggregate.
func (s *Suppression) AggregateID() string { return s.ID }

// Replay implements Aggregate.
func (s *Suppression) Replay(e Event) { s.apply(e) }

// apply changes state from an event and reports whether it knew the event.
func (s *Suppression) apply(e Event) bool {
	switch e := e.(type) {
	case SuppressionSet:
		s.Source, s.Asset, s.RuleID, s.From, s.Until, s.Reason, s.SetBy = e.Source, e.Asset, e.RuleID, e.From, e.Until, e.Reason, e.By
		if e.Indicator != nil {
			x := *e.Indicator
			s.Indicator = &x
		}
	case SuppressionRemoved:
		by := e.By
		s.Removed, s.RemovedBy, s.RemoveReason = true, &by, e.Reason
	default:
		return false
	}
	return true
}

// Active reports whether the rule suppresses at now.
func (s *Suppression) Active(now time.Time) bool {
	return s.SetBy.Org != "" && !s.Removed && !now.Before(s.From) && now.Before(s.Until)
}

// Matches reports whether the rule, active at now, suppresses the normalised report a.
func (s *Suppression) Matches(a ReceiveAlert, now time.Time) bool {
	if !s.Active(now) || a.Source != s.Source {
		return false
	}
	if s.Asset != "" && !strings.EqualFold(a.Asset, s.Asset) {
		return false
	}
	if s.RuleID != "" && a.RuleID != s.RuleID {
		return false
	}
	if s.Indicator != nil && !slices.Contains(a.Indicators, *s.Indicator) {
		return false
	}
	return true
}

// SetSuppression sets a rule; Source is required, the other criteria narrow it.
type SetSuppression struct {
	Source    string
	Asset     string
	Indicator *AlertIndicator
	RuleID    string
	Until     time.Time
	Reason    string
}

// CommandName implements Command.
func (SetSuppression) CommandName() string { return "SetSuppression" }

// SuppressionSet records a rule with who set it and why.
type SuppressionSet struct {
	Source    string          `json:"source"`
	Asset     string          `json:"asset,omitempty"`
	Indicator *AlertIndicator `json:"indicator,omitempty"`
	RuleID    string          `json:"ruleId,omitempty"`
	From      time.Time       `json:"from"`
	Until     time.Time       `json:"until"`
	Reason    string          `json:"reason"`
	Stamp
}

// EventType implements Event.
func (SuppressionSet) EventType() string { return "SuppressionSet" }

// SuppressionRemoved records that a rule was lifted before its end.
type SuppressionRemoved struct {
	Reason string `json:"reason"`
	Stamp
}

// EventType implements Event.
func (SuppressionRemoved) EventType() string { return "SuppressionRemoved" }

// canSuppress: a coordinator of the source's SOC organisation or of one of its recipients.
func canSuppress(a Actor, src *AlertSource) bool {
	return a.Role == RoleCoordinator && (a.Org == src.Org || slices.Contains(src.Recipients, a.Org))
}

// Set records the rule. Only coordinators who triage the source's alerts may set one.
func (s *Suppression) Set(in Invocation, c SetSuppression) error {
	if in.Actor.Role != RoleCoordinator {
		return Errorf(EFORBIDDEN, "only coordinators may set suppression rules")
	}
	if s.SetBy.Org != "" {
		return Errorf(ECONFLICT, "suppression rule %s already exists", s.ID)
	}
	e := SuppressionSet{
		Source: strings.TrimSpace(c.Source),
		RuleID: strings.TrimSpace(c.RuleID),
		From:   in.Now.UTC(),
		Until:  c.Until.UTC(),
		Stamp:  in.Stamp(),
	}
	src, ok := in.Config.AlertSource(e.Source)
	if !ok || !canSuppress(in.Actor, src) {
		return Errorf(ENOTFOUND, "alert source %q not found among the sources your organisation triages", trimForMessage(e.Source))
	}
	var err error
	if e.Asset, err = textField("asset", c.Asset, 300, false); err != nil {
		return err
	}
	if len(e.RuleID) > 200 {
		return Errorf(EINVALID, "the rule id is longer than 200 characters")
	}
	if c.Indicator != nil {
		v, err := ValidateIndicator(c.Indicator.Type, c.Indicator.Value)
		if err != nil {
			return err
		}
		e.Indicator = &AlertIndicator{Type: c.Indicator.Type, Value: v}
	}
	if e.RuleID != "" {
		if err := checkText("the rule id", e.RuleID, false); err != nil {
			return err
		}
	}
	switch {
	case e.Asset == "" && e.Indicator == nil && e.RuleID == "":
		return Errorf(EINVALID, "name what to suppress: an asset, an indicator or a rule id (a rule that names none would mute the whole source)")
	case !e.Until.After(e.From):
		return Errorf(EINVALID, "until must be in the future")
	case e.Until.Sub(e.From) > MaxSuppression:
		return Errorf(EINVALID, "a suppression rule may run at most %d days; set a new one when it ends", int(MaxSuppression.Hours()/24))
	}
	if e.Reason, err = textField("reason", c.Reason, 1000, true); err != nil {
		return err
	}
	s.record(e)
	return nil
}

// RemoveSuppression lifts a suppression rule before its end.
type RemoveSuppression struct{ Reason string }

// CommandName implements Command.
func (RemoveSuppression) CommandName() string { return "RemoveSuppression" }

// Remove lifts the rule.
func (s *Suppression) Remove(in Invocation, c RemoveSuppression) error {
	src, ok := in.Config.AlertSource(s.Source)
	if s.SetBy.Org == "" || !ok || !canSuppress(in.Actor, src) {
		if in.Actor.Role != RoleCoordinator {
			return Errorf(EFORBIDDEN, "only coordinators may remove suppression rules")
		}
		return Errorf(ENOTFOUND, "suppression rule %q not found", s.ID)
	}
	if s.Removed {
		return Errorf(ECONFLICT, "suppression rule %s was already removed", s.ID)
	}
	r, err := textField("reason", c.Reason, 1000, true)
	if err != nil {
		return err
	}
	s.record(SuppressionRemoved{Reason: r, Stamp: in.Stamp()})
	return nil
}

func (s *Suppression) record(e Event) {
	s.apply(e)
	s.add(e)
}
