package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/ingest"
	"github.com/dieuphoi/dieuphoi/projections"
)

var coordinator = domain.Actor{User: "binh", Org: "dic", Role: domain.RoleCoordinator}

func statuses(r ingest.Response) []domain.IngestStatus {
	out := make([]domain.IngestStatus, len(r.Results))
	for i, x := range r.Results {
		out[i] = x.Status
	}
	return out
}

func TestIngestHTTP(t *testing.T) {
	e := MustEnv(t, jetstream.FileStorage)
	tok := e.MustToken(t, "soc-dic", "wazuh", domain.RoleIngest)

	t.Run("array: new, repeat, new", func(t *testing.T) {
		is := is.New(t)
		a, b := e.newAlert("r-1"), e.newAlert("r-2")
		again := a
		again.ObservedAt = a.ObservedAt.Add(time.Second)
		status, res := e.PostAlerts(t, tok, a, again, b)
		is.Equal(status, http.StatusOK)                                                                                      // accepted request
		is.Equal(statuses(res), []domain.IngestStatus{domain.IngestAccepted, domain.IngestDuplicate, domain.IngestAccepted}) // outcomes
		is.True(res.Results[0].AlertID != "")                                                                                // alert id
		is.Equal(res.Results[1].DuplicateOf, res.Results[0].AlertID)                                                         // duplicate of the first
		is.True(res.Sequence > 0)                                                                                            // sequence to read your writes
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		is.NoErr(e.board.WaitFor(ctx, res.Sequence)) // read model catches up
		v, err := e.board.Alert(coordinator, res.Results[0].AlertID)
		is.NoErr(err)                          // visible to the DIC's coordinator
		is.Equal(v.Count, 2)                   // counted twice
		is.Equal(v.Source, "soc-dic")          // source
		is.Equal(v.LastSeen, again.ObservedAt) // last seen moved
	})

	t.Run("retried request records nothing again", func(t *testing.T) {
		is := is.New(t)
		a := e.newAlert("retry-1")
		_, first := e.PostAlerts(t, tok, a)
		before := e.MustSettle(t)
		_, second := e.PostAlerts(t, tok, a)
		is.Equal(statuses(second), []domain.IngestStatus{domain.IngestDuplicate}) // recognised
		is.Equal(second.Results[0].DuplicateOf, first.Results[0].AlertID)         // same alert
		is.Equal(e.MustSettle(t), before)                                         // nothing written
		v, _ := e.board.Alert(coordinator, first.Results[0].AlertID)
		is.Equal(v.Count, 1) // not counted twice
	})

	t.Run("NDJSON: bad lines reported by line, good ones accepted, nothing else written", func(t *testing.T) {
		is := is.New(t)
		before := e.MustSettle(t)
		good1, good2 := e.newAlert("nd-1"), e.newAlert("nd-2")
		future := e.newAlert("nd-future")
		future.ObservedAt = e.clock.Now().Add(time.Hour)
		unknownSource := e.newAlert("nd-src")
		unknownSource.Source = "not-declared"
		oversized := e.newAlert("nd-big")
		oversized.Raw = json.RawMessage(`"` + strings.Repeat("x", domain.MaxAlertRaw) + `"`)
		body := ndjson(
			mustJSON(good1),
			`{"source":"soc-dic","title":`, // line 2: cut short
			strings.Replace(mustJSON(e.newAlert("nd-3")), `"title"`, `"colour":"red","title"`, 1), // line 3: unknown field
			"",                      // line 4: blank, skipped
			mustJSON(oversized),     // line 5
			mustJSON(unknownSource), // line 6
			mustJSON(future),        // line 7
			`{"source":"soc-dic","sourceRef":"x","title":"t","severity":"LOW","observedAt":"yesterday"}`, // line 8
			mustJSON(good2), // line 9
		)
		status, res := e.Post(t, tok, "application/x-ndjson", body)
		is.Equal(status, http.StatusOK) // per-line outcomes
		is.Equal(len(res.Results), 8)   // blank line skipped
		want := []struct {
			line int
			code string
			says string
		}{{1, "", ""}, {2, domain.EINVALID, "line 2"}, {3, domain.EINVALID, `unknown member "colour"`}, {5, domain.ETOOLARGE, "raw"},
			{6, domain.EINVALID, "unknown source"}, {7, domain.EINVALID, "future"}, {8, domain.EINVALID, "RFC 3339"}, {9, "", ""}}
		for i, w := range want {
			r := res.Results[i]
			is.Equal(r.Line, w.line) // line number
			is.Equal(r.Index, i)     // index
			if w.code == "" {
				is.Equal(r.Status, domain.IngestAccepted) // good line accepted
				continue
			}
			is.Equal(r.Status, domain.IngestRejected)                                     // bad line rejected
			is.Equal(r.Error.Code, w.code)                                                // error code
			is.True(strings.Contains(r.Error.Message, w.says))                            // message says what
			is.True(strings.HasPrefix(r.Error.Message, fmt.Sprintf("line %d: ", w.line))) // and the line
			is.Equal(r.AlertID, "")                                                       // no alert
		}
		is.Equal(e.MustSettle(t), before+2) // exactly the two good alerts were written
	})

	t.Run("refused requests write nothing", func(t *testing.T) {
		is := is.New(t)
		before := e.MustSettle(t)
		coord := e.MustToken(t, "soc-dic", "lan", domain.RoleCoordinator)
		status, res := e.PostAlerts(t, coord, e.newAlert("f-1"), e.newAlert("f-2"))
		is.Equal(status, http.StatusForbidden)                 // another role
		is.Equal(len(res.Results), 2)                          // each alert answered
		is.Equal(res.Results[1].Error.Code, domain.EFORBIDDEN) // FORBIDDEN per alert
		status, _ = e.PostAlerts(t, "", e.newAlert("f-3"))
		is.Equal(status, http.StatusUnauthorized) // no token
		other := e.MustToken(t, "dic", "sensor", domain.RoleIngest)
		status, res = e.PostAlerts(t, other, e.newAlert("f-4"))
		is.Equal(status, http.StatusOK)                        // per-alert answer
		is.Equal(res.Results[0].Error.Code, domain.EFORBIDDEN) // source of another SOC
		status, _ = e.Post(t, tok, "application/json", []byte(`[{"source":`))
		is.Equal(status, http.StatusBadRequest) // broken array
		status, _ = e.Post(t, tok, "text/plain", []byte(`[]`))
		is.Equal(status, http.StatusUnsupportedMediaType) // content type
		status, _ = e.Post(t, tok, "application/x-ndjson", []byte(strings.Repeat("x", ingest.MaxBodyBytes+1)))
		is.Equal(status, http.StatusRequestEntityTooLarge) // body limit
		many := make([]alert, ingest.MaxAlertsPerRequest+1)
		status, _ = e.PostAlerts(t, tok, many...)
		is.Equal(status, http.StatusRequestEntityTooLarge) // too many alerts
		is.Equal(e.MustSettle(t), before)                  // nothing written
	})
}

