package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/graph"
)

// benchEnv reads a positive integer from the environment, or returns def.
func benchEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// raiseFileLimit lifts the soft open-file limit to at least n (within the hard limit) for the
// benchmark's duration: every websocket costs two descriptors here, the client's and the server's.
func raiseFileLimit(b *testing.B, n uint64) {
	b.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatalf("getrlimit: %v", err)
	}
	if lim.Cur >= n {
		return
	}
	old := lim
	lim.Cur = min(n, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatalf("setrlimit %d: %v", n, err)
	}
	if lim.Cur < n {
		b.Logf("open-file limit is %d (hard), fewer than the %d wanted", lim.Cur, n)
	}
	b.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// delivery is one change as a subscriber received it: the stream sequence and when, since the
// benchmark's start on the monotonic clock.
type delivery struct {
	seq uint64
	at  time.Duration
}

// benchSub is one websocket subscriber.
type benchSub struct {
	actor   domain.Actor
	w       *wsClient
	got     []delivery // written by the read loop only; read after done
	n       atomic.Int64
	err     error // why the read loop ended, when not after our own complete
	tooSlow bool
	done    chan struct{}
}

// read receives the subscription's messages until the server completes it (after our
// complete), then closes the socket. It answers pings, as a client must. It reads without a
// context that can end (CloseNow ends a read): with one, every read registers with and leaves
// that context, and a thousand clients sharing one contend for its lock.
func (s *benchSub) read(t0 time.Time) {
	ctx := context.Background()
	defer close(s.done)
	for {
		_, b, err := s.w.c.Read(ctx)
		if err != nil {
			s.err = err
			return
		}
		at := time.Since(t0)
		var m struct {
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			s.err = fmt.Errorf("message is not JSON: %s", b)
			s.w.c.CloseNow()
			return
		}
		switch m.Type {
		case "next":
			var p struct {
				Data struct {
					IncidentChanged struct {
						Sequence uint64 `json:"sequence"`
					} `json:"incidentChanged"`
				} `json:"data"`
				Errors []gqlError `json:"errors"`
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
				s.err = fmt.Errorf("next: %v %+v", err, p.Errors)
				s.w.c.CloseNow()
				return
			}
			s.got = append(s.got, delivery{p.Data.IncidentChanged.Sequence, at})
			s.n.Add(1)
		case "ping":
			if err := s.w.send(ctx, wsMessage{Type: "pong"}); err != nil {
				s.err = err
				return
			}
		case "pong":
		case "complete":
			s.w.c.Close(websocket.StatusNormalClosure, "")
			return
		case "error":
			var errs []gqlError
			_ = json.Unmarshal(m.Payload, &errs)
			s.tooSlow = len(errs) > 0 && errs[0].Extensions["code"] == "TOO_SLOW"
			s.err = fmt.Errorf("subscription ended: %s", m.Payload)
			s.w.c.Close(websocket.StatusNormalClosure, "")
			return
		default:
			s.err = fmt.Errorf("unexpected %s message: %s", m.Type, b)
			s.w.c.CloseNow()
			return
		}
	}
}

// benchIncident is one incident the writer adds notes to, with the audience it had once set up.
type benchIncident struct {
	id     string
	author domain.Actor
	aud    domain.Audience
}

// ack is a write as the writer saw it acknowledged.
type ack struct {
	inc int
	at  time.Duration
}

// BenchmarkSubscribers: 1,000 websocket subscribers (graphql-transport-ws over loopback to the
// real graph server, each with its own token, from 8 organisations in 4 roles) receive
// incidentChanged while a writer adds notes at 500 a second for 10 s through the command path
// (eventstore Repo.Update, as the addNote resolver does, without the HTTP round trip). 60 of the
// 100 incidents are TLP:GREEN (everyone sees their changes), 40 are TLP:AMBER, seen only by
// their originator and the organisations they are shared with. It reports delivery latency from
// the writer's acknowledged append to each subscriber's receipt, checks that every visible
// change arrived exactly once, and counts goroutines before, during and after.
//
// Beforehand it measures the same fan-out with a bare websocket server (raw-ws-deliveries/s),
// the machine's floor; deliveries/s beside it shows what the graph server costs on top when the
// load saturates the machine (DIEUPHOI_BENCH_RAW=0 skips it).
//
// The fixed workload runs once whatever b.N (use -benchtime 1x). DIEUPHOI_BENCH_SUBSCRIBERS,
// DIEUPHOI_BENCH_SECONDS and DIEUPHOI_BENCH_RATE (events a second) make it smaller or larger.
func BenchmarkSubscribers(b *testing.B) {
	for i := range b.N {
		if i > 0 {
			break // one fixed workload per run
		}
		benchSubscribers(b, benchEnv("DIEUPHOI_BENCH_SUBSCRIBERS", 1000), benchEnv("DIEUPHOI_BENCH_SECONDS", 10), benchEnv("DIEUPHOI_BENCH_RATE", 500))
	}
}

