package projections

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/projections/timeline"
)

func orgOf(k Knowledge, slug string) *OrgKnowledge {
	for i := range k.Orgs {
		if k.Orgs[i].Org == slug {
			return &k.Orgs[i]
		}
	}
	return nil
}

// TestWhoKnewWhat follows an incident through an escalation acknowledged late, a share, a
// handoff accepted and returned, a TLP raise and notes, and checks each organisation's part, as
// of the end and as of earlier moments.
func TestWhoKnewWhat(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	police := actor("police", "tuan", domain.RoleCoordinator)
	cert := actor("cert-health", "minh", domain.RoleCoordinator)
	sub := actor("subcommittee", "hoa", domain.RoleReviewer)
	asked := time.Now().UTC().Truncate(time.Minute) // the escalation's clock, so that lateness is exact
	at := func(in domain.Invocation, t time.Time) domain.Invocation { in.Now = t; return in }
	id := e.open(t, dicCoord, "Mã độc tại Sở Y tế")
	escSeq := e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.Escalate(at(in, asked), domain.Escalate{EscalationID: "e1", ToOrg: "police", Reason: "vượt khả năng", AckWithin: 15 * time.Minute})
	})
	e.do(t, id, police, func(i *domain.Incident, in domain.Invocation) error {
		return i.AcknowledgeEscalation(at(in, asked.Add(40*time.Minute)), domain.AcknowledgeEscalation{EscalationID: "e1"})
	})
	e.do(t, id, police, func(i *domain.Incident, in domain.Invocation) error {
		return i.AddNote(in, domain.AddNote{NoteID: "n1", Text: "Đã thu thập nhật ký"})
	})
	e.do(t, id, police, func(i *domain.Incident, in domain.Invocation) error {
		return i.AddNote(in, domain.AddNote{NoteID: "n2", Text: "nguồn tin", TLP: domain.TLPRed})
	})
	shareSeq := e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.Share(in, domain.Share{Orgs: []string{"subcommittee"}})
	})
	midway := time.Now()
	e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.OfferHandoff(in, domain.OfferHandoff{HandoffID: "h1", ToOrg: "cert-health", Summary: "phân tích mẫu", AnswerWithin: time.Hour})
	})
	e.do(t, id, cert, func(i *domain.Incident, in domain.Invocation) error {
		return i.AcceptHandoff(in, domain.AcceptHandoff{HandoffID: "h1"})
	})
	e.do(t, id, cert, func(i *domain.Incident, in domain.Invocation) error {
		return i.ReturnHandoff(in, domain.ReturnHandoff{HandoffID: "h1", Reason: "xong"})
	})
	strictSeq := e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.ChangeTLP(in, domain.ChangeTLP{TLP: domain.TLPAmberStrict, Reason: "thu hẹp"})
	})

	k, err := e.proj.Incidents.WhoKnewWhat(dicCoord, id, time.Time{}, 0)
	is.NoErr(err)                   // the originator reads it
	is.Equal(k.Sequence, strictSeq) // up to the last commit
	dic := orgOf(k, "dic")
	is.True(dic != nil && dic.FirstAccess != nil)     // the originator is listed
	is.Equal(dic.FirstAccess.Via, timeline.ViaOpened) // through opening it
	p := orgOf(k, "police")
	is.Equal(p.FirstAccess.Via, timeline.ViaEscalated)                 // police came in through the escalation
	is.Equal(p.FirstAccess.Sequence, escSeq)                           // at its commit
	is.Equal(len(p.Requests), 1)                                       // it was asked once
	is.Equal(p.Requests[0].Late, 25*time.Minute)                       // and acknowledged 25 minutes late
	is.True(strings.Contains(p.Requests[0].Text.En, "late by 25 min")) // said in English
	is.True(strings.Contains(p.Requests[0].Text.Vi, "muộn 25 phút"))   // and in Vietnamese
	is.Equal(len(p.Recorded), 3)                                       // the acknowledgement and both notes (the originator is named at RED, so it reads the RED note)
	s := orgOf(k, "subcommittee")
	is.Equal(s.FirstAccess.Sequence, shareSeq) // the subcommittee through the share
	is.Equal(s.FirstAccess.Via, timeline.ViaShared)
	lost := s.Access[len(s.Access)-1]
	is.True(!lost.Gained && lost.Via == timeline.ViaTLP) // and lost it when the TLP was raised
	c := orgOf(k, "cert-health")
	is.Equal(c.FirstAccess.Via, timeline.ViaHandoff)                      // the CERT through the offer
	is.Equal(c.Requests[0].Outcome, string(domain.HandoffStatusReturned)) // accepted, then returned
	is.Equal(c.Requests[0].Late, time.Duration(0))                        // on time
	is.True(!c.Access[len(c.Access)-1].Gained)                            // out at AMBER+STRICT (not before: it kept reading after the return)
	is.Equal(c.Access[len(c.Access)-1].Sequence, strictSeq)               // the TLP raise took it out
	is.True(orgOf(k, "military") == nil)                                  // never involved, not listed

	// A colleague of the originator who is not named at RED does not see the RED note.
	colleague := actor("dic", "duc", domain.RoleResponder)
	kc, err := e.proj.Incidents.WhoKnewWhat(colleague, id, time.Time{}, 0)
	is.NoErr(err)
	is.Equal(len(orgOf(kc, "police").Recorded), 2) // the RED note stays out for who may not read it
	is.True(orgOf(kc, "police").Recorded[0].TextEn != "")

	// As of a moment before the handoff: the CERT is not there yet.
	early, err := e.proj.Incidents.WhoKnewWhat(dicCoord, id, midway, 0)
	is.NoErr(err)
	is.True(orgOf(early, "cert-health") == nil) // not yet
	is.Equal(early.Sequence, shareSeq)          // the last commit before the moment
	bySeq, err := e.proj.Incidents.WhoKnewWhat(dicCoord, id, time.Time{}, escSeq)
	is.NoErr(err)
	is.Equal(bySeq.Sequence, escSeq)                                         // bounded by sequence too
	is.Equal(orgOf(bySeq, "police").Requests[0].AcknowledgedAt, time.Time{}) // not acknowledged then

	// Who may not read the incident now learns nothing, not even that it exists.
	_, err = e.proj.Incidents.WhoKnewWhat(sub, id, time.Time{}, 0)
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // the subcommittee lost it at AMBER+STRICT
	_, err = e.proj.Incidents.WhoKnewWhat(dicCoord, id, time.Now().Add(-time.Hour), 0)
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // before it was opened
	_, err = e.proj.Incidents.WhoKnewWhat(dicCoord, "no-such", time.Time{}, 0)
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // missing looks the same
}

// TestWhoKnewWhatHidesRedNaming: at TLP:RED, which organisations' people were named is for those
// who steer the incident.
func TestWhoKnewWhatHidesRedNaming(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	id := e.open(t, dicCoord, "Lộ lọt dữ liệu", func(c *domain.OpenIncident) { c.TLP = domain.TLPRed })
	e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.NameRecipients(in, domain.NameRecipients{Users: []string{"police/tuan", "military/an"}})
	})
	k, err := e.proj.Incidents.WhoKnewWhat(dicCoord, id, time.Time{}, 0)
	is.NoErr(err)
	is.Equal(orgOf(k, "military").FirstAccess.Via, timeline.ViaNamed) // the coordinator who steers it sees who was named
	kp, err := e.proj.Incidents.WhoKnewWhat(actor("police", "tuan", domain.RoleCoordinator), id, time.Time{}, 0)
	is.NoErr(err)
	is.True(orgOf(kp, "military") == nil)                            // a named reader does not learn of the others
	is.Equal(orgOf(kp, "police").FirstAccess.Via, timeline.ViaNamed) // but sees its own organisation's
}
