package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/dieuphoi/dieuphoi/projections"
)

// runRebuild builds every read model from the first event of the log and reports what it found.
// The service does the same at every start (read models live in memory, so a new projection
// version is rebuilt automatically); this command checks a log offline or on a running service
// without touching it, and tells how long a start will take.
func runRebuild(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c Config
	if err := toolFlags("rebuild", args, getenv, stderr, &c, "regulatory configuration", nil); err != nil {
		return err
	}
	dcfg, el, err := openTool(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer el.shutdown()
	start := time.Now()
	p, err := projections.AsOf(ctx, el.store, dcfg, time.Now().Add(time.Hour))
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "rebuilt read models (version %d) from the log up to sequence %d in %s: %d incidents",
		projections.Version, p.Applied(), took.Round(time.Millisecond), p.Incidents.Len())
	if n := p.Undecodable(); n > 0 {
		fmt.Fprintf(stdout, "; %d commits could not be decoded (see `dieuphoi verify`)\n", n)
		return fmt.Errorf("%d undecodable commits", n)
	}
	fmt.Fprintln(stdout)
	return nil
}
