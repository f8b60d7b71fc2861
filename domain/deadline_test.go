package domain

import (
	"fmt"
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
