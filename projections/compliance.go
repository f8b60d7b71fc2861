package projections

import (
	"slices"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

// IncidentObligation is an obligation on an incident the viewer may read.
type IncidentObligation struct {
	domain.Obligation
	IncidentID string
	Title      string
	Drill      bool
}

// Obligations lists every obligation of an incident the viewer may read (owed, met or missed),
// soonest due first; ENOTFOUND otherwise.
func (x *Incidents) Obligations(viewer domain.Actor, id string, now time.Time) ([]IncidentObligation, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, err := x.lookup(viewer, id)
	if err != nil {
		return nil, err
	}
	var out []IncidentObligation
	for _, o := range m.inc.Obligations(x.cfg, now) {
		out = append(out, IncidentObligation{Obligation: o, IncidentID: m.inc.ID, Title: m.inc.Title, Drill: m.inc.Drill})
	}
	return out, nil
}

// OwedBy lists the open obligations org owes on the incidents the viewer may read, soonest due
// first, at most limit of them (0: all). Only the first limit are kept while scanning.
func (x *Incidents) OwedBy(viewer domain.Actor, org string, now time.Time, limit int) []IncidentObligation {
	var out []IncidentObligation
	less := func(a, b IncidentObligation) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return strings.Compare(a.IncidentID+"/"+a.RefID, b.IncidentID+"/"+b.RefID)
	}
	x.ReportScan(viewer, func(i *domain.Incident) {
		if !involves(i, org) {
			return
		}
		for _, o := range i.Obligations(x.cfg, now) {
			if o.OwedBy != org || !o.Status.Open() {
				continue
			}
			io := IncidentObligation{Obligation: o, IncidentID: i.ID, Title: i.Title, Drill: i.Drill}
			if limit <= 0 {
				out = append(out, io)
				continue
			}
			if len(out) == limit && less(io, out[limit-1]) >= 0 {
				continue // later than all kept
			}
			k, _ := slices.BinarySearchFunc(out, io, less)
			out = slices.Insert(out, k, io)
			if len(out) > limit {
				out = out[:limit]
			}
		}
	})
	if limit <= 0 {
		slices.SortFunc(out, less)
	}
	return out
}

// involves reports whether org may owe something on the incident: it holds it, or an
// escalation or handoff was addressed to it.
func involves(i *domain.Incident, org string) bool {
	return i.Origin == org || i.Lead == org || i.Owner == org ||
		slices.ContainsFunc(i.Escalations, func(x *domain.Escalation) bool { return x.To == org }) ||
		slices.ContainsFunc(i.Handoffs, func(h *domain.Handoff) bool { return h.To == org })
}

// KindCompliance counts one kind of obligation an organisation owed.
type KindCompliance struct {
	Kind                                string
	Met, Late, Missed, Pending, Overdue int
}

// Durations summarises how long something took: how many, the median and the longest.
type Durations struct {
	Count       int
	Median, Max time.Duration
}

func summarise(ds []time.Duration) Durations {
	if len(ds) == 0 {
		return Durations{}
	}
	slices.Sort(ds)
	return Durations{Count: len(ds), Median: ds[(len(ds)-1)/2], Max: ds[len(ds)-1]}
}

// Compliance is how an organisation kept its deadlines in a period, over the incidents the
// viewer may read. Drills never count: they are only counted apart.
type Compliance struct {
	Org      string
	From, To time.Time
	// Incidents counts the incidents org held or was addressed on with something due or done in
	// the period; Drills the drill incidents left out.
	Incidents, Drills int
	// Kinds: obligations owed by org that fell due in [From, To), by kind.
	Kinds []KindCompliance
	// Acknowledge: escalations to org raised in the period, from raising to acknowledgement.
	Acknowledge Durations
	// HandOff: incidents org opened in the period, from opening to the first acceptance of a
	// handoff org offered.
	HandOff Durations
	// Close: incidents org owned when they were closed in the period, from opening to closing.
	Close Durations
}

// Compliance computes org's compliance figures for [from, to) at now, as viewer may see them.
func (p *Projector) Compliance(viewer domain.Actor, org string, from, to, now time.Time) Compliance {
	c := Compliance{Org: org, From: from, To: to}
	kinds := map[string]*KindCompliance{}
	count := func(o domain.Obligation) {
		k := kinds[o.Kind]
		if k == nil {
			k = &KindCompliance{Kind: o.Kind}
			kinds[o.Kind] = k
		}
		switch o.Status {
		case domain.ObligationMet:
			k.Met++
		case domain.ObligationLate:
			k.Late++
		case domain.ObligationMissed:
			k.Missed++
		case domain.ObligationPending:
			k.Pending++
		case domain.ObligationOverdue:
			k.Overdue++
		}
	}
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	var ack, handOff, closing []time.Duration
	x := p.Incidents
	x.mu.RLock()
	v := x.viewer(viewer)
	for k := range x.rows {
		r := &x.rows[k]
		i := r.m.inc
		if i.Status == "" || !x.visible(&v, r) || !involves(i, org) {
			continue
		}
		counted := false
		for _, o := range i.Obligations(x.cfg, now) {
			if o.OwedBy == org && in(o.Due) {
				counted = true
				if !i.Drill {
					count(o)
				}
			}
		}
		for _, e := range i.Escalations {
			if e.To == org && in(e.At) {
				counted = true
				if !i.Drill && !e.AckAt.IsZero() {
					ack = append(ack, e.AckAt.Sub(e.At))
				}
			}
		}
		if i.Origin == org && in(i.OpenedAt) {
			counted = true
			for _, en := range r.m.timeline {
				if a, ok := en.event.(domain.HandoffAccepted); ok {
					if h := i.Handoff(a.HandoffID); h != nil && h.From == org && !i.Drill {
						handOff = append(handOff, a.At.Sub(i.OpenedAt))
						break
					}
				}
			}
		}
		if i.Status == domain.IncidentStatusClosed && i.Owner == org && in(i.ClosedAt) {
			counted = true
			if !i.Drill {
				closing = append(closing, i.ClosedAt.Sub(i.OpenedAt))
			}
		}
		switch {
		case counted && i.Drill:
			c.Drills++
		case counted:
			c.Incidents++
		}
	}
	x.mu.RUnlock()
	for _, o := range p.PeriodicObligations(viewer, org, from, to.Add(-time.Nanosecond), now) {
		count(o)
	}
	for _, kind := range []string{domain.DeadlineNotification, domain.ObligationInitialReport, domain.DeadlineEscalationAck, domain.DeadlineHandoffAnswer,
		domain.DeadlineClosingReport, domain.ObligationPeriodicReport} {
		k := kinds[kind]
		if k == nil {
			k = &KindCompliance{Kind: kind}
		}
		c.Kinds = append(c.Kinds, *k)
	}
	c.Acknowledge, c.HandOff, c.Close = summarise(ack), summarise(handOff), summarise(closing)
	return c
}
