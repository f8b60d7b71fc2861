package domain

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func init() {
	registerEvent[PeriodicReportSubmitted]("report", 1, nil)
	registerEvent[PeriodicReportOverdue]("report", 1, nil)
	registerCommand((*PeriodicReport).SubmitPeriodicReport)
	registerCommand((*PeriodicReport).MissPeriodicReport)
}

// vietnam is Asia/Ho_Chi_Minh from the system's zone database, or a fixed +07:00 zone when the
// database is missing (Vietnam has kept +07:00 since 1975), as periodic report dates are local.
var vietnam = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return loc
	}
	return time.FixedZone("ICT", 7*60*60)
})

// PeriodicReport is one periodic summary report (Mẫu 05) an organisation owes for one period of
// one year; its aggregate id is "<org>/<period>-<year>", such as "dic/H1-2026".
type PeriodicReport struct {
	Recorder
	ID          string
	Org         string
	Period      string
	Year        int
	Due         time.Time // known once an event is recorded
	Submitted   bool
	SubmittedAt time.Time
	SubmittedBy Actor
	Reference   string
	Late        bool
	Overdue     bool
}

// PeriodicReportID returns the aggregate id of an organisation's report for a period of a year.
func PeriodicReportID(org, period string, year int) string {
	return org + "/" + period + "-" + strconv.Itoa(year)
}

// ParsePeriodicReportID splits "<org>/<period>-<year>".
func ParsePeriodicReportID(id string) (org, period string, year int, err error) {
	org, rest, ok := strings.Cut(id, "/")
	k := strings.LastIndexByte(rest, '-')
	if ok && k > 0 {
		period = rest[:k]
		year, err = strconv.Atoi(rest[k+1:])
	}
	if !ok || k <= 0 || err != nil || org == "" || year < 2000 || year > 9999 {
		return "", "", 0, Errorf(EINVALID, "report id %q must be written <org>/<period>-<year>, such as dic/H1-2026", id)
	}
	return org, period, year, nil
}

// NewPeriodicReport returns the report with the given id, not yet submitted.
func NewPeriodicReport(id string) *PeriodicReport {
	r := &PeriodicReport{ID: id}
	r.Org, r.Period, r.Year, _ = ParsePeriodicReportID(id)
	return r
}

// AggregateType implements Aggregate.
func (*PeriodicReport) AggregateType() string { return "report" }

// AggregateID implements Aggregate.
func (r *PeriodicReport) AggregateID() string { return r.ID }

// Replay implements Aggregate.
func (r *PeriodicReport) Replay(e Event) { r.apply(e) }

func (r *PeriodicReport) record(e Event) { r.apply(e); r.add(e) }

// apply changes state from an event and reports whether it knew the event.
func (r *PeriodicReport) apply(e Event) bool {
	switch e := e.(type) {
	case PeriodicReportSubmitted:
		r.Org, r.Period, r.Year, r.Due = e.Org, e.Period, e.Year, e.Due
		r.Submitted, r.SubmittedAt, r.SubmittedBy, r.Reference, r.Late = true, e.At, e.By, e.Reference, e.Late
	case PeriodicReportOverdue:
		r.Org, r.Period, r.Year, r.Due = e.Org, e.Period, e.Year, e.Due
		r.Overdue = true
	default:
		return false
	}
	return true
}

// PeriodicReportLine is one row of Mẫu 05: the incidents of one type in the period. Drill
// incidents never count.
type PeriodicReportLine struct {
	Type            string `json:"type"`
	Count           int    `json:"count"`
	HandledAlone    int    `json:"handledAlone"`
	DomesticHelp    int    `json:"domesticHelp"`
	ForeignHelp     int    `json:"foreignHelp"`
	NationalHelp    int    `json:"nationalHelp"` // the national coordinator's help was requested
	EstimatedDamage string `json:"estimatedDamage,omitempty"`
}

// SubmitPeriodicReport records the submission of the report; Lines may be empty when the
// organisation had no incident in the period.
type SubmitPeriodicReport struct {
	Reference string
	Summary   string
	Lines     []PeriodicReportLine
	// Document, when the report was generated from the log, identifies the file submitted.
	Document *ReportDocument
}

