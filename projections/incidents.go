package projections

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// Incidents is the incident read model of one replica: every incident's state replayed from its
// events, its audience and readers, its timeline, the board's rows and title index, the index
// of escalations and handoffs, and the change feed that subscriptions read. Every read applies
// the access rule (access.canSee; items and handoffs with domain.CanReadItem).
type Incidents struct {
	access
	progress *progress // the Projector's: the board says which sequence it answers at

	mu          sync.RWMutex
	incidents   map[string]*incidentModel
	rows        []boardRow         // every incident's hot fields, by value: the board scans them in order
	escalations map[string]string  // escalation id -> incident id
	handoffs    map[string]string  // handoff id -> incident id
	evidence    map[string]string  // evidence id -> incident id
	words       map[string][]int32 // title word -> rows, ascending

	// changes feeds subscriptions; nil for snapshot read models (time travel), which nobody
	// subscribes to.
	changes *feed[*Change]
}

func newIncidents(cfg *domain.Config, pr *progress, retained int) *Incidents {
	x := &Incidents{access: newAccess(cfg), progress: pr, incidents: map[string]*incidentModel{},
		escalations: map[string]string{}, handoffs: map[string]string{}, evidence: map[string]string{}, words: map[string][]int32{}}
	if retained > 0 {
		x.changes = newFeed(retained, func(c *Change) uint64 { return c.Sequence })
	}
	return x
}

// Len returns the number of incidents.
func (x *Incidents) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.rows)
}

// CanSee reports whether viewer may read the incident (false for one that does not exist).
func (x *Incidents) CanSee(viewer domain.Actor, id string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, err := x.lookup(viewer, id)
	return err == nil
}

// sees decides visibility of an incident model with the one access rule.
func (x *Incidents) sees(v viewer, m *incidentModel) bool { return x.canSee(v, m.aud, m.readers) }

// incidentModel is one incident as the read side keeps it: the domain state replayed from its
// events, what the policy needs, and its timeline.
type incidentModel struct {
	inc        *domain.Incident
	aud        domain.Audience
	readers    readers
	seq        uint64    // last stream sequence that touched it
	updatedAt  time.Time // when the last change every reader may see was recorded
	titleLower string
	timeline   []entry
	row        int // index in Incidents.rows
}

func sameAudience(a, b domain.Audience) bool {
	return a.TLP == b.TLP && a.InfoClass == b.InfoClass && a.Origin == b.Origin && a.Lead == b.Lead && a.Owner == b.Owner &&
		a.Drill == b.Drill && a.OriginReleased == b.OriginReleased && slices.Equal(a.Shared, b.Shared) && slices.Equal(a.Recipients, b.Recipients) &&
		slices.Equal(a.EscalatedTo, b.EscalatedTo) && slices.Equal(a.HandoffTo, b.HandoffTo) && slices.Equal(a.FormerOwners, b.FormerOwners)
}

// entry is one event of a timeline; sentences are made when read.
type entry struct {
	seq        uint64
	index      int
	recordedAt time.Time
	occurredAt time.Time
	actor      domain.Actor
	event      domain.Event
	item       bool // a note, indicator or evidence event with its own TLP, which its author may always read
	itemTLP    domain.TLP
	author     *domain.Actor // the item's author when not the event's (an evidence file's collector)
}

// visibleTo reports whether a viewer who may read the incident (audience aud) may see this
// entry: every entry but a note or indicator labelled stricter than the viewer may read.
func (en *entry) visibleTo(a domain.Actor, aud domain.Audience, cfg *domain.Config) bool {
	if !en.item {
		return true
	}
	author := en.event.EventStamp().By
	if en.author != nil {
		author = *en.author
	}
	return domain.CanReadItem(a, aud, en.itemTLP, author, cfg)
}

// public reports whether every reader of the incident may see the entry: the board's order by
// last change uses only such changes, so that a hidden one never moves an incident up.
func (en *entry) public(incidentTLP domain.TLP) bool {
	return !en.item || en.itemTLP.Rank() <= incidentTLP.Rank()
}

