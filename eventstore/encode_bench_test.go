package eventstore

import (
	"crypto/sha256"
	"runtime"
	"testing"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

// BenchmarkEncodeCommit measures what an append costs before the publish: checking the ids,
// encoding a one-event commit of about 600 bytes with its ids, and hashing it. It runs its own
// loop so that one iteration (-benchtime 1x) reports a steady figure.
func BenchmarkEncodeCommit(b *testing.B) {
	const n = 20_000
	ev := []domain.Event{Added{Amount: 1, Note: benchNote}}
	m := meta("cmd-123456")
	one := func() {
		body := commitBody{ID: newID(), Command: m.CommandID, CommandName: m.CommandName, AggregateType: "counter", AggregateID: "r1-3-17",
			Version: 5, Prev: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Actor: m.Actor, OccurredAt: time.Now().UTC()}
		buf, err := encodeCommit(&body, ev)
		if err != nil {
			b.Fatal(err)
		}
		_ = sha256.Sum256(buf.Bytes())
		_ = checkAggregate("counter", "r1-3-17")
		releaseBody(buf)
	}
	one() // warm the encoder's type cache
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	b.ResetTimer()
	t0 := time.Now()
	for range n {
		one()
	}
	d := time.Since(t0)
	b.StopTimer()
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(d.Nanoseconds())/n, "ns/commit")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/n, "allocs/commit")
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/n, "B/commit")
}