func TestIngestNATS(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	tok := e.MustToken(t, "soc-dic", "wazuh", domain.RoleIngest)
	nc, err := nats.Connect(e.natsURL)
	is.NoErr(err) // SOC connection
	defer nc.Close()
	request := func(subject, token string, body []byte) ingest.Response {
		m := nats.NewMsg(subject)
		m.Header.Set("Authorization", "Bearer "+token)
		m.Data = body
		reply, err := nc.RequestMsg(m, 10*time.Second)
		is.NoErr(err) // reply
		var r ingest.Response
		is.NoErr(json.Unmarshal(reply.Data, &r)) // reply is JSON
		return r
	}
	a := e.newAlert("n-1")
	a.Source = "" // the subject names it
	b := e.newAlert("n-2")
	b.Source = "ids-dic" // not this subject's source
	r := request("dieuphoi.ingest.soc-dic", tok, []byte(mustJSON([]alert{a, a, b})))
	is.Equal(statuses(r), []domain.IngestStatus{domain.IngestAccepted, domain.IngestDuplicate, domain.IngestRejected}) // outcomes
	is.True(strings.Contains(r.Results[2].Error.Message, "dieuphoi.ingest.soc-dic"))                                   // names the subject
	r = request("dieuphoi.ingest.soc-dic", tok, ndjson(mustJSON(e.newAlert("n-3")), `{broken`))
	is.Equal(statuses(r), []domain.IngestStatus{domain.IngestAccepted, domain.IngestRejected}) // NDJSON over NATS
	is.Equal(r.Results[1].Line, 2)                                                             // line number
	r = request("dieuphoi.ingest.soc-dic", "nope", []byte(mustJSON([]alert{e.newAlert("n-4")})))
	is.Equal(r.Error.Code, domain.EUNAUTHENTICATED) // bad token refused
	coord := e.MustToken(t, "dic", "binh", domain.RoleCoordinator)
	r = request("dieuphoi.ingest.soc-dic", coord, []byte(mustJSON([]alert{e.newAlert("n-5")})))
	is.Equal(r.Results[0].Error.Code, domain.EFORBIDDEN) // another role
	e.MustSettle(t)
	page, err := e.board.List(coordinator, projections.AlertFilter{}, 10, "")
	is.NoErr(err)                // list
	is.Equal(page.TotalCount, 2) // n-1 and n-3 only
}

