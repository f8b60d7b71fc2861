// Package ingest takes alerts from SOCs: POST /api/v1/alerts (a JSON array or NDJSON) and the
// NATS subjects dieuphoi.ingest.<source> (request/reply), both authenticated with ingest-role
// tokens. Each alert is checked (domain.NormaliseAlert), fingerprinted under its source's
// configuration and recorded on its fingerprint's aggregate in the alerts stream: a new alert,
// a repeat of the current one inside its window, or a suppressed report. Every alert of a
// request gets its own outcome; a bad one never stops the good ones.
package ingest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections"
	"github.com/nats-io/nats.go/jetstream"
)

// Limits of one request or NATS message.
const (
	// MaxBodyBytes caps an HTTP request body: 1,000 alerts of about 8 KiB each. One alert's raw
	// data may be up to domain.MaxAlertRaw (64 KiB); send large ones in smaller batches.
	MaxBodyBytes = 8 << 20
	// MaxAlertsPerRequest caps the alerts of one request or message.
	MaxAlertsPerRequest = 1000
	// parallel is how many fingerprints of one request are recorded at once. A hundred
	// producers make 1,600 appends in flight, plenty for JetStream; more only lengthens the
	// scheduler's queues and delays the follower that feeds the read models.
	parallel = 16
)

// StoreConfig is the alerts stream, DIEUPHOI_ALERTS (subjects dieuphoi.alerts.<type>.<id>): a
// stream of its own, so that alert volume never floods the incident log and its follower. Its
// duplicate window is short: JetStream keeps every message id of the window in memory, and
// alert reports are idempotent by their command ids anyway.
func StoreConfig(replicas int, storage jetstream.StorageType) eventstore.Config {
	return eventstore.Config{Stream: "DIEUPHOI_ALERTS", SubjectPrefix: "dieuphoi.alerts", Replicas: replicas, Storage: storage,
		DuplicateWindow: 30 * time.Second, CacheSize: 200_000}
}

// Deps are what the ingest service runs on.
type Deps struct {
	// App records the alerts (on the alerts store, its own stream DIEUPHOI_ALERTS).
	App    *app.App
	Alerts *projections.Alerts
	Config *domain.Config
	Now    func() time.Time
	// Authenticate checks an "Authorization: Bearer <token>" value (graph.Server.Authenticate).
	Authenticate func(ctx context.Context, header string) (domain.Actor, error)
	Log          *slog.Logger
}

// Service records alerts.
type Service struct {
	app    *app.App
	alerts *projections.Alerts
	cfg    *domain.Config
	now    func() time.Time
	auth   func(ctx context.Context, header string) (domain.Actor, error)
	log    *slog.Logger
	stats  [4]atomic.Uint64 // accepted, duplicate, suppressed, rejected
}

