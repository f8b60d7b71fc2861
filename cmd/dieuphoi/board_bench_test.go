package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/web/browsertest"
)

// seedBoard writes n incidents through the running service's NATS port with 16 writers (mixed
// TLP, severity and originators, a tenth drills, a twentieth escalated to the police), as the
// API would write them.
func seedBoard(tb testing.TB, natsAddr, data string, n int) {
	tb.Helper()
	nc := connectAs(tb, natsAddr, data, natsService)
	defer nc.Close()
	st, err := eventstore.Open(context.Background(), nc, eventstore.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	repo := eventstore.NewRepo(st, domain.NewIncident)
	cfg := domain.DefaultConfig()
	orgs := []string{"dic", "police", "military", "propaganda", "dept-health", "dept-finance"}
	tlps := []domain.TLP{domain.TLPGreen, domain.TLPAmber, domain.TLPAmber, domain.TLPClear, domain.TLPAmberStrict}
	sevs := []domain.Severity{domain.SeverityLow, domain.SeverityMedium, domain.SeverityHigh, domain.SeverityCritical}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				who := domain.Actor{User: "u" + strconv.Itoa(i%7), Org: orgs[i%len(orgs)], Role: domain.RoleCoordinator}
				now := time.Now()
				inv := domain.Invocation{Actor: who, Now: now, Config: cfg}
				id := fmt.Sprintf("bench-%06d", i)
				_, err := repo.Update(context.Background(), id, eventstore.CommandMeta{CommandID: id, CommandName: "OpenIncident", Actor: who, At: now}, func(inc *domain.Incident) error {
					err := inc.Open(inv, domain.OpenIncident{Title: fmt.Sprintf("Sự cố thử tải số %d tại %s", i, who.Org), Type: "MALWARE", Sector: "HEALTH",
						Severity: sevs[i%len(sevs)], TLP: tlps[i%len(tlps)], DetectedAt: now.Add(-time.Hour), Drill: i%10 == 0})
					if err == nil && i%20 == 0 && who.Org != "police" {
						err = inc.Escalate(inv, domain.Escalate{EscalationID: "e-" + id, ToOrg: "police", Reason: "thử tải"})
					}
					return err
				})
				if err != nil {
					tb.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkBoard measures the board in headless Chromium against a log of 100k incidents
// (DIEUPHOI_BENCH_INCIDENTS): the time from navigation to the first page of the board painted,
// and the time from a mutation submitted in one browser context to the change painted in
// another, p50/p99 over 100 changes. The numbers depend on the machine; none is asserted.
func BenchmarkBoard(b *testing.B) {
	n := 100_000
	if v, _ := strconv.Atoi(os.Getenv("DIEUPHOI_BENCH_INCIDENTS")); v > 0 {
		n = v
	}
	br := browsertest.MustStart(b)
	data := b.TempDir()
	srv := MustServe(b, data, nil)
	defer srv.stop()
	base := "http://" + srv.http
	t0 := time.Now()
	seedBoard(b, srv.nats, data, n)
	for deadline := time.Now().Add(5 * time.Minute); ; {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("the read models never caught up with the seeded log")
		}
		time.Sleep(50 * time.Millisecond) // polling /healthz with a deadline
	}
	b.Logf("seeded %d incidents in %s", n, time.Since(t0).Round(time.Millisecond))
	tok := mustToken(b, srv, data, "dic", "lan", "coordinator")
	other := mustToken(b, srv, data, "dic", "vy", "coordinator")

	// First render: a signed-in tab navigates to the board, until the first page is painted.
	page := br.NewPage(b, "first-render", 1280, 900)
	page.Run(b, "open", chromedp.Navigate(base+"/"))
	page.Eval(b, fmt.Sprintf(`sessionStorage.setItem('dieuphoi.session', JSON.stringify({token: %q, via: 'paste'}))`, tok), nil)
	// The board marks its first paint with data in the performance timeline: the time from the
	// start of the navigation, measured by the browser itself.
	var renders []time.Duration
	for range 5 {
		page.Run(b, "navigate", chromedp.Navigate(base+"/?r="+strconv.Itoa(len(renders))))
		page.WaitJS(b, "the board painted", `performance.getEntriesByName('dieuphoi:board-painted').length > 0`)
		var ms float64
		page.Eval(b, `performance.getEntriesByName('dieuphoi:board-painted')[0].startTime`, &ms)
		renders = append(renders, time.Duration(ms*float64(time.Millisecond)))
	}
	var total string
	page.Eval(b, `document.querySelector('.total').textContent`, &total)
	b.Logf("board: %s; first renders %v", total, renders)

	// Mutation to paint: A adds a note, B (another user, another context) shows it.
	id := "bench-000000"
	a := br.NewPage(b, "writer", 1280, 900)
	signIn(b, a, base, tok)
	goTo(b, a, "#/incident/"+id, "the incident", `!!document.querySelector('#act-note') && !!document.querySelector('[data-conn=live]')`)
	a.Click(b, "#act-note summary")
	r := br.NewPage(b, "reader", 1280, 900)
	signIn(b, r, base, other)
	goTo(b, r, "#/incident/"+id, "the incident", `!!document.querySelector('article.incident') && !!document.querySelector('[data-conn=live]')`)
	var lat []time.Duration
	b.ResetTimer()
	for i := range 100 {
		text := fmt.Sprintf("bench-note-%03d", i)
		r.Eval(b, fmt.Sprintf(`(() => { window.__seen = new Promise((resolve) => {
			const done = () => { const n = document.querySelector('.notes'); return n && n.textContent.includes(%q); };
			if (done()) return resolve(Date.now());
			const o = new MutationObserver(() => { if (done()) { o.disconnect(); resolve(Date.now()); } });
			o.observe(document.body, {childList: true, subtree: true, characterData: true}); }); return true; })()`, text), nil)
		var sent int64
		a.Eval(b, fmt.Sprintf(`(() => { const ta = document.querySelector('#act-note textarea[name=text]'); ta.value = %q;
			ta.dispatchEvent(new Event('input', {bubbles: true}));
			return new Promise((resolve) => requestAnimationFrame(() => { const t = Date.now(); document.querySelector('#act-note form').requestSubmit(); resolve(t); })); })()`, text), &sent)
		var seen int64
		r.Eval(b, `window.__seen`, &seen)
		lat = append(lat, time.Duration(seen-sent)*time.Millisecond)
		a.WaitJS(b, "the form ready again", `!document.querySelector('#act-note button[type=submit]').disabled`)
	}
	b.StopTimer()
	slices.Sort(lat)
	slices.Sort(renders)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(float64(n), "incidents")
	b.ReportMetric(ms(renders[0]), "first-render-min-ms")
	b.ReportMetric(ms(renders[len(renders)/2]), "first-render-p50-ms")
	b.ReportMetric(ms(renders[len(renders)-1]), "first-render-max-ms")
	b.ReportMetric(ms(lat[len(lat)/2]), "paint-p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "paint-p99-ms")
	b.ReportMetric(0, "ns/op")
}
