package graph_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/eventstore/natstest"
	"github.com/dieuphoi/dieuphoi/graph"
	"github.com/dieuphoi/dieuphoi/ingest"
	"github.com/dieuphoi/dieuphoi/projections"
)

// clock is the injectable clock: real time plus an offset a test can move forward.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// env is one embedded nats-server with JetStream and the dieuphoi nodes (replicas) on it.
type env struct {
	natsURL  string
	storage  jetstream.StorageType
	signer   *eventstore.Signer
	tokenKey ed25519.PrivateKey
	cfg      *domain.Config
	clock    *clock
	*node    // the first replica
}

// node is one service replica: its own NATS connection, store, read models and graph server.
type node struct {
	// alertStore and alerts are the alerts stream and its triage read model; the ingest endpoint
	// is served at hs.URL + ingest.Path.
	alertStore *eventstore.Store
	alerts     *projections.Alerts
	app        *app.App
	store      *eventstore.Store
	proj       *projections.Projector
	gs         *graph.Server
	hs         *httptest.Server
	url        string // http://.../graphql
	cfg        *domain.Config
	key        ed25519.PrivateKey
	clock      *clock
}

type envOptions struct {
	storage jetstream.StorageType
	deps    func(*graph.Deps)
}

// MustEnv starts an embedded nats-server (file storage unless asked) and one replica behind an
// httptest server; everything is torn down with the test.
func MustEnv(tb testing.TB, opts ...func(*envOptions)) *env {
	tb.Helper()
	o := envOptions{storage: jetstream.FileStorage}
	for _, f := range opts {
		f(&o)
	}
	srv := natstest.MustServer(tb)
	_, signKey, _ := ed25519.GenerateKey(rand.Reader)
	_, tokenKey, _ := ed25519.GenerateKey(rand.Reader)
	e := &env{natsURL: srv.ClientURL(), storage: o.storage, signer: eventstore.NewSigner(signKey), tokenKey: tokenKey,
		cfg: domain.DefaultConfig(), clock: &clock{}}
	e.node = e.MustReplica(tb, o.deps)
	return e
}

func withMemoryStorage(o *envOptions) { o.storage = jetstream.MemoryStorage }

func withDeps(f func(*graph.Deps)) func(*envOptions) { return func(o *envOptions) { o.deps = f } }