func TestIngestDedupWindow(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	tok := e.MustToken(t, "soc-dic", "wazuh", domain.RoleIngest)
	e.clock.Freeze() // the edges to the nanosecond
	src, _ := e.cfg.AlertSource("soc-dic")
	w := src.WindowDuration()
	a := e.newAlert("w-1")
	_, first := e.PostAlerts(t, tok, a)
	is.Equal(first.Results[0].Status, domain.IngestAccepted) // first
	e.clock.Advance(w - time.Nanosecond)                     // just inside
	a.ObservedAt = e.clock.Now().UTC()
	_, in := e.PostAlerts(t, tok, a)
	is.Equal(in.Results[0].Status, domain.IngestDuplicate)        // inside the window
	is.Equal(in.Results[0].DuplicateOf, first.Results[0].AlertID) // of the first
	e.clock.Advance(time.Nanosecond)                              // exactly the window after first-seen
	a.ObservedAt = e.clock.Now().UTC()
	_, out := e.PostAlerts(t, tok, a)
	is.Equal(out.Results[0].Status, domain.IngestAccepted)      // outside: a new alert
	is.True(out.Results[0].AlertID != first.Results[0].AlertID) // another id
	e.MustSettle(t)
	v, _ := e.board.Alert(coordinator, first.Results[0].AlertID)
	is.Equal(v.Count, 2) // the first holds the repeat
	v, _ = e.board.Alert(coordinator, out.Results[0].AlertID)
	is.Equal(v.Count, 1) // the new one starts again
}

// Two producers on two replicas send the same fingerprint at once: one alert, exact count.
func TestIngestConcurrentDuplicates(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.FileStorage)
	r2 := e.MustReplica(t)
	tok1 := e.MustToken(t, "soc-dic", "wazuh-a", domain.RoleIngest)
	tok2 := e.MustToken(t, "soc-dic", "wazuh-b", domain.RoleIngest)
	const perProducer, batches = 50, 4
	base := e.newAlert("same")
	var wg sync.WaitGroup
	counts := make([]map[domain.IngestStatus]int, 2)
	var ids sync.Map
	for p, target := range []*node{e.node, r2} {
		counts[p] = map[domain.IngestStatus]int{}
		tok := []string{tok1, tok2}[p]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				batch := make([]alert, perProducer)
				for i := range batch {
					x := base
					x.ObservedAt = base.ObservedAt.Add(time.Duration(p*1_000_000+b*1000+i) * time.Microsecond) // every report distinct
					batch[i] = x
				}
				status, res := target.PostAlerts(t, tok, batch...)
				if status != http.StatusOK {
					t.Errorf("status %d", status)
					return
				}
				for _, r := range res.Results {
					counts[p][r.Status]++
					ids.Store(r.AlertID, true)
				}
			}
		}()
	}
	wg.Wait()
	accepted := counts[0][domain.IngestAccepted] + counts[1][domain.IngestAccepted]
	dups := counts[0][domain.IngestDuplicate] + counts[1][domain.IngestDuplicate]
	is.Equal(accepted, 1)                   // exactly one report created the alert
	is.Equal(dups, 2*perProducer*batches-1) // every other one is a repeat
	n := 0
	ids.Range(func(any, any) bool { n++; return true })
	is.Equal(n, 1) // every result names the same alert
	for _, node := range []*node{e.node, r2} {
		node.MustSettle(t)
		page, err := node.board.List(coordinator, projections.AlertFilter{}, 10, "")
		is.NoErr(err)                                        // list
		is.Equal(page.TotalCount, 1)                         // one alert on each replica
		is.Equal(page.Nodes[0].Count, 2*perProducer*batches) // exact count on each replica
	}
}

