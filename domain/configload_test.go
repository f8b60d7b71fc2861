package domain

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

// MustParseConfigText parses a configuration that the test expects to be valid.
func MustParseConfigText(tb testing.TB, data []byte) *Config {
	tb.Helper()
	c, err := ParseConfig("config.json", data)
	if err != nil {
		tb.Fatalf("parse config: %v", err)
	}
	return c
}

// editDefault returns the default configuration text with one replacement, and the line the
// replacement starts on.
func editDefault(tb testing.TB, old, new string) ([]byte, int) {
	tb.Helper()
	src := string(DefaultConfigJSON())
	i := strings.Index(src, old)
	if i < 0 || strings.Count(src, old) != 1 {
		tb.Fatalf("%q must occur exactly once in the default configuration", old)
	}
	return []byte(src[:i] + new + src[i+len(old):]), strings.Count(src[:i], "\n") + 1
}

func TestDefaultConfig(t *testing.T) {
	is := is.New(t)
	is.NoErr(defaultConfigErr) // embedded default parses
	c := DefaultConfig()
	is.NoErr(c.Validate())                                                        // default validates
	is.Equal(c.Version, "2025.2")                                                 // version
	is.True(c.EffectiveFrom.Equal(time.Date(2025, 2, 28, 17, 0, 0, 0, time.UTC))) // effective 2025-03-01 00:00 +07:00
	is.Equal(c.Province, "Tỉnh mẫu (default province)")                           // province
	is.True(strings.Contains(c.LegalBasis, "Thông tư 20/2017/TT-BTTTT"))          // legal basis: TT20
	is.True(strings.Contains(c.LegalBasis, "Quyết định 05/2017/QĐ-TTg"))          // legal basis: QĐ05
	is.True(strings.Contains(c.LegalBasis, "Quyết định 632/QĐ-TTg"))              // legal basis: QĐ632
	is.True(strings.Contains(c.LegalBasis, "2015"))                               // legal basis: the 2015 law
	is.True(strings.Contains(c.LegalBasis, "Bộ Công an"))                         // legal basis: the 2025 transfer
	is.Equal(len(c.OrgKinds), 12)                                                 // org kinds
	is.Equal(len(c.Sectors), 11)                                                  // the 11 priority sectors
	is.Equal(len(c.IncidentTypes), 11)                                            // the 11 incident types
	is.Equal(c.Deadlines.AcknowledgeEscalation, Duration(15*time.Minute))         // acknowledge
	is.Equal(c.Deadlines.EscalateAfter, Duration(30*time.Minute))                 // escalate
	is.Equal(c.Deadlines.AnswerHandoff, Duration(4*time.Hour))                    // answer handoff
	is.Equal(c.Deadlines.NotifyOwnerAndVNCERT, Duration(5*24*time.Hour))          // TT20 Art. 9
	is.Equal(c.Deadlines.ClosingReport, Duration(30*24*time.Hour))                // closing report
	is.Equal(c.Deadlines.MinAckWithin, Duration(time.Minute))                     // min ack
	is.Equal(c.Deadlines.MaxAckWithin, Duration(30*24*time.Hour))                 // max ack

	for _, code := range []string{"POLICE", "MILITARY", "BORDER_GUARD", "DIC", "PROPAGANDA", "SUBCOMMITTEE"} {
		k, ok := c.Kind(code)
		is.True(ok && k.Force && !k.CERT) // a force
	}
	for _, code := range []string{"PROVINCIAL_CERT", "SECTOR_CERT", "NATIONAL_CERT"} {
		k, ok := c.Kind(code)
		is.True(ok && k.CERT && !k.Force) // a CERT
	}
	for _, code := range []string{"NATIONAL_CYBER_CENTER", "AGENCY", "SOC"} {
		k, ok := c.Kind(code)
		is.True(ok && !k.CERT && !k.Force) // neither
	}

	slugs := map[string][2]string{ // slug -> kind, sector
		"police": {"POLICE"}, "military": {"MILITARY"}, "border-guard": {"BORDER_GUARD"}, "dic": {"DIC"},
		"propaganda": {"PROPAGANDA"}, "subcommittee": {"SUBCOMMITTEE"}, "provincial-cert": {"PROVINCIAL_CERT"},
		"vncert": {"NATIONAL_CERT"}, "ncsc": {"NATIONAL_CYBER_CENTER"},
		"dept-health": {"AGENCY", "HEALTH"}, "dept-finance": {"AGENCY", "FINANCE"}, "soc-dic": {"SOC"},
	}
	for _, s := range []string{"TRANSPORT", "ENERGY", "NATURAL_RESOURCES", "INFORMATION", "HEALTH", "FINANCE",
		"BANKING", "DEFENCE", "PUBLIC_SECURITY", "URBAN", "GOVERNMENT"} {
		_, ok := c.Sector(s)
		is.True(ok) // sector
		slugs["cert-"+strings.ReplaceAll(strings.ToLower(s), "_", "-")] = [2]string{"SECTOR_CERT", s}
	}
	is.Equal(len(c.Organisations), len(slugs)) // no organisation beyond the expected ones
	for slug, want := range slugs {
		o, ok := c.Org(slug)
		is.True(ok)                               // slug present
		is.Equal(o.Kind, want[0])                 // kind
		is.Equal(o.Sector, want[1])               // sector
		is.True(o.NameVi != "" && o.NameEn != "") // names
	}
	is.True(c.IsForce("police") && !c.IsForce("vncert"))         // IsForce
	is.True(c.IsCERT("cert-health") && !c.IsCERT("dept-health")) // IsCERT

	rsit := map[string][2]string{
		"DOS": {"Availability", "Denial of Service"}, "PHISHING": {"Fraud", "Phishing"},
		"MALWARE": {"Malicious Code", "Infected System"}, "INTRUSION": {"Intrusions", "System Compromise"},
		"DEFACEMENT": {"Intrusions", "Application Compromise"}, "RANSOMWARE": {"Malicious Code", "Infected System"},
		"DESTRUCTION": {"Information Content Security", "Unauthorised modification of information"},
		"ESPIONAGE":   {"Information Content Security", "Unauthorised access to information"},
		"COMBINED":    {"Other", "Other"}, "HARMFUL_CONTENT": {"Abusive Content", "Harmful Speech"}, "OTHER": {"Other", "Other"},
	}
	for code, want := range rsit {
		it, ok := c.IncidentType(code)
		is.True(ok)                                          // incident type
		is.Equal([2]string{it.RSITClass, it.RSITType}, want) // RSIT mapping
	}
	it, _ := c.IncidentType("HARMFUL_CONTENT")
	is.Equal(it.NameVi, "Thông tin xấu độc, tin giả") // Vietnamese name with diacritics
}

