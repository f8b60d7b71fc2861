package graph_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections/report/reporttest"
)

type generated struct {
	Form           string `json:"form"`
	Filename       string `json:"filename"`
	Content        string `json:"content"`
	Sha256         string `json:"sha256"`
	AsOf           string `json:"asOf"`
	TreeSize       uint64 `json:"treeSize"`
	Root           string `json:"root"`
	SignedTreeSize uint64 `json:"signedTreeSize"`
	Missing        []struct{ Key string }
	Lines          []struct {
		Type                                                         string
		Count, HandledAlone, DomesticHelp, ForeignHelp, NationalHelp int
	}
	Drills int
}

const generatedFields = `form filename content sha256 asOf treeSize root signedTreeSize missing { key } lines { type count handledAlone domesticHelp foreignHelp nationalHelp } drills`

func (g generated) body(tb testing.TB) []byte {
	tb.Helper()
	b, err := base64.StdEncoding.DecodeString(g.Content)
	if err != nil {
		tb.Fatalf("content is not base64: %v", err)
	}
	return b
}

// csvValues reads a long-form report CSV into "section/key" -> value.
func csvValues(tb testing.TB, b []byte) map[string]string {
	tb.Helper()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		tb.Fatalf("report CSV: %v", err)
	}
	out := map[string]string{}
	for _, r := range rows {
		sec := r[0]
		if i := strings.Index(sec, ". "); i > 0 {
			sec = sec[i+2:]
		}
		out[sec+"/"+r[1]] = r[3]
	}
	return out
}

func (n *node) mustIncidentReport(tb testing.TB, token, id, form, format string, vars map[string]any) generated {
	tb.Helper()
	var r struct{ IncidentReport generated }
	v := map[string]any{"id": id, "form": form, "format": format}
	for k, x := range vars {
		v[k] = x
	}
	n.MustPost(tb, token, `query($id: ID!, $form: ReportForm!, $format: ReportFormat, $asOf: Time, $fields: [ReportFieldInput!]) {
		incidentReport(incidentId: $id, form: $form, format: $format, asOf: $asOf, fields: $fields) { `+generatedFields+` } }`, v, &r)
	return r.IncidentReport
}

