package domain

import (
	"slices"
	"time"
)

// PeriodWindow returns the instants a periodic report (Mẫu 05) of a year covers, [from, to),
// in UTC: from the period's From day (in the previous year when it falls after To) to the end
// of its To day, in Vietnam. A period without From and To covers 1 January to its due day.
func PeriodWindow(cfg *Config, period string, year int) (from, to time.Time, p ReportPeriod, err error) {
	if cfg == nil {
		return from, to, p, Errorf(EINTERNAL, "no configuration in effect")
	}
	if year < 2000 || year > 9999 {
		return from, to, p, Errorf(EINVALID, "year %d must be between 2000 and 9999", year)
	}
	k := slices.IndexFunc(cfg.PeriodicReports.Periods, func(p ReportPeriod) bool { return p.ID == period })
	if k < 0 {
		var ids []string
		for _, p := range cfg.PeriodicReports.Periods {
			ids = append(ids, p.ID)
		}
		return from, to, p, Errorf(EINVALID, "unknown period %q; configuration %s has %v", period, cfg.Version, ids)
	}
	p = cfg.PeriodicReports.Periods[k]
	loc := vietnam()
	if p.From == "" || p.To == "" {
		dm, dd, err := parseMonthDay(p.Due)
		if err != nil {
			return from, to, p, Errorf(EINVALID, "period %s: %v", p.ID, err)
		}
		return time.Date(year, 1, 1, 0, 0, 0, 0, loc).UTC(), time.Date(year, dm, dd, 0, 0, 0, 0, loc).UTC(), p, nil
	}
	fm, fd, err1 := parseMonthDay(p.From)
	tm, td, err2 := parseMonthDay(p.To)
	if err1 != nil || err2 != nil {
		return from, to, p, Errorf(EINVALID, "period %s: from and to must be written \"MM-DD\"", p.ID)
	}
	fy := year
	if fm > tm || fm == tm && fd > td {
		fy = year - 1
	}
	return time.Date(fy, fm, fd, 0, 0, 0, 0, loc).UTC(), time.Date(year, tm, td+1, 0, 0, 0, 0, loc).UTC(), p, nil
}

// Vietnam returns the time zone reports are dated in (Asia/Ho_Chi_Minh, or +07:00).
func Vietnam() *time.Location { return vietnam() }

// periodWindowProblems checks a period's optional From and To.
func periodWindowProblems(at string, p ReportPeriod, add func(path, format string, args ...any)) {
	if (p.From == "") != (p.To == "") {
		add(at, "give both from and to (\"MM-DD\"), or neither")
		return
	}
	for _, f := range []struct{ name, v string }{{"from", p.From}, {"to", p.To}} {
		if f.v == "" {
			continue
		}
		if _, _, err := parseMonthDay(f.v); err != nil {
			add(at+"."+f.name, "%v", err)
		}
	}
}
