package projections

import (
	"slices"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/projections/timeline"
)

// Knowledge is who knew what when about one incident, derived from its log as of a moment: for
// each organisation, when it could read the incident and through what, what it was asked to do,
// how it answered against each deadline, and what it recorded.
type Knowledge struct {
	IncidentID string
	AsOf       time.Time
	Sequence   uint64 // the incident's last commit taken into account
	Orgs       []OrgKnowledge
}

// OrgKnowledge is one organisation's part.
type OrgKnowledge struct {
	Org         string
	FirstAccess *AccessChange // nil: it never could read the incident (as far as the reader may know)
	Access      []AccessChange
	Requests    []ActionRequest
	Recorded    []TimelineEntry // what it recorded that the reader may see
}

// AccessChange is a moment an organisation came to read the incident, or stopped.
type AccessChange struct {
	Sequence uint64
	At       time.Time
	Gained   bool
	Via      string // timeline.Via*
	By       domain.Actor
	Text     timeline.Text
}

// ActionRequest is something an organisation was asked to do: acknowledge an escalation or
// answer a handoff, with its deadline and how late the answer came.
type ActionRequest struct {
	Kind           string // "ESCALATION" or "HANDOFF"
	ID             string
	From           string
	Sequence       uint64
	At             time.Time
	Deadline       time.Time
	AcknowledgedAt time.Time // zero: not acknowledged (escalations: the answer the deadline is about)
	AnsweredAt     time.Time // handoffs: accepted or declined; escalations: resolved
	Outcome        string    // the escalation's or handoff's status at the moment of the view
	Late           time.Duration
	Overdue        time.Duration // no answer and past the deadline, at the moment of the view
	Text           timeline.Text
}

// WhoKnewWhat derives the view of an incident the viewer may read now (through today's rights:
// items it may not read today stay out, whenever they were written), from the incident's commits
// recorded at or before asOf (zero: now) and at or below upTo (0: no bound). Access through TLP:RED
// naming concerns named people: only those who steer the incident see it for other
// organisations. ENOTFOUND for an incident the viewer may not read or that was not open then.
func (x *Incidents) WhoKnewWhat(viewer domain.Actor, id string, asOf time.Time, upTo uint64) (Knowledge, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, err := x.lookup(viewer, id)
	if err != nil {
		return Knowledge{}, err
	}
	if asOf.IsZero() {
		asOf = time.Now()
	}
	k := Knowledge{IncidentID: id, AsOf: asOf.UTC()}
	b := knowledgeBuilder{x: x, viewer: viewer, manages: domain.CanManage(viewer, m.aud, x.cfg), orgs: map[string]*OrgKnowledge{},
		inc: domain.NewIncident(id), readable: map[string]bool{}}
	n := 0
	for n < len(m.timeline) && !m.timeline[n].recordedAt.After(asOf) && (upTo == 0 || m.timeline[n].seq <= upTo) {
		n++
	}
	if n == 0 {
		return Knowledge{}, domain.Errorf(domain.ENOTFOUND, "incident %q not found", id)
	}
	for start := 0; start < n; {
		end := start + 1
		for end < n && m.timeline[end].seq == m.timeline[start].seq {
			end++
		}
		b.commit(m.timeline[start:end])
		start = end
	}
	k.Sequence = m.timeline[n-1].seq
	for _, e := range m.timeline[:n] {
		if e.actor.Org != "" && e.visibleTo(viewer, m.aud, x.cfg) {
			o := b.org(e.actor.Org)
			o.Recorded = append(o.Recorded, x.timelineEntry(viewer, m, &e))
		}
	}
	b.requests(asOf)
	for _, slug := range b.order {
		o := b.orgs[slug]
		if len(o.Access) == 0 && len(o.Requests) == 0 && len(o.Recorded) == 0 {
			continue
		}
		for i := range o.Access {
			if o.Access[i].Gained {
				first := o.Access[i]
				o.FirstAccess = &first
				break
			}
		}
		k.Orgs = append(k.Orgs, *o)
	}
	return k, nil
}