func TestIncidentReports(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	lan := e.MustToken(t, "dic", "lan", domain.RoleCoordinator)
	id, _ := e.MustOpen(t, lan, "Mã độc mã hóa dữ liệu máy chủ bệnh viện tỉnh", domain.TLPAmber)

	// Right after opening, the TT20 Art. 9 notification is owed: the board shows it.
	var b struct {
		Incident struct{ NextDeadline struct{ Kind, OwedBy string } }
	}
	e.MustPost(t, lan, `query($id: ID!) { incident(id: $id) { nextDeadline { kind owedBy } } }`, map[string]any{"id": id}, &b)
	is.Equal(b.Incident.NextDeadline.Kind, domain.DeadlineNotification) // owed from the start
	is.Equal(b.Incident.NextDeadline.OwedBy, "dic")
	var dl struct {
		IncidentDeadlines []struct{ Kind, Status string }
	}
	e.MustPost(t, lan, `query($id: ID!) { incidentDeadlines(incidentId: $id) { kind status } }`, map[string]any{"id": id}, &dl)
	is.Equal(len(dl.IncidentDeadlines), 2)                                     // notification and Mẫu 03
	is.Equal(dl.IncidentDeadlines[1].Kind, domain.ObligationInitialReport)     // Mẫu 03 with it
	is.Equal(dl.IncidentDeadlines[1].Status, string(domain.ObligationPending)) // still owed

	fields := []map[string]string{{"key": "contactName", "value": "Nguyễn Thị Lan"}, {"key": "address", "value": "Số 1 đường Trần Phú"}}
	g := e.mustIncidentReport(t, lan, id, "MAU_03", "PDF", map[string]any{"fields": fields})
	is.True(g.TreeSize > 0 && g.SignedTreeSize >= g.TreeSize) // tied to the log and a signed checkpoint covering it
	pdf := g.body(t)
	sum := sha256.Sum256(pdf)
	is.Equal(hex.EncodeToString(sum[:]), g.Sha256) // the hash is the file's
	text := reporttest.MustPDFText(t, pdf)
	for _, want := range []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG",
		"Mã độc mã hóa dữ liệu máy chủ bệnh viện tỉnh", "Tấn công sử dụng mã độc", "Nguyễn Thị Lan", "Số 1 đường Trần Phú",
		"Sở Thông tin và Truyền thông", "theo quyền đọc của dic/lan", fmt.Sprintf("cây Merkle %d bản ghi, gốc %s", g.TreeSize, g.Root)} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q:\n%s", want, text)
		}
	}
	// The same log, reader, instant and fields: the same bytes, even after the log moved on.
	e.MustNote(t, lan, id, "ghi chú sau báo cáo")
	again := e.mustIncidentReport(t, lan, id, "MAU_03", "PDF", map[string]any{"fields": fields, "asOf": g.AsOf})
	is.Equal(again.Sha256, g.Sha256)     // byte-identical
	is.Equal(again.TreeSize, g.TreeSize) // the same basis
	later := e.mustIncidentReport(t, lan, id, "MAU_03", "PDF", map[string]any{"fields": fields})
	is.True(later.TreeSize > g.TreeSize) // without asOf: the log as it is now

	// CSV and the printable page carry the same basis.
	c := csvValues(t, e.mustIncidentReport(t, lan, id, "MAU_03", "CSV", map[string]any{"asOf": g.AsOf}).body(t))
	is.Equal(c["basis/root"], g.Root)
	is.Equal(c["basis/treeSize"], strconv.FormatUint(g.TreeSize, 10))
	is.Equal(c["Thông tin về sự cố/type"], "Tấn công sử dụng mã độc")
	h := e.mustIncidentReport(t, lan, id, "MAU_03", "HTML", map[string]any{"asOf": g.AsOf}).body(t)
	is.True(bytes.Contains(h, []byte(strings.ReplaceAll(g.Root, "+", "&#43;")))) // the page names the basis (html/template writes + as &#43;)

	// TLP: another force that may not read the incident gets what a missing incident gives.
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	q := `query($id: ID!) { incidentReport(incidentId: $id, form: MAU_03) { sha256 } }`
	hidden, missing := e.Post(t, police, q, map[string]any{"id": id}), e.Post(t, police, q, map[string]any{"id": "no-such-incident"})
	is.Equal(hidden.Code(), "NOT_FOUND")
	is.Equal(missing.Code(), "NOT_FOUND")
	is.Equal(strings.Replace(hidden.Errors[0].Message, id, "X", 1), strings.Replace(missing.Errors[0].Message, "no-such-incident", "X", 1)) // indistinguishable
	res := e.Post(t, police, `query($id: ID!) { incidentDeadlines(incidentId: $id) { kind } }`, map[string]any{"id": id})
	is.Equal(res.Code(), "NOT_FOUND") // deadlines too

	// Mẫu 04 only once closed; submitReport records the generated file's hash.
	res = e.Post(t, lan, q, map[string]any{"id": id})
	is.Equal(res.Code(), "")
	res = e.Post(t, lan, `query($id: ID!) { incidentReport(incidentId: $id, form: MAU_04) { sha256 } }`, map[string]any{"id": id})
	is.Equal(res.Code(), "CONFLICT")
	e.MustPost(t, lan, `mutation($id: ID!) { closeIncident(input: {incidentId: $id, resolution: RESOLVED, summary: "Đã khôi phục từ bản sao lưu"}) { sequence } }`, map[string]any{"id": id}, nil)
	var sub struct {
		SubmitReport struct {
			ReportSha256 string
			Sequence     uint64
		}
	}
	e.MustPost(t, lan, `mutation($id: ID!, $fields: [ReportFieldInput!]) { submitReport(input: {incidentId: $id, form: MAU_04, reference: "17/BC-STTTT",
		generate: {format: PDF, fields: $fields}}) { reportSha256 sequence } }`,
		map[string]any{"id": id, "fields": []map[string]string{{"key": "recommendations", "value": "Sao lưu định kỳ"}}}, &sub)
	is.True(sub.SubmitReport.ReportSha256 != "") // the hash is returned
	commits, err := e.store.LoadCommits(context.Background(), "incident", id, 1, 0)
	is.NoErr(err)
	envs, err := commits[len(commits)-1].Envelopes()
	is.NoErr(err)
	rec := envs[0].Event.(domain.ReportSubmitted)
	is.Equal(rec.Document.Sha256, sub.SubmitReport.ReportSha256) // and recorded in the log
	// Anyone with the same rights regenerates it from what the log recorded: the same hash.
	re := e.mustIncidentReport(t, lan, id, "MAU_04", "PDF", map[string]any{"asOf": rec.Document.AsOf.Format(time.RFC3339Nano),
		"fields": []map[string]string{{"key": "recommendations", "value": rec.Document.Fields["recommendations"]}}})
	is.Equal(re.Sha256, rec.Document.Sha256) // the submitted document is provable
	is.Equal(int64(re.TreeSize), rec.Document.TreeSize)
	text = reporttest.MustPDFText(t, re.body(t))
	for _, want := range []string{"BÁO CÁO KẾT THÚC ỨNG CỨU SỰ CỐ AN TOÀN THÔNG TIN MẠNG", "Đã khôi phục từ bản sao lưu", "Sao lưu định kỳ"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q:\n%s", want, text)
		}
	}
	// Bad input: an unknown field, a future instant; nothing is written.
	before := e.MustLast(t)
	res = e.Post(t, lan, `query($id: ID!) { incidentReport(incidentId: $id, form: MAU_04, fields: [{key: "os", value: "x"}]) { sha256 } }`, map[string]any{"id": id})
	is.Equal(res.Code(), "INVALID") // Mẫu 04 does not ask for the OS
	res = e.Post(t, lan, `query($id: ID!, $t: Time) { incidentReport(incidentId: $id, form: MAU_04, asOf: $t) { sha256 } }`,
		map[string]any{"id": id, "t": time.Now().Add(time.Hour).Format(time.RFC3339)})
	is.Equal(res.Code(), "INVALID") // the future
	res = e.Post(t, lan, `mutation($id: ID!) { submitReport(input: {incidentId: $id, form: MAU_04, reference: "x", generate: {fields: [{key: "nope", value: "1"}]}}) { sequence } }`, map[string]any{"id": id})
	is.Equal(res.Code(), "INVALID")
	is.Equal(e.MustLast(t), before) // nothing written
}