// apply adds one incident commit and returns the change for the feed and the incident's state
// after it, which only the applying goroutine may read outside the lock.
func (x *Incidents) apply(c *eventstore.Commit, envs []eventstore.Envelope) (*Change, *domain.Incident) {
	x.mu.Lock()
	m, ok := x.incidents[c.AggregateID]
	if !ok {
		m = &incidentModel{inc: domain.NewIncident(c.AggregateID), row: len(x.rows)}
		x.incidents[c.AggregateID] = m
		x.rows = append(x.rows, boardRow{})
	}
	before, beforeReaders := m.aud, m.readers
	first := len(m.timeline)
	for _, e := range envs {
		m.inc.Replay(e.Event)
		en := entry{seq: c.Sequence, index: e.Index, recordedAt: c.RecordedAt, occurredAt: c.OccurredAt, actor: c.Actor, event: e.Event}
		switch ev := e.Event.(type) {
		case domain.NoteAdded:
			en.item, en.itemTLP = true, ev.TLP
		case domain.IndicatorAdded:
			en.item, en.itemTLP = true, ev.TLP
		case domain.IncidentEscalated:
			x.escalations[ev.EscalationID] = c.AggregateID
		case domain.HandoffOffered:
			x.handoffs[ev.HandoffID] = c.AggregateID
		default:
			x.evidenceEntry(&en, m.inc, c.AggregateID)
		}
		m.timeline = append(m.timeline, en)
	}
	m.seq = c.Sequence
	if slices.ContainsFunc(m.timeline[first:], func(en entry) bool { return en.public(m.inc.TLP) }) {
		m.updatedAt = c.RecordedAt
	}
	if m.titleLower == "" && m.inc.Title != "" { // titles do not change after opening
		m.titleLower = strings.ToLower(m.inc.Title)
		for _, w := range titleWords(m.titleLower) {
			if l := x.words[w]; len(l) == 0 || l[len(l)-1] != int32(m.row) {
				x.words[w] = append(l, int32(m.row))
			}
		}
	}
	if aud := m.inc.Audience(); m.readers == nil || !sameAudience(aud, m.aud) {
		m.aud, m.readers = aud, x.readers(aud) // only when who may read can have changed
	}
	x.rows[m.row] = x.row(m)
	x.mu.Unlock()
	ch := &Change{Sequence: c.Sequence, IncidentID: c.AggregateID, aud: m.aud, readers: m.readers, before: before, beforeReaders: beforeReaders,
		Types: make([]string, len(envs)), entries: m.timeline[first:len(m.timeline):len(m.timeline)]}
	for i, e := range envs {
		ch.Types[i] = e.Type
		switch ev := e.Event.(type) {
		case domain.IncidentEscalated:
			ch.QueueOrgs = append(ch.QueueOrgs, ev.To)
		case domain.EscalationAcknowledged, domain.EscalationResolved:
			if e := m.inc.Escalation(escalationID(ev)); e != nil {
				ch.QueueOrgs = append(ch.QueueOrgs, e.To)
			}
		case domain.HandoffOffered:
			ch.InboxOrgs = append(ch.InboxOrgs, ev.To)
		case domain.HandoffAcknowledged, domain.HandoffAccepted, domain.HandoffDeclined, domain.HandoffWithdrawn, domain.HandoffReturned:
			if h := m.inc.Handoff(handoffID(ev)); h != nil {
				ch.InboxOrgs = append(ch.InboxOrgs, h.To)
			}
		}
	}
	return ch, m.inc
}

// IncidentSummary is an incident as a board row shows it.
type IncidentSummary struct {
	ID              string
	Title           string
	Status          domain.IncidentStatus
	Phase           domain.Phase
	Severity        domain.Severity
	Tier            domain.Tier
	Type            string
	Sector          string
	TLP             domain.TLP
	Drill           bool
	Origin          string
	Lead            string
	Owner           string
	OpenEscalations int
	OpenHandoffs    int
	NextDeadline    *Deadline
	OpenedAt        time.Time
	UpdatedAt       time.Time
	Sequence        uint64
}

// Deadline is the next thing somebody owes on an incident.
type Deadline struct {
	At      time.Time
	Kind    string // a domain.Obligation kind: ESCALATION_ACK, HANDOFF_ANSWER, NOTIFICATION, INITIAL_REPORT, CLOSING_REPORT
	OwedBy  string // organisation slug
	RefID   string // escalation or handoff id
	Overdue bool
}

