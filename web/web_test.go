package web

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/projections"
	"github.com/dieuphoi/dieuphoi/projections/report"
	"github.com/dieuphoi/dieuphoi/projections/timeline"
)

func TestBoardServesEmbeddedFiles(t *testing.T) {
	is := is.New(t)
	b := New(Deps{})
	for _, tc := range []struct {
		path, ctype string
		status      int
	}{
		{"/", "text/html; charset=utf-8", 200},
		{"/assets/js/main.js", "text/javascript; charset=utf-8", 200},
		{"/assets/css/app.css", "text/css; charset=utf-8", 200},
		{"/assets/i18n/vi.json", "application/json; charset=utf-8", 200},
		{"/assets/vendor/fonts/be-vietnam-pro-vietnamese-400-normal.woff2", "font/woff2", 200},
		{"/assets/nope.js", "", 404},
		{"/favicon.ico", "", 404},
	} {
		t.Run(tc.path, func(t *testing.T) {
			is := is.New(t)
			w := httptest.NewRecorder()
			b.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
			is.Equal(w.Code, tc.status) // status
			if tc.status == 200 {
				is.Equal(w.Header().Get("Content-Type"), tc.ctype)            // content type
				is.Equal(w.Header().Get("Cache-Control"), "no-cache")         // revalidated after an upgrade
				is.True(w.Header().Get("ETag") != "")                         // with an ETag
				is.Equal(w.Header().Get("X-Content-Type-Options"), "nosniff") // no sniffing
			}
		})
	}
	w := httptest.NewRecorder()
	b.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	csp := w.Header().Get("Content-Security-Policy")
	is.True(strings.Contains(csp, "default-src 'self'")) // the page may load only from the service
	is.True(strings.Contains(csp, "connect-src 'self'")) // and connect only to it
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("If-None-Match", w.Header().Get("ETag"))
	w = httptest.NewRecorder()
	b.ServeHTTP(w, r)
	is.Equal(w.Code, http.StatusNotModified) // revalidation is cheap
	w = httptest.NewRecorder()
	b.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", nil))
	is.Equal(w.Code, http.StatusMethodNotAllowed) // files are read-only
}

func TestExplorerOnlyForBrowsers(t *testing.T) {
	is := is.New(t)
	b := New(Deps{})
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) })
	h := b.Explorer(api)
	for _, tc := range []struct {
		name, method, target, accept, upgrade string
		explorer                              bool
	}{
		{"a browser", "GET", "/graphql", "text/html,application/xhtml+xml", "", true},
		{"a query in the URL", "GET", "/graphql?query={me{user}}", "text/html", "", false},
		{"a script", "GET", "/graphql", "application/json", "", false},
		{"a websocket", "GET", "/graphql", "text/html", "websocket", false},
		{"a POST", "POST", "/graphql", "text/html", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			r := httptest.NewRequest(tc.method, tc.target, nil)
			r.Header.Set("Accept", tc.accept)
			if tc.upgrade != "" {
				r.Header.Set("Upgrade", tc.upgrade)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			is.Equal(w.Code == 200 && strings.Contains(w.Body.String(), "graphiql"), tc.explorer) // explorer or API
		})
	}
}

