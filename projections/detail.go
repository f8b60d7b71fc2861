package projections

import (
	"slices"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/projections/timeline"
)

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
	Version        int // number of events
}

func (p *Projector) lookup(viewer domain.Actor, id string) (*incidentModel, error) {
	m, ok := p.incidents[id]
	if !ok || m.inc.Status == "" || !p.sees(p.viewer(viewer), m) {
		// The same answer whether it does not exist or may not be seen: existence is information.
		return nil, domain.Errorf(domain.ENOTFOUND, "incident %q not found", id)
	}
	return m, nil
}

// Incident returns the detail of an incident the viewer may read; ENOTFOUND otherwise.
func (p *Projector) Incident(viewer domain.Actor, id string, now time.Time) (IncidentDetail, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	m, err := p.lookup(viewer, id)
	if err != nil {
		return IncidentDetail{}, err
	}
	return p.detail(viewer, m, now), nil
}

func (p *Projector) detail(viewer domain.Actor, m *incidentModel, now time.Time) IncidentDetail {
	i := m.inc
	d := IncidentDetail{IncidentSummary: p.summary(m, now), Description: i.Description, RSITClass: i.RSITClass, RSITType: i.RSITType,
		PAP: i.PAP, DetectedAt: i.DetectedAt, Source: i.Source, AlertIDs: slices.Clone(i.AlertIDs), Shared: slices.Clone(i.Shared),
		Recipients: slices.Clone(i.Recipients), Resolution: i.Resolution, CloseSummary: i.CloseSummary, Reopened: i.Reopened,
		Version: len(m.timeline)}
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
		if domain.CanReadItem(viewer, m.aud, n.TLP, n.Author, p.cfg) {
			d.Notes = append(d.Notes, n)
		}
	}
	for _, x := range i.Indicators {
		if domain.CanReadItem(viewer, m.aud, x.TLP, x.Author, p.cfg) {
			d.Indicators = append(d.Indicators, x)
		}
	}
	for _, x := range i.Escalations {
		d.Escalations = append(d.Escalations, *x)
	}
	for _, h := range i.Handoffs {
		c := *h
		if !p.handoffReadable(viewer, m, h) {
			c.Summary, c.RequestedAction = "", "" // labelled stricter than the viewer may read
		}
		d.Handoffs = append(d.Handoffs, c)
	}
	return d
}

// handoffReadable reports whether the viewer may read a handoff's summary and requested action,
// which its TLP labels: the offering and the addressed organisations may, others as for a note.
func (p *Projector) handoffReadable(viewer domain.Actor, m *incidentModel, h *domain.Handoff) bool {
	return viewer.Org == h.From || viewer.Org == h.To || domain.CanReadItem(viewer, m.aud, h.TLP, h.By, p.cfg)
}

// TimelineEntry is one event of an incident's timeline.
type TimelineEntry struct {
	Sequence   uint64
	Index      int
	At         time.Time // recorded by the log (UTC); timeline.LocalTime shows it in Asia/Ho_Chi_Minh
	OccurredAt time.Time
	Type       string
	Actor      domain.Actor
	TextVi     string
	TextEn     string
}

// Timeline returns every event of an incident in order, each as a sentence in Vietnamese and
// English. Notes and indicators the viewer may not read (stricter TLP) are left out.
func (p *Projector) Timeline(viewer domain.Actor, id string) ([]TimelineEntry, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	m, err := p.lookup(viewer, id)
	if err != nil {
		return nil, err
	}
	out := make([]TimelineEntry, 0, len(m.timeline))
	for _, e := range m.timeline {
		if e.item && !domain.CanReadItem(viewer, m.aud, e.itemTLP, e.actor, p.cfg) {
			continue
		}
		ev := e.event
		if off, ok := ev.(domain.HandoffOffered); ok && off.RequestedAction != "" {
			if h := m.inc.Handoff(off.HandoffID); h != nil && !p.handoffReadable(viewer, m, h) {
				off.RequestedAction = "" // the sentence quotes it; its TLP is stricter than the viewer's
				ev = off
			}
		}
		s := timeline.Sentence(ev, e.actor, p.cfg)
		out = append(out, TimelineEntry{Sequence: e.seq, Index: e.index, At: e.recordedAt, OccurredAt: e.occurredAt,
			Type: e.event.EventType(), Actor: e.actor, TextVi: s.Vi, TextEn: s.En})
	}
	return out, nil
}

// QueueItem is an escalation waiting on an organisation, or a handoff offered to it.
type QueueItem struct {
	IncidentID    string
	IncidentTitle string
	Severity      domain.Severity
	TLP           domain.TLP // the incident's
	HandoffTLP    domain.TLP // a handoff's own, labelling its summary (Reason); "" for escalations
	Drill         bool
	ID            string // escalation or handoff id
	From          string
	To            string
	Reason        string // escalation reason or handoff summary
	Deadline      time.Time
	Status        string
	Overdue       bool
	TimeLeft      time.Duration // negative when overdue
	// AcknowledgedAt: when the addressee acknowledged the escalation or confirmed receipt of the
	// handoff; zero when it has not.
	AcknowledgedAt time.Time
}

