package domain

import (
	"slices"
	"testing"
	"time"

	"github.com/matryer/is"
)

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