// scenario is one incident of the Mẫu 05 test, as the test decides it: the expected counts come
// from these decisions, never from the code under test.
type scenario struct {
	typ               string
	drill, green, red bool
	inWindow          bool
	help              int  // 0 alone, 1 escalation acknowledged, 2 handed to VNCERT, 3 VNCERT declined
	byPolice          bool // opened by the police on a DIC system: still DIC's
}

func TestPeriodicReportCountsTheLog(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	ctx := context.Background()
	now := time.Now()
	year, period := now.In(domain.Vietnam()).Year(), "YEAR"
	from, to, _, err := domain.PeriodWindow(e.cfg, period, year)
	is.NoErr(err)
	if !now.Before(to) { // after 15/12 the next year's report counts today
		year++
		from, _, _, _ = domain.PeriodWindow(e.cfg, period, year)
	}
	lan, tuan := domain.Actor{Org: "dic", User: "lan", Role: domain.RoleCoordinator}, domain.Actor{Org: "dic", User: "tuan", Role: domain.RoleCoordinator}
	sub := domain.Actor{Org: "subcommittee", User: "mai", Role: domain.RoleCoordinator}
	vn := domain.Actor{Org: "vncert", User: "minh", Role: domain.RoleCoordinator}
	police := domain.Actor{Org: "police", User: "an", Role: domain.RoleCoordinator}
	do := func(a domain.Actor, id string, c domain.Command) {
		t.Helper()
		if _, err := e.app.Execute(ctx, app.Request{Actor: a, AggregateID: id, Command: c}); err != nil {
			t.Fatalf("%s %s: %v", a.Org, c.CommandName(), err)
		}
	}
	types := e.cfg.IncidentTypes
	var all []scenario
	for k := range 44 {
		s := scenario{typ: types[k%len(types)].Code, drill: k%7 == 0, green: k%3 == 0, red: k%9 == 5, inWindow: k%10 != 9, help: k % 4, byPolice: k%11 == 4}
		all = append(all, s)
		id := eventstore.NewID()
		opener := lan
		if s.red {
			opener = tuan // TLP:RED names its opener only: lan may not read it
		}
		open := domain.OpenIncident{Title: fmt.Sprintf("Sự cố %d", k), Type: s.typ, Severity: domain.SeverityMedium, TLP: domain.TLPAmber, Drill: s.drill,
			DetectedAt: now.Add(-time.Duration(k) * time.Minute)}
		if !s.inWindow {
			open.DetectedAt = from.Add(-48 * time.Hour)
		}
		if s.byPolice {
			opener = police
			open.AffectedSystem = &domain.AffectedSystem{Name: "Cổng dịch vụ công", OwnerOrg: "dic", SecurityLevel: 2}
		}
		do(opener, id, open)
		if s.byPolice {
			do(police, id, domain.Share{Orgs: []string{"dic"}})
		}
		switch s.help {
		case 1:
			do(opener, id, domain.Escalate{EscalationID: id + "-e", ToOrg: "subcommittee", Reason: "vượt khả năng"})
			do(sub, id, domain.AcknowledgeEscalation{EscalationID: id + "-e"})
		case 2, 3:
			do(opener, id, domain.OfferHandoff{HandoffID: id + "-h", ToOrg: "vncert", Summary: "đề nghị hỗ trợ", RequestedAction: "phân tích"})
			if s.help == 2 {
				do(vn, id, domain.AcceptHandoff{HandoffID: id + "-h"})
			} else {
				do(vn, id, domain.DeclineHandoff{HandoffID: id + "-h", Reason: "không thuộc phạm vi"})
			}
		}
		switch {
		case s.red:
			do(opener, id, domain.ChangeTLP{TLP: domain.TLPRed, Reason: "nhạy cảm"})
		case s.green:
			do(opener, id, domain.ChangeTLP{TLP: domain.TLPGreen, Reason: "chia sẻ"})
		}
	}
	type line struct{ count, alone, domestic, national int }
	expect := func(reader string) (map[string]line, map[string]int) {
		lines, drills := map[string]line{}, map[string]int{}
		for _, s := range all {
			readable := map[string]bool{
				"dic/lan":          !s.red,
				"subcommittee/mai": !s.red && (s.green || s.help == 1), // AMBER reaches the subcommittee only by escalation
			}[reader]
			if !readable || !s.inWindow {
				continue
			}
			if s.drill {
				drills[s.typ]++
				continue
			}
			l := lines[s.typ]
			l.count++
			if s.help == 1 || s.help == 2 {
				l.domestic++
			} else {
				l.alone++
			}
			if s.help >= 2 {
				l.national++
			}
			lines[s.typ] = l
		}
		return lines, drills
	}
	periodic := func(token, format string, asOf string) generated {
		var r struct{ PeriodicReport generated }
		v := map[string]any{"p": period, "y": year, "f": format}
		if asOf != "" {
			v["asOf"] = asOf
		}
		e.MustPost(t, token, `query($p: String!, $y: Int!, $f: ReportFormat, $asOf: Time) { periodicReport(org: "dic", period: $p, year: $y, format: $f, asOf: $asOf) { `+generatedFields+` } }`, v, &r)
		return r.PeriodicReport
	}
	check := func(reader, token string) generated {
		t.Helper()
		wantLines, wantDrills := expect(reader)
		g := periodic(token, "CSV", "")
		c := csvValues(t, g.body(t))
		total := line{}
		for _, ty := range types {
			w := wantLines[ty.Code]
			got := line{atoi(t, c["Tình hình sự cố theo loại/"+ty.Code+".count"]), atoi(t, c["Tình hình sự cố theo loại/"+ty.Code+".handledAlone"]),
				atoi(t, c["Tình hình sự cố theo loại/"+ty.Code+".domesticHelp"]), atoi(t, c["Tình hình sự cố theo loại/"+ty.Code+".nationalHelp"])}
			if got != w {
				t.Errorf("%s: %s: the report says %+v, the log %+v", reader, ty.Code, got, w)
			}
			is.Equal(c["Tình hình sự cố theo loại/"+ty.Code+".foreignHelp"], "0") // no foreign organisation in the directory
			total.count += w.count
			drillKey := "Diễn tập (không tính vào số liệu trên)/" + ty.Code + ".drills"
			if wantDrills[ty.Code] > 0 {
				is.Equal(c[drillKey], strconv.Itoa(wantDrills[ty.Code])) // drills shown apart
			} else {
				is.Equal(c[drillKey], "") // no line for a type without drills
			}
		}
		is.Equal(c["Tình hình sự cố theo loại/total.count"], strconv.Itoa(total.count)) // the total
		return g
	}
	g := check("dic/lan", e.MustToken(t, "dic", "lan", domain.RoleCoordinator))
	check("subcommittee/mai", e.MustToken(t, "subcommittee", "mai", domain.RoleReviewer))
	res := e.Post(t, e.MustToken(t, "police", "an", domain.RoleCoordinator), `query { periodicReport(org: "dic", period: "YEAR", year: 2026) { sha256 } }`, nil)
	is.Equal(res.Code(), "FORBIDDEN") // another force does not make the DIC's report

	// The PDF reads back in Vietnamese, and the same instant gives the same bytes: from the live
	// read models now, and rebuilt from the log once the log has moved past the instant.
	lanTok := e.MustToken(t, "dic", "lan", domain.RoleCoordinator)
	first := periodic(lanTok, "PDF", g.AsOf)
	text := reporttest.MustPDFText(t, first.body(t))
	for _, want := range []string{"BÁO CÁO TỔNG HỢP TÌNH HÌNH SỰ CỐ AN TOÀN THÔNG TIN MẠNG", "Thay đổi giao diện", "Diễn tập (không tính vào số liệu trên)", "Tổng cộng"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q:\n%s", want, text)
		}
	}
	do(lan, eventstore.NewID(), domain.OpenIncident{Title: "sau kỳ", Type: "DOS", Severity: domain.SeverityLow, TLP: domain.TLPGreen, DetectedAt: now})
	rebuilt := periodic(lanTok, "PDF", g.AsOf)
	is.Equal(rebuilt.Sha256, first.Sha256) // byte-identical, live or rebuilt
	is.True(bytes.Equal(rebuilt.body(t), first.body(t)))

	// Submitting: the lines are the log's; hand-typed lines are refused with generate.
	var s struct {
		SubmitPeriodicReport struct{ ReportSha256 string }
	}
	e.MustPost(t, lanTok, `mutation($y: Int!, $t: Time) { submitPeriodicReport(input: {period: "YEAR", year: $y, reference: "05/BC", generate: {asOf: $t}}) { reportSha256 } }`,
		map[string]any{"y": year, "t": g.AsOf}, &s)
	is.Equal(s.SubmitPeriodicReport.ReportSha256, first.Sha256) // the recorded hash is the generated file's
	commits, err := e.store.LoadCommits(ctx, "report", domain.PeriodicReportID("dic", period, year), 1, 0)
	is.NoErr(err)
	envs, err := commits[0].Envelopes()
	is.NoErr(err)
	rec := envs[0].Event.(domain.PeriodicReportSubmitted)
	wantLines, _ := expect("dic/lan")
	for _, l := range rec.Lines {
		is.Equal(l.Count, wantLines[l.Type].count) // recorded lines are the log's count
	}
	is.Equal(rec.Document.Sha256, first.Sha256)
}

