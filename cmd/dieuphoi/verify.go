package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// runVerify checks the log's signatures and hash chains. Against a running embedded service it
// connects to --nats-listen; with the service stopped it opens --data itself.
func runVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c Config
	var aggregate, reportRoot string
	if err := toolFlags("verify", args, getenv, stderr, &c, "", func(f *flagSet) {
		f.StringVar(&aggregate, "aggregate", "", "verify only this aggregate, written TYPE/ID (for example incident/0190…)")
		f.StringVar(&reportRoot, "report-root", "", "also check a printed report's basis, SIZE:ROOT as its footer names them")
	}); err != nil {
		return err
	}
	el, err := openToolLog(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer el.shutdown()
	if reportRoot != "" {
		if err := checkReportRoot(ctx, el.store, reportRoot, stdout); err != nil {
			return err
		}
	}
	start := time.Now()
	// Both logs: incidents and the rest in the event stream, SOC alerts in their own stream.
	logs := []struct {
		name  string
		store *eventstore.Store
	}{{"event log (" + el.store.Config().Stream + ")", el.store}, {"alerts (" + el.alerts.Config().Stream + ")", el.alerts}}
	broken := false
	if aggregate != "" {
		typ, id, ok := strings.Cut(aggregate, "/")
		if !ok {
			return fmt.Errorf("--aggregate %q: write TYPE/ID", aggregate)
		}
		found := false
		for _, l := range logs {
			r, err := l.store.VerifyAggregate(ctx, typ, id)
			if err != nil {
				return err
			}
			if r.Commits == 0 {
				continue
			}
			found = true
			fmt.Fprintf(stdout, "%s:\n%s", l.name, r.Summary())
			broken = broken || !r.OK()
		}
		if !found {
			return fmt.Errorf("no commits of %s %s in either log", typ, id)
		}
	} else {
		for _, l := range logs {
			r, err := l.store.VerifyAll(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s:\n%s", l.name, r.Summary())
			broken = broken || !r.OK()
		}
		ok, err := verifyEvidence(ctx, el, stdout)
		if err != nil {
			return err
		}
		broken = broken || !ok
	}
	fmt.Fprintf(stdout, "took %s\n", time.Since(start).Round(time.Millisecond))
	if broken {
		return fmt.Errorf("the log or its evidence files are broken")
	}
	return nil
}

// toolFlags parses a command-line tool's flags: the store's, --config when configHelp is not
// empty, and the tool's own (extra, which may be nil).
func toolFlags(name string, args []string, getenv func(string) string, stderr io.Writer, c *Config, configHelp string, extra func(*flagSet)) error {
	f := newFlagSet(name, getenv, stderr)
	storeFlags(f, c)
	if configHelp != "" {
		f.str(&c.Config, "config", "", configHelp)
	}
	if extra != nil {
		extra(f)
	}
	return f.parse(args)
}

// openTool loads the regulatory configuration in effect and opens the log for a tool.
func openTool(ctx context.Context, c Config, stderr io.Writer) (*domain.Config, *eventLog, error) {
	dcfg, err := loadDomainConfig(c.Config, time.Now())
	if err != nil {
		return nil, nil, err
	}
	el, err := openToolLog(ctx, c, stderr)
	return dcfg, el, err
}

// openToolLog opens the log for a command-line tool (see openLog): through the owner of --data
// when it runs, else by taking the directory for as long as the tool runs. Warnings (a stream
// that differs from this release's and is left as it is) go to stderr.
func openToolLog(ctx context.Context, c Config, stderr io.Writer) (*eventLog, error) {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return openLog(ctx, c, log, asTool, nil)
}
