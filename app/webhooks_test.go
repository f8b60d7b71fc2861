package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections"
)

// hookEnv is one embedded nats-server and the replicas on it; replicas can be stopped and new
// ones started, as service instances come and go.
type hookEnv struct {
	writer *env               // issues commands; runs no delivery worker
	key    ed25519.PrivateKey // the token key that signs deliveries
}

// replica is one service instance with, if asked, webhook delivery.
type replica struct {
	*env
	hooks *Webhooks
}

func mustHookEnv(tb testing.TB) *hookEnv {
	tb.Helper()
	_, tokenKey, _ := ed25519.GenerateKey(rand.Reader)
	return &hookEnv{writer: MustEnv(tb, jetstream.FileStorage), key: tokenKey}
}

// fastHooks is a delivery schedule in milliseconds, so that retries happen within a test.
func fastHooks(maxDeliver int, backoff ...time.Duration) func(*Webhooks) {
	return func(w *Webhooks) {
		w.MaxDeliver, w.Backoff, w.AckWait, w.FetchWait = maxDeliver, backoff, 5*time.Second, 100*time.Millisecond
	}
}

// mustReplica starts a replica; with tune it also runs webhook delivery, tuned.
func (e *hookEnv) mustReplica(tb testing.TB, tune func(*Webhooks)) *replica {
	tb.Helper()
	r := &replica{env: e.writer.replica(tb, nil)}
	if tune != nil {
		r.hooks = NewWebhooks(r.app, r.store, r.proj, e.key, nil, nil)
		tune(r.hooks)
		r.background(tb, "webhooks: Run", r.hooks.Run)
	}
	return r
}

// open opens an incident by who at the given TLP and returns its id and sequence.
func (e *hookEnv) open(tb testing.TB, who domain.Actor, tlp domain.TLP, drill bool) (string, uint64) {
	tb.Helper()
	id := eventstore.NewID()
	seq := e.writer.do(tb, id, who, domain.OpenIncident{Title: "Tấn công " + string(tlp), Type: "MALWARE", Sector: "HEALTH", Severity: domain.SeverityHigh,
		TLP: tlp, Drill: drill, DetectedAt: time.Now().Add(-time.Hour)})
	return id, seq
}

// register registers a webhook of vncert (its coordinator) to url and returns its id.
func (e *hookEnv) register(tb testing.TB, url string) string {
	tb.Helper()
	last, err := e.writer.store.LastSequence(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	id := eventstore.NewID()
	e.writer.do(tb, id, hookCERT, domain.RegisterWebhook{URL: url, Description: "test", FromSequence: last})
	return id
}

var (
	hookCERT   = actor("vncert", "giang", domain.RoleCoordinator)
	hookPolice = actor("police", "an", domain.RoleCoordinator)
)

// endpoint is a partner's webhook receiver that records every attempt.
type endpoint struct {
	srv *httptest.Server
	mu  sync.Mutex
	// status answers attempt n (1, 2, ...) of a sequence; nil: 204.
	status    func(seq uint64, attempt int) int
	attempts  map[uint64][]time.Time
	delivered map[uint64]int // 2xx answers given
	bodies    map[uint64][]byte
	headers   map[uint64]http.Header
}

func mustEndpoint(tb testing.TB, status func(seq uint64, attempt int) int) *endpoint {
	tb.Helper()
	ep := &endpoint{status: status, attempts: map[uint64][]time.Time{}, delivered: map[uint64]int{}, bodies: map[uint64][]byte{},
		headers: map[uint64]http.Header{}}
	ep.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seq, err := strconv.ParseUint(r.Header.Get(HeaderWebhookDelivery), 10, 64)
		if err != nil || r.Method != http.MethodPost {
			tb.Errorf("unexpected request %s %v", r.Method, r.Header)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ep.mu.Lock()
		ep.attempts[seq] = append(ep.attempts[seq], time.Now())
		code := http.StatusNoContent
		if ep.status != nil {
			code = ep.status(seq, len(ep.attempts[seq]))
		}
		if code < 300 {
			ep.delivered[seq]++
			ep.bodies[seq], ep.headers[seq] = body, r.Header.Clone()
		}
		ep.mu.Unlock()
		w.WriteHeader(code)
	}))
	tb.Cleanup(ep.srv.Close)
	return ep
}