func TestComplianceAndDeadlines(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	lan := e.MustToken(t, "dic", "lan", domain.RoleCoordinator)
	mai := e.MustToken(t, "subcommittee", "mai", domain.RoleCoordinator)
	id, _ := e.MustOpen(t, lan, "Tấn công từ chối dịch vụ cổng thông tin", domain.TLPGreen)
	var esc struct {
		EscalateIncident struct{ Escalation struct{ ID string } }
	}
	e.MustPost(t, lan, `mutation($id: ID!) { escalateIncident(input: {incidentId: $id, toOrg: "subcommittee", reason: "vượt khả năng"}) { escalation { id } } }`,
		map[string]any{"id": id}, &esc)
	drill, _ := e.MustOpen(t, lan, "Diễn tập", domain.TLPGreen)
	_ = drill
	var owed struct {
		Deadlines []struct {
			Kind, RefID, Status string
			SecondsLeft         int
		}
	}
	e.MustPost(t, mai, `{ deadlines { kind refId status secondsLeft } }`, nil, &owed)
	is.True(len(owed.Deadlines) >= 1)                              // the subcommittee owes the acknowledgement
	is.Equal(owed.Deadlines[0].Kind, domain.DeadlineEscalationAck) // soonest first
	is.Equal(owed.Deadlines[0].RefID, esc.EscalateIncident.Escalation.ID)
	is.True(owed.Deadlines[0].SecondsLeft > 0)
	e.MustPost(t, mai, `mutation($x: ID!) { acknowledgeEscalation(input: {escalationId: $x}) { escalation { id } } }`,
		map[string]any{"x": esc.EscalateIncident.Escalation.ID}, nil)
	var c struct {
		Compliance struct {
			Incidents int
			Kinds     []struct {
				Kind                       string
				Met, Late, Missed, Pending int
			}
			Acknowledge struct {
				Count         int
				MedianSeconds *int
			}
		}
	}
	from, to := time.Now().Add(-24*time.Hour).UTC().Format(time.RFC3339), time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339)
	e.MustPost(t, mai, `query($f: Time, $t: Time) { compliance(from: $f, to: $t) { incidents kinds { kind met late missed pending } acknowledge { count medianSeconds } } }`,
		map[string]any{"f": from, "t": to}, &c)
	is.Equal(c.Compliance.Incidents, 1)         // one incident asked something of the subcommittee
	is.Equal(c.Compliance.Acknowledge.Count, 1) // acknowledged once
	is.True(c.Compliance.Acknowledge.MedianSeconds != nil)
	for _, k := range c.Compliance.Kinds {
		if k.Kind == domain.DeadlineEscalationAck {
			is.Equal(k.Met, 1) // met in time
		}
	}
	res := e.Post(t, mai, `{ compliance(period: "H1") { incidents } }`, nil)
	is.Equal(res.Code(), "INVALID") // a period needs a year
}

func atoi(tb testing.TB, s string) int {
	tb.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		tb.Fatalf("%q is not a number", s)
	}
	return n
}
