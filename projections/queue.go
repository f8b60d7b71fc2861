package projections

import (
	"slices"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

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
func (x *Incidents) EscalationQueue(viewer domain.Actor, acknowledged bool, now time.Time) []QueueItem {
	return x.queue(viewer, func(a domain.Audience) []string { return a.EscalatedTo }, func(m *incidentModel, add func(QueueItem)) {
		for _, e := range m.inc.Escalations {
			if e.To != viewer.Org || !(e.Status == domain.EscalationStatusPending || acknowledged && e.Status == domain.EscalationStatusAcknowledged) {
				continue
			}
			add(QueueItem{ID: e.ID, From: e.From, To: e.To, Reason: e.Reason, Deadline: e.Deadline, Status: string(e.Status),
				Overdue: e.Status == domain.EscalationStatusPending && now.After(e.Deadline), TimeLeft: e.Deadline.Sub(now), AcknowledgedAt: e.AckAt})
		}
	})
}

// HandoffInbox lists the handoffs offered to the viewer's organisation and not yet answered.
func (x *Incidents) HandoffInbox(viewer domain.Actor, now time.Time) []QueueItem {
	return x.queue(viewer, func(a domain.Audience) []string { return a.HandoffTo }, func(m *incidentModel, add func(QueueItem)) {
		for _, h := range m.inc.Handoffs {
			if h.To != viewer.Org || h.Status != domain.HandoffStatusOffered {
				continue
			}
			add(QueueItem{HandoffTLP: h.TLP, ID: h.ID, From: h.From, To: h.To, Reason: h.Summary, Deadline: h.Deadline,
				Status: string(h.Status), Overdue: now.After(h.Deadline), TimeLeft: h.Deadline.Sub(now), AcknowledgedAt: h.AcknowledgedAt})
		}
	})
}

// queue walks the incidents the viewer may see whose audience (addressed) names the viewer's
// organisation; items adds their queue items, which get the incident's fields here.
func (x *Incidents) queue(viewer domain.Actor, addressed func(domain.Audience) []string, items func(*incidentModel, func(QueueItem))) []QueueItem {
	v := x.viewer(viewer)
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []QueueItem
	for n := range x.rows {
		m := x.rows[n].m
		if !slices.Contains(addressed(m.aud), viewer.Org) || !x.sees(v, m) {
			continue
		}
		items(m, func(q QueueItem) {
			q.IncidentID, q.IncidentTitle, q.Severity, q.TLP, q.Drill = m.inc.ID, m.inc.Title, m.inc.Severity, m.inc.TLP, m.inc.Drill
			out = append(out, q)
		})
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
func (x *Incidents) IncidentOfEscalation(viewer domain.Actor, escalationID string) (string, error) {
	return x.owner(viewer, x.escalations, escalationID, "escalation")
}

// IncidentOfHandoff returns the incident a handoff belongs to, if the viewer may read it.
func (x *Incidents) IncidentOfHandoff(viewer domain.Actor, handoffID string) (string, error) {
	return x.owner(viewer, x.handoffs, handoffID, "handoff")
}

func (x *Incidents) owner(viewer domain.Actor, index map[string]string, id, what string) (string, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	inc, ok := index[id]
	if ok {
		if _, err := x.lookup(viewer, inc); err == nil {
			return inc, nil
		}
	}
	return "", domain.Errorf(domain.ENOTFOUND, "%s %q not found", what, id)
}
