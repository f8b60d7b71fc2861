package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type running struct {
	http, nats, metrics string
	stop                func() error
	stderr              *syncBuffer
}

// MustServe starts `dieuphoi serve` through run() and waits for /healthz to answer 200.
func MustServe(tb testing.TB, data string, env map[string]string, extra ...string) *running {
	tb.Helper()
	r := &running{http: freeAddr(tb), nats: freeAddr(tb), metrics: freeAddr(tb), stderr: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	args := append([]string{"dieuphoi", "serve", "--data", data, "--http", r.http, "--nats-listen", r.nats, "--metrics", r.metrics}, extra...)
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, func(k string) string { return env[k] }, io.Discard, r.stderr) }()
	r.stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("serve did not stop within 30s")
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + r.http + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		select {
		case err := <-done:
			tb.Fatalf("serve exited early: %v\n%s", err, r.stderr)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("serve never became healthy\n%s", r.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func get(tb testing.TB, url string) (int, string) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// connectAs connects to a running service's embedded server as one of its NATS users (a seed
// file under DATA/keys/nats).
func connectAs(tb testing.TB, natsAddr, data, seed string, opts ...nats.Option) *nats.Conn {
	tb.Helper()
	c := Config{Data: data}
	o, err := nats.NkeyOptionFromSeed(filepath.Join(c.natsKeysDir(), seed))
	if err != nil {
		tb.Fatal(err)
	}
	nc, err := nats.Connect("nats://"+natsAddr, append(opts, o)...)
	if err != nil {
		tb.Fatal(err)
	}
	return nc
}

// openIncidents writes n real incidents through the embedded server of a running service, with
// the service's own signing key, as the API will.
func openIncidents(tb testing.TB, natsAddr, data string, n int) {
	tb.Helper()
	nc := connectAs(tb, natsAddr, data, natsService)
	defer nc.Close()
	st, err := eventstore.Open(context.Background(), nc, eventstore.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	repo := eventstore.NewRepo(st, domain.NewIncident)
	actor := domain.Actor{User: "lan", Org: "dic", Role: domain.RoleCoordinator}
	for i := range n {
		id := eventstore.NewID()
		now := time.Now()
		inv := domain.Invocation{Actor: actor, Now: now, Config: domain.DefaultConfig()}
		_, err := repo.Update(context.Background(), id, eventstore.CommandMeta{CommandID: id, CommandName: "OpenIncident", Actor: actor, At: now}, func(inc *domain.Incident) error {
			if err := inc.Open(inv, domain.OpenIncident{Title: fmt.Sprintf("Mã độc tại bệnh viện %d", i), Type: "RANSOMWARE", Sector: "HEALTH",
				Severity: domain.SeverityHigh, TLP: domain.TLPAmber, DetectedAt: now.Add(-time.Hour), Drill: true}); err != nil {
				return err
			}
			return inc.AddNote(inv, domain.AddNote{NoteID: "n1", Text: "Đã cô lập máy chủ."})
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// quietConfig writes the default configuration without periodic reports, so that the service's
// scheduler records nothing by itself and commit counts are exact.
func quietConfig(tb testing.TB) string {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(domain.DefaultConfigJSON(), &m); err != nil {
		tb.Fatal(err)
	}
	m["periodicReports"] = map[string]any{"orgKinds": []string{}, "periods": []any{}}
	b, _ := json.Marshal(m)
	f := filepath.Join(tb.TempDir(), "quiet.json")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return f
}

func TestServeHealthMetricsRestartVerify(t *testing.T) {
	is := is.New(t)
	data := t.TempDir()
	quiet := quietConfig(t)
	srv := MustServe(t, data, nil, "--config", quiet)
	code, body := get(t, "http://"+srv.http+"/healthz")
	is.Equal(code, 200)                                  // healthy
	is.Equal(strings.TrimSpace(body), `{"status":"ok"}`) // and nothing about the log on the public port
	code, _ = get(t, "http://"+srv.http+"/metrics")
	is.Equal(code, 404) // metrics are for operators, on their own listener

	openIncidents(t, srv.nats, data, 25)
	// The write models follow, and health reflects it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body = get(t, "http://"+srv.metrics+"/healthz")
		if strings.Contains(body, `"sequence":25`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	is.True(strings.Contains(body, `"sequence":25`)) // 25 commits, one per command

	code, body = get(t, "http://"+srv.metrics+"/metrics")
	is.Equal(code, 200)
	is.True(strings.Contains(body, "dieuphoi_stream_last_sequence 25"))
	is.True(strings.Contains(body, "# TYPE dieuphoi_write_model_lag gauge"))

	// verify through the running service's NATS port.
	var out bytes.Buffer
	err := run(context.Background(), []string{"dieuphoi", "verify", "--data", data, "--nats-listen", srv.nats}, func(string) string { return "" }, &out, io.Discard)
	is.NoErr(err) // intact log
	is.True(strings.Contains(out.String(), "checked 25 commits (50 events) of 25 aggregates"))

	is.NoErr(srv.stop()) // SIGINT/SIGTERM path: clean shutdown

	// A restart on the same data keeps every event; verify also works with the service stopped.
	out.Reset()
	err = run(context.Background(), []string{"dieuphoi", "verify", "--data", data, "--nats-listen", freeAddr(t)}, func(string) string { return "" }, &out, io.Discard)
	is.NoErr(err)
	is.True(strings.Contains(out.String(), "checked 25 commits"))

	srv = MustServe(t, data, nil, "--config", quiet)
	_, body = get(t, "http://"+srv.metrics+"/healthz")
	is.True(strings.Contains(body, `"sequence":25`)) // nothing lost
	is.NoErr(srv.stop())
}

func TestServeFromEnvironment(t *testing.T) {
	is := is.New(t)
	data := t.TempDir()
	httpAddr, natsAddr := freeAddr(t), freeAddr(t)
	env := map[string]string{"DIEUPHOI_DATA": data, "DIEUPHOI_HTTP": httpAddr, "DIEUPHOI_NATS_LISTEN": natsAddr, "DIEUPHOI_STORAGE": "memory",
		"DIEUPHOI_METRICS": freeAddr(t)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dieuphoi", "serve"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	}()
	deadline := time.Now().Add(20 * time.Second)
	var code int
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
			code = resp.StatusCode
			resp.Body.Close()
			if code == 200 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	is.Equal(code, 200) // configured entirely from DIEUPHOI_* variables
	cancel()
	is.NoErr(<-done)
}

func TestBadInvocations(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	is.New(t).NoErr(os.WriteFile(bad, []byte("{\n  \"version\": \"x\",\n  \"colour\": 1\n}\n"), 0o600))
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no command", []string{"dieuphoi"}, nil, "missing command"},
		{"unknown command", []string{"dieuphoi", "launch"}, nil, `unknown command "launch"`},
		{"replicas zero", []string{"dieuphoi", "serve", "--replicas", "0"}, nil, "--replicas 0"},
		{"replicas without cluster", []string{"dieuphoi", "serve", "--replicas", "3"}, nil, "needs a cluster"},
		{"bad storage", []string{"dieuphoi", "serve", "--storage", "disk"}, nil, `--storage "disk"`},
		{"bad env number", []string{"dieuphoi", "serve"}, map[string]string{"DIEUPHOI_REPLICAS": "three"}, "DIEUPHOI_REPLICAS"},
		{"unknown flag", []string{"dieuphoi", "serve", "--colour", "red"}, nil, "flag provided but not defined"},
		{"bad log level", []string{"dieuphoi", "serve", "--log-level", "loud", "--data", t.TempDir()}, nil, "--log-level"},
		{"bad config file", []string{"dieuphoi", "serve", "--config", bad, "--data", t.TempDir()}, nil, "line 3"},
		{"config check", []string{"dieuphoi", "config", "--check", bad}, nil, "colour"},
		{"stray argument", []string{"dieuphoi", "verify", "extra"}, nil, `unexpected argument "extra"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			err := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, io.Discard, io.Discard)
			is.True(err != nil)                             // refused
			is.True(strings.Contains(err.Error(), tc.want)) // with a message that says why
		})
	}
}

func TestConfigCommand(t *testing.T) {
	is := is.New(t)
	var out bytes.Buffer
	is.NoErr(run(context.Background(), []string{"dieuphoi", "config"}, func(string) string { return "" }, &out, io.Discard))
	is.True(strings.Contains(out.String(), `"cert-health"`)) // prints the default directory
	f := filepath.Join(t.TempDir(), "c.json")
	is.NoErr(os.WriteFile(f, out.Bytes(), 0o600))
	out.Reset()
	is.NoErr(run(context.Background(), []string{"dieuphoi", "config", "--check", f}, func(string) string { return "" }, &out, io.Discard))
	is.True(strings.HasPrefix(out.String(), "OK: version")) // the default passes its own check
}
