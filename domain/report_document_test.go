package domain

import (
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestSubmitGeneratedReport(t *testing.T) {
	cfg := policyConfig(t)
	doc := &ReportDocument{Sha256: strings.Repeat("ab", 32), Format: "pdf", AsOf: incEarlier, TreeSize: 7, Root: strings.Repeat("A", 43) + "=",
		Fields: map[string]string{"address": "12 Trần Phú"}}
	bad := func(f func(d *ReportDocument)) *ReportDocument { d := *doc; f(&d); return &d }
	runIncidentCases(t, []incidentCase{
		{name: "generated: the hash is recorded, no summary needed", cfg: cfg, given: []Event{opened()}, by: by.PoliceCoord,
			when: SubmitReport{Form: ReportFormInitial, Reference: "12/BC", Document: doc},
			then: []Event{ReportSubmitted{Form: ReportFormInitial, Reference: "12/BC", Document: doc, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "hash not hexadecimal", cfg: cfg, given: []Event{opened()}, by: by.PoliceCoord,
			when: SubmitReport{Form: ReportFormInitial, Document: bad(func(d *ReportDocument) { d.Sha256 = "zz" })}, code: EINVALID},
		{name: "unknown format", cfg: cfg, given: []Event{opened()}, by: by.PoliceCoord,
			when: SubmitReport{Form: ReportFormInitial, Document: bad(func(d *ReportDocument) { d.Format = "docx" })}, code: EINVALID},
		{name: "no basis", cfg: cfg, given: []Event{opened()}, by: by.PoliceCoord,
			when: SubmitReport{Form: ReportFormInitial, Document: bad(func(d *ReportDocument) { d.Root = "" })}, code: EINVALID},
	})
}

func TestCanReadPeriodicReports(t *testing.T) {
	is := is.New(t)
	cfg := testConfig(t)
	for _, tc := range []struct {
		who  Actor
		org  string
		want bool
	}{
		{by.DICCoord, "dic", true},        // its own
		{by.DICResp, "dic", true},         // any reader of the organisation
		{by.SubReviewer, "dic", true},     // the subcommittee receives them
		{by.PoliceCoord, "dic", false},    // another force
		{by.PoliceAdmin, "police", false}, // admins read no incident data
		{by.Stranger, "nowhere", false},   // not in the directory
		{by.AgencyCoord, "dept-health", true},
	} {
		is.Equal(CanReadPeriodicReports(tc.who, tc.org, cfg), tc.want) // who sees where periodic reports stand
	}
}
