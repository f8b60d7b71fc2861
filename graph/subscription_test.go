package graph_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph"
)

// TestSlowSubscriber: a subscriber that stops reading is cut off with a reason it gets when it
// reads again (an error on the subscription, code TOO_SLOW, with the last sequence delivered),
// and resumes from there with nothing lost; meanwhile another subscriber gets every change as
// it happens.
func TestSlowSubscriber(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withDeps(func(d *graph.Deps) { d.SubscriptionBuffer = 4 }))
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	id, _ := e.MustOpen(t, police, "Tấn công có chủ đích", domain.TLPAmber)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// The slow client reads nothing, through a small receive buffer, so that the server's
	// writes to it block after a few large messages.
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	slow, err := e.Dial(ctx, police, &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}})
	is.NoErr(err) // slow client
	defer slow.c.CloseNow()
	is.NoErr(slow.Subscribe(ctx, "slow", `subscription { incidentChanged { sequence incidentId removed types incident { id phase notes { text } } } }`, nil))
	fast := e.MustDial(t, police)
	is.NoErr(fast.Subscribe(ctx, "fast", incidentChangedQuery, nil))
	eventually(t, "both subscriptions", 5*time.Second, func() bool { return e.proj.Incidents.Subscribers() == 2 })
	got := make(chan uint64, 1000)
	go func() {
		defer close(got)
		for {
			c, err := fast.NextChange(ctx, "fast")
			if err != nil {
				return
			}
			got <- c.Sequence
		}
	}()

	text := strings.Repeat("nhật ký phân tích ", 700) // about 16 KB per note; the slow feed sends them all each time
	var seqs []uint64
	for i := 0; i < 300 && e.proj.Incidents.Subscribers() == 2; i++ {
		seq := e.MustNote(t, police, id, text)
		seqs = append(seqs, seq)
		select {
		case s := <-got:
			is.Equal(s, seq) // the fast subscriber got the change, in order, while the slow one is stuck
		case <-time.After(10 * time.Second):
			t.Fatalf("the fast subscriber did not get sequence %d", seq)
		}
	}
	is.Equal(e.proj.Incidents.Subscribers(), 1) // the slow subscriber was cut off

	// Reading again, the slow client gets what was sent before the cut, then the reason.
	var last uint64
	for {
		m, err := slow.Next(ctx)
		is.NoErr(err) // the socket stays open
		if m.Type == "error" {
			is.Equal(m.ID, "slow") // on the subscription
			var errs []gqlError
			is.NoErr(json.Unmarshal(m.Payload, &errs))
			is.Equal(errs[0].Extensions["code"], "TOO_SLOW")                     // why
			is.True(strings.Contains(errs[0].Message, "resubscribe with since")) // what to do
			is.Equal(errs[0].Extensions["since"], float64(last))                 // from where
			break
		}
		is.Equal(m.Type, "next")
		var p struct {
			Data struct {
				IncidentChanged change `json:"incidentChanged"`
			} `json:"data"`
		}
		is.NoErr(json.Unmarshal(m.Payload, &p))
		is.True(p.Data.IncidentChanged.Sequence > last) // in order
		last = p.Data.IncidentChanged.Sequence
	}
	is.True(last < seqs[len(seqs)-1]) // it had fallen behind
	t.Logf("cut off after %d notes, having received up to sequence %d of %d", len(seqs), last, seqs[len(seqs)-1])

	// Resubscribing with since gets exactly the rest.
	is.NoErr(slow.Subscribe(ctx, "again", incidentChangedQuery, map[string]any{"since": last}))
	for _, want := range seqs {
		if want <= last {
			continue
		}
		c, err := slow.NextChange(ctx, "again")
		is.NoErr(err)
		is.Equal(c.Sequence, want) // no gap, no duplicate
	}
}

