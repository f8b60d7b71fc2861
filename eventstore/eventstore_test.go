package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
)

func TestAppendAndLoad(t *testing.T) {
	for _, sc := range storages {
		t.Run(sc.name, func(t *testing.T) {
			is := is.New(t)
			env := MustStore(t, sc.st)
			repo := NewRepo(env.store, newCounter)
			ctx := context.Background()

			res, err := repo.Update(ctx, "c1", meta("cmd-1"), func(c *counter) error { return c.Add(2, 3) })
			is.NoErr(err)                    // first command
			is.Equal(res.Version, uint64(2)) // two events, version 2
			is.Equal(res.Events, 2)
			res2, err := repo.Update(ctx, "c1", meta("cmd-2"), func(c *counter) error { return c.Add(5) })
			is.NoErr(err)                         // second command
			is.True(res2.Sequence > res.Sequence) // later in the stream

			c, st, err := repo.Load(ctx, "c1", 0)
			is.NoErr(err)         // load from the log
			is.Equal(c.Total, 10) // all events applied
			is.Equal(st.Version, uint64(3))
			is.Equal(st.Sequence, res2.Sequence)

			// Another aggregate's commits do not leak into this one.
			_, err = repo.Update(ctx, "c2", meta("cmd-3"), func(c *counter) error { return c.Add(100) })
			is.NoErr(err)
			c, _, err = repo.Load(ctx, "c1", 0)
			is.NoErr(err)
			is.Equal(c.Total, 10) // c2 is separate

			// As of an earlier sequence.
			c, st, err = repo.Load(ctx, "c1", res.Sequence)
			is.NoErr(err)
			is.Equal(c.Total, 5) // only the first commit
			is.Equal(st.Version, uint64(2))

			// Envelopes carry the metadata.
			commits, err := env.store.LoadCommits(ctx, "counter", "c1", 1, 0)
			is.NoErr(err)
			is.Equal(len(commits), 2)
			envs, err := commits[0].Envelopes()
			is.NoErr(err)
			is.Equal(len(envs), 2)
			e := envs[1]
			is.Equal(e.AggregateVersion, uint64(2))
			is.Equal(e.Sequence, res.Sequence)
			is.Equal(e.Type, "TestAdded")
			is.Equal(e.SchemaVersion, 2)
			is.Equal(e.CommandID, "cmd-1")
			is.Equal(e.Actor.Org, "dic")
			is.True(!e.RecordedAt.IsZero()) // stamped by the server
			is.Equal(e.RecordedAt.Location(), time.UTC)
			is.Equal(e.OccurredAt.Location(), time.UTC)
			_, err = uuidV7(e.EventID)
			is.NoErr(err) // event ids are UUIDv7
			is.Equal(e.Event.(Added).Amount, 3)
		})
	}
}

func TestCommandThatFailsWritesNothing(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.MemoryStorage)
	repo := NewRepo(env.store, newCounter)
	ctx := context.Background()
	_, err := repo.Update(ctx, "c1", meta("a"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err)
	before, _ := env.store.LastSequence(ctx)
	_, err = repo.Update(ctx, "c1", meta("b"), func(c *counter) error { return c.Add(1, -1) })
	is.Equal(domain.ErrorCode(err), domain.EINVALID) // invariant
	after, _ := env.store.LastSequence(ctx)
	is.Equal(before, after) // nothing written

	// A bad id is refused before anything happens.
	_, err = repo.Update(ctx, "bad id.with*wildcards", meta("c"), func(c *counter) error { return c.Add(1) })
	is.Equal(domain.ErrorCode(err), domain.EINVALID)
}

