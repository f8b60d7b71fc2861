package eventstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/matryer/is"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore/natstest"
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
			is.Equal(res.Events, 2)          // two events recorded
			res2, err := repo.Update(ctx, "c1", meta("cmd-2"), func(c *counter) error { return c.Add(5) })
			is.NoErr(err)                         // second command
			is.True(res2.Sequence > res.Sequence) // later in the stream

			c, st, err := repo.Load(ctx, "c1", 0)
			is.NoErr(err)                        // load from the log
			is.Equal(c.Total, 10)                // all events applied
			is.Equal(st.Version, uint64(3))      // version 3 after three events
			is.Equal(st.Sequence, res2.Sequence) // last commit is the second

			// Another aggregate's commits do not leak into this one.
			_, err = repo.Update(ctx, "c2", meta("cmd-3"), func(c *counter) error { return c.Add(100) })
			is.NoErr(err) // another aggregate
			c, _, err = repo.Load(ctx, "c1", 0)
			is.NoErr(err)         // load c1 again
			is.Equal(c.Total, 10) // c2 is separate

			// As of an earlier sequence.
			c, st, err = repo.Load(ctx, "c1", res.Sequence)
			is.NoErr(err)                   // load as of the first commit
			is.Equal(c.Total, 5)            // only the first commit
			is.Equal(st.Version, uint64(2)) // version 2 then

			// Envelopes carry the metadata.
			commits, err := env.store.LoadCommits(ctx, "counter", "c1", 1, 0)
			is.NoErr(err)             // load the commits
			is.Equal(len(commits), 2) // two commits
			envs, err := commits[0].Envelopes()
			is.NoErr(err)          // decode the events
			is.Equal(len(envs), 2) // two events in the first commit
			e := envs[1]
			is.Equal(e.AggregateVersion, uint64(2))     // second event is version 2
			is.Equal(e.Sequence, res.Sequence)          // envelope carries the sequence
			is.Equal(e.Type, "TestAdded")               // event type
			is.Equal(e.SchemaVersion, 2)                // current schema version
			is.Equal(e.CommandID, "cmd-1")              // command id
			is.Equal(e.Actor.Org, "dic")                // actor
			is.True(!e.RecordedAt.IsZero())             // stamped by the server
			is.Equal(e.RecordedAt.Location(), time.UTC) // recorded in UTC
			is.Equal(e.OccurredAt.Location(), time.UTC) // occurred in UTC
			_, err = uuidV7(e.EventID)
			is.NoErr(err)                       // event ids are UUIDv7
			is.Equal(e.Event.(Added).Amount, 3) // payload decoded
		})
	}
}

func TestCommandThatFailsWritesNothing(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.MemoryStorage)
	repo := NewRepo(env.store, newCounter)
	ctx := context.Background()
	_, err := repo.Update(ctx, "c1", meta("a"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err) // first command
	before, _ := env.store.LastSequence(ctx)
	_, err = repo.Update(ctx, "c1", meta("b"), func(c *counter) error { return c.Add(1, -1) })
	is.Equal(domain.ErrorCode(err), domain.EINVALID) // invariant
	after, _ := env.store.LastSequence(ctx)
	is.Equal(before, after) // nothing written

	// A bad id is refused before anything happens.
	_, err = repo.Update(ctx, "bad id.with*wildcards", meta("c"), func(c *counter) error { return c.Add(1) })
	is.Equal(domain.ErrorCode(err), domain.EINVALID) // invalid id refused
}

