package domain

import (
	"slices"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestEscalateRecordsPolicy(t *testing.T) {
	cfg := policyConfig(t)
	esc := Escalate{EscalationID: "e1", ToOrg: "subcommittee", Reason: "possibly serious"}
	want := func(to string, within time.Duration, rule string, chain ...ChainStep) []Event {
		e := IncidentEscalated{
			EscalationID:  "e1",
			From:          "police",
			To:            to,
			Reason:        "possibly serious",
			Deadline:      incNow.Add(within),
			PolicyVersion: "policy-1",
			RuleID:        rule,
			Chain:         chain,
			RemindBefore:  min5,
			Stamp:         Stamp{By: by.PoliceResp, At: incNow},
		}
		if within > 5*time.Minute {
			e.RemindAt = incNow.Add(within - 5*time.Minute)
		}
		return []Event{e}
	}
	runIncidentCases(t, []incidentCase{
		{name: "addressee in the chain: the steps after it", cfg: cfg, given: []Event{opened()}, by: by.PoliceResp, when: esc,
			then: want("subcommittee", 15*time.Minute, "default", ChainStep{"vncert", hour1}),
			check: func(is *is.I, i *Incident) {
				x := i.Escalation("e1")
				is.Equal(x.Chain, []ChainStep{{"vncert", hour1}}) // chain kept on the escalation
				is.Equal(x.PolicyVersion, "policy-1")             // version kept
				is.Equal(x.RemindAt, incNow.Add(10*time.Minute))  // reminder 5 minutes before
			}},
		{name: "addressee not in the chain: the whole chain", cfg: cfg, given: []Event{opened()}, by: by.PoliceResp,
			when: Escalate{EscalationID: "e1", ToOrg: "dic", Reason: "possibly serious"},
			then: want("dic", 15*time.Minute, "default", ChainStep{"subcommittee", min30}, ChainStep{"vncert", hour1})},
		{name: "the actor's organisation is left out", cfg: cfg, given: []Event{opened(serious)}, by: by.PoliceResp,
			when: Escalate{EscalationID: "e1", ToOrg: "dic", Reason: "possibly serious"},
			then: want("dic", 15*time.Minute, "serious", ChainStep{"subcommittee", min30}, ChainStep{"vncert", min30})},
		{name: "state secret: non-forces left out", cfg: cfg, given: []Event{opened(stateSecret)}, by: by.PoliceResp,
			when: Escalate{EscalationID: "e1", ToOrg: "military", Reason: "possibly serious"},
			then: want("military", 15*time.Minute, "state-secret", ChainStep{"subcommittee", min30})},
		{name: "last step: empty chain", cfg: cfg, given: []Event{opened()}, by: by.PoliceResp,
			when: Escalate{EscalationID: "e1", ToOrg: "vncert", Reason: "possibly serious"}, then: want("vncert", 15*time.Minute, "default")},
		{name: "deadline shorter than the reminder: no reminder", cfg: cfg, given: []Event{opened()}, by: by.PoliceResp,
			when: Escalate{EscalationID: "e1", ToOrg: "vncert", Reason: "possibly serious", AckWithin: 4 * time.Minute},
			then: want("vncert", 4*time.Minute, "default")},
	})
}

func TestAutoEscalate(t *testing.T) {
	cfg := policyConfig(t)
	root := AutoEscalationID("inc-1", "serious")
	auto := func(id, from, to string, ack Duration, chain ...ChainStep) IncidentEscalated {
		return IncidentEscalated{
			EscalationID:  id,
			From:          from,
			To:            to,
			Reason:        "policy policy-1, rule " + "serious",
			Deadline:      incNow.Add(time.Duration(ack)),
			PolicyVersion: "policy-1",
			RuleID:        "serious",
			Chain:         chain,
			Auto:          true,
			RemindAt:      incNow.Add(time.Duration(ack) - 5*time.Minute),
			RemindBefore:  min5,
			Stamp:         Stamp{By: system, At: incNow},
		}
	}
	secretAuto := auto(AutoEscalationID("inc-1", "state-secret"), "police", "military", min15, ChainStep{"subcommittee", min30})
	secretAuto.Reason, secretAuto.RuleID = "policy policy-1, rule state-secret", "state-secret"
	reclassified := IncidentClassified{
		Stamp:          Stamp{By: by.PoliceCoord, At: incEarlier},
		Classification: Classification{Type: "MALWARE", RSITClass: "Malicious Code", RSITType: "Infected System", Severity: SeverityCritical, Tier: TierSerious, Sector: "HEALTH"},
	}
	ordinaryAgain := reclassified
	ordinaryAgain.Tier = TierOrdinary
	runIncidentCases(t, []incidentCase{
		{name: "serious incident: first step of the chain", cfg: cfg, given: []Event{opened(serious, openedBy(by.DICCoord))}, by: system, when: AutoEscalate{},
			then: []Event{auto(root, "dic", "police", min15, ChainStep{"subcommittee", min30}, ChainStep{"vncert", min30})},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.AutoRules, []string{"serious"})                                             // rule done
				is.Equal(i.Escalation(root).Status, EscalationStatusPending)                           // pending
				is.True(!slices.ContainsFunc(i.PendingDeadlines(cfg), isKind(DeadlineAutoEscalation))) // no longer pending
			}},
		{name: "the origin is passed over", cfg: cfg, given: []Event{opened(serious)}, by: system, when: AutoEscalate{},
			then: []Event{auto(root, "police", "subcommittee", min30, ChainStep{"vncert", min30})}},
		{name: "state secret: chain of forces, origin passed over", cfg: cfg, given: []Event{opened(stateSecret, serious)}, by: system,
			when: AutoEscalate{}, then: []Event{secretAuto}},
		{name: "reclassified to serious later: once", cfg: cfg,
			given: []Event{opened(openedBy(by.DICCoord)), policyEscalated("e0", "subcommittee", incNow), reclassified},
			by:    system, when: AutoEscalate{},
			then: []Event{auto(root, "dic", "police", min15, ChainStep{"subcommittee", min30}, ChainStep{"vncert", min30})}},
		{name: "serious again after a downgrade: not twice", cfg: cfg,
			given: []Event{opened(serious), auto(root, "police", "subcommittee", min30), ordinaryAgain, reclassified},
			by:    system, when: AutoEscalate{}, code: ECONFLICT},
		{name: "already started by a person along the chain", cfg: cfg,
			given: []Event{opened(serious), func() Event {
				e := policyEscalated("e0", "subcommittee", incNow)
				e.RuleID = "serious"
				return e
			}()},
			by: system, when: AutoEscalate{}, code: ECONFLICT},
		{name: "TLP:RED: blocked, once", cfg: cfg, given: []Event{opened(serious, atTLP(TLPRed))}, by: system, when: AutoEscalate{},
			then: []Event{EscalationChainBlocked{
				EscalationID: root,
				RuleID:       "serious",
				Reason:       "the incident is TLP:RED, which is for named recipients only",
				Pending:      []string{"police", "subcommittee", "vncert"},
				Stamp:        Stamp{By: system, At: incNow},
			}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.AutoRules, []string{"serious"})                                                                          // marked done
				is.Equal(ErrorCode(i.AutoEscalate(Invocation{Actor: system, Now: incNow, Config: cfg}, AutoEscalate{})), ECONFLICT) // not twice
			}},
		{name: "rule does not escalate automatically", cfg: cfg, given: []Event{opened()}, by: system, when: AutoEscalate{}, code: EINVALID},
		{name: "no policy", given: []Event{opened(serious)}, by: system, when: AutoEscalate{}, code: ECONFLICT},
		{name: "closed", cfg: cfg, given: []Event{opened(serious), closed()}, by: system, when: AutoEscalate{}, code: ECONFLICT},
		{name: "a person may not", cfg: cfg, given: []Event{opened(serious)}, by: by.PoliceCoord, when: AutoEscalate{}, code: EFORBIDDEN},
		{name: "unopened", cfg: cfg, by: system, when: AutoEscalate{}, code: ENOTFOUND},
	})
}