// rawFanout measures the floor under the graph server: as many websockets over loopback, a
// plain coder/websocket server that writes one pre-encoded message of the subscription's shape to
// each of them per event (one goroutine per socket, as gqlgen has), and the same clients. It
// returns the deliveries a second this machine manages that way, with everything torn down.
func rawFanout(b *testing.B, nSubs, events int) float64 {
	b.Helper()
	msg := []byte(`{"id":"s","type":"next","payload":{"data":{"incidentChanged":{"sequence":123456,"incidentId":"bench-042"}}}}`)
	var mu sync.Mutex
	var feeds []chan []byte
	var handlers sync.WaitGroup
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		feed := make(chan []byte, events+1)
		mu.Lock()
		feeds = append(feeds, feed)
		mu.Unlock()
		for m := range feed {
			if err := c.Write(r.Context(), websocket.MessageText, m); err != nil {
				return
			}
		}
		c.Close(websocket.StatusNormalClosure, "")
	}))
	defer hs.Close()
	t0 := time.Now()
	subs := make([]*benchSub, nSubs)
	for i := range subs {
		c, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(hs.URL, "http"), nil)
		if err != nil {
			b.Fatalf("raw dial: %v", err)
		}
		subs[i] = &benchSub{w: &wsClient{c: c}, done: make(chan struct{})}
		go subs[i].read(t0)
	}
	defer func() {
		for _, s := range subs {
			s.w.c.CloseNow()
			<-s.done
		}
		handlers.Wait()
	}()
	eventually(b, "raw sockets", 30*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(feeds) == nSubs })
	start := time.Now()
	for range events {
		for _, f := range feeds {
			f <- msg
		}
	}
	for _, s := range subs {
		for s.n.Load() < int64(events) {
			select {
			case <-s.done:
				b.Fatalf("raw subscriber ended: %v", s.err)
			case <-time.After(time.Millisecond):
			}
		}
	}
	elapsed := time.Since(start)
	for _, f := range feeds {
		f <- []byte(`{"type":"complete","id":"s"}`)
		close(f)
	}
	return float64(nSubs*events) / elapsed.Seconds()
}