func TestStaleExpectedVersionIsConflict(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage)
	repo := NewRepo(env.store, newCounter)
	ctx := context.Background()
	_, err := repo.Update(ctx, "c1", meta("a"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err)
	_, err = repo.Update(ctx, "c1", meta("b"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err)
	before, _ := env.store.LastSequence(ctx)
	stale := uint64(1)
	m := meta("c")
	m.ExpectedVersion = &stale
	_, err = repo.Update(ctx, "c1", m, func(c *counter) error { return c.Add(1) })
	is.Equal(domain.ErrorCode(err), domain.ECONFLICT) // version 2, not 1
	is.True(strings.Contains(domain.ErrorMessage(err), "version 2"))
	after, _ := env.store.LastSequence(ctx)
	is.Equal(before, after) // nothing written

	// A replica whose cache is behind still honours a correct expected version.
	other := NewRepo(env.MustReplica(t), newCounter)
	_, err = other.Update(ctx, "c1", meta("d"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err) // replica writes version 3
	right := uint64(3)
	m = meta("e")
	m.ExpectedVersion = &right
	res, err := repo.Update(ctx, "c1", m, func(c *counter) error { return c.Add(1) })
	is.NoErr(err) // first replica's cache said 2; it looked again
	is.Equal(res.Version, uint64(4))
}

// Two writers (separate replicas, separate caches) with the same expected version: exactly one
// wins, every round.
func TestConcurrentWritersSameExpectedVersion(t *testing.T) {
	for _, sc := range storages {
		t.Run(sc.name, func(t *testing.T) {
			is := is.New(t)
			env := MustStore(t, sc.st)
			repos := []*Repo[*counter]{NewRepo(env.store, newCounter), NewRepo(env.MustReplica(t), newCounter)}
			ctx := context.Background()
			const rounds = 200
			for round := range rounds {
				expected := uint64(round)
				var wins, conflicts atomic.Int32
				var wg sync.WaitGroup
				start := make(chan struct{})
				for w, r := range repos {
					wg.Add(1)
					go func() {
						defer wg.Done()
						m := meta(uniq("r", round*10+w))
						m.ExpectedVersion = &expected
						<-start
						_, err := r.Update(ctx, "hot", m, func(c *counter) error { return c.Add(1) })
						switch domain.ErrorCode(err) {
						case "":
							wins.Add(1)
						case domain.ECONFLICT:
							conflicts.Add(1)
						default:
							t.Errorf("round %d: unexpected error %v", round, err)
						}
					}()
				}
				close(start)
				wg.Wait()
				is.Equal(wins.Load(), int32(1))      // exactly one winner
				is.Equal(conflicts.Load(), int32(1)) // the other is told
			}
			c, st, err := repos[0].Load(ctx, "hot", 0)
			is.NoErr(err)
			is.Equal(c.Total, rounds) // one event per round
			is.Equal(st.Version, uint64(rounds))
		})
	}
}

// Without an expected version, concurrent commands on one aggregate all land, none lost.
func TestConcurrentCommandsRetryOnConflict(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage)
	repos := []*Repo[*counter]{NewRepo(env.store, newCounter), NewRepo(env.MustReplica(t), newCounter)}
	ctx := context.Background()
	var wg sync.WaitGroup
	const per = 100
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if _, err := repos[w%2].Update(ctx, "busy", meta(uniq("w", w*1000+i)), func(c *counter) error { return c.Add(1) }); err != nil {
					t.Errorf("writer %d: %v", w, err)
				}
			}
		}()
	}
	wg.Wait()
	c, _, err := repos[0].Load(ctx, "busy", 0)
	is.NoErr(err)
	is.Equal(c.Total, 4*per) // every command recorded exactly once
}

func TestIdempotentCommand(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage, func(c *Config) { c.DuplicateWindow = time.Second })
	repo := NewRepo(env.store, newCounter)
	ctx := context.Background()
	first, err := repo.Update(ctx, "c1", meta("same"), func(c *counter) error { return c.Add(7) })
	is.NoErr(err)
	again, err := repo.Update(ctx, "c1", meta("same"), func(c *counter) error { return c.Add(7) })
	is.NoErr(err)            // a retry is not an error
	is.True(again.Duplicate) // and is reported as such
	is.Equal(again.Sequence, first.Sequence)

	// Another replica (cold cache) retries after the duplicate window has passed.
	time.Sleep(1100 * time.Millisecond) // the JetStream window itself must expire for this case
	other := NewRepo(env.MustReplica(t), newCounter)
	late, err := other.Update(ctx, "c1", meta("same"), func(c *counter) error { return c.Add(7) })
	is.NoErr(err)
	is.True(late.Duplicate)
	is.Equal(late.Sequence, first.Sequence)

	// A retry after a lost acknowledgement: the commit was stored, but this writer's cache was
	// dropped (as after a timeout). Inside the window JetStream deduplicates by message id.
	m := meta("lost-ack")
	_, err = env.store.append(ctx, "counter", "c2", 0, 0, "", []domain.Event{Added{Amount: 1}}, m)
	is.NoErr(err) // stored directly, the cache never saw it
	res, err := repo.Update(ctx, "c2", m, func(c *counter) error { return c.Add(1) })
	is.NoErr(err)
	is.True(res.Duplicate)
	c, _, err := repo.Load(ctx, "c2", 0)
	is.NoErr(err)
	is.Equal(c.Total, 1) // recorded once
	c, _, err = repo.Load(ctx, "c1", 0)
	is.NoErr(err)
	is.Equal(c.Total, 7) // recorded once
}