func isKind(kind string) func(PendingDeadline) bool {
	return func(d PendingDeadline) bool { return d.Kind == kind }
}

func TestMissEscalationDeadline(t *testing.T) {
	cfg := policyConfig(t)
	miss := MissEscalationDeadline{EscalationID: "e1"}
	missed := EscalationDeadlineMissed{EscalationID: "e1", To: "subcommittee", Deadline: incNow, Stamp: Stamp{By: system, At: incNow}}
	next := func(org string, ack Duration, chain ...ChainStep) IncidentEscalated {
		return IncidentEscalated{
			EscalationID:  "e1/" + org,
			From:          "police",
			To:            org,
			Reason:        "beyond our capability",
			Deadline:      incNow.Add(time.Duration(ack)),
			PolicyVersion: "policy-1",
			RuleID:        "default",
			Chain:         chain,
			Auto:          true,
			RemindAt:      incNow.Add(time.Duration(ack) - 5*time.Minute),
			RemindBefore:  min5,
			Follows:       "e1",
			Stamp:         Stamp{By: system, At: incNow},
		}
	}
	withSkipped := func(e IncidentEscalated, orgs ...string) IncidentEscalated { e.Skipped = orgs; return e }
	// policy-2 changed the default chain; escalations recorded under policy-1 keep theirs.
	cfg2 := policyConfig(t)
	cfg2.Version = "policy-2"
	cfg2.EscalationPolicy.Rules[2].Chain = []ChainStep{{"dic", Duration(20 * time.Minute)}}
	legacy := escalated("e1", "subcommittee")
	legacy.Deadline = incNow
	acked := acknowledged("e1", by.SubReviewer)
	acked.At = incNow.Add(-time.Millisecond)
	runIncidentCases(t, []incidentCase{
		{name: "at the deadline: the next step, in one commit", cfg: cfg,
			given: []Event{opened(), policyEscalated("e1", "subcommittee", incNow, ChainStep{"vncert", hour1})}, by: system, when: miss,
			then: []Event{missed, next("vncert", hour1)},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Escalation("e1").Status, EscalationStatusMissed)         // missed
				is.Equal(i.Escalation("e1/vncert").Status, EscalationStatusPending) // next step pending
				is.True(slices.Contains(i.Audience().EscalatedTo, "vncert"))        // next step reads
			}},
		{name: "chain advances: the rest goes along", cfg: cfg,
			given: []Event{opened(), policyEscalated("e1", "subcommittee", incNow, ChainStep{"dic", min15}, ChainStep{"vncert", hour1})},
			by:    system, when: miss, then: []Event{missed, next("dic", min15, ChainStep{"vncert", hour1})}},
		{name: "policy changed mid-escalation: the recorded chain is followed", cfg: cfg2,
			given: []Event{opened(), policyEscalated("e1", "subcommittee", incNow, ChainStep{"vncert", hour1})}, by: system, when: miss,
			then: []Event{missed, next("vncert", hour1)}},
		{name: "chain exhausted", cfg: cfg, given: []Event{opened(), policyEscalated("e1", "subcommittee", incNow)}, by: system, when: miss,
			then: []Event{missed, EscalationChainExhausted{EscalationID: "e1", Stamp: Stamp{By: system, At: incNow}}}},
		{name: "state secret: a non-force step is skipped", cfg: cfg,
			given: []Event{opened(stateSecret), policyEscalated("e1", "subcommittee", incNow, ChainStep{"vncert", hour1}, ChainStep{"military", min15})},
			by:    system, when: miss, then: []Event{missed, withSkipped(next("military", min15), "vncert")}},
		{name: "state secret: every step skipped", cfg: cfg,
			given: []Event{opened(stateSecret), policyEscalated("e1", "subcommittee", incNow, ChainStep{"vncert", hour1})}, by: system, when: miss,
			then: []Event{missed, EscalationChainExhausted{EscalationID: "e1", Skipped: []string{"vncert"}, Stamp: Stamp{By: system, At: incNow}}}},
		{name: "a step already asked is passed over", cfg: cfg,
			given: []Event{opened(), policyEscalated("e0", "dic", incNow.Add(time.Hour)),
				policyEscalated("e1", "subcommittee", incNow, ChainStep{"dic", min15}, ChainStep{"vncert", hour1})},
			by: system, when: miss, then: []Event{missed, next("vncert", hour1)}},
		{name: "TLP:AMBER+STRICT since: blocked", cfg: cfg,
			given: []Event{opened(), policyEscalated("e1", "subcommittee", incNow, ChainStep{"vncert", hour1}),
				TLPChanged{From: TLPAmber, To: TLPAmberStrict, Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}},
			by: system, when: miss, then: []Event{missed, EscalationChainBlocked{
				EscalationID: "e1",
				Reason:       "the incident is TLP:AMBER+STRICT, which keeps it in its own organisations",
				Pending:      []string{"vncert"},
				Stamp:        Stamp{By: system, At: incNow},
			}}},
		{name: "recorded without a policy: the miss only", cfg: cfg, given: []Event{opened(), legacy}, by: system, when: miss, then: []Event{missed}},
		{name: "not due: 1 ms early", cfg: cfg, given: []Event{opened(), policyEscalated("e1", "subcommittee", incNow.Add(time.Millisecond))},
			by: system, when: miss, code: EINVALID, msg: "not due until"},
		{name: "acknowledged 1 ms before the deadline", cfg: cfg,
			given: []Event{opened(), policyEscalated("e1", "subcommittee", incNow, ChainStep{"vncert", hour1}), acked},
			by:    system, when: miss, code: ECONFLICT},
		{name: "already missed", cfg: cfg, given: []Event{opened(), policyEscalated("e1", "subcommittee", incNow), missed},
			by: system, when: miss, code: ECONFLICT},
		{name: "resolved", cfg: cfg, given: []Event{opened(), policyEscalated("e1", "subcommittee", incNow),
			EscalationResolved{EscalationID: "e1", Resolution: "x", Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}}, by: system, when: miss, code: ECONFLICT},
		{name: "closed", cfg: cfg, given: []Event{opened(), policyEscalated("e1", "subcommittee", incNow), closed()}, by: system, when: miss, code: ECONFLICT},
		{name: "unknown escalation", cfg: cfg, given: []Event{opened()}, by: system, when: miss, code: ENOTFOUND},
		{name: "a person may not", cfg: cfg, given: []Event{opened(), policyEscalated("e1", "subcommittee", incNow)}, by: by.PoliceCoord, when: miss, code: EFORBIDDEN},
	})
}

