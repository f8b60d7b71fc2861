package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestIncidentEscalate(t *testing.T) {
	esc := Escalate{EscalationID: "e1", ToOrg: "subcommittee", Reason: " possibly serious "}
	with := func(m func(*Escalate)) Escalate { c := esc; m(&c); return c }
	escalatedNow := func(a Actor, from string, within time.Duration) []Event {
		return []Event{IncidentEscalated{
			EscalationID: "e1",
			From:         from,
			To:           "subcommittee",
			Reason:       "possibly serious",
			Deadline:     incNow.Add(within),
			Stamp:        Stamp{By: a, At: incNow},
		}}
	}
	runIncidentCases(t, []incidentCase{
		{name: "configured deadline", given: []Event{opened()}, by: by.PoliceResp, when: esc, then: escalatedNow(by.PoliceResp, "police", 15*time.Minute),
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Escalation("e1").Status, EscalationStatusPending)  // pending
				is.True(CanRead(by.SubReviewer, i.Audience(), testConfig(t))) // addressee reads
			}},
		{name: "explicit deadline", given: []Event{opened()}, by: by.PoliceResp,
			when: with(func(c *Escalate) { c.AckWithin = time.Hour }), then: escalatedNow(by.PoliceResp, "police", time.Hour)},
		{name: "from a shared organisation", given: []Event{opened(), shared("dic")}, by: by.DICResp, when: esc, then: escalatedNow(by.DICResp, "dic", 15*time.Minute)},
		{name: "again once acknowledged", given: []Event{opened(), escalated("e0", "subcommittee"), acknowledged("e0", by.SubReviewer)},
			by: by.PoliceResp, when: esc, then: escalatedNow(by.PoliceResp, "police", 15*time.Minute)},
		{name: "state secret to a force", given: []Event{opened(stateSecret)}, by: by.PoliceResp, when: esc, then: escalatedNow(by.PoliceResp, "police", 15*time.Minute)},
		{name: "unknown organisation", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.ToOrg = "nowhere" }), code: ENOTFOUND},
		{name: "to yourself", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.ToOrg = "police" }), code: EINVALID, msg: "own organisation"},
		{name: "reason missing", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.Reason = "" }), code: EINVALID},
		{name: "reason too long", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.Reason = strings.Repeat("r", 2001) }), code: ETOOLARGE},
		{name: "deadline in the past", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.AckWithin = -time.Minute }), code: EINVALID, msg: "past"},
		{name: "deadline too short", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.AckWithin = 30 * time.Second }), code: EINVALID},
		{name: "deadline too long", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.AckWithin = 721 * time.Hour }), code: EINVALID},
		{name: "TLP:RED", given: []Event{opened(atTLP(TLPRed))}, by: by.PoliceCoord, when: esc, code: EFORBIDDEN},
		{name: "TLP:AMBER_STRICT", given: []Event{opened(atTLP(TLPAmberStrict))}, by: by.PoliceResp, when: esc, code: EFORBIDDEN},
		{name: "state secret to a CERT", given: []Event{opened(stateSecret)}, by: by.PoliceResp,
			when: with(func(c *Escalate) { c.ToOrg = "vncert" }), code: EFORBIDDEN, msg: "vncert"},
		{name: "still pending to the same organisation", given: []Event{opened(), escalated("e0", "subcommittee")}, by: by.PoliceResp, when: esc, code: ECONFLICT, msg: "e0"},
		{name: "id taken", given: []Event{opened(), escalated("e1", "vncert")}, by: by.PoliceResp, when: esc, code: ECONFLICT},
		{name: "id missing", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.EscalationID = "" }), code: EINVALID},
		{name: "reviewer may not", given: []Event{opened()}, by: by.PoliceReviewer, when: esc, code: EFORBIDDEN},
		{name: "closed", given: []Event{opened(), closed()}, by: by.PoliceResp, when: esc, code: ECONFLICT},
	})
}

