package eventstore

import (
	"context"
	"testing"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"
)

func TestFollowerKeepsReplicaWriteModelsCurrent(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := NewRepo(env.store, newCounter)
	bStore := env.MustReplica(t)
	b := NewRepo(bStore, newCounter)
	done := make(chan error, 1)
	go func() { done <- bStore.Follow(ctx, nil) }()

	// Replica A writes; B learns it from the log, not by losing a race.
	var last Result
	for i := range 10 {
		r, err := a.Update(ctx, "shared", meta(uniq("a", i)), func(c *counter) error { return c.Add(1) })
		is.NoErr(err) // replica A writes
		last = r
	}
	// B touches it first through its own command path, so its cache holds the aggregate, then
	// A writes more and B catches up by following.
	_, err := b.Update(ctx, "shared", meta("b-0"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err) // replica B writes through its own command path
	for i := range 5 {
		last, err = a.Update(ctx, "shared", meta(uniq("a2", i)), func(c *counter) error { return c.Add(1) })
		is.NoErr(err) // replica A writes more
	}
	mustWaitFollowed(t, bStore, last.Sequence)
	conflictsBefore := bStore.Stats().Conflicts
	r, err := b.Update(ctx, "shared", meta("b-1"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err)                                       // replica B writes
	is.Equal(r.Version, uint64(17))                     // 10 + 1 + 5 + 1
	is.Equal(bStore.Stats().Conflicts, conflictsBefore) // B's state was current: no lost race

	// A command A recorded is recognised by B as already done (command ids travel in commits).
	dup, err := b.Update(ctx, "shared", meta(uniq("a2", 4)), func(c *counter) error { return c.Add(1) })
	is.NoErr(err)          // the retry is answered
	is.True(dup.Duplicate) // as a duplicate

	// An aggregate B has never loaded is built by the follower from its first commit.
	first, err := a.Update(ctx, "fresh", meta("f-0"), func(c *counter) error { return c.Add(5) })
	is.NoErr(err) // replica A creates an aggregate
	mustWaitFollowed(t, bStore, first.Sequence)
	loadsBefore := bStore.Stats().Conflicts
	r, err = b.Update(ctx, "fresh", meta("f-1"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err)                                   // replica B writes to it
	is.Equal(r.Version, uint64(2))                  // on top of the followed commit
	is.Equal(bStore.Stats().Conflicts, loadsBefore) // without losing a race

	c, _, err := a.Load(ctx, "shared", 0)
	is.NoErr(err)         // load
	is.Equal(c.Total, 17) // nothing lost, nothing doubled
	cancel()
	<-done
}
