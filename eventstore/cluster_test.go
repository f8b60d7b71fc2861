package eventstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go"

	"github.com/dieuphoi/dieuphoi/eventstore/natstest"
)

func TestReplicatedStreamOnCluster(t *testing.T) {
	is := is.New(t)
	servers := natstest.MustCluster(t, 3)
	nc := natstest.MustConnect(t, natstest.ClusterURLs(servers), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	cfg := Config{Replicas: 3, Signer: NewSigner(priv), WitnessDir: t.TempDir()}
	ctx := context.Background()
	var err error

	// The meta leader may take a moment to be elected: opening retries like the service would
	// be restarted by its supervisor.
	var st *Store
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err = Open(ctx, nc, cfg)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	is.NoErr(err) // stream created on the cluster
	defer st.Close()
	info, err := st.stream.Info(ctx)
	is.NoErr(err)                     // stream info
	is.Equal(info.Config.Replicas, 3) // --replicas honoured

	// A tool that opens the log without --replicas leaves the streams replicated.
	tool, err := Open(ctx, nc, Config{Signer: cfg.Signer})
	is.NoErr(err) // a tool on the cluster
	info, err = st.stream.Info(ctx)
	is.NoErr(err)
	is.Equal(info.Config.Replicas, 3)   // not downgraded to 1
	is.True(len(tool.Mismatches()) > 0) // the difference is reported

	repo := NewRepo(st, newCounter)
	for i := range 20 {
		_, err := repo.Update(ctx, "replicated", meta(uniq("c", i)), func(c *counter) error { return c.Add(1) })
		is.NoErr(err) // command on the cluster
	}

	// Lose a node that is not the stream leader: commands keep landing, nothing is lost.
	leader := info.Cluster.Leader
	for _, s := range servers {
		if s.Name() != leader {
			s.Shutdown()
			break
		}
	}
	for i := 20; i < 40; i++ {
		var err error
		for try := 0; try < 50; try++ { // ride over the reconnect if our connection was there
			if _, err = repo.Update(ctx, "replicated", meta(uniq("c", i)), func(c *counter) error { return c.Add(1) }); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		is.NoErr(err) // a two-of-three cluster still accepts commands
	}
	c, s, err := repo.Load(ctx, "replicated", 0)
	is.NoErr(err)                   // load after losing a node
	is.Equal(c.Total, 40)           // every acknowledged command is there, once
	is.Equal(s.Version, uint64(40)) // 40 events

	// The two remaining nodes carry the tree's checkpoints too, and the log verifies.
	MustFollow(t, st)
	MustCheckpoints(t, st)
	cp := mustWaitCheckpoint(t, st, int64(s.Sequence))
	is.Equal(cp.Size, int64(s.Sequence)) // the whole log is checkpointed
	rep, err := st.VerifyAll(ctx)
	is.NoErr(err)     // verify on the degraded cluster
	is.True(rep.OK()) // links, checkpoint and witness verify

	// Opening again (another replica starting) finds the streams as they are.
	st2, err := Open(ctx, nc, cfg)
	is.NoErr(err) // second replica opens
	st2.Close()
}
