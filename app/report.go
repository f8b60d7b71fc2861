package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections"
	"github.com/dieuphoi/dieuphoi/projections/report"
)

// Reports makes the regulatory reports (Mẫu 03, 04, 05) from the log, for a reader: what the
// reader may read now, of the log as it stood at an instant, tied to the log's tree at that
// instant and to the first signed checkpoint covering it. The same log, reader, instant, fields
// and format give the same bytes.
type Reports struct {
	store *eventstore.Store
	live  *projections.Projector
	cfg   *domain.Config
	now   func() time.Time
	// CheckpointWait bounds how long a report waits for a signed checkpoint to cover its
	// instant (default 5 s; the checkpointer covers a commit within a second).
	CheckpointWait time.Duration
}

// NewReports returns the report maker over the event log and this replica's read models.
func NewReports(store *eventstore.Store, live *projections.Projector, cfg *domain.Config, now func() time.Time) *Reports {
	if now == nil {
		now = time.Now
	}
	return &Reports{store: store, live: live, cfg: cfg, now: now, CheckpointWait: 5 * time.Second}
}

// ReportRequest asks for one report. Mẫu 03 and 04 name an incident; Mẫu 05 an organisation,
// a period of the configuration ("H1", "YEAR") and a year. AsOf zero means the log as it is:
// the instant of its last commit.
type ReportRequest struct {
	Form       string
	IncidentID string
	Org        string
	Period     string
	Year       int
	AsOf       time.Time
	Fields     map[string]string
	Format     string // pdf (default), csv, html
}

// GeneratedReport is a report made from the log.
type GeneratedReport struct {
	Document    *report.Document
	Body        []byte
	ContentType string
	Filename    string
	Sha256      string // hex
	Format      string
	Fields      map[string]string // as given, trimmed
	// Tally is Mẫu 05's count (nil for Mẫu 03 and 04).
	Tally *report.Tally
}

// Record is what submitReport and submitPeriodicReport record of the generated file.
func (g *GeneratedReport) Record() *domain.ReportDocument {
	b := g.Document.Basis
	return &domain.ReportDocument{Sha256: g.Sha256, Format: g.Format, AsOf: b.AsOf, TreeSize: b.TreeSize, Root: b.Root, Fields: g.Fields}
}

// Lines are Mẫu 05's lines as submitPeriodicReport records them, with the estimated damage
// given for each type.
func (g *GeneratedReport) Lines() []domain.PeriodicReportLine {
	if g.Tally == nil {
		return nil
	}
	var out []domain.PeriodicReportLine
	for _, t := range g.Tally.Config().IncidentTypes {
		l := g.Tally.Lines[t.Code]
		damage := g.Fields["damage."+t.Code]
		if l == nil && damage == "" {
			continue
		}
		if l == nil {
			l = &report.Line{Type: t.Code}
		}
		out = append(out, domain.PeriodicReportLine{Type: t.Code, Count: l.Count, HandledAlone: l.Alone, DomesticHelp: l.Domestic,
			ForeignHelp: l.Foreign, NationalHelp: l.National, EstimatedDamage: damage})
	}
	return out
}

// Generate makes the report the request asks for, as viewer may read it.
func (r *Reports) Generate(ctx context.Context, viewer domain.Actor, req ReportRequest) (*GeneratedReport, error) {
	if req.Format == "" {
		req.Format = "pdf"
	}
	if req.Format != "pdf" && req.Format != "csv" && req.Format != "html" {
		return nil, domain.Errorf(domain.EINVALID, "format must be pdf, csv or html, not %q", req.Format)
	}
	fields, err := report.CheckFields(req.Form, r.cfg, req.Fields)
	if err != nil {
		return nil, err
	}
	if !req.AsOf.IsZero() && req.AsOf.After(r.now()) {
		return nil, domain.Errorf(domain.EINVALID, "asOf %s is in the future", req.AsOf.UTC().Format(time.RFC3339))
	}
	var doc *report.Document
	var tally *report.Tally
	switch req.Form {
	case report.Mau03, report.Mau04:
		doc, err = r.incidentForm(ctx, viewer, req, fields)
	case report.Mau05:
		doc, tally, err = r.periodic(ctx, viewer, req, fields)
	default:
		return nil, domain.Errorf(domain.EINVALID, "form must be MAU_03, MAU_04 or MAU_05")
	}
	if err != nil {
		return nil, err
	}
	body, typ, err := report.Render(doc, req.Format)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	subject := req.IncidentID
	if req.Form == report.Mau05 {
		subject = req.Org + "-" + req.Period + "-" + strconv.Itoa(req.Year)
	}
	name := strings.ToLower(strings.ReplaceAll(req.Form, "_", "")) + "-" + strings.NewReplacer("/", "-", ":", "-").Replace(subject) +
		"-" + doc.Basis.AsOf.UTC().Format("20060102T150405Z") + "." + req.Format
	return &GeneratedReport{Document: doc, Body: body, ContentType: typ, Filename: name, Sha256: hex.EncodeToString(sum[:]), Format: req.Format,
		Fields: fields, Tally: tally}, nil
}

