package projections

import (
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections/timeline"
)

// Reviews is the read model of the subcommittee's reviews: each review's state, its history as
// sentences, and whether a later change made it outdated (the first incident commit after the
// pinned checkpoint, evidence downloads aside: reading is no change). Visibility follows
// domain.CanReadReview with the incident's audience now, from the incident read model.
type Reviews struct {
	cfg       *domain.Config
	incidents *Incidents

	mu         sync.RWMutex
	reviews    map[string]*reviewModel
	order      []*reviewModel            // by opening
	byIncident map[string][]*reviewModel // reviews of one incident
	periods    []*reviewModel            // reviews of a period

	changes *feed[*ReviewChange] // nil for snapshots
}

type reviewModel struct {
	r          *domain.Review
	seq        uint64
	outdatedBy uint64 // the first incident commit after the pin; 0 while up to date
	outdatedAt time.Time
	history    []reviewEntry
}

type reviewEntry struct {
	seq   uint64
	index int
	at    time.Time
	actor domain.Actor
	event domain.Event
}

// ReviewChange is a change to a review, for subscribers: a decision, a finding, completion, or
// the change that made it outdated.
type ReviewChange struct {
	Sequence uint64
	ReviewID string
	Types    []string // event types of the review commit; empty when the review became outdated
	Outdated bool
	// who may see it, fixed at the review's opening, and the incident it is about ("" for a period)
	signers  []string
	incident string
	// findings recorded by the change: a change made only of findings a reader may not read
	// never reaches it
	findings []domain.ReviewFinding
	others   bool // the change records something besides findings
}

func newReviews(cfg *domain.Config, incidents *Incidents, retained int) *Reviews {
	r := &Reviews{cfg: cfg, incidents: incidents, reviews: map[string]*reviewModel{}, byIncident: map[string][]*reviewModel{}}
	if retained > 0 {
		r.changes = newFeed(retained, func(c *ReviewChange) uint64 { return c.Sequence })
	}
	return r
}

// apply adds a review commit.
func (x *Reviews) apply(c *eventstore.Commit, envs []eventstore.Envelope) {
	x.mu.Lock()
	m, ok := x.reviews[c.AggregateID]
	if !ok {
		m = &reviewModel{r: domain.NewReview(c.AggregateID)}
		x.reviews[c.AggregateID] = m
	}
	opened := m.r.Status != ""
	ch := &ReviewChange{Sequence: c.Sequence, ReviewID: c.AggregateID}
	for _, e := range envs {
		m.r.Replay(e.Event)
		m.history = append(m.history, reviewEntry{seq: c.Sequence, index: e.Index, at: c.RecordedAt, actor: c.Actor, event: e.Event})
		ch.Types = append(ch.Types, e.Type)
		if f, ok := e.Event.(domain.ReviewFindingRecorded); ok {
			ch.findings = append(ch.findings, domain.ReviewFinding{ID: f.FindingID, Kind: f.Kind, TLP: f.TLP, By: f.By})
		} else {
			ch.others = true
		}
	}
	m.seq = c.Sequence
	if !opened && m.r.Status != "" {
		x.order = append(x.order, m)
		if m.r.IncidentID != "" {
			x.byIncident[m.r.IncidentID] = append(x.byIncident[m.r.IncidentID], m)
		} else {
			x.periods = append(x.periods, m)
		}
	}
	ch.signers, ch.incident = m.r.Signers, m.r.IncidentID
	x.mu.Unlock()
	if x.changes != nil {
		x.changes.publish(ch)
	}
}

// incidentChanged marks the reviews a commit of an incident outdates: those of the incident, or
// of a period the incident was opened in, pinned before the commit. Downloads change nothing.
func (x *Reviews) incidentChanged(c *eventstore.Commit, envs []eventstore.Envelope, inc *domain.Incident) {
	if !slices.ContainsFunc(envs, func(e eventstore.Envelope) bool { return e.Type != "EvidenceDownloaded" }) {
		return
	}
	var changed []*ReviewChange
	x.mu.Lock()
	outdate := func(m *reviewModel) {
		if m.outdatedBy == 0 && c.Sequence > uint64(m.r.Pin.TreeSize) {
			m.outdatedBy, m.outdatedAt = c.Sequence, c.RecordedAt
			changed = append(changed, &ReviewChange{Sequence: c.Sequence, ReviewID: m.r.ID, Outdated: true, signers: m.r.Signers,
				incident: m.r.IncidentID, others: true})
		}
	}
	for _, m := range x.byIncident[c.AggregateID] {
		outdate(m)
	}
	for _, m := range x.periods {
		if !inc.OpenedAt.Before(m.r.PeriodFrom) && inc.OpenedAt.Before(m.r.PeriodTo) {
			outdate(m)
		}
	}
	x.mu.Unlock()
	if x.changes != nil && len(changed) > 0 {
		x.changes.publish(changed...)
	}
}