func TestIncidentAcknowledgeEscalation(t *testing.T) {
	overdue := escalated("e1", "subcommittee")
	overdue.Deadline = incNow.Add(-time.Minute)
	ack := AcknowledgeEscalation{EscalationID: "e1"}
	runIncidentCases(t, []incidentCase{
		{name: "on time", given: []Event{opened(), escalated("e1", "subcommittee")}, by: by.SubReviewer, when: ack,
			then: []Event{EscalationAcknowledged{EscalationID: "e1", Stamp: Stamp{By: by.SubReviewer, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				x := i.Escalation("e1")
				is.Equal(x.Status, EscalationStatusAcknowledged) // acknowledged
				is.Equal(*x.AckBy, by.SubReviewer)               // by whom
				is.True(!x.Late)                                 // on time
			}},
		{name: "late is still accepted", given: []Event{opened(), overdue}, by: by.SubCoord, when: ack,
			then:  []Event{EscalationAcknowledged{EscalationID: "e1", Late: true, Stamp: Stamp{By: by.SubCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) { is.True(i.Escalation("e1").Late) }}, // marked late
		{name: "another organisation", given: []Event{opened(), escalated("e1", "subcommittee")}, by: by.PoliceCoord, when: ack, code: EFORBIDDEN, msg: "only subcommittee"},
		{name: "unknown escalation", given: []Event{opened(), escalated("e1", "subcommittee")}, by: by.SubReviewer,
			when: AcknowledgeEscalation{EscalationID: "e9"}, code: ENOTFOUND},
		{name: "already acknowledged", given: []Event{opened(), escalated("e1", "subcommittee"), acknowledged("e1", by.SubCoord)},
			by: by.SubReviewer, when: ack, code: ECONFLICT, msg: "already acknowledged"},
		{name: "already resolved", given: []Event{opened(), escalated("e1", "subcommittee"),
			EscalationResolved{EscalationID: "e1", Resolution: "handled", Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}},
			by: by.SubReviewer, when: ack, code: ECONFLICT},
		{name: "admin may not", given: []Event{opened(), escalated("e1", "subcommittee")}, by: Actor{User: "root", Org: "subcommittee", Role: RoleAdmin}, when: ack, code: EFORBIDDEN},
		{name: "closed", given: []Event{opened(), escalated("e1", "subcommittee"), closed()}, by: by.SubReviewer, when: ack, code: ECONFLICT},
	})
}

func TestIncidentResolveEscalation(t *testing.T) {
	given := []Event{opened(), shared("dic"), escalated("e1", "subcommittee")}
	res := ResolveEscalation{EscalationID: "e1", Resolution: " subcommittee convened "}
	runIncidentCases(t, []incidentCase{
		{name: "by the addressee", given: given, by: by.SubCoord, when: res,
			then:  []Event{EscalationResolved{EscalationID: "e1", Resolution: "subcommittee convened", Stamp: Stamp{By: by.SubCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) { is.Equal(i.Escalation("e1").Status, EscalationStatusResolved) }}, // resolved
		{name: "by the escalating organisation", given: given, by: by.PoliceResp, when: res,
			then: []Event{EscalationResolved{EscalationID: "e1", Resolution: "subcommittee convened", Stamp: Stamp{By: by.PoliceResp, At: incNow}}}},
		{name: "by a third organisation", given: given, by: by.DICCoord, when: res, code: EFORBIDDEN},
		{name: "already resolved", given: append(given[:3:3], EscalationResolved{EscalationID: "e1", Resolution: "x", Stamp: Stamp{By: by.SubCoord, At: incEarlier}}),
			by: by.SubCoord, when: res, code: ECONFLICT},
		{name: "unknown escalation", given: given, by: by.SubCoord, when: ResolveEscalation{EscalationID: "e9", Resolution: "x"}, code: ENOTFOUND},
		{name: "resolution missing", given: given, by: by.SubCoord, when: ResolveEscalation{EscalationID: "e1"}, code: EINVALID},
		{name: "admin may not", given: given, by: by.PoliceAdmin, when: res, code: EFORBIDDEN},
	})
}
