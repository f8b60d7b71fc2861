package domain

import (
	"testing"
	"time"

	"github.com/matryer/is"
)

// h1Due2026 is 00:00 on 20 June 2026 in Vietnam: the H1-2026 report is due before that day.
var h1Due2026 = time.Date(2026, 6, 19, 17, 0, 0, 0, time.UTC)

func TestPeriodicReportDue(t *testing.T) {
	is := is.New(t)
	due, err := PeriodicReportDue(ReportPeriod{ID: "H1", Due: "06-20"}, 2026)
	is.NoErr(err)                      // valid period
	is.Equal(due, h1Due2026)           // local midnight, in UTC
	is.Equal(due.Location(), time.UTC) // stored in UTC
	_, err = PeriodicReportDue(ReportPeriod{ID: "X", Due: "6/20"}, 2026)
	is.Equal(ErrorCode(err), EINVALID) // bad due date
}

func TestDuePeriodicReports(t *testing.T) {
	cfg := policyConfig(t) // dic (DIC), dept-health (AGENCY) and provincial-cert (PROVINCIAL_CERT) owe reports
	ids := func(ds []PeriodicDue) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	ict := time.FixedZone("ICT", 7*3600)
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"exactly at the due instant", h1Due2026, h1Due2026, []string{"dept-health/H1-2026", "dic/H1-2026", "provincial-cert/H1-2026"}},
		{"a millisecond after", h1Due2026.Add(time.Millisecond), h1Due2026.Add(time.Hour), nil},
		{"up to a millisecond before", h1Due2026.Add(-time.Hour), h1Due2026.Add(-time.Millisecond), nil},
		{"20 June in UTC is too late: due in local time", time.Date(2026, 6, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 20, 23, 0, 0, 0, time.UTC), nil},
		{"19 June in local time is not yet", time.Date(2026, 6, 19, 0, 0, 0, 0, ict), time.Date(2026, 6, 19, 23, 59, 59, 0, ict), nil},
		{"across a new year", time.Date(2025, 12, 1, 0, 0, 0, 0, ict), time.Date(2026, 6, 30, 0, 0, 0, 0, ict),
			[]string{"dept-health/YEAR-2025", "dic/YEAR-2025", "provincial-cert/YEAR-2025", "dept-health/H1-2026", "dic/H1-2026", "provincial-cert/H1-2026"}},
		// 31 December 17:00 UTC is already 1 January in Vietnam: the year is taken locally.
		{"local year boundary", time.Date(2026, 12, 14, 17, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC),
			[]string{"dept-health/YEAR-2026", "dic/YEAR-2026", "provincial-cert/YEAR-2026"}},
		{"empty window", h1Due2026, h1Due2026.Add(-time.Second), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(ids(DuePeriodicReports(cfg, tc.from, tc.to)), tc.want) // dues in [from, to], by time then organisation
		})
	}
	t.Run("fields", func(t *testing.T) {
		is := is.New(t)
		ds := DuePeriodicReports(cfg, h1Due2026, h1Due2026)
		is.Equal(ds[1], PeriodicDue{Org: "dic", Period: "H1", Year: 2026, Due: h1Due2026, ID: "dic/H1-2026"})
		is.Equal(len(DuePeriodicReports(testConfig(t), h1Due2026, h1Due2026)), 0) // no periodic reports configured
	})
}

func TestParsePeriodicReportID(t *testing.T) {
	is := is.New(t)
	org, period, year, err := ParsePeriodicReportID("dic/H1-2026")
	is.NoErr(err)
	is.Equal([]any{org, period, year}, []any{"dic", "H1", 2026})
	is.Equal(PeriodicReportID("dic", "YEAR", 2026), "dic/YEAR-2026")
	for _, bad := range []string{"dic", "dic/H1", "dic/H1-26x", "/H1-2026", "dic/-2026", "dic/H1-1999"} {
		_, _, _, err := ParsePeriodicReportID(bad)
		is.Equal(ErrorCode(err), EINVALID) // malformed id
	}
}

