package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestIncidentOfferHandoff(t *testing.T) {
	offer := OfferHandoff{HandoffID: "h1", ToOrg: "provincial-cert", Summary: "malware on the hospital system", RequestedAction: "clean up"}
	with := func(m func(*OfferHandoff)) OfferHandoff { c := offer; m(&c); return c }
	offeredNow := func(to string, within time.Duration) []Event {
		return []Event{HandoffOffered{
			HandoffID:       "h1",
			From:            "police",
			To:              to,
			Summary:         "malware on the hospital system",
			RequestedAction: "clean up",
			TLP:             TLPAmber,
			Deadline:        incNow.Add(within),
			Stamp:           Stamp{By: by.PoliceCoord, At: incNow},
		}}
	}
	runIncidentCases(t, []incidentCase{
		{name: "to a CERT with the configured deadline", given: []Event{opened()}, by: by.PoliceCoord, when: offer,
			then: offeredNow("provincial-cert", 4*time.Hour),
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Audience().HandoffTo, []string{"provincial-cert"}) // offered org takes part
				is.True(CanRead(by.CertCoord, i.Audience(), testConfig(t)))   // and can read
				is.Equal(i.Owner, "police")                                   // ownership has not moved yet
			}},
		{name: "explicit deadline", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.AnswerWithin = 2 * time.Hour }),
			then: offeredNow("provincial-cert", 2*time.Hour)},
		{name: "state secret to a force", given: []Event{opened(stateSecret)}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ToOrg = "military" }),
			then: offeredNow("military", 4*time.Hour)},
		{name: "after a withdrawn offer", given: []Event{opened(), offered("h0", "vncert"), HandoffWithdrawn{HandoffID: "h0", Reason: "x"}},
			by: by.PoliceCoord, when: offer, then: offeredNow("provincial-cert", 4*time.Hour)},
		{name: "its own stricter TLP", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.TLP = TLPAmberStrict }),
			then: func() []Event {
				e := offeredNow("provincial-cert", 4*time.Hour)[0].(HandoffOffered)
				e.TLP = TLPAmberStrict
				return []Event{e}
			}(),
			check: func(is *is.I, i *Incident) { is.Equal(i.Handoff("h1").TLP, TLPAmberStrict) }}, // labels the summary
		{name: "release on acceptance, another organisation leading", given: []Event{opened(), LeadAssigned{Org: "dic", Previous: "police"}},
			by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ReleaseOnAccept = true }),
			then: func() []Event {
				e := offeredNow("provincial-cert", 4*time.Hour)[0].(HandoffOffered)
				e.ReleaseOnAccept = true
				return []Event{e}
			}(),
			check: func(is *is.I, i *Incident) {
				is.True(i.Handoff("h1").ReleaseOnAccept)                        // recorded on the handoff
				is.True(!i.OriginReleased)                                      // not before acceptance
				is.True(CanManage(by.PoliceCoord, i.Audience(), testConfig(t))) // the origin still holds it
			}},
		{name: "TLP lower than the incident", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.TLP = TLPGreen }),
			code: EINVALID, msg: "use TLP:AMBER or stricter"},
		{name: "unknown TLP", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.TLP = "PINK" }), code: EINVALID},
		{name: "release while the origin leads", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ReleaseOnAccept = true }),
			code: EINVALID, msg: "assign another lead first"},
		{name: "release asked by the lead, not the origin", given: []Event{opened(), LeadAssigned{Org: "dic", Previous: "police"}},
			by: by.DICCoord, when: with(func(c *OfferHandoff) { c.ReleaseOnAccept = true }), code: EFORBIDDEN, msg: "only the originating organisation"},
		{name: "release when the origin no longer owns it",
			given: []Event{opened(), LeadAssigned{Org: "dic", Previous: "police"}, offered("h0", "vncert"), accepted("h0", by.VNCERTPartner)},
			by:    by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ReleaseOnAccept = true }), code: EINVALID, msg: "vncert owns the incident now"},
		{name: "unknown organisation", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ToOrg = "nowhere" }), code: ENOTFOUND},
		{name: "neither CERT nor force", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ToOrg = "dept-health" }), code: EINVALID},
		{name: "to the owner", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ToOrg = "police" }), code: EINVALID},
		{name: "summary missing", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.Summary = "" }), code: EINVALID},
		{name: "summary too long", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.Summary = strings.Repeat("s", 5001) }), code: ETOOLARGE},
		{name: "negative deadline", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.AnswerWithin = -time.Hour }), code: EINVALID},
		{name: "TLP:AMBER_STRICT", given: []Event{opened(atTLP(TLPAmberStrict))}, by: by.PoliceCoord, when: offer, code: EFORBIDDEN},
		{name: "TLP:RED", given: []Event{opened(atTLP(TLPRed))}, by: by.PoliceCoord, when: offer, code: EFORBIDDEN},
		{name: "state secret to a CERT", given: []Event{opened(stateSecret)}, by: by.PoliceCoord, when: offer, code: EFORBIDDEN,
			msg: "a state-secret incident cannot be handed to provincial-cert: it never leaves the forces"},
		{name: "another offer waits", given: []Event{opened(), offered("h0", "vncert")}, by: by.PoliceCoord, when: offer, code: ECONFLICT, msg: "h0"},
		{name: "id taken", given: []Event{opened(), offered("h1", "vncert"), HandoffWithdrawn{HandoffID: "h1", Reason: "x"}}, by: by.PoliceCoord, when: offer, code: ECONFLICT},
		{name: "responder may not", given: []Event{opened()}, by: by.PoliceResp, when: offer, code: EFORBIDDEN},
		{name: "closed", given: []Event{opened(), closed()}, by: by.PoliceCoord, when: offer, code: ECONFLICT},
	})
}

