package eventstore

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/tlog"
)

// benchNote makes a commit of about 512 bytes, the size of the reference measurements.
var benchNote = strings.Repeat("n", 150)

// mustRawStream creates a stream configured as the log is, beside it on the same server, for
// the raw JetStream baseline: subjects bench.raw.>.
func mustRawStream(b *testing.B, env *testEnv) {
	cfg := env.store.logStreamConfig()
	cfg.Name, cfg.Subjects = "BENCH_RAW", []string{"bench.raw.>"}
	if _, err := env.js.CreateStream(context.Background(), cfg); err != nil {
		b.Fatal(err)
	}
}

// processCPU returns the CPU time this process (client and embedded server) has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measured is one timed round: operations per second, and CPU time per operation.
type measured struct{ rate, cpu, allocs float64 }

// measure runs a round of n operations and times it.
func measure(n int, round func()) measured {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c0, t0 := processCPU(), time.Now()
	round()
	d, c := time.Since(t0), processCPU()-c0
	runtime.ReadMemStats(&m1)
	return measured{float64(n) / d.Seconds(), float64(c.Microseconds()) / float64(n), float64(m1.Mallocs-m0.Mallocs) / float64(n)}
}

// rawOCC publishes perWriter messages from each of `writers` goroutines, each on its own
// subjects, with the expected last subject sequence: raw JetStream doing the same job as a
// command, measured in the same run. withID adds a Nats-Msg-Id, as commands carry for
// deduplication.
func rawOCC(b *testing.B, env *testEnv, writers, perWriter, size int, prefix string, withID bool) {
	payload := []byte(strings.Repeat("x", size))
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := map[string]uint64{}
			for i := range perWriter {
				subj := fmt.Sprintf("bench.raw.%s-%d-%d", prefix, w, i%50)
				opts := []jetstream.PublishOpt{jetstream.WithExpectLastSequencePerSubject(last[subj])}
				if withID {
					opts = append(opts, jetstream.WithMsgID(subj+"."+strconv.Itoa(i)))
				}
				ack, err := env.js.Publish(context.Background(), subj, payload, opts...)
				if err != nil {
					b.Error(err)
					return
				}
				last[subj] = ack.Sequence
			}
		}()
	}
	wg.Wait()
}

// commits runs perWriter commands from each of `writers` goroutines on their own aggregates;
// ack, if not nil, is called with each commit's sequence.
func commits(b *testing.B, repo *Repo[*counter], writers, perWriter int, prefix string, ack func(seq uint64)) {
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				id := fmt.Sprintf("%s-%d-%d", prefix, w, i%50)
				m := meta(fmt.Sprintf("%s-%d-%d", prefix, w, i))
				res, err := repo.Update(context.Background(), id, m, func(c *counter) error {
					c.record(Added{Amount: 1, Note: benchNote})
					return nil
				})
				if err != nil {
					b.Error(err)
					return
				}
				if ack != nil {
					ack(res.Sequence)
				}
			}
		}()
	}
	wg.Wait()
}

// mustBenchStore is a store on file storage; followed runs its follower (write models and
// Merkle tree) and its checkpointer beside the writers, as the service does.
func mustBenchStore(b *testing.B, followed bool) (*testEnv, *Repo[*counter]) {
	env := MustStore(b, jetstream.FileStorage)
	repo := NewRepo(env.store, newCounter)
	if followed {
		MustFollow(b, env.store)
		MustCheckpoints(b, env.store)
	}
	return env, repo
}

// BenchmarkCommitThroughput compares commands (encode, hash, publish with the expected subject
// sequence, update the write model) with raw JetStream sync publish with the expected subject
// sequence of the same size, at 1 and 16 concurrent writers on distinct subjects, file storage,
// same server; and with raw publishes that also carry a Nats-Msg-Id (the server's deduplication
// is a cost every command pays). "writers=N" measures the append path alone, as this benchmark
// always has;
// "followed/writers=N" runs the follower and the checkpointer beside the writers, as the service
// does (they read every commit back from the server and decode it). Rounds alternate raw and
// commit so that machine noise hits both alike; the best round of each is reported.
func BenchmarkCommitThroughput(b *testing.B) {
	for _, followed := range []bool{false, true} {
		for _, writers := range []int{1, 16} {
			name := fmt.Sprintf("writers=%d", writers)
			if followed {
				name = "followed/" + name
			}
			b.Run(name, func(b *testing.B) { commitThroughput(b, followed, writers) })
		}
	}
}

