package ingest_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/eventstore/natstest"
	"github.com/dieuphoi/dieuphoi/ingest"
	"github.com/dieuphoi/dieuphoi/projections"
)

// clock is real time plus an offset a test moves forward.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
	frozen time.Time // when set, time stands still (plus offset)
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen.IsZero() {
		return c.frozen.Add(c.offset)
	}
	return time.Now().Add(c.offset)
}

// Freeze stops the clock where it is; Advance still moves it.
func (c *clock) Freeze() {
	c.mu.Lock()
	c.frozen = time.Now().Add(c.offset)
	c.offset = 0
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// env is one embedded nats-server and the replicas on it.
type env struct {
	natsURL  string
	storage  jetstream.StorageType
	signer   *eventstore.Signer
	tokenKey ed25519.PrivateKey
	cfg      *domain.Config
	clock    *clock
	*node
}

// node is one replica: its incident store (tokens, incidents), its alerts store, read models,
// the ingest service over HTTP and NATS.
type node struct {
	nc     *nats.Conn
	events *eventstore.Store
	alerts *eventstore.Store
	proj   *projections.Projector
	board  *projections.Alerts
	svc    *ingest.Service
	hs     *httptest.Server
	url    string
	cfg    *domain.Config
	key    ed25519.PrivateKey
	clock  *clock
	app    *app.App
}

// MustEnv starts an embedded nats-server (file storage unless memory is asked) and one replica.
func MustEnv(tb testing.TB, storage jetstream.StorageType) *env {
	tb.Helper()
	return MustEnvConfig(tb, storage, domain.DefaultConfig())
}

// MustEnvConfig is MustEnv with a configuration of the test's own.
func MustEnvConfig(tb testing.TB, storage jetstream.StorageType, cfg *domain.Config) *env {
	tb.Helper()
	srv := natstest.MustServer(tb)
	_, signKey, _ := ed25519.GenerateKey(rand.Reader)
	_, tokenKey, _ := ed25519.GenerateKey(rand.Reader)
	e := &env{natsURL: srv.ClientURL(), storage: storage, signer: eventstore.NewSigner(signKey), tokenKey: tokenKey,
		cfg: cfg, clock: &clock{}}
	e.node = e.MustReplica(tb)
	return e
}

func follow(tb testing.TB, st *eventstore.Store, sink eventstore.Sink) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := st.Follow(ctx, nil, sink); err != nil && ctx.Err() == nil {
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	}()
	tb.Cleanup(func() { cancel(); <-done })
}

// MustReplica starts another replica on the same NATS server.
func (e *env) MustReplica(tb testing.TB) *node {
	tb.Helper()
	nc, err := nats.Connect(e.natsURL)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	events, err := eventstore.Open(context.Background(), nc, eventstore.Config{Storage: e.storage, Signer: e.signer})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { events.Close() })
	ac := ingest.StoreConfig(1, e.storage)
	ac.Signer = e.signer
	alerts, err := eventstore.Open(context.Background(), nc, ac)
	if err != nil {
		tb.Fatalf("open alerts store: %v", err)
	}
	tb.Cleanup(func() { alerts.Close() })
	proj := projections.New(e.cfg, nil)
	board := projections.NewAlerts(e.cfg, proj, nil)
	n := &node{nc: nc, events: events, alerts: alerts, proj: proj, board: board, cfg: e.cfg, key: e.tokenKey, clock: e.clock,
		app: app.New(app.Deps{Events: events, Read: proj, Alerts: alerts, AlertRead: board, Config: e.cfg, Now: e.clock.Now})}
	follow(tb, events, proj.Sink())
	follow(tb, alerts, board.Sink())
	pub := e.tokenKey.Public().(ed25519.PublicKey)
	auth := func(ctx context.Context, header string) (domain.Actor, error) {
		tok, ok := strings.CutPrefix(header, "Bearer ")
		if !ok {
			return domain.Actor{}, domain.Errorf(domain.EUNAUTHENTICATED, "no token")
		}
		claims, err := domain.ParseToken(pub, tok, e.clock.Now())
		if err != nil {
			return domain.Actor{}, err
		}
		if _, ok := proj.Tokens.Get(claims.TokenID); !ok {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if last, err := events.LastSequence(wctx); err == nil {
				_ = proj.WaitFor(wctx, last)
			}
			if _, ok := proj.Tokens.Get(claims.TokenID); !ok {
				return domain.Actor{}, domain.Errorf(domain.EUNAUTHENTICATED, "unknown token")
			}
		}
		return claims.Actor(), nil
	}
	n.svc = ingest.New(ingest.Deps{App: n.app, Alerts: board, Config: e.cfg, Now: e.clock.Now, Authenticate: auth})
	mux := http.NewServeMux()
	mux.Handle(ingest.Path, n.svc)
	n.hs = httptest.NewServer(mux)
	tb.Cleanup(n.hs.Close)
	n.url = n.hs.URL + ingest.Path
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.svc.Run(ctx, nc) }()
	tb.Cleanup(func() { cancel(); <-done })
	if err := nc.Flush(); err != nil {
		tb.Fatalf("flush: %v", err)
	}
	return n
}

