package projections

import (
	"context"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// Alerts is the alert triage read model of one replica, fed by the follower of the alerts
// stream (a store of its own, so that alert volume never slows the incident log): every alert
// with its count and status, suppression rules with what they swallowed, triage counts and the
// alertTriage change feed. Visibility is domain.CanTriageAlert.
type Alerts struct {
	cfg *domain.Config
	// incidents are the live incident read models: correlation with open incidents, and which
	// incidents a reader may see (proposals and links name only those). May be nil.
	incidents *Projector
	log       *slog.Logger

	mu      sync.RWMutex
	alerts  map[string]*AlertView
	order   []*AlertView // by the stream sequence of their receipt, oldest first
	rules   map[string]*ruleModel
	buckets map[bucketKey]*TriageCounts
	// proposing holds the NEW alerts with a correlation proposal: Grouped is counted from them
	// per reader.
	proposing map[*AlertView]struct{}
	// merged maps an asset (assetKey) to the incidents alerts on it were merged or promoted into.
	merged      map[string][]string
	undecodable int

	progress progress
	feed     *feed[AlertChange]
}

// AlertView is an alert as the read model keeps it.
type AlertView struct {
	domain.Alert
	Fingerprint string
	Sequence    uint64 // stream sequence of its receipt: the list's order and cursor
	Updated     uint64 // stream sequence of its last change
}

// TriageCounts are the triage list's counters. Grouped counts NEW alerts correlated with open
// incidents (a proposal waits); Suppressed counts suppressed reports.
type TriageCounts struct {
	New, Grouped, Suppressed, Dismissed, Promoted, Repeats int
}

func (c *TriageCounts) add(o *TriageCounts) {
	c.New += o.New
	c.Grouped += o.Grouped
	c.Suppressed += o.Suppressed
	c.Dismissed += o.Dismissed
	c.Promoted += o.Promoted
	c.Repeats += o.Repeats
}

type bucketKey struct {
	source string
	tlp    domain.TLP
}

type ruleModel struct {
	rule  *domain.Suppression
	count int
	seq   uint64
}

// SuppressionView is a suppression rule with the reports it suppressed.
type SuppressionView struct {
	domain.Suppression
	Suppressed int
	Sequence   uint64
}

// NewAlerts returns an empty alert read model; incidents (optional) are the live incident read
// models, with which new alerts are correlated and through whose access rule incidents named
// on alerts are shown.
func NewAlerts(cfg *domain.Config, incidents *Projector, log *slog.Logger) *Alerts {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Alerts{cfg: cfg, incidents: incidents, log: log, alerts: map[string]*AlertView{}, rules: map[string]*ruleModel{},
		buckets: map[bucketKey]*TriageCounts{}, proposing: map[*AlertView]struct{}{}, merged: map[string][]string{}}
	a.feed = newFeed(alertRetained, func(c AlertChange) uint64 { return c.Sequence })
	return a
}

// Sink is the eventstore sink of the alerts store's follower.
func (a *Alerts) Sink() eventstore.Sink { return a.Apply }

// Applied returns the last stream sequence of the alerts stream the model contains.
func (a *Alerts) Applied() uint64 { return a.progress.Applied() }

// Undecodable counts commits that did not decode (for /metrics).
func (a *Alerts) Undecodable() int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.undecodable
}

// Len returns the number of alerts.
func (a *Alerts) Len() int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.order)
}

// WaitFor blocks until the model contains seq of the alerts stream, or ctx ends (CONFLICT).
func (a *Alerts) WaitFor(ctx context.Context, seq uint64) error {
	return a.progress.waitFor(ctx, seq, "alert sequence")
}

func (a *Alerts) bucket(source string, tlp domain.TLP) *TriageCounts {
	k := bucketKey{source, tlp}
	b := a.buckets[k]
	if b == nil {
		b = &TriageCounts{}
		a.buckets[k] = b
	}
	return b
}

// count moves an alert between the status counters; d is +1 or -1.
func (a *Alerts) count(v *AlertView, d int) {
	b := a.bucket(v.Source, v.TLP)
	switch v.Status {
	case domain.AlertStatusNew:
		b.New += d
		if len(v.Proposed) > 0 {
			if d > 0 {
				a.proposing[v] = struct{}{}
			} else {
				delete(a.proposing, v)
			}
		}
	case domain.AlertStatusDismissed:
		b.Dismissed += d
	case domain.AlertStatusPromoted:
		b.Promoted += d
	}
}

