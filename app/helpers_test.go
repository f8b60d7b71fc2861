package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/eventstore/natstest"
	"github.com/dieuphoi/dieuphoi/projections"
)

// testConfig is the default province plus a second police unit, without periodic reports
// (they have their own test, with their own configuration).
func testConfig(tb testing.TB) *domain.Config {
	tb.Helper()
	c := domain.DefaultConfig()
	c.Organisations = append(c.Organisations, domain.Organisation{Slug: "police-pa05", Kind: "POLICE", NameVi: "Phòng An ninh mạng PA05", NameEn: "PA05 cyber security unit"})
	c.PeriodicReports = domain.PeriodicReports{}
	if err := c.Validate(); err != nil {
		tb.Fatal(err)
	}
	return c
}

func actor(org, user string, role domain.Role) domain.Actor {
	return domain.Actor{Org: org, User: user, Role: role}
}

// env is one service replica on a real embedded nats-server: its own connection, store, read
// models (fed by its follower) and application. More replicas share the server (replica).
type env struct {
	natsURL string
	signer  *eventstore.Signer
	store   *eventstore.Store
	proj    *projections.Projector
	app     *App
	// alertStore and alerts exist on replicas started by withAlerts.
	alertStore *eventstore.Store
	alerts     *projections.Alerts
	cfg        *domain.Config
	now        time.Time
	// alertsWanted: replicas of this environment open the alerts stream too.
	alertsWanted bool
	stop         func() // stops the follower and what the test started on the replica, closes the store
	mu           sync.Mutex
	onStop       []func()
}

// MustEnv starts an embedded nats-server and the first replica on it.
func MustEnv(tb testing.TB, storage jetstream.StorageType) *env {
	tb.Helper()
	return mustEnv(tb, storage, false)
}

// MustEnvWithAlerts is MustEnv whose replicas also run the alerts stream and its triage read
// model.
func MustEnvWithAlerts(tb testing.TB, storage jetstream.StorageType) *env {
	tb.Helper()
	return mustEnv(tb, storage, true)
}

func mustEnv(tb testing.TB, storage jetstream.StorageType, alerts bool) *env {
	tb.Helper()
	srv := natstest.MustServer(tb)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	base := &env{natsURL: srv.ClientURL(), signer: eventstore.NewSigner(priv), now: time.Now().UTC(), alertsWanted: alerts}
	return base.start(tb, testConfig(tb), eventstore.Config{Storage: storage})
}

// replica starts another replica on the same server (cfg nil: the same configuration).
func (e *env) replica(tb testing.TB, cfg *domain.Config) *env {
	tb.Helper()
	if cfg == nil {
		cfg = e.cfg
	}
	r := e.start(tb, cfg, e.store.Config())
	r.settle(tb)
	return r
}

func (e *env) start(tb testing.TB, cfg *domain.Config, sc eventstore.Config) *env {
	tb.Helper()
	nc, err := nats.Connect(e.natsURL)
	if err != nil {
		tb.Fatal(err)
	}
	sc.Signer = e.signer
	sc.CheckpointInterval = 20 * time.Millisecond // tests wait for checkpoints, not a second each
	st, err := eventstore.Open(context.Background(), nc, sc)
	if err != nil {
		tb.Fatal(err)
	}
	proj := projections.New(cfg, nil)
	r := &env{natsURL: e.natsURL, signer: e.signer, store: st, proj: proj, cfg: cfg, now: e.now, alertsWanted: e.alertsWanted}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { defer func() { done <- struct{}{} }(); st.Follow(ctx, nil, proj.Sink()) }()
	followers := 1
	if e.alertsWanted {
		as, err := eventstore.Open(context.Background(), nc, eventstore.Config{Stream: "DIEUPHOI_ALERTS", SubjectPrefix: "dieuphoi.alerts",
			Storage: sc.Storage, DuplicateWindow: 30 * time.Second, Signer: e.signer})
		if err != nil {
			tb.Fatal(err)
		}
		r.alertStore, r.alerts = as, projections.NewAlerts(cfg, proj, nil)
		go func() { defer func() { done <- struct{}{} }(); as.Follow(ctx, nil, r.alerts.Sink()) }()
		followers++
	}
	r.app = New(Deps{Events: st, Read: proj, Alerts: r.alertStore, AlertRead: r.alerts, Config: cfg})
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			r.mu.Lock()
			fs := r.onStop
			r.mu.Unlock()
			for i := len(fs) - 1; i >= 0; i-- {
				fs[i]()
			}
			cancel()
			for range followers {
				<-done
			}
			st.Close()
			if r.alertStore != nil {
				r.alertStore.Close()
			}
			nc.Close()
		})
	}
	tb.Cleanup(r.stop)
	return r
}

// background runs fn on the replica until it stops; fn's error, if any, fails the test.
func (e *env) background(tb testing.TB, name string, fn func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	e.mu.Lock()
	e.onStop = append(e.onStop, func() {
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			tb.Errorf("%s: %v", name, err)
		}
	})
	e.mu.Unlock()
}

// settle waits until the read models contain everything in the log.
func (e *env) settle(tb testing.TB) {
	tb.Helper()
	last, _ := e.store.LastSequence(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.proj.WaitFor(ctx, last); err != nil {
		tb.Fatal(err)
	}
}

// doAt runs a command as who at a chosen instant through the application, which waits for
// the read models; it returns the command's sequence.
func (e *env) doAt(tb testing.TB, id string, who domain.Actor, at time.Time, cmd domain.Command) uint64 {
	tb.Helper()
	res, err := e.app.Execute(context.Background(), Request{Actor: who, AggregateID: id, Command: cmd, At: at})
	if err != nil {
		tb.Fatalf("%s on %s by %s/%s: %v", cmd.CommandName(), id, who.Org, who.User, err)
	}
	return res.Sequence
}

// do runs a command as who now.
func (e *env) do(tb testing.TB, id string, who domain.Actor, cmd domain.Command) uint64 {
	tb.Helper()
	return e.doAt(tb, id, who, time.Now(), cmd)
}

// countEvents counts events of a type in the whole log.
func (e *env) countEvents(tb testing.TB, typ string) int {
	tb.Helper()
	n := 0
	err := e.store.Read(context.Background(), eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		envs, err := c.Envelopes()
		if err != nil {
			return err
		}
		for _, x := range envs {
			if x.Type == typ {
				n++
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
