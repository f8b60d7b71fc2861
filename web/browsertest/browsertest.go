// Package browsertest drives Debian's headless Chromium (chromedp) for the board's browser tests
// and benchmarks: incognito contexts per user, a network log of every request each page makes,
// an axe-core accessibility scan, screenshots, and small helpers to fill the board's forms.
//
// Chromium is started with the flags that keep it from calling home (background networking,
// component updates, sync), on a fresh profile. Tests skip when Chromium is absent, except in CI
// (CI set), where a missing browser fails them.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Find returns the path of a Chromium, or "" when there is none.
func Find() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser is one headless Chromium process.
type Browser struct {
	ctx    context.Context // the browser's first tab; new contexts derive from it
	cancel func()
	Net    *NetLog
}

// MustStart starts Chromium or skips the test (fails it in CI) when there is none.
func MustStart(tb testing.TB) *Browser {
	tb.Helper()
	path := Find()
	if path == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("CI is set but no Chromium was found: .ci/run installs Debian's chromium (apt-get install -y chromium)")
		}
		tb.Skip("no Chromium on this machine (apt-get install -y chromium): browser tests skipped; in CI they run")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("lang", "vi-VN"),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		tb.Fatalf("starting %s: %v", path, err)
	}
	b := &Browser{ctx: ctx, cancel: func() { cancelCtx(); cancelAlloc() }, Net: &NetLog{}}
	tb.Cleanup(b.cancel)
	return b
}

// Page is a tab in its own incognito browser context: its own cookies and storage, as a second
// person on another computer would have.
type Page struct {
	Ctx    context.Context
	cancel func()
	name   string
}

// NewPage opens a tab in a new browser context, recording its requests in the network log.
func (b *Browser) NewPage(tb testing.TB, name string, width, height int64) *Page {
	tb.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(b.Net.listener()))
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		cancel()
		tb.Fatalf("page %s: %v", name, err)
	}
	p := &Page{Ctx: ctx, cancel: cancel, name: name}
	tb.Cleanup(cancel)
	return p
}

// Close closes the tab and its browser context.
func (p *Page) Close() { p.cancel() }

// Run runs actions on the page with a deadline.
func (p *Page) Run(tb testing.TB, what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail(tb, what, err)
	}
}

func (p *Page) fail(tb testing.TB, what string, err error) {
	tb.Helper()
	body, _ := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ''`))
	// The page's alerts (coded errors in words) may lie past the text shown.
	alerts, _ := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('[role=alert]')].map((e) => e.innerText).join('\n')`))
	tb.Fatalf("%s (%s): %v\npage text:\n%s\nalerts:\n%s", what, p.name, err, body, alerts)
}

// Eval evaluates JavaScript (awaiting a promise) into out, a pointer.
func (p *Page) Eval(tb testing.TB, js string, out any) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 60*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string]("(async () => JSON.stringify(await ("+js+")) ?? 'null')()", chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail(tb, "evaluate "+firstLine(js), err)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(s), out); err != nil {
			tb.Fatalf("evaluate %s: %v (%s)", firstLine(js), err, s)
		}
	}
}

// WaitJS polls a JavaScript condition until it is true, or fails after the deadline.
func (p *Page) WaitJS(tb testing.TB, what, cond string) {
	tb.Helper()
	deadline := time.Now().Add(25 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(p.Ctx, 30*time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline))))
		cancel()
		// A navigation destroys the document the poll ran in: poll again in the new one.
		if err != nil && strings.Contains(err.Error(), "context") && time.Now().Before(deadline) {
			continue
		}
		if err != nil {
			p.fail(tb, "waiting for "+what, err)
		}
		return
	}
}

// Set fills a form control and fires input and change, as typing or choosing would.
func (p *Page) Set(tb testing.TB, selector, value string) {
	tb.Helper()
	sel, _ := json.Marshal(selector)
	val, _ := json.Marshal(value)
	var ok bool
	p.Eval(tb, fmt.Sprintf(`(() => { const el = document.querySelector(%s); if (!el) return false;
		el.value = %s; el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, sel, val), &ok)
	if !ok {
		tb.Fatalf("%s: no element %s", p.name, selector)
	}
}

// Click clicks the first element matching a selector once it is visible.
func (p *Page) Click(tb testing.TB, selector string) {
	tb.Helper()
	p.Run(tb, "click "+selector, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
}

// Text returns the page's visible text.
func (p *Page) Text(tb testing.TB) string {
	tb.Helper()
	var s string
	p.Eval(tb, `document.body.innerText`, &s)
	return s
}

// Screenshot saves the page (full height) as a PNG into dir.
func (p *Page) Screenshot(tb testing.TB, dir, name string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.fail(tb, "screenshot "+name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// AllowDownloads saves the page's downloads (its browser context's) into dir, under the names
// the page gives them.
func (p *Page) AllowDownloads(tb testing.TB, dir string) {
	tb.Helper()
	c := chromedp.FromContext(p.Ctx)
	ctx, cancel := context.WithTimeout(p.Ctx, 30*time.Second)
	defer cancel()
	_, err := cdp.Call(ctx, c.Browser, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: c.BrowserContextID, DownloadPath: dir})
	if err != nil {
		tb.Fatalf("%s: allowing downloads: %v", p.name, err)
	}
}

// WaitFile waits until a download has been saved whole at path (Chromium writes elsewhere and
// renames at the end) and returns its bytes.
func WaitFile(tb testing.TB, path string) []byte {
	tb.Helper()
	deadline := time.Now().Add(25 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil {
			return b
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(filepath.Dir(path))
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			tb.Fatalf("no download at %s (the folder holds %v)", path, names)
		}
		time.Sleep(20 * time.Millisecond) // polling the file system with a deadline
	}
}

// Violation is an accessibility problem axe-core found.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

func (v Violation) String() string {
	var where []string
	for i, n := range v.Nodes {
		if i == 3 {
			where = append(where, "…")
			break
		}
		where = append(where, fmt.Sprint(n.Target))
	}
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(where, ", "))
}

// Axe runs axe-core (its source given) on the page and returns the serious and critical
// violations of WCAG 2.x A and AA rules and best practices.
func (p *Page) Axe(tb testing.TB, axeSource string) []Violation {
	tb.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 30*time.Second)
	defer cancel()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource+";\ntypeof axe === 'object'"))
	if err != nil || !loaded {
		tb.Fatal("axe-core did not load")
	}
	var all []Violation
	p.Eval(tb, `axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
		.then(r => r.violations)`, &all)
	var out []Violation
	for _, v := range all {
		if v.Impact == "serious" || v.Impact == "critical" {
			out = append(out, v)
		}
	}
	return out
}

// NetLog records the URL of every request and websocket of every page.
type NetLog struct {
	mu   sync.Mutex
	urls []string
}

func (n *NetLog) listener() func(ev any) {
	return func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			n.add(e.Request.URL)
		case *network.EventWebSocketCreated:
			n.add(e.URL)
		}
	}
}

func (n *NetLog) add(u string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.urls = append(n.urls, u)
}

// URLs returns every URL requested so far.
func (n *NetLog) URLs() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.urls)
}

// Foreign returns the requests that went to any host but host (data: and about: URLs stay in
// the page).
func (n *NetLog) Foreign(host string) []string {
	var out []string
	for _, u := range n.URLs() {
		x, err := url.Parse(u)
		if err != nil {
			out = append(out, u)
			continue
		}
		switch x.Scheme {
		case "data", "about", "blob":
			continue
		}
		if x.Host != host {
			out = append(out, u)
		}
	}
	return out
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}
