// Command dieuphoi coordinates cyber-incident response between the forces of a province and the
// national CERT network. `dieuphoi serve` runs the service; see README.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dieuphoi:", err)
		os.Exit(1)
	}
}

const usage = `dieuphoi — cyber-incident coordination for the forces of a province and the CERT network

Usage:
  dieuphoi serve   [flags]   run the service (embedded NATS unless --nats-url is given)
  dieuphoi token   [flags]   mint a bearer token: --org ORG --user USER --role ROLE [--ttl D]
  dieuphoi demo    [flags]   record a realistic drill scenario (hospital ransomware)
  dieuphoi verify  [flags]   check the signed hash chain of the whole log or one aggregate
  dieuphoi rebuild [flags]   build every read model from the log and report
  dieuphoi report  mau03|mau04 --incident ID | mau05 --org ORG --period H1|YEAR --year Y
                   [--format pdf|csv|html] [--out FILE] [--reader ORG/USER] [--field k=v]...
  dieuphoi config  [flags]   print the default configuration or check a configuration file
  dieuphoi nats-user [flags] the NATS user of a SOC on the embedded server: --org ORG [--seed]
  dieuphoi version           print the version

Run "dieuphoi COMMAND -h" for the flags of a command. Every flag can also be set with the
environment variable DIEUPHOI_<NAME> (for example DIEUPHOI_NATS_URL for --nats-url).
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// run is the whole program: main only wires the process to it, so tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("missing command")
	}
	switch args[1] {
	case "serve":
		return runServe(ctx, args[2:], getenv, stdout, stderr)
	case "verify":
		return runVerify(ctx, args[2:], getenv, stdout, stderr)
	case "token":
		return runToken(ctx, args[2:], getenv, stdout, stderr)
	case "demo":
		return runDemo(ctx, args[2:], getenv, stdout, stderr)
	case "rebuild":
		return runRebuild(ctx, args[2:], getenv, stdout, stderr)
	case "report":
		return runReport(ctx, args[2:], getenv, stdout, stderr)
	case "nats-user":
		return runNATSUser(args[2:], getenv, stdout, stderr)
	case "config":
		return runConfig(args[2:], getenv, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "dieuphoi", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[1])
}
