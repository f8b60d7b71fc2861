package graph_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections/report"
)

// BenchmarkPeriodicReport makes the DIC's Mẫu 05 for a province-year of DIEUPHOI_BENCH_INCIDENTS
// incidents (default 100,000; a third the DIC's, a tenth drills, a quarter escalated and
// acknowledged, an eighth handed to VNCERT), as a PDF: from the live read models, and rebuilt
// from the log as of an instant the log has moved past. Beside them, in the same run, a raw
// ordered-consumer read of the whole stream, which the rebuild cannot beat.
func BenchmarkPeriodicReport(b *testing.B) {
	n := benchEnv("DIEUPHOI_BENCH_INCIDENTS", 100_000)
	e := MustEnv(b)
	ctx := context.Background()
	now := time.Now()
	year := now.In(domain.Vietnam()).Year()
	if _, to, _, _ := domain.PeriodWindow(e.cfg, "YEAR", year); !now.Before(to) {
		year++
	}
	orgs := []string{"dic", "police", "dept-health"}
	sub := domain.Actor{Org: "subcommittee", User: "mai", Role: domain.RoleCoordinator}
	vn := domain.Actor{Org: "vncert", User: "minh", Role: domain.RoleCoordinator}
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			do := func(a domain.Actor, id string, c domain.Command) bool {
				_, err := e.app.Execute(ctx, app.Request{Actor: a, AggregateID: id, Command: c, NoWait: true})
				if err != nil {
					b.Error(err)
				}
				return err == nil
			}
			for i := w; i < n; i += 16 {
				who := domain.Actor{Org: orgs[i%3], User: "u", Role: domain.RoleCoordinator}
				id := fmt.Sprintf("inc-%06d", i)
				ok := do(who, id, domain.OpenIncident{Title: fmt.Sprintf("Sự cố %d", i), Type: e.cfg.IncidentTypes[i%len(e.cfg.IncidentTypes)].Code,
					Severity: domain.SeverityMedium, TLP: domain.TLPGreen, Drill: i%10 == 7, DetectedAt: now.Add(-time.Duration(i) * time.Second)})
				if ok && i%4 == 1 && do(who, id, domain.Escalate{EscalationID: id + "-e", ToOrg: "subcommittee", Reason: "báo cáo"}) {
					do(sub, id, domain.AcknowledgeEscalation{EscalationID: id + "-e"})
				}
				if ok && i%8 == 2 && do(who, id, domain.OfferHandoff{HandoffID: id + "-h", ToOrg: "vncert", Summary: "hỗ trợ"}) {
					do(vn, id, domain.AcceptHandoff{HandoffID: id + "-h"})
				}
			}
		}()
	}
	wg.Wait()
	last := e.MustLast(b)
	if err := e.proj.WaitFor(ctx, last); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d incidents (%d commits) in %s", n, last, time.Since(t0).Round(time.Millisecond))
	lan := domain.Actor{Org: "dic", User: "lan", Role: domain.RoleCoordinator}
	reports := app.NewReports(e.store, e.proj, e.cfg, nil)
	req := app.ReportRequest{Form: report.Mau05, Org: "dic", Period: "YEAR", Year: year, Format: "pdf"}
	b.ResetTimer()

	t := time.Now()
	live, err := reports.Generate(ctx, lan, req)
	if err != nil {
		b.Fatal(err)
	}
	liveTook := time.Since(t)
	if live.Tally.Incidents+countDrills(live.Tally) != (n+2)/3 {
		b.Fatalf("counted %d incidents and %d drills of the DIC's %d", live.Tally.Incidents, countDrills(live.Tally), (n+2)/3)
	}

	// The log moves past the instant: the same report is rebuilt from the log.
	e.app.Execute(ctx, app.Request{Actor: lan, AggregateID: "after", Command: domain.OpenIncident{Title: "sau", Type: "DOS", Severity: domain.SeverityLow,
		TLP: domain.TLPGreen, DetectedAt: now}})
	req.AsOf = live.Document.Basis.AsOf
	t = time.Now()
	rebuilt, err := reports.Generate(ctx, lan, req)
	if err != nil {
		b.Fatal(err)
	}
	rebuildTook := time.Since(t)
	if rebuilt.Sha256 != live.Sha256 {
		b.Fatal("the rebuilt report differs from the live one")
	}

	// What a coordinator asks of the same log: what the DIC owes, and its compliance this year.
	t = time.Now()
	owed := e.proj.Incidents.OwedBy(lan, "dic", time.Now(), 50)
	owedTook := time.Since(t)
	from, to, _, _ := domain.PeriodWindow(e.cfg, "YEAR", year)
	t = time.Now()
	c := e.proj.Compliance(lan, "dic", from, to, time.Now())
	complianceTook := time.Since(t)
	if len(owed) == 0 || c.Incidents == 0 {
		b.Fatalf("nothing owed (%d) or counted (%d)", len(owed), c.Incidents)
	}

	// Raw: an ordered consumer reading every message of the stream, nothing decoded.
	st, err := e.store.JetStream().Stream(ctx, eventstore.DefaultStream)
	if err != nil {
		b.Fatal(err)
	}
	t = time.Now()
	cons, _ := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	it, _ := cons.Messages(jetstream.PullMaxMessages(2000))
	for read := uint64(0); read < last; read++ {
		if _, err := it.Next(); err != nil {
			b.Fatal(err)
		}
	}
	it.Stop()
	rawTook := time.Since(t)
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(float64(n), "incidents")
	b.ReportMetric(float64(last), "commits")
	b.ReportMetric(ms(liveTook), "mau05-live-ms")
	b.ReportMetric(ms(rebuildTook), "mau05-rebuilt-ms")
	b.ReportMetric(ms(rawTook), "raw-read-ms")
	b.ReportMetric(ms(rebuildTook)/ms(rawTook), "rebuilt/raw")
	b.ReportMetric(ms(owedTook), "deadlines-ms")
	b.ReportMetric(ms(complianceTook), "compliance-ms")
	b.ReportMetric(float64(len(live.Body))/1024, "pdf-KiB")
}

func countDrills(t *report.Tally) int {
	n := 0
	for _, d := range t.Drills {
		n += d
	}
	return n
}