// EscalationQueue lists the escalations addressed to the viewer's organisation that wait for
// acknowledgement (and, with acknowledged, those acknowledged but not resolved), overdue first,
// then by deadline.
func (p *Projector) EscalationQueue(viewer domain.Actor, acknowledged bool, now time.Time) []QueueItem {
	v := p.viewer(viewer)
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []QueueItem
	for n := range p.rows {
		m := p.rows[n].m
		if !slices.Contains(m.aud.EscalatedTo, viewer.Org) || !p.sees(v, m) {
			continue
		}
		for _, x := range m.inc.Escalations {
			if x.To != viewer.Org || !(x.Status == domain.EscalationStatusPending || acknowledged && x.Status == domain.EscalationStatusAcknowledged) {
				continue
			}
			out = append(out, QueueItem{IncidentID: m.inc.ID, IncidentTitle: m.inc.Title, Severity: m.inc.Severity, TLP: m.inc.TLP,
				Drill: m.inc.Drill, ID: x.ID, From: x.From, To: x.To, Reason: x.Reason, Deadline: x.Deadline, Status: string(x.Status),
				Overdue: x.Status == domain.EscalationStatusPending && now.After(x.Deadline), TimeLeft: x.Deadline.Sub(now), AcknowledgedAt: x.AckAt})
		}
	}
	sortQueue(out)
	return out
}

// HandoffInbox lists the handoffs offered to the viewer's organisation and not yet answered.
func (p *Projector) HandoffInbox(viewer domain.Actor, now time.Time) []QueueItem {
	v := p.viewer(viewer)
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []QueueItem
	for n := range p.rows {
		m := p.rows[n].m
		if !slices.Contains(m.aud.HandoffTo, viewer.Org) || !p.sees(v, m) {
			continue
		}
		for _, h := range m.inc.Handoffs {
			if h.To != viewer.Org || h.Status != domain.HandoffStatusOffered {
				continue
			}
			out = append(out, QueueItem{IncidentID: m.inc.ID, IncidentTitle: m.inc.Title, Severity: m.inc.Severity, TLP: m.inc.TLP,
				HandoffTLP: h.TLP, Drill: m.inc.Drill, ID: h.ID, From: h.From, To: h.To, Reason: h.Summary, Deadline: h.Deadline,
				Status: string(h.Status), Overdue: now.After(h.Deadline), TimeLeft: h.Deadline.Sub(now), AcknowledgedAt: h.AcknowledgedAt})
		}
	}
	sortQueue(out)
	return out
}

func sortQueue(q []QueueItem) {
	slices.SortFunc(q, func(a, b QueueItem) int {
		if a.Overdue != b.Overdue {
			if a.Overdue {
				return -1
			}
			return 1
		}
		if c := a.Deadline.Compare(b.Deadline); c != 0 {
			return c
		}
		if a.IncidentID != b.IncidentID {
			if a.IncidentID < b.IncidentID {
				return -1
			}
			return 1
		}
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
}

// IncidentOfEscalation returns the incident an escalation belongs to, if the viewer may read it.
func (p *Projector) IncidentOfEscalation(viewer domain.Actor, escalationID string) (string, error) {
	return p.owner(viewer, p.escalations, escalationID, "escalation")
}

// IncidentOfHandoff returns the incident a handoff belongs to, if the viewer may read it.
func (p *Projector) IncidentOfHandoff(viewer domain.Actor, handoffID string) (string, error) {
	return p.owner(viewer, p.handoffs, handoffID, "handoff")
}

func (p *Projector) owner(viewer domain.Actor, index map[string]string, id, what string) (string, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	inc, ok := index[id]
	if ok {
		if _, err := p.lookup(viewer, inc); err == nil {
			return inc, nil
		}
	}
	return "", domain.Errorf(domain.ENOTFOUND, "%s %q not found", what, id)
}

// Summary returns the board row of an incident the viewer may read; ENOTFOUND otherwise. It is
// far cheaper than Incident (no notes or indicators are copied and checked), for feeds that
// only need to know whether and how an incident shows.
func (p *Projector) Summary(viewer domain.Actor, id string, now time.Time) (IncidentSummary, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	m, err := p.lookup(viewer, id)
	if err != nil {
		return IncidentSummary{}, err
	}
	return p.summary(m, now), nil
}

// Matches reports whether an incident passes the filter's status, phase, severity, type,
// sector, TLP, drill and title-word parts exactly as the board applies them (the organisation
// part needs the audience and is applied by the change feed).
func (f *BoardFilter) Matches(s IncidentSummary) bool {
	if len(f.Status) > 0 && !slices.Contains(f.Status, s.Status) ||
		len(f.Phase) > 0 && !slices.Contains(f.Phase, s.Phase) ||
		len(f.Severity) > 0 && !slices.Contains(f.Severity, s.Severity) ||
		len(f.Type) > 0 && !slices.Contains(f.Type, s.Type) ||
		len(f.Sector) > 0 && !slices.Contains(f.Sector, s.Sector) ||
		len(f.TLP) > 0 && !slices.Contains(f.TLP, s.TLP) ||
		f.Drill != nil && *f.Drill != s.Drill {
		return false
	}
	if f.Text == "" {
		return true
	}
	have := titleWords(strings.ToLower(s.Title))
	for _, w := range titleWords(strings.ToLower(f.Text)) {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