// MustReplica starts another replica on the same NATS server.
func (e *env) MustReplica(tb testing.TB, deps func(*graph.Deps)) *node {
	tb.Helper()
	nc, err := nats.Connect(e.natsURL)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	st, err := eventstore.Open(context.Background(), nc, eventstore.Config{Storage: e.storage, Signer: e.signer, CheckpointInterval: 20 * time.Millisecond})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	p := projections.New(e.cfg, nil)
	ac := ingest.StoreConfig(1, e.storage)
	ac.Signer = e.signer
	alertStore, err := eventstore.Open(context.Background(), nc, ac)
	if err != nil {
		tb.Fatalf("open alerts store: %v", err)
	}
	tb.Cleanup(func() { alertStore.Close() })
	alerts := projections.NewAlerts(e.cfg, p, nil)
	actx, acancel := context.WithCancel(context.Background())
	adone := make(chan struct{})
	go func() {
		defer close(adone)
		for actx.Err() == nil {
			if err := alertStore.Follow(actx, nil, alerts.Sink()); err != nil && actx.Err() == nil {
				select {
				case <-actx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	}()
	tb.Cleanup(func() { acancel(); <-adone })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := st.Follow(ctx, nil, p.Sink()); err != nil && ctx.Err() == nil {
				tb.Logf("follow: %v", err)
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	}()
	cpDone := make(chan struct{})
	go func() { defer close(cpDone); _ = st.RunCheckpoints(ctx, nil) }()
	tb.Cleanup(func() { cancel(); <-done; <-cpDone })
	d := graph.Deps{Transparency: app.NewTransparency(st, alertStore, p, e.clock.Now), Store: st, Projector: p, Config: e.cfg, TokenKey: e.tokenKey.Public().(ed25519.PublicKey), Now: e.clock.Now,
		AlertStore: alertStore, Alerts: alerts}
	if deps != nil {
		deps(&d)
	}
	if d.App == nil {
		d.App = app.New(app.Deps{Events: d.Store, Read: d.Projector, Alerts: d.AlertStore, AlertRead: d.Alerts, Config: d.Config, Now: d.Now})
	}
	gs := graph.New(d)
	mux := http.NewServeMux()
	mux.Handle("/graphql", gs)
	mux.Handle(ingest.Path, ingest.New(ingest.Deps{App: d.App, Alerts: alerts, Config: e.cfg, Now: e.clock.Now, Authenticate: gs.Authenticate}))
	hs := httptest.NewServer(mux)
	tb.Cleanup(hs.Close)
	tb.Cleanup(gs.Close)
	return &node{app: d.App, store: st, proj: p, gs: gs, hs: hs, url: hs.URL + "/graphql", cfg: e.cfg, key: e.tokenKey, clock: e.clock,
		alertStore: alertStore, alerts: alerts}
}

// MustToken issues a token through this replica's store, as `dieuphoi token` does (the system
// actor), and signs it.
func (n *node) MustToken(tb testing.TB, org, user string, role domain.Role) string {
	tb.Helper()
	tok, _ := n.MustTokenAt(tb, org, user, role, n.clock.Now(), 0)
	return tok
}

// MustTokenAt issues a token as of issuedAt with the given lifetime (0: the default).
func (n *node) MustTokenAt(tb testing.TB, org, user string, role domain.Role, issuedAt time.Time, ttl time.Duration) (string, domain.Claims) {
	tb.Helper()
	var claims domain.Claims
	_, err := n.app.Execute(context.Background(), app.Request{Actor: domain.SystemActor, AggregateID: eventstore.NewID(), At: issuedAt,
		Command: domain.IssueToken{Org: org, User: user, Role: role, TTL: ttl},
		Inspect: func(agg domain.Aggregate, _ []domain.Event) { claims = agg.(*domain.Token).Claims() }})
	if err != nil {
		tb.Fatalf("issue token: %v", err)
	}
	return domain.SignToken(n.key, claims), claims
}

// MustLast returns the stream's last sequence.
func (n *node) MustLast(tb testing.TB) uint64 {
	tb.Helper()
	last, err := n.store.LastSequence(context.Background())
	if err != nil {
		tb.Fatalf("last sequence: %v", err)
	}
	return last
}

// response is a GraphQL answer over HTTP.
type response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the first error's extensions.code ("" without errors).
func (r response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Into decodes data into v.
func (r response) Into(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		tb.Fatalf("decoding data %s: %v", r.Data, err)
	}
}

// Post sends a GraphQL request with a bearer token ("" for none).
func (n *node) Post(tb testing.TB, token, query string, vars map[string]any) response {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return n.PostRaw(tb, token, "application/json", body)
}

// PostRaw sends a body as it is.
func (n *node) PostRaw(tb testing.TB, token, contentType string, body []byte) response {
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
	r := response{Status: res.StatusCode}
	if err := json.Unmarshal(b, &r); err != nil {
		tb.Fatalf("response %d is not JSON: %s", res.StatusCode, b)
	}
	return r
}

// MustPost sends a request that must succeed, and decodes its data into v.
func (n *node) MustPost(tb testing.TB, token, query string, vars map[string]any, v any) {
	tb.Helper()
	r := n.Post(tb, token, query, vars)
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		tb.Fatalf("request failed: %d %+v\nquery: %s", r.Status, r.Errors, query)
	}
	if v != nil {
		r.Into(tb, v)
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(tb testing.TB, what string, timeout time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wsClient speaks graphql-transport-ws over a real websocket.
type wsClient struct {
	c *websocket.Conn
}

type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (n *node) wsURL() string { return "ws" + strings.TrimPrefix(n.url, "http") }

// Dial opens a websocket and sends connection_init with the token; it returns after
// connection_ack, or with the error (a close status when the server refused).
func (n *node) Dial(ctx context.Context, token string, opts *websocket.DialOptions) (*wsClient, error) {
	if opts == nil {
		opts = &websocket.DialOptions{}
	}
	opts.Subprotocols = []string{"graphql-transport-ws"}
	c, _, err := websocket.Dial(ctx, n.wsURL(), opts)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(64 << 20)
	w := &wsClient{c: c}
	payload := map[string]any{}
	if token != "" {
		payload["authorization"] = "Bearer " + token
	}
	if err := w.send(ctx, wsMessage{Type: "connection_init", Payload: mustJSON(payload)}); err != nil {
		c.CloseNow()
		return nil, err
	}
	m, err := w.Next(ctx)
	if err != nil {
		c.CloseNow()
		return nil, err
	}
	if m.Type != "connection_ack" {
		c.CloseNow()
		return nil, fmt.Errorf("expected connection_ack, got %s", m.Type)
	}
	return w, nil
}

// MustDial is Dial that must succeed.
func (n *node) MustDial(tb testing.TB, token string) *wsClient {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := n.Dial(ctx, token, nil)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { w.c.CloseNow() })
	return w
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (w *wsClient) send(ctx context.Context, m wsMessage) error {
	return w.c.Write(ctx, websocket.MessageText, mustJSON(m))
}

// Subscribe starts an operation with the given id.
func (w *wsClient) Subscribe(ctx context.Context, id, query string, vars map[string]any) error {
	return w.send(ctx, wsMessage{Type: "subscribe", ID: id, Payload: mustJSON(map[string]any{"query": query, "variables": vars})})
}

// Complete stops an operation.
func (w *wsClient) Complete(ctx context.Context, id string) error {
	return w.send(ctx, wsMessage{Type: "complete", ID: id})
}

// Next returns the next message other than ping and pong, answering pings.
func (w *wsClient) Next(ctx context.Context) (wsMessage, error) {
	for {
		_, b, err := w.c.Read(ctx)
		if err != nil {
			return wsMessage{}, err
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return m, fmt.Errorf("message is not JSON: %s", b)
		}
		switch m.Type {
		case "ping":
			if err := w.send(ctx, wsMessage{Type: "pong"}); err != nil {
				return m, err
			}
		case "pong":
		default:
			return m, nil
		}
	}
}

// UntilClosed reads until the connection ends (the last messages of its operations, such as
// complete, may come first) and returns the error that ended it.
func (w *wsClient) UntilClosed(ctx context.Context) error {
	for {
		if _, err := w.Next(ctx); err != nil {
			return err
		}
	}
}

// closeStatus returns the close code and reason of a read error.
func closeStatus(err error) (websocket.StatusCode, string) {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code, ce.Reason
	}
	return -1, ""
}

// change is an incidentChanged event as tests select it.
type change struct {
	Sequence   uint64   `json:"sequence"`
	IncidentID string   `json:"incidentId"`
	Removed    bool     `json:"removed"`
	Types      []string `json:"types"`
	Incident   *struct {
		ID    string `json:"id"`
		Phase string `json:"phase"`
	} `json:"incident"`
}

// NextChange reads the next incidentChanged event of operation id.
func (w *wsClient) NextChange(ctx context.Context, id string) (change, error) {
	m, err := w.Next(ctx)
	if err != nil {
		return change{}, err
	}
	if m.Type != "next" || m.ID != id {
		return change{}, fmt.Errorf("expected next on %s, got %s %s %s", id, m.Type, m.ID, m.Payload)
	}
	var p struct {
		Data struct {
			IncidentChanged change `json:"incidentChanged"`
		} `json:"data"`
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return change{}, err
	}
	if len(p.Errors) > 0 {
		return change{}, fmt.Errorf("errors: %+v", p.Errors)
	}
	return p.Data.IncidentChanged, nil
}

const incidentChangedQuery = `subscription($since: Sequence) { incidentChanged(since: $since) { sequence incidentId removed types incident { id phase } } }`

const openMutation = `mutation($in: OpenIncidentInput!) { openIncident(input: $in) { sequence incident { id version status phase tlp origin lead owner } } }`

// openInput is an OpenIncidentInput for tests.
func openInput(title string, tlp domain.TLP) map[string]any {
	return map[string]any{"title": title, "type": "MALWARE", "severity": "HIGH", "tlp": string(tlp),
		"detectedAt": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}
}

type opened struct {
	OpenIncident struct {
		Sequence uint64 `json:"sequence"`
		Incident struct {
			ID      string `json:"id"`
			Version int    `json:"version"`
			Status  string `json:"status"`
			Phase   string `json:"phase"`
			TLP     string `json:"tlp"`
			Origin  string `json:"origin"`
			Lead    string `json:"lead"`
			Owner   string `json:"owner"`
		} `json:"incident"`
	} `json:"openIncident"`
}

// MustOpen opens an incident and returns its id and the sequence of the write.
func (n *node) MustOpen(tb testing.TB, token, title string, tlp domain.TLP) (string, uint64) {
	tb.Helper()
	var o opened
	n.MustPost(tb, token, openMutation, map[string]any{"in": openInput(title, tlp)}, &o)
	return o.OpenIncident.Incident.ID, o.OpenIncident.Sequence
}

// MustNote adds a note and returns the write's sequence.
func (n *node) MustNote(tb testing.TB, token, incident, text string) uint64 {
	tb.Helper()
	var r struct {
		AddNote struct {
			Sequence uint64 `json:"sequence"`
		} `json:"addNote"`
	}
	n.MustPost(tb, token, `mutation($in: AddNoteInput!) { addNote(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"incidentId": incident, "text": text}}, &r)
	return r.AddNote.Sequence
}
