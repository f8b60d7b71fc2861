package app

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections"
)

// fakeClock is the injectable clock: tests move time instead of sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time)         { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

var dicCoord = actor("dic", "lan", domain.RoleCoordinator)

// escalateToSubcommittee opens an ordinary incident at the DIC and escalates it to the
// subcommittee at t0 with a 15-minute window; the default policy's chain then goes to VNCERT/CC.
func escalateToSubcommittee(t *testing.T, e *env, t0 time.Time) (string, time.Time) {
	t.Helper()
	id := eventstore.NewID()
	e.doAt(t, id, dicCoord, t0, domain.OpenIncident{Title: "Tấn công DDoS cổng dịch vụ công", Type: "DOS", Sector: "GOVERNMENT",
		Severity: domain.SeverityHigh, TLP: domain.TLPAmber, DetectedAt: t0.Add(-time.Hour)})
	e.doAt(t, id, dicCoord, t0, domain.Escalate{EscalationID: "esc-1", ToOrg: "subcommittee", Reason: "cần tiểu ban chỉ đạo", AckWithin: 15 * time.Minute})
	return id, t0.Add(15 * time.Minute)
}

func TestMissedDeadlineAdvancesChainOnce(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.FileStorage)
	clock := &fakeClock{}
	t0 := time.Now().UTC().Truncate(time.Second)
	clock.Set(t0)
	s := NewScheduler(e.app, e.store, e.proj, clock.Now, nil)
	ctx := context.Background()
	id, deadline := escalateToSubcommittee(t, e, t0)

	is.Equal(s.Tick(ctx), 0) // nothing due yet
	clock.Set(deadline.Add(-5 * time.Minute))
	is.Equal(s.Tick(ctx), 1) // the reminder, 5 minutes before
	e.settle(t)
	is.Equal(s.Tick(ctx), 0) // once
	clock.Set(deadline.Add(time.Second))
	is.Equal(s.Tick(ctx), 1) // the miss, and the chain's next step, in one commit
	e.settle(t)
	is.Equal(s.Tick(ctx), 0) // and never again
	is.Equal(e.countEvents(t, "EscalationReminderDue"), 1)
	is.Equal(e.countEvents(t, "EscalationDeadlineMissed"), 1)

	d, err := e.proj.Incidents.Incident(dicCoord, id, clock.Now())
	is.NoErr(err)
	var next *domain.Escalation
	for i := range d.Escalations {
		if d.Escalations[i].To == "vncert" {
			next = &d.Escalations[i]
		}
	}
	is.True(next != nil) // VNCERT/CC is next in the chain
	is.Equal(next.Status, domain.EscalationStatusPending)
	q := e.proj.Incidents.EscalationQueue(actor("vncert", "nam", domain.RoleCoordinator), false, clock.Now())
	is.Equal(len(q), 1) // and it is in VNCERT/CC's queue
}

func TestAcknowledgementJustBeforeDeadlineStopsIt(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.FileStorage)
	clock := &fakeClock{}
	t0 := time.Now().UTC().Truncate(time.Second)
	s := NewScheduler(e.app, e.store, e.proj, clock.Now, nil)
	id, deadline := escalateToSubcommittee(t, e, t0)
	e.doAt(t, id, actor("subcommittee", "ha", domain.RoleReviewer), deadline.Add(-time.Millisecond), domain.AcknowledgeEscalation{EscalationID: "esc-1"})
	clock.Set(deadline.Add(time.Hour))
	s.Tick(context.Background())
	e.settle(t)
	is.Equal(e.countEvents(t, "EscalationDeadlineMissed"), 0) // acknowledged 1 ms early: nothing fires
	is.Equal(e.countEvents(t, "IncidentEscalated"), 1)        // and the chain did not move
}

func TestTwoReplicasFireEachDeadlineOnce(t *testing.T) {
	is := is.New(t)
	a := MustEnv(t, jetstream.FileStorage)
	b := a.replica(t, nil)
	clock := &fakeClock{}
	t0 := time.Now().UTC().Truncate(time.Second)
	var ids []string
	var deadline time.Time
	for range 5 {
		id, d := escalateToSubcommittee(t, a, t0)
		ids, deadline = append(ids, id), d
	}
	b.settle(t)
	sa, sb := NewScheduler(a.app, a.store, a.proj, clock.Now, nil), NewScheduler(b.app, b.store, b.proj, clock.Now, nil)
	clock.Set(deadline.Add(time.Second))
	var wg sync.WaitGroup
	var na, nb int
	wg.Add(2)
	go func() { defer wg.Done(); na = sa.Tick(context.Background()) }()
	go func() { defer wg.Done(); nb = sb.Tick(context.Background()) }()
	wg.Wait()
	a.settle(t)
	b.settle(t)
	sa.Tick(context.Background())
	sb.Tick(context.Background())
	a.settle(t)
	is.Equal(a.countEvents(t, "EscalationDeadlineMissed"), len(ids)) // one per deadline, not two
	is.Equal(a.countEvents(t, "EscalationReminderDue"), 0)           // a reminder after the deadline is of no use
	is.Equal(na+nb, len(ids))                                        // together the replicas recorded each once
	is.Equal(a.countEvents(t, "IncidentEscalated"), 2*len(ids))      // one next step per deadline
}