func TestAcknowledgeMissedEscalation(t *testing.T) {
	cfg := policyConfig(t)
	given := []Event{opened(), policyEscalated("e1", "subcommittee", incEarlier.Add(15*time.Minute), ChainStep{"vncert", hour1})}
	i := MustReplay(t, given...)
	is := is.New(t)
	at := incEarlier.Add(15 * time.Minute)
	is.NoErr(i.MissEscalationDeadline(Invocation{Actor: system, Now: at, Config: cfg}, MissEscalationDeadline{EscalationID: "e1"})) // missed
	i.ClearChanges()
	is.NoErr(i.AcknowledgeEscalation(Invocation{Actor: by.SubReviewer, Now: incNow, Config: cfg}, AcknowledgeEscalation{EscalationID: "e1"})) // late
	is.Equal(i.Changes(), []Event{EscalationAcknowledged{EscalationID: "e1", Late: true, Stamp: Stamp{By: by.SubReviewer, At: incNow}}})      // late acknowledgement
	is.Equal(i.Escalation("e1").Status, EscalationStatusAcknowledged)                                                                         // acknowledged
	is.True(i.Escalation("e1").Late)                                                                                                          // late
	is.Equal(i.Escalation("e1/vncert").Status, EscalationStatusPending)                                                                       // the chain moved on regardless
	err := i.AcknowledgeEscalation(Invocation{Actor: by.SubCoord, Now: incNow, Config: cfg}, AcknowledgeEscalation{EscalationID: "e1"})
	is.Equal(ErrorCode(err), ECONFLICT) // once
}