// knowledgeBuilder replays the incident commit by commit, noting each organisation's access.
type knowledgeBuilder struct {
	x        *Incidents
	viewer   domain.Actor
	manages  bool
	inc      *domain.Incident
	aud      domain.Audience
	started  bool
	readable map[string]bool // by organisation, after the last commit
	orgs     map[string]*OrgKnowledge
	order    []string // organisations in the order they appear
	seqOf    map[string]uint64
	answered map[string]time.Time // handoff id -> when it was accepted or declined
}

func (b *knowledgeBuilder) org(slug string) *OrgKnowledge {
	o, ok := b.orgs[slug]
	if !ok {
		o = &OrgKnowledge{Org: slug}
		b.orgs[slug] = o
		b.order = append(b.order, slug)
	}
	return o
}

// commit applies one commit's entries and records who gained or lost access through it.
func (b *knowledgeBuilder) commit(es []entry) {
	if b.seqOf == nil {
		b.seqOf, b.answered = map[string]uint64{}, map[string]time.Time{}
	}
	for _, e := range es {
		b.inc.Replay(e.event)
		switch ev := e.event.(type) {
		case domain.IncidentEscalated:
			b.seqOf["e/"+ev.EscalationID] = e.seq
		case domain.HandoffOffered:
			b.seqOf["h/"+ev.HandoffID] = e.seq
		case domain.HandoffAccepted:
			b.answered[ev.HandoffID] = ev.At
		case domain.HandoffDeclined:
			b.answered[ev.HandoffID] = ev.At
		}
	}
	if b.started && !slices.ContainsFunc(es, func(e entry) bool { return !accessNeutral(e.event) }) {
		return // nothing in the commit can change who may read
	}
	aud := b.inc.Audience()
	if b.started && sameAudience(aud, b.aud) {
		return
	}
	before := b.aud
	b.started, b.aud = true, aud
	cfg := b.x.cfg
	for _, o := range cfg.Organisations {
		now := domain.OrgMayRead(o.Slug, aud, cfg)
		if now == b.readable[o.Slug] {
			continue
		}
		b.readable[o.Slug] = now
		via := accessVia(o.Slug, now, es, aud)
		// Who is named at TLP:RED is itself restricted: only those who steer the incident learn
		// it of other organisations.
		red := aud.TLP == domain.TLPRed || before.TLP == domain.TLPRed
		if red && !b.manages && o.Slug != b.viewer.Org {
			continue
		}
		by := es[0].actor
		ac := AccessChange{Sequence: es[0].seq, At: es[0].recordedAt, Gained: now, Via: via, By: by,
			Text: timeline.Access(o.Slug, now, via, by, es[0].recordedAt, cfg)}
		org := b.org(o.Slug)
		org.Access = append(org.Access, ac)
	}
}

// accessVia says which event of a commit brought org in (gained) or took it out.
func accessVia(org string, gained bool, es []entry, aud domain.Audience) string {
	for _, e := range es {
		switch ev := e.event.(type) {
		case domain.IncidentOpened:
			if ev.By.Org == org {
				return timeline.ViaOpened
			}
			return timeline.ViaCommunity
		case domain.IncidentShared:
			if slices.Contains(ev.Orgs, org) {
				return timeline.ViaShared
			}
		case domain.IncidentEscalated:
			if ev.To == org {
				return timeline.ViaEscalated
			}
		case domain.HandoffOffered:
			if ev.To == org {
				return timeline.ViaHandoff
			}
		case domain.HandoffAccepted:
			if !gained && ev.OriginReleased {
				return timeline.ViaHandoff
			}
		case domain.HandoffDeclined, domain.HandoffWithdrawn, domain.HandoffDeadlineMissed:
			if !gained {
				return timeline.ViaHandoffEnded
			}
		case domain.RecipientsNamed:
			if slices.ContainsFunc(ev.Users, func(k string) bool { return strings.HasPrefix(k, org+"/") }) {
				return timeline.ViaNamed
			}
		case domain.LeadAssigned:
			if ev.Org == org || ev.Previous == org {
				return timeline.ViaLead
			}
		case domain.TLPChanged:
			return timeline.ViaTLP
		case domain.IncidentClassified:
			return timeline.ViaClassified
		}
	}
	if gained && (aud.TLP == domain.TLPClear || aud.TLP == domain.TLPGreen) {
		return timeline.ViaCommunity
	}
	return timeline.ViaOther
}

