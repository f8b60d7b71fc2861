package app

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections"
)

// The readers of the leak matrix. The probe incident is opened by the police's coordinator
// (lan), may be shared with the DIC, names the DIC's chi as a TLP:RED recipient, and carries a
// note labelled RED that only its author may read.
var (
	leakOpener    = actor("police", "lan", domain.RoleCoordinator)
	leakColleague = actor("police", "binh", domain.RoleResponder)
	leakNamed     = actor("dic", "chi", domain.RoleCoordinator)
	leakUnnamed   = actor("dic", "duc", domain.RoleResponder)
	leakOtherUnit = actor("police-pa05", "dung", domain.RoleCoordinator)
	leakOtherArm  = actor("military", "em", domain.RoleCoordinator)
	leakPartner   = actor("vncert", "giang", domain.RolePartner)
	leakReviewer  = actor("subcommittee", "ha", domain.RoleReviewer)
	leakAdmin     = actor("dic", "root", domain.RoleAdmin)
	leakIngest    = actor("soc-dic", "sensor", domain.RoleIngest)
	leakReaders   = []domain.Actor{leakOpener, leakColleague, leakNamed, leakUnnamed, leakOtherUnit, leakOtherArm, leakPartner, leakReviewer, leakAdmin, leakIngest}
)

// leakExpect says, independently of the policy's code, who may read the probe now: admins and
// ingest accounts read no incident; TLP:RED is for the named (the opener, named at opening,
// and chi); AMBER+STRICT for the police, its holder; AMBER for the police and, when shared,
// the DIC; CLEAR and GREEN for every organisation, but a state secret stays with its holder
// and the forces taking part (the DIC, a force, when shared; chi at RED).
func leakExpect(r domain.Actor, tlp domain.TLP, secret, shared bool) bool {
	if r.Role == domain.RoleAdmin || r.Role == domain.RoleIngest {
		return false
	}
	police, dic := r.Org == "police", r.Org == "dic"
	switch tlp {
	case domain.TLPRed:
		return r == leakOpener || r == leakNamed
	case domain.TLPAmberStrict:
		return police
	case domain.TLPAmber:
		return police || dic && shared
	}
	if secret {
		return police || dic && shared
	}
	return true
}

// named reports whether r is named at TLP:RED on the probe: its opener and chi, who alone may
// read its notes labelled RED.
func named(r domain.Actor) bool { return r == leakOpener || r == leakNamed }

// leakOrgExpect says whether an organisation's webhook (a partner of it that no RED list names)
// may see the probe.
func leakOrgExpect(org string, tlp domain.TLP, secret, shared bool) bool {
	if tlp == domain.TLPRed {
		return false
	}
	return leakExpect(actor(org, "webhook", domain.RolePartner), tlp, secret, shared)
}

// TestLeakMatrix crosses the readers with TLP, state secret and sharing over every read path:
// the live board (listing, counts, search), detail and timeline; the past at every access
// change (through today's rights); alerts correlated with or merged into the probe (proposals,
// links, filters, grouped counts); the incident and partner feeds; webhook deliveries; and
// reviews, who-knew-what-when, evidence metadata and downloads.
// Nothing may show what the reader may not read, not even that it exists.
func TestLeakMatrix(t *testing.T) {
	e := MustEnvWithAlerts(t, jetstream.MemoryStorage)
	e.background(t, "checkpoints", func(ctx context.Context) error { return e.store.RunCheckpoints(ctx, nil) })
	ctx := context.Background()
	paths := leakReviewSetup(t, e)
	n := 0
	for _, secret := range []bool{false, true} {
		for _, shared := range []bool{false, true} {
			for _, tlp := range []domain.TLP{domain.TLPClear, domain.TLPGreen, domain.TLPAmber, domain.TLPAmberStrict, domain.TLPRed} {
				n++
				name := fmt.Sprintf("%s/secret=%v/shared=%v", tlp, secret, shared)
				t.Run(name, func(t *testing.T) { leakProbe(t, e, ctx, paths, n, tlp, secret, shared) })
			}
		}
	}
}