func commitThroughput(b *testing.B, followed bool, writers int) {
	env, repo := mustBenchStore(b, followed)
	mustRawStream(b, env)
	commits(b, repo, 1, 1, "probe", nil)
	cs, _ := env.store.LoadCommits(context.Background(), "counter", "probe-0-0", 1, 0)
	size := len(cs[0].Body()) // raw messages get the size of our commits
	per := 4000 / writers * 2
	if writers == 16 {
		per = 2000
	}
	var raws, ids, ours []measured
	b.ResetTimer()
	for round := range 3 {
		raws = append(raws, measure(writers*per, func() { rawOCC(b, env, writers, per, size, fmt.Sprint(round), false) }))
		ids = append(ids, measure(writers*per, func() { rawOCC(b, env, writers, per, size, fmt.Sprint("id", round), true) }))
		ours = append(ours, measure(writers*per, func() { commits(b, repo, writers, per, fmt.Sprintf("r%d", round), nil) }))
	}
	b.StopTimer()
	best := func(ms []measured) measured {
		return slices.MaxFunc(ms, func(a, b measured) int { return cmp.Compare(a.rate, b.rate) })
	}
	raw, id, our := best(raws), best(ids), best(ours)
	b.ReportMetric(raw.rate, "raw-msg/s")
	b.ReportMetric(id.rate, "raw+msgid-msg/s")
	b.ReportMetric(our.rate, "commits/s")
	b.ReportMetric(our.rate/raw.rate, "ratio")
	b.ReportMetric(our.rate/id.rate, "ratio-vs-msgid")
	// CPU time per operation (client and server, this process) is steadier than throughput on a
	// shared machine; its ratio is what throughput tends to when the cores are the limit.
	b.ReportMetric(raw.cpu, "raw-cpu-µs/msg")
	b.ReportMetric(our.cpu, "cpu-µs/commit")
	b.ReportMetric(raw.cpu/our.cpu, "cpu-ratio")
	b.ReportMetric(raw.allocs, "raw-allocs/msg")
	b.ReportMetric(our.allocs, "allocs/commit")
	b.ReportMetric(float64(size), "bytes/commit")
}

// BenchmarkCheckpointLag measures how long after its acknowledgement a commit is covered by a
// published signed checkpoint, with 16 writers committing for a few seconds and the default
// checkpoint interval (1 s).
func BenchmarkCheckpointLag(b *testing.B) {
	env, repo := mustBenchStore(b, true)
	var mu sync.Mutex
	acked := map[uint64]time.Time{}
	type published struct {
		at   time.Time
		size uint64
	}
	var cps []published
	sub, err := env.nc.Subscribe(env.store.checkpointSubject(), func(m *nats.Msg) {
		at := time.Now()
		lines := strings.SplitN(string(m.Data), "\n", 3)
		size, _ := strconv.ParseUint(lines[1], 10, 64)
		mu.Lock()
		cps = append(cps, published{at, size})
		mu.Unlock()
	})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	b.ResetTimer()
	start := time.Now()
	var last uint64
	for time.Since(start) < 5*time.Second {
		commits(b, repo, 16, 50, fmt.Sprintf("lag%d", last), func(seq uint64) {
			mu.Lock()
			acked[seq] = time.Now()
			last = max(last, seq)
			mu.Unlock()
		})
	}
	mustWaitCheckpoint(b, env.store, int64(last))
	b.StopTimer()
	env.nc.Flush()
	mu.Lock()
	defer mu.Unlock()
	var lags []time.Duration
	for seq, at := range acked {
		i, ok := slices.BinarySearchFunc(cps, seq, func(p published, s uint64) int { return cmpUint(p.size, s) })
		if !ok && i == len(cps) {
			b.Fatalf("no checkpoint received for sequence %d", seq)
		}
		lags = append(lags, max(cps[i].at.Sub(at), 0))
	}
	slices.Sort(lags)
	q := func(f float64) float64 { return float64(lags[int(f*float64(len(lags)-1))].Milliseconds()) }
	b.ReportMetric(q(0.5), "lag-p50-ms")
	b.ReportMetric(q(0.99), "lag-p99-ms")
	b.ReportMetric(q(1), "lag-max-ms")
	b.ReportMetric(float64(len(cps))/time.Since(start).Seconds(), "checkpoints/s")
	b.ReportMetric(float64(len(acked))/time.Since(start).Seconds(), "commits/s")
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// BenchmarkProofs builds the Merkle tree of a 1M-message log in memory (no NATS) and measures
// inclusion and consistency proofs against it, as the transparency endpoints serve them.
func BenchmarkProofs(b *testing.B) {
	const n = 1 << 20
	var tree Tree
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	var buf [8]byte
	for i := range n {
		buf[0], buf[1], buf[2] = byte(i), byte(i>>8), byte(i>>16)
		if err := tree.add(tlog.RecordHash(buf[:])); err != nil {
			b.Fatal(err)
		}
	}
	build := time.Since(t0)
	runtime.GC()
	runtime.ReadMemStats(&after)
	const rounds = 20_000
	b.ResetTimer()
	t0 = time.Now()
	for range rounds {
		if _, err := tree.InclusionProof(rand.Int64N(n), n); err != nil {
			b.Fatal(err)
		}
	}
	inclusion := time.Since(t0) / rounds
	t0 = time.Now()
	for range rounds {
		if _, err := tree.ConsistencyProof(1+rand.Int64N(n-1), n); err != nil {
			b.Fatal(err)
		}
	}
	consistency := time.Since(t0) / rounds
	b.StopTimer()
	b.ReportMetric(float64(inclusion.Nanoseconds())/1e3, "inclusion-µs")
	b.ReportMetric(float64(consistency.Nanoseconds())/1e3, "consistency-µs")
	b.ReportMetric(build.Seconds()*1e9/n, "append-ns/leaf")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/leaf")
}
