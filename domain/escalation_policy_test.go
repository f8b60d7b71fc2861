package domain

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestDefaultEscalationPolicy(t *testing.T) {
	is := is.New(t)
	c := DefaultConfig()
	p := c.EscalationPolicy
	is.Equal(p.RemindBefore, Duration(5*time.Minute)) // remind 5 minutes before
	is.Equal(len(p.Rules), 3)                         // state-secret, serious, default
	secret, ser, def := p.Rules[0], p.Rules[1], p.Rules[2]
	is.Equal(secret.ID, "state-secret")
	is.Equal(secret.Match.InfoClasses, []InfoClass{InfoSecretConfident, InfoSecretSecret, InfoSecretTop}) // the three grades
	is.True(secret.AutoEscalate)                                                                          // immediately
	is.Equal(secret.Chain, []ChainStep{{"police", min15}, {"military", min15}, {"subcommittee", min30}})  // forces only
	is.Equal(len(secret.HandoffChain), 0)                                                                 // no handoff chain
	is.Equal(secret.NotifyWithin, Duration(0))                                                            // never leaves the forces
	for _, s := range secret.Chain {
		is.True(c.IsForce(s.Org)) // a state-secret chain holds forces only
	}
	is.Equal(ser.ID, "serious")
	is.Equal(ser.Match.Tiers, []Tier{TierSerious})
	is.True(ser.AutoEscalate)
	is.Equal(ser.Chain, []ChainStep{{"police", min15}, {"subcommittee", min30}, {"vncert", min30}})
	is.Equal(ser.HandoffChain, []string{"$sector-cert", "vncert"})
	is.Equal(ser.NotifyWithin, Duration(5*24*time.Hour)) // TT20 Art. 9
	is.Equal(def.ID, "default")
	is.True(def.Match.CatchAll()) // catch-all
	is.True(!def.AutoEscalate)
	is.Equal(def.Chain, []ChainStep{{"subcommittee", min30}, {"vncert", hour1}})
	is.Equal(def.HandoffChain, []string{"$sector-cert", "vncert"})
	is.Equal(def.NotifyWithin, Duration(5*24*time.Hour))

	r := c.PeriodicReports
	is.Equal(r.OrgKinds, []string{"DIC", "AGENCY", "PROVINCIAL_CERT"})
	is.Equal(r.Periods, []ReportPeriod{{"H1", "06-20", "12-15", "06-14"}, {"YEAR", "12-15", "12-15", "12-14"}}) // Mẫu 05: before 20/6 and 15/12, data from 15/12 of the year before
}

func TestPolicyFor(t *testing.T) {
	cfg := DefaultConfig()
	for _, tc := range []struct {
		name  string
		event IncidentOpened
		want  string
	}{
		{"ordinary", opened(), "default"},
		{"serious", opened(serious), "serious"},
		{"state secret first, even when serious", opened(serious, stateSecret), "state-secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(cfg.PolicyFor(MustReplay(t, tc.event)).ID, tc.want) // first match wins
		})
	}
	t.Run("no policy", func(t *testing.T) {
		is := is.New(t)
		is.Equal(testConfig(t).PolicyFor(MustReplay(t, opened())), (*PolicyRule)(nil)) // nil without rules
	})
	t.Run("every field narrows", func(t *testing.T) {
		is := is.New(t)
		i := MustReplay(t, opened(ownedBy("dept-health"))) // MALWARE, HIGH, ORDINARY, HEALTH, level 3, PERSONAL
		for _, tc := range []struct {
			m    RuleMatch
			want bool
		}{
			{RuleMatch{}, true},
			{RuleMatch{Tiers: []Tier{TierOrdinary}, Severities: []Severity{SeverityHigh, SeverityCritical}, Types: []string{"MALWARE"},
				Sectors: []string{"HEALTH"}, MinSecurityLevel: 3, InfoClasses: []InfoClass{InfoPersonal}}, true},
			{RuleMatch{Severities: []Severity{SeverityCritical}}, false},
			{RuleMatch{Types: []string{"DOS"}}, false},
			{RuleMatch{Sectors: []string{"BANKING"}}, false},
			{RuleMatch{MinSecurityLevel: 4}, false},
			{RuleMatch{InfoClasses: []InfoClass{InfoPublic}}, false},
		} {
			is.Equal(tc.m.Matches(i), tc.want) // match
		}
		is.True(!RuleMatch{MinSecurityLevel: 1}.Matches(MustReplay(t, opened()))) // no affected system: level 0
	})
}

