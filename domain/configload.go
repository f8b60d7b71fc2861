package domain

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
)

//go:embed defaults/config.json
var defaultConfigJSON []byte

// The embedded default is parsed once; TestDefaultConfig fails the build if it is broken, so
// DefaultConfig never meets the error at run time.
var defaultConfig, defaultConfigErr = ParseConfig("defaults/config.json", defaultConfigJSON)

// DefaultConfig returns a fresh copy of the built-in configuration (version 2025.2): the
// organisation directory, sectors, incident types, deadlines, escalation policy and periodic
// reports of a sample province. Callers
// may modify the copy.
func DefaultConfig() *Config {
	if defaultConfigErr != nil {
		panic("domain: embedded default configuration is invalid: " + defaultConfigErr.Error())
	}
	return defaultConfig.clone()
}

// DefaultConfigJSON returns the text of the built-in configuration, a starting point for a
// province's own file.
func DefaultConfigJSON() []byte { return bytes.Clone(defaultConfigJSON) }

// clone returns a copy sharing nothing mutable with c.
func (c *Config) clone() *Config {
	d := *c
	d.OrgKinds = slices.Clone(c.OrgKinds)
	d.Sectors = slices.Clone(c.Sectors)
	d.IncidentTypes = slices.Clone(c.IncidentTypes)
	d.Organisations = slices.Clone(c.Organisations)
	d.EscalationPolicy = c.EscalationPolicy.clone()
	d.PeriodicReports = c.PeriodicReports.clone()
	d.AlertSources = slices.Clone(c.AlertSources)
	d.Review = c.Review.clone()
	d.index()
	return &d
}

// maxConfigProblems caps how many problems one error lists.
const maxConfigProblems = 20

// RSITClasses are the classes of the ENISA Reference Security Incident Taxonomy an incident type
// may map to.
var RSITClasses = []string{
	"Abusive Content", "Malicious Code", "Information Gathering", "Intrusion Attempts", "Intrusions",
	"Availability", "Information Content Security", "Fraud", "Vulnerable", "Other", "Test",
}

var (
	slugRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	codeRe = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// configProblem is one thing wrong with a configuration, at a JSON path such as
// "organisations[3].kind".
type configProblem struct {
	path string
	msg  string
}

// ParseConfig reads one configuration version from JSON. It is strict: unknown fields, values of
// the wrong type and every rule of Validate are errors. The EINVALID error lists up to 20
// problems, one a line, each naming the file, the line and the field, such as
// `config.json: line 42: organisations[3].kind: unknown organisation kind "POLISE"`.
func ParseConfig(name string, data []byte) (*Config, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // editors on Windows add a byte-order mark
	src := &configSource{name: name, data: data, offsets: map[string]int{}}
	if err := src.checkSyntax(); err != nil {
		return nil, err
	}
	src.walk()

	var c Config
	if len(src.problems) == 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			// The walk mirrors the decoder, so this is not expected; report it rather than hide it.
			src.problems = append(src.problems, src.decodeProblem(err))
		}
	} else {
		// encoding/json stops at the first value it cannot decode; to find the remaining
		// problems, decode every value that can be decoded, one at a time.
		decodeLeniently(data, reflect.ValueOf(&c).Elem())
	}

	reported := map[string]bool{}
	for _, p := range src.problems {
		reported[p.path] = true
	}
	for _, p := range c.problems() {
		// A field that did not decode is already reported; its zero value would only repeat it.
		// Nothing decoded from a file that is not an object.
		if !reported[p.path] && !reported[""] {
			src.problems = append(src.problems, src.locate(p))
		}
	}
	if len(src.problems) > 0 {
		return nil, src.err()
	}
	return &c, nil
}

// Validate checks the configuration and builds its lookups; a configuration is used only after
// it validates. The EINVALID error lists up to 20 problems, one a line, each naming the field.
func (c *Config) Validate() error {
	probs := c.problems()
	if len(probs) == 0 {
		return nil
	}
	lines := make([]string, len(probs))
	for i, p := range probs {
		lines[i] = p.path + ": " + p.msg
	}
	return Errorf(EINVALID, "%s", joinProblems(lines))
}

