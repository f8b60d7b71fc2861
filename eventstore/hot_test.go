package eventstore

import (
	"context"
	"sync"
	"testing"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"
)

// TestHotAggregate: many writers through several replicas on one aggregate, on a loaded
// machine: every command is recorded exactly once; none gives up.
func TestHotAggregate(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage)
	repos := []*Repo[*counter]{NewRepo(env.store, newCounter)}
	for range 5 {
		repos = append(repos, NewRepo(env.MustReplica(t), newCounter))
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	const writers, per = 24, 25
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if _, err := repos[w%len(repos)].Update(ctx, "hot", meta(uniq("w", w*1000+i)), func(c *counter) error { return c.Add(1) }); err != nil {
					t.Errorf("writer %d: %v", w, err)
				}
			}
		}()
	}
	wg.Wait()
	c, _, err := repos[0].Load(ctx, "hot", 0)
	is.NoErr(err)
	is.Equal(c.Total, writers*per) // every command recorded exactly once
}