// CommandName implements Command.
func (SubmitPeriodicReport) CommandName() string { return "SubmitPeriodicReport" }

// PeriodicReportSubmitted records a submitted periodic report; Late when after Due.
type PeriodicReportSubmitted struct {
	Org       string               `json:"org"`
	Period    string               `json:"period"`
	Year      int                  `json:"year"`
	Due       time.Time            `json:"due"`
	Late      bool                 `json:"late,omitempty"`
	Reference string               `json:"reference,omitempty"`
	Summary   string               `json:"summary,omitempty"`
	Lines     []PeriodicReportLine `json:"lines,omitempty"`
	Document  *ReportDocument      `json:"document,omitempty"`
	Stamp
}

// PeriodicReportOverdue records that the report was not submitted by Due.
type PeriodicReportOverdue struct {
	Org    string    `json:"org"`
	Period string    `json:"period"`
	Year   int       `json:"year"`
	Due    time.Time `json:"due"`
	Stamp
}

// EventType implements Event.
func (PeriodicReportSubmitted) EventType() string { return "PeriodicReportSubmitted" }

// EventType implements Event.
func (PeriodicReportOverdue) EventType() string { return "PeriodicReportOverdue" }

// PeriodicReportDue returns when the report of a period is due in a year: the start of the day
// "MM-DD" in Vietnam (the report is due before that day, as "trước ngày 20/6" says), in UTC.
func PeriodicReportDue(p ReportPeriod, year int) (time.Time, error) {
	m, d, err := parseMonthDay(p.Due)
	if err != nil {
		return time.Time{}, Errorf(EINVALID, "period %s: %v", p.ID, err)
	}
	return time.Date(year, m, d, 0, 0, 0, 0, vietnam()).UTC(), nil
}

// owed checks that the configuration still asks this organisation for this period, and returns
// the period.
func (r *PeriodicReport) owed(cfg *Config) (ReportPeriod, time.Time, error) {
	if r.Org == "" {
		return ReportPeriod{}, time.Time{}, Errorf(EINVALID, "report id %q must be written <org>/<period>-<year>, such as dic/H1-2026", r.ID)
	}
	o, ok := cfg.Org(r.Org)
	if !ok {
		return ReportPeriod{}, time.Time{}, Errorf(ENOTFOUND, "organisation %q is not in the directory", r.Org)
	}
	pr := cfg.PeriodicReports
	k := slices.IndexFunc(pr.Periods, func(p ReportPeriod) bool { return p.ID == r.Period })
	if k < 0 {
		return ReportPeriod{}, time.Time{}, Errorf(ENOTFOUND, "configuration %s has no periodic report %q", cfg.Version, r.Period)
	}
	if !slices.Contains(pr.OrgKinds, o.Kind) {
		return ReportPeriod{}, time.Time{}, Errorf(ECONFLICT, "%s does not owe periodic reports under configuration %s", r.Org, cfg.Version)
	}
	due, err := PeriodicReportDue(pr.Periods[k], r.Year)
	return pr.Periods[k], due, err
}