// problems indexes c and returns everything wrong with it, in file order.
func (c *Config) problems() []configProblem {
	c.index()
	var out []configProblem
	add := func(path, format string, args ...any) {
		out = append(out, configProblem{path, fmt.Sprintf(format, args...)})
	}

	if strings.TrimSpace(c.Version) == "" {
		add("version", `is required; give this configuration a version such as "2025.1"`)
	}
	if c.EffectiveFrom.IsZero() {
		add("effectiveFrom", `is required; give the time this version takes effect, such as "2025-03-01T00:00:00+07:00"`)
	}

	// codes checks a list of entries identified by an upper-case code.
	codes := func(list string, n int, get func(i int) (code, nameVi, nameEn string)) {
		if n == 0 {
			add(list, "is empty; list at least one entry")
		}
		first := map[string]int{}
		for i := range n {
			code, vi, en := get(i)
			at := fmt.Sprintf("%s[%d]", list, i)
			switch j, dup := first[code]; {
			case code == "":
				add(at+".code", "is required")
			case !codeRe.MatchString(code):
				add(at+".code", "code %q must be upper-case letters, digits and underscores, starting with a letter", code)
			case dup:
				add(at+".code", "duplicate code %q (already used by %s[%d]); codes must be unique", code, list, j)
			default:
				first[code] = i
			}
			if strings.TrimSpace(vi) == "" {
				add(at+".nameVi", "is required; give the Vietnamese name")
			}
			if strings.TrimSpace(en) == "" {
				add(at+".nameEn", "is required; give the English name")
			}
		}
	}
	codes("orgKinds", len(c.OrgKinds), func(i int) (string, string, string) {
		k := c.OrgKinds[i]
		return k.Code, k.NameVi, k.NameEn
	})
	force, cert := false, false
	for _, k := range c.OrgKinds {
		force = force || k.Force
		cert = cert || k.CERT
	}
	if len(c.OrgKinds) > 0 && !force {
		add("orgKinds", `mark at least one organisation kind with "force": true (the forces that may hold state-secret incidents)`)
	}
	if len(c.OrgKinds) > 0 && !cert {
		add("orgKinds", `mark at least one organisation kind with "cert": true (the CERTs that receive handoffs)`)
	}

	codes("sectors", len(c.Sectors), func(i int) (string, string, string) {
		s := c.Sectors[i]
		return s.Code, s.NameVi, s.NameEn
	})

	codes("incidentTypes", len(c.IncidentTypes), func(i int) (string, string, string) {
		t := c.IncidentTypes[i]
		return t.Code, t.NameVi, t.NameEn
	})
	for i, t := range c.IncidentTypes {
		at := fmt.Sprintf("incidentTypes[%d]", i)
		if !slices.Contains(RSITClasses, t.RSITClass) {
			add(at+".rsitClass", "unknown RSIT class %q; use one of %s", t.RSITClass, strings.Join(RSITClasses, ", "))
		}
		if strings.TrimSpace(t.RSITType) == "" {
			add(at+".rsitType", `is required; give the RSIT type within the class, such as "Phishing"`)
		}
	}

	if len(c.Organisations) == 0 {
		add("organisations", "is empty; list at least one organisation")
	}
	firstSlug := map[string]int{}
	for i, o := range c.Organisations {
		at := fmt.Sprintf("organisations[%d]", i)
		switch j, dup := firstSlug[o.Slug]; {
		case o.Slug == "":
			add(at+".slug", `is required; give a stable identifier such as "cert-health"`)
		case !slugRe.MatchString(o.Slug):
			add(at+".slug", `slug %q must be lower-case letters and digits in words joined by single hyphens, such as "cert-health"`, o.Slug)
		case dup:
			add(at+".slug", "duplicate slug %q (already used by organisations[%d]); slugs must be unique", o.Slug, j)
		default:
			firstSlug[o.Slug] = i
		}
		// With no kinds or sectors listed, that one problem is reported, not one per organisation.
		if o.Kind == "" {
			add(at+".kind", "is required; use a code listed under orgKinds")
		} else if _, ok := c.kinds[o.Kind]; !ok && len(c.OrgKinds) > 0 {
			add(at+".kind", "unknown organisation kind %q; use a code listed under orgKinds", o.Kind)
		}
		if o.Sector != "" && len(c.Sectors) > 0 {
			if _, ok := c.secs[o.Sector]; !ok {
				add(at+".sector", "unknown sector %q; use a code listed under sectors", o.Sector)
			}
		}
		if strings.TrimSpace(o.NameVi) == "" {
			add(at+".nameVi", "is required; give the Vietnamese name")
		}
		if strings.TrimSpace(o.NameEn) == "" {
			add(at+".nameEn", "is required; give the English name")
		}
	}

	d := c.Deadlines
	deadlines := []struct {
		name string
		v    Duration
	}{
		{"acknowledgeEscalation", d.AcknowledgeEscalation},
		{"escalateAfter", d.EscalateAfter},
		{"answerHandoff", d.AnswerHandoff},
		{"notifyOwnerAndVncert", d.NotifyOwnerAndVNCERT},
		{"closingReport", d.ClosingReport},
		{"maxAckWithin", d.MaxAckWithin},
		{"minAckWithin", d.MinAckWithin},
	}
	if d == (DeadlineSettings{}) {
		add("deadlines", "is required; give acknowledgeEscalation, escalateAfter, answerHandoff, notifyOwnerAndVncert, closingReport, minAckWithin and maxAckWithin")
		c.policyProblems(add)
		c.alertSourceProblems(add)
		c.reviewProblems(add)
		return out
	}
	positive := true
	for _, x := range deadlines {
		if x.v <= 0 {
			add("deadlines."+x.name, `must be a positive duration such as "15m", "4h" or "5d"`)
			positive = false
		}
	}
	if positive {
		switch {
		case d.MinAckWithin > d.MaxAckWithin:
			add("deadlines.minAckWithin", "(%s) must not be longer than maxAckWithin (%s)", time.Duration(d.MinAckWithin), time.Duration(d.MaxAckWithin))
		case d.AcknowledgeEscalation < d.MinAckWithin || d.AcknowledgeEscalation > d.MaxAckWithin:
			add("deadlines.acknowledgeEscalation", "(%s) must lie between minAckWithin (%s) and maxAckWithin (%s)",
				time.Duration(d.AcknowledgeEscalation), time.Duration(d.MinAckWithin), time.Duration(d.MaxAckWithin))
		}
	}
	c.policyProblems(add)
	c.alertSourceProblems(add)
	c.reviewProblems(add)
	return out
}