// TestSubscriptionCyclesDoNotLeak: subscribing and unsubscribing (or dropping the socket) 200
// times leaves no goroutine behind.
func TestSubscriptionCyclesDoNotLeak(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cycle := func(i int) {
		w, err := e.Dial(ctx, police, nil)
		is.NoErr(err) // dial
		is.NoErr(w.Subscribe(ctx, "1", incidentChangedQuery, nil))
		eventually(t, "the subscription", 5*time.Second, func() bool { return e.proj.Incidents.Subscribers() == 1 })
		if i%2 == 0 {
			is.NoErr(w.Complete(ctx, "1")) // unsubscribe, then leave
			m, err := w.Next(ctx)
			is.NoErr(err)
			is.Equal(m.Type, "complete")
			is.NoErr(w.c.Close(websocket.StatusNormalClosure, ""))
		} else {
			w.c.CloseNow() // drop the connection
		}
		eventually(t, "the subscription to end", 5*time.Second, func() bool { return e.proj.Incidents.Subscribers() == 0 })
	}
	settled := func() bool {
		var b strings.Builder
		e.gs.WriteMetrics(&b)
		return strings.Contains(b.String(), "dieuphoi_websocket_connections 0\n") && strings.Contains(b.String(), "dieuphoi_subscriptions_open 0\n")
	}
	cycle(0) // warm up the client and the server
	eventually(t, "the warm-up socket to close", 10*time.Second, settled)
	base := runtime.NumGoroutine()
	for i := range 200 {
		cycle(i)
	}
	eventually(t, "sockets and subscriptions to close", 10*time.Second, settled)
	n := 0
	eventually(t, "goroutines back near the baseline", 15*time.Second, func() bool { n = runtime.NumGoroutine(); return n <= base+3 })
	t.Logf("goroutines: %d before, %d after 200 cycles", base, n)
}

// TestRevokeClosesSocket: revoking a token closes the websockets that use it, with 4403.
func TestRevokeClosesSocket(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t)
	tok, claims := e.MustTokenAt(t, "police", "an", domain.RoleCoordinator, e.clock.Now(), 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w := e.MustDial(t, tok)
	is.NoErr(w.Subscribe(ctx, "1", incidentChangedQuery, nil))
	eventually(t, "the subscription", 5*time.Second, func() bool { return e.proj.Incidents.Subscribers() == 1 })
	e.MustPost(t, tok, `mutation($id: ID!) { revokeToken(input: {tokenId: $id}) { tokenId sequence } }`, map[string]any{"id": claims.TokenID}, nil)
	code, reason := closeStatus(w.UntilClosed(ctx))
	is.Equal(code, websocket.StatusCode(4403))   // closed
	is.True(strings.Contains(reason, "revoked")) // because the token was revoked
	eventually(t, "the subscription to end", 5*time.Second, func() bool { return e.proj.Incidents.Subscribers() == 0 })
}

// TestExpiryClosesSocket: a socket ends when its token expires by the service's clock.
func TestExpiryClosesSocket(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t)
	tok, _ := e.MustTokenAt(t, "police", "an", domain.RoleCoordinator, e.clock.Now(), 2*time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w := e.MustDial(t, tok)
	is.NoErr(w.Subscribe(ctx, "1", incidentChangedQuery, nil))
	eventually(t, "the subscription", 5*time.Second, func() bool { return e.proj.Incidents.Subscribers() == 1 })
	e.clock.Advance(3 * time.Minute)
	code, reason := closeStatus(w.UntilClosed(ctx))
	is.Equal(code, websocket.StatusCode(4403))   // closed
	is.True(strings.Contains(reason, "expired")) // because the token expired
	eventually(t, "the subscription to end", 5*time.Second, func() bool { return e.proj.Incidents.Subscribers() == 0 })
}

// TestShutdownClosesSockets: Close ends every websocket with 1001 and refuses new ones.
func TestShutdownClosesSockets(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w := e.MustDial(t, police)
	is.NoErr(w.Subscribe(ctx, "1", incidentChangedQuery, nil))
	eventually(t, "the subscription", 5*time.Second, func() bool { return e.proj.Incidents.Subscribers() == 1 })
	closed := make(chan error, 1)
	go func() { closed <- w.UntilClosed(ctx) }() // a client reads all the time
	e.gs.Close()
	code, _ := closeStatus(<-closed)
	is.Equal(code, websocket.StatusGoingAway)   // going away: reconnect elsewhere
	is.Equal(e.proj.Incidents.Subscribers(), 0) // the subscription ended
	_, err := e.Dial(ctx, police, nil)
	is.True(err != nil) // no new sockets
}