func TestIngestSuppressionAndCorrelation(t *testing.T) {
	e := MustEnv(t, jetstream.MemoryStorage)
	tok := e.MustToken(t, "soc-dic", "wazuh", domain.RoleIngest)
	ctx := context.Background()

	t.Run("suppressed reports are kept and counted per rule", func(t *testing.T) {
		is := is.New(t)
		now := e.clock.Now()
		_, err := e.app.Execute(ctx, app.Request{Actor: coordinator, AggregateID: "sup-pentest", At: now,
			Command: domain.SetSuppression{Source: "soc-dic", Asset: "pentest.example.gov.vn", Until: now.Add(time.Hour), Reason: "kiểm thử xâm nhập được cấp phép"}})
		is.NoErr(err) // rule set and known to the triage read model
		a := e.newAlert("p-1")
		a.Asset = "pentest.example.gov.vn"
		b := a
		b.SourceRef = "p-2"
		_, r := e.PostAlerts(t, tok, a, b, e.newAlert("p-3"))
		is.Equal(statuses(r), []domain.IngestStatus{domain.IngestSuppressed, domain.IngestSuppressed, domain.IngestAccepted}) // outcomes
		is.Equal(r.Results[0].SuppressedBy, "sup-pentest")                                                                    // rule named
		e.MustSettle(t)
		rule, err := e.board.Suppression(coordinator, "sup-pentest")
		is.NoErr(err)                // rule visible
		is.Equal(rule.Suppressed, 2) // counted
		c, _ := e.board.Counts(coordinator)
		is.Equal(c.Suppressed, 2) // in the triage counts
		page, _ := e.board.List(coordinator, projections.AlertFilter{Asset: "pentest.example.gov.vn"}, 10, "")
		is.Equal(page.TotalCount, 0) // no alert raised
	})

	t.Run("alert sharing an indicator with an open incident is proposed for it", func(t *testing.T) {
		is := is.New(t)
		now := e.clock.Now()
		incID := eventstore.NewID()
		_, err := e.app.Execute(ctx, app.Request{Actor: coordinator, AggregateID: incID, At: now,
			Command: domain.OpenIncident{Title: "Mã độc liên lạc C2", Type: "MALWARE", Severity: domain.SeverityHigh,
				TLP: domain.TLPAmber, DetectedAt: now.Add(-time.Hour)}})
		is.NoErr(err) // incident
		_, err = e.app.Execute(ctx, app.Request{Actor: coordinator, AggregateID: incID, At: now,
			Command: domain.AddIndicator{IndicatorID: "ioc-1", Type: domain.IndicatorIPv4, Value: "198.51.100.23"}})
		is.NoErr(err) // with an indicator, known to the read models
		a := e.newAlert("c-1")
		a.Indicators = []map[string]any{{"type": "IPV4", "value": "198.51.100.23"}}
		_, r := e.PostAlerts(t, tok, a, e.newAlert("c-2"))
		is.Equal(statuses(r), []domain.IngestStatus{domain.IngestAccepted, domain.IngestAccepted}) // both new
		e.MustSettle(t)
		v, err := e.board.Alert(coordinator, r.Results[0].AlertID)
		is.NoErr(err)                         // visible
		is.Equal(v.Proposed, []string{incID}) // proposed for the incident
		w, _ := e.board.Alert(coordinator, r.Results[1].AlertID)
		is.Equal(len(w.Proposed), 0) // unrelated alert: no proposal
		page, _ := e.board.List(coordinator, projections.AlertFilter{Grouped: true}, 10, "")
		is.Equal(page.TotalCount, 1)     // grouped list
		is.Equal(page.Counts.Grouped, 1) // grouped count
	})
}

// TestIngestJSONIsExact: member names match exactly, a member given twice and invalid UTF-8
// are refused with the reason, over HTTP (array and NDJSON) and NATS alike; nothing is written.
func TestIngestJSONIsExact(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	tok := e.MustToken(t, "soc-dic", "wazuh", domain.RoleIngest)
	good := mustJSON(e.newAlert("x-1"))
	bad := []struct{ json, says string }{
		{strings.Replace(good, `"title"`, `"Title"`, 1), `unknown member "Title"`},
		{strings.Replace(good, `"title"`, `"title":"Khác","title"`, 1), `member "title" is given twice`},
		{strings.Replace(good, `"severity":"MEDIUM"`, `"severity":3`, 1), `member "severity" must not be a JSON number`},
		{strings.Replace(good, `"asset":"`, `"asset":"`+"\xff", 1), "invalid UTF-8"},
	}
	before := e.MustSettle(t)
	for _, b := range bad {
		for _, body := range [][]byte{[]byte("[" + b.json + "]"), ndjson(b.json)} {
			ct := "application/json"
			if body[0] != '[' {
				ct = "application/x-ndjson"
			}
			status, r := e.Post(t, tok, ct, body)
			is.Equal(status, http.StatusOK) // per-alert outcomes
			is.Equal(len(r.Results), 1)
			is.Equal(r.Results[0].Status, domain.IngestRejected) // refused
			is.Equal(r.Results[0].Error.Code, domain.EINVALID)
			is.True(strings.Contains(r.Results[0].Error.Message, b.says)) // with the reason
		}
	}
	is.Equal(e.MustSettle(t), before) // nothing written
	status, r := e.Post(t, tok, "application/json", []byte("["+good+"]"))
	is.Equal(status, http.StatusOK)
	is.Equal(r.Results[0].Status, domain.IngestAccepted) // the exact one is taken
}
