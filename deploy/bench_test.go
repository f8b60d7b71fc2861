package deploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// gapWriters is how many clients write at once in both halves of BenchmarkLeaderLossWriteGap.
const gapWriters = 6

// BenchmarkLeaderLossWriteGap measures, on the real topology (three nats-server processes, two
// replicas), the longest time without an acknowledged write after kill -9 of the leader of the
// stream being written: first raw JetStream (sync publish expecting the subject's last
// sequence, on an R3 stream of the same cluster), then dieuphoi (addNote mutations through both
// replicas, with command ids and retries). Both are reported, with their difference; the target
// is dieuphoi's gap within a second of JetStream's.
func BenchmarkLeaderLossWriteGap(b *testing.B) {
	l := mustCluster(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	nc, err := l.Connect(AdminNK)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	token := mustToken(b, l, "dic", "lan", "coordinator")
	var raw, dp time.Duration
	for range b.N {
		raw = rawGap(b, ctx, l, js)
		dp = dieuphoiGap(b, ctx, l, js, token)
	}
	b.ReportMetric(raw.Seconds(), "raw-gap-s")
	b.ReportMetric(dp.Seconds(), "dieuphoi-gap-s")
	b.ReportMetric((dp - raw).Seconds(), "extra-s")
}

// measureGap runs write (one writer each) until a kill of the stream's leader is ridden over:
// the leader is killed once the load runs, the gap is taken up to the 100th acknowledgement
// after the kill, then the node is started again and the streams caught up.
func measureGap(b *testing.B, ctx context.Context, l *Local, js jetstream.JetStream, stream string, w *writers, write func(ctx context.Context, n int) error) time.Duration {
	load, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for n := range gapWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := write(load, n); err != nil && load.Err() == nil {
				b.Error(err)
			}
		}()
	}
	defer func() { stop(); wg.Wait() }()
	if err := w.waitMore(ctx, 100); err != nil {
		b.Fatal(err)
	}
	leader, consumers, err := worstLeader(ctx, l, js, stream)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: its leader %s holds %d reading consumer(s)", stream, leader.Name, consumers)
	killed := time.Now()
	leader.Kill()
	if err := w.waitMore(ctx, 100); err != nil {
		b.Fatal(err)
	}
	gap := w.maxGap(killed, time.Now())
	stop()
	wg.Wait()
	if err := l.StartNode(ctx, leader); err != nil {
		b.Fatal(err)
	}
	if err := l.WaitCurrent(ctx, js, stream); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: killed leader %s; longest time without a write answered as done %s (%d answered LAGGING)", stream, leader.Name, gap.Round(time.Millisecond), w.lagging)
	return gap
}

// rawGap: raw JetStream clients, each publishing to its own subject expecting its last sequence,
// retrying a publish that got no answer (and reading the subject's last sequence when the retry
// finds the first attempt stored).
func rawGap(b *testing.B, ctx context.Context, l *Local, js jetstream.JetStream) time.Duration {
	const stream = "RAW_GAP"
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{"rawgap.>"}, Replicas: 3, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	if err := l.WaitCurrent(ctx, js, stream); err != nil {
		b.Fatal(err)
	}
	nc, err := l.Connect(AdminNK)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	pub, _ := jetstream.New(nc)
	w := newWriters(l, "")
	return measureGap(b, ctx, l, js, stream, w, func(ctx context.Context, n int) error {
		subject := fmt.Sprintf("rawgap.%d", n)
		data := make([]byte, 600) // about a commit's size
		var last uint64
		for k := 0; ctx.Err() == nil; k++ {
			msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{jetstream.ExpectedLastSubjSeqHeader: {strconv.FormatUint(last, 10)}}}
			pctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // as the service's publish
			ack, err := pub.PublishMsg(pctx, msg)
			cancel()
			var apiErr *jetstream.APIError
			switch {
			case err == nil:
				last = ack.Sequence
				w.ack(subject)
			case errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence:
				// The attempt that got no answer was stored: that is its acknowledgement.
				s, err := js.Stream(ctx, stream)
				if err == nil {
					var m *jetstream.RawStreamMsg
					if m, err = s.GetLastMsgForSubject(ctx, subject); err == nil {
						last = m.Sequence
						w.ack(subject)
					}
				}
			default:
				time.Sleep(50 * time.Millisecond) // the same pause as the service's clients
			}
		}
		return nil
	})
}

// dieuphoiGap: the service's clients, adding notes to their own incidents through both
// replicas, as in the fault test.
func dieuphoiGap(b *testing.B, ctx context.Context, l *Local, js jetstream.JetStream, token string) time.Duration {
	w := newWriters(l, token)
	var incidents [gapWriters]string
	for n := range gapWriters {
		id, err := w.openIncident(ctx, n, fmt.Sprintf("gap-%d-%d", time.Now().UnixNano(), n))
		if err != nil {
			b.Fatal(err)
		}
		incidents[n] = id
	}
	return measureGap(b, ctx, l, js, "DIEUPHOI_EVENTS", w, func(ctx context.Context, n int) error {
		return w.run(ctx, n, incidents[n])
	})
}

// ack records an acknowledged write.
func (w *writers) ack(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.acked[key+"#"+strconv.Itoa(len(w.acked))] = key
	w.ackTimes[0] = append(w.ackTimes[0], time.Now())
}

// worstLeader makes the stream's leader the node that also holds a replica's follower (the
// consumer reading the stream), when there is one: losing it then stops the writes and that
// replica's read models at once, the worst case. It returns the leader.
func worstLeader(ctx context.Context, l *Local, js jetstream.JetStream, stream string) (*Proc, int, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, 0, err
	}
	hosts := map[string]int{}
	var host string
	for info := range s.ListConsumers(ctx).Info() {
		if info.Cluster != nil && info.Cluster.Leader != "" {
			host = info.Cluster.Leader
			hosts[host]++
		}
	}
	for try := 0; host != "" && try < 10; try++ {
		leader, err := l.StreamLeader(ctx, js, stream)
		if err != nil || leader.Name == host {
			return leader, hosts[host], err
		}
		req := fmt.Sprintf(`{"placement":{"preferred":%q}}`, host)
		_, _ = js.Conn().RequestWithContext(ctx, "$JS.API.STREAM.LEADER.STEPDOWN."+stream, []byte(req))
		time.Sleep(time.Second) // the election
	}
	leader, err := l.StreamLeader(ctx, js, stream)
	if err != nil {
		return nil, 0, err
	}
	return leader, hosts[leader.Name], nil
}
