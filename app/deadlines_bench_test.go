package app

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
)

// BenchmarkDeadlines seeds incidents each with one pending escalation (100k by default:
// DIEUPHOI_BENCH_DEADLINES), then reports how long finding the due ones takes in the index, and
// how fast a scheduler records them (a miss with the chain's next step, or a reminder: one
// commit each).
func BenchmarkDeadlines(b *testing.B) {
	n := 100_000
	if v, _ := strconv.Atoi(os.Getenv("DIEUPHOI_BENCH_DEADLINES")); v > 0 {
		n = v
	}
	e := MustEnv(b, jetstream.FileStorage)
	t0 := time.Now().UTC().Truncate(time.Second)
	var wg sync.WaitGroup
	const writers = 16
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += writers {
				id := fmt.Sprintf("d-%06d", i)
				_, err := e.app.Execute(context.Background(), Request{Actor: dicCoord, AggregateID: id, At: t0, NoWait: true,
					Command: domain.OpenIncident{Title: "DDoS " + strconv.Itoa(i), Type: "DOS", Severity: domain.SeverityHigh,
						TLP: domain.TLPAmber, DetectedAt: t0.Add(-time.Hour)}})
				if err == nil {
					// spread the deadlines over an hour so that "due" is a fraction of the pending
					_, err = e.app.Execute(context.Background(), Request{Actor: dicCoord, AggregateID: id, At: t0, NoWait: true,
						Command: domain.Escalate{EscalationID: "e", ToOrg: "subcommittee", Reason: "r",
							AckWithin: 15*time.Minute + time.Duration(i%60)*time.Minute}})
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	e.settle(b)
	b.ResetTimer()

	// Finding what is due: a quarter of the escalation deadlines (15..29 of 15..74 minutes).
	at := t0.Add(30 * time.Minute)
	pending := e.proj.Deadlines.Pending()
	start := time.Now()
	due := e.proj.Deadlines.Due(at, 0)
	findDue := time.Since(start)
	for _, d := range due { // put them back for the scheduler
		e.proj.Deadlines.Retry(d, d.Deadline.At)
	}

	clock := &fakeClock{}
	clock.Set(at)
	s := NewScheduler(e.app, e.store, e.proj, clock.Now, nil)
	before, _ := e.store.LastSequence(context.Background())
	start = time.Now()
	fired := s.Tick(context.Background())
	took := time.Since(start)
	after, _ := e.store.LastSequence(context.Background())
	b.StopTimer()
	if fired == 0 || int(after-before) != fired {
		b.Fatalf("fired %d, commits %d", fired, after-before)
	}
	b.ReportMetric(float64(pending), "pending")
	b.ReportMetric(float64(len(due)), "due")
	b.ReportMetric(float64(findDue.Microseconds())/1000, "find-due-ms")
	b.ReportMetric(float64(fired)/took.Seconds(), "fired/s") // misses (with the chain's next step) and reminders, one commit each
}
