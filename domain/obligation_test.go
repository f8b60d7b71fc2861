package domain

import (
	"testing"
	"time"

	"github.com/matryer/is"
)

// replayed returns an incident built from events.
func replayed(events ...Event) *Incident {
	i := NewIncident("inc-1")
	for _, e := range events {
		i.Replay(e)
	}
	return i
}

func TestObligations(t *testing.T) {
	cfg := policyConfig(t)
	notifyDue := incNow.Add(-2 * time.Hour).Add(120 * time.Hour)
	reportDue := incNow.Add(720 * time.Hour)
	closedDue := IncidentClosed{Resolution: ResolutionResolved, Summary: "xong", ReportDue: reportDue, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}
	mau03 := func(at time.Time) ReportSubmitted {
		return ReportSubmitted{Form: ReportFormInitial, Reference: "BC 1", Summary: "s", Stamp: Stamp{By: by.PoliceCoord, At: at}}
	}
	type want struct {
		kind, ref, owed string
		due             time.Time
		status          ObligationStatus
	}
	for _, tc := range []struct {
		name   string
		now    time.Time
		events []Event
		want   []want
	}{
		{name: "just opened: the notification and Mẫu 03 are owed", now: incNow, events: []Event{opened()},
			want: []want{{DeadlineNotification, "inc-1", "police", notifyDue, ObligationPending}, {ObligationInitialReport, "inc-1", "police", notifyDue, ObligationPending}}},
		{name: "past due: overdue", now: notifyDue.Add(time.Second), events: []Event{opened()},
			want: []want{{DeadlineNotification, "inc-1", "police", notifyDue, ObligationOverdue}, {ObligationInitialReport, "inc-1", "police", notifyDue, ObligationOverdue}}},
		{name: "escalation first, notification met by escalating to VNCERT, Mẫu 03 on time", now: incNow,
			events: []Event{opened(), escalated("e1", "vncert"), mau03(incNow)},
			want: []want{{DeadlineEscalationAck, "e1", "vncert", incNow.Add(10 * time.Minute), ObligationPending},
				{DeadlineNotification, "inc-1", "police", notifyDue, ObligationMet}, {ObligationInitialReport, "inc-1", "police", notifyDue, ObligationMet}}},
		{name: "acknowledged late, Mẫu 03 late, notification missed", now: notifyDue.Add(time.Hour),
			events: []Event{opened(), escalated("e1", "subcommittee"),
				EscalationAcknowledged{EscalationID: "e1", Late: true, Stamp: Stamp{By: by.SubCoord, At: incNow.Add(time.Hour)}},
				NotificationDeadlineMissed{Due: notifyDue, Missing: []string{"vncert"}, Stamp: Stamp{By: system, At: notifyDue}}, mau03(notifyDue.Add(time.Minute))},
			want: []want{{DeadlineEscalationAck, "e1", "subcommittee", incNow.Add(10 * time.Minute), ObligationLate},
				{DeadlineNotification, "inc-1", "police", notifyDue, ObligationMissed}, {ObligationInitialReport, "inc-1", "police", notifyDue, ObligationLate}}},
		{name: "escalation missed, handoff accepted, withdrawn one left out", now: incNow,
			events: []Event{opened(), escalated("e1", "subcommittee"), EscalationDeadlineMissed{EscalationID: "e1", Stamp: Stamp{By: system, At: incNow}},
				offered("h1", "provincial-cert"), HandoffWithdrawn{HandoffID: "h1", Reason: "nhầm", Stamp: Stamp{By: by.PoliceCoord, At: incNow}},
				offered("h2", "vncert"), HandoffAccepted{HandoffID: "h2", Stamp: Stamp{By: by.VNCERTPartner, At: incNow}}},
			want: []want{{DeadlineEscalationAck, "e1", "subcommittee", incNow.Add(10 * time.Minute), ObligationMissed},
				{DeadlineHandoffAnswer, "h2", "vncert", incNow.Add(3 * time.Hour), ObligationMet},
				{DeadlineNotification, "inc-1", "vncert", notifyDue, ObligationMet}, {ObligationInitialReport, "inc-1", "vncert", notifyDue, ObligationPending}}},
		{name: "handoff expired", now: incNow.Add(4 * time.Hour),
			events: []Event{opened(), offered("h1", "provincial-cert"), HandoffDeadlineMissed{HandoffID: "h1", Stamp: Stamp{By: system, At: incNow.Add(3 * time.Hour)}}},
			want: []want{{DeadlineHandoffAnswer, "h1", "provincial-cert", incNow.Add(3 * time.Hour), ObligationMissed},
				{DeadlineNotification, "inc-1", "police", notifyDue, ObligationPending}, {ObligationInitialReport, "inc-1", "police", notifyDue, ObligationPending}}},
		{name: "closed: Mẫu 04 owed; a waiting escalation is not", now: incNow, events: []Event{opened(), escalated("e1", "subcommittee"), mau03(incNow), closedDue},
			want: []want{{DeadlineNotification, "inc-1", "police", notifyDue, ObligationPending}, {ObligationInitialReport, "inc-1", "police", notifyDue, ObligationMet},
				{DeadlineClosingReport, "inc-1", "police", reportDue, ObligationPending}}},
		{name: "closing report overdue", now: reportDue.Add(time.Hour),
			events: []Event{opened(), mau03(incNow), NotificationRecorded{Orgs: []string{"vncert"}, Channel: "email", Stamp: Stamp{By: by.PoliceCoord, At: incNow}}, closedDue,
				ClosingReportOverdue{Due: reportDue, Owner: "police", Stamp: Stamp{By: system, At: reportDue}}},
			want: []want{{DeadlineNotification, "inc-1", "police", notifyDue, ObligationMet}, {ObligationInitialReport, "inc-1", "police", notifyDue, ObligationMet},
				{DeadlineClosingReport, "inc-1", "police", reportDue, ObligationMissed}}},
		{name: "closed as a false positive: nothing owed", now: incNow,
			events: []Event{opened(), IncidentClosed{Resolution: ResolutionFalsePositive, Summary: "x", Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			var got []want
			for _, o := range replayed(tc.events...).Obligations(cfg, tc.now) {
				got = append(got, want{o.Kind, o.RefID, o.OwedBy, o.Due, o.Status})
			}
			is.Equal(got, tc.want) // obligations, soonest first
		})
	}
	t.Run("next obligation right after opening", func(t *testing.T) {
		is := is.New(t)
		o, ok := replayed(opened()).NextObligation(cfg, incNow)
		is.True(ok)                            // something is owed
		is.Equal(o.Kind, DeadlineNotification) // the TT20 Art. 9 notification
		is.Equal(o.Due, notifyDue)             // five days after detection
		_, ok = replayed(opened()).NextObligation(testConfig(t), incNow)
		is.True(!ok) // without a policy nothing is owed
	})
}

func TestAssistance(t *testing.T) {
	cfg := testConfig(t)
	cfg.OrgKinds = append(cfg.OrgKinds, OrgKind{Code: "FOREIGN_CERT", NameVi: "CERT nước ngoài", NameEn: "Foreign CERT", CERT: true, Foreign: true})
	cfg.Organisations = append(cfg.Organisations, Organisation{Slug: "jpcert", Kind: "FOREIGN_CERT", NameVi: "JPCERT/CC", NameEn: "JPCERT/CC"})
	is.New(t).NoErr(cfg.Validate()) // config with a foreign CERT
	ack := func(id string, a Actor) EscalationAcknowledged {
		return EscalationAcknowledged{EscalationID: id, Stamp: Stamp{By: a, At: incNow}}
	}
	accepted := func(id string) HandoffAccepted {
		return HandoffAccepted{HandoffID: id, Stamp: Stamp{By: by.CertCoord, At: incNow}}
	}
	for _, tc := range []struct {
		name   string
		org    string
		events []Event
		want   Assistance
	}{
		{"alone", "police", []Event{opened()}, Assistance{Alone: true}},
		{"escalated, never acknowledged: alone", "police", []Event{opened(), escalated("e1", "subcommittee")}, Assistance{Alone: true}},
		{"acknowledged escalation: domestic help", "police", []Event{opened(), escalated("e1", "subcommittee"), ack("e1", by.SubCoord)}, Assistance{Domestic: true}},
		{"VNCERT asked, declined: national help requested, alone", "police",
			[]Event{opened(), offered("h1", "vncert"), HandoffDeclined{HandoffID: "h1", Reason: "no", Stamp: Stamp{By: by.VNCERTPartner, At: incNow}}},
			Assistance{Alone: true, National: true}},
		{"handed to VNCERT: national and domestic", "police", []Event{opened(), offered("h1", "vncert"), accepted("h1")}, Assistance{Domestic: true, National: true}},
		{"foreign CERT accepted", "police", []Event{opened(), offered("h1", "jpcert"), accepted("h1")}, Assistance{Foreign: true}},
		{"returned handoff still helped", "police", []Event{opened(), offered("h1", "provincial-cert"), accepted("h1"),
			HandoffReturned{HandoffID: "h1", Reason: "xong", Stamp: Stamp{By: by.CertCoord, At: incNow}}}, Assistance{Domestic: true}},
		{"seen from the CERT that took it: alone", "provincial-cert", []Event{opened(), offered("h1", "provincial-cert"), accepted("h1")}, Assistance{Alone: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(replayed(tc.events...).Assistance(tc.org, cfg), tc.want) // Mẫu 05 classification
		})
	}
}

func TestReportedBy(t *testing.T) {
	is := is.New(t)
	i := replayed(opened(ownedBy("dept-health")), offered("h1", "provincial-cert"), HandoffAccepted{HandoffID: "h1", Stamp: Stamp{By: by.CertCoord, At: incNow}})
	for _, org := range []string{"police", "dept-health", "provincial-cert"} {
		is.True(i.ReportedBy(org)) // origin, system owner, owner
	}
	is.True(!i.ReportedBy("subcommittee")) // only brought in
	is.True(!i.ReportedBy(""))             // nobody
}

func TestPeriodWindow(t *testing.T) {
	vn := Vietnam()
	cfg := policyConfig(t)
	withWindow := DefaultConfig()
	for _, tc := range []struct {
		name     string
		cfg      *Config
		period   string
		year     int
		from, to time.Time
		code     string
	}{
		{"H1 with the cut-off of the year before", withWindow, "H1", 2026, time.Date(2025, 12, 15, 0, 0, 0, 0, vn), time.Date(2026, 6, 15, 0, 0, 0, 0, vn), ""},
		{"YEAR with the cut-off", withWindow, "YEAR", 2026, time.Date(2025, 12, 15, 0, 0, 0, 0, vn), time.Date(2026, 12, 15, 0, 0, 0, 0, vn), ""},
		{"no window: 1 January to the due day", cfg, "H1", 2026, time.Date(2026, 1, 1, 0, 0, 0, 0, vn), time.Date(2026, 6, 20, 0, 0, 0, 0, vn), ""},
		{"unknown period", cfg, "Q3", 2026, time.Time{}, time.Time{}, EINVALID},
		{"year out of range", cfg, "H1", 1999, time.Time{}, time.Time{}, EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			from, to, _, err := PeriodWindow(tc.cfg, tc.period, tc.year)
			is.Equal(ErrorCode(err), tc.code) // error code
			if tc.code == "" {
				is.Equal(from, tc.from.UTC()) // first instant counted
				is.Equal(to, tc.to.UTC())     // first instant not counted
			}
		})
	}
}
