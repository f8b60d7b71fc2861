package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// mustToken mints a token with `dieuphoi token` against a running service.
func mustToken(tb testing.TB, srv *running, data, org, user, role string) string {
	tb.Helper()
	var out bytes.Buffer
	err := run(context.Background(), []string{"dieuphoi", "token", "--data", data, "--nats-listen", srv.nats,
		"--org", org, "--user", user, "--role", role}, func(string) string { return "" }, &out, io.Discard)
	if err != nil {
		tb.Fatalf("token: %v", err)
	}
	return strings.TrimSpace(out.String())
}

type gqlResponse struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func gql(tb testing.TB, srv *running, token, query string, vars map[string]any) (int, gqlResponse) {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, "http://"+srv.http+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var r gqlResponse
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &r); err != nil {
		tb.Fatalf("response %d is not JSON: %s", resp.StatusCode, b)
	}
	return resp.StatusCode, r
}

func TestDemoTokenAndGraphQLThroughTheBinary(t *testing.T) {
	is := is.New(t)
	data := t.TempDir()
	srv := MustServe(t, data, nil)
	defer srv.stop()

	var out bytes.Buffer
	err := run(context.Background(), []string{"dieuphoi", "demo", "--data", data, "--nats-listen", srv.nats}, func(string) string { return "" }, &out, io.Discard)
	is.NoErr(err)                                                        // the demo records through the running service's log
	is.True(strings.Contains(out.String(), "recorded the demo drill: ")) // 24 or 25 commands: the service may have escalated by itself
	out.Reset()
	is.NoErr(run(context.Background(), []string{"dieuphoi", "demo", "--data", data, "--nats-listen", srv.nats}, func(string) string { return "" }, &out, io.Discard))
	is.True(strings.Contains(out.String(), "already recorded")) // running it again records nothing

	// No token: a coded error, not data.
	code, r := gql(t, srv, "", `{ board { totalCount } }`, nil)
	is.Equal(code, http.StatusUnauthorized)
	is.Equal(r.Errors[0].Extensions["code"], "UNAUTHENTICATED")

	lan := mustToken(t, srv, data, "dic", "lan", "coordinator")
	code, r = gql(t, srv, lan, `{ me { user role org { slug } } board(filter: {drill: true}) { totalCount nodes { id title status tlp } } }`, nil)
	is.Equal(code, http.StatusOK)
	is.Equal(len(r.Errors), 0)
	var board struct {
		TotalCount int `json:"totalCount"`
		Nodes      []struct{ ID, Title, Status, TLP string }
	}
	is.NoErr(json.Unmarshal(r.Data["board"], &board))
	is.Equal(board.TotalCount, 2) // both drill incidents
	var hospital string
	for _, n := range board.Nodes {
		if strings.Contains(n.Title, "Bệnh viện") {
			hospital = n.ID
			is.Equal(n.Status, "CLOSED")
		}
	}
	is.True(hospital != "")

	code, r = gql(t, srv, lan, `query($id: ID!) { timeline(incidentId: $id) { at atLocal type actor org textVi textEn } }`, map[string]any{"id": hospital})
	is.Equal(code, http.StatusOK)
	is.Equal(len(r.Errors), 0)
	var tl []struct{ Type, TextVi, TextEn, AtLocal string }
	is.NoErr(json.Unmarshal(r.Data["timeline"], &tl))
	is.True(len(tl) >= 20) // every step of the drill
	is.Equal(tl[0].Type, "IncidentOpened")
	is.True(strings.HasSuffix(tl[0].AtLocal, "+07:00")) // shown in Asia/Ho_Chi_Minh
	is.True(tl[0].TextVi != "" && tl[0].TextEn != "")

	// The partner CERT sees the hospital incident (handed to it) but not the GREEN phishing one? It
	// is GREEN: community-visible. The military sees only the GREEN one.
	army := mustToken(t, srv, data, "military", "quan", "coordinator")
	_, r = gql(t, srv, army, `{ board { totalCount nodes { title tlp } } }`, nil)
	is.NoErr(json.Unmarshal(r.Data["board"], &board))
	is.Equal(board.TotalCount, 1) // the AMBER hospital incident is not the military's business
	is.Equal(board.Nodes[0].TLP, "GREEN")
	_, r = gql(t, srv, army, `query($id: ID!) { incident(id: $id) { title } }`, map[string]any{"id": hospital})
	is.Equal(r.Errors[0].Extensions["code"], "NOT_FOUND") // indistinguishable from absent

	// VNCERT/CC has the phishing escalation waiting in its queue.
	vn := mustToken(t, srv, data, "vncert", "nam", "coordinator")
	_, r = gql(t, srv, vn, `{ escalationQueue { incidentTitle from to overdue secondsLeft } }`, nil)
	is.Equal(len(r.Errors), 0)
	var q []struct {
		IncidentTitle, From, To string
		SecondsLeft             int
	}
	is.NoErr(json.Unmarshal(r.Data["escalationQueue"], &q))
	is.Equal(len(q), 1)
	is.Equal(q[0].From, "dic")
	is.True(q[0].SecondsLeft > 0)

	// A SOC pushes an alert; verify walks both logs, the alerts stream included.
	soc := mustToken(t, srv, data, "soc-dic", "wazuh", "ingest")
	req, _ := http.NewRequest(http.MethodPost, "http://"+srv.http+"/api/v1/alerts", strings.NewReader(
		`[{"source":"soc-dic","sourceRef":"w-1","title":"SSH brute force","severity":"HIGH","observedAt":"2026-11-21T08:00:00+07:00","asset":"mail.example.gov.vn"}]`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+soc)
	resp, err := http.DefaultClient.Do(req)
	is.NoErr(err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	is.Equal(resp.StatusCode, http.StatusOK)
	is.True(strings.Contains(string(body), `"status":"accepted"`)) // the alert was taken
	out.Reset()
	err = run(context.Background(), []string{"dieuphoi", "verify", "--data", data, "--nats-listen", srv.nats}, func(string) string { return "" }, &out, io.Discard)
	is.NoErr(err)                                                                           // both logs intact
	is.True(strings.Contains(out.String(), "alerts (DIEUPHOI_ALERTS):\nchecked 1 commits")) // the alert's commit was checked
	is.True(strings.Contains(out.String(), "event log (DIEUPHOI_EVENTS):"))
}