// summary is the board row of m as viewer sees it: its last change (UpdatedAt, Sequence) is the
// last one the viewer may see, so that hidden changes leave no trace.
func (x *Incidents) summary(viewer domain.Actor, m *incidentModel, now time.Time) IncidentSummary {
	i := m.inc
	s := IncidentSummary{ID: i.ID, Title: i.Title, Status: i.Status, Phase: i.Phase, Severity: i.Severity, Tier: i.Tier,
		Type: i.Type, Sector: i.Sector, TLP: i.TLP, Drill: i.Drill, Origin: i.Origin, Lead: i.Lead, Owner: i.Owner,
		OpenedAt: i.OpenedAt}
	for k := len(m.timeline) - 1; k >= 0; k-- {
		if en := &m.timeline[k]; en.visibleTo(viewer, m.aud, x.cfg) {
			s.UpdatedAt, s.Sequence = en.recordedAt, en.seq
			break
		}
	}
	s.NextDeadline = x.nextDeadline(i, now)
	for _, x := range i.Escalations {
		if x.Status == domain.EscalationStatusPending || x.Status == domain.EscalationStatusAcknowledged {
			s.OpenEscalations++
		}
	}
	for _, h := range i.Handoffs {
		if h.Status == domain.HandoffStatusOffered {
			s.OpenHandoffs++
		}
	}
	return s
}

// nextDeadline is the incident's soonest open obligation (domain.Incident.Obligations): an
// acknowledgement, a handoff answer, the TT20 Art. 9 notification, Mẫu 03 or Mẫu 04.
func (x *Incidents) nextDeadline(i *domain.Incident, now time.Time) *Deadline {
	o, ok := i.NextObligation(x.cfg, now)
	if !ok {
		return nil
	}
	return &Deadline{At: o.Due, Kind: o.Kind, OwedBy: o.OwedBy, RefID: o.RefID, Overdue: !now.IsZero() && now.After(o.Due)}
}

// IncidentDetail is everything about one incident that the viewer may see.
type IncidentDetail struct {
	IncidentSummary
	Description    string
	RSITClass      string
	RSITType       string
	PAP            domain.PAP
	DetectedAt     time.Time
	AffectedSystem *domain.AffectedSystem
	Source         domain.IncidentSource
	AlertIDs       []string
	Notes          []domain.Note      // only those whose TLP the viewer may read
	Indicators     []domain.Indicator // likewise
	Shared         []string
	Recipients     []string // TLP:RED named recipients
	Escalations    []domain.Escalation
	Handoffs       []domain.Handoff
	Resolution     domain.Resolution
	CloseSummary   string
	ClosedAt       *time.Time
	Reopened       int
	Version        int               // number of events the viewer may see
	Evidence       []domain.Evidence // evidence files the viewer may see, with their custody
}

func (x *Incidents) lookup(viewer domain.Actor, id string) (*incidentModel, error) {
	m, ok := x.incidents[id]
	if !ok || m.inc.Status == "" || !x.sees(x.viewer(viewer), m) {
		// The same answer whether it does not exist or may not be seen: existence is information.
		return nil, domain.Errorf(domain.ENOTFOUND, "incident %q not found", id)
	}
	return m, nil
}

// VisibleVersion is the incident's version as the viewer sees it (IncidentDetail.Version) once
// the log up to stream sequence upTo is applied: what a client read and sends back as
// expectedVersion. ENOTFOUND when the viewer may not read the incident.
func (x *Incidents) VisibleVersion(viewer domain.Actor, id string, upTo uint64) (int, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, err := x.lookup(viewer, id)
	if err != nil {
		return 0, err
	}
	v := 0
	for k := range m.timeline {
		if m.timeline[k].seq <= upTo && m.timeline[k].visibleTo(viewer, m.aud, x.cfg) {
			v++
		}
	}
	return v, nil
}

// Incident returns the detail of an incident the viewer may read; ENOTFOUND otherwise.
func (x *Incidents) Incident(viewer domain.Actor, id string, now time.Time) (IncidentDetail, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, err := x.lookup(viewer, id)
	if err != nil {
		return IncidentDetail{}, err
	}
	return x.detail(viewer, m, now), nil
}