func TestOversizedCommit(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.MemoryStorage, func(c *Config) { c.MaxCommitBytes = 4096 })
	repo := NewRepo(env.store, newCounter)
	ctx := context.Background()
	_, err := repo.Update(ctx, "c1", meta("big"), func(c *counter) error {
		c.record(Added{Amount: 1, Note: strings.Repeat("x", 5000)})
		return nil
	})
	is.Equal(domain.ErrorCode(err), domain.ETOOLARGE)
	last, _ := env.store.LastSequence(ctx)
	is.Equal(last, uint64(0)) // nothing written
	// The cache was not left with the refused change.
	_, err = repo.Update(ctx, "c1", meta("small"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err)
	c, _, _ := repo.Load(ctx, "c1", 0)
	is.Equal(c.Total, 1)
	is.Equal(len(c.Notes), 1)
}

// publishRaw stores a commit body as an attacker or an older release would: straight to the
// subject, with whatever headers it chooses.
func publishRaw(t *testing.T, env *testEnv, subject string, body commitBody, hdr nats.Header) uint64 {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(env.nc)
	ack, err := js.PublishMsg(context.Background(), &nats.Msg{Subject: subject, Data: data, Header: hdr})
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

func TestSchemaUpcastingAndUnknownEvents(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage)
	ctx := context.Background()
	repo := NewRepo(env.store, newCounter)
	subject := env.store.Subject("counter", "old")
	// A commit written by an older release with schema version 1 ("n" instead of "amount").
	publishRaw(t, env, subject, commitBody{Format: 1, ID: "x", AggregateType: "counter", AggregateID: "old", Version: 1,
		Events: []storedEvent{{ID: "e1", Type: "TestAdded", Schema: 1, Data: json.RawMessage(`{"n":41}`)}}}, nil)
	c, _, err := repo.Load(ctx, "old", 0)
	is.NoErr(err)         // upcast on read
	is.Equal(c.Total, 41) // v1 field read as v2's amount

	cases := []struct {
		name, typ string
		schema    int
		want      string
	}{
		{"unknown type", "TestExploded", 1, `unknown event type "TestExploded"`},
		{"future schema", "TestAdded", 9, `"TestAdded" has schema version 9`},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			id := uniq("future", i)
			seq := publishRaw(t, env, env.store.Subject("counter", id), commitBody{Format: 1, ID: id, AggregateType: "counter", AggregateID: id, Version: 1,
				Events: []storedEvent{{ID: "e", Type: tc.typ, Schema: tc.schema, Data: json.RawMessage(`{}`)}}}, nil)
			_, _, err := repo.Load(ctx, id, 0)
			is.True(err != nil)                                                  // refused, not crashed
			is.True(strings.Contains(err.Error(), tc.want))                      // names the type/version
			is.True(strings.Contains(err.Error(), "stream sequence "+itoa(seq))) // and the sequence
			// The stream reader reports it too, without panicking.
			err = env.store.Read(ctx, ReadOptions{From: seq}, func(c *Commit) error { _, err := c.Envelopes(); return err })
			is.True(err != nil && strings.Contains(err.Error(), tc.want))
		})
	}
}

