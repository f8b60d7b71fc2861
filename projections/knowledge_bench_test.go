package projections

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// seedBusyIncident records an incident of n events the way a long response writes them:
// escalations to the four forces and the subcommittee, acknowledged and resolved, handoff offers
// withdrawn, notes and indicators by several organisations.
func seedBusyIncident(b *testing.B, e *env, n int) string {
	dic := actor("dic", "lan", domain.RoleCoordinator)
	orgs := []string{"police", "military", "propaganda", "subcommittee"}
	id := e.open(b, dic, "Một nghìn sự kiện: ai biết gì, khi nào")
	var last uint64
	for k := 1; k < n; k++ {
		round, step := (k-1)/9, (k-1)%9
		to := orgs[round%len(orgs)]
		them := actor(to, "u"+strconv.Itoa(round%3), domain.RoleCoordinator)
		esc, ho := "e"+strconv.Itoa(round), "h"+strconv.Itoa(round)
		who, cmd := dic, domain.Command(nil)
		switch step {
		case 0:
			cmd = domain.Escalate{EscalationID: esc, ToOrg: to, Reason: "cần phối hợp"}
		case 1:
			who, cmd = them, domain.AcknowledgeEscalation{EscalationID: esc}
		case 2:
			cmd = domain.AddNote{NoteID: "d" + strconv.Itoa(k), Text: "Cập nhật tình hình " + strconv.Itoa(k)}
		case 3:
			who, cmd = them, domain.AddNote{NoteID: "t" + strconv.Itoa(k), Text: "Đơn vị đã kiểm tra " + strconv.Itoa(k)}
		case 4:
			cmd = domain.OfferHandoff{HandoffID: ho, ToOrg: "cert-health", Summary: "đề nghị hỗ trợ"}
		case 5:
			cmd = domain.WithdrawHandoff{HandoffID: ho, Reason: "tự xử lý"}
		case 6:
			who, cmd = them, domain.AddIndicator{IndicatorID: "i" + strconv.Itoa(k), Type: domain.IndicatorIPv4, Value: "198.51.100." + strconv.Itoa(k%250+1)}
		case 7:
			cmd = domain.ResolveEscalation{EscalationID: esc, Resolution: "đã phối hợp"}
		default:
			cmd = domain.AddNote{NoteID: "s" + strconv.Itoa(k), Text: "ghi chú hạn chế", TLP: domain.TLPAmberStrict}
		}
		in := domain.Invocation{Actor: who, Now: time.Now(), Config: e.cfg}
		res, err := e.repo.Update(context.Background(), id, eventstore.CommandMeta{CommandID: eventstore.NewID(), Actor: who, At: in.Now},
			func(i *domain.Incident) error { return domain.Execute(i, in, cmd) })
		if err != nil {
			b.Fatalf("event %d (%s): %v", k, cmd.CommandName(), err)
		}
		last = res.Sequence
	}
	if err := e.proj.WaitFor(context.Background(), last); err != nil {
		b.Fatal(err)
	}
	return id
}

// BenchmarkWhoKnewWhat1000 derives who-knew-what-when of an incident with 1,000 events, beside
// the plain timeline of the same incident for the same reader in the same run.
func BenchmarkWhoKnewWhat1000(b *testing.B) {
	e := MustEnv(b, jetstream.MemoryStorage)
	id := seedBusyIncident(b, e, 1000)
	reader := actor("subcommittee", "hoa", domain.RoleReviewer)
	tl, err := e.proj.Incidents.Timeline(reader, id)
	if err != nil || len(tl) < 800 {
		b.Fatalf("timeline: %v, %d entries", err, len(tl))
	}
	var plain, who []time.Duration
	b.ResetTimer()
	for range 300 {
		t := time.Now()
		if _, err := e.proj.Incidents.Timeline(reader, id); err != nil {
			b.Fatal(err)
		}
		plain = append(plain, time.Since(t))
		t = time.Now()
		k, err := e.proj.Incidents.WhoKnewWhat(reader, id, time.Time{}, 0)
		if err != nil || len(k.Orgs) < 5 {
			b.Fatalf("who knew what: %v, %d organisations", err, len(k.Orgs))
		}
		who = append(who, time.Since(t))
	}
	b.StopTimer()
	p50, tp50 := percentile(who, 0.5), percentile(plain, 0.5)
	b.ReportMetric(p50, "whoknew-p50-ms")
	b.ReportMetric(percentile(who, 0.99), "whoknew-p99-ms")
	b.ReportMetric(tp50, "timeline-p50-ms")
	b.ReportMetric(percentile(plain, 0.99), "timeline-p99-ms")
	b.ReportMetric(p50/tp50, "whoknew/timeline")
}
