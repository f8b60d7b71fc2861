package projections

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

func benchIncidents() int {
	if n, _ := strconv.Atoi(os.Getenv("DIEUPHOI_BENCH_INCIDENTS")); n > 0 {
		return n
	}
	return 100_000
}

var benchOrgs = []string{"police", "military", "dic", "propaganda", "dept-health", "dept-finance"}

// seedIncidents opens n incidents from 16 writers (mixed TLP, severity, originators; a third
// shared, a tenth escalated) through the command path, as production would write them.
func seedIncidents(b *testing.B, e *env, n int) {
	var wg sync.WaitGroup
	const writers = 16
	tlps := []domain.TLP{domain.TLPClear, domain.TLPGreen, domain.TLPAmber, domain.TLPAmber, domain.TLPAmberStrict, domain.TLPRed}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += writers {
				org := benchOrgs[i%len(benchOrgs)]
				who := actor(org, "u"+strconv.Itoa(i%7), domain.RoleCoordinator)
				inv := domain.Invocation{Actor: who, Now: time.Now(), Config: e.cfg}
				id := fmt.Sprintf("inc-%06d", i)
				_, err := e.repo.Update(context.Background(), id, eventstore.CommandMeta{Actor: who, At: inv.Now}, func(inc *domain.Incident) error {
					err := inc.Open(inv, domain.OpenIncident{Title: fmt.Sprintf("Sự cố %d tại đơn vị %s", i, org), Type: "MALWARE", Sector: "HEALTH",
						Severity: []domain.Severity{domain.SeverityLow, domain.SeverityMedium, domain.SeverityHigh, domain.SeverityCritical}[i%4],
						TLP:      domain.TLPAmber, DetectedAt: inv.Now.Add(-time.Hour)})
					if err == nil && i%3 == 0 {
						err = inc.Share(inv, domain.Share{Orgs: []string{benchOrgs[(i+1)%len(benchOrgs)]}})
					}
					if err == nil && i%10 == 0 {
						err = inc.Escalate(inv, domain.Escalate{EscalationID: "e" + id, ToOrg: "subcommittee", Reason: "review"})
					}
					if t := tlps[i%len(tlps)]; err == nil && t != domain.TLPAmber {
						err = inc.ChangeTLP(inv, domain.ChangeTLP{TLP: t})
					}
					return err
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func percentile(ds []time.Duration, q float64) float64 {
	slices.Sort(ds)
	return float64(ds[int(q*float64(len(ds)-1))].Nanoseconds()) / 1e6
}

// BenchmarkReadModels seeds the log with 100k incidents and reports: a projection rebuild
// (decode + apply every commit) beside a raw ordered-consumer read of the same stream, and board
// query latency for coordinators of several organisations.
func BenchmarkReadModels(b *testing.B) {
	n := benchIncidents()
	e := MustEnv(b, jetstream.FileStorage)
	t0 := time.Now()
	seedIncidents(b, e, n)
	last, _ := e.store.LastSequence(context.Background())
	if err := e.proj.WaitFor(context.Background(), last); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d incidents (%d commits) in %s", n, last, time.Since(t0).Round(time.Millisecond))
	heap, rss := heapMiB(), rssMiB() // write models, read models and the embedded server's JetStream
	ctx := context.Background()
	b.ResetTimer()

	// Raw: an ordered consumer reading every message, nothing decoded.
	var rawBest, ourBest float64
	for range 2 {
		js := e.store.JetStream()
		st, _ := js.Stream(ctx, eventstore.DefaultStream)
		t := time.Now()
		cons, _ := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
		it, _ := cons.Messages(jetstream.PullMaxMessages(2000))
		for read := uint64(0); read < last; read++ {
			if _, err := it.Next(); err != nil {
				b.Fatal(err)
			}
		}
		it.Stop()
		rawBest = max(rawBest, float64(last)/time.Since(t).Seconds())

		t = time.Now()
		p, err := AsOf(ctx, e.store, e.cfg, time.Now().Add(time.Hour))
		if err != nil || p.Incidents.Len() != n {
			b.Fatalf("rebuild: %v (%d incidents)", err, p.Incidents.Len())
		}
		ourBest = max(ourBest, float64(last)/time.Since(t).Seconds())
	}

	var lat []time.Duration
	viewers := []domain.Actor{actor("police", "u1", domain.RoleCoordinator), actor("dic", "u2", domain.RoleResponder),
		actor("vncert", "x", domain.RolePartner), actor("subcommittee", "y", domain.RoleReviewer)}
	for i := range 2000 {
		q := BoardQuery{First: 50}
		switch i % 4 {
		case 1:
			q.Sort = SortSeverity
		case 2:
			q.Filter.Status = []domain.IncidentStatus{domain.IncidentStatusOpen}
			q.Filter.Severity = []domain.Severity{domain.SeverityHigh, domain.SeverityCritical}
		case 3:
			q.Filter.Text = "đơn vị dic"
		}
		t := time.Now()
		if _, err := e.proj.Incidents.Board(viewers[i%len(viewers)], q); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	b.StopTimer()
	b.ReportMetric(rawBest, "raw-read-msg/s")
	b.ReportMetric(ourBest, "rebuild-msg/s")
	b.ReportMetric(ourBest/rawBest, "rebuild-ratio")
	b.ReportMetric(percentile(lat, 0.5), "board-p50-ms")
	b.ReportMetric(percentile(lat, 0.99), "board-p99-ms")
	b.ReportMetric(float64(n), "incidents")
	b.ReportMetric(heap, "heap-MiB")
	b.ReportMetric(rss, "rss-MiB")
}

// BenchmarkTimeline1000 reads the timeline of an incident with 1,000 events.
func BenchmarkTimeline1000(b *testing.B) {
	e := MustEnv(b, jetstream.MemoryStorage)
	id := e.open(b, opener, "một nghìn sự kiện")
	for n := range 999 {
		inv := domain.Invocation{Actor: opener, Now: time.Now(), Config: e.cfg}
		res, err := e.repo.Update(context.Background(), id, eventstore.CommandMeta{Actor: opener, At: inv.Now}, func(i *domain.Incident) error {
			return i.AddNote(inv, domain.AddNote{NoteID: strconv.Itoa(n), Text: "Cập nhật tình hình xử lý sự cố số " + strconv.Itoa(n)})
		})
		if err != nil {
			b.Fatal(err)
		}
		if n == 998 {
			e.proj.WaitFor(context.Background(), res.Sequence)
		}
	}
	var lat []time.Duration
	b.ResetTimer()
	for range 300 {
		t := time.Now()
		if _, err := e.proj.Incidents.Timeline(sharedWith, id); err == nil {
			b.Fatal("dic must not see it")
		}
		tl, err := e.proj.Incidents.Timeline(opener, id)
		if err != nil || len(tl) != 1000 {
			b.Fatalf("timeline: %v, %d entries", err, len(tl))
		}
		lat = append(lat, time.Since(t))
	}
	b.StopTimer()
	b.ReportMetric(percentile(lat, 0.5), "timeline-p50-ms")
	b.ReportMetric(percentile(lat, 0.99), "timeline-p99-ms")
}