// asOf fixes the instant and the log's size then: the given instant, or the last commit's.
func (r *Reports) asOf(ctx context.Context, t time.Time) (time.Time, uint64, error) {
	if t.IsZero() {
		last, err := r.store.LastSequence(ctx)
		if err != nil {
			return time.Time{}, 0, err
		}
		if last == 0 {
			return time.Time{}, 0, domain.Errorf(domain.ENOTFOUND, "the log is empty")
		}
		c, err := r.store.CommitAt(ctx, last)
		if err != nil {
			return time.Time{}, 0, err
		}
		t = c.RecordedAt
	}
	n, err := r.store.SequenceAt(ctx, t)
	if err != nil {
		return time.Time{}, 0, err
	}
	if err := r.live.WaitFor(ctx, n); err != nil {
		return time.Time{}, 0, err
	}
	return t.UTC(), n, nil
}

// basis names the log's tree at n commits and the first signed checkpoint covering it, waiting
// up to CheckpointWait for one.
func (r *Reports) basis(ctx context.Context, viewer domain.Actor, at time.Time, n uint64) (report.Basis, error) {
	if err := r.store.WaitFollowed(ctx, n); err != nil {
		return report.Basis{}, err
	}
	root, err := r.store.TreeRoot(ctx, int64(n))
	if err != nil {
		return report.Basis{}, err
	}
	deadline := time.Now().Add(r.CheckpointWait)
	for {
		cp, err := r.store.CheckpointCovering(ctx, int64(n))
		if err == nil {
			return report.Basis{AsOf: at, Origin: r.store.Origin(), TreeSize: int64(n), Root: root.String(), SignedSize: cp.Size,
				SignedRoot: cp.Root.String(), Reader: domain.UserKey(viewer.Org, viewer.User)}, nil
		}
		if domain.ErrorCode(err) != domain.ENOTFOUND {
			return report.Basis{}, err
		}
		if time.Now().After(deadline) {
			return report.Basis{}, domain.Errorf(domain.ECONFLICT, "no signed checkpoint covers the log as of %s yet: try again in a few seconds", at.Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return report.Basis{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (r *Reports) incidentForm(ctx context.Context, viewer domain.Actor, req ReportRequest, fields map[string]string) (*report.Document, error) {
	// The past is shown through today's rights: who may not read the incident now gets
	// nothing of it, and nothing is rebuilt for them.
	if !r.live.Incidents.CanSee(viewer, req.IncidentID) {
		return nil, domain.Errorf(domain.ENOTFOUND, "incident %q not found", req.IncidentID)
	}
	at, n, err := r.asOf(ctx, req.AsOf)
	if err != nil {
		return nil, err
	}
	snap, err := projections.IncidentAsOf(ctx, r.store, r.cfg, req.IncidentID, at)
	if err != nil {
		return nil, err
	}
	snap.ThroughTodaysRights(r.live)
	inc, err := snap.Incidents.ReportIncident(viewer, req.IncidentID)
	if err != nil {
		return nil, domain.Errorf(domain.ENOTFOUND, "incident %q did not exist at %s", req.IncidentID, at.Format(time.RFC3339))
	}
	b, err := r.basis(ctx, viewer, at, n)
	if err != nil {
		return nil, err
	}
	in := report.IncidentInput{Config: r.cfg, Reporter: viewer.Org, Incident: inc, Fields: fields, Basis: b}
	if req.Form == report.Mau04 {
		return report.Mau04Document(in)
	}
	return report.Mau03Document(in), nil
}

func (r *Reports) periodic(ctx context.Context, viewer domain.Actor, req ReportRequest, fields map[string]string) (*report.Document, *report.Tally, error) {
	if req.Org == "" {
		req.Org = viewer.Org
	}
	if _, ok := r.cfg.Org(req.Org); !ok {
		return nil, nil, domain.Errorf(domain.EINVALID, "organisation %q is not in the directory", req.Org)
	}
	if !domain.CanReadPeriodicReports(viewer, req.Org, r.cfg) {
		return nil, nil, domain.Errorf(domain.EFORBIDDEN, "the periodic report of %s is made by %s or the subcommittee", req.Org, req.Org)
	}
	from, to, _, err := domain.PeriodWindow(r.cfg, req.Period, req.Year)
	if err != nil {
		return nil, nil, err
	}
	var tally *report.Tally
	var at time.Time
	var n uint64
	// The live read models answer when they hold no incident commit past the instant's last
	// sequence; a busy log may move on while we count: try again, then rebuild as of the instant.
	for try := 0; try < 3 && tally == nil; try++ {
		if at, n, err = r.asOf(ctx, req.AsOf); err != nil {
			return nil, nil, err
		}
		t := report.NewTally(r.cfg, req.Org, from, to)
		if last := r.live.Incidents.ReportScan(viewer, t.Add); last <= n {
			tally = t
		} else if !req.AsOf.IsZero() {
			break // a past instant: the live models are past it for good
		}
	}
	if tally == nil {
		snap, err := projections.AsOf(ctx, r.store, r.cfg, at)
		if err != nil {
			return nil, nil, err
		}
		snap.ThroughTodaysRights(r.live)
		tally = report.NewTally(r.cfg, req.Org, from, to)
		snap.Incidents.ReportScan(viewer, tally.Add)
	}
	b, err := r.basis(ctx, viewer, at, n)
	if err != nil {
		return nil, nil, err
	}
	return report.Mau05Document(report.Mau05Input{Config: r.cfg, Period: req.Period, Year: req.Year, Tally: tally, Fields: fields, Basis: b}), tally, nil
}