// MustToken issues a token as `dieuphoi token` does.
func (n *node) MustToken(tb testing.TB, org, user string, role domain.Role) string {
	tb.Helper()
	var claims domain.Claims
	_, err := n.app.Execute(context.Background(), app.Request{Actor: domain.SystemActor, AggregateID: eventstore.NewID(),
		Command: domain.IssueToken{Org: org, User: user, Role: role},
		Inspect: func(agg domain.Aggregate, _ []domain.Event) { claims = agg.(*domain.Token).Claims() }})
	if err != nil {
		tb.Fatalf("issue token: %v", err)
	}
	return domain.SignToken(n.key, claims)
}

// alert is one alert as a SOC sends it.
type alert struct {
	Source     string           `json:"source,omitempty"`
	SourceRef  string           `json:"sourceRef,omitempty"`
	RuleID     string           `json:"ruleId,omitempty"`
	Title      string           `json:"title"`
	Severity   string           `json:"severity"`
	ObservedAt time.Time        `json:"observedAt"`
	Asset      string           `json:"asset,omitempty"`
	Indicators []map[string]any `json:"indicators,omitempty"`
	TLP        string           `json:"tlp,omitempty"`
	Raw        json.RawMessage  `json:"raw,omitempty"`
}

func (n *node) newAlert(ref string) alert {
	return alert{Source: "soc-dic", SourceRef: ref, Title: "Dò quét cổng từ " + ref, Severity: "MEDIUM",
		ObservedAt: n.clock.Now().Add(-time.Minute).UTC(), Asset: "srv-" + ref + ".example.gov.vn", TLP: "AMBER"}
}

// Post sends a body with a token and decodes the response.
func (n *node) Post(tb testing.TB, token, contentType string, body []byte) (int, ingest.Response) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, n.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("POST: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var r ingest.Response
	if err := json.Unmarshal(b, &r); err != nil {
		tb.Fatalf("response %d is not JSON: %s", res.StatusCode, b)
	}
	return res.StatusCode, r
}

// PostAlerts sends alerts as a JSON array.
func (n *node) PostAlerts(tb testing.TB, token string, alerts ...alert) (int, ingest.Response) {
	tb.Helper()
	b, _ := json.Marshal(alerts)
	return n.Post(tb, token, "application/json", b)
}

// MustSettle waits until the alert read model has applied the alerts stream to its end.
func (n *node) MustSettle(tb testing.TB) uint64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	last, err := n.alerts.LastSequence(ctx)
	if err != nil {
		tb.Fatalf("last sequence: %v", err)
	}
	if err := n.board.WaitFor(ctx, last); err != nil {
		tb.Fatalf("alert read model: %v", err)
	}
	return last
}

func ndjson(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return string(b)
}