// visible reports whether the viewer may see a review with these signers, about this incident.
func (x *Reviews) visible(viewer domain.Actor, signers []string, incidentID string) bool {
	if incidentID == "" {
		return domain.CanReadReview(viewer, signers, nil, x.cfg)
	}
	aud, ok := x.incidents.audience(incidentID)
	return ok && domain.CanReadReview(viewer, signers, &aud, x.cfg)
}

// deliverable reports whether a change reaches the viewer: it must see the review, and
// something of the change (a finding it may read, or anything else).
func (x *Reviews) deliverable(viewer domain.Actor, c *ReviewChange) bool {
	if !x.visible(viewer, c.signers, c.incident) {
		return false
	}
	if c.others {
		return true
	}
	var aud *domain.Audience
	if c.incident != "" {
		a, _ := x.incidents.audience(c.incident)
		aud = &a
	}
	return slices.ContainsFunc(c.findings, func(f domain.ReviewFinding) bool { return domain.CanReadFinding(viewer, aud, f, x.cfg) })
}

// audience returns an incident's audience now.
func (x *Incidents) audience(id string) (domain.Audience, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, ok := x.incidents[id]
	if !ok || m.inc.Status == "" {
		return domain.Audience{}, false
	}
	return m.aud, true
}

// ReviewView is a review as one reader may see it.
type ReviewView struct {
	ID          string
	Title       string
	IncidentID  string
	PeriodFrom  *time.Time
	PeriodTo    *time.Time
	Pin         domain.ReviewPin
	Signers     []string
	Status      domain.ReviewStatus
	OpenedBy    domain.Actor
	OpenedAt    time.Time
	CompletedAt *time.Time
	// Signatures is each required signer's decision that counts (Decision "PENDING" when none).
	Signatures []domain.ReviewDecision
	Decisions  []domain.ReviewDecision // every decision, in order
	Findings   []domain.ReviewFinding  // those the reader may read
	// OutdatedBy is the sequence of the first change after the pin (0: none) and OutdatedAt its time.
	OutdatedBy uint64
	OutdatedAt *time.Time
	History    []TimelineEntry
	Sequence   uint64
}

// DecisionPending is the decision of a signer that has not decided yet.
const DecisionPending = "PENDING"

// Review returns a review the viewer may see; ENOTFOUND otherwise (the same for one that does not
// exist).
func (x *Reviews) Review(viewer domain.Actor, id string) (ReviewView, error) {
	x.mu.RLock()
	m, ok := x.reviews[id]
	var v ReviewView
	if ok && m.r.Status != "" {
		v = x.view(viewer, m)
	}
	x.mu.RUnlock()
	if !ok || v.ID == "" || !x.visible(viewer, v.Signers, v.IncidentID) {
		return ReviewView{}, domain.Errorf(domain.ENOTFOUND, "review %q not found", id)
	}
	return v, nil
}

// List returns the reviews the viewer may see, newest first; incidentID narrows them to one
// incident's.
func (x *Reviews) List(viewer domain.Actor, incidentID string) []ReviewView {
	x.mu.RLock()
	list := x.order
	if incidentID != "" {
		list = x.byIncident[incidentID]
	}
	views := make([]ReviewView, 0, len(list))
	for k := len(list) - 1; k >= 0; k-- {
		views = append(views, x.view(viewer, list[k]))
	}
	x.mu.RUnlock()
	return slices.DeleteFunc(views, func(v ReviewView) bool { return !x.visible(viewer, v.Signers, v.IncidentID) })
}

