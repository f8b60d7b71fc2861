package projections

import (
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/projections/timeline"
)

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
// English. Notes, indicators and evidence the viewer may not read (stricter TLP) are left out.
func (x *Incidents) Timeline(viewer domain.Actor, id string) ([]TimelineEntry, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, err := x.lookup(viewer, id)
	if err != nil {
		return nil, err
	}
	out := make([]TimelineEntry, 0, len(m.timeline))
	for k := range m.timeline {
		if e := &m.timeline[k]; e.visibleTo(viewer, m.aud, x.cfg) {
			out = append(out, x.timelineEntry(viewer, m, e))
		}
	}
	return out, nil
}

// timelineEntry writes one entry the viewer may see as its sentences.
func (x *Incidents) timelineEntry(viewer domain.Actor, m *incidentModel, e *entry) TimelineEntry {
	ev := e.event
	if off, ok := ev.(domain.HandoffOffered); ok && off.RequestedAction != "" {
		if h := m.inc.Handoff(off.HandoffID); h != nil && !x.handoffReadable(viewer, m, h) {
			off.RequestedAction = "" // the sentence quotes it; its TLP is stricter than the viewer's
			ev = off
		}
	}
	text := timeline.Sentence(ev, e.actor, x.cfg)
	return TimelineEntry{Sequence: e.seq, Index: e.index, At: e.recordedAt, OccurredAt: e.occurredAt,
		Type: e.event.EventType(), Actor: e.actor, TextVi: text.Vi, TextEn: text.En}
}