func TestRemindEscalation(t *testing.T) {
	cfg := policyConfig(t)
	rem := RemindEscalation{EscalationID: "e1"}
	pending := policyEscalated("e1", "subcommittee", incNow.Add(5*time.Minute)) // reminder due at incNow
	noReminder := pending
	noReminder.RemindAt = time.Time{}
	runIncidentCases(t, []incidentCase{
		{name: "due", cfg: cfg, given: []Event{opened(), pending}, by: system, when: rem,
			then:  []Event{EscalationReminderDue{EscalationID: "e1", To: "subcommittee", Deadline: incNow.Add(5 * time.Minute), Stamp: Stamp{By: system, At: incNow}}},
			check: func(is *is.I, i *Incident) { is.True(i.Escalation("e1").Reminded) }}, // reminded
		{name: "not due", cfg: cfg, now: incNow.Add(-time.Millisecond), given: []Event{opened(), pending}, by: system, when: rem, code: EINVALID},
		{name: "once", cfg: cfg, given: []Event{opened(), pending, EscalationReminderDue{EscalationID: "e1", To: "subcommittee", Stamp: Stamp{By: system, At: incNow}}},
			by: system, when: rem, code: ECONFLICT, msg: "already reminded"},
		{name: "no reminder", cfg: cfg, given: []Event{opened(), noReminder}, by: system, when: rem, code: ECONFLICT},
		{name: "acknowledged", cfg: cfg, given: []Event{opened(), pending, acknowledged("e1", by.SubCoord)}, by: system, when: rem, code: ECONFLICT},
		{name: "past the deadline", cfg: cfg, now: incNow.Add(5 * time.Minute), given: []Event{opened(), pending}, by: system, when: rem, code: ECONFLICT},
		{name: "a person may not", cfg: cfg, given: []Event{opened(), pending}, by: by.SubCoord, when: rem, code: EFORBIDDEN},
	})
}