// Apply adds one commit of the alerts stream; idempotent by stream sequence.
func (a *Alerts) Apply(c *eventstore.Commit, envs []eventstore.Envelope, err error) {
	if c.Sequence <= a.progress.Applied() {
		return
	}
	var changed []AlertChange
	if err != nil {
		a.mu.Lock()
		a.undecodable++
		a.mu.Unlock()
		a.log.Error("alert read model: commit does not decode; skipped", "sequence", c.Sequence, "aggregate", c.AggregateType, "err", err)
	} else {
		a.mu.Lock()
		switch c.AggregateType {
		case "alertfp":
			changed = a.applySeries(c, envs)
		case "suppression":
			m := a.rules[c.AggregateID]
			if m == nil {
				m = &ruleModel{rule: domain.NewSuppression(c.AggregateID)}
				a.rules[c.AggregateID] = m
			}
			for _, e := range envs {
				m.rule.Replay(e.Event)
			}
			m.seq = c.Sequence
			changed = append(changed, AlertChange{Sequence: c.Sequence, Rule: c.AggregateID, Source: m.rule.Source})
		}
		a.mu.Unlock()
	}
	a.progress.advance(c.Sequence)
	a.feed.publish(changed...)
	a.feed.advance(c.Sequence)
}

func (a *Alerts) applySeries(c *eventstore.Commit, envs []eventstore.Envelope) []AlertChange {
	var out []AlertChange
	touch := func(v *AlertView, typ string) {
		v.Updated = c.Sequence
		for i := range out {
			if out[i].AlertID == v.ID {
				out[i].Types = append(out[i].Types, typ)
				return
			}
		}
		out = append(out, AlertChange{Sequence: c.Sequence, AlertID: v.ID, Source: v.Source, TLP: v.TLP, Types: []string{typ}})
	}
	for _, env := range envs {
		switch e := env.Event.(type) {
		case domain.AlertReceived:
			v := &AlertView{Alert: domain.Alert{ID: e.Alert, Org: e.Org, Source: e.Source, SourceRef: e.SourceRef,
				RuleID: e.RuleID, Title: e.Title, Severity: e.Severity, ObservedAt: e.ObservedAt, Asset: e.Asset,
				Indicators: e.Indicators, TLP: e.TLP, Raw: e.Raw, Status: domain.AlertStatusNew, Count: 1,
				FirstSeen: e.ObservedAt, LastSeen: e.ObservedAt, ReceivedAt: e.At, LastReceivedAt: e.At},
				Fingerprint: c.AggregateID, Sequence: c.Sequence}
			if _, dup := a.alerts[v.ID]; dup {
				continue
			}
			a.alerts[v.ID] = v
			a.order = append(a.order, v)
			a.count(v, 1)
			touch(v, env.Type)
		case domain.AlertRepeated:
			if v := a.alerts[e.Alert]; v != nil {
				v.Count = e.Count
				if e.ObservedAt.Before(v.FirstSeen) {
					v.FirstSeen = e.ObservedAt
				}
				if e.ObservedAt.After(v.LastSeen) {
					v.LastSeen = e.ObservedAt
				}
				v.LastReceivedAt = e.At
				a.bucket(v.Source, v.TLP).Repeats++
				touch(v, env.Type)
			}
		case domain.AlertSuppressed:
			m := a.rules[e.Rule]
			if m == nil { // a rule this replica has not seen yet: it follows in the same stream
				m = &ruleModel{rule: domain.NewSuppression(e.Rule)}
				a.rules[e.Rule] = m
			}
			m.count++
			a.bucket(e.Report.Source, e.Report.TLP).Suppressed++
			if v := a.alerts[e.Alert]; v != nil {
				v.Suppressed++
				v.SuppressedBy = e.Rule
				touch(v, env.Type)
			} else {
				out = append(out, AlertChange{Sequence: c.Sequence, Source: e.Report.Source, TLP: e.Report.TLP, Rule: e.Rule, Types: []string{env.Type}})
			}
		case domain.AlertCorrelated:
			if v := a.alerts[e.Alert]; v != nil {
				a.count(v, -1)
				v.Proposed = mergeSorted(v.Proposed, e.Incidents)
				a.count(v, 1)
				touch(v, env.Type)
				for i := range out {
					if out[i].AlertID == v.ID {
						out[i].proposed = mergeSorted(out[i].proposed, e.Incidents)
					}
				}
			}
		case domain.AlertDismissed:
			if v := a.alerts[e.Alert]; v != nil {
				a.count(v, -1)
				v.Status, v.DismissReason = domain.AlertStatusDismissed, e.Reason
				a.count(v, 1)
				touch(v, env.Type)
			}
		case domain.AlertPromoted:
			if v := a.alerts[e.Alert]; v != nil {
				a.count(v, -1)
				v.Status, v.Incident = domain.AlertStatusPromoted, e.Incident
				a.count(v, 1)
				if v.Asset != "" {
					k := assetKey(v.Asset)
					if !slices.Contains(a.merged[k], e.Incident) {
						a.merged[k] = append(a.merged[k], e.Incident)
					}
				}
				touch(v, env.Type)
			}
		case domain.AlertDetached:
			if v := a.alerts[e.Alert]; v != nil && v.Incident == e.Incident {
				a.count(v, -1)
				v.Status, v.Incident = domain.AlertStatusNew, ""
				a.count(v, 1)
				touch(v, env.Type)
			}
		}
	}
	return out
}

