// Command cluster runs dieuphoi's real topology on one machine (make cluster): three nats-server
// processes in a cluster (JetStream, TLS, the generated account, deploy/nats/nats.conf) and two
// `dieuphoi serve` replicas with R3 streams, all built from the pinned modules; no Docker. It
// prints the addresses and how to get a token; Ctrl-C stops everything. The state stays in -dir,
// so a second run finds its incidents again.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dieuphoi/dieuphoi/deploy"
)

func main() {
	dir := flag.String("dir", "bin/cluster", "working directory: binaries, secrets, storage, logs")
	natsPort := flag.Int("nats-port", 14222, "client port of the first NATS node (then +1, +2; routes +2000, monitoring +4000)")
	http1 := flag.String("http", ":8081,:8082", "the two replicas' HTTP addresses")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *dir, *natsPort, strings.Split(*http1, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string, natsPort int, httpAddrs []string) error {
	if len(httpAddrs) != 2 {
		return fmt.Errorf("-http: give two addresses, comma-separated")
	}
	bin, err := filepath.Abs(filepath.Join(dir, "bin"))
	if err != nil {
		return err
	}
	fmt.Println("building nats-server and dieuphoi from the pinned modules…")
	if err := deploy.Build(ctx, ".", bin, os.Stderr); err != nil {
		return err
	}
	ports := deploy.Ports{NATS: [3]int{natsPort, natsPort + 1, natsPort + 2}, HTTP: [2]string{httpAddrs[0], httpAddrs[1]},
		Metrics: [2]string{"127.0.0.1:9091", "127.0.0.1:9092"}}
	l, err := deploy.NewLocal(dir, bin, "deploy/nats/nats.conf", ports)
	if err != nil {
		return err
	}
	defer l.Stop()
	fmt.Println("starting 3 NATS nodes, then 2 replicas (logs in " + filepath.Join(l.Dir, "logs") + ")…")
	sctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	err = l.Start(sctx)
	cancel()
	if err != nil {
		return err
	}
	tokenCmd := append(append([]string{filepath.Join(bin, "dieuphoi"), "token", "--data", filepath.Join(l.Dir, "tool"),
		"--token-key", l.Secret(deploy.TokenKey)}, l.NATSArgs()...), "--org", "dic", "--user", "lan", "--role", "coordinator")
	out, err := exec.CommandContext(ctx, tokenCmd[0], tokenCmd[1:]...).Output()
	if err != nil {
		return fmt.Errorf("minting a token: %w", err)
	}
	fmt.Println()
	fmt.Println("dieuphoi cluster is up:")
	for _, n := range l.Nodes {
		fmt.Printf("  %-10s %s  monitoring %s  pid %d\n", n.Name, n.URL, n.Monitor, n.PID())
	}
	for _, r := range l.Replicas {
		fmt.Printf("  %-10s %s  (board, /graphql, /healthz; operators: %s)  pid %d\n", r.Name, r.URL, r.Monitor, r.PID())
	}
	fmt.Printf("\na coordinator's token (dic/lan), good for 24 h:\n  %s\n", strings.TrimSpace(string(out)))
	fmt.Printf("more tokens:\n  %s --org ORG --user USER --role ROLE\n", strings.Join(tokenCmd[:len(tokenCmd)-6], " "))
	fmt.Printf("the nats CLI, read-only:\n  nats --server %s --tlsca %s --nkey %s stream info DIEUPHOI_EVENTS\n",
		l.NATSURLs(), l.Secret(deploy.CACert), l.Secret(deploy.OperatorNK))
	fmt.Println("\ntry a fault: kill -9 a pid above (a node, a replica); Ctrl-C stops everything.")
	<-ctx.Done()
	fmt.Println("\nstopping…")
	return nil
}