func TestMetaNeedsAToken(t *testing.T) {
	is := is.New(t)
	b := New(Deps{Config: domain.DefaultConfig(), Authenticate: func(_ context.Context, h string) (domain.Actor, error) {
		if h != "Bearer good" {
			return domain.Actor{}, domain.Errorf(domain.EUNAUTHENTICATED, "no")
		}
		return domain.Actor{User: "minh", Org: "cert-health", Role: domain.RolePartner}, nil
	}})
	w := httptest.NewRecorder()
	b.ServeHTTP(w, httptest.NewRequest(http.MethodGet, MetaPath, nil))
	is.Equal(w.Code, http.StatusUnauthorized) // no token, nothing
	r := httptest.NewRequest(http.MethodGet, MetaPath, nil)
	r.Header.Set("Authorization", "Bearer good")
	w = httptest.NewRecorder()
	b.ServeHTTP(w, r)
	is.Equal(w.Code, http.StatusOK) // a token, the meta
	var m struct {
		Commands []string
		Types    []named
		Periods  []string
		Review   struct{ Acts, Opener bool }
	}
	is.NoErr(json.Unmarshal(w.Body.Bytes(), &m))          // the meta is JSON
	is.True(slices.Contains(m.Commands, "AcceptHandoff")) // a partner answers handoffs
	is.True(!slices.Contains(m.Commands, "Classify"))     // but does not classify
	is.True(len(m.Types) >= 11)                           // the configuration's incident types
	is.Equal(m.Periods, []string{"H1", "YEAR"})           // the configuration's report periods
	is.True(!m.Review.Acts && !m.Review.Opener)           // a partner acts on no review
	is.True(slices.Contains(m.Commands, "AddEvidence"))   // but adds evidence

	// A reviewer of the subcommittee opens reviews; a police reviewer signs them but opens none.
	for _, tc := range []struct {
		org          string
		acts, opener bool
	}{{"subcommittee", true, true}, {"police", true, false}} {
		b := New(Deps{Config: domain.DefaultConfig(), Authenticate: func(context.Context, string) (domain.Actor, error) {
			return domain.Actor{User: "hoa", Org: tc.org, Role: domain.RoleReviewer}, nil
		}})
		r := httptest.NewRequest(http.MethodGet, MetaPath, nil)
		r.Header.Set("Authorization", "Bearer x")
		w := httptest.NewRecorder()
		b.ServeHTTP(w, r)
		is.NoErr(json.Unmarshal(w.Body.Bytes(), &m))          // the meta is JSON
		is.Equal(m.Review.Acts, tc.acts)                      // a reviewer acts on reviews
		is.Equal(m.Review.Opener, tc.opener)                  // only the subcommittee opens them
		is.True(!slices.Contains(m.Commands, "SubmitReport")) // a reviewer submits no report
	}
}

func TestSignInRefusesWithoutAValidCode(t *testing.T) {
	is := is.New(t)
	b := New(Deps{})
	for _, tc := range []struct {
		name, method, ctype, body string
		status                    int
	}{
		{"GET", "GET", "", "", http.StatusMethodNotAllowed},
		{"not JSON", "POST", "text/plain", "code", http.StatusUnsupportedMediaType},
		{"broken JSON", "POST", "application/json", "{", http.StatusBadRequest},
		{"no token id", "POST", "application/json", `{"code":"abc"}`, http.StatusUnauthorized},
		{"a subject wildcard", "POST", "application/json", `{"code":"a>b.x"}`, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			r := httptest.NewRequest(tc.method, SignInPath, strings.NewReader(tc.body))
			r.Header.Set("Content-Type", tc.ctype)
			w := httptest.NewRecorder()
			b.ServeHTTP(w, r)
			is.Equal(w.Code, tc.status)                                        // status
			is.True(strings.Contains(w.Body.String(), `"extensions":{"code"`)) // a coded error
			is.Equal(w.Header().Get("Cache-Control"), "no-store")              // never cached
		})
	}
}