func (x *Incidents) detail(viewer domain.Actor, m *incidentModel, now time.Time) IncidentDetail {
	i := m.inc
	d := IncidentDetail{IncidentSummary: x.summary(viewer, m, now), Description: i.Description, RSITClass: i.RSITClass, RSITType: i.RSITType,
		PAP: i.PAP, DetectedAt: i.DetectedAt, Source: i.Source, AlertIDs: slices.Clone(i.AlertIDs), Shared: slices.Clone(i.Shared),
		Recipients: x.recipients(viewer, m), Resolution: i.Resolution, CloseSummary: i.CloseSummary, Reopened: i.Reopened}
	for k := range m.timeline {
		if m.timeline[k].visibleTo(viewer, m.aud, x.cfg) {
			d.Version++ // counts only what the viewer sees
		}
	}
	if i.AffectedSystem != nil {
		as := *i.AffectedSystem
		as.ProtectionLayers = slices.Clone(as.ProtectionLayers)
		d.AffectedSystem = &as
	}
	if !i.ClosedAt.IsZero() {
		t := i.ClosedAt
		d.ClosedAt = &t
	}
	for _, n := range i.Notes {
		if domain.CanReadItem(viewer, m.aud, n.TLP, n.Author, x.cfg) {
			d.Notes = append(d.Notes, n)
		}
	}
	for _, ind := range i.Indicators {
		if domain.CanReadItem(viewer, m.aud, ind.TLP, ind.Author, x.cfg) {
			d.Indicators = append(d.Indicators, ind)
		}
	}
	d.Evidence = i.VisibleEvidence(viewer, m.aud, x.cfg)
	for _, e := range i.Escalations {
		d.Escalations = append(d.Escalations, *e)
	}
	for _, h := range i.Handoffs {
		c := *h
		if !x.handoffReadable(viewer, m, h) {
			c.Summary, c.RequestedAction = "", "" // labelled stricter than the viewer may read
		}
		d.Handoffs = append(d.Handoffs, c)
	}
	return d
}

// recipients lists the TLP:RED named recipients for a viewer: all of them for those who steer
// the incident (CanManage), only the viewer's own name for a named recipient, none for others,
// as the timeline says only how many organisations were named.
func (x *Incidents) recipients(viewer domain.Actor, m *incidentModel) []string {
	if domain.CanManage(viewer, m.aud, x.cfg) {
		return slices.Clone(m.inc.Recipients)
	}
	if self := domain.UserKey(viewer.Org, viewer.User); slices.Contains(m.inc.Recipients, self) {
		return []string{self}
	}
	return nil
}

// handoffReadable reports whether the viewer may read a handoff's summary and requested action,
// which its TLP labels: the offering and the addressed organisations may, others as for a note.
func (x *Incidents) handoffReadable(viewer domain.Actor, m *incidentModel, h *domain.Handoff) bool {
	return viewer.Org == h.From || viewer.Org == h.To || domain.CanReadItem(viewer, m.aud, h.TLP, h.By, x.cfg)
}

// Summary returns the board row of an incident the viewer may read; ENOTFOUND otherwise. It is
// far cheaper than Incident (no notes or indicators are copied and checked), for feeds that
// only need to know whether and how an incident shows.
func (x *Incidents) Summary(viewer domain.Actor, id string, now time.Time) (IncidentSummary, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, err := x.lookup(viewer, id)
	if err != nil {
		return IncidentSummary{}, err
	}
	return x.summary(viewer, m, now), nil
}

// PartnerChange returns what a partner feed delivers of the incident's change at stream
// sequence seq: the incident as viewer may see it now, why, and the event types of that change
// the viewer may see; ok=false when the viewer may not see the incident, or nothing of that
// change (a note labelled stricter than it may read), which then is not delivered at all.
func (x *Incidents) PartnerChange(viewer domain.Actor, id string, seq uint64, now time.Time) (s IncidentSummary, why PartnerReason, types []string, ok bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, err := x.lookup(viewer, id)
	if err != nil {
		return IncidentSummary{}, "", nil, false
	}
	k, _ := slices.BinarySearchFunc(m.timeline, seq, func(en entry, seq uint64) int { return compareSeq(en.seq, seq) })
	for ; k < len(m.timeline) && m.timeline[k].seq == seq; k++ {
		if en := &m.timeline[k]; en.visibleTo(viewer, m.aud, x.cfg) {
			types = append(types, en.event.EventType())
		}
	}
	if len(types) == 0 {
		return IncidentSummary{}, "", nil, false
	}
	return x.summary(viewer, m, now), ReasonFor(viewer, m.aud), types, true
}

// Escalation ids and handoff ids of events, for the change feed.
func escalationID(e domain.Event) string {
	switch ev := e.(type) {
	case domain.EscalationAcknowledged:
		return ev.EscalationID
	case domain.EscalationResolved:
		return ev.EscalationID
	}
	return ""
}

func handoffID(e domain.Event) string {
	switch ev := e.(type) {
	case domain.HandoffAcknowledged:
		return ev.HandoffID
	case domain.HandoffAccepted:
		return ev.HandoffID
	case domain.HandoffDeclined:
		return ev.HandoffID
	case domain.HandoffWithdrawn:
		return ev.HandoffID
	case domain.HandoffReturned:
		return ev.HandoffID
	}
	return ""
}