func mergeSorted(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// Suppressing returns the id of an active rule that suppresses the normalised report at now,
// "" when none does (the lowest id when several do, so that replicas agree).
func (a *Alerts) Suppressing(r domain.ReceiveAlert, now time.Time) string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	best := ""
	for id, m := range a.rules {
		if m.rule.Matches(r, now) && (best == "" || id < best) {
			best = id
		}
	}
	return best
}

// Correlate returns the open incidents a new alert on asset with these indicators should be
// proposed for: incidents with the same affected system or indicator, and incidents alerts on
// the same asset were merged into.
func (a *Alerts) Correlate(asset string, inds []domain.AlertIndicator) ([]string, string) {
	if a.incidents == nil {
		return nil, ""
	}
	ids, reason := a.incidents.Correlation.OpenIncidentsMatching(asset, inds)
	if asset == "" {
		return ids, reason
	}
	a.mu.RLock()
	more := slices.Clone(a.merged[assetKey(asset)])
	a.mu.RUnlock()
	found := false
	for _, id := range more {
		if len(ids) < maxCorrelated && !slices.Contains(ids, id) && a.incidents.Correlation.IncidentOpen(id) {
			ids, found = append(ids, id), true
		}
	}
	if found {
		reason = reasonOf(true, strings.Contains(reason, "indicator"))
	}
	return ids, reason
}

// visibleFn returns a visibility check for viewer that caches the answer per source and TLP.
func (a *Alerts) visibleFn(viewer domain.Actor) func(source string, tlp domain.TLP, org string) bool {
	cache := map[bucketKey]bool{}
	return func(source string, tlp domain.TLP, org string) bool {
		k := bucketKey{source, tlp}
		if ok, hit := cache[k]; hit {
			return ok
		}
		ok := domain.CanTriageAlert(viewer, domain.AlertAudience(&domain.Alert{Source: source, TLP: tlp, Org: org}, a.cfg), a.cfg)
		cache[k] = ok
		return ok
	}
}

// sourceOrg is the SOC organisation of a declared source ("" for one no longer declared: its
// alerts are then visible to nobody but CLEAR/GREEN readers).
func (a *Alerts) sourceOrg(source string) string {
	if s, ok := a.cfg.AlertSource(source); ok {
		return s.Org
	}
	return ""
}

// Alert returns one alert the viewer may triage; NOT_FOUND otherwise.
func (a *Alerts) Alert(viewer domain.Actor, id string) (AlertView, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	v := a.alerts[id]
	if v == nil || !domain.CanTriageAlert(viewer, domain.AlertAudience(&v.Alert, a.cfg), a.cfg) {
		return AlertView{}, domain.Errorf(domain.ENOTFOUND, "alert %q not found", id)
	}
	return a.seenBy(viewer, v), nil
}

// seesIncident reports whether viewer may read the incident: an alert names only those.
func (a *Alerts) seesIncident(viewer domain.Actor, id string) bool {
	return a.incidents != nil && a.incidents.Incidents.CanSee(viewer, id)
}

// seenBy is an alert as viewer may see it: proposals and the incident it joined name only
// incidents the viewer may read, so that correlation is never an oracle of hidden incidents.
func (a *Alerts) seenBy(viewer domain.Actor, v *AlertView) AlertView {
	c := *v
	c.Proposed = nil
	for _, id := range v.Proposed {
		if a.seesIncident(viewer, id) {
			c.Proposed = append(c.Proposed, id)
		}
	}
	if c.Incident != "" && !a.seesIncident(viewer, c.Incident) {
		c.Incident = ""
	}
	return c
}

// groupedFor reports whether a NEW alert has a proposal the viewer may see.
func (a *Alerts) groupedFor(viewer domain.Actor, v *AlertView) bool {
	return v.Status == domain.AlertStatusNew && slices.ContainsFunc(v.Proposed, func(id string) bool { return a.seesIncident(viewer, id) })
}

// AlertFilter selects alerts; empty fields select everything.
type AlertFilter struct {
	Status   []domain.AlertStatus
	Source   string
	Asset    string
	Severity []domain.Severity
	Incident string
	Grouped  bool // only NEW alerts with a correlation proposal
}

// AlertPage is one page of the alert list, newest receipt first.
type AlertPage struct {
	Nodes      []AlertView
	TotalCount int
	EndCursor  string
	HasNext    bool
	Counts     TriageCounts
	Sequence   uint64
}

