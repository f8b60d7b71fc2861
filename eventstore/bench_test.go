package eventstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// benchNote makes a commit of about 512 bytes, the size of the reference measurements.
var benchNote = strings.Repeat("n", 150)

// rawOCC publishes perWriter messages from each of `writers` goroutines, each on its own
// aggregates, with the expected last subject sequence: raw JetStream doing the same job as a
// command, measured in the same run.
func rawOCC(b *testing.B, env *testEnv, writers, perWriter, size int, prefix string) float64 {
	js, _ := jetstream.New(env.nc)
	payload := []byte(strings.Repeat("x", size))
	var wg sync.WaitGroup
	start := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := map[string]uint64{}
			for i := range perWriter {
				subj := fmt.Sprintf("%s.raw.%s-%d-%d", env.store.cfg.SubjectPrefix, prefix, w, i%50)
				ack, err := js.Publish(context.Background(), subj, payload, jetstream.WithExpectLastSequencePerSubject(last[subj]))
				if err != nil {
					b.Error(err)
					return
				}
				last[subj] = ack.Sequence
			}
		}()
	}
	wg.Wait()
	return float64(writers*perWriter) / time.Since(start).Seconds()
}

func commits(b *testing.B, repo *Repo[*counter], writers, perWriter int, prefix string) float64 {
	var wg sync.WaitGroup
	start := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				id := fmt.Sprintf("%s-%d-%d", prefix, w, i%50)
				m := meta(fmt.Sprintf("%s-%d-%d", prefix, w, i))
				if _, err := repo.Update(context.Background(), id, m, func(c *counter) error {
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
	return float64(writers*perWriter) / time.Since(start).Seconds()
}

// BenchmarkCommitThroughput compares commands (encode, hash, batch-sign, publish with the expected
// subject sequence, update the write model) with raw JetStream sync publish with the expected
// subject sequence, at 1 and 16 concurrent writers on distinct aggregates, file storage.
// Rounds alternate raw and commit so that machine noise hits both alike; the best round of
// each is reported.
func BenchmarkCommitThroughput(b *testing.B) {
	for _, writers := range []int{1, 16} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			env := MustStore(b, jetstream.FileStorage)
			repo := NewRepo(env.store, newCounter)
			// Raw messages get the same size as our commits.
			probe, _ := repo.Update(context.Background(), "probe", meta("probe"), func(c *counter) error {
				c.record(Added{Amount: 1, Note: benchNote})
				return nil
			})
			cs, _ := env.store.LoadCommits(context.Background(), "counter", "probe", 1, 0)
			size := len(cs[0].Body())
			_ = probe
			per := 4000 / writers * 2
			if writers == 16 {
				per = 2000
			}
			var raws, ours []float64
			b.ResetTimer()
			for round := range 3 {
				raws = append(raws, rawOCC(b, env, writers, per, size, fmt.Sprint(round)))
				ours = append(ours, commits(b, repo, writers, per, fmt.Sprintf("r%d", round)))
			}
			b.StopTimer()
			raw, our := slices.Max(raws), slices.Max(ours)
			b.ReportMetric(raw, "raw-msg/s")
			b.ReportMetric(our, "commits/s")
			b.ReportMetric(our/raw, "ratio")
			b.ReportMetric(float64(size), "bytes/commit")
			st := env.store.Stats()
			b.ReportMetric(float64(st.Commits)/float64(max(st.Signatures, 1)), "commits/sig")
		})
	}
}