func TestStaleExpectedVersionIsConflict(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage)
	repo := NewRepo(env.store, newCounter)
	ctx := context.Background()
	_, err := repo.Update(ctx, "c1", meta("a"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err) // first command
	_, err = repo.Update(ctx, "c1", meta("b"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err) // second command
	before, _ := env.store.LastSequence(ctx)
	stale := uint64(1)
	m := meta("c")
	m.ExpectedVersion = &stale
	_, err = repo.Update(ctx, "c1", m, func(c *counter) error { return c.Add(1) })
	is.Equal(domain.ErrorCode(err), domain.ECONFLICT)                // version 2, not 1
	is.True(strings.Contains(domain.ErrorMessage(err), "version 2")) // the message names the current version
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
	is.NoErr(err)                    // first replica's cache said 2; it looked again
	is.Equal(res.Version, uint64(4)) // version 4 after the write
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
			is.NoErr(err)                        // load the hot aggregate
			is.Equal(c.Total, rounds)            // one event per round
			is.Equal(st.Version, uint64(rounds)) // one version per round
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
	is.NoErr(err)            // first command
	is.Equal(c.Total, 4*per) // every command recorded exactly once
}

func TestIdempotentCommand(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage)
	repo := NewRepo(env.store, newCounter)
	ctx := context.Background()
	first, err := repo.Update(ctx, "c1", meta("same"), func(c *counter) error { return c.Add(7) })
	is.NoErr(err) // retry
	again, err := repo.Update(ctx, "c1", meta("same"), func(c *counter) error { return c.Add(7) })
	is.NoErr(err)                            // a retry is not an error
	is.True(again.Duplicate)                 // and is reported as such
	is.Equal(again.Sequence, first.Sequence) // same sequence as the first

	// Another replica (cold cache) retries: the command id is found in the log.
	other := NewRepo(env.MustReplica(t), newCounter)
	late, err := other.Update(ctx, "c1", meta("same"), func(c *counter) error { return c.Add(7) })
	is.NoErr(err)                           // late retry
	is.True(late.Duplicate)                 // recognised as a duplicate
	is.Equal(late.Sequence, first.Sequence) // same sequence as the first

	// A retry after a lost acknowledgement: the commit was stored, but this writer's cache was
	// dropped (as after a timeout). Publishing it again is refused (the aggregate moved on), the
	// writer reloads and finds the command id.
	m := meta("lost-ack")
	_, err = env.store.append(ctx, "counter", "c2", 0, 0, "", []domain.Event{Added{Amount: 1}}, m)
	is.NoErr(err) // stored directly, the cache never saw it
	res, err := repo.Update(ctx, "c2", m, func(c *counter) error { return c.Add(1) })
	is.NoErr(err)          // retry after a lost acknowledgement
	is.True(res.Duplicate) // recognised as a duplicate
	c, _, err := repo.Load(ctx, "c2", 0)
	is.NoErr(err)        // load c2
	is.Equal(c.Total, 1) // recorded once
	c, _, err = repo.Load(ctx, "c1", 0)
	is.NoErr(err)        // load c1
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
	is.Equal(domain.ErrorCode(err), domain.ETOOLARGE) // too large
	last, _ := env.store.LastSequence(ctx)
	is.Equal(last, uint64(0)) // nothing written
	// The cache was not left with the refused change.
	_, err = repo.Update(ctx, "c1", meta("small"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err) // a small command after it
	c, _, _ := repo.Load(ctx, "c1", 0)
	is.Equal(c.Total, 1)      // only the small command counted
	is.Equal(len(c.Notes), 1) // one note
}

// publishRaw stores a commit body as an attacker or an older release would: straight to the
// subject, encoded as the stored format is.
func publishRaw(t *testing.T, env *testEnv, subject string, body commitBody) uint64 {
	t.Helper()
	data, err := json.Marshal(body, storedJSON)
	if err != nil {
		t.Fatal(err)
	}
	return publishBytes(t, env, subject, data)
}

func publishBytes(t *testing.T, env *testEnv, subject string, data []byte) uint64 {
	t.Helper()
	ack, err := env.js.Publish(context.Background(), subject, data)
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
	publishRaw(t, env, subject, commitBody{Format: commitFormat, ID: "x", AggregateType: "counter", AggregateID: "old", Version: 1,
		Events: []storedEvent{{ID: "e1", Type: "TestAdded", Schema: 1, Data: payload{raw: jsontext.Value(`{"n":41}`)}}}})
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
			seq := publishRaw(t, env, env.store.Subject("counter", id), commitBody{Format: commitFormat, ID: id, AggregateType: "counter", AggregateID: id, Version: 1,
				Events: []storedEvent{{ID: "e", Type: tc.typ, Schema: tc.schema, Data: payload{raw: jsontext.Value(`{}`)}}}})
			_, _, err := repo.Load(ctx, id, 0)
			is.True(err != nil)                                                  // refused, not crashed
			is.True(strings.Contains(err.Error(), tc.want))                      // names the type/version
			is.True(strings.Contains(err.Error(), "stream sequence "+itoa(seq))) // and the sequence
			// The stream reader reports it too, without panicking.
			err = env.store.Read(ctx, ReadOptions{From: seq}, func(c *Commit) error { _, err := c.Envelopes(); return err })
			is.True(err != nil && strings.Contains(err.Error(), tc.want)) // the reader names the problem
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
				is.NoErr(err) // command recorded
				seqs = append(seqs, r.Sequence)
			}
			var got []uint64
			err := env.store.Read(ctx, ReadOptions{From: seqs[10]}, func(c *Commit) error { got = append(got, c.Sequence); return nil })
			is.NoErr(err)            // read from a sequence
			is.Equal(got, seqs[10:]) // in order, from the requested sequence, to the end

			got = nil
			err = env.store.Read(ctx, ReadOptions{From: 1, UpTo: seqs[4]}, func(c *Commit) error { got = append(got, c.Sequence); return nil })
			is.NoErr(err)           // bounded read
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
			is.NoErr(err) // command recorded while following
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

// A restart keeps the events, the key and the witness: the log still extends what the replica
// witnessed before, and every link, checkpoint and witness verifies.
func TestRestartKeepsEvents(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	ctx := context.Background()
	open := func() (*Store, func()) {
		srv, err := StartEmbedded(EmbeddedConfig{StoreDir: dir + "/jetstream", Listen: "127.0.0.1:-1"})
		is.NoErr(err) // server starts on the data directory
		nc, err := nats.Connect(srv.ClientURL())
		is.NoErr(err) // connect
		signer, err := LoadOrCreateSigner(dir+"/keys/signing.key", dir+"/keys/trusted")
		is.NoErr(err) // the key is created once, then read
		st, err := Open(ctx, nc, Config{Signer: signer, WitnessDir: dir + "/witness", CheckpointInterval: 10 * time.Millisecond})
		is.NoErr(err) // open the store
		return st, func() { st.Close(); nc.Drain(); srv.Shutdown(); srv.WaitForShutdown() }
	}
	st, stop := open()
	fctx, cancel := context.WithCancel(ctx)
	go st.Follow(fctx, nil)
	cpDone := make(chan error, 1)
	go func() { cpDone <- st.RunCheckpoints(fctx, nil) }()
	var last Result
	for i := range 20 {
		var err error
		last, err = NewRepo(st, newCounter).Update(ctx, "keep", meta(uniq("k", i)), func(c *counter) error { return c.Add(1) })
		is.NoErr(err) // command recorded
	}
	cp := mustWaitCheckpoint(t, st, int64(last.Sequence))
	is.Equal(cp.Size, int64(last.Sequence)) // the whole log is checkpointed
	cancel()
	is.True(errors.Is(<-cpDone, context.Canceled)) // the checkpointer ends with its context
	stop()

	st, stop = open()
	defer stop()
	c, s, err := NewRepo(st, newCounter).Load(ctx, "keep", 0)
	is.NoErr(err)                   // load after the restart
	is.Equal(c.Total, 20)           // every event survived the restart
	is.Equal(s.Version, uint64(20)) // version 20
	MustFollow(t, st)
	is.NoErr(st.CheckWitness(ctx)) // the log extends what was witnessed before the restart
	rep, err := st.VerifyAll(ctx)
	is.NoErr(err)                // verify runs
	is.True(rep.OK())            // same key after restart: checkpoints and witness verify
	is.Equal(rep.Witnesses, 1)   // the witness file was checked
	is.True(rep.Checkpoints > 0) // and the published checkpoints
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

// TestOnlyTheServiceChangesStreams: a tool that opens the log never changes a stream's settings
// (it reports how they differ), the service brings them to its release's, and no process opens
// another deployment's streams.
func TestOnlyTheServiceChangesStreams(t *testing.T) {
	is := is.New(t)
	_, nc := natstest.MustStart(t)
	ctx := context.Background()
	maxMsg := func() int32 {
		st, err := jetstream.New(nc)
		is.NoErr(err)
		s, err := st.Stream(ctx, DefaultStream)
		is.NoErr(err)
		return s.CachedInfo().Config.MaxMsgSize
	}
	_, err := Open(ctx, nc, Config{Deployment: "prov-a", Manage: true})
	is.NoErr(err) // the service creates the streams
	before := maxMsg()

	tool, err := Open(ctx, nc, Config{Deployment: "prov-a", MaxCommitBytes: 4 << 20})
	is.NoErr(err)                       // a tool opens them
	is.Equal(maxMsg(), before)          // and changes nothing
	is.True(len(tool.Mismatches()) > 0) // but says what differs
	is.True(strings.Contains(tool.Mismatches()[0], "left as it is"))

	_, err = Open(ctx, nc, Config{Deployment: "prov-a", MaxCommitBytes: 4 << 20, Manage: true})
	is.NoErr(err)              // the service brings them along
	is.True(maxMsg() > before) // to its settings

	_, err = Open(ctx, nc, Config{Deployment: "prov-b"})
	is.True(err != nil)                                            // another deployment's streams are refused
	is.True(strings.Contains(err.Error(), "another deployment's")) // with a sentence that says so
}

// TestRefusalIsCheckedAgainstTheLog: a command refused on a state this replica holds (its cache
// missed a commit another replica wrote) runs again on the log's state before the refusal
// stands; one refused on the log's own state is refused.
func TestRefusalIsCheckedAgainstTheLog(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage)
	ctx := context.Background()
	here, there := NewRepo(env.store, newCounter), NewRepo(env.MustReplica(t), newCounter) // no followers: caches only see their own writes
	_, err := here.Update(ctx, "c", meta("one"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err)
	_, err = there.Update(ctx, "c", meta("two"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err) // here's cache now says 1; the log says 2
	needsTwo := func(c *counter) error {
		if c.Total < 2 {
			return domain.Errorf(domain.ENOTFOUND, "nothing to add to yet")
		}
		return c.Add(1)
	}
	res, err := here.Update(ctx, "c", meta("three"), needsTwo)
	is.NoErr(err) // decided on the log's state, not the stale cache
	is.Equal(res.Version, uint64(3))
	_, err = here.Update(ctx, "d", meta("four"), needsTwo)
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // refused on the log's own state
}
