package projections

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
)

// MustChangeAt reads s until the change of sequence seq arrives, and returns it.
func MustChangeAt(tb testing.TB, s *IncidentSubscription, seq uint64) *Change {
	tb.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case c, ok := <-s.C:
			if !ok {
				tb.Fatalf("subscription closed before change %d: %v", seq, s.Err())
			}
			if c.Sequence == seq {
				return c
			}
			if c.Sequence > seq {
				tb.Fatalf("change %d never arrived (got %d)", seq, c.Sequence)
			}
		case <-timeout:
			tb.Fatalf("timed out waiting for change %d", seq)
		}
	}
}

// TestHandoffReleaseHidesTheOrigin: a handoff accepted with ReleaseOnAccept takes the incident
// off the originating organisation's board and feed (a removal), until ownership returns; without
// the release the origin keeps seeing it.
func TestHandoffReleaseHidesTheOrigin(t *testing.T) {
	cert := actor("provincial-cert", "khanh", domain.RoleCoordinator)
	originResp := actor("police", "binh", domain.RoleResponder)
	flow := func(t *testing.T, release bool) (e *env, id string, sub *IncidentSubscription, accepted uint64) {
		t.Helper()
		is := is.New(t)
		e = MustEnv(t, jetstream.MemoryStorage)
		id = e.open(t, opener, "Mã độc tại Sở Y tế")
		e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
			return i.AssignLead(in, domain.AssignLead{Org: "dic"})
		})
		sub, err := e.proj.Incidents.Subscribe(originResp, FeedIncidents, nil, 0, 0)
		is.NoErr(err) // the origin's responder follows the board
		t.Cleanup(sub.Close)
		e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
			return i.OfferHandoff(in, domain.OfferHandoff{HandoffID: "h1", ToOrg: "provincial-cert", Summary: "chuyển giao xử lý", ReleaseOnAccept: release})
		})
		accepted = e.do(t, id, cert, func(i *domain.Incident, in domain.Invocation) error {
			return i.AcceptHandoff(in, domain.AcceptHandoff{HandoffID: "h1"})
		})
		return e, id, sub, accepted
	}
	board := func(e *env, who domain.Actor) int {
		b, err := e.proj.Incidents.Board(who, BoardQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return b.TotalCount
	}

	t.Run("released", func(t *testing.T) {
		is := is.New(t)
		e, id, sub, accepted := flow(t, true)
		c := MustChangeAt(t, sub, accepted)
		is.True(c.Removed)                // the acceptance removes it from the origin's feed
		is.Equal(c.IncidentID, id)        // this incident
		is.Equal(len(c.Types), 0)         // and says nothing else
		is.Equal(board(e, opener), 0)     // gone from the origin's board
		is.Equal(board(e, originResp), 0) // for all its people
		_, err := e.proj.Incidents.Incident(opener, id, time.Now())
		is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // no detail
		_, err = e.proj.Incidents.Timeline(opener, id)
		is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // no timeline
		is.Equal(board(e, cert), 1)                       // the new owner sees it
		is.Equal(board(e, sharedWith), 1)                 // and so does the lead (dic)
		tl, err := e.proj.Incidents.Timeline(cert, id)
		is.NoErr(err) // the owner reads the timeline
		is.True(len(tl) > 0 && tl[len(tl)-1].TextEn != "")
		last := tl[len(tl)-1].TextEn
		is.True(strings.Contains(last, "the originating organisation no longer holds the incident")) // says the origin let go

		// Handed back: the origin owns and sees it again.
		returned := e.do(t, id, cert, func(i *domain.Incident, in domain.Invocation) error {
			return i.ReturnHandoff(in, domain.ReturnHandoff{HandoffID: "h1", Reason: "xong"})
		})
		c = MustChangeAt(t, sub, returned)
		is.True(!c.Removed)           // a change the origin may see again
		is.Equal(board(e, opener), 1) // back on its board
	})

	t.Run("kept by default", func(t *testing.T) {
		is := is.New(t)
		e, id, sub, accepted := flow(t, false)
		c := MustChangeAt(t, sub, accepted)
		is.True(!c.Removed)               // an ordinary change
		is.Equal(c.IncidentID, id)        // of this incident
		is.Equal(board(e, originResp), 1) // still on the origin's board
		d, err := e.proj.Incidents.Incident(opener, id, time.Now())
		is.NoErr(err)                                                // detail readable
		is.Equal(d.Owner, "provincial-cert")                         // though owned by the CERT
		is.Equal(d.Handoffs[0].Status, domain.HandoffStatusAccepted) // accepted
		is.True(!d.Handoffs[0].ReleaseOnAccept)                      // without release
	})
}