func TestReadFromSequence(t *testing.T) {
	for _, sc := range storages {
		t.Run(sc.name, func(t *testing.T) {
			is := is.New(t)
			env := MustStore(t, sc.st)
			repo := NewRepo(env.store, newCounter)
			ctx := context.Background()
			var seqs []uint64
			for i := range 50 {
				r, err := repo.Update(ctx, uniq("a", i%7), meta(uniq("m", i)), func(c *counter) error { return c.Add(i) })
				is.NoErr(err)
				seqs = append(seqs, r.Sequence)
			}
			var got []uint64
			err := env.store.Read(ctx, ReadOptions{From: seqs[10]}, func(c *Commit) error { got = append(got, c.Sequence); return nil })
			is.NoErr(err)
			is.Equal(got, seqs[10:]) // in order, from the requested sequence, to the end

			got = nil
			err = env.store.Read(ctx, ReadOptions{From: 1, UpTo: seqs[4]}, func(c *Commit) error { got = append(got, c.Sequence); return nil })
			is.NoErr(err)
			is.Equal(got, seqs[:5]) // bounded read

			// Following: new commits arrive as they are appended.
			fctx, cancel := context.WithCancel(ctx)
			defer cancel()
			arrived := make(chan uint64, 10)
			done := make(chan error, 1)
			go func() {
				done <- env.store.Read(fctx, ReadOptions{From: seqs[49] + 1, Follow: true}, func(c *Commit) error { arrived <- c.Sequence; return nil })
			}()
			r, err := repo.Update(ctx, "late", meta("late"), func(c *counter) error { return c.Add(1) })
			is.NoErr(err)
			select {
			case s := <-arrived:
				is.Equal(s, r.Sequence) // the follower saw the new commit
			case <-time.After(10 * time.Second):
				t.Fatal("follower did not receive the new commit")
			}
			cancel()
			is.True(errors.Is(<-done, context.Canceled)) // ends with its context
		})
	}
}

func TestRestartKeepsEvents(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	ctx := context.Background()
	open := func() (*Store, func()) {
		srv, err := StartEmbedded(EmbeddedConfig{StoreDir: dir, Listen: "127.0.0.1:-1"})
		is.NoErr(err)
		nc, err := nats.Connect(srv.ClientURL())
		is.NoErr(err)
		signer, err := LoadOrCreateSigner(dir+"/keys/signing.key", "")
		is.NoErr(err)
		st, err := Open(ctx, nc, signer, Config{})
		is.NoErr(err)
		return st, func() { st.Close(); nc.Drain(); srv.Shutdown(); srv.WaitForShutdown() }
	}
	st, stop := open()
	for i := range 20 {
		_, err := NewRepo(st, newCounter).Update(ctx, "keep", meta(uniq("k", i)), func(c *counter) error { return c.Add(1) })
		is.NoErr(err)
	}
	stop()
	st, stop = open()
	defer stop()
	c, s, err := NewRepo(st, newCounter).Load(ctx, "keep", 0)
	is.NoErr(err)
	is.Equal(c.Total, 20) // every event survived the restart
	is.Equal(s.Version, uint64(20))
	rep, err := st.VerifyAll(ctx)
	is.NoErr(err)
	is.True(rep.OK()) // same key after restart: signatures verify
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestCreateOptimistically(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.MemoryStorage)
	ctx := context.Background()
	writer := NewRepo(env.store, newCounter)
	_, err := writer.Update(ctx, "opt-1", meta("w-1"), func(c *counter) error { return c.Add(5) })
	is.NoErr(err) // the aggregate exists
	// Another replica that never saw it assumes it new: the server refuses, the command is re-run
	// on the loaded state.
	other := NewRepo(env.MustReplica(t), newCounter).CreateOptimistically()
	res, err := other.Update(ctx, "opt-1", meta("o-1"), func(c *counter) error { return c.Add(2) })
	is.NoErr(err)                    // recorded
	is.Equal(res.Version, uint64(2)) // on top of the existing commit
	c, _, err := writer.Load(ctx, "opt-1", 0)
	is.NoErr(err)        // the chain still verifies
	is.Equal(c.Total, 7) // both additions
	// A command on an aggregate assumed new that fails leaves no assumed state behind.
	third := NewRepo(env.MustReplica(t), newCounter).CreateOptimistically()
	_, err = third.Update(ctx, "opt-1", meta("t-1"), func(c *counter) error { return c.Add(-1) })
	is.Equal(domain.ErrorCode(err), domain.EINVALID) // refused
	var seen int
	_, err = third.Update(ctx, "opt-1", CommandMeta{CommandName: "Read"}, func(c *counter) error { seen = c.Total; return nil })
	is.NoErr(err) // read
	res, err = third.Update(ctx, "opt-1", meta("t-2"), func(c *counter) error { seen = c.Total; return c.Add(1) })
	is.NoErr(err)                    // recorded
	is.Equal(seen, 7)                // on the real state
	is.Equal(res.Version, uint64(3)) // after both
	// Truly new aggregates are created without a load.
	res, err = other.Update(ctx, "opt-new", meta("n-1"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err)                    // created
	is.Equal(res.Version, uint64(1)) // first version
}
