package eventstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/eventstore/natstest"
)

// A direct get whose request reaches a node that dies before answering is asked again. Here a
// proxy between the store and its server plays that node: it drops the first direct-get
// requests it carries. Before, the load waited for its deadline and failed.
func TestLoadRidesOverARequestNeverAnswered(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage)
	ctx := context.Background()
	repo := NewRepo(env.store, newCounter)
	for i := range 5 {
		_, err := repo.Update(ctx, "swallowed", meta(uniq("s", i)), func(c *counter) error { return c.Add(1) })
		is.NoErr(err) // seed the aggregate
	}
	proxy := mustDropProxy(t, env.url, "$JS.API.DIRECT.GET.", 2)
	st, err := Open(ctx, natstest.MustConnect(t, proxy.url), env.store.cfg)
	is.NoErr(err)                                            // a replica behind the proxy
	lctx, cancel := context.WithTimeout(ctx, 60*time.Second) // a bound, not a measurement
	defer cancel()
	c, state, err := NewRepo(st, newCounter).Load(lctx, "swallowed", 0)
	is.NoErr(err)                            // answered although requests went unanswered
	is.Equal(c.Total, 5)                     // every commit, once
	is.Equal(state.Version, uint64(5))       // in order
	is.Equal(proxy.dropped.Load(), int64(2)) // requests were lost on the way and asked again
}

// The follower's consumer lives on one node; when that node dies the follower notices (missed
// heartbeats), makes a new consumer on the nodes left and goes on where it stopped, by itself.
func TestFollowerRecoversWhenItsConsumerNodeDies(t *testing.T) {
	is := is.New(t)
	servers := natstest.MustCluster(t, 3)
	opts := []nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(100 * time.Millisecond)}
	nc := natstest.MustConnect(t, natstest.ClusterURLs(servers), opts...)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	cfg := Config{Replicas: 3, Signer: NewSigner(priv), WitnessDir: t.TempDir()}
	ctx := context.Background()
	st := mustOpenOnCluster(t, nc, cfg)
	writer := NewRepo(st, newCounter)
	follower := mustOpenOnCluster(t, natstest.MustConnect(t, natstest.ClusterURLs(servers), opts...), cfg)
	MustFollow(t, follower)

	var last uint64
	write := func(i int) {
		t.Helper()
		var err error
		for try := 0; try < 600; try++ { // rides over the election; a bound, not a measurement
			var r Result
			if r, err = writer.Update(ctx, "followed", meta(uniq("f", i)), func(c *counter) error { return c.Add(1) }); err == nil {
				last = r.Sequence
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("command %d: %v", i, err)
	}
	for i := range 10 {
		write(i)
	}
	mustWaitFollowed(t, follower, last)

	// Find the node that holds the follower's consumer: the only consumer of the stream.
	var host string
	lister := st.stream.ListConsumers(ctx)
	for info := range lister.Info() {
		if info.Cluster != nil {
			host = info.Cluster.Leader
		}
	}
	is.NoErr(lister.Err()) // consumers listed
	is.True(host != "")    // the follower's consumer was found
	for _, s := range servers {
		if s.Name() == host {
			s.Shutdown()
		}
	}
	for i := 10; i < 20; i++ {
		write(i)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute) // a bound, not a measurement
	defer cancel()
	is.NoErr(follower.WaitFollowed(wctx, last)) // the follower went on by itself
	c, _, err := writer.Load(ctx, "followed", 0)
	is.NoErr(err)         // load
	is.Equal(c.Total, 20) // nothing lost, nothing doubled
}

// mustOpenOnCluster opens a store, retrying while the cluster elects its meta leader.
func mustOpenOnCluster(tb testing.TB, nc *nats.Conn, cfg Config) *Store {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := Open(context.Background(), nc, cfg)
		if err == nil {
			tb.Cleanup(func() { st.Close() })
			return st
		}
		if time.Now().After(deadline) {
			tb.Fatalf("open on the cluster: %v", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
