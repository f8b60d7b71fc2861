package domain

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is one version of the regulatory and organisational data the service runs on: the
// organisation directory, sectors, incident types, deadlines, the escalation policy and the
// periodic reports. It has a version, an effective
// date and a legal basis, because these rules change by decree, not by release.
type Config struct {
	Version       string           `json:"version"`
	EffectiveFrom time.Time        `json:"effectiveFrom"`
	LegalBasis    string           `json:"legalBasis"`
	Province      string           `json:"province"`
	OrgKinds      []OrgKind        `json:"orgKinds"`
	Sectors       []Sector         `json:"sectors"`
	IncidentTypes []IncidentType   `json:"incidentTypes"`
	Organisations []Organisation   `json:"organisations"`
	Deadlines     DeadlineSettings `json:"deadlines"`
	// EscalationPolicy chains escalations and handoffs when nobody answers; empty: no policy
	// (no automatic escalation, no chains, no notification deadline).
	EscalationPolicy EscalationPolicy `json:"escalationPolicy"`
	// PeriodicReports lists the periodic summary reports (Mẫu 05) and who owes them.
	PeriodicReports PeriodicReports `json:"periodicReports"`
	// AlertSources declares the monitoring sources that may send alerts (alert ingest).
	AlertSources []AlertSource `json:"alertSources,omitempty"`
	// Review says who opens reviews and who must sign them.
	Review ReviewSettings `json:"review,omitzero"`

	orgs  map[string]*Organisation
	kinds map[string]*OrgKind
	secs  map[string]*Sector
	types map[string]*IncidentType
}

// OrgKind is a kind of organisation (POLICE, DIC, SECTOR_CERT, ...). Force marks the kinds that may
// hold state-secret incidents (the four forces, the border guard and their subcommittee); CERT
// marks the kinds that receive handoffs.
type OrgKind struct {
	Code   string `json:"code"`
	NameVi string `json:"nameVi"`
	NameEn string `json:"nameEn"`
	Force  bool   `json:"force"`
	CERT   bool   `json:"cert"`
	// Foreign marks organisations abroad: their help counts as foreign in Mẫu 05.
	Foreign bool `json:"foreign,omitempty"`
}

// Sector is one of the priority sectors (Quyết định 632/QĐ-TTg).
type Sector struct {
	Code   string `json:"code"`
	NameVi string `json:"nameVi"`
	NameEn string `json:"nameEn"`
}

// IncidentType is a VNCERT incident type with its ENISA RSIT mapping.
type IncidentType struct {
	Code      string `json:"code"`
	NameVi    string `json:"nameVi"`
	NameEn    string `json:"nameEn"`
	RSITClass string `json:"rsitClass"`
	RSITType  string `json:"rsitType"`
}

// Organisation is an entry of the directory, addressed by a stable slug.
type Organisation struct {
	Slug   string `json:"slug"`
	Kind   string `json:"kind"`
	NameVi string `json:"nameVi"`
	NameEn string `json:"nameEn"`
	Sector string `json:"sector,omitempty"`
}

// Duration is a time.Duration written in configuration as "15m", "120h".
type Duration time.Duration

// DeadlineSettings gives "immediately" and the other regulatory deadlines a number.
type DeadlineSettings struct {
	AcknowledgeEscalation Duration `json:"acknowledgeEscalation"` // TT20 Art. 10.1.b "immediately"
	EscalateAfter         Duration `json:"escalateAfter"`         // QĐ05 / TT20 Art. 10.1.c "immediately"
	AnswerHandoff         Duration `json:"answerHandoff"`
	NotifyOwnerAndVNCERT  Duration `json:"notifyOwnerAndVncert"` // TT20 Art. 9: 5 days
	ClosingReport         Duration `json:"closingReport"`
	MaxAckWithin          Duration `json:"maxAckWithin"`
	MinAckWithin          Duration `json:"minAckWithin"`
}

// Org returns the organisation with the given slug.
func (c *Config) Org(slug string) (*Organisation, bool) { o, ok := c.orgs[slug]; return o, ok }

// Kind returns the organisation kind with the given code.
func (c *Config) Kind(code string) (*OrgKind, bool) { k, ok := c.kinds[code]; return k, ok }

// Sector returns the sector with the given code.
func (c *Config) Sector(code string) (*Sector, bool) { s, ok := c.secs[code]; return s, ok }

// IncidentType returns the incident type with the given code.
func (c *Config) IncidentType(code string) (*IncidentType, bool) {
	t, ok := c.types[code]
	return t, ok
}

// IsForce reports whether the organisation is one of the forces allowed to hold state secrets.
func (c *Config) IsForce(slug string) bool {
	if o, ok := c.orgs[slug]; ok {
		if k, ok := c.kinds[o.Kind]; ok {
			return k.Force
		}
	}
	return false
}

// IsCERT reports whether the organisation is a CERT that receives handoffs.
func (c *Config) IsCERT(slug string) bool {
	if o, ok := c.orgs[slug]; ok {
		if k, ok := c.kinds[o.Kind]; ok {
			return k.CERT
		}
	}
	return false
}

// index builds the lookup maps; Validate calls it.
func (c *Config) index() {
	c.orgs = make(map[string]*Organisation, len(c.Organisations))
	for i := range c.Organisations {
		c.orgs[c.Organisations[i].Slug] = &c.Organisations[i]
	}
	c.kinds = make(map[string]*OrgKind, len(c.OrgKinds))
	for i := range c.OrgKinds {
		c.kinds[c.OrgKinds[i].Code] = &c.OrgKinds[i]
	}
	c.secs = make(map[string]*Sector, len(c.Sectors))
	for i := range c.Sectors {
		c.secs[c.Sectors[i].Code] = &c.Sectors[i]
	}
	c.types = make(map[string]*IncidentType, len(c.IncidentTypes))
	for i := range c.IncidentTypes {
		c.types[c.IncidentTypes[i].Code] = &c.IncidentTypes[i]
	}
}

// MarshalJSON writes the duration as Go duration text ("15m0s").
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// UnmarshalJSON reads "15m", "120h" or whole days such as "5d". null leaves d unchanged, as
// encoding/json expects of an Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if len(b) < 2 || b[0] != '"' || json.Unmarshal(b, &s) != nil {
		return fmt.Errorf("duration must be a string such as \"15m\" or \"5d\"")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration parses Go duration text and also whole days written "5d".
func ParseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (examples: \"15m\", \"4h\", \"5d\")", s)
	}
	return v, nil
}