func TestSubmitPeriodicReport(t *testing.T) {
	cfg := policyConfig(t)
	dicAdmin := Actor{User: "root", Org: "dic", Role: RoleAdmin}
	sub := SubmitPeriodicReport{Reference: " BC 17/SKHCN ", Lines: []PeriodicReportLine{
		{Type: "MALWARE", Count: 4, HandledAlone: 3, DomesticHelp: 1, EstimatedDamage: " 20 triệu đồng "}}}
	before := h1Due2026.Add(-time.Millisecond)
	for _, tc := range []struct {
		name  string
		id    string
		given []Event
		by    Actor
		now   time.Time
		cmd   SubmitPeriodicReport
		then  []Event
		code  string
	}{
		{name: "on time", id: "dic/H1-2026", by: by.DICCoord, now: before, cmd: sub,
			then: []Event{PeriodicReportSubmitted{
				Org:       "dic",
				Period:    "H1",
				Year:      2026,
				Due:       h1Due2026,
				Reference: "BC 17/SKHCN",
				Lines:     []PeriodicReportLine{{Type: "MALWARE", Count: 4, HandledAlone: 3, DomesticHelp: 1, EstimatedDamage: "20 triệu đồng"}},
				Stamp:     Stamp{By: by.DICCoord, At: before},
			}}},
		{name: "late, by an admin, nothing to report", id: "dic/H1-2026", by: dicAdmin, now: h1Due2026, cmd: SubmitPeriodicReport{},
			given: []Event{PeriodicReportOverdue{Org: "dic", Period: "H1", Year: 2026, Due: h1Due2026, Stamp: Stamp{By: system, At: h1Due2026}}},
			then:  []Event{PeriodicReportSubmitted{Org: "dic", Period: "H1", Year: 2026, Due: h1Due2026, Late: true, Stamp: Stamp{By: dicAdmin, At: h1Due2026}}}},
		{name: "twice", id: "dic/H1-2026", by: by.DICCoord, now: before, cmd: sub,
			given: []Event{PeriodicReportSubmitted{Org: "dic", Period: "H1", Year: 2026, Due: h1Due2026, Stamp: Stamp{By: by.DICCoord, At: before}}}, code: ECONFLICT},
		{name: "another organisation", id: "dic/H1-2026", by: by.PoliceCoord, now: before, cmd: sub, code: EFORBIDDEN},
		{name: "a responder", id: "dic/H1-2026", by: by.DICResp, now: before, cmd: sub, code: EFORBIDDEN},
		{name: "an organisation that owes none", id: "police/H1-2026", by: by.PoliceCoord, now: before, cmd: sub, code: ECONFLICT},
		{name: "unknown period", id: "dic/Q3-2026", by: by.DICCoord, now: before, cmd: sub, code: ENOTFOUND},
		{name: "year not begun", id: "dic/YEAR-2027", by: by.DICCoord, now: before, cmd: sub, code: EINVALID},
		{name: "unknown incident type", id: "dic/H1-2026", by: by.DICCoord, now: before,
			cmd: SubmitPeriodicReport{Lines: []PeriodicReportLine{{Type: "WORM", Count: 1}}}, code: EINVALID},
		{name: "counts beyond the total", id: "dic/H1-2026", by: by.DICCoord, now: before,
			cmd: SubmitPeriodicReport{Lines: []PeriodicReportLine{{Type: "DOS", Count: 1, ForeignHelp: 2}}}, code: EINVALID},
		{name: "two lines for one type", id: "dic/H1-2026", by: by.DICCoord, now: before,
			cmd: SubmitPeriodicReport{Lines: []PeriodicReportLine{{Type: "DOS", Count: 1}, {Type: "DOS", Count: 2}}}, code: EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			r := NewPeriodicReport(tc.id)
			for _, e := range tc.given {
				r.Replay(e)
			}
			err := r.SubmitPeriodicReport(Invocation{Actor: tc.by, Now: tc.now, Config: cfg}, tc.cmd)
			if tc.code != "" {
				is.Equal(ErrorCode(err), tc.code) // error code
				is.Equal(len(r.Changes()), 0)     // nothing recorded
				return
			}
			is.NoErr(err)                  // submitted
			is.Equal(r.Changes(), tc.then) // recorded events
			is.True(r.Submitted)           // state
			for _, e := range r.Changes() {
				typ, v, payload, err := EncodeEvent(e)
				is.NoErr(err) // encode
				back, err := DecodeEvent(typ, v, payload)
				is.NoErr(err)     // decode
				is.Equal(back, e) // round trip
			}
		})
	}
}

func TestMissPeriodicReport(t *testing.T) {
	cfg := policyConfig(t)
	overdue := PeriodicReportOverdue{Org: "dept-health", Period: "YEAR", Year: 2026, Due: time.Date(2026, 12, 14, 17, 0, 0, 0, time.UTC), Stamp: Stamp{By: system}}
	for _, tc := range []struct {
		name  string
		given []Event
		by    Actor
		now   time.Time
		code  string
	}{
		{name: "at the due instant", by: system, now: overdue.Due},
		{name: "a millisecond before", by: system, now: overdue.Due.Add(-time.Millisecond), code: EINVALID},
		{name: "once", given: []Event{overdue}, by: system, now: overdue.Due.Add(time.Hour), code: ECONFLICT},
		{name: "submitted", given: []Event{PeriodicReportSubmitted{Org: "dept-health", Period: "YEAR", Year: 2026, Stamp: Stamp{By: by.AgencyCoord}}},
			by: system, now: overdue.Due, code: ECONFLICT},
		{name: "a person may not", by: by.AgencyCoord, now: overdue.Due, code: EFORBIDDEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			r := NewPeriodicReport("dept-health/YEAR-2026")
			for _, e := range tc.given {
				r.Replay(e)
			}
			err := r.MissPeriodicReport(Invocation{Actor: tc.by, Now: tc.now, Config: cfg}, MissPeriodicReport{})
			if tc.code != "" {
				is.Equal(ErrorCode(err), tc.code) // error code
				is.Equal(len(r.Changes()), 0)     // nothing recorded
				return
			}
			is.NoErr(err) // overdue
			want := overdue
			want.At = tc.now
			is.Equal(r.Changes(), []Event{want}) // recorded
			is.True(r.Overdue)                   // state
			is.Equal(r.AggregateType(), "report")
			is.Equal(r.AggregateID(), "dept-health/YEAR-2026")
			var _ Aggregate = r
		})
	}
}
