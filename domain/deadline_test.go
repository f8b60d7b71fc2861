package domain

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/matryer/is"
)

const (
	min15 = Duration(15 * time.Minute)
	min30 = Duration(30 * time.Minute)
	hour1 = Duration(time.Hour)
	min5  = Duration(5 * time.Minute)
)

// policyConfig is testConfig with the default escalation policy and periodic reports.
func policyConfig(tb testing.TB) *Config {
	tb.Helper()
	c := testConfig(tb)
	c.Version = "policy-1"
	c.EscalationPolicy = EscalationPolicy{RemindBefore: min5, Rules: []PolicyRule{
		{ID: "state-secret", Match: RuleMatch{InfoClasses: []InfoClass{InfoSecretConfident, InfoSecretSecret, InfoSecretTop}},
			AutoEscalate: true, Chain: []ChainStep{{"police", min15}, {"military", min15}, {"subcommittee", min30}}},
		{ID: "serious", Match: RuleMatch{Tiers: []Tier{TierSerious}}, AutoEscalate: true,
			Chain:        []ChainStep{{"police", min15}, {"subcommittee", min30}, {"vncert", min30}},
			HandoffChain: []string{SectorCERTPlaceholder, "vncert"}, NotifyWithin: Duration(120 * time.Hour)},
		{ID: "default", Chain: []ChainStep{{"subcommittee", min30}, {"vncert", hour1}},
			HandoffChain: []string{SectorCERTPlaceholder, "vncert"}, NotifyWithin: Duration(120 * time.Hour)},
	}}
	c.PeriodicReports = PeriodicReports{OrgKinds: []string{"DIC", "AGENCY", "PROVINCIAL_CERT"},
		Periods: []ReportPeriod{{ID: "H1", Due: "06-20"}, {ID: "YEAR", Due: "12-15"}}}
	if err := c.Validate(); err != nil {
		tb.Fatalf("policy config: %v", err)
	}
	return c
}

var system = SystemActor

func serious(e *IncidentOpened) { e.Tier = TierSerious }

func ownedBy(org string) func(*IncidentOpened) {
	return func(e *IncidentOpened) {
		e.AffectedSystem = &AffectedSystem{Name: "HIS", OwnerOrg: org, SecurityLevel: 3, InfoClass: InfoPersonal}
	}
}

// policyEscalated is an escalation recorded under policy-1's default rule, due at deadline.
func policyEscalated(id, to string, deadline time.Time, chain ...ChainStep) IncidentEscalated {
	return IncidentEscalated{
		EscalationID:  id,
		From:          "police",
		To:            to,
		Reason:        "beyond our capability",
		Deadline:      deadline,
		PolicyVersion: "policy-1",
		RuleID:        "default",
		Chain:         chain,
		RemindAt:      deadline.Add(-5 * time.Minute),
		RemindBefore:  min5,
		Stamp:         Stamp{By: by.PoliceCoord, At: incEarlier},
	}
}

// policyOffered is a handoff recorded under policy-1's default rule, due at deadline.
func policyOffered(id, to string, deadline time.Time, chain ...string) HandoffOffered {
	return HandoffOffered{
		HandoffID:     id,
		From:          "police",
		To:            to,
		Summary:       "malware on the hospital system",
		Deadline:      deadline,
		PolicyVersion: "policy-1",
		RuleID:        "default",
		Chain:         chain,
		RemindAt:      deadline.Add(-5 * time.Minute),
		RemindBefore:  min5,
		Stamp:         Stamp{By: by.PoliceCoord, At: incEarlier},
	}
}

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
		Type:      "MALWARE",
		RSITClass: "Malicious Code",
		RSITType:  "Infected System",
		Severity:  SeverityCritical,
		Tier:      TierSerious,
		Sector:    "HEALTH",
		Stamp:     Stamp{By: by.PoliceCoord, At: incEarlier},
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

