// Package natstest starts real nats-servers with JetStream inside tests: no mocks of NATS, which
// cannot show expected-sequence conflicts, redelivery or acknowledgements. Each server listens on
// a random port, stores in the test's temporary directory and is shut down with the test.
//
// It does not import eventstore, so that eventstore's own tests can use it.
package natstest

import (
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// readyTimeout bounds how long a server may take to accept clients.
const readyTimeout = 30 * time.Second

// MustServer starts a nats-server with JetStream on a random local port, storing in
// tb.TempDir(), and shuts it down when the test ends. mutate may change the options first.
func MustServer(tb testing.TB, mutate ...func(*server.Options)) *server.Server {
	tb.Helper()
	opts := &server.Options{
		ServerName: "natstest",
		Host:       "127.0.0.1",
		Port:       -1,
		JetStream:  true,
		StoreDir:   tb.TempDir(),
		NoSigs:     true,
		MaxPayload: 8 << 20,
	}
	for _, m := range mutate {
		m(opts)
	}
	return mustStart(tb, opts)
}

func mustStart(tb testing.TB, opts *server.Options) *server.Server {
	tb.Helper()
	s, err := server.NewServer(opts)
	if err != nil {
		tb.Fatalf("nats-server: %v", err)
	}
	go s.Start()
	tb.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	if !s.ReadyForConnections(readyTimeout) {
		tb.Fatalf("nats-server %s did not become ready", opts.ServerName)
	}
	return s
}

// MustConnect connects to url and closes the connection when the test ends.
func MustConnect(tb testing.TB, url string, opts ...nats.Option) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		tb.Fatalf("connecting to %s: %v", url, err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// MustStart is MustServer and MustConnect to it.
func MustStart(tb testing.TB, mutate ...func(*server.Options)) (*server.Server, *nats.Conn) {
	tb.Helper()
	s := MustServer(tb, mutate...)
	return s, MustConnect(tb, s.ClientURL())
}

// MustCluster starts an n-node cluster of nats-servers with JetStream and waits until every
// node accepts clients (the JetStream meta leader may still be in election: retry the first
// stream operation). ClusterURLs joins their client URLs.
func MustCluster(tb testing.TB, n int) []*server.Server {
	tb.Helper()
	ports := make([]int, n)
	routes := make([]*url.URL, n)
	for i := range ports {
		ports[i] = freePort(tb)
		routes[i], _ = url.Parse(fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	servers := make([]*server.Server, n)
	for i := range n {
		servers[i] = mustStart(tb, &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: tb.TempDir(), NoSigs: true,
			Cluster: server.ClusterOpts{Name: "natstest", Host: "127.0.0.1", Port: ports[i]},
			Routes:  routes,
		})
	}
	return servers
}

// ClusterURLs returns the client URLs of servers, comma-separated, for nats.Connect.
func ClusterURLs(servers []*server.Server) string {
	var out string
	for i, s := range servers {
		if i > 0 {
			out += ","
		}
		out += s.ClientURL()
	}
	return out
}

func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
