package projections

import (
	"github.com/dieuphoi/dieuphoi/domain"
)

// evidenceEntry marks the timeline entry of an evidence event as an item under the evidence's
// TLP, authored by its collector (who may always see it, as the author of a note), and indexes
// new evidence. inc is the incident after the event.
func (x *Incidents) evidenceEntry(en *entry, inc *domain.Incident, incidentID string) {
	var id string
	switch ev := en.event.(type) {
	case domain.EvidenceAdded:
		id = ev.EvidenceID
		x.evidence[id] = incidentID
	case domain.EvidenceCustodyTransferred:
		id = ev.EvidenceID
	case domain.EvidenceDownloaded:
		id = ev.EvidenceID
	default:
		return
	}
	if item := inc.EvidenceItem(id); item != nil {
		by := item.CollectedBy
		en.item, en.itemTLP, en.author = true, item.TLP, &by
	}
}

// Evidence lists the evidence files of an incident the viewer may see, with their chain of
// custody and downloads; ENOTFOUND for an incident the viewer may not read.
func (x *Incidents) Evidence(viewer domain.Actor, incidentID string) ([]domain.Evidence, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, err := x.lookup(viewer, incidentID)
	if err != nil {
		return nil, err
	}
	return m.inc.VisibleEvidence(viewer, m.aud, x.cfg), nil
}

// EvidenceFile returns one evidence file the viewer may see and its incident; ENOTFOUND, the same
// for a file that does not exist and one the viewer may not see.
func (x *Incidents) EvidenceFile(viewer domain.Actor, evidenceID string) (domain.Evidence, string, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	notFound := domain.Errorf(domain.ENOTFOUND, "evidence %q not found", evidenceID)
	incID, ok := x.evidence[evidenceID]
	if !ok {
		return domain.Evidence{}, "", notFound
	}
	m, err := x.lookup(viewer, incID)
	if err != nil {
		return domain.Evidence{}, "", notFound
	}
	for _, ev := range m.inc.VisibleEvidence(viewer, m.aud, x.cfg) {
		if ev.ID == evidenceID {
			return ev, incID, nil
		}
	}
	return domain.Evidence{}, "", notFound
}

// AllEvidence calls fn with every evidence file of every incident, whoever may see it: for
// `dieuphoi verify`, which checks the stored files against the log, never for a reader.
func (x *Incidents) AllEvidence(fn func(incidentID string, ev domain.Evidence)) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for evID, incID := range x.evidence {
		if m, ok := x.incidents[incID]; ok {
			if item := m.inc.EvidenceItem(evID); item != nil {
				fn(incID, *item)
			}
		}
	}
}