// New returns the ingest service.
func New(d Deps) *Service {
	s := &Service{app: d.App, alerts: d.Alerts, cfg: d.Config, now: d.Now, auth: d.Authenticate, log: d.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Error is a coded error in a result.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Result is the outcome of one alert of a request.
type Result struct {
	Index        int                 `json:"index"`          // position in the request, from 0
	Line         int                 `json:"line,omitempty"` // NDJSON line, from 1
	Status       domain.IngestStatus `json:"status"`
	AlertID      string              `json:"alertId,omitempty"`
	DuplicateOf  string              `json:"duplicateOf,omitempty"`
	SuppressedBy string              `json:"suppressedBy,omitempty"`
	Error        *Error              `json:"error,omitempty"`
}

// Response answers a request: one result per alert, in order, and the alerts stream's sequence
// after the last write (pass it as minSequence to alerts() on any replica to read your writes).
type Response struct {
	Results  []Result `json:"results"`
	Sequence uint64   `json:"sequence"`
	Error    *Error   `json:"error,omitempty"` // the request as a whole was refused
}

// Stats counts outcomes since start.
type Stats struct{ Accepted, Duplicate, Suppressed, Rejected uint64 }

// Stats returns the outcome counters.
func (s *Service) Stats() Stats {
	return Stats{s.stats[0].Load(), s.stats[1].Load(), s.stats[2].Load(), s.stats[3].Load()}
}

// item is one alert of a request before it is decoded.
type item struct {
	line    int
	data    []byte
	decoded *domain.ReceiveAlert // already decoded (a well-formed array)
}

// split cuts a body into alerts: NDJSON (one per line, blank lines skipped, each line checked
// on its own) or JSON (an array of alerts, or one alert object).
func split(body []byte, ndjson bool) ([]item, error) {
	var items []item
	if ndjson {
		for n, line := range bytes.Split(body, []byte("\n")) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			if len(items) == MaxAlertsPerRequest {
				return nil, domain.Errorf(domain.ETOOLARGE, "more than %d alerts in one request; send them in batches", MaxAlertsPerRequest)
			}
			items = append(items, item{line: n + 1, data: line})
		}
		return items, nil
	}
	body = bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
		return nil, domain.Errorf(domain.EINVALID, "the body is empty: send a JSON array of alerts, or NDJSON with Content-Type: application/x-ndjson")
	case body[0] == '{':
		return []item{{data: body}}, nil
	case body[0] != '[':
		return nil, domain.Errorf(domain.EINVALID, "the body must be a JSON array of alerts (or NDJSON with Content-Type: application/x-ndjson)")
	}
	// Fast path: a well-formed array decodes in one pass; any problem falls back to decoding
	// each alert on its own, so that each gets its own error.
	var all []domain.ReceiveAlert
	if json.Unmarshal(body, &all, strict) == nil && len(all) <= MaxAlertsPerRequest {
		items = make([]item, len(all))
		for i := range all {
			items[i] = item{decoded: &all[i]}
		}
		return items, nil
	}
	// Split only: each alert's own problems (a duplicate name, invalid UTF-8) are its own error.
	var raws []jsontext.Value
	if err := json.Unmarshal(body, &raws, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)); err != nil {
		return nil, domain.Errorf(domain.EINVALID, "the body is not a valid JSON array: %s; send NDJSON to have good lines accepted around a broken one", jsonProblem(err))
	}
	if len(raws) > MaxAlertsPerRequest {
		return nil, domain.Errorf(domain.ETOOLARGE, "%d alerts in one request; the limit is %d", len(raws), MaxAlertsPerRequest)
	}
	items = make([]item, len(raws))
	for i, r := range raws {
		items[i] = item{data: r}
	}
	return items, nil
}

// ingest records the alerts of one request for actor; defaultSource fills in an empty source
// and, when not empty, is the only source accepted (the NATS subject's). Alerts with the same
// fingerprint are recorded one after the other in request order (so the first is the one
// accepted); different fingerprints in parallel.
func (s *Service) ingest(ctx context.Context, actor domain.Actor, items []item, defaultSource string) Response {
	res := Response{Results: make([]Result, len(items))}
	now := s.now()
	in := domain.Invocation{Actor: actor, Now: now, Config: s.cfg}
	groups := map[string][]prepared{}
	var order []string
	for i, it := range items {
		r := &res.Results[i]
		r.Index, r.Line = i, it.line
		var a domain.ReceiveAlert
		var err error
		if it.decoded != nil {
			a = *it.decoded
		} else {
			a, err = decode(it.data)
		}
		if err == nil && defaultSource != "" {
			if strings.TrimSpace(a.Source) == "" {
				a.Source = defaultSource
			} else if strings.TrimSpace(a.Source) != defaultSource {
				err = domain.Errorf(domain.EINVALID, "subject %s.%s takes alerts of source %q only, not %q", SubjectPrefix, defaultSource, defaultSource, a.Source)
			}
		}
		var p prepared
		if err == nil {
			p.alert, p.src, err = domain.NormaliseAlert(in, a)
		}
		if err != nil {
			s.reject(r, err)
			continue
		}
		p.result, p.fp = r, domain.FingerprintAlert(p.src, p.alert)
		if _, ok := groups[p.fp]; !ok {
			order = append(order, p.fp)
		}
		groups[p.fp] = append(groups[p.fp], p)
	}
	var wg sync.WaitGroup
	var seqMu sync.Mutex
	sem := make(chan struct{}, parallel)
	for _, fp := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var last uint64
			for _, p := range groups[fp] {
				last = max(last, s.one(ctx, actor, p))
			}
			seqMu.Lock()
			res.Sequence = max(res.Sequence, last)
			seqMu.Unlock()
		}()
	}
	wg.Wait()
	return res
}