func (ep *endpoint) setStatus(f func(seq uint64, attempt int) int) {
	ep.mu.Lock()
	ep.status = f
	ep.mu.Unlock()
}

func (ep *endpoint) snapshot() (attempts map[uint64]int, delivered map[uint64]int) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	attempts = map[uint64]int{}
	for s, a := range ep.attempts {
		attempts[s] = len(a)
	}
	delivered = map[uint64]int{}
	for s, n := range ep.delivered {
		delivered[s] = n
	}
	return attempts, delivered
}

// waitDelivered polls until every sequence was delivered at least once.
func (ep *endpoint) waitDelivered(tb testing.TB, timeout time.Duration, seqs ...uint64) {
	tb.Helper()
	waitFor(tb, "deliveries", timeout, func() bool {
		_, d := ep.snapshot()
		for _, s := range seqs {
			if d[s] == 0 {
				return false
			}
		}
		return true
	})
}

func waitFor(tb testing.TB, what string, timeout time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func failFirst(n int) func(uint64, int) int {
	return func(_ uint64, attempt int) int {
		if attempt <= n {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
}

// TestWebhookSignature: a delivery carries the headers, a JSON body with the incident as the
// organisation sees it, and a signature over exactly that body that verifies with the public
// key the keys endpoint serves.
func TestWebhookSignature(t *testing.T) {
	is := is.New(t)
	e := mustHookEnv(t)
	ep := mustEndpoint(t, nil)
	hook := e.register(t, ep.srv.URL+"/in")
	e.mustReplica(t, fastHooks(3, time.Millisecond))
	inc, seq := e.open(t, hookPolice, domain.TLPGreen, true)
	ep.waitDelivered(t, 10*time.Second, seq)

	ep.mu.Lock()
	body, h := ep.bodies[seq], ep.headers[seq]
	ep.mu.Unlock()
	is.Equal(h.Get("Content-Type"), "application/json") // content type
	is.Equal(h.Get(HeaderWebhookID), hook)              // webhook id
	is.Equal(h.Get(HeaderWebhookDelivery), fmtSeq(seq)) // delivery = sequence
	var d struct {
		Sequence   uint64   `json:"sequence"`
		IncidentID string   `json:"incidentId"`
		Types      []string `json:"types"`
		Drill      bool     `json:"drill"`
		Reason     string   `json:"reason"`
		Incident   struct {
			ID    string `json:"id"`
			TLP   string `json:"tlp"`
			Drill bool   `json:"drill"`
			Title string `json:"title"`
		} `json:"incident"`
	}
	is.NoErr(json.Unmarshal(body, &d))            // body is JSON
	is.Equal(d.Sequence, seq)                     // sequence
	is.Equal(d.IncidentID, inc)                   // incident id
	is.Equal(d.Types, []string{"IncidentOpened"}) // event types
	is.True(d.Drill && d.Incident.Drill)          // a drill says so
	is.Equal(d.Reason, "COMMUNITY")               // GREEN: a community update
	is.Equal(d.Incident.ID, inc)                  // the incident
	is.Equal(d.Incident.TLP, "GREEN")             // its TLP
	is.Equal(d.Incident.Title, "Tấn công GREEN")  // its title

	// The public key as partners fetch it.
	rec := httptest.NewRecorder()
	WebhookKeysHandler(e.key.Public().(ed25519.PublicKey))(rec, httptest.NewRequest(http.MethodGet, "/.well-known/dieuphoi/keys", nil))
	var keys struct {
		WebhookKey []byte `json:"webhookKey"` // base64 in JSON
	}
	is.NoErr(json.Unmarshal(rec.Body.Bytes(), &keys)) // keys document
	pub := ed25519.PublicKey(keys.WebhookKey)
	at, err := VerifyWebhook(pub, h.Get(HeaderWebhookSignature), body)
	is.NoErr(err)                         // the signature verifies
	is.True(time.Since(at) < time.Minute) // and says when it was made
	tampered := slices.Clone(body)
	tampered[len(tampered)-2] ^= 1
	_, err = VerifyWebhook(pub, h.Get(HeaderWebhookSignature), tampered)
	is.True(err != nil) // the signature covers the body
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	_, err = VerifyWebhook(other.Public().(ed25519.PublicKey), h.Get(HeaderWebhookSignature), body)
	is.True(err != nil) // another key does not verify it
}

func fmtSeq(s uint64) string { return strconv.FormatUint(s, 10) }

// TestWebhookRetryThenSuccess: an endpoint that fails the first 3 attempts of every change gets
// them again after the back-off, then once successfully; nothing is dead-lettered.
func TestWebhookRetryThenSuccess(t *testing.T) {
	is := is.New(t)
	e := mustHookEnv(t)
	ep := mustEndpoint(t, failFirst(3))
	hook := e.register(t, ep.srv.URL)
	backoff := []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond}
	r := e.mustReplica(t, fastHooks(10, backoff...))
	var seqs []uint64
	for range 3 {
		_, seq := e.open(t, hookPolice, domain.TLPGreen, false)
		seqs = append(seqs, seq)
	}
	ep.waitDelivered(t, 20*time.Second, seqs...)
	attempts, delivered := ep.snapshot()
	ep.mu.Lock()
	defer ep.mu.Unlock()
	for _, s := range seqs {
		is.Equal(attempts[s], 4)  // 3 failures, then success
		is.Equal(delivered[s], 1) // delivered once
		at := ep.attempts[s]
		for i := 1; i < len(at); i++ {
			is.True(at[i].Sub(at[i-1]) >= backoff[i-1]) // each retry waited its back-off at least
		}
	}
	dl, err := r.proj.Webhooks.DeadLetters(hookCERT, hook)
	is.NoErr(err)        // dead letters
	is.Equal(len(dl), 0) // none
}

// TestWebhookDeadLetter: after MaxDeliver failed attempts the change is on the dead-letter list
// (once) and tried no more.
func TestWebhookDeadLetter(t *testing.T) {
	is := is.New(t)
	e := mustHookEnv(t)
	ep := mustEndpoint(t, func(uint64, int) int { return http.StatusServiceUnavailable })
	hook := e.register(t, ep.srv.URL)
	r := e.mustReplica(t, fastHooks(3, 10*time.Millisecond))
	_, seq := e.open(t, hookPolice, domain.TLPClear, false)
	var dl []projections.DeadLetter
	waitFor(t, "the dead letter", 20*time.Second, func() bool {
		var err error
		dl, err = r.proj.Webhooks.DeadLetters(hookCERT, hook)
		return err == nil && len(dl) > 0
	})
	is.Equal(len(dl), 1)                                  // one dead letter
	is.Equal(dl[0].Sequence, seq)                         // for the change
	is.Equal(dl[0].Attempts, 3)                           // after MaxDeliver attempts
	is.Equal(dl[0].Status, 503)                           // the last answer
	is.Equal(dl[0].Error, "HTTP 503 Service Unavailable") // why
	attempts, delivered := ep.snapshot()
	is.Equal(attempts[seq], 3)  // tried MaxDeliver times
	is.Equal(delivered[seq], 0) // never delivered

	// Another organisation does not see the webhook, nor its dead letters.
	_, err := r.proj.Webhooks.DeadLetters(hookPolice, hook)
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // another org's webhook
	_, err = r.proj.Webhooks.DeadLetters(actor("vncert", "k", domain.RolePartner), hook)
	is.Equal(domain.ErrorCode(err), domain.EFORBIDDEN) // a partner-role user of the org
}

// TestWebhookRestart: a replica stops while the endpoint is failing; another replica, on its own
// connection, takes over: every change is delivered, none lost, none delivered twice.
func TestWebhookRestart(t *testing.T) {
	is := is.New(t)
	e := mustHookEnv(t)
	ep := mustEndpoint(t, func(uint64, int) int { return http.StatusBadGateway })
	e.register(t, ep.srv.URL)
	tune := fastHooks(1000, 30*time.Millisecond)
	a := e.mustReplica(t, tune)
	var seqs []uint64
	for range 5 {
		_, seq := e.open(t, hookPolice, domain.TLPGreen, false)
		seqs = append(seqs, seq)
	}
	waitFor(t, "failed attempts on replica A", 20*time.Second, func() bool {
		at, _ := ep.snapshot()
		for _, s := range seqs {
			if at[s] < 2 {
				return false
			}
		}
		return true
	})
	a.stop()
	ep.setStatus(nil) // the partner is back
	for range 5 {     // changes while no replica delivers
		_, seq := e.open(t, hookPolice, domain.TLPGreen, false)
		seqs = append(seqs, seq)
	}
	e.mustReplica(t, tune) // replica B
	ep.waitDelivered(t, 30*time.Second, seqs...)
	_, delivered := ep.snapshot()
	for _, s := range seqs {
		is.Equal(delivered[s], 1) // each change delivered exactly once
	}
	is.Equal(len(delivered), len(seqs)) // and nothing else
}

// TestWebhookTwoReplicas: two replicas deliver from the same consumer at once: each change is
// delivered once, even through retries.
func TestWebhookTwoReplicas(t *testing.T) {
	is := is.New(t)
	e := mustHookEnv(t)
	ep := mustEndpoint(t, func(seq uint64, attempt int) int {
		if seq%3 == 0 && attempt == 1 {
			return http.StatusInternalServerError // some retries, to be taken by either replica
		}
		return http.StatusOK
	})
	e.register(t, ep.srv.URL)
	tune := fastHooks(10, 10*time.Millisecond)
	e.mustReplica(t, tune)
	e.mustReplica(t, tune)
	var seqs []uint64
	for range 40 {
		_, seq := e.open(t, hookPolice, domain.TLPGreen, false)
		seqs = append(seqs, seq)
	}
	ep.waitDelivered(t, 30*time.Second, seqs...)
	_, delivered := ep.snapshot()
	for _, s := range seqs {
		is.Equal(delivered[s], 1) // each change delivered exactly once
	}
}

// TestWebhookNeverLeaks: a change the webhook's organisation may not see is never POSTed
// (another organisation's AMBER incident, a RED one); what it may see is.
func TestWebhookNeverLeaks(t *testing.T) {
	is := is.New(t)
	e := mustHookEnv(t)
	ep := mustEndpoint(t, nil)
	e.register(t, ep.srv.URL)
	e.mustReplica(t, fastHooks(3, time.Millisecond))

	_, amber := e.open(t, hookPolice, domain.TLPAmber, false)
	_, red := e.open(t, hookPolice, domain.TLPRed, false)
	// Shared later: its earlier changes may go out or not, depending on whether the share is
	// known when they are handled (the organisation may see the incident by then, so either is
	// no leak); the share itself is delivered.
	secret, _ := e.open(t, hookPolice, domain.TLPAmber, false)
	shareSeq := e.writer.do(t, secret, hookPolice, domain.Share{Orgs: []string{"vncert"}})
	_, green := e.open(t, hookPolice, domain.TLPGreen, false)
	ep.waitDelivered(t, 10*time.Second, shareSeq, green) // the later ones arrived: the earlier ones were decided
	_, delivered := ep.snapshot()
	is.Equal(delivered[amber], 0)    // another org's AMBER incident
	is.Equal(delivered[red], 0)      // a RED incident
	is.Equal(delivered[shareSeq], 1) // shared with the org: delivered
	is.Equal(delivered[green], 1)    // GREEN: delivered
	ep.mu.Lock()
	var d struct {
		Reason string `json:"reason"`
	}
	is.NoErr(json.Unmarshal(ep.bodies[shareSeq], &d))
	ep.mu.Unlock()
	is.Equal(d.Reason, "SHARED") // says why
}

// TestWebhookDisable: disabling a webhook stops its deliveries and deletes its consumer; Run
// leaves no goroutine behind when it stops.
func TestWebhookDisable(t *testing.T) {
	is := is.New(t)
	e := mustHookEnv(t)
	ep := mustEndpoint(t, nil)
	hook := e.register(t, ep.srv.URL)
	waitFor(t, "the writer's read models", 10*time.Second, func() bool { return e.writer.proj.Applied() > 0 })
	base := clientGoroutines() // the server, the endpoint and the writer replica, all running
	r := e.mustReplica(t, fastHooks(3, time.Millisecond))
	_, seq := e.open(t, hookPolice, domain.TLPGreen, false)
	ep.waitDelivered(t, 10*time.Second, seq)
	js := e.writer.store.JetStream()
	_, err := js.Consumer(context.Background(), e.writer.store.Config().Stream, WebhookConsumer(hook))
	is.NoErr(err) // the durable consumer exists

	disabled := e.writer.do(t, hook, hookCERT, domain.DisableWebhook{Reason: "test"})
	waitFor(t, "the consumer deleted", 10*time.Second, func() bool {
		_, err := js.Consumer(context.Background(), e.writer.store.Config().Stream, WebhookConsumer(hook))
		return errors.Is(err, jetstream.ErrConsumerNotFound)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	is.NoErr(r.proj.WaitFor(ctx, disabled)) // the replica saw the disabling
	_, later := e.open(t, hookPolice, domain.TLPGreen, false)
	is.NoErr(r.proj.WaitFor(ctx, later)) // and the later change
	_, delivered := ep.snapshot()
	is.Equal(delivered[later], 0) // not delivered: disabled

	r.stop()
	ep.srv.Close()
	deadline := time.Now().Add(15 * time.Second)
	for clientGoroutines() > base && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := clientGoroutines(); n > base {
		buf := make([]byte, 4<<20)
		t.Fatalf("%d goroutines, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// clientGoroutines counts the goroutines of this process that are not the embedded
// nats-server's (the server keeps a stopped replica's ephemeral consumers for a while).
func clientGoroutines() int {
	buf := make([]byte, 4<<20)
	n := 0
	for g := range strings.SplitSeq(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if !strings.Contains(g, "nats-server") {
			n++
		}
	}
	return n
}

// TestWebhookNoRedirectElsewhere: a redirect to another host is not followed (the POST and its
// signature never reach it); the redirect counts as a failed attempt.
func TestWebhookNoRedirectElsewhere(t *testing.T) {
	is := is.New(t)
	e := mustHookEnv(t)
	other := mustEndpoint(t, nil)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.srv.URL+"/stolen", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	hook := e.register(t, strings.Replace(redirect.URL, "127.0.0.1", "localhost", 1)) // another host name than other's
	r := e.mustReplica(t, fastHooks(1, time.Millisecond))
	_, seq := e.open(t, hookPolice, domain.TLPGreen, false)
	var dl []projections.DeadLetter
	waitFor(t, "the dead letter", 20*time.Second, func() bool {
		dl, _ = r.proj.Webhooks.DeadLetters(hookCERT, hook)
		return len(dl) > 0
	})
	is.Equal(dl[0].Sequence, seq) // dead-lettered
	is.Equal(dl[0].Status, 307)   // the redirect was the answer
	attempts, _ := other.snapshot()
	is.Equal(len(attempts), 0) // the other host got nothing
}
