package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
)

// TestWebsocketAuth: connection_init without a good token closes the socket with 4403 and the
// reason; a browser from another origin cannot open one.
func TestWebsocketAuth(t *testing.T) {
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	for _, c := range []struct {
		name, token, reason string
	}{
		{"forged token", police[:len(police)-4] + "AAAA", "signature"},
		{"no token", "", "no token"},
		{"not a token", "hello", "not a dieuphoi token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := e.Dial(ctx, c.token, nil)
			code, reason := closeStatus(err)
			is.Equal(code, websocket.StatusCode(4403))  // refused with 4403: clients do not retry it blindly
			is.True(strings.Contains(reason, c.reason)) // with the reason
		})
	}
	t.Run("other origin", func(t *testing.T) {
		is := is.New(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, res, err := websocket.Dial(ctx, e.wsURL(), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"},
			HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
		is.True(err != nil)                            // refused
		is.Equal(res.StatusCode, http.StatusForbidden) // before the upgrade
	})
	t.Run("same origin", func(t *testing.T) {
		is := is.New(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		w, err := e.Dial(ctx, police, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {e.hs.URL}}})
		is.NoErr(err) // the board served by the same host
		w.c.Close(websocket.StatusNormalClosure, "")
	})
	t.Run("subscription over POST", func(t *testing.T) {
		is := is.New(t)
		r := e.Post(t, police, incidentChangedQuery, nil)
		is.Equal(r.Code(), "INVALID") // subscriptions need a websocket
	})
}

// TestSubscriptionResume: a subscriber receives changes; after a disconnect it resumes with
// since and gets exactly the changes it missed, then live ones.
func TestSubscriptionResume(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	dic := e.MustToken(t, "dic", "binh", domain.RoleCoordinator)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	w := e.MustDial(t, police)
	is.NoErr(w.Subscribe(ctx, "1", incidentChangedQuery, nil)) // subscribe
	q := e.MustDial(t, dic)
	is.NoErr(q.Subscribe(ctx, "q", `subscription { escalationQueue { sequence incidentId items { id from to status } } }`, nil))
	eventually(t, "both subscriptions", 5*time.Second, func() bool { return e.proj.Incidents.Subscribers() == 2 })

	id, seq := e.MustOpen(t, police, "Tấn công giả mạo", domain.TLPAmber)
	c, err := w.NextChange(ctx, "1")
	is.NoErr(err)                                 // a change
	is.Equal(c.Sequence, seq)                     // of the write
	is.Equal(c.IncidentID, id)                    // on the incident
	is.Equal(c.Types, []string{"IncidentOpened"}) // what happened
	is.Equal(c.Incident.ID, id)                   // with the incident as it is now

	// The DIC's escalation queue gets the whole queue after an escalation to it.
	var esc struct {
		EscalateIncident struct {
			Sequence uint64 `json:"sequence"`
		} `json:"escalateIncident"`
	}
	e.MustPost(t, police, `mutation($id: ID!) { escalateIncident(input: {incidentId: $id, toOrg: "dic", reason: "hỗ trợ"}) { sequence } }`,
		map[string]any{"id": id}, &esc)
	m, err := q.Next(ctx)
	is.NoErr(err) // queue change
	var qc struct {
		Data struct {
			EscalationQueue struct {
				Sequence uint64 `json:"sequence"`
				Items    []struct {
					To     string `json:"to"`
					Status string `json:"status"`
				} `json:"items"`
			} `json:"escalationQueue"`
		} `json:"data"`
	}
	is.NoErr(json.Unmarshal(m.Payload, &qc))
	is.Equal(qc.Data.EscalationQueue.Sequence, esc.EscalateIncident.Sequence) // the escalation
	is.Equal(len(qc.Data.EscalationQueue.Items), 1)                           // the whole queue
	is.Equal(qc.Data.EscalationQueue.Items[0].To, "dic")
	c, err = w.NextChange(ctx, "1")
	is.NoErr(err)
	is.Equal(c.Sequence, esc.EscalateIncident.Sequence) // the incident feed has it too
	received := c.Sequence

	// Disconnect, miss three changes, resume.
	w.c.Close(websocket.StatusNormalClosure, "")
	var missed []uint64
	missed = append(missed, e.MustNote(t, police, id, "một"))
	missed = append(missed, e.MustNote(t, police, id, "hai"))
	missed = append(missed, e.MustNote(t, police, id, "ba"))
	w2 := e.MustDial(t, police)
	is.NoErr(w2.Subscribe(ctx, "2", incidentChangedQuery, map[string]any{"since": received}))
	for _, want := range missed {
		c, err := w2.NextChange(ctx, "2")
		is.NoErr(err)              // a missed change
		is.Equal(c.Sequence, want) // in order, none lost
	}
	live := e.MustNote(t, police, id, "bốn")
	c, err = w2.NextChange(ctx, "2")
	is.NoErr(err)
	is.Equal(c.Sequence, live) // then live ones, none repeated

	// Unsubscribing completes the operation.
	is.NoErr(w2.Complete(ctx, "2"))
	eventually(t, "the subscription to end", 5*time.Second, func() bool { return e.proj.Incidents.Subscribers() == 1 })
}

// TestBadSince: a since that is not a sequence is INVALID. (A since older than what the
// replica retains is INVALID too, from projections.Subscribe; a replica keeps a million changes,
// more than a test can make it forget.)
func TestBadSince(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w := e.MustDial(t, police)
	is.NoErr(w.Subscribe(ctx, "1", incidentChangedQuery, map[string]any{"since": "abc"}))
	m, err := w.Next(ctx)
	is.NoErr(err)
	is.True(strings.Contains(string(m.Payload), `"code":"INVALID"`)) // a bad since is INVALID
}

// TestWebsocketProtocolOrder: graphql-transport-ws's close codes for a client that breaks the
// protocol's order: 4401 for a subscribe before connection_init, 4429 for a second
// connection_init.
func TestWebsocketProtocolOrder(t *testing.T) {
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	t.Run("subscribe first", func(t *testing.T) {
		is := is.New(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, e.wsURL(), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		is.NoErr(err) // upgraded
		defer c.CloseNow()
		w := &wsClient{c: c}
		is.NoErr(w.Subscribe(ctx, "1", incidentChangedQuery, nil)) // before connection_init
		code, reason := closeStatus(w.UntilClosed(ctx))
		is.Equal(code, websocket.StatusCode(4401)) // Unauthorized
		is.Equal(reason, "Unauthorized")
	})
	t.Run("second connection_init", func(t *testing.T) {
		is := is.New(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		w := e.MustDial(t, police)
		is.NoErr(w.send(ctx, wsMessage{Type: "connection_init", Payload: mustJSON(map[string]any{"authorization": "Bearer " + police})}))
		code, reason := closeStatus(w.UntilClosed(ctx))
		is.Equal(code, websocket.StatusCode(4429)) // Too many initialisation requests
		is.Equal(reason, "Too many initialisation requests")
	})
	t.Run("in order", func(t *testing.T) {
		is := is.New(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		w := e.MustDial(t, police)
		is.NoErr(w.Subscribe(ctx, "q", "{ me { user } }", nil)) // a query over the socket
		m, err := w.Next(ctx)
		is.NoErr(err)
		is.Equal(m.Type, "next") // answered
		w.c.Close(websocket.StatusNormalClosure, "")
	})
}
