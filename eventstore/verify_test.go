package eventstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"
)

// seedChain writes n single-event commits to one aggregate, interleaved with commits of another
// so that sequences are not contiguous per aggregate, and returns the aggregate's sequences.
func seedChain(t *testing.T, env *testEnv, id string, n int) []uint64 {
	t.Helper()
	repo := NewRepo(env.store, newCounter)
	var seqs []uint64
	for i := range n {
		r, err := repo.Update(context.Background(), id, meta(uniq(id, i)), func(c *counter) error { return c.Add(i + 1) })
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, r.Sequence)
		if _, err := repo.Update(context.Background(), id+"-other", meta(uniq(id+"o", i)), func(c *counter) error { return c.Add(1) }); err != nil {
			t.Fatal(err)
		}
	}
	return seqs
}

// mustCheckpoint runs the store's follower and checkpointer until a checkpoint covers the whole
// log and the witness is written, then stops them (the attacker strikes after that).
func mustCheckpoint(t *testing.T, st *Store) Checkpoint {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	last, err := st.LastSequence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	followed := make(chan error, 1)
	go func() { followed <- st.Follow(ctx, nil) }()
	checkpointed := make(chan error, 1)
	go func() { checkpointed <- st.RunCheckpoints(ctx, nil) }()
	cp := mustWaitCheckpoint(t, st, int64(last))
	cancel()
	<-followed
	if err := <-checkpointed; !errors.Is(err, context.Canceled) {
		t.Fatalf("checkpointer: %v", err)
	}
	return cp
}

type rawMsg struct {
	subject string
	data    []byte
}