// prepared is a checked alert of a request with its fingerprint and its result to fill in.
type prepared struct {
	alert  domain.ReceiveAlert
	src    *domain.AlertSource
	fp     string
	result *Result
}

func (s *Service) reject(r *Result, err error) {
	code, msg := domain.ErrorCode(err), domain.ErrorMessage(err)
	if r.Line > 0 {
		msg = fmt.Sprintf("line %d: %s", r.Line, msg)
	}
	r.Status, r.Error = domain.IngestRejected, &Error{Code: code, Message: msg}
	r.AlertID, r.DuplicateOf, r.SuppressedBy = "", "", ""
	s.stats[3].Add(1)
}

// one records one checked alert and returns the stream sequence written (0: nothing).
func (s *Service) one(ctx context.Context, actor domain.Actor, p prepared) uint64 {
	now := s.now()
	n, fp, r := p.alert, p.fp, p.result
	var out domain.IngestOutcome
	res, err := s.app.Execute(ctx, app.Request{Actor: actor, AggregateID: fp, At: now, NoWait: true,
		Key: domain.AlertCommandID(actor.Org, n),
		Command: domain.IngestAlert{Alert: n, SuppressedBy: s.alerts.Suppressing(n, now),
			Correlate: func() ([]string, string) { return s.alerts.Correlate(n.Asset, n.Indicators) }},
		Inspect: func(_ domain.Aggregate, recorded []domain.Event) { out = domain.OutcomeOf(recorded) }})
	if err != nil {
		if domain.ErrorCode(err) == domain.EINTERNAL {
			s.log.Error("ingest: recording an alert failed", "source", n.Source, "err", err)
		}
		s.reject(r, err)
		return 0
	}
	if res.Duplicate {
		// The same report was recorded before (a retried request): say which alert holds it.
		out = domain.IngestOutcome{Status: domain.IngestDuplicate}
		if agg, err := s.app.Load(ctx, "alertfp", fp, res.Sequence); err == nil {
			if c := agg.(*domain.AlertSeries).Current(); c != nil {
				out.AlertID, out.DuplicateOf = c.ID, c.ID
			}
		}
	}
	r.Status, r.AlertID, r.DuplicateOf, r.SuppressedBy = out.Status, out.AlertID, out.DuplicateOf, out.SuppressedBy
	switch out.Status {
	case domain.IngestAccepted:
		s.stats[0].Add(1)
	case domain.IngestDuplicate:
		s.stats[1].Add(1)
	case domain.IngestSuppressed:
		s.stats[2].Add(1)
	}
	return res.Sequence
}

// forbidden answers every item of a request whose token may not ingest.
func (s *Service) forbidden(items []item, err error) Response {
	res := Response{Results: make([]Result, len(items)), Error: &Error{Code: domain.ErrorCode(err), Message: domain.ErrorMessage(err)}}
	for i, it := range items {
		res.Results[i] = Result{Index: i, Line: it.line}
		s.reject(&res.Results[i], err)
	}
	return res
}

func checkRole(a domain.Actor) error {
	if a.Role != domain.RoleIngest {
		return domain.Errorf(domain.EFORBIDDEN, "only ingest tokens may send alerts; this token has the %s role (get one with `dieuphoi token --role ingest`)", a.Role)
	}
	return nil
}
