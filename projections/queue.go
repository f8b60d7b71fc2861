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
	v := x.viewer(viewer)
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []QueueItem
	for n := range x.rows {
		m := x.rows[n].m
		if !slices.Contains(m.aud.EscalatedTo, viewer.Org) || !x.sees(v, m) {
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
func (x *Incidents) HandoffInbox(viewer domain.Actor, now time.Time) []QueueItem {
	v := x.viewer(viewer)
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []QueueItem
	for n := range x.rows {
		m := x.rows[n].m
		if !slices.Contains(m.aud.HandoffTo, viewer.Org) || !x.sees(v, m) {
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