func TestOfferHandoffRecordsPolicy(t *testing.T) {
	cfg := policyConfig(t)
	offer := OfferHandoff{HandoffID: "h1", ToOrg: "provincial-cert", Summary: "malware on the hospital system"}
	want := func(to string, chain ...string) []Event {
		return []Event{HandoffOffered{
			HandoffID:     "h1",
			From:          "police",
			To:            to,
			Summary:       "malware on the hospital system",
			TLP:           TLPAmber,
			Deadline:      incNow.Add(4 * time.Hour),
			PolicyVersion: "policy-1",
			RuleID:        "default",
			Chain:         chain,
			RemindAt:      incNow.Add(4*time.Hour - 5*time.Minute),
			RemindBefore:  min5,
			Stamp:         Stamp{By: by.PoliceCoord, At: incNow},
		}}
	}
	noSector := func(e *IncidentOpened) { e.Sector = "" }
	runIncidentCases(t, []incidentCase{
		{name: "sector CERT resolved", cfg: cfg, given: []Event{opened()}, by: by.PoliceCoord, when: offer,
			then: want("provincial-cert", "cert-health", "vncert")},
		{name: "addressee left out", cfg: cfg, given: []Event{opened()}, by: by.PoliceCoord,
			when: OfferHandoff{HandoffID: "h1", ToOrg: "cert-health", Summary: "malware on the hospital system"}, then: want("cert-health", "vncert")},
		{name: "no sector: no sector CERT", cfg: cfg, given: []Event{opened(noSector)}, by: by.PoliceCoord, when: offer, then: want("provincial-cert", "vncert")},
		{name: "state secret: nobody outside the forces", cfg: cfg, given: []Event{opened(stateSecret)}, by: by.PoliceCoord,
			when: OfferHandoff{HandoffID: "h1", ToOrg: "military", Summary: "malware on the hospital system"},
			then: func() []Event {
				e := want("military")[0].(HandoffOffered)
				e.RuleID = "state-secret"
				return []Event{e}
			}()},
	})
}

func TestHandoffChain(t *testing.T) {
	cfg := policyConfig(t)
	nextOffer := func(from, org string, chain ...string) HandoffOffered {
		return HandoffOffered{
			HandoffID:     from + "/" + org,
			From:          "police",
			To:            org,
			Summary:       "malware on the hospital system",
			TLP:           TLPAmber,
			Deadline:      incNow.Add(4 * time.Hour),
			PolicyVersion: "policy-1",
			RuleID:        "default",
			Chain:         chain,
			Auto:          true,
			RemindAt:      incNow.Add(4*time.Hour - 5*time.Minute),
			RemindBefore:  min5,
			Follows:       from,
			Stamp:         Stamp{By: system, At: incNow},
		}
	}
	declined := HandoffDeclined{HandoffID: "h1", Reason: "outside our sector", Stamp: Stamp{By: by.HealthCERTPartner, At: incNow}}
	expired := HandoffDeadlineMissed{HandoffID: "h1", To: "cert-health", Deadline: incNow, Stamp: Stamp{By: system, At: incNow}}
	dec := DeclineHandoff{HandoffID: "h1", Reason: "outside our sector"}
	miss := MissHandoffDeadline{HandoffID: "h1"}
	runIncidentCases(t, []incidentCase{
		{name: "declined: offered to the next, in the same commit", cfg: cfg,
			given: []Event{opened(), policyOffered("h1", "cert-health", incNow.Add(time.Hour), "vncert")}, by: by.HealthCERTPartner, when: dec,
			then: []Event{declined, nextOffer("h1", "vncert")},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Handoff("h1").Status, HandoffStatusDeclined)       // declined
				is.Equal(i.Handoff("h1/vncert").Status, HandoffStatusOffered) // next offered
				is.Equal(i.Owner, "police")                                   // ownership stays until accepted
				is.Equal(i.Audience().HandoffTo, []string{"vncert"})          // the next addressee reads
			}},
		{name: "declined, chain exhausted: ownership stays", cfg: cfg,
			given: []Event{opened(), policyOffered("h1", "cert-health", incNow.Add(time.Hour))}, by: by.HealthCERTPartner, when: dec,
			then: []Event{declined, HandoffChainExhausted{HandoffID: "h1", Owner: "police", Stamp: Stamp{By: system, At: incNow}}}},
		{name: "declined at TLP:RED: blocked", cfg: cfg,
			given: []Event{opened(), policyOffered("h1", "cert-health", incNow.Add(time.Hour), "vncert"),
				TLPChanged{From: TLPAmber, To: TLPRed, Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}},
				RecipientsNamed{Users: []string{"cert-health/nam"}, Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}},
			by: by.HealthCERTPartner, when: dec,
			then: []Event{declined, HandoffChainBlocked{
				HandoffID: "h1",
				Owner:     "police",
				Reason:    "the incident is TLP:RED, which is for named recipients only",
				Pending:   []string{"vncert"},
				Stamp:     Stamp{By: system, At: incNow},
			}}},
		{name: "unanswered: expired and offered to the next", cfg: cfg,
			given: []Event{opened(), policyOffered("h1", "cert-health", incNow, "provincial-cert", "vncert")}, by: system, when: miss,
			then: []Event{expired, nextOffer("h1", "provincial-cert", "vncert")},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Handoff("h1").Status, HandoffStatusExpired) // expired
				err := i.AcceptHandoff(Invocation{Actor: by.HealthCERTPartner, Now: incNow, Config: cfg}, AcceptHandoff{HandoffID: "h1"})
				is.Equal(ErrorCode(err), ENOTFOUND) // too late: like a declined one, the offer no longer lets it read the incident
			}},
		{name: "unanswered, chain exhausted", cfg: cfg, given: []Event{opened(), policyOffered("h1", "cert-health", incNow)}, by: system, when: miss,
			then: []Event{expired, HandoffChainExhausted{HandoffID: "h1", Owner: "police", Stamp: Stamp{By: system, At: incNow}}}},
		{name: "state secret: non-forces skipped", cfg: cfg,
			given: []Event{opened(stateSecret), policyOffered("h1", "military", incNow, "vncert", "subcommittee")}, by: system, when: miss,
			then: []Event{HandoffDeadlineMissed{HandoffID: "h1", To: "military", Deadline: incNow, Stamp: Stamp{By: system, At: incNow}},
				func() HandoffOffered {
					e := nextOffer("h1", "subcommittee")
					e.Skipped = []string{"vncert"}
					return e
				}()}},
		{name: "not due", cfg: cfg, given: []Event{opened(), policyOffered("h1", "cert-health", incNow.Add(time.Millisecond))}, by: system, when: miss, code: EINVALID},
		{name: "answered", cfg: cfg, given: []Event{opened(), policyOffered("h1", "cert-health", incNow), accepted("h1", by.HealthCERTPartner)},
			by: system, when: miss, code: ECONFLICT},
		{name: "already expired", cfg: cfg, given: []Event{opened(), policyOffered("h1", "cert-health", incNow), expired}, by: system, when: miss, code: ECONFLICT},
		{name: "a person may not", cfg: cfg, given: []Event{opened(), policyOffered("h1", "cert-health", incNow)}, by: by.PoliceCoord, when: miss, code: EFORBIDDEN},
		{name: "unknown handoff", cfg: cfg, given: []Event{opened()}, by: system, when: miss, code: ENOTFOUND},
	})
}

func TestRemindHandoff(t *testing.T) {
	cfg := policyConfig(t)
	rem := RemindHandoff{HandoffID: "h1"}
	pending := policyOffered("h1", "cert-health", incNow.Add(5*time.Minute))
	runIncidentCases(t, []incidentCase{
		{name: "due", cfg: cfg, given: []Event{opened(), pending}, by: system, when: rem,
			then:  []Event{HandoffReminderDue{HandoffID: "h1", To: "cert-health", Deadline: incNow.Add(5 * time.Minute), Stamp: Stamp{By: system, At: incNow}}},
			check: func(is *is.I, i *Incident) { is.True(i.Handoff("h1").Reminded) }}, // reminded
		{name: "not due", cfg: cfg, now: incNow.Add(-time.Millisecond), given: []Event{opened(), pending}, by: system, when: rem, code: EINVALID},
		{name: "once", cfg: cfg, given: []Event{opened(), pending, HandoffReminderDue{HandoffID: "h1", Stamp: Stamp{By: system, At: incNow}}}, by: system, when: rem, code: ECONFLICT},
		{name: "answered", cfg: cfg, given: []Event{opened(), pending, accepted("h1", by.HealthCERTPartner)}, by: system, when: rem, code: ECONFLICT},
		{name: "acknowledged", cfg: cfg, given: []Event{opened(), pending, HandoffAcknowledged{HandoffID: "h1", Stamp: Stamp{By: by.HealthCERTPartner, At: incEarlier}}},
			by: system, when: rem, code: ECONFLICT, msg: "no reminder is needed"},
	})
}

