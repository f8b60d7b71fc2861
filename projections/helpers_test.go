package projections

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/eventstore/natstest"
)

// testConfig is the default province plus a second police unit, so that "same force, other
// unit" can be tested.
func testConfig(tb testing.TB) *domain.Config {
	tb.Helper()
	c := domain.DefaultConfig()
	c.Organisations = append(c.Organisations, domain.Organisation{Slug: "police-pa05", Kind: "POLICE", NameVi: "Phòng An ninh mạng PA05", NameEn: "PA05 cyber security unit"})
	c.PeriodicReports = domain.PeriodicReports{} // periodic reports have their own test, with their own configuration
	if err := c.Validate(); err != nil {
		tb.Fatal(err)
	}
	return c
}

type env struct {
	store *eventstore.Store
	proj  *Projector
	cfg   *domain.Config
	repo  *eventstore.Repo[*domain.Incident]
	now   time.Time
}

// MustEnv runs a real embedded nats-server, an event store and the read models fed by its
// follower.
func MustEnv(tb testing.TB, storage jetstream.StorageType) *env {
	tb.Helper()
	_, nc := natstest.MustStart(tb)
	st, err := eventstore.Open(context.Background(), nc, eventstore.Config{Storage: storage})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	cfg := testConfig(tb)
	e := &env{store: st, proj: New(cfg, nil), cfg: cfg, repo: eventstore.NewRepo(st, domain.NewIncident), now: time.Now().UTC()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); st.Follow(ctx, nil, e.proj.Sink()) }()
	tb.Cleanup(func() { cancel(); <-done })
	return e
}

func actor(org, user string, role domain.Role) domain.Actor {
	return domain.Actor{Org: org, User: user, Role: role}
}

// do runs one incident command as a user would and waits until the read models contain it.
func (e *env) do(tb testing.TB, id string, who domain.Actor, fn func(*domain.Incident, domain.Invocation) error) uint64 {
	tb.Helper()
	inv := domain.Invocation{Actor: who, Now: time.Now(), Config: e.cfg}
	res, err := e.repo.Update(context.Background(), id, eventstore.CommandMeta{CommandID: eventstore.NewID(), Actor: who, At: inv.Now},
		func(i *domain.Incident) error { return fn(i, inv) })
	if err != nil {
		tb.Fatalf("command on %s by %s/%s: %v", id, who.Org, who.User, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.proj.WaitFor(ctx, res.Sequence); err != nil {
		tb.Fatal(err)
	}
	return res.Sequence
}

// open opens an incident at TLP:AMBER by who.
func (e *env) open(tb testing.TB, who domain.Actor, title string, mutate ...func(*domain.OpenIncident)) string {
	tb.Helper()
	id := eventstore.NewID()
	c := domain.OpenIncident{Title: title, Type: "MALWARE", Sector: "HEALTH", Severity: domain.SeverityHigh, TLP: domain.TLPAmber, DetectedAt: time.Now().Add(-time.Hour)}
	for _, m := range mutate {
		m(&c)
	}
	e.do(tb, id, who, func(i *domain.Incident, in domain.Invocation) error { return i.Open(in, c) })
	return id
}

var dicCoord = actor("dic", "lan", domain.RoleCoordinator)

// settle waits until the read models contain everything in the log.
func (e *env) settle(tb testing.TB) {
	tb.Helper()
	last, _ := e.store.LastSequence(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.proj.WaitFor(ctx, last); err != nil {
		tb.Fatal(err)
	}
}
