package eventstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// MustCluster starts an n-node nats-server cluster with JetStream in this process.
func MustCluster(tb testing.TB, n int) []*server.Server {
	tb.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = freePort(tb)
	}
	var routes []*url.URL
	for _, p := range ports {
		u, _ := url.Parse(fmt.Sprintf("nats://127.0.0.1:%d", p))
		routes = append(routes, u)
	}
	servers := make([]*server.Server, n)
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: tb.TempDir(), NoSigs: true,
			Cluster: server.ClusterOpts{Name: "dieuphoi-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:  routes,
		}
		s, err := server.NewServer(opts)
		if err != nil {
			tb.Fatal(err)
		}
		go s.Start()
		servers[i] = s
		tb.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	}
	for _, s := range servers {
		if !s.ReadyForConnections(20 * time.Second) {
			tb.Fatal("cluster node not ready")
		}
	}
	return servers
}

func TestReplicatedStreamOnCluster(t *testing.T) {
	is := is.New(t)
	servers := MustCluster(t, 3)
	urls := servers[0].ClientURL() + "," + servers[1].ClientURL() + "," + servers[2].ClientURL()
	nc, err := nats.Connect(urls, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	is.NoErr(err)
	defer nc.Close()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	ctx := context.Background()

	// The meta leader may take a moment to be elected: opening retries like the service would
	// be restarted by its supervisor.
	var st *Store
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err = Open(ctx, nc, NewSigner(priv), Config{Replicas: 3})
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	is.NoErr(err) // stream created on the cluster
	defer st.Close()
	info, err := st.stream.Info(ctx)
	is.NoErr(err)
	is.Equal(info.Config.Replicas, 3) // --replicas honoured

	repo := NewRepo(st, newCounter)
	for i := range 20 {
		_, err := repo.Update(ctx, "replicated", meta(uniq("c", i)), func(c *counter) error { return c.Add(1) })
		is.NoErr(err)
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
	is.NoErr(err)
	is.Equal(c.Total, 40) // every acknowledged command is there, once
	is.Equal(s.Version, uint64(40))

	// Opening again (another replica starting) finds the stream as it is.
	st2, err := Open(ctx, nc, NewSigner(priv), Config{Replicas: 3})
	is.NoErr(err)
	st2.Close()
}