func leakProbe(t *testing.T, e *env, ctx context.Context, paths *leakReviewPaths, n int, tlp domain.TLP, secret, shared bool) {
	title := fmt.Sprintf("Leak probe %d", n)
	ip := fmt.Sprintf("198.51.%d.%d", 100+n/250, n%250+1)
	before := time.Now().UTC()
	id := eventstore.NewID()
	open := domain.OpenIncident{Title: title, Type: "MALWARE", Severity: domain.SeverityHigh, TLP: domain.TLPAmber, DetectedAt: before.Add(-time.Hour)}
	if secret {
		open.AffectedSystem = &domain.AffectedSystem{Name: "Mạng nội bộ " + title, InfoClass: domain.InfoSecretSecret, SecurityLevel: 4}
	}
	var changes []uint64 // the sequence of each access change: opening, sharing, naming, TLP
	changes = append(changes, e.do(t, id, leakOpener, open))
	e.do(t, id, leakOpener, domain.AddIndicator{IndicatorID: "ioc", Type: domain.IndicatorIPv4, Value: ip})
	if shared {
		changes = append(changes, e.do(t, id, leakOpener, domain.Share{Orgs: []string{"dic"}}))
	}
	changes = append(changes, e.do(t, id, leakOpener, domain.NameRecipients{Users: []string{"dic/chi"}}))
	redNote := e.do(t, id, leakOpener, domain.AddNote{NoteID: "red", Text: "nguồn tin mật", TLP: domain.TLPRed})
	if tlp != domain.TLPAmber {
		changes = append(changes, e.do(t, id, leakOpener, domain.ChangeTLP{TLP: tlp, Reason: "test"}))
	}
	lp := paths.leakEvidence(t, id) // evidence files, at the incident's TLP and RED (leak_review_test.go)

	// Feeds opened now; then a change everybody who reads the probe sees, one only its author
	// may see (a RED note), and a marker on an incident everybody sees.
	feeds := map[domain.Actor][2]*projections.IncidentSubscription{}
	for _, r := range leakReaders {
		inc, err1 := e.proj.Incidents.Subscribe(r, projections.FeedIncidents, nil, 0, 256)
		par, err2 := e.proj.Incidents.Subscribe(r, projections.FeedPartner, nil, 0, 256)
		if err1 == nil && err2 == nil {
			feeds[r] = [2]*projections.IncidentSubscription{inc, par}
			t.Cleanup(inc.Close)
			t.Cleanup(par.Close)
		}
	}
	visibleSeq := e.do(t, id, leakOpener, domain.AddNote{NoteID: "n2", Text: "cập nhật"})
	redSeq := e.do(t, id, leakOpener, domain.AddNote{NoteID: "red2", Text: "chỉ người viết", TLP: domain.TLPRed})
	marker := eventstore.NewID()
	markerSeq := e.do(t, marker, leakColleague, domain.OpenIncident{Title: "marker", Type: "DOS", Severity: domain.SeverityLow,
		TLP: domain.TLPClear, DetectedAt: before.Add(-time.Hour)})

	// What each reader's counters say once the hidden note is in: they count only what it sees.
	counted := map[domain.Actor]projections.IncidentDetail{}
	entries := map[domain.Actor]int{}
	for _, r := range leakReaders {
		if d, err := e.proj.Incidents.Incident(r, id, time.Now()); err == nil {
			counted[r] = d
			tl, _ := e.proj.Incidents.Timeline(r, id)
			entries[r] = len(tl)
		}
	}
	all := counted[leakOpener] // its author sees everything

	// Alerts: one merged into the probe by its opener, one left NEW with a proposal for it.
	alertIn := func(ref string) string {
		var out domain.IngestOutcome
		fpAlert := domain.ReceiveAlert{Source: "soc-dic", SourceRef: ref, Title: "Kết nối C2 " + ref, Severity: domain.SeverityHigh,
			ObservedAt: time.Now().Add(-time.Minute), TLP: domain.TLPGreen, Indicators: []domain.AlertIndicator{{Type: domain.IndicatorIPv4, Value: ip}}}
		n, src, err := domain.NormaliseAlert(domain.Invocation{Actor: leakIngest, Now: time.Now(), Config: e.cfg}, fpAlert)
		is.New(t).NoErr(err)
		res, err := e.app.Execute(ctx, Request{Actor: leakIngest, AggregateID: domain.FingerprintAlert(src, n),
			Command: domain.IngestAlert{Alert: n, Correlate: func() ([]string, string) { return e.alerts.Correlate(n.Asset, n.Indicators) }},
			Inspect: func(_ domain.Aggregate, rec []domain.Event) { out = domain.OutcomeOf(rec) }})
		is.New(t).NoErr(err)
		is.New(t).NoErr(e.alerts.WaitFor(ctx, res.Sequence))
		return out.AlertID
	}
	grouped := map[domain.Actor]int{}
	for _, r := range leakReaders {
		c, _ := e.alerts.Counts(r)
		grouped[r] = c.Grouped
	}
	merged, proposed := alertIn(fmt.Sprintf("m-%d", n)), alertIn(fmt.Sprintf("p-%d", n))
	_, err := e.app.MergeAlerts(ctx, leakOpener, []string{merged}, id, "")
	is.New(t).NoErr(err)

	// The past, from before the probe existed to now.
	pastAt := func(seq uint64) time.Time {
		cs, err := e.store.LoadCommits(ctx, "incident", id, seq, seq)
		is.New(t).NoErr(err)
		return cs[0].RecordedAt
	}
	var past []*projections.Projector
	for _, seq := range changes {
		p, err := projections.AsOf(ctx, e.store, e.cfg, pastAt(seq))
		is.New(t).NoErr(err)
		p.ThroughTodaysRights(e.proj)
		past = append(past, p)
		one, err := projections.IncidentAsOf(ctx, e.store, e.cfg, id, pastAt(seq))
		is.New(t).NoErr(err)
		one.ThroughTodaysRights(e.proj)
		past = append(past, one)
	}
	earlier, err := projections.IncidentAsOf(ctx, e.store, e.cfg, id, before.Add(-time.Hour))
	is.New(t).NoErr(err)
	earlier.ThroughTodaysRights(e.proj)

	hooks := &Webhooks{proj: e.proj, Now: time.Now}
	proofs := NewTransparency(e.store, nil, e.proj, nil)
	reports := NewReports(e.store, e.proj, e.cfg, nil)
	for deadline := time.Now().Add(10 * time.Second); ; { // the checkpointer covers the probe within a second
		if cp, err := e.store.LatestCheckpoint(ctx); err == nil && uint64(cp.Size) >= markerSeq {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint covered the probe")
		}
		time.Sleep(20 * time.Millisecond)
	}
	signed := lp.leakReview(t, e) // a review of the probe, signed once every reader's feed is open
	for _, r := range leakReaders {
		t.Run(r.Org+"/"+r.User, func(t *testing.T) {
			is := is.New(t)
			want := leakExpect(r, tlp, secret, shared)

			// Live: board, counts and search, detail, timeline.
			b, err := e.proj.Incidents.Board(r, projections.BoardQuery{First: 10, Filter: projections.BoardFilter{Text: title}})
			is.NoErr(err)
			is.Equal(b.TotalCount == 1, want) // listed and counted iff readable
			d, err := e.proj.Incidents.Incident(r, id, time.Now())
			is.Equal(err == nil, want) // detail iff readable
			if err != nil {
				is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // indistinguishable from absent
			} else {
				is.Equal(slices.ContainsFunc(d.Notes, func(x domain.Note) bool { return x.ID == "red" }), named(r)) // RED note for its author and the named only
				is.Equal(len(d.Recipients) > 1, r == leakOpener)                                                    // the list of the named only for those who steer it
				c := counted[r]
				is.Equal(c.Version, entries[r]) // the version counts the timeline the reader sees
				if named(r) {
					is.Equal(c.Sequence, redSeq) // the last change it sees
				} else {
					is.Equal(c.Sequence, visibleSeq)         // no counter counts the hidden notes
					is.True(c.Version <= all.Version-2)      // nor the number of events
					is.True(!c.UpdatedAt.After(d.UpdatedAt)) // nor when it changed
				}
			}
			_, err = e.proj.Incidents.Timeline(r, id)
			is.Equal(err == nil, want) // timeline iff readable

			// The past at every access change, through today's rights; nothing before it existed.
			for _, p := range past {
				_, err := p.Incidents.Incident(r, id, time.Now())
				is.Equal(err == nil, want) // readable in the past iff readable now
				if pb, err := p.Incidents.Board(r, projections.BoardQuery{First: 10, Filter: projections.BoardFilter{Text: title}}); err == nil {
					is.True(pb.TotalCount == 0 || want) // a past board lists it only for today's readers
				}
			}
			_, err = earlier.Incidents.Incident(r, id, time.Now())
			is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // before it was opened, for everybody

			// Alerts that name the probe: proposals, links, filters and grouped counts.
			if v, err := e.alerts.Alert(r, proposed); err == nil {
				is.Equal(slices.Contains(v.Proposed, id), want) // a proposal names it only for its readers
				c, _ := e.alerts.Counts(r)
				is.Equal(c.Grouped-grouped[r] == 1, want) // the grouped count moves only for them
			}
			if v, err := e.alerts.Alert(r, merged); err == nil {
				is.Equal(v.Incident == id, want) // the link too
				page, err := e.alerts.List(r, projections.AlertFilter{Incident: id}, 10, "")
				is.NoErr(err)
				is.Equal(page.TotalCount > 0, want) // and the filter by incident
			}

			// Feeds: the visible change arrives iff readable, the RED-only one only to its author,
			// both before the marker.
			if subs, ok := feeds[r]; ok {
				for _, s := range subs {
					var got []uint64
					for seen := false; !seen; {
						select {
						case c := <-s.C:
							if c.IncidentID == id && !c.Removed {
								got = append(got, c.Sequence)
							}
							seen = c.Sequence >= markerSeq
						case <-time.After(10 * time.Second):
							t.Fatal("the marker never arrived")
						}
					}
					is.Equal(slices.Contains(got, visibleSeq), want)         // a change arrives iff readable
					is.Equal(slices.Contains(got, redSeq), want && named(r)) // a hidden change never arrives, not even empty
				}
			}

			// Inclusion proofs: only for a commit the reader received; the stored commit only when
			// it may see all of it.
			in, err := proofs.InclusionProof(ctx, r, visibleSeq, 0)
			is.Equal(err == nil, want) // a proof of what it received
			if err != nil {
				is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // and nothing else, as if absent
			} else {
				is.True(in.Commit != "") // the whole commit: it may see every event of it
			}
			in, err = proofs.InclusionProof(ctx, r, redSeq, 0)
			is.Equal(err == nil, want && named(r)) // the RED note's commit only for whom received it
			is.True(err != nil || in.Commit != "")

			// Reports and deadlines: Mẫu 03 and the incident's obligations iff readable (as if absent
			// otherwise); the probe counted in Mẫu 05 and owed deadlines only for its readers.
			_, err = reports.Generate(ctx, r, ReportRequest{Form: "MAU_03", IncidentID: id, Format: "csv"})
			is.Equal(err == nil, want) // a report of what it may read
			if err != nil {
				is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // and nothing else
			}
			_, err = e.proj.Incidents.Obligations(r, id, time.Now())
			is.Equal(err == nil, want) // deadlines iff readable
			counted := false
			e.proj.Incidents.ReportScan(r, func(i *domain.Incident) { counted = counted || i.ID == id })
			is.Equal(counted, want) // Mẫu 05 and compliance count it iff readable
			owed := e.proj.Incidents.OwedBy(r, "police", time.Now(), 0)
			listed := slices.ContainsFunc(owed, func(o projections.IncidentObligation) bool { return o.IncidentID == id })
			is.True(!listed || want) // owed deadlines only for its readers
			if !secret {
				is.Equal(listed, want) // (a state secret owes no TT20 notification, so nothing is listed)
			}

			// Webhooks of the reader's organisation (a partner of it that no RED list names).
			h := projections.WebhookInfo{ID: "w-" + r.Org, Org: r.Org}
			for _, seq := range []uint64{visibleSeq, redSeq} {
				cs, err := e.store.LoadCommits(ctx, "incident", id, seq, seq)
				is.NoErr(err)
				_, sent := hooks.payload(h, seq, cs[0], nil)
				is.Equal(sent, seq == visibleSeq && leakOrgExpect(r.Org, tlp, secret, shared)) // delivered iff the organisation may see it
			}

			// Reviews, who knew what when, evidence metadata and downloads.
			lp.check(t, e, r, want, []uint64{redNote, redSeq}, signed)
		})
	}
}
