package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections"
	"github.com/dieuphoi/dieuphoi/projections/report"
)

// fieldFlags collects --field key=value.
type fieldFlags map[string]string

func (f fieldFlags) String() string { return "" }
func (f fieldFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("write --field key=value")
	}
	if _, dup := f[k]; dup {
		return fmt.Errorf("field %q given twice", k)
	}
	f[k] = val
	return nil
}

// runReport writes a regulatory report made from the log: `dieuphoi report mau03|mau04
// --incident ID` or `dieuphoi report mau05 --org ORG --period H1|YEAR --year Y`, as
// --format pdf|csv|html to --out FILE (default standard output), through the rights of
// --reader ORG/USER (role --role) as they are today.
func runReport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("write dieuphoi report mau03|mau04 --incident ID, or dieuphoi report mau05 --org ORG --period H1|YEAR --year Y")
	}
	form := map[string]string{"mau03": report.Mau03, "mau04": report.Mau04, "mau05": report.Mau05}[args[0]]
	if form == "" {
		return fmt.Errorf("unknown report %q: use mau03, mau04 or mau05", args[0])
	}
	var c Config
	var req app.ReportRequest
	var reader, role, out, asOf string
	fields := fieldFlags{}
	f := newFlagSet("report "+args[0], getenv, stderr)
	storeFlags(f, &c)
	f.str(&c.Config, "config", "", "regulatory configuration")
	f.StringVar(&req.IncidentID, "incident", "", "the incident (mau03, mau04)")
	f.StringVar(&req.Org, "org", "", "the organisation that reports (mau05)")
	f.StringVar(&req.Period, "period", "", "the period of the configuration: H1 or YEAR (mau05)")
	f.IntVar(&req.Year, "year", 0, "the year (mau05)")
	f.StringVar(&req.Format, "format", "pdf", "pdf, csv or html")
	f.StringVar(&out, "out", "", "file to write (default standard output)")
	f.StringVar(&asOf, "as-of", "", "the instant the report is as of (RFC 3339); default the log's last commit")
	f.StringVar(&reader, "reader", "", "ORG/USER whose rights of today the report is made through (default ORG/report for mau05)")
	f.StringVar(&role, "role", "coordinator", "the reader's role")
	f.Var(fields, "field", "key=value of a field the log does not know (repeat); see README")
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	req.Form, req.Fields = form, fields
	if asOf != "" {
		t, err := time.Parse(time.RFC3339Nano, asOf)
		if err != nil {
			return fmt.Errorf("--as-of %q is not RFC 3339 (for example 2026-06-14T17:00:00+07:00)", asOf)
		}
		req.AsOf = t
	}
	if reader == "" && form == report.Mau05 && req.Org != "" {
		reader = req.Org + "/report"
	}
	org, user, ok := strings.Cut(reader, "/")
	if !ok || org == "" || user == "" {
		return fmt.Errorf("--reader ORG/USER is required: the report shows what that person may read today")
	}
	viewer := domain.Actor{Org: org, User: user, Role: domain.Role(role)}
	if !viewer.Role.Valid() {
		return fmt.Errorf("--role %q is not a role", role)
	}
	dcfg, err := loadDomainConfig(c.Config, time.Now())
	if err != nil {
		return err
	}
	el, err := openToolLog(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer el.shutdown()
	g, err := generateOffline(ctx, el, dcfg, viewer, req)
	if err != nil {
		return err
	}
	w := stdout
	if out != "" {
		file, err := os.Create(out)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	if _, err := w.Write(g.Body); err != nil {
		return err
	}
	b := g.Document.Basis
	fmt.Fprintf(stderr, "%s sha256 %s, as of %s, tree %d root %s (signed checkpoint %d)\n", g.Filename, g.Sha256,
		b.AsOf.Format(time.RFC3339Nano), b.TreeSize, b.Root, b.SignedSize)
	if len(g.Document.Missing) > 0 {
		fmt.Fprintf(stderr, "left blank (give with --field): %s\n", strings.Join(g.Document.Missing, ", "))
	}
	return nil
}

// generateOffline builds the read models and the tree from the log, then makes the report. A
// tool that opened the data directory itself (no service runs on it) signs the checkpoints the
// report needs, as a replica would.
func generateOffline(ctx context.Context, el *eventLog, dcfg *domain.Config, viewer domain.Actor, req app.ReportRequest) (*app.GeneratedReport, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := projections.New(dcfg, nil)
	followed := make(chan error, 1)
	go func() { followed <- el.store.Follow(ctx, nil, p.Sink()) }()
	if el.lock != nil {
		go func() { _ = el.store.RunCheckpoints(ctx, nil) }()
	}
	last, err := el.store.LastSequence(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.WaitFor(ctx, last); err != nil {
		select {
		case ferr := <-followed:
			return nil, ferr
		default:
		}
		return nil, err
	}
	r := app.NewReports(el.store, p, dcfg, nil)
	g, err := r.Generate(ctx, viewer, req)
	if err != nil && domain.ErrorCode(err) == domain.ENOTFOUND && req.IncidentID != "" {
		return nil, fmt.Errorf("%s: (as %s/%s, today)", domain.ErrorMessage(err), viewer.Org, viewer.User)
	}
	return g, err
}

// checkReportRoot checks a report's footer against the log: the tree of the log's first size
// commits has the root printed. spec is "SIZE:ROOT".
func checkReportRoot(ctx context.Context, st *eventstore.Store, spec string, stdout io.Writer) error {
	s, root, ok := strings.Cut(spec, ":")
	size, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil || size < 0 {
		return fmt.Errorf("--report-root %q: write SIZE:ROOT as the report's footer prints them", spec)
	}
	want, err := tlog.ParseHash(root)
	if err != nil {
		return fmt.Errorf("--report-root: the root %q is not base64 of 32 bytes", root)
	}
	got, err := st.TreeRoot(ctx, size)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("the report does not match the log: the tree of its first %d commits has root %s, not %s", size, got, root)
	}
	fmt.Fprintf(stdout, "report basis: the log's first %d commits have root %s, as the report says\n", size, root)
	return nil
}