// TestHandoffInboxTLPAndAcknowledgement: the inbox shows a handoff's own TLP and its
// acknowledgement, the inbox feed hears of the acknowledgement, and a summary labelled stricter
// than a third organisation may read is left out of its detail and timeline.
func TestHandoffInboxTLPAndAcknowledgement(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	certResp := actor("provincial-cert", "long", domain.RoleResponder)
	id := e.open(t, opener, "Lừa đảo trực tuyến")
	e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
		return i.Share(in, domain.Share{Orgs: []string{"dic"}})
	})
	inbox, err := e.proj.Incidents.Subscribe(certResp, FeedHandoffInbox, nil, 0, 0)
	is.NoErr(err) // the CERT follows its inbox
	defer inbox.Close()
	e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
		return i.OfferHandoff(in, domain.OfferHandoff{HandoffID: "h1", ToOrg: "provincial-cert", Summary: "nghi phạm đã xác định",
			RequestedAction: "phối hợp truy vết", TLP: domain.TLPAmberStrict})
	})
	q := e.proj.Incidents.HandoffInbox(certResp, time.Now())
	is.Equal(len(q), 1)                              // offered
	is.Equal(q[0].TLP, domain.TLPAmber)              // the incident's TLP
	is.Equal(q[0].HandoffTLP, domain.TLPAmberStrict) // the handoff's own
	is.Equal(q[0].Reason, "nghi phạm đã xác định")   // the addressee reads the summary
	is.True(q[0].AcknowledgedAt.IsZero())            // not acknowledged yet
	acked := e.do(t, id, certResp, func(i *domain.Incident, in domain.Invocation) error {
		return i.AcknowledgeHandoff(in, domain.AcknowledgeHandoff{HandoffID: "h1"})
	})
	c := MustChangeAt(t, inbox, acked)
	is.Equal(c.Types, []string{"HandoffAcknowledged"}) // the inbox feed hears of it
	q = e.proj.Incidents.HandoffInbox(certResp, time.Now())
	is.Equal(len(q), 1)                    // still waiting for an answer
	is.True(!q[0].AcknowledgedAt.IsZero()) // acknowledged

	// dic was shared at AMBER: it sees the handoff, not its AMBER+STRICT summary.
	d, err := e.proj.Incidents.Incident(sharedWith, id, time.Now())
	is.NoErr(err)
	is.Equal(len(d.Handoffs), 1)                 // the handoff shows
	is.Equal(d.Handoffs[0].Summary, "")          // its summary does not
	is.Equal(d.Handoffs[0].RequestedAction, "")  // nor the requested action
	is.True(d.Handoffs[0].AcknowledgedBy != nil) // the acknowledgement does
	tl, err := e.proj.Incidents.Timeline(sharedWith, id)
	is.NoErr(err)
	for _, en := range tl {
		is.True(!strings.Contains(en.TextVi+en.TextEn, "phối hợp truy vết")) // nor in the timeline
	}
	d, err = e.proj.Incidents.Incident(opener, id, time.Now())
	is.NoErr(err)
	is.Equal(d.Handoffs[0].Summary, "nghi phạm đã xác định") // the offering organisation reads it
}
