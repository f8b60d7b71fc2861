package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Local is dieuphoi's cluster topology on one machine: three nats-server processes configured by
// nats/nats.conf (TLS, the generated account) and two `dieuphoi serve` replicas with --replicas 3,
// every process from binaries built from the pinned modules. Processes can be killed (SIGKILL)
// and started again, the way faults happen.
type Local struct {
	Dir      string // nats.conf, secrets/, nats-N/ (storage), replica-N/ (data), logs/
	Bin      string // nats-server and dieuphoi
	Nodes    []*Proc
	Replicas []*Proc
	// ServeArgs are added to every replica's command line (e.g. --config).
	ServeArgs []string
}

// Proc is one process of the topology.
type Proc struct {
	Name string
	// URL is a node's client URL (tls://127.0.0.1:port) or a replica's base URL (http://...).
	URL string
	// Monitor is a node's monitoring URL or a replica's operator listener (/healthz with
	// sequences, /metrics).
	Monitor string
	args    []string
	env     []string
	dir     string
	log     string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Ports place the topology: fixed ports for make cluster, free ones (zero values) for tests.
type Ports struct {
	NATS    [3]int    // client ports; cluster = +2000, monitoring = +4000 when fixed
	HTTP    [2]string // the replicas' API addresses
	Metrics [2]string // the replicas' operator addresses
}

// Build builds nats-server (the version go.mod pins) and dieuphoi into bin, from the module at
// root.
func Build(ctx context.Context, root, bin string, out io.Writer) error {
	gobin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	for _, b := range [][]string{
		{"build", "-o", filepath.Join(bin, "nats-server"), "github.com/nats-io/nats-server/v2"},
		{"build", "-o", filepath.Join(bin, "dieuphoi"), "./cmd/dieuphoi"},
	} {
		cmd := exec.CommandContext(ctx, gobin, b...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, out, out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go %s: %w", strings.Join(b, " "), err)
		}
	}
	return nil
}

// NewLocal prepares the topology in dir: secrets (GenerateSecrets), the node configuration
// copied from natsConf, and each process's ports and command line. Nothing is started.
func NewLocal(dir, bin, natsConf string, p Ports) (*Local, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o700); err != nil {
		return nil, err
	}
	if err := GenerateSecrets(SecretsOptions{Dir: filepath.Join(dir, "secrets")}); err != nil {
		return nil, err
	}
	conf, err := os.ReadFile(natsConf)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "nats.conf"), conf, 0o600); err != nil {
		return nil, err
	}
	l := &Local{Dir: dir, Bin: bin}
	var client, cluster, monitor [3]int
	for i := range 3 {
		if p.NATS[i] != 0 {
			client[i], cluster[i], monitor[i] = p.NATS[i], p.NATS[i]+2000, p.NATS[i]+4000
			continue
		}
		for _, port := range []*int{&client[i], &cluster[i], &monitor[i]} {
			if *port, err = freePort(); err != nil {
				return nil, err
			}
		}
	}
	for i := range 3 {
		name := fmt.Sprintf("nats-%d", i+1)
		env := []string{
			"NATS_NAME=" + name,
			fmt.Sprintf("NATS_LISTEN=127.0.0.1:%d", client[i]),
			fmt.Sprintf("NATS_HTTP=127.0.0.1:%d", monitor[i]),
			fmt.Sprintf("NATS_CLUSTER_LISTEN=127.0.0.1:%d", cluster[i]),
			"NATS_STORE_DIR=" + filepath.Join(dir, name),
		}
		for j := range 3 {
			env = append(env, fmt.Sprintf("NATS_ROUTE_%d=nats://127.0.0.1:%d", j+1, cluster[j]))
		}
		l.Nodes = append(l.Nodes, &Proc{Name: name, URL: fmt.Sprintf("tls://127.0.0.1:%d", client[i]),
			Monitor: fmt.Sprintf("http://127.0.0.1:%d", monitor[i]), args: []string{"-c", filepath.Join(dir, "nats.conf")},
			env: env, dir: dir, log: filepath.Join(dir, "logs", name+".log")})
	}
	for i := range 2 {
		httpAddr, metrics := p.HTTP[i], p.Metrics[i]
		if httpAddr == "" {
			port, err := freePort()
			if err != nil {
				return nil, err
			}
			httpAddr = fmt.Sprintf("127.0.0.1:%d", port)
		}
		if metrics == "" {
			port, err := freePort()
			if err != nil {
				return nil, err
			}
			metrics = fmt.Sprintf("127.0.0.1:%d", port)
		}
		name := fmt.Sprintf("replica-%d", i+1)
		args := append([]string{"serve", "--data", filepath.Join(dir, name), "--http", httpAddr, "--metrics", metrics,
			"--replicas", "3", "--token-key", l.Secret(TokenKey)}, l.NATSArgs()...)
		l.Replicas = append(l.Replicas, &Proc{Name: name, URL: "http://" + localhost(httpAddr), Monitor: "http://" + localhost(metrics),
			args: args, dir: dir, log: filepath.Join(dir, "logs", name+".log")})
	}
	return l, nil
}