func TestDefaultConfigPolicyIsACopy(t *testing.T) {
	is := is.New(t)
	a := DefaultConfig()
	a.EscalationPolicy.Rules[0].Chain[0].Org = "changed"
	a.EscalationPolicy.Rules[1].HandoffChain[0] = "changed"
	a.EscalationPolicy.Rules[0].Match.InfoClasses[0] = "changed"
	a.PeriodicReports.Periods[0].Due = "01-01"
	b := DefaultConfig()
	is.Equal(b.EscalationPolicy.Rules[0].Chain[0].Org, "police")                    // chains are copied
	is.Equal(b.EscalationPolicy.Rules[1].HandoffChain[0], SectorCERTPlaceholder)    // handoff chains are copied
	is.Equal(b.EscalationPolicy.Rules[0].Match.InfoClasses[0], InfoSecretConfident) // matches are copied
	is.Equal(b.PeriodicReports.Periods[0].Due, "06-20")                             // periods are copied
}

func TestValidateEscalationPolicy(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"cycle", func(c *Config) { c.EscalationPolicy.Rules[0].Chain[2].Org = "police" },
			"escalationPolicy.rules[0].chain[2].org: chain of rule state-secret visits police twice (steps 1 and 3)"},
		{"unknown organisation in a chain", func(c *Config) { c.EscalationPolicy.Rules[1].Chain[1].Org = "subcomittee" },
			`escalationPolicy.rules[1].chain[1].org: unknown organisation "subcomittee"`},
		{"unknown organisation in a handoff chain", func(c *Config) { c.EscalationPolicy.Rules[2].HandoffChain[1] = "vn-cert" },
			`escalationPolicy.rules[2].handoffChain[1]: unknown organisation "vn-cert"`},
		{"handoff to an agency", func(c *Config) { c.EscalationPolicy.Rules[2].HandoffChain[1] = "dept-health" },
			"escalationPolicy.rules[2].handoffChain[1]: dept-health is neither a CERT nor a force"},
		{"handoff cycle", func(c *Config) {
			c.EscalationPolicy.Rules[2].HandoffChain = []string{"vncert", "$sector-cert", "vncert"}
		},
			"escalationPolicy.rules[2].handoffChain[2]: handoff chain of rule default visits vncert twice"},
		{"catch-all missing", func(c *Config) { c.EscalationPolicy.Rules[2].Match.Tiers = []Tier{TierOrdinary} },
			"escalationPolicy.rules[2].match: the last rule must match every incident"},
		{"ack window too short", func(c *Config) { c.EscalationPolicy.Rules[1].Chain[0].AckWithin = Duration(10 * time.Second) },
			"escalationPolicy.rules[1].chain[0].ackWithin: (10s) must lie between deadlines.minAckWithin (1m0s) and deadlines.maxAckWithin (720h0m0s)"},
		{"ack window too long", func(c *Config) { c.EscalationPolicy.Rules[1].Chain[0].AckWithin = Duration(31 * 24 * time.Hour) },
			"escalationPolicy.rules[1].chain[0].ackWithin: (744h0m0s) must lie between"},
		{"ack window missing", func(c *Config) { c.EscalationPolicy.Rules[1].Chain[0].AckWithin = 0 },
			"escalationPolicy.rules[1].chain[0].ackWithin: must be a positive duration"},
		{"duplicate rule ids", func(c *Config) { c.EscalationPolicy.Rules[1].ID = "state-secret" },
			`escalationPolicy.rules[1].id: duplicate rule id "state-secret" (already used by escalationPolicy.rules[0])`},
		{"rule id missing", func(c *Config) { c.EscalationPolicy.Rules[1].ID = "" }, "escalationPolicy.rules[1].id: is required"},
		{"auto escalation with an empty chain", func(c *Config) { c.EscalationPolicy.Rules[1].Chain = nil },
			"escalationPolicy.rules[1].chain: is empty, but rule serious escalates automatically"},
		{"unknown tier", func(c *Config) { c.EscalationPolicy.Rules[1].Match.Tiers = []Tier{"GRAVE"} },
			`escalationPolicy.rules[1].match.tiers[0]: unknown tier "GRAVE"`},
		{"unknown sector", func(c *Config) { c.EscalationPolicy.Rules[1].Match.Sectors = []string{"CITY"} },
			`escalationPolicy.rules[1].match.sectors[0]: unknown sector "CITY"`},
		{"unknown type", func(c *Config) { c.EscalationPolicy.Rules[1].Match.Types = []string{"WORM"} },
			`escalationPolicy.rules[1].match.types[0]: unknown incident type "WORM"`},
		{"security level", func(c *Config) { c.EscalationPolicy.Rules[1].Match.MinSecurityLevel = 6 },
			"escalationPolicy.rules[1].match.minSecurityLevel: must be 1 to 5"},
		{"negative reminder", func(c *Config) { c.EscalationPolicy.RemindBefore = Duration(-time.Minute) },
			"escalationPolicy.remindBefore: must not be negative"},
		{"negative notification", func(c *Config) { c.EscalationPolicy.Rules[2].NotifyWithin = Duration(-time.Hour) },
			"escalationPolicy.rules[2].notifyWithin: must not be negative"},
		{"bad due: month", func(c *Config) { c.PeriodicReports.Periods[0].Due = "13-01" },
			`periodicReports.periods[0].due: due date "13-01" is not a day of the year`},
		{"bad due: day", func(c *Config) { c.PeriodicReports.Periods[1].Due = "06-31" },
			`periodicReports.periods[1].due: due date "06-31" is not a day of every year`},
		{"bad due: leap day", func(c *Config) { c.PeriodicReports.Periods[1].Due = "02-29" },
			`periodicReports.periods[1].due: due date "02-29" is not a day of every year`},
		{"bad due: format", func(c *Config) { c.PeriodicReports.Periods[0].Due = "20/6" },
			`periodicReports.periods[0].due: due date "20/6" must be written "MM-DD"`},
		{"duplicate period", func(c *Config) { c.PeriodicReports.Periods[1].ID = "H1" },
			`periodicReports.periods[1].id: duplicate period id "H1"`},
		{"unknown kind owing reports", func(c *Config) { c.PeriodicReports.OrgKinds[0] = "MINISTRY" },
			`periodicReports.orgKinds[0]: unknown organisation kind "MINISTRY"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			c := DefaultConfig()
			tc.change(c)
			err := c.Validate()
			t.Log(err)
			is.Equal(ErrorCode(err), EINVALID)                    // error code
			is.True(strings.Contains(ErrorMessage(err), tc.want)) // message names the field and the problem
		})
	}
	t.Run("no policy is valid", func(t *testing.T) {
		is := is.New(t)
		c := DefaultConfig()
		c.EscalationPolicy, c.PeriodicReports = EscalationPolicy{}, PeriodicReports{}
		is.NoErr(c.Validate()) // a configuration written before the policy existed still loads
	})
}

func TestParseConfigPolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string
		want     string // "LINE" is replaced by the line of the edit
	}{
		{"unknown organisation, with its line", `{"org": "military", "ackWithin": "15m"}`, `{"org": "militia", "ackWithin": "15m"}`,
			`config.json: line LINE: escalationPolicy.rules[0].chain[1].org: unknown organisation "militia"`},
		{"cycle, with its line", `{"org": "subcommittee", "ackWithin": "30m"},
          {"org": "vncert", "ackWithin": "1h"}`, `{"org": "subcommittee", "ackWithin": "30m"},
          {"org": "subcommittee", "ackWithin": "1h"}`,
			`config.json: line LINE+1: escalationPolicy.rules[2].chain[1].org: chain of rule default visits subcommittee twice`},
		{"bad ack window", `{"org": "vncert", "ackWithin": "1h"}`, `{"org": "vncert", "ackWithin": "45d"}`,
			`config.json: line LINE: escalationPolicy.rules[2].chain[1].ackWithin: (1080h0m0s) must lie between`},
		{"bad duration text", `{"org": "vncert", "ackWithin": "1h"}`, `{"org": "vncert", "ackWithin": "an hour"}`,
			`config.json: line LINE, column 42: escalationPolicy.rules[2].chain[1].ackWithin: invalid duration "an hour"`},
		{"bad due, with its line", `{"id": "YEAR", "due": "12-15",`, `{"id": "YEAR", "due": "15/12",`,
			`config.json: line LINE: periodicReports.periods[1].due: due date "15/12" must be written "MM-DD"`},
		{"period window half given", `{"id": "YEAR", "due": "12-15", "from": "12-15",`, `{"id": "YEAR", "due": "12-15",`,
			`config.json: line LINE: periodicReports.periods[1]: give both from and to`},
		{"bad period window", `"from": "12-15", "to": "12-14"`, `"from": "12-15", "to": "14/12"`,
			`config.json: line LINE: periodicReports.periods[1].to: due date "14/12" must be written "MM-DD"`},
		{"catch-all missing, with its line", `"match": {},`, `"match": {"tiers": ["ORDINARY"]},`,
			`config.json: line LINE: escalationPolicy.rules[2].match: the last rule must match every incident`},
		{"misspelt field", `"autoEscalate": false,`, `"autoescalate": false,`,
			`config.json: line LINE, column 9: unknown field "autoescalate" in escalationPolicy.rules[2]; did you mean "autoEscalate"?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			data, line := editDefault(t, tc.old, tc.new)
			_, err := ParseConfig("config.json", data)
			t.Log(err)
			is.Equal(ErrorCode(err), EINVALID) // error code
			want := strings.Replace(tc.want, "LINE+1", fmt.Sprint(line+1), 1)
			want = strings.Replace(want, "LINE", fmt.Sprint(line), 1)
			is.True(strings.Contains(ErrorMessage(err), want)) // message names the line, the field and the problem
		})
	}
}