func benchSubscribers(b *testing.B, nSubs, seconds, rate int) {
	raiseFileLimit(b, uint64(2*nSubs+1024))
	b.StopTimer()
	raw := 0.0
	if os.Getenv("DIEUPHOI_BENCH_RAW") != "0" {
		raw = rawFanout(b, nSubs, 200)
	}
	// The service's clock is the real one, as in production: the tests' movable clock takes a
	// lock on every reading, which a thousand subscriptions contend for.
	e := MustEnv(b, withDeps(func(d *graph.Deps) { d.Now = time.Now }))
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second+5*time.Minute)
	defer cancel()
	repo := eventstore.NewRepo(e.store, domain.NewIncident)

	// The incidents: GREEN ones from several originators, AMBER ones each shared with one other
	// organisation. orgs[7] (soc-dic) originates nothing and receives no share: it sees GREEN only.
	orgs := []string{"police", "dic", "cert-health", "vncert", "military", "dept-health", "cert-finance", "soc-dic"}
	roles := []domain.Role{domain.RoleCoordinator, domain.RoleResponder, domain.RoleReviewer, domain.RolePartner}
	const nIncidents, nGreen = 100, 60
	incidents := make([]benchIncident, nIncidents)
	for i := range incidents {
		origin := orgs[i%5]
		inc := &incidents[i]
		inc.id = fmt.Sprintf("bench-%03d", i)
		inc.author = domain.Actor{Org: origin, User: "writer-" + origin, Role: domain.RoleCoordinator}
		inv := domain.Invocation{Actor: inc.author, Now: time.Now(), Config: e.cfg}
		_, err := repo.Update(ctx, inc.id, eventstore.CommandMeta{CommandName: domain.CmdOpenIncident, Actor: inc.author, At: inv.Now}, func(x *domain.Incident) error {
			tlp := domain.TLPGreen
			if i >= nGreen {
				tlp = domain.TLPAmber
			}
			err := x.Open(inv, domain.OpenIncident{Title: fmt.Sprintf("Sự cố thử tải %d", i), Type: "MALWARE", Severity: domain.SeverityHigh,
				TLP: tlp, DetectedAt: inv.Now.Add(-time.Hour)})
			if err == nil && tlp == domain.TLPAmber {
				err = x.Share(inv, domain.Share{Orgs: []string{orgs[5+i%2]}})
			}
			inc.aud = x.Audience()
			return err
		})
		if err != nil {
			b.Fatalf("open incident %d: %v", i, err)
		}
	}

	// One token per subscriber, issued through the log like `dieuphoi token`.
	subs := make([]*benchSub, nSubs)
	tokens := make([]string, nSubs)
	for i := range subs {
		a := domain.Actor{Org: orgs[i%len(orgs)], User: "u" + strconv.Itoa(i), Role: roles[(i/len(orgs))%len(roles)]}
		subs[i] = &benchSub{actor: a, done: make(chan struct{})}
		tokens[i] = e.MustToken(b, a.Org, a.User, a.Role)
	}
	if err := e.proj.WaitFor(ctx, e.MustLast(b)); err != nil {
		b.Fatal(err)
	}
	// visible[s][i]: whether subscriber s may see incident i, by the domain policy itself (the
	// hub decides with the read models' precomputed readers).
	visible := make([][]bool, nSubs)
	for s, sub := range subs {
		visible[s] = make([]bool, nIncidents)
		for i, inc := range incidents {
			visible[s][i] = domain.CanRead(sub.actor, inc.aud, e.cfg)
		}
	}

	runtime.GC()
	goroutinesBefore := runtime.NumGoroutine()

	// Connect and subscribe, 32 at a time.
	t0 := time.Now()
	const query = `subscription { incidentChanged { sequence incidentId } }`
	var wg sync.WaitGroup
	var dialErr atomic.Pointer[error]
	sem := make(chan struct{}, 32)
	for i, s := range subs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
			defer dcancel()
			w, err := e.Dial(dctx, tokens[i], nil)
			if err == nil {
				if err = w.Subscribe(dctx, "s", query, nil); err != nil {
					w.c.CloseNow()
				}
			}
			if err != nil {
				err = fmt.Errorf("subscriber %d (%s/%s): %w", i, s.actor.Org, s.actor.Role, err)
				dialErr.CompareAndSwap(nil, &err)
				close(s.done)
				return
			}
			s.w = w
			go s.read(t0)
		}()
	}
	wg.Wait()
	// On the way out, whatever happened, no socket stays open.
	defer func() {
		for _, s := range subs {
			if s.w != nil {
				s.w.c.CloseNow()
			}
			<-s.done
		}
	}()
	if err := dialErr.Load(); err != nil {
		b.Fatal(*err)
	}
	eventually(b, "every subscription to start", 60*time.Second, func() bool { return e.proj.Incidents.Subscribers() == nSubs })
	b.Logf("%d subscribers connected and subscribed in %s", nSubs, time.Since(t0).Round(time.Millisecond))
	goroutinesDuring := runtime.NumGoroutine()

	// The writer: a ticker hands one note a tick to 8 workers (an append waits for its
	// acknowledgement, so one goroutine alone would cap the rate at 1/latency); ticks the workers
	// cannot take are dropped, and the achieved rate says so.
	b.StartTimer()
	var (
		acksMu   sync.Mutex
		acks     = map[uint64]ack{}
		writeErr atomic.Pointer[error]
		jobs     = make(chan int, 16) // little queue: what the workers cannot take is dropped, not written late
		workers  sync.WaitGroup
	)
	for range 8 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for n := range jobs {
				inc := &incidents[n%nIncidents]
				inv := domain.Invocation{Actor: inc.author, Now: time.Now(), Config: e.cfg}
				res, err := repo.Update(ctx, inc.id, eventstore.CommandMeta{CommandName: domain.CmdAddNote, Actor: inc.author, At: inv.Now}, func(x *domain.Incident) error {
					return x.AddNote(inv, domain.AddNote{NoteID: "n" + strconv.Itoa(n), Text: "Cập nhật tình hình xử lý số " + strconv.Itoa(n)})
				})
				at := time.Since(t0)
				if err != nil {
					err = fmt.Errorf("note %d on %s: %w", n, inc.id, err)
					writeErr.CompareAndSwap(nil, &err)
					continue
				}
				acksMu.Lock()
				acks[res.Sequence] = ack{inc: n % nIncidents, at: at}
				acksMu.Unlock()
			}
		}()
	}
	// Each tick hands out the notes due by then, so a late tick does not lower the rate.
	tick := time.NewTicker(time.Second / time.Duration(rate))
	writeStart := time.Now()
	due, dropped := rate*seconds, 0
	for n := 0; n < due; {
		now := <-tick.C
		for upTo := min(due, int(now.Sub(writeStart).Seconds()*float64(rate))); n < upTo; n++ {
			select {
			case jobs <- n:
			default:
				dropped++
			}
		}
	}
	tick.Stop()
	close(jobs)
	workers.Wait()
	writeTime := time.Since(writeStart)
	if err := writeErr.Load(); err != nil {
		b.Fatal(*err)
	}
	goroutinesDuring = max(goroutinesDuring, runtime.NumGoroutine())

	// Every subscriber must receive every change it may see: wait for the counts, then end the
	// subscriptions (a duplicate arriving before the server's complete is still counted).
	expected := make([]int64, nSubs)
	var total int64
	for s := range subs {
		for _, a := range acks {
			if visible[s][a.inc] {
				expected[s]++
			}
		}
		total += expected[s]
	}
	reached := func() bool {
		for s, sub := range subs {
			if sub.n.Load() < expected[s] {
				select {
				case <-sub.done: // ended early: it will not get more
				default:
					return false
				}
			}
		}
		return true
	}
	waitUntil := time.Now().Add(60 * time.Second)
	for !reached() && time.Now().Before(waitUntil) {
		time.Sleep(20 * time.Millisecond)
	}
	drain := time.Since(writeStart) - writeTime
	b.StopTimer()
	for _, s := range subs {
		select {
		case <-s.done:
		default:
			_ = s.w.Complete(ctx, "s")
		}
	}
	for _, s := range subs {
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			b.Fatalf("subscriber %s/%s did not end after complete", s.actor.Org, s.actor.User)
		}
	}

	// Latency of every delivery; missing, duplicate, unexpected and out-of-order ones.
	lat := make([]time.Duration, 0, total)
	var missing, dups, unexpected, disorder, early, slow, ended int
	for s, sub := range subs {
		if sub.tooSlow {
			slow++
		}
		if sub.err != nil {
			ended++
			if ended <= 3 {
				b.Logf("subscriber %s/%s: %v", sub.actor.Org, sub.actor.User, sub.err)
			}
		}
		seen := make(map[uint64]bool, len(sub.got))
		var last uint64
		for _, d := range sub.got {
			if d.seq <= last {
				disorder++
			}
			last = d.seq
			a, ok := acks[d.seq]
			switch {
			case !ok || !visible[s][a.inc]:
				unexpected++
				continue
			case seen[d.seq]:
				dups++
				continue
			}
			seen[d.seq] = true
			l := d.at - a.at
			if l < 0 { // the projection published before the acknowledgement reached the writer
				early++
				l = 0
			}
			lat = append(lat, l)
		}
		missing += int(expected[s]) - len(seen)
	}

	// The subscribers are gone: the goroutines must return to where they were.
	goroutinesAfter := runtime.NumGoroutine()
	for end := time.Now().Add(15 * time.Second); goroutinesAfter > goroutinesBefore && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
		goroutinesAfter = runtime.NumGoroutine()
	}

	achieved := float64(len(acks)) / writeTime.Seconds()
	b.Logf("writer: %d notes acknowledged in %s (%.0f/s of %d/s asked; %d ticks dropped); %d deliveries expected, %d received with latency, drained %s after the last write",
		len(acks), writeTime.Round(time.Millisecond), achieved, rate, dropped, total, len(lat), drain.Round(time.Millisecond))
	b.Logf("missing %d, duplicate %d, unexpected %d, out of order %d, before the ack %d; subscriptions ended early %d (too slow %d)",
		missing, dups, unexpected, disorder, early, ended, slow)
	b.Logf("goroutines: %d before, %d with %d subscribers, %d after", goroutinesBefore, goroutinesDuring, nSubs, goroutinesAfter)
	if len(lat) > 0 {
		slices.Sort(lat)
		ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / 1e6 }
		b.ReportMetric(ms(0.5), "delivery-p50-ms")
		b.ReportMetric(ms(0.99), "delivery-p99-ms")
		b.ReportMetric(ms(1), "delivery-max-ms")
	}
	b.ReportMetric(achieved, "events/s")
	b.ReportMetric(float64(total)/(writeTime+drain).Seconds(), "deliveries/s")
	b.ReportMetric(raw, "raw-ws-deliveries/s")
	b.ReportMetric(float64(nSubs), "subscribers")
	b.ReportMetric(float64(goroutinesBefore), "goroutines-before")
	b.ReportMetric(float64(goroutinesDuring), "goroutines-during")
	b.ReportMetric(float64(goroutinesAfter), "goroutines-after")
	if missing > 0 || dups > 0 || unexpected > 0 || disorder > 0 || ended > 0 {
		b.Fatalf("deliveries: %d missing, %d duplicate, %d unexpected, %d out of order; %d subscriptions ended early", missing, dups, unexpected, disorder, ended)
	}
	if goroutinesAfter > goroutinesBefore+5 {
		b.Fatalf("goroutines: %d before the subscribers, %d after they left", goroutinesBefore, goroutinesAfter)
	}
}