func TestIncidentAcknowledgeHandoff(t *testing.T) {
	given := []Event{opened(), offered("h1", "provincial-cert")}
	ack := AcknowledgeHandoff{HandoffID: "h1"}
	acked := HandoffAcknowledged{HandoffID: "h1", Stamp: Stamp{By: by.CertResp, At: incEarlier}}
	runIncidentCases(t, []incidentCase{
		{name: "coordinator of the addressee", given: given, by: by.CertCoord, when: ack,
			then: []Event{HandoffAcknowledged{HandoffID: "h1", Stamp: Stamp{By: by.CertCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				h := i.Handoff("h1")
				is.Equal(h.Status, HandoffStatusOffered)      // still waiting for an answer
				is.Equal(*h.AcknowledgedBy, by.CertCoord)     // who
				is.Equal(h.AcknowledgedAt, incNow)            // when
				is.Equal(h.Deadline, incNow.Add(3*time.Hour)) // the answer deadline stays
				is.Equal(i.Owner, "police")                   // ownership has not moved
			}},
		{name: "responder of the addressee", given: given, by: by.CertResp, when: ack,
			then: []Event{HandoffAcknowledged{HandoffID: "h1", Stamp: Stamp{By: by.CertResp, At: incNow}}}},
		{name: "partner of the addressee", given: given, by: by.CertPartner, when: ack,
			then: []Event{HandoffAcknowledged{HandoffID: "h1", Stamp: Stamp{By: by.CertPartner, At: incNow}}}},
		{name: "then accepted", given: append(given[:2:2], acked), by: by.CertCoord, when: AcceptHandoff{HandoffID: "h1"},
			then: []Event{HandoffAccepted{HandoffID: "h1", Stamp: Stamp{By: by.CertCoord, At: incNow}}}},
		{name: "twice", given: append(given[:2:2], acked), by: by.CertCoord, when: ack, code: ECONFLICT, msg: "already acknowledged"},
		{name: "another organisation", given: given, by: by.PoliceCoord, when: ack, code: EFORBIDDEN, msg: "only provincial-cert"},
		{name: "reviewer of the addressee", given: given, by: Actor{User: "q", Org: "provincial-cert", Role: RoleReviewer}, when: ack, code: EFORBIDDEN},
		{name: "answered already", given: append(given[:2:2], accepted("h1", by.CertCoord)), by: by.CertCoord, when: ack, code: ECONFLICT},
		{name: "withdrawn", given: []Event{opened(atTLP(TLPGreen)), offered("h1", "provincial-cert"), HandoffWithdrawn{HandoffID: "h1", Reason: "x"}},
			by: by.CertCoord, when: ack, code: ECONFLICT},
		{name: "unknown handoff", given: given, by: by.CertCoord, when: AcknowledgeHandoff{HandoffID: "h9"}, code: ENOTFOUND},
		{name: "outside the audience", given: given, by: by.PropagandaCoord, when: ack, code: ENOTFOUND},
	})
}

func TestIncidentAcceptHandoff(t *testing.T) {
	given := []Event{opened(), offered("h1", "provincial-cert")}
	releasedGiven := []Event{opened(), LeadAssigned{Org: "dic", Previous: "police"}, releasing("h1", "provincial-cert")}
	acc := AcceptHandoff{HandoffID: "h1"}
	runIncidentCases(t, []incidentCase{
		{name: "coordinator of the addressee", given: given, by: by.CertCoord, when: acc,
			then: []Event{HandoffAccepted{HandoffID: "h1", Stamp: Stamp{By: by.CertCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Owner, "provincial-cert")                            // ownership moved
				is.Equal(i.Handoff("h1").Status, HandoffStatusAccepted)         // accepted
				is.True(CanManage(by.CertCoord, i.Audience(), testConfig(t)))   // new owner manages
				is.True(CanManage(by.PoliceCoord, i.Audience(), testConfig(t))) // origin still manages
			}},
		{name: "partner of the addressee", given: given, by: by.CertPartner, when: acc,
			then: []Event{HandoffAccepted{HandoffID: "h1", Stamp: Stamp{By: by.CertPartner, At: incNow}}}},
		{name: "offered with release: the origin lets go", given: releasedGiven, by: by.CertCoord, when: acc,
			then: []Event{HandoffAccepted{HandoffID: "h1", OriginReleased: true, Stamp: Stamp{By: by.CertCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				cfg := testConfig(t)
				is.True(i.OriginReleased)                                // recorded in state
				is.Equal(i.Owner, "provincial-cert")                     // ownership moved
				is.True(i.Audience().OriginReleased)                     // and in the audience
				is.True(!CanRead(by.PoliceCoord, i.Audience(), cfg))     // the origin no longer reads the AMBER incident
				is.True(!CanRead(by.PoliceResp, i.Audience(), cfg))      // nor do its responders
				is.Equal(access(by.DICCoord, i.Audience(), cfg), "rwm")  // the lead still manages
				is.Equal(access(by.CertCoord, i.Audience(), cfg), "rwm") // the new owner manages
				is.True(!i.Audience().participates("police"))            // the origin no longer takes part
			}},
		{name: "offered with release, the origin escalated to: still takes part", given: append(releasedGiven[:3:3],
			IncidentEscalated{EscalationID: "e1", From: "dic", To: "police", Reason: "keep police informed", Deadline: incNow, Stamp: Stamp{By: by.DICCoord, At: incEarlier}}),
			by: by.CertCoord, when: acc, then: []Event{HandoffAccepted{HandoffID: "h1", OriginReleased: true, Stamp: Stamp{By: by.CertCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(access(by.PoliceCoord, i.Audience(), testConfig(t)), "rw") // reads and writes as an escalation addressee, no longer manages
			}},
		{name: "another organisation", given: given, by: by.PoliceCoord, when: acc, code: EFORBIDDEN, msg: "only provincial-cert"},
		{name: "responder of the addressee", given: given, by: by.CertResp, when: acc, code: EFORBIDDEN},
		{name: "unknown handoff", given: given, by: by.CertCoord, when: AcceptHandoff{HandoffID: "h9"}, code: ENOTFOUND},
		{name: "already accepted", given: append(given[:2:2], accepted("h1", by.CertCoord)), by: by.CertPartner, when: acc, code: ECONFLICT},
		{name: "declined", given: []Event{opened(atTLP(TLPGreen)), offered("h1", "provincial-cert"), HandoffDeclined{HandoffID: "h1", Reason: "x", Stamp: Stamp{By: by.CertCoord}}},
			by: by.CertCoord, when: acc, code: ECONFLICT},
		{name: "declined offer hides a TLP:AMBER incident again", given: append(given[:2:2], HandoffDeclined{HandoffID: "h1", Reason: "x", Stamp: Stamp{By: by.CertCoord}}),
			by: by.CertCoord, when: acc, code: ENOTFOUND},
		{name: "closed", given: append(given[:2:2], HandoffWithdrawn{HandoffID: "h1", Reason: "x"}, closed()), by: by.PoliceCoord, when: acc, code: ECONFLICT},
	})
}

func TestIncidentDeclineHandoff(t *testing.T) {
	given := []Event{opened(), offered("h1", "provincial-cert")}
	dec := DeclineHandoff{HandoffID: "h1", Reason: "outside our sector"}
	runIncidentCases(t, []incidentCase{
		{name: "addressee declines", given: given, by: by.CertCoord, when: dec,
			then: []Event{HandoffDeclined{HandoffID: "h1", Reason: "outside our sector", Stamp: Stamp{By: by.CertCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Handoff("h1").Status, HandoffStatusDeclined) // declined
				is.Equal(i.Owner, "police")                             // owner unchanged
				is.Equal(len(i.Audience().HandoffTo), 0)                // no longer in the audience
			}},
		{name: "reason missing", given: given, by: by.CertCoord, when: DeclineHandoff{HandoffID: "h1"}, code: EINVALID},
		{name: "another organisation", given: given, by: by.PoliceCoord, when: dec, code: EFORBIDDEN},
		{name: "reviewer of the addressee", given: given, by: Actor{User: "q", Org: "provincial-cert", Role: RoleReviewer}, when: dec, code: EFORBIDDEN},
		{name: "not offered any more", given: append(given[:2:2], accepted("h1", by.CertCoord)), by: by.CertCoord, when: dec, code: ECONFLICT},
		{name: "unknown handoff", given: given, by: by.CertCoord, when: DeclineHandoff{HandoffID: "h9", Reason: "x"}, code: ENOTFOUND},
	})
}

func TestIncidentReturnHandoff(t *testing.T) {
	given := []Event{opened(), offered("h1", "provincial-cert"), accepted("h1", by.CertCoord)}
	ret := ReturnHandoff{HandoffID: "h1", Reason: "needs the police"}
	movedOn := append(given[:3:3],
		HandoffOffered{HandoffID: "h2", From: "provincial-cert", To: "vncert", Summary: "s", Deadline: incNow, Stamp: Stamp{By: by.CertCoord, At: incEarlier}},
		accepted("h2", by.VNCERTPartner))
	runIncidentCases(t, []incidentCase{
		{name: "addressee returns", given: given, by: by.CertPartner, when: ret,
			then: []Event{HandoffReturned{HandoffID: "h1", Reason: "needs the police", Stamp: Stamp{By: by.CertPartner, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Owner, "police")                             // owner back
				is.Equal(i.Handoff("h1").Status, HandoffStatusReturned) // returned
			}},
		{name: "returned after a release: the origin holds it again",
			given: []Event{opened(), LeadAssigned{Org: "dic", Previous: "police"}, releasing("h1", "provincial-cert"),
				HandoffAccepted{HandoffID: "h1", OriginReleased: true, Stamp: Stamp{By: by.CertCoord, At: incEarlier}}},
			by: by.CertCoord, when: ret, then: []Event{HandoffReturned{HandoffID: "h1", Reason: "needs the police", Stamp: Stamp{By: by.CertCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Owner, "police")                                     // owner back
				is.True(!i.OriginReleased)                                      // no longer released
				is.True(CanManage(by.PoliceCoord, i.Audience(), testConfig(t))) // the origin manages again
			}},
		{name: "not accepted", given: given[:2], by: by.CertCoord, when: ret, code: ECONFLICT},
		{name: "another organisation", given: given, by: by.PoliceCoord, when: ret, code: EFORBIDDEN},
		{name: "reason missing", given: given, by: by.CertCoord, when: ReturnHandoff{HandoffID: "h1"}, code: EINVALID},
		{name: "ownership moved on", given: movedOn, by: by.CertCoord, when: ret, code: ECONFLICT, msg: "vncert"},
		{name: "unknown handoff", given: given, by: by.CertCoord, when: ReturnHandoff{HandoffID: "h9", Reason: "x"}, code: ENOTFOUND},
	})
}

func TestIncidentWithdrawHandoff(t *testing.T) {
	given := []Event{opened(), offered("h1", "provincial-cert")}
	wd := WithdrawHandoff{HandoffID: "h1", Reason: "wrong team"}
	runIncidentCases(t, []incidentCase{
		{name: "offering owner withdraws", given: given, by: by.PoliceCoord, when: wd,
			then:  []Event{HandoffWithdrawn{HandoffID: "h1", Reason: "wrong team", Stamp: Stamp{By: by.PoliceCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) { is.Equal(i.Handoff("h1").Status, HandoffStatusWithdrawn) }}, // withdrawn
		{name: "addressee may not", given: given, by: by.CertCoord, when: wd, code: EFORBIDDEN},
		{name: "lead organisation may not", given: append(given[:2:2], LeadAssigned{Org: "dic", Previous: "police"}), by: by.DICCoord, when: wd, code: EFORBIDDEN},
		{name: "responder may not", given: given, by: by.PoliceResp, when: wd, code: EFORBIDDEN},
		{name: "not offered any more", given: []Event{opened(atTLP(TLPGreen)), offered("h1", "provincial-cert"), HandoffDeclined{HandoffID: "h1", Reason: "x"}},
			by: by.PoliceCoord, when: wd, code: ECONFLICT},
		{name: "reason missing", given: given, by: by.PoliceCoord, when: WithdrawHandoff{HandoffID: "h1"}, code: EINVALID},
		{name: "unknown handoff", given: given, by: by.PoliceCoord, when: WithdrawHandoff{HandoffID: "h9", Reason: "x"}, code: ENOTFOUND},
	})
}

// TestHandoffEventsStoredBeforeTLPAndRelease decodes handoff events written before handoffs had a
// TLP, an acknowledgement and a release: the TLP is the incident's at the time of the offer, and
// the origin keeps its access.
func TestHandoffEventsStoredBeforeTLPAndRelease(t *testing.T) {
	is := is.New(t)
	e, err := DecodeEvent("HandoffOffered", 1, []byte(`{"handoffId":"h1","from":"police","to":"provincial-cert","summary":"s",`+
		`"deadline":"2025-06-02T11:00:00Z","by":{"user":"an","org":"police","role":"coordinator"},"at":"2025-06-02T07:00:00Z"}`))
	is.NoErr(err) // an old offer decodes
	off := e.(HandoffOffered)
	is.Equal(off.TLP, TLP(""))    // no TLP of its own
	is.True(!off.ReleaseOnAccept) // nor a release
	a, err := DecodeEvent("HandoffAccepted", 1, []byte(`{"handoffId":"h1","by":{"user":"khanh","org":"provincial-cert","role":"coordinator"},"at":"2025-06-02T07:30:00Z"}`))
	is.NoErr(err)                                // an old acceptance decodes
	is.True(!a.(HandoffAccepted).OriginReleased) // without a release
	i := MustReplay(t, opened(atTLP(TLPGreen)), off, TLPChanged{From: TLPGreen, To: TLPAmber, Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}, a)
	is.Equal(i.Handoff("h1").TLP, TLPGreen)                         // the incident's TLP when offered, not today's
	is.True(!i.OriginReleased)                                      // the origin was not released
	is.True(CanManage(by.PoliceCoord, i.Audience(), testConfig(t))) // and still holds the incident
}

// TestOriginReleasedUntilItOwnsAgain: a released origin that accepts ownership back holds the
// incident again.
func TestOriginReleasedUntilItOwnsAgain(t *testing.T) {
	is := is.New(t)
	cfg := testConfig(t)
	i := MustReplay(t, opened(), LeadAssigned{Org: "dic", Previous: "police"}, releasing("h1", "provincial-cert"),
		HandoffAccepted{HandoffID: "h1", OriginReleased: true, Stamp: Stamp{By: by.CertCoord, At: incEarlier}},
		HandoffOffered{HandoffID: "h2", From: "provincial-cert", To: "military", Summary: "s", TLP: TLPAmber, Deadline: incNow.Add(time.Hour), Stamp: Stamp{By: by.CertCoord, At: incEarlier}},
		accepted("h2", by.MilitaryCoord))
	is.True(i.OriginReleased)                            // a later handoff does not restore the origin
	is.True(!CanRead(by.PoliceCoord, i.Audience(), cfg)) // still out
	err := i.OfferHandoff(Invocation{Actor: by.MilitaryCoord, Now: incNow, Config: cfg},
		OfferHandoff{HandoffID: "h3", ToOrg: "police", Summary: "back to you"})
	is.NoErr(err)                                                                                                          // offered back to the origin
	is.True(CanRead(by.PoliceCoord, i.Audience(), cfg))                                                                    // which reads it as the addressee
	is.NoErr(i.AcceptHandoff(Invocation{Actor: by.PoliceCoord, Now: incNow, Config: cfg}, AcceptHandoff{HandoffID: "h3"})) // and accepts
	is.True(!i.OriginReleased)                                                                                             // owning it again, the origin holds it
	is.True(CanManage(by.PoliceCoord, i.Audience(), cfg))                                                                  // and manages it
}
