package projections

import (
	"slices"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
)

// The reader kinds of the issue: originator, shared-with, same force (another unit), other
// force, partner CERT, subcommittee; plus the originator's named recipient and an unnamed
// colleague of the originator (for TLP:RED).
var (
	opener      = actor("police", "an", domain.RoleCoordinator)
	colleague   = actor("police", "binh", domain.RoleResponder)
	sharedWith  = actor("dic", "chi", domain.RoleCoordinator)
	sameForce   = actor("police-pa05", "dung", domain.RoleCoordinator)
	otherForce  = actor("military", "em", domain.RoleCoordinator)
	partnerCERT = actor("vncert", "giang", domain.RolePartner)
	subcomm     = actor("subcommittee", "ha", domain.RoleReviewer)
	adminUser   = actor("police", "root", domain.RoleAdmin)
)

type reader struct {
	name string
	a    domain.Actor
}

var readersUnderTest = []reader{
	{"originator", opener}, {"originator colleague", colleague}, {"shared-with", sharedWith},
	{"same force other unit", sameForce}, {"other force", otherForce}, {"partner CERT", partnerCERT},
	{"subcommittee", subcomm}, {"admin of originator", adminUser},
}

// expected visibility of an incident opened by police, shared with dic, escalated to nobody,
// at each TLP (after the change), not state secret.
func expect(tlp domain.TLP, r reader, secret bool) bool {
	if r.a.Role == domain.RoleAdmin {
		return false
	}
	if secret {
		// State secret: holders (police) and forces among participants (dic is a force).
		if r.a.Org != "police" && r.a.Org != "dic" {
			return false
		}
	}
	switch tlp {
	case domain.TLPClear, domain.TLPGreen:
		return true
	case domain.TLPAmber:
		return r.a.Org == "police" || r.a.Org == "dic"
	case domain.TLPAmberStrict:
		return r.a.Org == "police"
	case domain.TLPRed:
		return r.a == opener // the opener is named; nobody else was
	}
	return false
}

