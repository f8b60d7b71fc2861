package eventstore

import (
	"context"
	"errors"
	"testing"

	"github.com/matryer/is"
)

// TestReadLeavesNoConsumer: a read's ordered consumer is deleted when the read ends, however it
// ends (to the end, stopped by its handler, failed, cancelled), instead of lingering for the
// client's five-minute inactive threshold: reads in a burst (time travel) once filled the
// stream's consumer limit.
func TestReadLeavesNoConsumer(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, storages[1].st)
	repo := NewRepo(env.store, newCounter)
	ctx := context.Background()
	for i := range 20 {
		_, err := repo.Update(ctx, uniq("a", i%3), meta(uniq("m", i)), func(c *counter) error { return c.Add(i) })
		is.NoErr(err) // append
	}
	consumers := func() int {
		info, err := env.store.stream.Info(ctx)
		if err != nil {
			t.Fatalf("stream info: %v", err)
		}
		return info.State.Consumers
	}
	boom := errors.New("boom")
	for _, c := range []struct {
		name string
		fn   func(ctx context.Context, cancel context.CancelFunc) error
		want error
	}{
		{"to the end", func(ctx context.Context, _ context.CancelFunc) error {
			return env.store.Read(ctx, ReadOptions{}, func(*Commit) error { return nil })
		}, nil},
		{"stopped", func(ctx context.Context, _ context.CancelFunc) error {
			return env.store.Read(ctx, ReadOptions{}, func(*Commit) error { return ErrStop })
		}, nil},
		{"failed", func(ctx context.Context, _ context.CancelFunc) error {
			return env.store.Read(ctx, ReadOptions{}, func(*Commit) error { return boom })
		}, boom},
		{"cancelled while following", func(ctx context.Context, cancel context.CancelFunc) error {
			return env.store.Read(ctx, ReadOptions{Follow: true}, func(c *Commit) error {
				if c.Sequence >= 10 {
					cancel()
				}
				return nil
			})
		}, context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			rctx, cancel := context.WithCancel(ctx)
			err := c.fn(rctx, cancel)
			cancel()
			is.True(errors.Is(err, c.want)) // the read's own outcome
			is.Equal(consumers(), 0)        // its consumer is gone
		})
	}
}