func TestRestartBetweenDeadlineAndProcessing(t *testing.T) {
	is := is.New(t)
	a := MustEnv(t, jetstream.FileStorage)
	clock := &fakeClock{}
	t0 := time.Now().UTC().Truncate(time.Second)
	_, deadline := escalateToSubcommittee(t, a, t0)
	// Replica a goes down before the deadline; time passes; a fresh replica (rebuilt from the
	// log) comes up after it.
	clock.Set(deadline.Add(10 * time.Minute))
	b := a.replica(t, nil)
	sb := NewScheduler(b.app, b.store, b.proj, clock.Now, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sb.Run(ctx) }()
	deadlineT := time.Now().Add(10 * time.Second)
	for a.countEvents(t, "EscalationDeadlineMissed") == 0 && time.Now().Before(deadlineT) {
		time.Sleep(20 * time.Millisecond) // polling the log with a deadline, not waiting blind
	}
	cancel()
	<-done
	// The old replica comes back with its stale read models and tries too.
	sa := NewScheduler(a.app, a.store, a.proj, clock.Now, nil)
	sa.Tick(context.Background())
	a.settle(t)
	is.Equal(a.countEvents(t, "EscalationDeadlineMissed"), 1) // exactly once across the restart
}

func TestPolicyEditedMidEscalationDoesNotChangeIt(t *testing.T) {
	is := is.New(t)
	a := MustEnv(t, jetstream.FileStorage)
	t0 := time.Now().UTC().Truncate(time.Second)
	id, deadline := escalateToSubcommittee(t, a, t0) // chain recorded: subcommittee -> vncert
	// A new configuration version sends the default chain to the police instead.
	edited := testConfig(t)
	edited.Version = "2026.9"
	for i, r := range edited.EscalationPolicy.Rules {
		if len(r.Match.Tiers) == 0 && len(r.Match.InfoClasses) == 0 {
			edited.EscalationPolicy.Rules[i].Chain = []domain.ChainStep{{Org: "subcommittee", AckWithin: domain.Duration(30 * time.Minute)}, {Org: "police", AckWithin: domain.Duration(30 * time.Minute)}}
		}
	}
	is.NoErr(edited.Validate())
	b := a.replica(t, edited)
	clock := &fakeClock{}
	clock.Set(deadline.Add(time.Second))
	NewScheduler(b.app, b.store, b.proj, clock.Now, nil).Tick(context.Background())
	a.settle(t)
	d, err := a.proj.Incidents.Incident(dicCoord, id, clock.Now())
	is.NoErr(err)
	var to []string
	for _, x := range d.Escalations {
		to = append(to, x.To)
	}
	is.Equal(to, []string{"subcommittee", "vncert"}) // the recorded chain, not the edited one
}

func TestHandoffDeclinedOrUnansweredMovesOn(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.FileStorage)
	clock := &fakeClock{}
	t0 := time.Now().UTC().Truncate(time.Second)
	s := NewScheduler(e.app, e.store, e.proj, clock.Now, nil)
	open := func() string {
		id := eventstore.NewID()
		e.doAt(t, id, dicCoord, t0, domain.OpenIncident{Title: "Mã độc tại bệnh viện", Type: "MALWARE", Sector: "HEALTH",
			Severity: domain.SeverityHigh, TLP: domain.TLPAmber, DetectedAt: t0.Add(-time.Hour)})
		e.doAt(t, id, dicCoord, t0, domain.OfferHandoff{HandoffID: "h1", ToOrg: "cert-health", Summary: "xin hỗ trợ", AnswerWithin: time.Hour})
		return id
	}
	inbox := func(org string) []projections.QueueItem {
		return e.proj.Incidents.HandoffInbox(actor(org, "x", domain.RolePartner), clock.Now())
	}
	// Declined: the next CERT of the chain gets the offer at once.
	declined := open()
	e.doAt(t, declined, actor("cert-health", "minh", domain.RolePartner), t0.Add(time.Minute), domain.DeclineHandoff{HandoffID: "h1", Reason: "ngoài phạm vi"})
	clock.Set(t0.Add(2 * time.Minute))
	is.Equal(len(inbox("cert-health")), 0)
	is.Equal(len(inbox("vncert")), 1) // moved on to VNCERT/CC
	// Unanswered: when the answer deadline passes, the scheduler moves it on, once.
	unanswered := open()
	clock.Set(t0.Add(time.Hour + time.Second))
	is.True(s.Tick(context.Background()) >= 1)
	e.settle(t)
	s.Tick(context.Background())
	e.settle(t)
	is.Equal(e.countEvents(t, "HandoffDeadlineMissed"), 1)
	got := inbox("vncert")
	is.Equal(len(got), 2) // both incidents now wait on VNCERT/CC
	d, err := e.proj.Incidents.Incident(dicCoord, unanswered, clock.Now())
	is.NoErr(err)
	is.Equal(d.Handoffs[0].Status, domain.HandoffStatusExpired)
}

func TestPeriodicReportOverdueOnce(t *testing.T) {
	is := is.New(t)
	base := MustEnv(t, jetstream.MemoryStorage)
	withReports := testConfig(t)
	withReports.PeriodicReports = domain.DefaultConfig().PeriodicReports
	is.NoErr(withReports.Validate())
	e := base.replica(t, withReports)
	clock := &fakeClock{}
	year := time.Now().Year()
	loc := time.FixedZone("ICT", 7*3600)
	clock.Set(time.Date(year, 6, 19, 12, 0, 0, 0, loc)) // the day before the H1 due date
	s := NewScheduler(e.app, e.store, e.proj, clock.Now, nil)
	before := s.Tick(context.Background())
	clock.Set(time.Date(year, 6, 20, 0, 0, 1, 0, loc))
	n := s.Tick(context.Background())
	e.settle(t)
	is.True(n > 0) // H1 reports of every reporting organisation are now overdue
	again := s.Tick(context.Background())
	is.Equal(again, 0) // once
	id := domain.PeriodicReportID("dic", "H1", year)
	is.True(e.proj.Reports.Settled(id)) // the DIC's H1 report is recorded overdue
	is.Equal(e.countEvents(t, "PeriodicReportOverdue"), before+n)
}