// view copies a review for a viewer; visibility is checked by the caller, outside the lock.
func (x *Reviews) view(viewer domain.Actor, m *reviewModel) ReviewView {
	r := m.r
	v := ReviewView{ID: r.ID, Title: r.Title, IncidentID: r.IncidentID, Pin: r.Pin, Signers: slices.Clone(r.Signers), Status: r.Status,
		OpenedBy: r.OpenedBy, OpenedAt: r.OpenedAt, Decisions: slices.Clone(r.Decisions), OutdatedBy: m.outdatedBy, Sequence: m.seq}
	if r.IncidentID == "" {
		from, to := r.PeriodFrom, r.PeriodTo
		v.PeriodFrom, v.PeriodTo = &from, &to
	}
	if !r.CompletedAt.IsZero() {
		t := r.CompletedAt
		v.CompletedAt = &t
	}
	if m.outdatedBy != 0 {
		t := m.outdatedAt
		v.OutdatedAt = &t
	}
	for _, org := range r.Signers {
		if d := r.Latest(org); d != nil {
			v.Signatures = append(v.Signatures, *d)
		} else {
			v.Signatures = append(v.Signatures, domain.ReviewDecision{Org: org, Decision: DecisionPending})
		}
	}
	var aud *domain.Audience
	if r.IncidentID != "" {
		if a, ok := x.incidents.audience(r.IncidentID); ok {
			aud = &a
		} else {
			aud = &domain.Audience{TLP: domain.TLPRed} // not readable: findings stay hidden
		}
	}
	hidden := map[string]bool{}
	for _, f := range r.Findings {
		if domain.CanReadFinding(viewer, aud, f, x.cfg) {
			v.Findings = append(v.Findings, f)
		} else {
			hidden[f.ID] = true
		}
	}
	for _, h := range m.history {
		if f, ok := h.event.(domain.ReviewFindingRecorded); ok && hidden[f.FindingID] {
			continue
		}
		text := timeline.Sentence(h.event, h.actor, x.cfg)
		v.History = append(v.History, TimelineEntry{Sequence: h.seq, Index: h.index, At: h.at, OccurredAt: h.event.EventStamp().At,
			Type: h.event.EventType(), Actor: h.actor, TextVi: text.Vi, TextEn: text.En})
	}
	return v
}

// PeriodIncidents lists the incidents opened in a period review's period that the viewer may see,
// in the order they were opened.
func (x *Incidents) PeriodIncidents(viewer domain.Actor, from, to time.Time) []IncidentSummary {
	x.mu.RLock()
	defer x.mu.RUnlock()
	v := x.viewer(viewer)
	var out []IncidentSummary
	for k := range x.rows {
		m := x.rows[k].m
		if m == nil || m.inc.Status == "" || m.inc.OpenedAt.Before(from) || !m.inc.OpenedAt.Before(to) || !x.sees(v, m) {
			continue
		}
		out = append(out, x.summary(viewer, m, time.Time{}))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].OpenedAt.Before(out[j].OpenedAt) })
	return out
}

// ReviewSubscription is a subscription to review changes.
type ReviewSubscription = Subscription[*ReviewChange]

// Subscribe opens a feed of the changes to the reviews the viewer may see (reviewID: one
// review's), resumable with since like the incident feeds.
func (x *Reviews) Subscribe(viewer domain.Actor, reviewID string, since uint64, buffer int) (*ReviewSubscription, error) {
	if !viewer.Role.Valid() || viewer.Role == domain.RoleAdmin || viewer.Role == domain.RoleIngest {
		return nil, domain.Errorf(domain.EFORBIDDEN, "role %s has no review feed to subscribe to", viewer.Role)
	}
	if x.changes == nil {
		return nil, domain.Errorf(domain.EINTERNAL, "these read models keep no changes")
	}
	return x.changes.subscribe(func(c *ReviewChange) (*ReviewChange, bool) {
		if reviewID != "" && c.ReviewID != reviewID {
			return nil, false
		}
		return c, x.deliverable(viewer, c)
	}, since, buffer, "the review")
}

// CloseSubscriptions ends every review subscription with ErrClosed (shutdown).
func (x *Reviews) CloseSubscriptions() {
	if x.changes != nil {
		x.changes.closeAll(ErrClosed)
	}
}