// TestAcknowledgedHandoffNeedsNoReminder: acknowledging an offer takes its reminder off the
// pending deadlines and leaves the answer deadline where it was.
func TestAcknowledgedHandoffNeedsNoReminder(t *testing.T) {
	cfg := policyConfig(t)
	pending := policyOffered("h1", "cert-health", incNow.Add(time.Hour))
	runIncidentCases(t, []incidentCase{
		{name: "acknowledged before the reminder", cfg: cfg, given: []Event{opened(), pending}, by: by.HealthCERTPartner,
			when: AcknowledgeHandoff{HandoffID: "h1"}, then: []Event{HandoffAcknowledged{HandoffID: "h1", Stamp: Stamp{By: by.HealthCERTPartner, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				ds := i.PendingDeadlines(cfg)
				is.True(!slices.ContainsFunc(ds, isKind(DeadlineHandoffReminder))) // no reminder pending
				k := slices.IndexFunc(ds, isKind(DeadlineHandoffAnswer))
				is.True(k >= 0)                           // the answer is still owed
				is.Equal(ds[k].At, incNow.Add(time.Hour)) // by the same deadline
				err := i.Fire(Invocation{Actor: system, Now: incNow.Add(55 * time.Minute), Config: cfg},
					PendingDeadline{Kind: DeadlineHandoffReminder, RefID: "h1"})
				is.Equal(ErrorCode(err), ECONFLICT) // a scheduler that listed it earlier records nothing
			}},
	})
	t.Run("pending before acknowledgement", func(t *testing.T) {
		is := is.New(t)
		i := MustReplay(t, opened(), pending)
		is.True(slices.ContainsFunc(i.PendingDeadlines(cfg), isKind(DeadlineHandoffReminder))) // reminder listed
	})
}

func TestNotification(t *testing.T) {
	cfg := policyConfig(t)
	due := incNow.Add(-2 * time.Hour).Add(120 * time.Hour) // detected two hours before incNow, 5 days to notify
	missNotif := MissNotificationDeadline{}
	notified := NotificationRecorded{Orgs: []string{"dept-health", "vncert"}, Channel: "official letter", Reference: "CV 12/CAT", Stamp: Stamp{By: by.PoliceResp, At: incEarlier}}
	drill := func(e *IncidentOpened) { e.Drill = true }
	runIncidentCases(t, []incidentCase{
		{name: "due: owner and VNCERT missing", cfg: cfg, now: due, given: []Event{opened(ownedBy("dept-health"))}, by: system, when: missNotif,
			then: []Event{NotificationDeadlineMissed{Due: due, Missing: []string{"vncert", "dept-health"}, PolicyVersion: "policy-1", RuleID: "default", Stamp: Stamp{By: system, At: due}}},
			check: func(is *is.I, i *Incident) {
				is.True(!slices.ContainsFunc(i.PendingDeadlines(cfg), isKind(DeadlineNotification))) // no longer pending
			}},
		{name: "drill: recorded, marked as a drill", cfg: cfg, now: due, given: []Event{opened(drill)}, by: system, when: missNotif,
			then: []Event{NotificationDeadlineMissed{Due: due, Missing: []string{"vncert"}, PolicyVersion: "policy-1", RuleID: "default", Drill: true, Stamp: Stamp{By: system, At: due}}}},
		{name: "owner a participant, VNCERT missing", cfg: cfg, now: due, given: []Event{opened(ownedBy("dept-health")), shared("dept-health")}, by: system, when: missNotif,
			then: []Event{NotificationDeadlineMissed{Due: due, Missing: []string{"vncert"}, PolicyVersion: "policy-1", RuleID: "default", Stamp: Stamp{By: system, At: due}}}},
		{name: "not due", cfg: cfg, now: due.Add(-time.Millisecond), given: []Event{opened()}, by: system, when: missNotif, code: EINVALID},
		{name: "escalated to VNCERT and shared with the owner", cfg: cfg, now: due,
			given: []Event{opened(ownedBy("dept-health")), escalated("e1", "vncert"), shared("dept-health")}, by: system, when: missNotif, code: ECONFLICT},
		{name: "handed to VNCERT, no owner", cfg: cfg, now: due, given: []Event{opened(), offered("h1", "vncert")}, by: system, when: missNotif, code: ECONFLICT},
		{name: "notified outside the service", cfg: cfg, now: due, given: []Event{opened(ownedBy("dept-health")), notified}, by: system, when: missNotif, code: ECONFLICT},
		{name: "once", cfg: cfg, now: due, given: []Event{opened(), NotificationDeadlineMissed{Due: due, Missing: []string{"vncert"}, Stamp: Stamp{By: system, At: due}}},
			by: system, when: missNotif, code: ECONFLICT},
		{name: "closed as a false positive", cfg: cfg, now: due,
			given: []Event{opened(), IncidentClosed{Resolution: ResolutionFalsePositive, Summary: "x", Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}}, by: system, when: missNotif, code: ECONFLICT},
		{name: "closed as resolved: still owed", cfg: cfg, now: due, given: []Event{opened(), closed()}, by: system, when: missNotif,
			then: []Event{NotificationDeadlineMissed{Due: due, Missing: []string{"vncert"}, PolicyVersion: "policy-1", RuleID: "default", Stamp: Stamp{By: system, At: due}}}},
		{name: "state secret: not required", cfg: cfg, now: due, given: []Event{opened(stateSecret)}, by: system, when: missNotif, code: ECONFLICT},
		{name: "no policy", now: due, given: []Event{opened()}, by: system, when: missNotif, code: ECONFLICT},
		{name: "a person may not", cfg: cfg, now: due, given: []Event{opened()}, by: by.PoliceCoord, when: missNotif, code: EFORBIDDEN},
	})
}

func TestRecordNotification(t *testing.T) {
	cfg := policyConfig(t)
	rec := RecordNotification{Orgs: []string{"vncert", " dept-health", "vncert"}, Channel: " official letter ", Reference: "CV 12/CAT"}
	runIncidentCases(t, []incidentCase{
		{name: "recorded", cfg: cfg, given: []Event{opened(ownedBy("dept-health"))}, by: by.PoliceResp, when: rec,
			then: []Event{NotificationRecorded{Orgs: []string{"dept-health", "vncert"}, Channel: "official letter", Reference: "CV 12/CAT", Stamp: Stamp{By: by.PoliceResp, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Notified, []string{"dept-health", "vncert"})                              // notified
				is.True(!slices.ContainsFunc(i.PendingDeadlines(cfg), isKind(DeadlineNotification))) // satisfied
				is.Equal(i.Audience().Shared, []string(nil))                                         // notifying gives no access
			}},
		{name: "on a closed drill", cfg: cfg, given: []Event{opened(func(e *IncidentOpened) { e.Drill = true }), closed()}, by: by.PoliceCoord,
			when: RecordNotification{Orgs: []string{"vncert"}, Channel: "email"},
			then: []Event{NotificationRecorded{Orgs: []string{"vncert"}, Channel: "email", Drill: true, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "no organisation", cfg: cfg, given: []Event{opened()}, by: by.PoliceResp, when: RecordNotification{Channel: "email"}, code: EINVALID},
		{name: "unknown organisation", cfg: cfg, given: []Event{opened()}, by: by.PoliceResp, when: RecordNotification{Orgs: []string{"nowhere"}, Channel: "email"}, code: ENOTFOUND},
		{name: "channel missing", cfg: cfg, given: []Event{opened()}, by: by.PoliceResp, when: RecordNotification{Orgs: []string{"vncert"}}, code: EINVALID},
		{name: "reviewer may not", cfg: cfg, given: []Event{opened()}, by: by.PoliceReviewer, when: rec, code: EFORBIDDEN},
	})
}

func TestClosingReport(t *testing.T) {
	cfg := policyConfig(t)
	due := incEarlier.Add(720 * time.Hour)
	closedDue := IncidentClosed{Resolution: ResolutionResolved, Summary: "cleaned up", ReportDue: due, Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}
	overdue := ClosingReportOverdue{Due: due, Owner: "police", Stamp: Stamp{By: system, At: due}}
	mau04 := SubmitReport{Form: ReportFormClosing, Reference: "BC 45/CAT", Summary: " Đã gỡ bỏ mã độc. "}
	submitted := ReportSubmitted{Form: ReportFormClosing, Reference: "BC 45/CAT", Summary: "Đã gỡ bỏ mã độc.", Stamp: Stamp{By: by.PoliceCoord, At: incNow}}
	runIncidentCases(t, []incidentCase{
		{name: "closing report submitted", cfg: cfg, given: []Event{opened(), closedDue}, by: by.PoliceCoord, when: mau04, then: []Event{submitted},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.ClosingReportAt, incNow)                                                   // submitted
				is.True(!slices.ContainsFunc(i.PendingDeadlines(cfg), isKind(DeadlineClosingReport))) // no longer due
			}},
		{name: "closing report late", cfg: cfg, now: due.Add(time.Hour), given: []Event{opened(), closedDue, overdue}, by: by.PoliceCoord, when: mau04,
			then: []Event{ReportSubmitted{Form: ReportFormClosing, Reference: "BC 45/CAT", Summary: "Đã gỡ bỏ mã độc.", Late: true, Stamp: Stamp{By: by.PoliceCoord, At: due.Add(time.Hour)}}}},
		{name: "initial report while open", cfg: cfg, given: []Event{opened(func(e *IncidentOpened) { e.Drill = true })}, by: by.PoliceCoord,
			when: SubmitReport{Form: ReportFormInitial, Summary: "Báo cáo ban đầu"},
			then: []Event{ReportSubmitted{Form: ReportFormInitial, Summary: "Báo cáo ban đầu", Drill: true, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "closing report while open", cfg: cfg, given: []Event{opened()}, by: by.PoliceCoord, when: mau04, code: ECONFLICT},
		{name: "unknown form", cfg: cfg, given: []Event{opened()}, by: by.PoliceCoord, when: SubmitReport{Form: "MAU_05", Summary: "x"}, code: EINVALID},
		{name: "summary missing", cfg: cfg, given: []Event{opened(), closedDue}, by: by.PoliceCoord, when: SubmitReport{Form: ReportFormClosing}, code: EINVALID},
		{name: "responder may not", cfg: cfg, given: []Event{opened(), closedDue}, by: by.PoliceResp, when: mau04, code: EFORBIDDEN},

		{name: "overdue", cfg: cfg, now: due, given: []Event{opened(), closedDue}, by: system, when: MissClosingReport{}, then: []Event{overdue}},
		{name: "not due", cfg: cfg, now: due.Add(-time.Millisecond), given: []Event{opened(), closedDue}, by: system, when: MissClosingReport{}, code: EINVALID},
		{name: "submitted in time", cfg: cfg, now: due, given: []Event{opened(), closedDue, submitted}, by: system, when: MissClosingReport{}, code: ECONFLICT},
		{name: "once", cfg: cfg, now: due, given: []Event{opened(), closedDue, overdue}, by: system, when: MissClosingReport{}, code: ECONFLICT},
		{name: "reopened: cancelled", cfg: cfg, now: due, given: []Event{opened(), closedDue, IncidentReopened{Reason: "x", Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}},
			by: system, when: MissClosingReport{}, code: ECONFLICT},
		{name: "closed again: due again, not already submitted", cfg: cfg, now: due,
			given: []Event{opened(), closedDue, submitted, IncidentReopened{Reason: "x", Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}, closedDue},
			by:    system, when: MissClosingReport{}, then: []Event{overdue}},
		{name: "none owed (false positive)", cfg: cfg, now: due,
			given: []Event{opened(), IncidentClosed{Resolution: ResolutionFalsePositive, Summary: "x", Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}}, by: system, when: MissClosingReport{}, code: ECONFLICT},
		{name: "a person may not", cfg: cfg, now: due, given: []Event{opened(), closedDue}, by: by.PoliceCoord, when: MissClosingReport{}, code: EFORBIDDEN},
	})
}

func TestCloseWithoutReport(t *testing.T) {
	is := is.New(t)
	i := MustReplay(t, opened())
	is.NoErr(i.Close(Invocation{Actor: by.PoliceCoord, Now: incNow, Config: testConfig(t)}, CloseIncident{Resolution: ResolutionDuplicate, Summary: "see inc-0"}))
	is.True(i.ReportDue.IsZero()) // a duplicate owes no closing report
}

// TestPendingDeadlinesFireRoundTrip runs an incident through the scheduler's loop: list the
// pending deadlines, fire those due, on two replicas that both fire everything; the one whose
// commit loses reloads and retries, and its retries record nothing.
func TestPendingDeadlinesFireRoundTrip(t *testing.T) {
	is := is.New(t)
	cfg := policyConfig(t)
	var log []Event // the committed log
	load := func() *Incident { return MustReplay(t, log...) }
	commit := func(i *Incident) { log = append(log, i.Changes()...); i.ClearChanges() }

	open := NewIncident("inc-1")
	is.NoErr(open.Open(Invocation{Actor: by.DICCoord, Now: incNow, Config: cfg}, OpenIncident{Title: "Ransomware at the hospital", Type: "RANSOMWARE",
		Sector: "HEALTH", Severity: SeverityCritical, Tier: TierSerious, TLP: TLPAmber, DetectedAt: incNow.Add(-time.Hour),
		AffectedSystem: &AffectedSystem{Name: "HIS", OwnerOrg: "dept-health", SecurityLevel: 3, InfoClass: InfoPersonal}}))
	commit(open)

	kinds := func(ds []PendingDeadline) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.Kind+" "+d.RefID)
		}
		return out
	}
	root := AutoEscalationID("inc-1", "serious")
	is.Equal(kinds(load().PendingDeadlines(cfg)), []string{"AUTO_ESCALATION serious", "NOTIFICATION inc-1"}) // due now, and TT20 Art. 9

	// tick fires every deadline due at now, on two replicas loaded from the same log.
	tick := func(now time.Time) (fired []string) {
		a, b := load(), load()
		in := Invocation{Actor: system, Now: now, Config: cfg}
		for _, d := range a.PendingDeadlines(cfg) {
			if d.At.After(now) {
				continue
			}
			errA, errB := a.Fire(in, d), b.Fire(in, d)
			is.Equal(errA, errB) // both replicas decide alike
			if errA != nil {
				is.True(ErrorCode(errA) == ECONFLICT || ErrorCode(errA) == EINVALID) // ignorable
				continue
			}
			commit(a) // a wins the append; b's append would fail the expected-version check
			b = load()
			err := b.Fire(in, d)
			is.Equal(ErrorCode(err), ECONFLICT) // b retries on the new version: already handled
			is.Equal(len(b.Changes()), 0)       // and records nothing
			a = load()
			fired = append(fired, d.Kind+" "+d.RefID)
		}
		return fired
	}

	is.Equal(tick(incNow), []string{"AUTO_ESCALATION serious"}) // escalated to police at once
	is.Equal(load().Escalation(root).To, "police")
	is.Equal(kinds(load().PendingDeadlines(cfg)), []string{"ESCALATION_REMINDER " + root, "ESCALATION_ACK " + root, "NOTIFICATION inc-1"})
	is.Equal(tick(incNow.Add(9*time.Minute)), []string(nil))                               // nothing due yet
	is.Equal(tick(incNow.Add(10*time.Minute)), []string{"ESCALATION_REMINDER " + root})    // reminder, 5 minutes before
	is.Equal(tick(incNow.Add(10*time.Minute)), []string(nil))                              // once
	is.Equal(tick(incNow.Add(15*time.Minute)), []string{"ESCALATION_ACK " + root})         // missed: on to the subcommittee
	is.Equal(load().Escalation(root+"/subcommittee").Deadline, incNow.Add(45*time.Minute)) // 30 minutes from the miss
	is.Equal(tick(incNow.Add(40*time.Minute)), []string{"ESCALATION_REMINDER " + root + "/subcommittee"})
	is.Equal(tick(incNow.Add(45*time.Minute)), []string{"ESCALATION_ACK " + root + "/subcommittee"}) // on to VNCERT
	// The scheduler was down: the reminder of the VNCERT step comes after its deadline and is not sent.
	is.Equal(tick(incNow.Add(2*time.Hour)), []string{"ESCALATION_ACK " + root + "/subcommittee/vncert"})
	is.Equal(log[len(log)-1], Event(EscalationChainExhausted{EscalationID: root + "/subcommittee/vncert", Stamp: Stamp{By: system, At: incNow.Add(2 * time.Hour)}})) // nobody left
	// Escalating to VNCERT counts as notifying it; the owner is still missing.
	due := incNow.Add(-time.Hour).Add(120 * time.Hour)
	is.Equal(load().PendingDeadlines(cfg), []PendingDeadline{{Kind: DeadlineNotification, RefID: "inc-1", At: due, OwedBy: "dic"}})
	is.Equal(tick(due), []string{"NOTIFICATION inc-1"})
	is.Equal(log[len(log)-1].(NotificationDeadlineMissed).Missing, []string{"dept-health"}) // the owner was never told

	// Closing makes the closing report due; the scheduler fires it once.
	closing := load()
	is.NoErr(closing.Close(Invocation{Actor: by.DICCoord, Now: due, Config: cfg}, CloseIncident{Resolution: ResolutionResolved, Summary: "restored"}))
	commit(closing)
	is.Equal(kinds(load().PendingDeadlines(cfg)), []string{"CLOSING_REPORT inc-1"})
	is.Equal(tick(due.Add(720*time.Hour)), []string{"CLOSING_REPORT inc-1"})
	is.Equal(len(load().PendingDeadlines(cfg)), 0) // nothing left to fire

	// Everything survives the log's encoding.
	for _, e := range log {
		typ, v, payload, err := EncodeEvent(e)
		is.NoErr(err) // encode
		back, err := DecodeEvent(typ, v, payload)
		is.NoErr(err)     // decode
		is.Equal(back, e) // round trip
	}
}

func TestFireUnknownKind(t *testing.T) {
	is := is.New(t)
	i := MustReplay(t, opened())
	err := i.Fire(Invocation{Actor: system, Now: incNow, Config: policyConfig(t)}, PendingDeadline{Kind: "ASTEROID"})
	is.Equal(ErrorCode(err), EINVALID) // unknown kind
	is.Equal(len(i.Changes()), 0)      // nothing recorded
}

func TestPendingDeadlinesIsPure(t *testing.T) {
	is := is.New(t)
	given := []Event{opened(), policyEscalated("e1", "subcommittee", incNow, ChainStep{"vncert", hour1}),
		policyOffered("h1", "cert-health", incNow.Add(time.Hour), "vncert")}
	a, b := MustReplay(t, given...), MustReplay(t, given...)
	cfg2 := policyConfig(t)
	cfg2.EscalationPolicy.Rules[2].Chain = []ChainStep{{"dic", min15}}
	cfg2.EscalationPolicy.RemindBefore = Duration(time.Hour)
	is.Equal(a.PendingDeadlines(policyConfig(t)), b.PendingDeadlines(cfg2)) // recorded deadlines do not follow a newer configuration
	is.Equal(a.PendingDeadlines(nil), []PendingDeadline{
		{Kind: DeadlineEscalationReminder, RefID: "e1", At: incNow.Add(-5 * time.Minute), OwedBy: "subcommittee"},
		{Kind: DeadlineEscalationAck, RefID: "e1", At: incNow, OwedBy: "subcommittee"},
		{Kind: DeadlineHandoffReminder, RefID: "h1", At: incNow.Add(55 * time.Minute), OwedBy: "cert-health"},
		{Kind: DeadlineHandoffAnswer, RefID: "h1", At: incNow.Add(time.Hour), OwedBy: "cert-health"},
	}) // earliest first
	is.Equal(len(NewIncident("x").PendingDeadlines(policyConfig(t))), 0) // unopened: nothing
}

func TestDeadlineEventsRegistered(t *testing.T) {
	for _, e := range []Event{EscalationDeadlineMissed{}, EscalationReminderDue{}, EscalationChainExhausted{}, EscalationChainBlocked{},
		HandoffDeadlineMissed{}, HandoffReminderDue{}, HandoffChainExhausted{}, HandoffChainBlocked{}, NotificationRecorded{},
		NotificationDeadlineMissed{}, ReportSubmitted{}, ClosingReportOverdue{}, PeriodicReportSubmitted{}, PeriodicReportOverdue{}} {
		t.Run(e.EventType(), func(t *testing.T) {
			is := is.New(t)
			typ, v, payload, err := EncodeEvent(e)
			is.NoErr(err) // registered
			back, err := DecodeEvent(typ, v, payload)
			is.NoErr(err)     // decodes
			is.Equal(back, e) // round trip
		})
	}
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

func ExampleIncident_PendingDeadlines() {
	cfg := DefaultConfig()
	i := NewIncident("inc-42")
	now := time.Date(2026, 11, 21, 7, 0, 0, 0, time.UTC)
	_ = i.Open(Invocation{Actor: Actor{User: "an", Org: "dic", Role: RoleCoordinator}, Now: now, Config: cfg},
		OpenIncident{Title: "Defacement", Type: "DEFACEMENT", Severity: SeverityHigh, Tier: TierSerious, TLP: TLPAmber, DetectedAt: now})
	for _, d := range i.PendingDeadlines(cfg) {
		_ = i.Fire(Invocation{Actor: SystemActor, Now: now, Config: cfg}, d) // the scheduler fires what is due
	}
	for _, e := range i.Changes()[1:] {
		x := e.(IncidentEscalated)
		fmt.Println(x.EscalationID, "->", x.To, "by", x.Deadline.Format(time.Kitchen))
	}
	// Output: auto:inc-42:serious -> police by 7:15AM
}

func TestDecodeDeadlineCommands(t *testing.T) {
	is := is.New(t)
	v, err := DecodeCommand(CmdRecordNotification, []byte(`{"orgs":["vncert"],"channel":"email","reference":"CV 1"}`))
	is.NoErr(err) // RecordNotification decodes
	is.Equal(v.(RecordNotification), RecordNotification{Orgs: []string{"vncert"}, Channel: "email", Reference: "CV 1"})
	v, err = DecodeCommand(CmdSubmitReport, []byte(`{"form":"MAU_04","summary":"x"}`))
	is.NoErr(err) // SubmitReport decodes
	is.Equal(v.(SubmitReport).Form, ReportFormClosing)
	v, err = DecodeCommand("SubmitPeriodicReport", []byte(`{"lines":[{"type":"DOS","count":2,"handledAlone":2}]}`))
	is.NoErr(err) // SubmitPeriodicReport decodes
	is.Equal(v.(SubmitPeriodicReport).Lines, []PeriodicReportLine{{Type: "DOS", Count: 2, HandledAlone: 2}})
}
