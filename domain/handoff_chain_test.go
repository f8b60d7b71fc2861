package domain

import (
	"slices"
	"testing"
	"time"

	"github.com/matryer/is"
)

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
