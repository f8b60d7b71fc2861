package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/projections/report/reporttest"
	"github.com/dieuphoi/dieuphoi/web/browsertest"
)

// The board's screens of the subcommittee's review, who knew what when, deadlines, reports and
// evidence, in real headless Chromium against the real service (run()), one service per test.

// fastAckConfig writes the default configuration with acknowledgement windows down to a second,
// so that a test can see an escalation answered late without waiting minutes.
func fastAckConfig(tb testing.TB) string {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(domain.DefaultConfigJSON(), &m); err != nil {
		tb.Fatal(err)
	}
	m["deadlines"].(map[string]any)["minAckWithin"] = "1s"
	b, _ := json.Marshal(m)
	f := filepath.Join(tb.TempDir(), "fast-ack.json")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return f
}

// mustGQL runs a GraphQL request that must succeed and decodes its data into out (may be nil).
func mustGQL(tb testing.TB, srv *running, token, query string, vars map[string]any, out any) {
	tb.Helper()
	_, r := gql(tb, srv, token, query, vars)
	if len(r.Errors) > 0 {
		tb.Fatalf("%s: %s", firstWords(query), r.Errors[0].Message)
	}
	if out != nil {
		b, _ := json.Marshal(r.Data)
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatal(err)
		}
	}
}

func firstWords(s string) string {
	if len(s) > 60 {
		return s[:60]
	}
	return s
}

// languageLeftovers switches the page to English (waiting for cond), and returns how many of
// the board's own visible strings there were in Vietnamese and those that did not change; then
// switches back to Vietnamese.
func languageLeftovers(tb testing.TB, p *browsertest.Page, cond string) (int, []string) {
	tb.Helper()
	vi := stringsOf(tb, p)
	p.Click(tb, "button.lang")
	p.WaitJS(tb, "English", `document.documentElement.lang === 'en' && (`+cond+`)`)
	inEn := map[string]bool{}
	for _, s := range stringsOf(tb, p) {
		inEn[s] = true
	}
	var same []string
	for _, s := range vi {
		if inEn[s] {
			same = append(same, s)
		}
	}
	return len(vi), same
}

func backToVietnamese(tb testing.TB, p *browsertest.Page) {
	tb.Helper()
	p.Click(tb, "button.lang")
	p.WaitJS(tb, "Vietnamese", `document.documentElement.lang === 'vi'`)
}

// axeScanner returns a function that reports every serious or critical accessibility violation
// axe-core finds on a page (nothing when axe-core is not installed outside CI).
func axeScanner(t *testing.T) func(p *browsertest.Page, what string) {
	axe := axeSource(t)
	return func(p *browsertest.Page, what string) {
		if axe == "" {
			return
		}
		for _, v := range p.Axe(t, axe) {
			t.Errorf("accessibility (%s): %s", what, v)
		}
	}
}

// noOverflow checks that a page fits its width (a phone's 360 px).
func noOverflow(tb testing.TB, p *browsertest.Page, what string) {
	tb.Helper()
	var overflow int
	p.Eval(tb, `document.documentElement.scrollWidth - window.innerWidth`, &overflow)
	if overflow > 0 {
		tb.Errorf("%s is %d px wider than the screen", what, overflow)
	}
}

