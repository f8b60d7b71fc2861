package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
)

var streams = []string{"DIEUPHOI_EVENTS", "DIEUPHOI_ALERTS", "DIEUPHOI_CHECKPOINTS"}

// The real topology under load loses, one after the other, a NATS follower, the events
// stream's leader and a service replica, each by kill -9. Every command a client got
// acknowledged is in the log once, the replicas agree, the log verifies, the streams are still
// R3, and escalation deadlines that fell due meanwhile were recorded exactly once. Nothing here
// depends on how fast the machine is: every wait is for a condition, with a generous bound.
func TestClusterSurvivesKills(t *testing.T) {
	is := is.New(t)
	started := time.Now()
	l := mustCluster(t, "--config", mustShortDeadlineConfig(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	token := mustToken(t, l, "dic", "lan", "coordinator")
	nc, err := l.Connect(AdminNK)
	is.NoErr(err) // admin connection, to watch the streams
	defer nc.Close()
	js, err := jetstream.New(nc)
	is.NoErr(err)

	w := newWriters(l, token)
	const nWriters = 6
	var incidents []string
	for n := range nWriters {
		id, err := w.openIncident(ctx, n, fmt.Sprintf("open-%d", n))
		is.NoErr(err) // incident opened
		incidents = append(incidents, id)
	}
	// Escalations nobody acknowledges: their deadlines fall due while the faults happen.
	var escalated []string
	for n := range 3 {
		id, err := w.openIncident(ctx, n, fmt.Sprintf("esc-%d", n))
		is.NoErr(err)
		mustCommit(t, ctx, l, token, `mutation($in: EscalateIncidentInput!) { escalateIncident(input: $in) { sequence } }`,
			map[string]any{"in": map[string]any{"commandId": "esc-" + id, "incidentId": id, "toOrg": "police", "reason": "diễn tập", "ackWithin": "5s"}})
		escalated = append(escalated, id)
	}

	load, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, nWriters)
	for n, id := range incidents {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- w.run(load, n, id) }()
	}
	is.NoErr(w.waitMore(ctx, 30)) // the load runs

	// 1. A follower of the events stream (not the meta leader either, when there is a choice).
	leader, err := l.StreamLeader(ctx, js, streams[0])
	is.NoErr(err)
	meta, err := l.MetaLeader(ctx)
	is.NoErr(err)
	var follower *Proc
	for _, n := range l.Nodes {
		if n != leader && (follower == nil || follower == meta) {
			follower = n
		}
	}
	t.Logf("kill -9 %s (follower; stream leader %s, meta leader %s)", follower.Name, leader.Name, meta.Name)
	follower.Kill()
	is.NoErr(w.waitMore(ctx, 40)) // writes go on with two nodes
	is.NoErr(l.StartNode(ctx, follower))
	is.NoErr(l.WaitCurrent(ctx, js, streams...)) // it caught up

	// 2. The events stream's leader.
	leader, err = l.StreamLeader(ctx, js, streams[0])
	is.NoErr(err)
	t.Logf("kill -9 %s (stream leader)", leader.Name)
	leader.Kill()
	is.NoErr(w.waitMore(ctx, 40)) // a new leader takes the writes
	is.NoErr(l.StartNode(ctx, leader))
	is.NoErr(l.WaitCurrent(ctx, js, streams...))

	// 3. A service replica: its clients go to the other one.
	t.Logf("kill -9 %s", l.Replicas[1].Name)
	l.Replicas[1].Kill()
	is.NoErr(w.waitMore(ctx, 40)) // the other replica serves
	is.NoErr(l.StartReplica(ctx, l.Replicas[1]))
	is.NoErr(w.waitMore(ctx, 20)) // both serve again

	stopLoad()
	wg.Wait()
	close(errs)
	for err := range errs {
		is.NoErr(err) // no writer was refused for a reason a retry cannot fix
	}

	// The replicas converge on the whole log.
	var last uint64
	is.NoErr(poll(ctx, "replicas converged", func() (bool, error) {
		s, err := js.Stream(ctx, streams[0])
		if err != nil {
			return false, nil
		}
		info, err := s.Info(ctx)
		if err != nil {
			return false, nil
		}
		last = info.State.LastSeq
		for _, r := range l.Replicas {
			var h struct{ Applied uint64 }
			if getJSON(r.Monitor+"/healthz", &h) != nil || h.Applied != last {
				return false, nil
			}
		}
		return true, nil
	}))

	// Every acknowledged command is there once, and both replicas show the same incidents.
	notes := map[string]int{}
	for _, id := range incidents {
		var seen [2]string
		for i, r := range l.Replicas {
			res := gql(ctx, r.URL, token, `query($id: ID!, $min: Sequence) { incident(id: $id, minSequence: $min) { version notes { text } } }`,
				map[string]any{"id": id, "min": last})
			is.True(res.Code == "" && !res.Failed) // incident read
			seen[i] = string(res.Data)
			if i == 0 {
				var d struct {
					Incident struct{ Notes []struct{ Text string } }
				}
				is.NoErr(json.Unmarshal(res.Data, &d))
				for _, n := range d.Incident.Notes {
					notes[n.Text]++
				}
			}
		}
		is.Equal(seen[0], seen[1]) // the replicas agree
	}
	lost, duplicated := 0, 0
	for cmd := range w.acked {
		if notes[cmd] == 0 {
			lost++
		}
	}
	for _, c := range notes {
		if c > 1 {
			duplicated++
		}
	}
	t.Logf("%d commands acknowledged (%d of them LAGGING; %d answers retried, %d requests hung until the %s deadline); %d lost, %d duplicated; log at sequence %d",
		len(w.acked), w.lagging, w.failures, w.hung, requestDeadline, lost, duplicated, last)
	is.Equal(lost, 0)       // no acknowledged command lost
	is.Equal(duplicated, 0) // none recorded twice

	// Each escalation's deadline was recorded once, though replicas and nodes died meanwhile.
	for _, id := range escalated {
		var counts map[string]int
		is.NoErr(poll(ctx, "the escalation deadline of "+id, func() (bool, error) {
			res := gql(ctx, l.Replicas[0].URL, token, `query($id: ID!) { timeline(incidentId: $id) { type } }`, map[string]any{"id": id})
			if res.Code != "" || res.Failed {
				return false, nil
			}
			var d struct{ Timeline []struct{ Type string } }
			if err := json.Unmarshal(res.Data, &d); err != nil {
				return false, err
			}
			counts = map[string]int{}
			for _, e := range d.Timeline {
				counts[e.Type]++
			}
			return counts["EscalationDeadlineMissed"] > 0, nil
		}))
		for typ, c := range counts {
			if strings.HasSuffix(typ, "DeadlineMissed") || strings.HasSuffix(typ, "ReminderDue") {
				is.Equal(c, 1) // a deadline fired exactly once
			}
		}
	}

	// The log verifies, and the streams are still replicated three times, every copy current.
	ctxV, cancelV := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelV()
	out, err := l.tool(ctxV, "verify")
	t.Logf("verify: %s", out)
	is.NoErr(err)                                                                           // dieuphoi verify passes
	is.Equal(strings.Count(out, "OK: every hash link, checkpoint and witness verifies"), 2) // both logs
	for _, name := range streams {
		s, err := js.Stream(ctx, name)
		is.NoErr(err)
		info, err := s.Info(ctx)
		is.NoErr(err)
		is.Equal(info.Config.Replicas, 3) // still R3
	}
	is.NoErr(l.WaitCurrent(ctx, js, streams...)) // every copy current
	t.Logf("fault test took %s", time.Since(started).Round(time.Second))
}

// mustCommit runs a mutation through either replica until it is acknowledged.
func mustCommit(t *testing.T, ctx context.Context, l *Local, token, query string, vars map[string]any) {
	t.Helper()
	for r := 0; ctx.Err() == nil; r++ {
		res := gql(ctx, l.Replicas[r%2].URL, token, query, vars)
		if res.committed() {
			return
		}
		if res.Code == domain.EINVALID {
			t.Fatalf("%s: %s", res.Code, res.Msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal(ctx.Err())
}

// mustShortDeadlineConfig writes the default regulatory configuration with escalation windows
// allowed down to 5 seconds, so that deadlines fall due within the test.
func mustShortDeadlineConfig(tb testing.TB) string {
	tb.Helper()
	var c map[string]any
	if err := json.Unmarshal(domain.DefaultConfigJSON(), &c); err != nil {
		tb.Fatal(err)
	}
	c["deadlines"].(map[string]any)["minAckWithin"] = "5s"
	b, err := json.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "config.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}