// SubmitPeriodicReport records the report; a coordinator or admin of the organisation submits it, once.
func (r *PeriodicReport) SubmitPeriodicReport(in Invocation, c SubmitPeriodicReport) error {
	if in.Config == nil {
		return Errorf(EINTERNAL, "no configuration in effect")
	}
	if in.Actor.Org != r.Org || (in.Actor.Role != RoleCoordinator && in.Actor.Role != RoleAdmin) || in.Actor.User == "" {
		return Errorf(EFORBIDDEN, "only a coordinator or admin of %s may submit its periodic reports", r.Org)
	}
	_, due, err := r.owed(in.Config)
	if err != nil {
		return err
	}
	if r.Submitted {
		return Errorf(ECONFLICT, "report %s was already submitted at %s", r.ID, r.SubmittedAt.Format(time.RFC3339))
	}
	now := in.Now.UTC()
	if now.Before(time.Date(r.Year, 1, 1, 0, 0, 0, 0, vietnam())) {
		return Errorf(EINVALID, "report %s covers %d, which has not begun", r.ID, r.Year)
	}
	e := PeriodicReportSubmitted{Org: r.Org, Period: r.Period, Year: r.Year, Due: due, Late: !now.Before(due), Stamp: Stamp{By: in.Actor, At: now}}
	if e.Reference, err = textField("reference", c.Reference, 500, false); err != nil {
		return err
	}
	if e.Summary, err = textField("summary", c.Summary, 20000, false); err != nil {
		return err
	}
	if e.Document, err = c.Document.check(); err != nil {
		return err
	}
	if len(c.Lines) > len(in.Config.IncidentTypes) {
		return Errorf(ETOOLARGE, "give at most one line per incident type (%d)", len(in.Config.IncidentTypes))
	}
	for _, l := range c.Lines {
		if _, ok := in.Config.IncidentType(l.Type); !ok {
			return Errorf(EINVALID, "unknown incident type %q; use one of %s", l.Type, incidentTypeCodes(in.Config))
		}
		if slices.ContainsFunc(e.Lines, func(x PeriodicReportLine) bool { return x.Type == l.Type }) {
			return Errorf(EINVALID, "incident type %s has two lines; give one", l.Type)
		}
		for _, n := range []int{l.HandledAlone, l.DomesticHelp, l.ForeignHelp, l.NationalHelp} {
			if n < 0 || n > l.Count {
				return Errorf(EINVALID, "line %s: every count must lie between 0 and the number of incidents (%d)", l.Type, l.Count)
			}
		}
		if l.EstimatedDamage, err = textField("estimated damage", l.EstimatedDamage, 500, false); err != nil {
			return err
		}
		e.Lines = append(e.Lines, l)
	}
	r.record(e)
	return nil
}

// MissPeriodicReport is the deadline scheduler's command for a periodic report not submitted
// by its due date.
type MissPeriodicReport struct{}

// CommandName implements Command.
func (MissPeriodicReport) CommandName() string { return "MissPeriodicReport" }

// MissPeriodicReport records, once and only from its due time on, that the report was not submitted. Only the
// deadline scheduler issues it.
func (r *PeriodicReport) MissPeriodicReport(in Invocation, _ MissPeriodicReport) error {
	if in.Config == nil {
		return Errorf(EINTERNAL, "no configuration in effect")
	}
	if in.Actor != SystemActor {
		return Errorf(EFORBIDDEN, "only the deadline scheduler may record an overdue report")
	}
	_, due, err := r.owed(in.Config)
	switch {
	case err != nil:
		return err
	case r.Submitted:
		return Errorf(ECONFLICT, "report %s was submitted at %s", r.ID, r.SubmittedAt.Format(time.RFC3339))
	case r.Overdue:
		return Errorf(ECONFLICT, "report %s was already recorded as overdue", r.ID)
	case in.Now.Before(due):
		return Errorf(EINVALID, "report %s is not due until %s", r.ID, due.Format(time.RFC3339))
	}
	r.record(PeriodicReportOverdue{Org: r.Org, Period: r.Period, Year: r.Year, Due: due, Stamp: in.Stamp()})
	return nil
}

// PeriodicDue is one periodic report an organisation owes.
type PeriodicDue struct {
	Org    string
	Period string
	Year   int
	Due    time.Time
	ID     string // aggregate id of the report
}

// DuePeriodicReports lists the reports (organisation × period) falling due in [from, to], for
// the organisations of the configured kinds, by due time, organisation and period.
func DuePeriodicReports(cfg *Config, from, to time.Time) []PeriodicDue {
	if cfg == nil || to.Before(from) {
		return nil
	}
	var out []PeriodicDue
	pr := cfg.PeriodicReports
	for year := from.In(vietnam()).Year(); year <= to.In(vietnam()).Year(); year++ {
		for _, p := range pr.Periods {
			due, err := PeriodicReportDue(p, year)
			if err != nil || due.Before(from) || due.After(to) {
				continue
			}
			for _, o := range cfg.Organisations {
				if slices.Contains(pr.OrgKinds, o.Kind) {
					out = append(out, PeriodicDue{Org: o.Slug, Period: p.ID, Year: year, Due: due, ID: PeriodicReportID(o.Slug, p.ID, year)})
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b PeriodicDue) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		if c := strings.Compare(a.Org, b.Org); c != 0 {
			return c
		}
		return strings.Compare(a.Period, b.Period)
	})
	return out
}
