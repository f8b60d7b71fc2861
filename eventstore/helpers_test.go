package eventstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore/natstest"
)

// counter is a tiny aggregate for testing the log without the coordination domain.
type counter struct {
	domain.Recorder
	id    string
	Total int
	Notes []string
}

// Added is the test event; schema version 2 renamed "n" to "amount".
type Added struct {
	Amount int    `json:"amount"`
	Note   string `json:"note,omitempty"`
	domain.Stamp
}

func (Added) EventType() string { return "TestAdded" }

// Reset is a second test event type.
type Reset struct{ domain.Stamp }

func (Reset) EventType() string { return "TestReset" }

func init() {
	domain.RegisterEvent[Added](2, map[int]domain.Upcaster{1: func(b []byte) ([]byte, error) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		m["amount"] = m["n"]
		delete(m, "n")
		return json.Marshal(m)
	}})
	domain.RegisterEvent[Reset](1, nil)
}

func newCounter(id string) *counter      { return &counter{id: id} }
func (c *counter) AggregateType() string { return "counter" }
func (c *counter) AggregateID() string   { return c.id }
func (c *counter) Replay(e domain.Event) { c.apply(e) }
func (c *counter) apply(e domain.Event) {
	switch e := e.(type) {
	case Added:
		c.Total += e.Amount
		c.Notes = append(c.Notes, e.Note)
	case Reset:
		c.Total = 0
	}
}
func (c *counter) record(es ...domain.Event) {
	for _, e := range es {
		c.apply(e)
		domain.Record(&c.Recorder, e)
	}
}

// Add records one or more additions; a negative amount is refused.
func (c *counter) Add(amounts ...int) error {
	for _, n := range amounts {
		if n < 0 {
			return domain.Errorf(domain.EINVALID, "amount must not be negative")
		}
	}
	for _, n := range amounts {
		c.record(Added{Amount: n})
	}
	return nil
}

type testEnv struct {
	store *Store
	nc    *nats.Conn
	js    jetstream.JetStream
	url   string
}

// MustStore starts an embedded nats-server with JetStream (file or memory storage) and opens a
// store on it, with a fresh checkpoint key and its own witness directory; everything is torn
// down with the test.
func MustStore(tb testing.TB, storage jetstream.StorageType, mutate ...func(*Config)) *testEnv {
	tb.Helper()
	srv, nc := natstest.MustStart(tb)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	cfg := Config{Storage: storage, AllowDelete: true, Signer: NewSigner(priv), WitnessDir: tb.TempDir()}
	for _, m := range mutate {
		m(&cfg)
	}
	st, err := Open(context.Background(), nc, cfg)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	js, _ := jetstream.New(nc)
	return &testEnv{store: st, nc: nc, js: js, url: srv.ClientURL()}
}

// MustReplica opens a second store (its own connection, cache, tree and witness directory, same
// signing key) on the same server: another service replica.
func (e *testEnv) MustReplica(tb testing.TB) *Store {
	tb.Helper()
	cfg := e.store.cfg
	cfg.WitnessDir = tb.TempDir()
	st, err := Open(context.Background(), natstest.MustConnect(tb, e.url), cfg)
	if err != nil {
		tb.Fatalf("open replica: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// MustFollow runs st's follower until the test ends.
func MustFollow(tb testing.TB, st *Store) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); st.Follow(ctx, nil) }()
	tb.Cleanup(func() { cancel(); <-done })
}

// MustCheckpoints runs st's checkpointer until the test ends; it returns the error the loop
// ended with, if it ends earlier.
func MustCheckpoints(tb testing.TB, st *Store) <-chan error {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.RunCheckpoints(ctx, nil) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			tb.Errorf("checkpointer of %s ended: %v", st.cfg.Stream, err)
		}
	})
	return done
}

// mustWaitFollowed waits, with a deadline, until st's follower has applied seq.
func mustWaitFollowed(tb testing.TB, st *Store, seq uint64) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := st.WaitFollowed(ctx, seq); err != nil {
		tb.Fatalf("follower at %d, want %d: %v", st.Followed(), seq, err)
	}
}

// mustWaitCheckpoint polls, with a deadline, until a checkpoint covering size is published.
func mustWaitCheckpoint(tb testing.TB, st *Store, size int64) Checkpoint {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		// A cluster that lost a node may not answer for a moment (an election): ask again.
		cp, _, err := st.latestPublished(context.Background())
		if err == nil && cp.Size >= size {
			return cp
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no checkpoint of size %d yet (latest %d, %v)", size, cp.Size, err)
		}
		time.Sleep(5 * time.Millisecond) // polling the stream, with a deadline
	}
}

func meta(cmd string) CommandMeta {
	return CommandMeta{CommandID: cmd, CommandName: "Add", Actor: domain.Actor{User: "an", Org: "dic", Role: domain.RoleCoordinator}, At: time.Now()}
}

var storages = []struct {
	name string
	st   jetstream.StorageType
}{{"file", jetstream.FileStorage}, {"memory", jetstream.MemoryStorage}}

func uniq(prefix string, i int) string { return fmt.Sprintf("%s-%d", prefix, i) }

func uuidV7(s string) (int, error) {
	u, err := uuid.Parse(s)
	if err != nil {
		return 0, err
	}
	if u.Version() != 7 {
		return 0, fmt.Errorf("version %d", u.Version())
	}
	return 7, nil
}

// benchScale lets a quick run shrink the seeded log: DIEUPHOI_BENCH_EVENTS=100000.
func benchScale() int {
	n, _ := strconv.Atoi(os.Getenv("DIEUPHOI_BENCH_EVENTS"))
	return n
}