func localhost(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "localhost" + addr
	}
	return addr
}

// Secret is the path of a generated secret.
func (l *Local) Secret(name string) string { return filepath.Join(l.Dir, "secrets", name) }

// NATSURLs are the nodes' client URLs, comma-separated.
func (l *Local) NATSURLs() string {
	var u []string
	for _, n := range l.Nodes {
		u = append(u, n.URL)
	}
	return strings.Join(u, ",")
}

// NATSArgs are the flags with which a dieuphoi command reaches the cluster as the service
// user, signing with the deployment's key.
func (l *Local) NATSArgs() []string {
	return []string{"--nats-url", l.NATSURLs(), "--nats-creds", l.Secret(ServiceNK), "--nats-ca", l.Secret(CACert),
		"--signing-key", l.Secret(SigningKey)}
}

// Connect connects to the cluster as the user whose nkey seed is the secret nk (AdminNK,
// OperatorNK, ServiceNK).
func (l *Local) Connect(nk string) (*nats.Conn, error) {
	auth, err := nats.NkeyOptionFromSeed(l.Secret(nk))
	if err != nil {
		return nil, err
	}
	return nats.Connect(l.NATSURLs(), auth, nats.RootCAs(l.Secret(CACert)), nats.MaxReconnects(-1),
		nats.ReconnectWait(100*time.Millisecond), nats.Name("deploy"))
}

