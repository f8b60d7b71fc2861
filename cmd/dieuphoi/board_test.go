package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/web/browsertest"
)

// The board's browser tests: real headless Chromium (Debian's chromium) against the real service
// started through run(), real tokens, real websockets. They skip when there is no Chromium and
// CI is not set; in CI they run.

// screenshotDir is where the tests leave their screenshots: DIEUPHOI_SCREENSHOTS, or bin/screenshots
// at the top of the repository.
func screenshotDir() string {
	if d := os.Getenv("DIEUPHOI_SCREENSHOTS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "bin", "screenshots")
}

// axeSource reads axe-core from web/node_modules (npm ci in web/, as .ci/run does); "" when it is
// not installed outside CI.
func axeSource(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "web", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("axe-core is missing (run npm ci in web/): %v", err)
		}
		tb.Logf("axe-core not installed (npm ci in web/): accessibility scans skipped")
		return ""
	}
	return string(b)
}

// mustLink prints a one-time sign-in link with `dieuphoi token --link`.
func mustLink(tb testing.TB, srv *running, data, org, user, role string) string {
	tb.Helper()
	var out bytes.Buffer
	err := run(context.Background(), []string{"dieuphoi", "token", "--data", data, "--nats-listen", srv.nats, "--link",
		"--url", "http://" + srv.http, "--org", org, "--user", user, "--role", role}, func(string) string { return "" }, &out, io.Discard)
	if err != nil {
		tb.Fatalf("token --link: %v", err)
	}
	return strings.TrimSpace(out.String())
}

// serveOn starts serve on given addresses (a restart of the same service) and waits for /healthz.
func serveOn(tb testing.TB, data, httpAddr, natsAddr string) *running {
	tb.Helper()
	r := &running{http: httpAddr, nats: natsAddr, stderr: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dieuphoi", "serve", "--data", data, "--http", httpAddr, "--nats-listen", natsAddr},
			func(string) string { return "" }, io.Discard, r.stderr)
	}()
	r.stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("serve did not stop within 30s")
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		select {
		case err := <-done:
			tb.Fatalf("serve exited early: %v\n%s", err, r.stderr)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("serve never became healthy\n%s", r.stderr)
		}
		time.Sleep(20 * time.Millisecond) // polling /healthz with a deadline
	}
}

// mustOpen opens an incident through the API and returns its id.
func mustOpen(tb testing.TB, srv *running, token string, input map[string]any) string {
	tb.Helper()
	input["detectedAt"] = time.Now().Add(-30 * time.Minute).UTC().Format(time.RFC3339)
	_, r := gql(tb, srv, token, `mutation($in: OpenIncidentInput!) { openIncident(input: $in) { incident { id } } }`, map[string]any{"in": input})
	if len(r.Errors) > 0 {
		tb.Fatalf("openIncident: %s", r.Errors[0].Message)
	}
	var p struct{ Incident struct{ ID string } }
	if err := json.Unmarshal(r.Data["openIncident"], &p); err != nil {
		tb.Fatal(err)
	}
	return p.Incident.ID
}

// signIn pastes a token on the sign-in screen and waits for the board.
func signIn(tb testing.TB, p *browsertest.Page, base, token string) {
	tb.Helper()
	p.Run(tb, "open the board", chromedp.Navigate(base+"/"))
	p.WaitJS(tb, "the sign-in form", `!!document.querySelector('#token')`)
	p.Set(tb, "#token", token)
	p.Click(tb, "main.signin button[type=submit]")
	p.WaitJS(tb, "the board", `!!document.querySelector('#board-h') && !!document.querySelector('[data-conn=live]')`)
}

// goTo follows a hash route inside the board (no reload) and waits for cond.
func goTo(tb testing.TB, p *browsertest.Page, hash, what, cond string) {
	tb.Helper()
	p.Eval(tb, fmt.Sprintf(`location.hash = %q`, hash), nil)
	p.WaitJS(tb, what, cond)
}