// requests lists the escalations and handoffs addressed to each organisation, with lateness as
// of asOf.
func (b *knowledgeBuilder) requests(asOf time.Time) {
	for _, x := range b.inc.Escalations {
		r := ActionRequest{Kind: "ESCALATION", ID: x.ID, From: x.From, Sequence: b.seqOf["e/"+x.ID], At: x.At, Deadline: x.Deadline,
			AcknowledgedAt: x.AckAt, AnsweredAt: x.ResolvedAt, Outcome: string(x.Status)}
		if !x.AckAt.IsZero() {
			r.Late = max(0, x.AckAt.Sub(x.Deadline))
		} else if asOf.After(x.Deadline) && x.Status != domain.EscalationStatusResolved {
			r.Overdue = asOf.Sub(x.Deadline)
		}
		r.Text = timeline.Request(timeline.RequestFacts{Escalation: true, At: r.At, Deadline: r.Deadline, AcknowledgedAt: r.AcknowledgedAt,
			AnsweredAt: r.AnsweredAt, Outcome: r.Outcome, Late: r.Late, Overdue: r.Overdue})
		o := b.org(x.To)
		o.Requests = append(o.Requests, r)
	}
	for _, h := range b.inc.Handoffs {
		r := ActionRequest{Kind: "HANDOFF", ID: h.ID, From: h.From, Sequence: b.seqOf["h/"+h.ID], At: h.At, Deadline: h.Deadline,
			AcknowledgedAt: h.AcknowledgedAt, AnsweredAt: b.answered[h.ID], Outcome: string(h.Status)}
		switch {
		case !r.AnsweredAt.IsZero():
			r.Late = max(0, r.AnsweredAt.Sub(h.Deadline))
		case h.Status == domain.HandoffStatusExpired:
			r.Overdue = max(0, h.UpdatedAt.Sub(h.Deadline))
		case h.Status == domain.HandoffStatusOffered && asOf.After(h.Deadline):
			r.Overdue = asOf.Sub(h.Deadline)
		}
		r.Text = timeline.Request(timeline.RequestFacts{At: r.At, Deadline: r.Deadline, AcknowledgedAt: r.AcknowledgedAt,
			AnsweredAt: r.AnsweredAt, Outcome: r.Outcome, Late: r.Late, Overdue: r.Overdue})
		o := b.org(h.To)
		o.Requests = append(o.Requests, r)
	}
}

// accessNeutral reports whether an event can never change who may read an incident (notes,
// indicators, acknowledgements, phases, evidence, reports): the audience is not recomputed for
// commits made only of such events. An event not listed is assumed to matter.
func accessNeutral(e domain.Event) bool {
	switch e.(type) {
	case domain.NoteAdded, domain.IndicatorAdded, domain.EscalationAcknowledged, domain.EscalationResolved,
		domain.EscalationReminderDue, domain.HandoffAcknowledged, domain.HandoffReminderDue, domain.PhaseChanged,
		domain.EvidenceAdded, domain.EvidenceCustodyTransferred, domain.EvidenceDownloaded, domain.ReportSubmitted,
		domain.NotificationRecorded, domain.NotificationDeadlineMissed, domain.ClosingReportOverdue,
		domain.IncidentClosed, domain.IncidentReopened, domain.IncidentAlertsMerged, domain.IncidentAlertDetached:
		return true
	}
	return false
}
