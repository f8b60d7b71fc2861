package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

// gqlResult is a GraphQL answer: data, or the first error's code and message.
type gqlResult struct {
	Data   json.RawMessage
	Code   string
	Msg    string
	Failed bool // no answer at all (connection refused or cut, a deadline, a 5xx)
}

// requestDeadline bounds every request of the fault test and the benchmark, as a client's own
// deadline would: a request that hangs past it is counted.
const requestDeadline = 30 * time.Second

var gqlClient = &http.Client{Timeout: requestDeadline}

func gql(ctx context.Context, base, token, query string, vars map[string]any) gqlResult {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return gqlResult{Failed: true, Msg: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := gqlClient.Do(req)
	if err != nil {
		return gqlResult{Failed: true, Msg: err.Error()}
	}
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return gqlResult{Failed: true, Msg: fmt.Sprintf("HTTP %d: %v", resp.StatusCode, err)}
	}
	r := gqlResult{Data: out.Data}
	if len(out.Errors) > 0 {
		r.Msg = out.Errors[0].Message
		r.Code, _ = out.Errors[0].Extensions["code"].(string)
	}
	return r
}

// committed says whether an answer acknowledges the command: done, or recorded while this
// replica's read models lag (LAGGING, "do not send it again").
func (r gqlResult) committed() bool { return !r.Failed && (r.Code == "" || r.Code == "LAGGING") }

// mustCluster builds the binaries from the pinned modules and starts the local topology in a
// temporary directory, stopped with the test. serveArgs go to every replica.
func mustCluster(tb testing.TB, serveArgs ...string) *Local {
	tb.Helper()
	if testing.Short() {
		tb.Skip("starts a NATS cluster and two replicas")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root := moduleRoot(tb)
	bin := mustBinaries(tb)
	l, err := NewLocal(tb.TempDir(), bin, filepath.Join(root, "deploy", "nats", "nats.conf"), Ports{})
	if err != nil {
		tb.Fatal(err)
	}
	l.ServeArgs = serveArgs
	tb.Cleanup(func() {
		l.Stop()
		if tb.Failed() {
			for _, p := range append(append([]*Proc{}, l.Nodes...), l.Replicas...) {
				b, _ := os.ReadFile(p.log)
				if len(b) > 4000 {
					b = b[len(b)-4000:]
				}
				tb.Logf("---- %s (last lines)\n%s", p.Name, b)
			}
		}
	})
	if err := l.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	return l
}

// tool runs a dieuphoi command against the cluster as the service user.
func (l *Local) tool(ctx context.Context, args ...string) (string, error) {
	full := append([]string{args[0], "--data", filepath.Join(l.Dir, "tool")}, l.NATSArgs()...)
	if args[0] == "token" {
		full = append(full, "--token-key", l.Secret(TokenKey))
	}
	full = append(full, args[1:]...)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(l.Bin, "dieuphoi"), full...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String() + stderr.String(), err
	}
	return strings.TrimSpace(stdout.String()), nil
}

func mustToken(tb testing.TB, l *Local, org, user, role string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := l.tool(ctx, "token", "--org", org, "--user", user, "--role", role)
	if err != nil {
		tb.Fatalf("token: %v: %s", err, out)
	}
	return out
}

func moduleRoot(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// writers is the load: each writer adds notes to its own incident through both replicas, with a
// command id per note and retries (same id, the other replica) until the command is acknowledged.
type writers struct {
	l        *Local
	token    string
	mu       sync.Mutex
	acked    map[string]string // command id -> incident
	ackTimes [2][]time.Time    // per replica, of the commands answered as done (read models included)
	lagging  int               // commands answered LAGGING: recorded, read models behind
	failures int               // answers that were not an acknowledgement (then retried)
	hung     int               // requests that reached requestDeadline without an answer
}

func newWriters(l *Local, token string) *writers {
	return &writers{l: l, token: token, acked: map[string]string{}}
}

// openIncident opens an incident through replica r, retrying with the same command id.
func (w *writers) openIncident(ctx context.Context, r int, cmd string) (string, error) {
	in := map[string]any{"commandId": cmd, "title": "diễn tập " + cmd, "type": "MALWARE", "severity": "HIGH", "tlp": "GREEN",
		"detectedAt": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339), "drill": true}
	for ctx.Err() == nil {
		res := gql(ctx, w.l.Replicas[r%2].URL, w.token, `mutation($in: OpenIncidentInput!) { openIncident(input: $in) { incident { id } } }`, map[string]any{"in": in})
		if res.committed() && res.Code == "" {
			var d struct {
				OpenIncident struct{ Incident struct{ ID string } }
			}
			if json.Unmarshal(res.Data, &d) == nil && d.OpenIncident.Incident.ID != "" {
				return d.OpenIncident.Incident.ID, nil
			}
		}
		if res.Code == domain.EINVALID || res.Code == domain.EFORBIDDEN || res.Code == domain.EUNAUTHENTICATED {
			return "", fmt.Errorf("opening %s: %s %s", cmd, res.Code, res.Msg)
		}
		r++
		time.Sleep(100 * time.Millisecond) // a client's pause before retrying
	}
	return "", ctx.Err()
}

// run adds notes to incident until ctx ends, then finishes the command in flight.
func (w *writers) run(ctx context.Context, n int, incident string) error {
	for k := 0; ctx.Err() == nil; k++ {
		cmd := fmt.Sprintf("w%d-%d", n, k)
		vars := map[string]any{"in": map[string]any{"commandId": cmd, "incidentId": incident, "text": cmd}}
		for r := n + k; ; r++ {
			// The command in flight is finished even after ctx ends: a client does not drop it.
			rctx, cancel := context.WithTimeout(context.Background(), requestDeadline)
			res := gql(rctx, w.l.Replicas[r%2].URL, w.token, `mutation($in: AddNoteInput!) { addNote(input: $in) { sequence } }`, vars)
			cancel()
			if res.committed() {
				w.mu.Lock()
				w.acked[cmd] = incident
				if res.Code == "" {
					w.ackTimes[r%2] = append(w.ackTimes[r%2], time.Now())
				} else {
					w.lagging++
				}
				w.mu.Unlock()
				break
			}
			if res.Code == domain.EINVALID || res.Code == domain.EFORBIDDEN || res.Code == domain.EUNAUTHENTICATED {
				return fmt.Errorf("command %s: %s %s", cmd, res.Code, res.Msg)
			}
			w.mu.Lock()
			w.failures++
			if res.Failed && strings.Contains(res.Msg, "Client.Timeout") {
				w.hung++
			}
			w.mu.Unlock()
			time.Sleep(50 * time.Millisecond) // a client's pause before retrying
		}
	}
	return nil
}

func (w *writers) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

// waitMore waits until n more commands were acknowledged than when it was called.
func (w *writers) waitMore(ctx context.Context, n int) error {
	target := w.count() + n
	return poll(ctx, fmt.Sprintf("%d acknowledged commands", target), func() (bool, error) { return w.count() >= target, nil })
}

// maxGap is, over the replicas that answered, the longest time in [from, to] between two
// commands one replica answered as done (not LAGGING): what a client of that replica sees.
func (w *writers) maxGap(from, to time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var gap time.Duration
	for _, times := range w.ackTimes {
		if len(times) == 0 {
			continue
		}
		prev := from
		for _, t := range times {
			if t.Before(from) || t.After(to) {
				continue
			}
			gap = max(gap, t.Sub(prev))
			prev = t
		}
		gap = max(gap, to.Sub(prev))
	}
	return gap
}

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }
