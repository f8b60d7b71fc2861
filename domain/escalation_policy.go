package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SectorCERTPlaceholder in a handoff chain stands for the CERT of the incident's sector: the
// organisation of kind SECTOR_CERT whose sector is the incident's.
const SectorCERTPlaceholder = "$sector-cert"

// EscalationPolicy says who must acknowledge an incident, and in which order, when nobody
// answers; and where a handoff goes next when it is declined or left unanswered. It is part of
// the versioned configuration: an escalation or handoff records the version and the chain it
// started with, and later versions never change it.
type EscalationPolicy struct {
	RemindBefore Duration     `json:"remindBefore"` // a reminder this long before each acknowledgement or answer deadline; 0: none
	Rules        []PolicyRule `json:"rules"`        // first match wins; the last rule must match everything
}

// PolicyRule is the escalation policy for the incidents it matches.
type PolicyRule struct {
	ID    string    `json:"id"`
	Match RuleMatch `json:"match"`
	// AutoEscalate escalates to Chain[0] as soon as an open incident matches ("immediately":
	// QĐ05; TT20 Art. 10.1.c).
	AutoEscalate bool `json:"autoEscalate"`
	// Chain is who must acknowledge, in order, when nobody answers.
	Chain []ChainStep `json:"chain"`
	// HandoffChain is where a handoff goes next when declined or unanswered; "$sector-cert" is
	// the CERT of the incident's sector.
	HandoffChain []string `json:"handoffChain"`
	// NotifyWithin: notify the system owner and VNCERT/CC within this time of detection (TT20
	// Art. 9); 0: not required.
	NotifyWithin Duration `json:"notifyWithin"`
}

// RuleMatch selects incidents; an empty field matches any value.
type RuleMatch struct {
	Tiers            []Tier      `json:"tiers,omitempty"`
	Severities       []Severity  `json:"severities,omitempty"`
	Types            []string    `json:"types,omitempty"`
	Sectors          []string    `json:"sectors,omitempty"`
	MinSecurityLevel int         `json:"minSecurityLevel,omitempty"` // of the affected system; 0: any
	InfoClasses      []InfoClass `json:"infoClasses,omitempty"`
}

// ChainStep is one organisation of an escalation chain and how long it has to acknowledge.
type ChainStep struct {
	Org       string   `json:"org"`
	AckWithin Duration `json:"ackWithin"`
}

// PeriodicReports says which organisations owe the periodic summary report (Mẫu 05) and when.
type PeriodicReports struct {
	OrgKinds []string       `json:"orgKinds"`
	Periods  []ReportPeriod `json:"periods"`
}

// ReportPeriod is one periodic report: an id ("H1", "YEAR") and the day of the year, "MM-DD" in
// Vietnam's time zone, before which it is due. From and To ("MM-DD", both or neither) are the
// first and last days whose incidents it counts; From after To starts in the previous year.
type ReportPeriod struct {
	ID   string `json:"id"`
	Due  string `json:"due"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// CatchAll reports whether m matches every incident.
func (m RuleMatch) CatchAll() bool {
	return len(m.Tiers) == 0 && len(m.Severities) == 0 && len(m.Types) == 0 && len(m.Sectors) == 0 &&
		m.MinSecurityLevel == 0 && len(m.InfoClasses) == 0
}

// Matches reports whether the incident's current classification is selected by m.
func (m RuleMatch) Matches(i *Incident) bool {
	level, class := 0, InfoClass("")
	if i.AffectedSystem != nil {
		level, class = i.AffectedSystem.SecurityLevel, i.AffectedSystem.InfoClass
	}
	return anyOrHas(m.Tiers, i.Tier) && anyOrHas(m.Severities, i.Severity) && anyOrHas(m.Types, i.Type) &&
		anyOrHas(m.Sectors, i.Sector) && level >= m.MinSecurityLevel && anyOrHas(m.InfoClasses, class)
}

func anyOrHas[T comparable](list []T, v T) bool { return len(list) == 0 || slices.Contains(list, v) }

// PolicyFor returns the first rule of the escalation policy matching the incident, or nil when
// the configuration has no policy.
func (c *Config) PolicyFor(i *Incident) *PolicyRule {
	for k := range c.EscalationPolicy.Rules {
		if c.EscalationPolicy.Rules[k].Match.Matches(i) {
			return &c.EscalationPolicy.Rules[k]
		}
	}
	return nil
}

// SectorCERT returns the CERT of a sector (the organisation of kind SECTOR_CERT with that
// sector), or "".
func (c *Config) SectorCERT(sector string) string {
	if sector == "" {
		return ""
	}
	for _, o := range c.Organisations {
		if o.Kind == "SECTOR_CERT" && o.Sector == sector {
			return o.Slug
		}
	}
	return ""
}

// NationalCERTs lists the organisations of kind NATIONAL_CERT (VNCERT/CC), which TT20 Art. 9
// notifications go to; "vncert" when the directory has none of that kind.
func (c *Config) NationalCERTs() []string {
	var out []string
	for _, o := range c.Organisations {
		if o.Kind == "NATIONAL_CERT" {
			out = append(out, o.Slug)
		}
	}
	if len(out) == 0 {
		out = []string{"vncert"}
	}
	return out
}

// clone returns a copy of p sharing nothing mutable.
func (p EscalationPolicy) clone() EscalationPolicy {
	p.Rules = slices.Clone(p.Rules)
	for k := range p.Rules {
		r := &p.Rules[k]
		r.Chain, r.HandoffChain = slices.Clone(r.Chain), slices.Clone(r.HandoffChain)
		m := &r.Match
		m.Tiers, m.Severities, m.Types = slices.Clone(m.Tiers), slices.Clone(m.Severities), slices.Clone(m.Types)
		m.Sectors, m.InfoClasses = slices.Clone(m.Sectors), slices.Clone(m.InfoClasses)
	}
	return p
}

func (p PeriodicReports) clone() PeriodicReports {
	p.OrgKinds, p.Periods = slices.Clone(p.OrgKinds), slices.Clone(p.Periods)
	return p
}

// policyProblems checks the escalation policy and the periodic reports against the rest of the
// configuration (which index has built the lookups of).
func (c *Config) policyProblems(add func(path, format string, args ...any)) {
	p := c.EscalationPolicy
	if p.RemindBefore < 0 {
		add("escalationPolicy.remindBefore", `must not be negative; use "0s" for no reminders`)
	}
	d := c.Deadlines
	ackBounds := d.MinAckWithin > 0 && d.MaxAckWithin > 0 && d.MinAckWithin <= d.MaxAckWithin
	firstID := map[string]int{}
	for k, r := range p.Rules {
		at := fmt.Sprintf("escalationPolicy.rules[%d]", k)
		name := r.ID
		switch j, dup := firstID[r.ID]; {
		case strings.TrimSpace(r.ID) == "":
			add(at+".id", `is required; give the rule a stable id such as "serious"`)
			name = fmt.Sprintf("#%d", k+1)
		case !slugRe.MatchString(r.ID):
			add(at+".id", `id %q must be lower-case letters and digits in words joined by single hyphens, such as "state-secret"`, r.ID)
		case dup:
			add(at+".id", "duplicate rule id %q (already used by escalationPolicy.rules[%d]); rule ids must be unique", r.ID, j)
		default:
			firstID[r.ID] = k
		}
		c.matchProblems(at+".match", r.Match, add)
		if r.AutoEscalate && len(r.Chain) == 0 {
			add(at+".chain", "is empty, but rule %s escalates automatically; name at least one organisation to escalate to", name)
		}
		seen := map[string]int{}
		for j, s := range r.Chain {
			sat := fmt.Sprintf("%s.chain[%d]", at, j)
			if _, ok := c.orgs[s.Org]; !ok {
				add(sat+".org", "unknown organisation %q; use a slug listed under organisations", s.Org)
			} else if first, dup := seen[s.Org]; dup {
				add(sat+".org", "chain of rule %s visits %s twice (steps %d and %d); an organisation may appear once in a chain", name, s.Org, first+1, j+1)
			} else {
				seen[s.Org] = j
			}
			if s.AckWithin <= 0 {
				add(sat+".ackWithin", `must be a positive duration such as "15m"`)
			} else if ackBounds && (s.AckWithin < d.MinAckWithin || s.AckWithin > d.MaxAckWithin) {
				add(sat+".ackWithin", "(%s) must lie between deadlines.minAckWithin (%s) and deadlines.maxAckWithin (%s)",
					time.Duration(s.AckWithin), time.Duration(d.MinAckWithin), time.Duration(d.MaxAckWithin))
			}
		}
		hseen := map[string]int{}
		for j, org := range r.HandoffChain {
			hat := fmt.Sprintf("%s.handoffChain[%d]", at, j)
			switch first, dup := hseen[org]; {
			case dup:
				add(hat, "handoff chain of rule %s visits %s twice (steps %d and %d); an organisation may appear once in a chain", name, org, first+1, j+1)
				continue
			case org == SectorCERTPlaceholder:
			case c.orgs[org] == nil:
				add(hat, "unknown organisation %q; use a slug listed under organisations, or %q", org, SectorCERTPlaceholder)
			case !c.IsCERT(org) && !c.IsForce(org):
				add(hat, "%s is neither a CERT nor a force; handoffs go only to one of them", org)
			}
			hseen[org] = j
		}
		if r.NotifyWithin < 0 {
			add(at+".notifyWithin", `must not be negative; use "0s" when no notification is required`)
		}
	}
	if n := len(p.Rules); n > 0 && !p.Rules[n-1].Match.CatchAll() {
		add(fmt.Sprintf("escalationPolicy.rules[%d].match", n-1), "the last rule must match every incident (an empty match {}), so that every incident has a policy")
	}

	pr := c.PeriodicReports
	for k, code := range pr.OrgKinds {
		if _, ok := c.kinds[code]; !ok {
			add(fmt.Sprintf("periodicReports.orgKinds[%d]", k), "unknown organisation kind %q; use a code listed under orgKinds", code)
		}
	}
	if len(pr.Periods) > 0 && len(pr.OrgKinds) == 0 {
		add("periodicReports.orgKinds", "is empty; name the organisation kinds that owe the periodic reports")
	}
	firstPeriod := map[string]int{}
	for k, per := range pr.Periods {
		at := fmt.Sprintf("periodicReports.periods[%d]", k)
		switch j, dup := firstPeriod[per.ID]; {
		case per.ID == "":
			add(at+".id", `is required; give the period an id such as "H1" or "YEAR"`)
		case !codeRe.MatchString(per.ID):
			add(at+".id", "id %q must be upper-case letters, digits and underscores, starting with a letter", per.ID)
		case dup:
			add(at+".id", "duplicate period id %q (already used by periodicReports.periods[%d])", per.ID, j)
		default:
			firstPeriod[per.ID] = k
		}
		if _, _, err := parseMonthDay(per.Due); err != nil {
			add(at+".due", "%v", err)
		}
		periodWindowProblems(at, per, add)
	}
}

func (c *Config) matchProblems(at string, m RuleMatch, add func(path, format string, args ...any)) {
	for k, t := range m.Tiers {
		if !t.Valid() {
			add(fmt.Sprintf("%s.tiers[%d]", at, k), "unknown tier %q; use ORDINARY or SERIOUS", t)
		}
	}
	for k, s := range m.Severities {
		if !s.Valid() {
			add(fmt.Sprintf("%s.severities[%d]", at, k), "unknown severity %q; use LOW, MEDIUM, HIGH or CRITICAL", s)
		}
	}
	for k, t := range m.Types {
		if _, ok := c.types[t]; !ok {
			add(fmt.Sprintf("%s.types[%d]", at, k), "unknown incident type %q; use a code listed under incidentTypes", t)
		}
	}
	for k, s := range m.Sectors {
		if _, ok := c.secs[s]; !ok {
			add(fmt.Sprintf("%s.sectors[%d]", at, k), "unknown sector %q; use a code listed under sectors", s)
		}
	}
	if m.MinSecurityLevel < 0 || m.MinSecurityLevel > 5 {
		add(at+".minSecurityLevel", "must be 1 to 5, or 0 for any level")
	}
	for k, ic := range m.InfoClasses {
		if !ic.Valid() {
			add(fmt.Sprintf("%s.infoClasses[%d]", at, k), "unknown information class %q (use PUBLIC, PRIVATE, PERSONAL or a STATE_SECRET_ grade)", ic)
		}
	}
}

// parseMonthDay reads "MM-DD". 29 February is refused: a report due date must exist every year.
func parseMonthDay(s string) (time.Month, int, error) {
	digits := func(x string) bool { return len(x) == 2 && x[0] >= '0' && x[0] <= '9' && x[1] >= '0' && x[1] <= '9' }
	if len(s) != 5 || s[2] != '-' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, 0, fmt.Errorf(`due date %q must be written "MM-DD", such as "06-20"`, s)
	}
	m, d := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if m < 1 || m > 12 || d < 1 {
		return 0, 0, fmt.Errorf("due date %q is not a day of the year (month 01 to 12, day from 01)", s)
	}
	// 2025 is not a leap year, so 02-29 does not survive the round trip either.
	if t := time.Date(2025, time.Month(m), d, 0, 0, 0, 0, time.UTC); t.Month() != time.Month(m) || t.Day() != d {
		return 0, 0, fmt.Errorf("due date %q is not a day of every year", s)
	}
	return time.Month(m), d, nil
}