// MaxAlertPage bounds first.
const MaxAlertPage = 500

// List returns the alerts the viewer may triage that match f, newest receipt first, first at
// a time after the cursor (the previous page's EndCursor).
func (a *Alerts) List(viewer domain.Actor, f AlertFilter, first int, after string) (AlertPage, error) {
	if first <= 0 {
		first = 50
	}
	if first > MaxAlertPage {
		return AlertPage{}, domain.Errorf(domain.EINVALID, "first may be at most %d", MaxAlertPage)
	}
	var before uint64 = 1<<64 - 1
	if after != "" {
		n, err := strconv.ParseUint(after, 10, 64)
		if err != nil {
			return AlertPage{}, domain.Errorf(domain.EINVALID, "after is not a cursor this API returned")
		}
		before = n
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	vis := a.visibleFn(viewer)
	page := AlertPage{Sequence: a.progress.Applied(), Counts: a.countsLocked(viewer, vis)}
	asset := strings.ToLower(strings.TrimSpace(f.Asset))
	start := sort.Search(len(a.order), func(i int) bool { return a.order[i].Sequence >= before })
	for i := len(a.order) - 1; i >= 0; i-- {
		v := a.order[i]
		if !vis(v.Source, v.TLP, v.Org) || !matchAlert(v, f, asset) ||
			f.Incident != "" && !a.seesIncident(viewer, f.Incident) || f.Grouped && !a.groupedFor(viewer, v) {
			continue
		}
		page.TotalCount++
		if i >= start {
			continue
		}
		if len(page.Nodes) < first {
			page.Nodes = append(page.Nodes, a.seenBy(viewer, v))
			page.EndCursor = strconv.FormatUint(v.Sequence, 10)
		} else {
			page.HasNext = true
		}
	}
	return page, nil
}

func matchAlert(v *AlertView, f AlertFilter, asset string) bool {
	switch {
	case len(f.Status) > 0 && !slices.Contains(f.Status, v.Status),
		f.Source != "" && v.Source != f.Source,
		asset != "" && strings.ToLower(v.Asset) != asset,
		len(f.Severity) > 0 && !slices.Contains(f.Severity, v.Severity),
		f.Incident != "" && v.Incident != f.Incident,
		f.Grouped && v.Status != domain.AlertStatusNew:
		return false
	}
	return true
}

// Counts returns the triage counters over the alerts the viewer may triage.
func (a *Alerts) Counts(viewer domain.Actor) (TriageCounts, uint64) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.countsLocked(viewer, a.visibleFn(viewer)), a.progress.Applied()
}

// countsLocked sums the buckets the viewer may triage; Grouped counts the NEW alerts with a
// proposal the viewer may see, so that it never moves for a hidden incident.
func (a *Alerts) countsLocked(viewer domain.Actor, vis func(string, domain.TLP, string) bool) TriageCounts {
	var c TriageCounts
	for k, b := range a.buckets {
		if vis(k.source, k.tlp, a.sourceOrg(k.source)) {
			c.add(b)
		}
	}
	c.Grouped = 0
	for v := range a.proposing {
		if vis(v.Source, v.TLP, v.Org) && a.groupedFor(viewer, v) {
			c.Grouped++
		}
	}
	return c
}

// Suppressions lists the rules of the sources the viewer's organisation may suppress (its SOC
// or a recipient), active ones first, with what they suppressed.
func (a *Alerts) Suppressions(viewer domain.Actor, includeInactive bool, now time.Time) []SuppressionView {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out []SuppressionView
	for _, m := range a.rules {
		r := m.rule
		if r.SetBy.Org == "" || !a.mayReadRule(viewer, r.Source) || (!includeInactive && !r.Active(now)) {
			continue
		}
		out = append(out, SuppressionView{Suppression: *r, Suppressed: m.count, Sequence: m.seq})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Sequence > out[j].Sequence })
	return out
}

// Suppression returns one rule the viewer may see.
func (a *Alerts) Suppression(viewer domain.Actor, id string) (SuppressionView, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	m := a.rules[id]
	if m == nil || m.rule.SetBy.Org == "" || !a.mayReadRule(viewer, m.rule.Source) {
		return SuppressionView{}, domain.Errorf(domain.ENOTFOUND, "suppression rule %q not found", id)
	}
	return SuppressionView{Suppression: *m.rule, Suppressed: m.count, Sequence: m.seq}, nil
}

func (a *Alerts) mayReadRule(viewer domain.Actor, source string) bool {
	src, ok := a.cfg.AlertSource(source)
	if !ok || (viewer.Role != domain.RoleCoordinator && viewer.Role != domain.RoleResponder) {
		return false
	}
	return viewer.Org == src.Org || slices.Contains(src.Recipients, viewer.Org)
}
