package eventstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// seedInterleaved writes total single-event commands spread round-robin over aggs aggregates,
// through the normal command path (16 writers), so the log is chained and signed as in
// production.
func seedInterleaved(b *testing.B, env *testEnv, aggs, total int) {
	repo := NewRepo(env.store, newCounter)
	const writers = 16
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += writers {
				id := fmt.Sprintf("agg-%05d", i%aggs)
				if _, err := repo.Update(context.Background(), id, CommandMeta{CommandID: fmt.Sprintf("seed-%d", i)}, func(c *counter) error {
					c.record(Added{Amount: 1, Note: benchNote})
					return nil
				}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkAggregateLoad measures loading one aggregate for a command with aggs aggregates
// interleaved in total events. A fresh replica first follows the log (its catch-up rate is
// reported); then "warm" is the command path's load (the write model kept current by the
// follower) and "cold" is a load straight from the stream (batched direct get by subject,
// decode, chain check, replay) that a replica falls back to for an aggregate not in its cache.
func BenchmarkAggregateLoad(b *testing.B) {
	total, aggs := 1_000_000, 10_000
	if s := benchScale(); s > 0 {
		total = s
	}
	env := MustStore(b, jetstream.FileStorage, func(c *Config) { c.CacheSize = 2 * aggs })
	t0 := time.Now()
	seedInterleaved(b, env, aggs, total)
	b.Logf("seeded %d events in %d aggregates in %s", total, aggs, time.Since(t0).Round(time.Millisecond))
	last, _ := env.store.LastSequence(context.Background())

	replica := env.MustReplica(b)
	repo := NewRepo(replica, newCounter) // registers the aggregate type before following
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t0 = time.Now()
	go replica.Follow(ctx, nil)
	for replica.Followed() < last {
		time.Sleep(time.Millisecond)
	}
	follow := time.Since(t0)

	b.ResetTimer()
	var warm, cold []time.Duration
	for range 5000 {
		id := fmt.Sprintf("agg-%05d", rand.IntN(aggs))
		t := time.Now()
		var got int
		if _, err := repo.Update(ctx, id, CommandMeta{}, func(c *counter) error { got = c.Total; return nil }); err != nil {
			b.Fatal(err)
		}
		warm = append(warm, time.Since(t))
		if got != total/aggs {
			b.Fatalf("warm load of %s: total %d, want %d", id, got, total/aggs)
		}
	}
	for range 1000 {
		id := fmt.Sprintf("agg-%05d", rand.IntN(aggs))
		t := time.Now()
		c, st, err := repo.Load(ctx, id, 0)
		cold = append(cold, time.Since(t))
		if err != nil || st.Version != uint64(total/aggs) || c.Total != total/aggs {
			b.Fatalf("cold load %s: %v version %d total %d", id, err, st.Version, c.Total)
		}
	}
	b.StopTimer()
	p := func(ds []time.Duration, q float64) float64 {
		slices.Sort(ds)
		return float64(ds[int(q*float64(len(ds)-1))].Nanoseconds()) / 1e6
	}
	b.ReportMetric(p(warm, 0.5), "load-p50-ms")
	b.ReportMetric(p(warm, 0.99), "load-p99-ms")
	b.ReportMetric(p(cold, 0.5), "cold-p50-ms")
	b.ReportMetric(p(cold, 0.99), "cold-p99-ms")
	b.ReportMetric(float64(total)/follow.Seconds(), "follow-events/s")
	b.ReportMetric(float64(total/aggs), "events/aggregate")
}