// SelectConfig returns the version in effect at now: the one with the latest EffectiveFrom not
// after now. Versions must have distinct version strings and effective times.
func SelectConfig(versions []*Config, now time.Time) (*Config, error) {
	if len(versions) == 0 {
		return nil, Errorf(EINVALID, "no configuration versions were given; load at least one")
	}
	seen := map[string]bool{}
	var cur, earliest *Config
	for i, c := range versions {
		if c == nil {
			return nil, Errorf(EINVALID, "configuration version %d of %d is missing", i+1, len(versions))
		}
		if seen[c.Version] {
			return nil, Errorf(EINVALID, "two configurations share version %q; give each file its own version", c.Version)
		}
		seen[c.Version] = true
		for _, o := range versions[:i] {
			if o.EffectiveFrom.Equal(c.EffectiveFrom) {
				return nil, Errorf(EINVALID, "configurations %q and %q take effect at the same time (%s); give them different effectiveFrom times",
					o.Version, c.Version, c.EffectiveFrom.Format(time.RFC3339))
			}
		}
		if earliest == nil || c.EffectiveFrom.Before(earliest.EffectiveFrom) {
			earliest = c
		}
		if !c.EffectiveFrom.After(now) && (cur == nil || c.EffectiveFrom.After(cur.EffectiveFrom)) {
			cur = c
		}
	}
	if cur == nil {
		return nil, Errorf(EINVALID, "no configuration is in effect at %s; the earliest, version %q, takes effect at %s",
			now.Format(time.RFC3339), earliest.Version, earliest.EffectiveFrom.Format(time.RFC3339))
	}
	return cur, nil
}