func TestNoReadPathLeaks(t *testing.T) {
	e := MustEnv(t, jetstream.MemoryStorage)
	tlps := []domain.TLP{domain.TLPClear, domain.TLPGreen, domain.TLPAmber, domain.TLPAmberStrict, domain.TLPRed}
	for _, secret := range []bool{false, true} {
		for _, tlp := range tlps {
			name := string(tlp)
			if secret {
				name += "/state-secret"
			}
			t.Run(name, func(t *testing.T) {
				// Counts of every reader before the incident exists.
				before := map[string]Board{}
				for _, r := range readersUnderTest {
					b, err := e.proj.Incidents.Board(r.a, BoardQuery{First: MaxPage})
					is.New(t).NoErr(err)
					before[r.name] = b
				}
				id := e.open(t, opener, "Leak probe "+name, func(c *domain.OpenIncident) {
					if secret {
						c.AffectedSystem = &domain.AffectedSystem{Name: "Mạng nội bộ", InfoClass: domain.InfoSecretSecret, SecurityLevel: 4}
					}
				})
				e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
					return i.Share(in, domain.Share{Orgs: []string{"dic"}})
				})
				// An escalation to dic and a handoff offer to dic give the queue and inbox something.
				e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
					return i.Escalate(in, domain.Escalate{EscalationID: "esc-" + id, ToOrg: "dic", Reason: "needs DIC"})
				})
				e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
					return i.OfferHandoff(in, domain.OfferHandoff{HandoffID: "ho-" + id, ToOrg: "dic", Summary: "please take it"})
				})
				// A note at the incident's TLP and one at RED (only the author sees that one).
				e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
					return i.AddNote(in, domain.AddNote{NoteID: "n-red", Text: "nguồn tin mật", TLP: domain.TLPRed})
				})
				if tlp != domain.TLPAmber {
					e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
						return i.ChangeTLP(in, domain.ChangeTLP{TLP: tlp, Reason: "test"})
					})
				}
				// Subscriptions opened now; then one more change on the probe and a marker that
				// everybody may see: whatever the probe sends arrives before the marker.
				subs := map[string]*IncidentSubscription{}
				for _, r := range readersUnderTest {
					s, err := e.proj.Incidents.Subscribe(r.a, FeedIncidents, nil, 0, 64)
					if r.a.Role == domain.RoleAdmin {
						is.New(t).True(err != nil) // admins have no incident feed
						continue
					}
					is.New(t).NoErr(err)
					subs[r.name] = s
				}
				e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
					return i.AddNote(in, domain.AddNote{NoteID: "n-2", Text: "cập nhật"})
				})
				marker := e.open(t, colleague, "marker "+name, func(c *domain.OpenIncident) { c.TLP = domain.TLPClear })

				for _, r := range readersUnderTest {
					t.Run(r.name, func(t *testing.T) {
						is := is.New(t)
						want := expect(tlp, r, secret)
						// board nodes and counts
						b, err := e.proj.Incidents.Board(r.a, BoardQuery{First: MaxPage})
						is.NoErr(err)
						listed := slices.ContainsFunc(b.Nodes, func(s IncidentSummary) bool { return s.ID == id })
						is.Equal(listed, want) // board lists it iff visible
						markerSeen := 0
						if r.a.Role != domain.RoleAdmin {
							markerSeen = 1
						}
						grew := b.TotalCount - before[r.name].TotalCount - markerSeen
						is.Equal(grew == 1, want)                                                                                                        // totalCount moves iff visible
						is.Equal(b.StatusCounts[domain.IncidentStatusOpen]-before[r.name].StatusCounts[domain.IncidentStatusOpen]-markerSeen == 1, want) // column counts too
						is.Equal(b.PhaseCounts[domain.PhaseDetected]-before[r.name].PhaseCounts[domain.PhaseDetected]-markerSeen == 1, want)
						// filtered board
						fb, err := e.proj.Incidents.Board(r.a, BoardQuery{First: 10, Filter: BoardFilter{Text: "Leak probe " + name}})
						is.NoErr(err)
						is.Equal(fb.TotalCount == 1, want) // search does not reveal it either
						// detail
						d, err := e.proj.Incidents.Incident(r.a, id, time.Now())
						if want {
							is.NoErr(err)
							hasRed := slices.ContainsFunc(d.Notes, func(n domain.Note) bool { return n.ID == "n-red" })
							is.Equal(hasRed, r.a == opener) // the RED note only for its author
						} else {
							is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // indistinguishable from absent
						}
						// timeline
						tl, err := e.proj.Incidents.Timeline(r.a, id)
						if want {
							is.NoErr(err)
							redInTimeline := slices.ContainsFunc(tl, func(x TimelineEntry) bool {
								return x.Type == "NoteAdded" && containsText(x.TextEn, "nguồn tin")
							})
							is.Equal(redInTimeline, r.a == opener) // RED note entry hidden from others
						} else {
							is.Equal(domain.ErrorCode(err), domain.ENOTFOUND)
						}
						// queue, inbox and id lookups (addressed to dic)
						q := e.proj.Incidents.EscalationQueue(r.a, true, time.Now())
						inQueue := slices.ContainsFunc(q, func(x QueueItem) bool { return x.IncidentID == id })
						is.Equal(inQueue, want && r.a.Org == "dic") // only the addressee, only while it may read
						ib := e.proj.Incidents.HandoffInbox(r.a, time.Now())
						inInbox := slices.ContainsFunc(ib, func(x QueueItem) bool { return x.IncidentID == id })
						is.Equal(inInbox, want && r.a.Org == "dic")
						_, err = e.proj.Incidents.IncidentOfEscalation(r.a, "esc-"+id)
						is.Equal(err == nil, want)
						// subscription: the probe's change arrives iff visible, before the marker
						s, ok := subs[r.name]
						if !ok {
							return
						}
						var gotProbe, gotMarker bool
						deadline := time.After(10 * time.Second)
						for !gotMarker {
							select {
							case c := <-s.C:
								if c.IncidentID == id {
									gotProbe = true
									is.True(!c.Removed) // a change, not a removal
								}
								gotMarker = gotMarker || c.IncidentID == marker
							case <-deadline:
								t.Fatal("marker never arrived")
							}
						}
						is.Equal(gotProbe, want) // a hidden change never arrives, not even empty
						s.Close()
					})
				}
			})
		}
	}
}

func containsText(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