// Start starts the nodes, waits until every one is healthy (JetStream current with its meta
// leader), then starts the replicas one after the other, each once the one before is ready.
func (l *Local) Start(ctx context.Context) error {
	for _, n := range l.Nodes {
		if err := n.Start(l.Bin + "/nats-server"); err != nil {
			return err
		}
	}
	for _, n := range l.Nodes {
		if err := l.WaitNode(ctx, n); err != nil {
			return err
		}
	}
	for _, r := range l.Replicas {
		if err := l.StartReplica(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// StartNode starts a node (again) and waits until it is healthy.
func (l *Local) StartNode(ctx context.Context, n *Proc) error {
	if err := n.Start(l.Bin + "/nats-server"); err != nil {
		return err
	}
	return l.WaitNode(ctx, n)
}

// WaitNode waits until the node's monitoring /healthz answers 200.
func (l *Local) WaitNode(ctx context.Context, n *Proc) error {
	return poll(ctx, n.Name+" healthy", func() (bool, error) {
		if !n.Running() {
			return false, fmt.Errorf("%s exited: see %s", n.Name, n.log)
		}
		return get200(n.Monitor + "/healthz"), nil
	})
}

// StartReplica starts a replica and waits until its /healthz answers 200. A replica that exits
// while the cluster elects its leaders (serve cannot open the streams yet) is started again.
func (l *Local) StartReplica(ctx context.Context, r *Proc) error {
	args := append(append([]string{}, r.args...), l.ServeArgs...)
	return poll(ctx, r.Name+" ready", func() (bool, error) {
		if !r.Running() {
			if err := r.start(l.Bin+"/dieuphoi", args); err != nil {
				return false, err
			}
		}
		return get200(r.URL + "/healthz"), nil
	})
}

// Stop ends every process: replicas first (SIGTERM, then SIGKILL after a while), then nodes.
func (l *Local) Stop() {
	for _, group := range [][]*Proc{l.Replicas, l.Nodes} {
		var wg sync.WaitGroup
		for _, p := range group {
			wg.Add(1)
			go func() { defer wg.Done(); p.Terminate(20 * time.Second) }()
		}
		wg.Wait()
	}
}

// StreamLeader returns the node that leads stream.
func (l *Local) StreamLeader(ctx context.Context, js jetstream.JetStream, stream string) (*Proc, error) {
	var leader *Proc
	err := poll(ctx, "a leader of "+stream, func() (bool, error) {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			return false, nil // an election: ask again
		}
		info, err := s.Info(ctx)
		if err != nil || info.Cluster == nil {
			return false, nil
		}
		leader = l.node(info.Cluster.Leader)
		return leader != nil, nil
	})
	return leader, err
}

// MetaLeader returns the node that leads the JetStream meta group, from a node's /jsz.
func (l *Local) MetaLeader(ctx context.Context) (*Proc, error) {
	var leader *Proc
	err := poll(ctx, "the meta leader", func() (bool, error) {
		for _, n := range l.Nodes {
			if !n.Running() {
				continue
			}
			var jsz struct {
				Meta struct {
					Leader string `json:"leader"`
				} `json:"meta_cluster"`
			}
			if getJSON(n.Monitor+"/jsz", &jsz) == nil {
				if leader = l.node(jsz.Meta.Leader); leader != nil {
					return true, nil
				}
			}
		}
		return false, nil
	})
	return leader, err
}

// WaitCurrent waits until every stream has its configured replicas, all current.
func (l *Local) WaitCurrent(ctx context.Context, js jetstream.JetStream, streams ...string) error {
	return poll(ctx, "streams current on every node", func() (bool, error) {
		for _, name := range streams {
			s, err := js.Stream(ctx, name)
			if err != nil {
				return false, nil
			}
			info, err := s.Info(ctx)
			if err != nil || info.Cluster == nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) != info.Config.Replicas-1 {
				return false, nil
			}
			for _, r := range info.Cluster.Replicas {
				if !r.Current || r.Offline {
					return false, nil
				}
			}
		}
		return true, nil
	})
}

func (l *Local) node(name string) *Proc {
	for _, n := range l.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Start starts the process with its command line; it must not be running.
func (p *Proc) Start(bin string) error { return p.start(bin, p.args) }

func (p *Proc) start(bin string, args []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		select {
		case <-p.done:
		default:
			return fmt.Errorf("%s is running", p.Name)
		}
	}
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = p.dir, logf, logf
	cmd.Env = append(os.Environ(), p.env...)
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	p.cmd, p.done = cmd, done
	return nil
}

// Running reports whether the process is alive.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// PID is the process id, 0 when it is not running.
func (p *Proc) PID() int {
	if !p.Running() {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// Kill sends SIGKILL (kill -9) and waits until the process is gone.
func (p *Proc) Kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Terminate sends SIGTERM and waits up to grace before killing.
func (p *Proc) Terminate(grace time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(terminate)
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
}

// poll calls check until it says done, fails, or ctx ends.
func poll(ctx context.Context, what string, check func() (bool, error)) error {
	for {
		ok, err := check()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

func get200(url string) bool {
	resp, err := httpClient.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func getJSON(url string, v any) error {
	resp, err := httpClient.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
