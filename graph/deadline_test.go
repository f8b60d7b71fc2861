package graph_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
)

func TestReportsAndNotificationMutations(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	lan := e.MustToken(t, "dic", "lan", domain.RoleCoordinator)
	id, _ := e.MustOpen(t, lan, "Thay đổi giao diện cổng thông tin", domain.TLPGreen)

	var r struct {
		RecordNotification struct {
			Sequence uint64 `json:"sequence"`
		} `json:"recordNotification"`
	}
	e.MustPost(t, lan, `mutation($id: ID!) { recordNotification(input: {incidentId: $id, orgs: ["vncert"], channel: "email", reference: "TB-01"}) { sequence } }`,
		map[string]any{"id": id}, &r)
	is.True(r.RecordNotification.Sequence > 0) // recorded

	// The closing report before closing is a conflict, and nothing is written.
	before := e.MustLast(t)
	res := e.Post(t, lan, `mutation($id: ID!) { submitReport(input: {incidentId: $id, form: MAU_04, reference: "BC-01"}) { sequence } }`, map[string]any{"id": id})
	is.Equal(res.Code(), "CONFLICT")
	is.Equal(e.MustLast(t), before)
	e.MustPost(t, lan, `mutation($id: ID!) { closeIncident(input: {incidentId: $id, resolution: RESOLVED, summary: "đã khôi phục"}) { sequence } }`, map[string]any{"id": id}, nil)
	e.MustPost(t, lan, `mutation($id: ID!) { submitReport(input: {incidentId: $id, form: MAU_04, reference: "BC-01", summary: "xong"}) { sequence } }`, map[string]any{"id": id}, nil)
	var tl struct {
		Timeline []struct{ Type string } `json:"timeline"`
	}
	e.MustPost(t, lan, `query($id: ID!) { timeline(incidentId: $id) { type } }`, map[string]any{"id": id}, &tl)
	types := map[string]bool{}
	for _, x := range tl.Timeline {
		types[x.Type] = true
	}
	is.True(types["NotificationRecorded"]) // both on the timeline
	is.True(types["ReportSubmitted"])

	// Periodic report (Mẫu 05) of the caller's own organisation.
	year := time.Now().Year()
	var p struct {
		SubmitPeriodicReport struct {
			ReportID string `json:"reportId"`
		} `json:"submitPeriodicReport"`
	}
	e.MustPost(t, lan, `mutation($y: Int!) { submitPeriodicReport(input: {period: "H1", year: $y, reference: "BC-05", lines: [{type: "DEFACEMENT", count: 1, handledAlone: 1, domesticHelp: 0, foreignHelp: 0, nationalHelp: 0}]}) { reportId } }`,
		map[string]any{"y": year}, &p)
	is.Equal(p.SubmitPeriodicReport.ReportID, domain.PeriodicReportID("dic", "H1", year))
	before = e.MustLast(t)
	res = e.Post(t, lan, `mutation($y: Int!) { submitPeriodicReport(input: {period: "H1", year: $y, reference: "again"}) { reportId } }`, map[string]any{"y": year})
	is.Equal(res.Code(), "CONFLICT") // once per period
	is.Equal(e.MustLast(t), before)
	// A responder may not submit it; a bad form value is refused by the schema.
	vy := e.MustToken(t, "dic", "vy", domain.RoleResponder)
	res = e.Post(t, vy, `mutation { submitPeriodicReport(input: {period: "YEAR", year: 2026, reference: "x"}) { reportId } }`, nil)
	is.Equal(res.Code(), "FORBIDDEN")
	res = e.Post(t, lan, `mutation($id: ID!) { submitReport(input: {incidentId: $id, form: MAU_99, reference: "x"}) { sequence } }`, map[string]any{"id": id})
	is.Equal(res.Code(), "GRAPHQL_VALIDATION_FAILED")
	is.True(res.Status != http.StatusInternalServerError)
}