func TestEscalationEventsStoredBeforeThePolicy(t *testing.T) {
	is := is.New(t)
	// Payloads as version 1 stored them, before the policy fields existed.
	e, err := DecodeEvent("IncidentEscalated", 1, []byte(`{"escalationId":"e1","from":"police","to":"subcommittee","reason":"x","deadline":"2025-06-02T08:00:00Z","by":{"user":"an","org":"police","role":"coordinator"},"at":"2025-06-02T07:00:00Z"}`))
	is.NoErr(err) // decodes
	x := e.(IncidentEscalated)
	is.Equal(x.PolicyVersion, "")       // no policy
	is.Equal(x.Chain, []ChainStep(nil)) // no chain
	h, err := DecodeEvent("HandoffOffered", 1, []byte(`{"handoffId":"h1","from":"police","to":"vncert","summary":"x","deadline":"2025-06-02T08:00:00Z","by":{"user":"an","org":"police","role":"coordinator"},"at":"2025-06-02T07:00:00Z"}`))
	is.NoErr(err) // decodes
	is.Equal(h.(HandoffOffered).Chain, []string(nil))
	c, err := DecodeEvent("IncidentClosed", 1, []byte(`{"resolution":"RESOLVED","summary":"x","by":{"user":"an","org":"police","role":"coordinator"},"at":"2025-06-02T07:00:00Z"}`))
	is.NoErr(err)                                  // decodes
	is.True(c.(IncidentClosed).ReportDue.IsZero()) // no closing report owed for what was closed before
	i := MustReplay(t, opened(), e, c)
	is.Equal(len(i.PendingDeadlines(policyConfig(t))), 1) // the notification only: closed escalations wait, no report due
	_, v, _, err := EncodeEvent(IncidentEscalated{})
	is.NoErr(err)
	is.Equal(v, 1) // fields were added, none changed meaning: same schema version
}