func TestBoardReviewInBrowser(t *testing.T) {
	is := is.New(t)
	br := browsertest.MustStart(t)
	data := t.TempDir()
	srv := MustServe(t, data, nil, "--config", fastAckConfig(t))
	defer func() { srv.stop() }()
	base := "http://" + srv.http
	shots := screenshotDir()
	scan := axeScanner(t)

	// An AMBER incident of the DIC, shared with every required signer (not with the health CERT),
	// escalated to the police with a 2 s window that passes before they acknowledge.
	lan := mustToken(t, srv, data, "dic", "lan", "coordinator")
	policeTok := mustToken(t, srv, data, "police", "tuan", "coordinator")
	title := "Thay đổi giao diện Cổng thông tin điện tử tỉnh"
	id := mustOpen(t, srv, lan, map[string]any{"title": title, "type": "DEFACEMENT", "sector": "GOVERNMENT", "severity": "HIGH", "tlp": "AMBER"})
	mustGQL(t, srv, lan, `mutation($in: ShareIncidentInput!) { shareIncident(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"incidentId": id, "orgs": []string{"police", "military", "propaganda", "subcommittee"}}}, nil)
	var esc struct {
		EscalateIncident struct{ Escalation struct{ ID string } }
	}
	mustGQL(t, srv, lan, `mutation($in: EscalateIncidentInput!) { escalateIncident(input: $in) { escalation { id } } }`,
		map[string]any{"in": map[string]any{"incidentId": id, "toOrg": "police", "reason": "Cần truy vết nguồn tấn công", "ackWithin": "2s"}}, &esc)
	var due time.Time
	for deadline := time.Now().Add(30 * time.Second); ; {
		var inc struct {
			Incident struct {
				Escalations []struct {
					ID, Status string
					Deadline   time.Time
				}
			}
		}
		mustGQL(t, srv, lan, `query($id: ID!) { incident(id: $id) { escalations { id status deadline } } }`, map[string]any{"id": id}, &inc)
		missed := false
		for _, e := range inc.Incident.Escalations {
			if e.ID == esc.EscalateIncident.Escalation.ID && e.Status == "MISSED" {
				missed, due = true, e.Deadline
			}
		}
		// Late by more than two seconds (whole seconds count, and the view as of one second
		// past the deadline must come before the acknowledgement): this waits for the clock.
		if missed && time.Since(due) > 2500*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the escalation's deadline was never recorded as missed: %+v", inc)
		}
		time.Sleep(50 * time.Millisecond) // polling the log's answer with a deadline
	}
	mustGQL(t, srv, policeTok, `mutation($in: AcknowledgeEscalationInput!) { acknowledgeEscalation(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"escalationId": esc.EscalateIncident.Escalation.ID}}, nil)

	// The police coordinator waits on the reviews list.
	police := br.NewPage(t, "police", 1280, 900)
	signIn(t, police, base, policeTok)
	goTo(t, police, "#/reviews", "the empty reviews list", `!!document.querySelector('#rv-h') && document.querySelector('.total').textContent.startsWith('0')`)

	// A reviewer of the subcommittee reads who knew what when: the police acknowledged late.
	sub := br.NewPage(t, "subcommittee", 1280, 900)
	signIn(t, sub, base, mustToken(t, srv, data, "subcommittee", "hoa", "reviewer"))
	goTo(t, sub, "#/incident/"+id, "the incident", `!!document.querySelector('#act-review') && !!document.querySelector('[data-link=who]')`)
	sub.Click(t, "[data-link=who]")
	sub.WaitJS(t, "the police's late acknowledgement", `!!document.querySelector('[data-org=police] [data-kind=ESCALATION] [data-late]')`)
	var late struct {
		Seconds int
		Text    string
	}
	sub.Eval(t, `(() => { const e = document.querySelector('[data-org=police] [data-kind=ESCALATION] [data-late]'); return {seconds: +e.dataset.late, text: e.textContent}; })()`, &late)
	is.True(late.Seconds > 0)                              // late by some seconds
	is.True(strings.HasPrefix(late.Text, "muộn 00:0"))     // said in words, in Vietnamese
	is.True(strings.Contains(sub.Text(t), "được chia sẻ")) // and through what each came to know
	sub.Screenshot(t, shots, "who-vi")
	scan(sub, "who knew what when")
	n, same := languageLeftovers(t, sub, `document.querySelector('#who-h').textContent === 'Who knew what, when'`)
	is.True(n > 30)     // enough of the screen was compared
	is.Equal(same, nil) // every string of who-knew-what changed language
	sub.Eval(t, `document.querySelector('[data-org=police] [data-late]').textContent`, &late.Text)
	is.True(strings.HasPrefix(late.Text, "late by 00:0")) // the lateness in English
	backToVietnamese(t, sub)

	// As of a moment past the deadline and before the acknowledgement, the police had not answered.
	before := due.Add(2 * time.Second).Truncate(time.Second).In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02T15:04:05")
	sub.Set(t, "#asof", before)
	sub.Click(t, "form.timetravel button[type=submit]")
	sub.WaitJS(t, "the past view", `!!document.querySelector('.pastbanner') && !!document.querySelector('[data-org=police] [data-kind=ESCALATION] [data-overdue]')`)
	sub.Eval(t, `document.querySelector('[data-org=police] [data-overdue]').textContent`, &late.Text)
	is.True(strings.Contains(late.Text, "chưa trả lời")) // overdue, no answer yet, then

	// The reviewer opens a review of the incident from the incident and signs it off.
	// Everything the page loads first (deadlines, evidence, reviews), so that nothing moves under the click.
	goTo(t, sub, "#/incident/"+id, "the incident", `!!document.querySelector('#act-review') && !!document.querySelector('tr[data-obligation]') && !!document.querySelector('[data-reviews-loaded]')`)
	sub.Click(t, "#act-review summary")
	sub.Click(t, "#act-review button[type=submit]")
	sub.WaitJS(t, "the review", `!!document.querySelector('article.review') && !!document.querySelector('[data-signer=subcommittee][data-decision=PENDING]')`)
	var rid string
	sub.Eval(t, `document.querySelector('article.review').dataset.review`, &rid)
	is.True(rid != "") // the review's id
	var treeSize int
	sub.Eval(t, `+document.querySelector('[data-tree-size]').dataset.treeSize`, &treeSize)
	is.True(treeSize > 0) // pinned to a signed checkpoint

	// The police see it arrive in their list, live, and open it.
	police.Eval(t, `window.__sameDocument = true`, nil)
	police.WaitJS(t, "the review in the police's list", `!!document.querySelector('[data-review="`+rid+`"]')`)
	police.Click(t, `[data-review="`+rid+`"] h2 a`)
	police.WaitJS(t, "the review", `!!document.querySelector('article.review') && !!document.querySelector('#act-signoff')`)

	sub.Click(t, "#act-signoff summary")
	sub.Set(t, "#act-signoff textarea[name=comment]", "Tiểu ban thống nhất diễn biến đã ghim.")
	sub.Click(t, "#act-signoff button[type=submit]")
	sub.WaitJS(t, "the subcommittee's signature", `!!document.querySelector('[data-signer=subcommittee][data-decision=SIGNED_OFF]')`)

	// The police see the signature arrive without reloading, and sign too; the reviewer sees it.
	police.WaitJS(t, "the subcommittee's signature, live", `!!document.querySelector('[data-signer=subcommittee][data-decision=SIGNED_OFF]')`)
	var same1 bool
	police.Eval(t, `window.__sameDocument === true`, &same1)
	is.True(same1) // no reload
	police.Click(t, "#act-signoff summary")
	police.Click(t, "#act-signoff button[type=submit]")
	sub.WaitJS(t, "the police's signature, live", `!!document.querySelector('[data-signer=police][data-decision=SIGNED_OFF]')`)

	// A lesson learned; then a change to the incident outdates the review, live.
	sub.Click(t, "#act-finding summary")
	sub.Set(t, "#act-finding select[name=kind]", "LESSON")
	sub.Set(t, "#act-finding textarea[name=text]", "Cần xác nhận leo thang trong thời hạn, kể cả ngoài giờ hành chính.")
	sub.Click(t, "#act-finding button[type=submit]")
	police.WaitJS(t, "the lesson, live", `!!document.querySelector('[data-finding][data-kind=LESSON]')`)
	sub.WaitJS(t, "who knew what over the pinned history", `!!document.querySelector('.pinned-who [data-org=police] [data-late]')`)
	sub.Screenshot(t, shots, "review-vi")
	scan(sub, "review")
	n, same = languageLeftovers(t, sub, `document.querySelector('#s-signers').textContent === 'Required signers'`)
	is.True(n > 40)     // enough of the review was compared
	is.Equal(same, nil) // every string of the review changed language
	sub.Screenshot(t, shots, "review-en")
	scan(sub, "review in English")
	backToVietnamese(t, sub)
	mustGQL(t, srv, lan, `mutation($in: AddNoteInput!) { addNote(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"incidentId": id, "text": "Đã khôi phục giao diện từ bản sao lưu."}}, nil)
	police.WaitJS(t, "the review outdated, live", `!!document.querySelector('[data-outdated]') && !!document.querySelector('.outdated')`)

	// The list of reviews, in both languages.
	goTo(t, sub, "#/reviews", "the reviews list", `!!document.querySelector('[data-review="`+rid+`"]')`)
	scan(sub, "reviews list")
	n, same = languageLeftovers(t, sub, `document.querySelector('#rv-h').textContent === "The subcommittee's reviews"`)
	is.True(n > 15)     // the list was compared
	is.Equal(same, nil) // every string of the list changed language
	backToVietnamese(t, sub)

	// On a phone the review fits the width.
	phone := br.NewPage(t, "phone", 360, 740)
	signIn(t, phone, base, policeTok)
	goTo(t, phone, "#/review/"+rid, "the review on a phone", `!!document.querySelector('article.review') && !!document.querySelector('.pinned-who [data-org]')`)
	noOverflow(t, phone, "the review at 360 px")
	phone.Screenshot(t, shots, "review-phone-vi")

	// A partner the incident is not shared with sees no trace of the review.
	partner := br.NewPage(t, "partner", 1280, 900)
	signIn(t, partner, base, mustToken(t, srv, data, "cert-health", "minh", "partner"))
	var page string
	goTo(t, partner, "#/reviews", "the partner's reviews", `!!document.querySelector('#rv-h') && document.querySelector('.total').textContent.startsWith('0')`)
	partner.Eval(t, `document.documentElement.outerHTML`, &page)
	is.True(!strings.Contains(page, rid)) // not the review
	is.True(!strings.Contains(page, id))  // nor the incident
	for _, route := range []string{"#/review/" + rid, "#/incident/" + id + "/who", "#/incident/" + id + "/reports"} {
		partner.Eval(t, `document.querySelector('main h1').dataset.stale = 'yes'`, nil) // the screen before
		goTo(t, partner, route, route, `!!document.querySelector('main h1:not([data-stale])')`)
		partner.Eval(t, `document.documentElement.outerHTML`, &page)
		is.True(strings.Contains(partner.Text(t), "Không tìm thấy")) // as if it did not exist
		is.True(!strings.Contains(page, "Thay đổi giao diện"))       // nothing of it shown
	}

	for _, u := range br.Net.Foreign(srv.http) {
		t.Errorf("a request left for another host: %s", u)
	}
	is.True(len(br.Net.URLs()) > 20) // the log did record the run
}

func TestBoardReportsAndEvidenceInBrowser(t *testing.T) {
	is := is.New(t)
	br := browsertest.MustStart(t)
	data := t.TempDir()
	srv := MustServe(t, data, nil)
	defer func() { srv.stop() }()
	base := "http://" + srv.http
	shots := screenshotDir()
	scan := axeScanner(t)
	downloads := t.TempDir()

	// An AMBER malware incident of the DIC shared with the police, and a drill of the same type.
	lan := mustToken(t, srv, data, "dic", "lan", "coordinator")
	title := "Mã độc đánh cắp dữ liệu hồ sơ bệnh án điện tử"
	id := mustOpen(t, srv, lan, map[string]any{"title": title, "type": "MALWARE", "sector": "HEALTH", "severity": "HIGH", "tlp": "AMBER"})
	mustGQL(t, srv, lan, `mutation($in: ShareIncidentInput!) { shareIncident(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"incidentId": id, "orgs": []string{"police"}}}, nil)
	mustOpen(t, srv, lan, map[string]any{"title": "Diễn tập: mã độc trên máy trạm", "type": "MALWARE", "severity": "LOW", "tlp": "GREEN", "drill": true})

	dic := br.NewPage(t, "dic", 1280, 900)
	dic.AllowDownloads(t, downloads)
	signIn(t, dic, base, lan)
	goTo(t, dic, "#/incident/"+id, "the incident with its deadlines", `!!document.querySelector('tr[data-obligation=NOTIFICATION][data-status=PENDING]') && !!document.querySelector('#act-evidence')`)

	// Evidence: upload a file, see its hash, download the same bytes, hand it to the police.
	file := append([]byte("Nov 29 10:02:11 his01 sshd[811]: Accepted password for root from 203.0.113.7\n"), 0, 1, 2, 0xfe, 0xff)
	sum := sha256.Sum256(file)
	sumHex := hex.EncodeToString(sum[:])
	local := filepath.Join(t.TempDir(), "his01-auth.log")
	is.NoErr(os.WriteFile(local, file, 0o600)) // the file to upload
	dic.Click(t, "#act-evidence summary")
	dic.Run(t, "choose the file", chromedp.SetUploadFiles(chromedp.CSS("#act-evidence input[type=file]"), []string{local}))
	dic.Set(t, "#act-evidence input[name=system]", "Máy chủ HIS his01")
	dic.Click(t, "#act-evidence button[type=submit]")
	dic.WaitJS(t, "the evidence with its hash", `!!document.querySelector('[data-evidence] [data-sha256="`+sumHex+`"]')`)
	dic.Click(t, "[data-evidence] form[data-action=download] button")
	got := browsertest.WaitFile(t, filepath.Join(downloads, "his01-auth.log"))
	is.Equal(got, file) // the download is the upload, byte for byte
	dic.WaitJS(t, "the download recorded", `document.querySelector('[data-evidence]').textContent.includes('1 lượt')`)
	dic.Click(t, "[data-evidence] details.action > summary")
	dic.Set(t, "[data-evidence] form[data-action=transfer] input[name=to]", "police/tuan")
	dic.Set(t, "[data-evidence] form[data-action=transfer] textarea[name=reason]", "Chuyển Công an tỉnh giám định")
	dic.Click(t, "[data-evidence] form[data-action=transfer] button[type=submit]")
	dic.WaitJS(t, "the new custodian", `!!document.querySelector('[data-evidence] [data-custodian="police/tuan"]') && !!document.querySelector('[data-evidence] details.custody')`)
	dic.Screenshot(t, shots, "incident-evidence-vi")
	scan(dic, "incident with evidence and deadlines")

	// Reports: Mẫu 03 asks what the log does not know; its PDF downloads; it is submitted.
	dic.Click(t, "[data-link=reports]")
	dic.WaitJS(t, "Mẫu 03's preview", `!!document.querySelector('[data-form=MAU_03] .basis') && !!document.querySelector('#MAU_03-contactName')`)
	dic.Set(t, "#MAU_03-contactName", "Nguyễn Thị Lan")
	dic.Click(t, "[data-form=MAU_03] button[data-format=PDF]")
	dic.WaitJS(t, "the PDF made", `!!document.querySelector('[data-form=MAU_03] [data-made=PDF] a[download]')`)
	var pdfName string
	dic.Eval(t, `document.querySelector('[data-form=MAU_03] [data-made=PDF] a').getAttribute('download')`, &pdfName)
	is.True(strings.HasSuffix(pdfName, ".pdf")) // a PDF file name
	pdf := browsertest.WaitFile(t, filepath.Join(downloads, pdfName))
	is.True(bytes.HasPrefix(pdf, []byte("%PDF-"))) // a PDF
	var madeSum string
	dic.Eval(t, `document.querySelector('[data-form=MAU_03] [data-made]').dataset.sha256`, &madeSum)
	pdfSum := sha256.Sum256(pdf)
	is.Equal(madeSum, hex.EncodeToString(pdfSum[:])) // the hash shown is the file's
	dic.Click(t, "[data-form=MAU_03] button[data-format=HTML]")
	dic.WaitJS(t, "the printable page", `!!document.querySelector('[data-form=MAU_03] [data-made=HTML] a[target=_blank][href^="blob:"]')`)
	dic.Click(t, "#act-submit-MAU_03 summary")
	dic.Set(t, "#act-submit-MAU_03 input[name=reference]", "125/BC-SKHCN")
	dic.Click(t, "#act-submit-MAU_03 button[type=submit]")
	dic.WaitJS(t, "the submitted report's hash", `/^[0-9a-f]{64}$/.test(document.querySelector('[data-submitted]')?.dataset.submitted || '')`)
	dic.Screenshot(t, shots, "reports-vi")
	scan(dic, "reports")
	n, same := languageLeftovers(t, dic, `document.querySelector('#rep-h').textContent === 'Incident reports under Circular 20/2017'`)
	is.True(n > 30)     // enough of the screen was compared
	is.Equal(same, nil) // every string of the reports screen changed language
	dic.Screenshot(t, shots, "reports-en")
	scan(dic, "reports in English")
	backToVietnamese(t, dic)

	// The initial report's deadline is met now, on the incident and off the organisation's list.
	goTo(t, dic, "#/incident/"+id, "the report deadline met", `!!document.querySelector('tr[data-obligation=INITIAL_REPORT][data-status=MET]')`)
	n, same = languageLeftovers(t, dic, `document.querySelector('#s-evidence').textContent === 'Evidence'`)
	is.True(n > 60)     // the whole incident was compared
	is.Equal(same, nil) // every string of the incident, evidence and deadlines included, changed language
	backToVietnamese(t, dic)
	goTo(t, dic, "#/deadlines", "the organisation's deadlines", `!!document.querySelector('table.obligations tr[data-obligation=NOTIFICATION][data-incident="`+id+`"]') && !!document.querySelector('[data-compliance=dic]')`)
	var owed []string
	dic.Eval(t, `[...document.querySelectorAll('table.obligations tr[data-incident="`+id+`"]')].map((r) => r.dataset.obligation)`, &owed)
	is.True(slices.Contains(owed, "NOTIFICATION"))    // still owed
	is.True(!slices.Contains(owed, "INITIAL_REPORT")) // settled, so no longer owed
	scan(dic, "deadlines")
	n, same = languageLeftovers(t, dic, `document.querySelector('#dl-h').textContent === 'Deadlines to meet'`)
	is.True(n > 25)     // the screen was compared
	is.Equal(same, nil) // every string of the deadlines screen changed language
	backToVietnamese(t, dic)

	// Mẫu 05 of the DIC for the year the incident falls in: one malware incident, the drill apart.
	now := time.Now().In(time.FixedZone("ICT", 7*3600))
	year := now.Year()
	if now.Month() == time.December && now.Day() >= 15 {
		year++ // the reporting year runs from 15/12
	}
	goTo(t, dic, "#/reports", "Mẫu 05", `!!document.querySelector('[data-form=MAU_05] table.lines')`)
	dic.Set(t, "#rep-period", "YEAR")
	dic.Set(t, "#rep-year", strconv.Itoa(year))
	dic.WaitJS(t, "Mẫu 05 of the year", `document.querySelector('[data-form=MAU_05] tr[data-type=MALWARE] td')?.textContent === '1' && document.querySelector('[data-drills]')?.dataset.drills === '1'`)
	dic.Screenshot(t, shots, "report-mau05-vi")
	scan(dic, "Mẫu 05")
	n, same = languageLeftovers(t, dic, `document.querySelector('#rep5-h').textContent === 'Periodic summary report (Form 05)'`)
	is.True(n > 30)     // the screen was compared
	is.Equal(same, nil) // every string of Mẫu 05 changed language
	dic.Screenshot(t, shots, "report-mau05-en")
	backToVietnamese(t, dic)

	// The reports screen fits a phone.
	phone := br.NewPage(t, "phone", 360, 740)
	signIn(t, phone, base, lan)
	goTo(t, phone, "#/incident/"+id+"/reports", "the reports on a phone", `!!document.querySelector('[data-form=MAU_03] .basis')`)
	noOverflow(t, phone, "the reports at 360 px")
	goTo(t, phone, "#/incident/"+id, "the incident on a phone", `!!document.querySelector('[data-evidence]')`)
	noOverflow(t, phone, "the incident with evidence at 360 px")

	for _, u := range br.Net.Foreign(srv.http) {
		t.Errorf("a request left for another host: %s", u)
	}
	// Last, as it skips without pdftotext: the PDF holds the incident's title and the contact given.
	text := reporttest.MustPDFText(t, pdf)
	is.True(strings.Contains(text, title))            // the incident's title
	is.True(strings.Contains(text, "Nguyễn Thị Lan")) // the field the log did not know
}