func TestDefaultConfigIsACopy(t *testing.T) {
	is := is.New(t)
	a, b := DefaultConfig(), DefaultConfig()
	a.Organisations[0].NameEn = "changed"
	a.Deadlines.AnswerHandoff = 1
	o, _ := a.Org(a.Organisations[0].Slug)
	is.Equal(o.NameEn, "changed")                                            // a copy's lookups point into the copy
	is.True(b.Organisations[0].NameEn != "changed")                          // copies share nothing
	is.Equal(DefaultConfig().Deadlines.AnswerHandoff, Duration(4*time.Hour)) // the default is untouched
	j := DefaultConfigJSON()
	j[0] = 'x'
	is.Equal(DefaultConfigJSON()[0], byte('{')) // the text is a copy too
	c := MustParseConfigText(t, DefaultConfigJSON())
	is.Equal(c.Version, "2025.2") // the text parses
}

func TestParseConfigErrors(t *testing.T) {
	type edit struct{ old, new string }
	for _, tc := range []struct {
		name  string
		edits []edit
		want  []string // substrings; "LINE" is replaced by the line of the first edit
		more  bool     // other problems follow from the edit
	}{
		{name: "syntax error", edits: []edit{{`"province": "Tỉnh mẫu (default province)",`, `"province": "Tỉnh mẫu (default province)"`}},
			want: []string{"config.json: line LINE+1, column 3: invalid character '\"' after object key:value pair"}},
		{name: "unknown field", edits: []edit{{`"slug": "military",`, `"slug": "military", "colour": "green",`}},
			want: []string{`config.json: line LINE, column 27: unknown field "colour" in organisations[1]; known fields are kind, nameEn, nameVi, sector, slug`}},
		{name: "field name in the wrong case", edits: []edit{{`"version": "2025.2"`, `"Version": "2025.2"`}},
			want: []string{`config.json: line LINE, column 3: unknown field "Version" at the top level; did you mean "version"?`}},
		{name: "unknown organisation kind", edits: []edit{{`"kind": "PROPAGANDA"`, `"kind": "POLISE"`}},
			want: []string{`config.json: line LINE: organisations[4].kind: unknown organisation kind "POLISE"`}},
		{name: "unknown sector", edits: []edit{{`"sector": "URBAN"`, `"sector": "CITY"`}},
			want: []string{`config.json: line LINE: organisations[18].sector: unknown sector "CITY"`}},
		{name: "duplicate slug", edits: []edit{{`"slug": "military"`, `"slug": "police"`}},
			want: []string{`config.json: line LINE: organisations[1].slug: duplicate slug "police" (already used by organisations[0])`,
				`escalationPolicy.rules[0].chain[1].org: unknown organisation "military"`}, more: true},
		{name: "bad slug", edits: []edit{{`"slug": "dept-finance"`, `"slug": "Dept_Finance"`}},
			want: []string{`line LINE: organisations[21].slug: slug "Dept_Finance" must be lower-case`}},
		{name: "duplicate sector code", edits: []edit{{`"code": "URBAN"`, `"code": "ENERGY"`}},
			want: []string{`line LINE: sectors[9].code: duplicate code "ENERGY" (already used by sectors[1])`,
				`organisations[18].sector: unknown sector "URBAN"`}, more: true},
		{name: "unknown RSIT class", edits: []edit{{`"rsitClass": "Fraud"`, `"rsitClass": "Scam"`}},
			want: []string{`line LINE: incidentTypes[1].rsitClass: unknown RSIT class "Scam"`}},
		{name: "bad duration", edits: []edit{{`"answerHandoff": "4h"`, `"answerHandoff": "4 hours"`}},
			want: []string{`config.json: line LINE, column 22: deadlines.answerHandoff: invalid duration "4 hours"`}},
		{name: "duration as a number", edits: []edit{{`"closingReport": "30d"`, `"closingReport": 30`}},
			want: []string{`line LINE, column 22: deadlines.closingReport: must be a duration string`}},
		{name: "null duration", edits: []edit{{`"answerHandoff": "4h"`, `"answerHandoff": null`}},
			want: []string{`config.json: line LINE: deadlines.answerHandoff: must be a positive duration`}},
		{name: "negative duration", edits: []edit{{`"escalateAfter": "30m"`, `"escalateAfter": "-30m"`}},
			want: []string{`config.json: line LINE: deadlines.escalateAfter: must be a positive duration`}},
		{name: "ack deadline above the maximum", edits: []edit{{`"acknowledgeEscalation": "15m"`, `"acknowledgeEscalation": "31d"`}},
			want: []string{`line LINE: deadlines.acknowledgeEscalation: (744h0m0s) must lie between minAckWithin (1m0s) and maxAckWithin (720h0m0s)`}},
		{name: "min above max", edits: []edit{{`"minAckWithin": "1m"`, `"minAckWithin": "60d"`}},
			want: []string{`line LINE: deadlines.minAckWithin: (1440h0m0s) must not be longer than maxAckWithin`}},
		{name: "wrong type", edits: []edit{{`"force": true,
      "cert": false
    },
    {
      "code": "MILITARY"`, `"force": "yes",
      "cert": false
    },
    {
      "code": "MILITARY"`}},
			want: []string{`line LINE, column 16: orgKinds[0].force: must be true or false`}},
		{name: "bad time", edits: []edit{{`"effectiveFrom": "2025-03-01T00:00:00+07:00"`, `"effectiveFrom": "01/03/2025"`}},
			want: []string{`line LINE, column 20: effectiveFrom: time "01/03/2025" must be written as in "2025-03-01T00:00:00+07:00"`}},
		{name: "missing version", edits: []edit{{`"version": "2025.2",`, ``}},
			want: []string{`config.json: line 1: version: is required`}},
		{name: "field given twice", edits: []edit{{`"province": "Tỉnh mẫu (default province)",`, `"province": "A", "province": "B",`}},
			want: []string{`line LINE, column 20: province: is given twice`}},
		{name: "unknown and repeated fields", edits: []edit{{`"version": "2025.2",`, `"version": "2025.2", "sectors": [], "x": 1,`}},
			want: []string{`line LINE, column 39: unknown field "x"`, `column 3: sectors: is given twice`}, more: true},
		{name: "several problems, in file order", edits: []edit{
			{`"kind": "PROPAGANDA"`, `"kind": "POLISE"`},
			{`"version": "2025.2",`, `"version": "2025.2", "extra": 1,`},
			{`"answerHandoff": "4h"`, `"answerHandoff": "0s"`},
		}, more: true, want: []string{
			"line 2, column 24: unknown field \"extra\" at the top level",
			`organisations[4].kind: unknown organisation kind "POLISE"`,
			"deadlines.answerHandoff: must be a positive duration",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			data, line := editDefault(t, tc.edits[0].old, tc.edits[0].new)
			for _, e := range tc.edits[1:] {
				data = bytes.Replace(data, []byte(e.old), []byte(e.new), 1)
			}
			c, err := ParseConfig("config.json", data)
			t.Log(err)
			is.Equal(c, nil)                   // no configuration from a broken file
			is.Equal(ErrorCode(err), EINVALID) // error code
			msg := ErrorMessage(err)
			at := -1
			for _, w := range tc.want {
				w = strings.Replace(w, "LINE+1", fmt.Sprint(line+1), 1)
				w = strings.Replace(w, "LINE", fmt.Sprint(line), 1)
				i := strings.Index(msg, w)
				is.True(i >= 0) // message names the line, field and problem
				is.True(i > at) // problems in file order
				at = i
			}
			if !tc.more {
				is.Equal(strings.Count(msg, "\n"), 0) // one problem, one line
			}
		})
	}
}

func TestParseConfigFileProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		want string
	}{
		{"empty", " \n", "config.json: the file is empty"},
		{"not an object", "[1, 2]", "config.json: line 1, column 1: the configuration: must be an object"},
		{"truncated", "{\n  \"version\": \"1\",\n  \"orgKinds\": [\n", "config.json: line 3, column 16: the file ends too early"},
		{"trailing data", "{}\n{}", "config.json: line 2, column 1: invalid character '{' after top-level value"},
		{"invalid UTF-8", "{\n  \"province\": \"T\xe1nh\"\n}", "config.json: line 2, column 17: the text is not valid UTF-8"},
		{"column counts characters", "{\"province\": \"Tỉnh mẫu\", \"x\": 1}", `line 1, column 26: unknown field "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			_, err := ParseConfig("config.json", []byte(tc.data))
			t.Log(err)
			is.Equal(ErrorCode(err), EINVALID)                    // error code
			is.True(strings.Contains(ErrorMessage(err), tc.want)) // message
		})
	}
}

func TestParseConfigByteOrderMark(t *testing.T) {
	is := is.New(t)
	c := MustParseConfigText(t, append([]byte("\uFEFF"), DefaultConfigJSON()...))
	is.Equal(c.Version, "2025.2") // a file saved with a BOM parses
}

func TestParseConfigReportsAtMostTwenty(t *testing.T) {
	is := is.New(t)
	var extra strings.Builder
	for i := range 25 {
		fmt.Fprintf(&extra, `"x%d": 1, `, i)
	}
	data, _ := editDefault(t, `"version": "2025.2",`, `"version": "2025.2", `+extra.String())
	_, err := ParseConfig("config.json", data)
	lines := strings.Split(ErrorMessage(err), "\n")
	is.Equal(len(lines), 21)                       // twenty problems and a summary
	is.Equal(lines[20], "... and 5 more problems") // summary
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no version", func(c *Config) { c.Version = "" }, "version: is required"},
		{"no effective date", func(c *Config) { c.EffectiveFrom = time.Time{} }, "effectiveFrom: is required"},
		{"no org kinds", func(c *Config) { c.OrgKinds = nil }, "orgKinds: is empty"},
		{"no sectors", func(c *Config) { c.Sectors = nil }, "sectors: is empty"},
		{"no incident types", func(c *Config) { c.IncidentTypes = nil }, "incidentTypes: is empty"},
		{"no organisations", func(c *Config) { c.Organisations = nil }, "organisations: is empty"},
		{"no force", func(c *Config) {
			for i := range c.OrgKinds {
				c.OrgKinds[i].Force = false
			}
		}, `orgKinds: mark at least one organisation kind with "force": true`},
		{"no CERT", func(c *Config) {
			for i := range c.OrgKinds {
				c.OrgKinds[i].CERT = false
			}
		}, `orgKinds: mark at least one organisation kind with "cert": true`},
		{"duplicate kind code", func(c *Config) { c.OrgKinds[1].Code = "POLICE" }, `orgKinds[1].code: duplicate code "POLICE"`},
		{"lower-case code", func(c *Config) { c.IncidentTypes[0].Code = "dos" }, `incidentTypes[0].code: code "dos" must be upper-case`},
		{"duplicate incident type", func(c *Config) { c.IncidentTypes[10].Code = "DOS" }, `incidentTypes[10].code: duplicate code "DOS"`},
		{"missing name", func(c *Config) { c.Sectors[0].NameVi = "" }, "sectors[0].nameVi: is required"},
		{"missing RSIT type", func(c *Config) { c.IncidentTypes[0].RSITType = "" }, "incidentTypes[0].rsitType: is required"},
		{"slug with double hyphen", func(c *Config) { c.Organisations[0].Slug = "cert--x" }, `organisations[0].slug: slug "cert--x"`},
		{"missing kind", func(c *Config) { c.Organisations[0].Kind = "" }, "organisations[0].kind: is required"},
		{"no deadlines", func(c *Config) { c.Deadlines = DeadlineSettings{} }, "deadlines: is required"},
		{"zero deadline", func(c *Config) { c.Deadlines.ClosingReport = 0 }, "deadlines.closingReport: must be a positive duration"},
		{"ack below minimum", func(c *Config) { c.Deadlines.AcknowledgeEscalation = Duration(time.Second) }, "deadlines.acknowledgeEscalation: (1s) must lie between"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			c := DefaultConfig()
			tc.change(c)
			err := c.Validate()
			t.Log(err)
			is.Equal(ErrorCode(err), EINVALID)                    // error code
			is.True(strings.Contains(ErrorMessage(err), tc.want)) // message names the field
		})
	}
}

func TestValidateBuildsLookups(t *testing.T) {
	is := is.New(t)
	c := DefaultConfig()
	c.Organisations = append(c.Organisations, Organisation{Slug: "dept-transport", Kind: "AGENCY", NameVi: "Sở Xây dựng", NameEn: "Department of Construction", Sector: "TRANSPORT"})
	is.NoErr(c.Validate()) // still valid
	o, ok := c.Org("dept-transport")
	is.True(ok)                     // new organisation found
	is.Equal(o.Sector, "TRANSPORT") // sector
}

func TestSelectConfig(t *testing.T) {
	ict := time.FixedZone("ICT", 7*3600)
	version := func(v string, from time.Time) *Config {
		c := DefaultConfig()
		c.Version, c.EffectiveFrom = v, from
		return c
	}
	v1 := version("2025.1", time.Date(2025, 3, 1, 0, 0, 0, 0, ict))
	v2 := version("2026.1", time.Date(2026, 7, 1, 0, 0, 0, 0, ict))
	v3 := version("2027.1", time.Date(2027, 1, 1, 0, 0, 0, 0, ict))
	all := []*Config{v3, v1, v2} // order must not matter

	t.Run("picks the latest in effect", func(t *testing.T) {
		is := is.New(t)
		for _, tc := range []struct {
			now  time.Time
			want *Config
		}{
			{time.Date(2025, 3, 1, 0, 0, 0, 0, ict), v1},          // the first instant
			{time.Date(2026, 6, 30, 16, 59, 59, 0, time.UTC), v1}, // a second before 2026.1, in UTC
			{time.Date(2026, 6, 30, 17, 0, 0, 0, time.UTC), v2},   // 2026.1 takes effect
			{time.Date(2030, 1, 1, 0, 0, 0, 0, ict), v3},
		} {
			c, err := SelectConfig(all, tc.now)
			is.NoErr(err)                        // select
			is.Equal(c.Version, tc.want.Version) // version in effect
		}
	})
	t.Run("none in effect yet", func(t *testing.T) {
		is := is.New(t)
		_, err := SelectConfig([]*Config{v3, v2}, time.Date(2025, 1, 1, 0, 0, 0, 0, ict))
		is.Equal(ErrorCode(err), EINVALID)                                        // error code
		is.True(strings.Contains(ErrorMessage(err), `version "2026.1"`))          // names the earliest
		is.True(strings.Contains(ErrorMessage(err), "2026-07-01T00:00:00+07:00")) // and when it starts
	})
	t.Run("duplicate versions", func(t *testing.T) {
		is := is.New(t)
		_, err := SelectConfig([]*Config{v1, version("2025.1", v2.EffectiveFrom)}, v3.EffectiveFrom)
		is.Equal(ErrorCode(err), EINVALID)                                     // error code
		is.True(strings.Contains(ErrorMessage(err), `share version "2025.1"`)) // names the version
	})
	t.Run("same effective time", func(t *testing.T) {
		is := is.New(t)
		_, err := SelectConfig([]*Config{v1, version("2025.2", v1.EffectiveFrom.UTC())}, v3.EffectiveFrom)
		is.Equal(ErrorCode(err), EINVALID) // ambiguous
	})
	t.Run("no versions", func(t *testing.T) {
		is := is.New(t)
		_, err := SelectConfig(nil, v1.EffectiveFrom)
		is.Equal(ErrorCode(err), EINVALID) // nothing to select
	})
}

func TestDurationJSON(t *testing.T) {
	is := is.New(t)
	var d Duration
	is.NoErr(d.UnmarshalJSON([]byte(`"1\u0035m"`)))  // escaped text
	is.Equal(d, Duration(15*time.Minute))            // decoded as 15m
	is.NoErr(d.UnmarshalJSON([]byte(`null`)))        // null
	is.Equal(d, Duration(15*time.Minute))            // null leaves the value alone
	is.NoErr(d.UnmarshalJSON([]byte(`"5d"`)))        // days
	is.Equal(d, Duration(5*24*time.Hour))            // five days
	is.True(d.UnmarshalJSON([]byte(`15`)) != nil)    // a number is refused
	is.True(d.UnmarshalJSON([]byte(`"5 d"`)) != nil) // malformed text is refused
	b, err := d.MarshalJSON()
	is.NoErr(err)                     // marshal
	is.Equal(string(b), `"120h0m0s"`) // Go duration text
}