// The catalogues have the same keys, every key the code names exists, and every value of the
// schema's enumerations the board shows has a name in both languages.
func TestCataloguesAreComplete(t *testing.T) {
	is := is.New(t)
	load := func(lang string) map[string]string {
		b, err := fs.ReadFile(static, "static/i18n/"+lang+".json")
		is.NoErr(err) // the catalogue is embedded
		var m map[string]string
		is.NoErr(json.Unmarshal(b, &m)) // the catalogue is JSON
		return m
	}
	vi, en := load("vi"), load("en")
	for k := range vi {
		if _, ok := en[k]; !ok {
			t.Errorf("%s is in vi.json but not in en.json", k)
		}
	}
	for k := range en {
		if _, ok := vi[k]; !ok {
			t.Errorf("%s is in en.json but not in vi.json", k)
		}
	}
	keyRe := regexp.MustCompile(`\bt\('([a-zA-Z0-9_.]+)'`)
	js, _ := fs.Glob(static, "static/js/*.js")
	for _, f := range js {
		b, _ := fs.ReadFile(static, f)
		for _, m := range keyRe.FindAllStringSubmatch(string(b), -1) {
			if strings.HasSuffix(m[1], ".") {
				continue // a prefix completed at run time (checked below)
			}
			if _, ok := vi[m[1]]; !ok {
				t.Errorf("%s uses t('%s'), which the catalogues lack", f, m[1])
			}
		}
	}
	for _, prefix := range []string{"conn.idle", "conn.connecting", "conn.live", "conn.reconnecting", "signin.ended.expired",
		"signin.ended.revoked", "signin.ended.rejected", "signin.ended.signedOut", "nav.queue", "nav.inbox", "nav.alerts",
		"nav.reviews", "nav.deadlines", "nav.reports", "report.make.PDF", "report.make.CSV", "report.make.HTML",
		"report.formatName.PDF", "report.formatName.CSV", "report.formatName.HTML", "compliance.acknowledge", "compliance.handOff",
		"compliance.close", "report.col.count", "report.col.handledAlone", "report.col.domesticHelp", "report.col.foreignHelp",
		"report.col.nationalHelp"} {
		is.True(vi[prefix] != "") // a key built at run time
	}
	for _, code := range []string{domain.EINVALID, domain.ENOTFOUND, domain.ECONFLICT, domain.EFORBIDDEN, domain.EUNAUTHENTICATED, domain.ETOOLARGE, domain.EINTERNAL} {
		is.True(vi["error."+code] != "" && en["error."+code] != "") // every error code in words
	}
	schema, err := filepath.Glob(filepath.Join("..", "graph", "*.graphqls"))
	is.NoErr(err) // the schema files
	enumRe := regexp.MustCompile(`enum (\w+) \{([^}]*)\}`)
	docRe := regexp.MustCompile(`"[^"]*"`) // a value's description
	shown := map[string]bool{"TLP": true, "PAP": true, "Severity": true, "Tier": true, "IncidentStatus": true, "Phase": true, "InfoClass": true,
		"IndicatorType": true, "Resolution": true, "IncidentSource": true, "BoardSort": true, "Role": true, "AlertStatus": true,
		"ReviewStatus": true, "FindingKind": true, "ObligationStatus": true}
	found := 0
	for _, f := range schema {
		b, err := os.ReadFile(f)
		is.NoErr(err) // a schema file
		for _, m := range enumRe.FindAllStringSubmatch(string(b), -1) {
			if !shown[m[1]] {
				continue
			}
			found++
			for _, v := range strings.Fields(docRe.ReplaceAllString(m[2], "")) {
				if _, ok := vi["enum."+m[1]+"."+v]; !ok {
					t.Errorf("enum %s value %s has no name in the catalogues", m[1], v)
				}
			}
		}
	}
	is.Equal(found, len(shown)) // every enumeration the board shows was checked

	// Values the API gives as strings: how an organisation came to read an incident, what it was
	// asked, a signer's decision, the configuration's report periods and the fields a report asks.
	strs := map[string][]string{
		"Via": {timeline.ViaOpened, timeline.ViaCommunity, timeline.ViaShared, timeline.ViaEscalated, timeline.ViaHandoff,
			timeline.ViaHandoffEnded, timeline.ViaNamed, timeline.ViaLead, timeline.ViaTLP, timeline.ViaClassified, timeline.ViaOther},
		"RequestKind": {"ESCALATION", "HANDOFF"},
		"Decision":    {domain.DecisionSignedOff, domain.DecisionObjected, projections.DecisionPending},
	}
	for _, p := range domain.DefaultConfig().PeriodicReports.Periods {
		strs["Period"] = append(strs["Period"], p.ID)
	}
	for enum, values := range strs {
		for _, v := range values {
			if vi["enum."+enum+"."+v] == "" || en["enum."+enum+"."+v] == "" {
				t.Errorf("%s %s has no name in the catalogues", enum, v)
			}
		}
	}
	for _, form := range []string{report.Mau03, report.Mau04, report.Mau05} {
		for key := range report.Asked(form) {
			if vi["report.field."+key] == "" || en["report.field."+key] == "" {
				t.Errorf("report field %s (%s) has no label in the catalogues", key, form)
			}
		}
	}
}

// Our own files name no other host: everything is served by the binary. (What the vendored
// libraries request is checked by the browser tests' network log.)
func TestNoOtherHost(t *testing.T) {
	urlRe := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "static/vendor/") {
			return err
		}
		b, _ := fs.ReadFile(static, p)
		for _, m := range urlRe.FindAllString(string(b), -1) {
			t.Errorf("%s names another host: %s", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