// visibleStrings lists the visible text of the page that is the board's own (not marked
// translate="no" as user content or a language-neutral code) and has a letter.
const visibleStrings = `(() => {
  const out = new Set();
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (w.nextNode()) {
    const n = w.currentNode, s = n.textContent.trim(), el = n.parentElement;
    if (!s || !/\p{L}/u.test(s) || !el || el.closest('[translate=no], script, style, option')) continue;
    if (!el.checkVisibility() || el.getClientRects().length === 0) continue;
    out.add(s);
  }
  document.querySelectorAll('select').forEach((s) => { if (s.checkVisibility() && s.selectedOptions[0] && /\p{L}/u.test(s.selectedOptions[0].text)) out.add(s.selectedOptions[0].text.trim()); });
  return [...out];
})()`

func TestBoardInBrowser(t *testing.T) {
	is := is.New(t)
	br := browsertest.MustStart(t)
	data := t.TempDir()
	srv := MustServe(t, data, nil)
	defer func() { srv.stop() }()
	base := "http://" + srv.http
	shots := screenshotDir()
	axe := axeSource(t)
	scan := func(p *browsertest.Page, what string) {
		if axe == "" {
			return
		}
		for _, v := range p.Axe(t, axe) {
			t.Errorf("accessibility (%s): %s", what, v)
		}
	}

	// The data: an AMBER incident of the DIC shared with nobody, and a GREEN drill.
	seed := mustToken(t, srv, data, "dic", "seed", "coordinator")
	amberTitle := "Mã độc mã hóa dữ liệu máy chủ HIS tại Sở Y tế"
	amber := mustOpen(t, srv, seed, map[string]any{"title": amberTitle, "type": "RANSOMWARE", "sector": "HEALTH", "severity": "HIGH", "tlp": "AMBER",
		"description": "Nhiều máy trạm hiển thị thông báo đòi tiền chuộc."})
	// Time travel needs the drill opened in a later second than the AMBER incident: this waits
	// for the clock, not for any state.
	for opened := time.Now(); time.Since(opened) < 1100*time.Millisecond; {
		time.Sleep(20 * time.Millisecond)
	}
	drill := mustOpen(t, srv, seed, map[string]any{"title": "Diễn tập: tấn công từ chối dịch vụ cổng dịch vụ công", "type": "DOS", "sector": "GOVERNMENT",
		"severity": "MEDIUM", "tlp": "GREEN", "drill": true})

	// The police coordinator signs in by pasting a token and waits on the escalation queue.
	police := br.NewPage(t, "police", 1280, 900)
	policeTok := mustToken(t, srv, data, "police", "tuan", "coordinator")
	signIn(t, police, base, policeTok)
	goTo(t, police, "#/queue", "the empty queue", `!!document.querySelector('#q-h') && document.querySelector('.total').textContent.startsWith('0')`)

	// The DIC coordinator opens a one-time sign-in link.
	dic := br.NewPage(t, "dic", 1280, 900)
	link := mustLink(t, srv, data, "dic", "lan", "coordinator")
	code := link[strings.Index(link, "#signin=")+len("#signin="):]
	dic.Run(t, "open the sign-in link", chromedp.Navigate(link))
	dic.WaitJS(t, "the board after the link", `!!document.querySelector('#board-h') && !!document.querySelector('[data-incident="`+amber+`"]')`)
	var href string
	dic.Eval(t, `location.href`, &href)
	is.Equal(href, base+"/") // the address bar no longer holds the code
	var session string
	dic.Eval(t, `sessionStorage.getItem('dieuphoi.session')`, &session)
	is.True(strings.Contains(session, `"via":"link"`)) // the token lives in sessionStorage
	is.True(strings.Contains(dic.Text(t), "DIỄN TẬP")) // the drill is marked
	dic.WaitJS(t, "the drill card", `!!document.querySelector('[data-incident="`+drill+`"].is-drill .drill')`)
	dic.Screenshot(t, shots, "board-vi")
	scan(dic, "board")

	// The code is spent: the same link in another browser gets a sentence, not a session.
	again := br.NewPage(t, "again", 1280, 900)
	again.Run(t, "open the link again", chromedp.Navigate(link))
	again.WaitJS(t, "the refusal", `!!document.querySelector('.error')`)
	is.True(strings.Contains(again.Text(t), "Không đăng nhập được bằng liên kết")) // said in Vietnamese
	again.Close()

	// The DIC coordinator opens the incident and escalates it to the police.
	dic.Click(t, `[data-incident="`+amber+`"] h3 a`)
	dic.WaitJS(t, "the incident", `!!document.querySelector('article.incident[data-incident="`+amber+`"]') && document.querySelectorAll('.tl li').length > 0`)
	dic.Eval(t, `window.__sameDocument = true`, nil) // gone if the page reloads
	dic.Click(t, "#act-escalate summary")
	dic.Set(t, "#act-escalate select[name=toOrg]", "police")
	dic.Set(t, "#act-escalate textarea[name=reason]", "Cần Công an tỉnh phối hợp điều tra nguồn tấn công")
	dic.Click(t, "#act-escalate button[type=submit]")
	dic.WaitJS(t, "the pending escalation", `!!document.querySelector('[data-escalation][data-status=PENDING]')`)

	// The police see it arrive in their queue, live, and acknowledge it.
	police.WaitJS(t, "the escalation in the police queue", `!!document.querySelector('.queue [data-incident="`+amber+`"]')`)
	police.Screenshot(t, shots, "queue-vi")
	scan(police, "queue")
	police.Click(t, "button.lang")
	police.WaitJS(t, "the police queue in English", `document.querySelector('#q-h').textContent === 'Escalation queue'`)
	police.Screenshot(t, shots, "queue-en")
	police.Click(t, `.queue [data-incident="`+amber+`"] .row-actions button[type=submit]`)
	police.WaitJS(t, "the queue emptied", `!document.querySelector('.queue [data-incident="`+amber+`"]')`)

	// The DIC coordinator sees the acknowledgement without reloading.
	dic.WaitJS(t, "the acknowledgement", `!!document.querySelector('[data-escalation][data-status=ACKNOWLEDGED]')`)
	var same bool
	dic.Eval(t, `window.__sameDocument === true`, &same)
	is.True(same) // no reload
	dic.Click(t, "#act-note summary")
	dic.Set(t, "#act-note textarea[name=text]", "Đã cô lập máy chủ HIS khỏi mạng nội bộ.")
	dic.Click(t, "#act-note button[type=submit]")
	dic.WaitJS(t, "the note", `document.querySelector('.notes') && document.querySelector('.notes').textContent.includes('Đã cô lập máy chủ HIS')`)
	dic.Screenshot(t, shots, "incident-vi")
	scan(dic, "incident")

	// A partner CERT sees neither the AMBER incident nor any trace of it.
	partner := br.NewPage(t, "partner", 1280, 900)
	partnerTok := mustToken(t, srv, data, "cert-health", "minh", "partner")
	signIn(t, partner, base, partnerTok)
	partner.WaitJS(t, "the partner's board", `!!document.querySelector('[data-incident="`+drill+`"]')`)
	var html string
	partner.Eval(t, `document.documentElement.outerHTML`, &html)
	is.True(!strings.Contains(html, amber))                                 // not the id
	is.True(!strings.Contains(html, "Mã độc mã hóa dữ liệu"))               // nor the title
	is.True(strings.Contains(partner.Text(t), "Hiển thị 1–1 trên 1 sự cố")) // counted nowhere: only the GREEN drill
	for _, route := range []string{"#/queue", "#/inbox", "#/alerts"} {
		goTo(t, partner, route, route, `!!document.querySelector('main h1') && !document.querySelector('.total').textContent.includes('…')`)
		partner.Eval(t, `document.documentElement.outerHTML`, &html)
		is.True(!strings.Contains(html, amber)) // no trace in queues, inbox or alerts
	}
	goTo(t, partner, "#/incident/"+amber, "the incident refused", `!!document.querySelector('main h1') && !document.querySelector('article.incident')`)
	is.True(strings.Contains(partner.Text(t), "Không tìm thấy sự cố")) // as if it did not exist
	is.True(!strings.Contains(partner.Text(t), "Mã độc mã hóa"))       // nothing of it shown

	// The language switch changes every visible string, and is remembered.
	vi := stringsOf(t, dic)
	dic.Click(t, "button.lang")
	dic.WaitJS(t, "English", `document.documentElement.lang === 'en' && document.querySelector('#s-tl').textContent === 'Timeline'`)
	en := stringsOf(t, dic)
	inEn := map[string]bool{}
	for _, s := range en {
		inEn[s] = true
	}
	var same2 []string
	for _, s := range vi {
		if inEn[s] {
			same2 = append(same2, s)
		}
	}
	is.True(len(vi) > 40) // enough of the page was compared
	is.Equal(same2, nil)  // every string of the board changed language
	dic.Screenshot(t, shots, "incident-en")
	scan(dic, "incident in English")
	goTo(t, dic, "#/", "the board in English", `document.querySelector('#board-h') && document.querySelector('#board-h').textContent === 'Incident board'`)
	dic.Screenshot(t, shots, "board-en")
	dic.Run(t, "reload", chromedp.Reload())
	dic.WaitJS(t, "English after a reload", `document.documentElement.lang === 'en' && !!document.querySelector('#board-h')`)

	// Time travel: the board as it stood before the drill was opened has only the AMBER incident.
	dic.Click(t, "button.lang") // back to Vietnamese
	dic.WaitJS(t, "Vietnamese", `document.documentElement.lang === 'vi'`)
	dic.Eval(t, `document.querySelector('[data-incident="`+amber+`"]') !== null`, &same)
	var opened struct{ OpenedAt string }
	_, r := gql(t, srv, seed, `query($id: ID!) { incident(id: $id) { openedAt } }`, map[string]any{"id": drill})
	is.NoErr(json.Unmarshal(r.Data["incident"], &opened)) // the drill as the API returns it
	at, err := time.Parse(time.RFC3339, opened.OpenedAt)
	is.NoErr(err) // openedAt is RFC 3339
	asOf := at.Truncate(time.Second).In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02T15:04:05")
	dic.Set(t, "#asof", asOf)
	dic.Click(t, "form.timetravel button[type=submit]")
	dic.WaitJS(t, "the past board", `!!document.querySelector('.pastbanner') && !!document.querySelector('[data-incident="`+amber+`"]') && !document.querySelector('[data-incident="`+drill+`"]')`)
	dic.Click(t, `[data-incident="`+amber+`"] h3 a`)
	dic.WaitJS(t, "the past incident", `!!document.querySelector('article.incident') && !document.querySelector('[data-escalation]') && !document.querySelector('#act-note')`)
	goTo(t, dic, "#/", "back to now", `!document.querySelector('.pastbanner') && !!document.querySelector('[data-incident="`+drill+`"]')`)

	// On a phone (360 px) the board fits the width.
	phone := br.NewPage(t, "phone", 360, 740)
	signIn(t, phone, base, policeTok)
	phone.WaitJS(t, "the cards", `document.querySelectorAll('.card').length > 0`)
	var overflow int
	phone.Eval(t, `document.documentElement.scrollWidth - window.innerWidth`, &overflow)
	is.True(overflow <= 0) // no horizontal scrolling at 360 px
	phone.Screenshot(t, shots, "board-phone-vi")
	scan(phone, "board at 360 px")

	// A disconnect shows "reconnecting"; after the restart the feed resumes where it stopped.
	goTo(t, dic, "#/incident/"+amber, "the incident", `!!document.querySelector('article.incident') && !!document.querySelector('[data-conn=live]')`)
	is.NoErr(srv.stop()) // the service goes away
	dic.WaitJS(t, "the reconnecting state", `!!document.querySelector('[data-conn=reconnecting]') && !!document.querySelector('.reconnecting')`)
	srv = serveOn(t, data, srv.http, srv.nats)
	_, r = gql(t, srv, seed, `mutation($in: AddNoteInput!) { addNote(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"incidentId": amber, "text": "Ghi chú sau khi kết nối lại."}})
	is.Equal(len(r.Errors), 0) // a note added after the restart
	dic.WaitJS(t, "the note made after the restart", `!!document.querySelector('[data-conn=live]') && document.querySelector('.notes').textContent.includes('sau khi kết nối lại')`)

	// Revocation ends the partner's session at once (the server closes its websocket).
	var pt struct{ TokenID string }
	_, r = gql(t, srv, partnerTok, `{ me { tokenId } }`, nil)
	is.NoErr(json.Unmarshal(r.Data["me"], &pt)) // who the partner is
	goTo(t, partner, "#/", "the partner's live board", `!!document.querySelector('[data-conn=live]')`)
	_, r = gql(t, srv, partnerTok, `mutation($id: ID!) { revokeToken(input: {tokenId: $id}) { sequence } }`, map[string]any{"id": pt.TokenID})
	is.Equal(len(r.Errors), 0) // the partner revokes its own token
	partner.WaitJS(t, "the sign-in screen after revocation", `!!document.querySelector('#token') && document.body.innerText.includes('đã bị thu hồi')`)

	// Sign-out ends the link's token on the server too.
	var sess struct{ Token string }
	dic.Eval(t, `JSON.parse(sessionStorage.getItem('dieuphoi.session'))`, &sess)
	dic.Click(t, ".tools button.ghost:last-child")
	dic.WaitJS(t, "the sign-in screen", `!!document.querySelector('#token') && sessionStorage.getItem('dieuphoi.session') === null`)
	code2, _ := gql(t, srv, sess.Token, `{ me { user } }`, nil)
	is.Equal(code2, http.StatusUnauthorized) // the link's token no longer works

	// Nothing left for another host, and no token or code in a server log or a URL.
	for _, u := range br.Net.Foreign(srv.http) {
		t.Errorf("a request left for another host: %s", u)
	}
	is.True(len(br.Net.URLs()) > 20) // the log did record the run
	for _, u := range br.Net.URLs() {
		is.True(!strings.Contains(u, "dp1.")) // no token in a URL
		if strings.Contains(u, code) && u != link {
			t.Errorf("the sign-in code left the address bar: %s", u)
		}
	}
	for _, tok := range []string{sess.Token, policeTok, partnerTok, code} {
		is.True(!strings.Contains(srv.stderr.String(), tok)) // not in the server's log
	}
}

func stringsOf(tb testing.TB, p *browsertest.Page) []string {
	tb.Helper()
	var out []string
	p.Eval(tb, visibleStrings, &out)
	return out
}

func TestBoardServesExplorerOffline(t *testing.T) {
	is := is.New(t)
	br := browsertest.MustStart(t)
	data := t.TempDir()
	srv := MustServe(t, data, nil)
	defer srv.stop()
	tok := mustToken(t, srv, data, "dic", "lan", "coordinator")
	p := br.NewPage(t, "explorer", 1280, 900)
	signIn(t, p, "http://"+srv.http, tok)
	p.Click(t, `nav a[href="/graphql"]`)
	p.WaitJS(t, "GraphiQL with the schema", `!!document.querySelector('.graphiql-container') && !!document.querySelector('.graphiql-execute-button')`)
	p.Click(t, ".graphiql-execute-button")
	p.WaitJS(t, "a result", `document.querySelector('.result-window') && document.querySelector('.result-window').textContent.includes('totalCount')`)
	for _, u := range br.Net.Foreign(srv.http) {
		t.Errorf("the explorer asked another host: %s", u)
	}
	is.True(len(br.Net.URLs()) > 5) // the explorer's assets were recorded
}

func TestBoardHandoffAndAlertTriage(t *testing.T) {
	is := is.New(t)
	br := browsertest.MustStart(t)
	data := t.TempDir()
	srv := MustServe(t, data, nil)
	defer srv.stop()
	base := "http://" + srv.http
	lan := mustToken(t, srv, data, "dic", "lan", "coordinator")
	id := mustOpen(t, srv, lan, map[string]any{"title": "Tấn công giả mạo cổng thanh toán viện phí", "type": "PHISHING", "sector": "HEALTH",
		"severity": "MEDIUM", "tlp": "AMBER"})

	// The health CERT waits on its handoff inbox; the DIC offers it the incident from the board.
	cert := br.NewPage(t, "cert", 1280, 900)
	signIn(t, cert, base, mustToken(t, srv, data, "cert-health", "minh", "partner"))
	goTo(t, cert, "#/inbox", "the empty inbox", `!!document.querySelector('#i-h') && document.querySelector('.total').textContent.startsWith('0')`)
	dic := br.NewPage(t, "dic", 1280, 900)
	signIn(t, dic, base, lan)
	goTo(t, dic, "#/incident/"+id, "the incident", `!!document.querySelector('#act-offer')`)
	dic.Click(t, "#act-offer summary")
	dic.Set(t, "#act-offer select[name=toOrg]", "cert-health")
	dic.Set(t, "#act-offer textarea[name=summary]", "Đề nghị CERT y tế phân tích mẫu thư giả mạo")
	dic.Click(t, "#act-offer button[type=submit]")
	cert.WaitJS(t, "the offer in the inbox", `!!document.querySelector('.queue [data-incident="`+id+`"]')`)
	cert.Click(t, `.queue [data-incident="`+id+`"] form[data-action=accept] button`)
	cert.WaitJS(t, "the inbox emptied", `!document.querySelector('.queue [data-incident="`+id+`"]')`)
	dic.WaitJS(t, "the accepted handoff", `!!document.querySelector('[data-handoff][data-status=ACCEPTED]')`)

	// A SOC alert reaches the DIC's triage screen live; the DIC dismisses it with a reason.
	goTo(t, dic, "#/alerts", "the triage screen", `!!document.querySelector('#a-h') && document.querySelector('.total').textContent.startsWith('0')`)
	soc := mustToken(t, srv, data, "soc-dic", "wazuh", "ingest")
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/alerts", strings.NewReader(
		`[{"source":"soc-dic","sourceRef":"w-77","title":"Dò quét SSH liên tục","severity":"HIGH","observedAt":"`+time.Now().UTC().Format(time.RFC3339)+`","asset":"mail.example.gov.vn"}]`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+soc)
	resp, err := http.DefaultClient.Do(req)
	is.NoErr(err) // the alert ingest request
	resp.Body.Close()
	is.Equal(resp.StatusCode, http.StatusOK) // the alert was taken
	dic.WaitJS(t, "the alert", `!!document.querySelector('[data-alert] input[type=checkbox]')`)
	dic.Click(t, "[data-alert] input[type=checkbox]")
	dic.Click(t, "#act-dismiss summary")
	dic.Set(t, "#act-dismiss textarea[name=reason]", "Dò quét thường lệ từ máy chủ giám sát nội bộ")
	dic.Click(t, "#act-dismiss button[type=submit]")
	dic.WaitJS(t, "the alert dismissed", `!document.querySelector('[data-alert]') && document.body.innerText.includes('1 cảnh báo đã xử lý')`)
	for _, u := range br.Net.Foreign(srv.http) {
		t.Errorf("a request left for another host: %s", u)
	}
}