// mustMessages returns every message of the log in order.
func mustMessages(t *testing.T, env *testEnv) []rawMsg {
	t.Helper()
	var out []rawMsg
	err := env.store.read(context.Background(), ReadOptions{}, true, func(c *Commit) error {
		out = append(out, rawMsg{c.Subject, c.Body()})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustRecreate plays an attacker with stream admin rights: deletes the log stream, creates it
// again as it was, and publishes msgs into it, so that the stream sequences are contiguous.
func mustRecreate(t *testing.T, env *testEnv, msgs []rawMsg) {
	t.Helper()
	ctx := context.Background()
	if err := env.js.DeleteStream(ctx, env.store.cfg.Stream); err != nil {
		t.Fatal(err)
	}
	if _, err := env.js.CreateStream(ctx, env.store.logStreamConfig()); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		publishBytes(t, env, m.subject, m.data)
	}
}

// relink changes the body of msgs[i] with alter and re-links the later commits of its aggregate
// to it, as a careful forger would: every aggregate chain still verifies.
func relink(t *testing.T, msgs []rawMsg, i int, alter func(*commitBody)) {
	t.Helper()
	decode := func(m rawMsg) commitBody {
		var b commitBody
		if err := json.Unmarshal(m.data, &b, bodyJSON); err != nil {
			t.Fatal(err)
		}
		return b
	}
	encode := func(b commitBody) []byte {
		data, err := json.Marshal(b, storedJSON)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	b := decode(msgs[i])
	alter(&b)
	msgs[i].data = encode(b)
	for j := i + 1; j < len(msgs); j++ {
		if msgs[j].subject != msgs[i].subject {
			continue
		}
		sum := sha256.Sum256(msgs[i].data)
		later := decode(msgs[j])
		later.Prev = hex.EncodeToString(sum[:])
		msgs[j].data = encode(later)
		i = j
	}
}

// problemWith returns the first problem whose reason contains all of words.
func problemWith(rep Report, words ...string) (Problem, bool) {
	for _, p := range rep.Problems {
		all := true
		for _, w := range words {
			all = all && strings.Contains(p.Reason, w)
		}
		if all {
			return p, true
		}
	}
	return Problem{}, false
}

func TestVerifyIntactLog(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage)
	seedChain(t, env, "ok", 10)
	cp := mustCheckpoint(t, env.store)
	rep, err := env.store.VerifyAll(context.Background())
	is.NoErr(err)                                  // verify runs
	is.True(rep.OK())                              // nothing to report
	is.Equal(rep.Commits, 20)                      // every commit checked
	is.Equal(rep.Aggregates, 2)                    // both aggregates
	is.Equal(rep.TreeSize, int64(20))              // every message is a leaf
	is.Equal(rep.Root, cp.Root)                    // the rebuilt tree is the one signed
	is.True(rep.Checkpoints >= 1)                  // published checkpoints checked
	is.Equal(rep.Witnesses, 1)                     // and the witness
	is.True(strings.Contains(rep.Summary(), "OK")) // the summary says so
	rep, err = env.store.VerifyAggregate(context.Background(), "counter", "ok")
	is.NoErr(err)             // verify one aggregate
	is.True(rep.OK())         // its chain is intact
	is.Equal(rep.Commits, 10) // its commits only
}

func TestVerifyDetectsDeletedCommit(t *testing.T) {
	for _, sc := range storages {
		t.Run(sc.name, func(t *testing.T) {
			is := is.New(t)
			env := MustStore(t, sc.st)
			ctx := context.Background()
			seqs := seedChain(t, env, "victim", 6)
			mustCheckpoint(t, env.store)
			st, err := env.js.Stream(ctx, env.store.cfg.Stream)
			is.NoErr(err)                        // stream handle
			is.NoErr(st.DeleteMsg(ctx, seqs[2])) // the attacker removes a commit from the middle

			rep, err := env.store.VerifyAll(ctx)
			is.NoErr(err)                                                     // verify runs
			is.True(!rep.OK())                                                // detected
			is.Equal(rep.Problems[0].Sequence, seqs[2])                       // the first broken link is the hole
			is.True(strings.Contains(rep.Problems[0].Reason, "were deleted")) // said so
			p, ok := problemWith(rep, "previous-commit hash")
			is.True(ok)                       // the aggregate's chain shows it too
			is.Equal(p.AggregateID, "victim") // naming the aggregate
			is.Equal(p.Sequence, seqs[3])     // at the first commit whose link is broken

			rep, err = env.store.VerifyAggregate(ctx, "counter", "victim")
			is.NoErr(err)                               // verify the aggregate alone
			is.Equal(rep.Problems[0].Sequence, seqs[3]) // its first broken link
			_, _, err = NewRepo(env.store, newCounter).Load(ctx, "victim", 0)
			is.True(err != nil && strings.Contains(err.Error(), "broken at stream sequence")) // no write builds on it

			// A replica starting now cannot build its tree past the hole, and says why.
			replica := env.MustReplica(t)
			err = replica.Follow(ctx, nil)
			is.True(errors.Is(err, ErrIntegrity))                                           // the follower stops
			is.True(strings.Contains(err.Error(), "stream sequences "+itoa(seqs[2])+" to")) // at the hole
			is.True(errors.Is(replica.WaitFollowed(ctx, seqs[5]), ErrIntegrity))            // waiting past it fails at once
		})
	}
}

func TestVerifyDetectsTailTruncation(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage)
	ctx := context.Background()
	seedChain(t, env, "tail", 5)
	cp := mustCheckpoint(t, env.store)
	msgs := mustMessages(t, env)

	// The last message deleted: the stream's last sequence still shows it.
	st, err := env.js.Stream(ctx, env.store.cfg.Stream)
	is.NoErr(err)                                  // stream handle
	is.NoErr(st.DeleteMsg(ctx, uint64(len(msgs)))) // delete the last message
	rep, err := env.store.VerifyAll(ctx)
	is.NoErr(err) // verify runs
	_, ok := problemWith(rep, "deleted from the end of the log")
	is.True(ok) // detected by the stream sequence

	// Cut short without a trace in the sequences: the stream re-created with its first messages.
	mustRecreate(t, env, msgs[:len(msgs)-3])
	rep, err = env.store.VerifyAll(ctx)
	is.NoErr(err)      // verify runs
	is.True(!rep.OK()) // detected
	p, ok := problemWith(rep, "checkpoint", "signed for a tree of "+itoa(uint64(cp.Size)))
	is.True(ok)                               // the checkpoint reaches beyond the log
	is.Equal(p.Sequence, uint64(len(msgs)-2)) // from the first missing message
	_, ok = problemWith(rep, "the witness", "ends at stream sequence "+itoa(uint64(len(msgs)-3)))
	is.True(ok) // the witness shows it too
	MustFollow(t, env.store)
	err = env.store.CheckWitness(ctx)
	is.True(errors.Is(err, ErrIntegrity))                        // this replica refuses to start
	is.True(strings.Contains(err.Error(), "restore the stream")) // and says what to do
}

// The whole log stream, and the checkpoint stream with it, deleted and re-created: only the
// witness outside the streams can tell.
func TestVerifyDetectsRecreatedStream(t *testing.T) {
	for _, sc := range storages {
		t.Run(sc.name, func(t *testing.T) {
			is := is.New(t)
			env := MustStore(t, sc.st)
			ctx := context.Background()
			seedChain(t, env, "gone", 3)
			mustCheckpoint(t, env.store)
			for _, name := range []string{env.store.cfg.Stream, env.store.cfg.CheckpointStream} {
				is.NoErr(env.js.DeleteStream(ctx, name)) // the attacker deletes both streams
			}
			// The service restarts on its data directory: same key, same witness.
			st, err := Open(ctx, env.nc, env.store.cfg)
			is.NoErr(err) // the streams are created again, empty
			rep, err := st.VerifyAll(ctx)
			is.NoErr(err)      // verify runs
			is.True(!rep.OK()) // an empty log is not OK when a witness saw it longer
			_, ok := problemWith(rep, "is empty", "deleted and re-created")
			is.True(ok) // says what happened

			// New history written into the new stream, longer than the old: still caught.
			env.store = st
			seedChain(t, env, "new", 5)
			rep, err = st.VerifyAll(ctx)
			is.NoErr(err) // verify runs
			_, ok = problemWith(rep, "the witness", "are not those that were signed")
			is.True(ok) // a different history under the witness
			MustFollow(t, st)
			err = st.CheckWitness(ctx)
			is.True(errors.Is(err, ErrIntegrity))                                    // refuses to start
			is.True(strings.Contains(err.Error(), "move "+st.WitnessFile()+" away")) // says what to do
			is.True(errors.Is(st.RunCheckpoints(ctx, nil), ErrIntegrity))            // signs nothing over it
		})
	}
}

func TestVerifyDetectsForgedCommit(t *testing.T) {
	t.Run("published in place of a deleted one", func(t *testing.T) {
		is := is.New(t)
		env := MustStore(t, jetstream.FileStorage)
		ctx := context.Background()
		seqs := seedChain(t, env, "target", 4)
		mustCheckpoint(t, env.store)
		commits, err := env.store.LoadCommits(ctx, "counter", "target", 1, 0)
		is.NoErr(err) // the original commits
		// The forger knows the format and the chain, and replaces commit 2 by its own.
		st, _ := env.js.Stream(ctx, env.store.cfg.Stream)
		is.NoErr(st.DeleteMsg(ctx, seqs[1])) // the original goes
		forged := commitBody{Format: commitFormat, ID: "forged", AggregateType: "counter", AggregateID: "target", Version: 2, Prev: commits[0].Hash,
			Actor: commits[1].Actor, OccurredAt: commits[1].OccurredAt, Events: []storedEvent{{ID: "f", Type: "TestAdded", Schema: 2, Data: payload{raw: jsontext.Value(`{"amount":1000000}`)}}}}
		seq := publishRaw(t, env, env.store.Subject("counter", "target"), forged)
		rep, err := env.store.VerifyAll(ctx)
		is.NoErr(err)                               // verify runs
		is.Equal(rep.Problems[0].Sequence, seqs[1]) // the hole it left is the first broken link
		p, ok := problemWith(rep, "previous-commit hash")
		is.True(ok)                       // the chain does not take the forgery
		is.Equal(p.AggregateID, "target") // naming the aggregate
		is.True(p.Sequence < seq)         // at the next original commit
	})
	t.Run("altered in history, chain re-linked", func(t *testing.T) {
		is := is.New(t)
		env := MustStore(t, jetstream.FileStorage)
		ctx := context.Background()
		seqs := seedChain(t, env, "target", 4)
		cp := mustCheckpoint(t, env.store)
		msgs := mustMessages(t, env)
		relink(t, msgs, int(seqs[1]-1), func(b *commitBody) { b.Events[0].Data = payload{raw: jsontext.Value(`{"amount":1000000}`)} })
		mustRecreate(t, env, msgs)
		rep, err := env.store.VerifyAll(ctx)
		is.NoErr(err) // verify runs
		_, chainBroken := problemWith(rep, "previous-commit hash")
		is.True(!chainBroken) // every chain verifies: only the tree can tell
		p, ok := problemWith(rep, "checkpoint", "are not those that were signed")
		is.True(ok)                           // the checkpoint's root differs
		is.Equal(p.Sequence, uint64(cp.Size)) // naming the checkpoint's size
		_, ok = problemWith(rep, "the witness", "are not those that were signed")
		is.True(ok) // and so does the witness
	})
}

func TestVerifyDetectsReorderedPair(t *testing.T) {
	t.Run("one aggregate, republished", func(t *testing.T) {
		is := is.New(t)
		env := MustStore(t, jetstream.FileStorage)
		ctx := context.Background()
		seqs := seedChain(t, env, "swap", 5)
		commits, err := env.store.LoadCommits(ctx, "counter", "swap", 1, 0)
		is.NoErr(err) // the original commits
		st, _ := env.js.Stream(ctx, env.store.cfg.Stream)
		// The attacker removes commits 2 and 3 and stores them again, swapped.
		is.NoErr(st.DeleteMsg(ctx, seqs[1])) // delete commit 2
		is.NoErr(st.DeleteMsg(ctx, seqs[2])) // delete commit 3
		for _, c := range []*Commit{commits[2], commits[1]} {
			publishBytes(t, env, c.Subject, c.Body())
		}
		rep, err := env.store.VerifyAggregate(ctx, "counter", "swap")
		is.NoErr(err)                                 // verify runs
		is.True(!rep.OK())                            // detected
		is.Equal(rep.Problems[0].AggregateID, "swap") // naming the aggregate
		is.Equal(rep.Problems[0].Sequence, seqs[3])   // commit 4 no longer follows commit 1
	})
	t.Run("two aggregates, stream re-created", func(t *testing.T) {
		is := is.New(t)
		env := MustStore(t, jetstream.FileStorage)
		ctx := context.Background()
		seqs := seedChain(t, env, "swap", 5)
		mustCheckpoint(t, env.store)
		msgs := mustMessages(t, env)
		i := int(seqs[2] - 1) // a commit of "swap" and the "swap-other" commit after it
		msgs[i], msgs[i+1] = msgs[i+1], msgs[i]
		mustRecreate(t, env, msgs)
		rep, err := env.store.VerifyAll(ctx)
		is.NoErr(err)      // verify runs
		is.True(!rep.OK()) // detected
		for _, p := range rep.Problems {
			is.Equal(p.AggregateID, "") // no chain is broken: each aggregate's order is intact
		}
		_, ok := problemWith(rep, "checkpoint", "are not those that were signed")
		is.True(ok) // the tree, and so the checkpoint, tells
	})
}

func TestOldFormatIsRefused(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage)
	ctx := context.Background()
	// A commit as release 1 stored it (encoding/json, format 1).
	v1 := []byte(`{"format":1,"id":"x","aggregateType":"counter","aggregateId":"old","version":1,"prev":"","actor":{"user":"an","org":"dic","role":"coordinator"},"occurredAt":"2026-01-02T03:04:05Z","events":[{"id":"e","type":"TestAdded","schema":2,"data":{"amount":1}}]}`)
	seq := publishBytes(t, env, env.store.Subject("counter", "old"), v1)
	want := []string{"stream sequence " + itoa(seq), "format 1", "reads commit format 2", "no migration", "empty data directory"}
	check := func(err error) {
		t.Helper()
		is.True(err != nil) // refused
		for _, w := range want {
			is.True(strings.Contains(err.Error(), w)) // the sentence says what and why
		}
	}
	_, _, err := NewRepo(env.store, newCounter).Load(ctx, "old", 0)
	check(err)
	check(env.store.Read(ctx, ReadOptions{}, func(*Commit) error { return nil }))
	err = env.store.Follow(ctx, nil)
	is.True(errors.Is(err, ErrIntegrity)) // the follower cannot go past it
	check(err)
	rep, err := env.store.VerifyAll(ctx)
	is.NoErr(err) // verify reports it rather than failing
	p, ok := problemWith(rep, "format 1", "no migration")
	is.True(ok)               // listed
	is.Equal(p.Sequence, seq) // at its sequence
}
