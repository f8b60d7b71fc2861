package domain

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

// incNow is the clock of every command in these tests; given events happen an hour earlier.
var (
	incNow     = time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	incEarlier = incNow.Add(-time.Hour)
)

// by names the people of the test directory.
var by = struct {
	PoliceCoord, PoliceCoord2, PoliceResp, PoliceReviewer, PoliceAdmin    Actor
	MilitaryCoord, DICCoord, DICResp, PropagandaCoord, PropagandaReviewer Actor
	SubCoord, SubReviewer, CertCoord, CertResp, CertPartner               Actor
	VNCERTPartner, HealthCERTPartner, AgencyCoord, Ingest, Stranger       Actor
}{
	PoliceCoord:        Actor{User: "an", Org: "police", Role: RoleCoordinator},
	PoliceCoord2:       Actor{User: "chi", Org: "police", Role: RoleCoordinator},
	PoliceResp:         Actor{User: "binh", Org: "police", Role: RoleResponder},
	PoliceReviewer:     Actor{User: "hoa", Org: "police", Role: RoleReviewer},
	PoliceAdmin:        Actor{User: "root", Org: "police", Role: RoleAdmin},
	MilitaryCoord:      Actor{User: "dung", Org: "military", Role: RoleCoordinator},
	DICCoord:           Actor{User: "giang", Org: "dic", Role: RoleCoordinator},
	DICResp:            Actor{User: "ha", Org: "dic", Role: RoleResponder},
	PropagandaCoord:    Actor{User: "khoa", Org: "propaganda", Role: RoleCoordinator},
	PropagandaReviewer: Actor{User: "linh", Org: "propaganda", Role: RoleReviewer},
	SubCoord:           Actor{User: "mai", Org: "subcommittee", Role: RoleCoordinator},
	SubReviewer:        Actor{User: "hai", Org: "subcommittee", Role: RoleReviewer},
	CertCoord:          Actor{User: "khanh", Org: "provincial-cert", Role: RoleCoordinator},
	CertResp:           Actor{User: "long", Org: "provincial-cert", Role: RoleResponder},
	CertPartner:        Actor{User: "lan", Org: "provincial-cert", Role: RolePartner},
	VNCERTPartner:      Actor{User: "minh", Org: "vncert", Role: RolePartner},
	HealthCERTPartner:  Actor{User: "nam", Org: "cert-health", Role: RolePartner},
	AgencyCoord:        Actor{User: "oanh", Org: "dept-health", Role: RoleCoordinator},
	Ingest:             Actor{User: "feed", Org: "soc-dic", Role: RoleIngest},
	Stranger:           Actor{User: "x", Org: "nowhere", Role: RoleCoordinator},
}

// opened is the IncidentOpened every case starts from: police opened it at TLP:AMBER.
func opened(mods ...func(*IncidentOpened)) IncidentOpened {
	e := IncidentOpened{
		ID:         "inc-1",
		Title:      "Mã độc trên máy chủ Sở Y tế",
		Type:       "MALWARE",
		RSITClass:  "Malicious Code",
		RSITType:   "Infected System",
		Severity:   SeverityHigh,
		Tier:       TierOrdinary,
		Sector:     "HEALTH",
		TLP:        TLPAmber,
		PAP:        PAPAmber,
		Source:     SourceReport,
		DetectedAt: incNow.Add(-2 * time.Hour),
		Stamp:      Stamp{By: by.PoliceCoord, At: incEarlier},
	}
	for _, m := range mods {
		m(&e)
	}
	return e
}

func atTLP(t TLP) func(*IncidentOpened) { return func(e *IncidentOpened) { e.TLP = t } }

func stateSecret(e *IncidentOpened) {
	e.AffectedSystem = &AffectedSystem{Name: "Mạng nội bộ mật", SecurityLevel: 5, InfoClass: InfoSecretSecret}
}

func openedBy(a Actor) func(*IncidentOpened) { return func(e *IncidentOpened) { e.By = a } }

func shared(orgs ...string) IncidentShared {
	return IncidentShared{Orgs: orgs, Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}
}

func escalated(id, to string) IncidentEscalated {
	return IncidentEscalated{
		EscalationID: id,
		From:         "police",
		To:           to,
		Reason:       "beyond our capability",
		Deadline:     incNow.Add(10 * time.Minute),
		Stamp:        Stamp{By: by.PoliceCoord, At: incEarlier},
	}
}

func acknowledged(id string, a Actor) EscalationAcknowledged {
	return EscalationAcknowledged{EscalationID: id, Stamp: Stamp{By: a, At: incEarlier}}
}

func offered(id, to string) HandoffOffered {
	return HandoffOffered{
		HandoffID: id,
		From:      "police",
		To:        to,
		Summary:   "malware on the hospital system",
		Deadline:  incNow.Add(3 * time.Hour),
		Stamp:     Stamp{By: by.PoliceCoord, At: incEarlier},
	}
}

// releasing is an offer made with ReleaseOnAccept.
func releasing(id, to string) HandoffOffered {
	e := offered(id, to)
	e.TLP, e.ReleaseOnAccept = TLPAmber, true
	return e
}

func accepted(id string, a Actor) HandoffAccepted {
	return HandoffAccepted{HandoffID: id, Stamp: Stamp{By: a, At: incEarlier}}
}

func closed() IncidentClosed {
	return IncidentClosed{Resolution: ResolutionResolved, Summary: "cleaned up", Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}
}

// incidentCase is one "given events, when command, then events or error code" case.
type incidentCase struct {
	name  string
	given []Event
	by    Actor
	when  any // a command struct
	then  []Event
	code  string // expected error code; "" when the command succeeds
	msg   string // part of the expected error message
	check func(is *is.I, i *Incident)
	cfg   *Config   // nil: testConfig
	now   time.Time // zero: incNow
}

// MustReplay returns an incident with the given events applied.
func MustReplay(tb testing.TB, events ...Event) *Incident {
	tb.Helper()
	i := NewIncident("inc-1")
	for _, e := range events {
		i.Replay(e)
	}
	return i
}

// execute runs cmd through the command registry, as the application does; a PendingDeadline
// runs the command that handles it, as the scheduler does.
func execute(tb testing.TB, i *Incident, in Invocation, cmd any) error {
	tb.Helper()
	switch c := cmd.(type) {
	case PendingDeadline:
		return i.Fire(in, c)
	case Command:
		return Execute(i, in, c)
	}
	tb.Fatalf("not a command: %T", cmd)
	return nil
}

func runIncidentCases(t *testing.T, cases []incidentCase) {
	t.Helper()
	defaultCfg := testConfig(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			cfg, now := tc.cfg, tc.now
			if cfg == nil {
				cfg = defaultCfg
			}
			if now.IsZero() {
				now = incNow
			}
			i := MustReplay(t, tc.given...)
			err := execute(t, i, Invocation{Actor: tc.by, Now: now, Config: cfg}, tc.when)
			if tc.code != "" {
				is.True(err != nil)               // command must fail
				is.Equal(ErrorCode(err), tc.code) // error code
				is.Equal(len(i.Changes()), 0)     // a failed command records nothing
				is.True(ErrorMessage(err) != "")  // a sentence for the user
				if tc.msg != "" && !strings.Contains(ErrorMessage(err), tc.msg) {
					t.Errorf("message %q does not contain %q", ErrorMessage(err), tc.msg)
				}
				return
			}
			is.NoErr(err)                  // command succeeds
			is.Equal(i.Changes(), tc.then) // recorded events
			for _, e := range i.Changes() {
				typ, v, payload, err := EncodeEvent(e)
				is.NoErr(err) // encode event
				back, err := DecodeEvent(typ, v, payload)
				is.NoErr(err)     // decode event
				is.Equal(back, e) // event survives the log
			}
			if tc.check != nil {
				tc.check(is, i)
			}
		})
	}
}

func TestIncidentOpen(t *testing.T) {
	cmd := OpenIncident{Title: "  Mã độc trên máy chủ Sở Y tế ", Type: "MALWARE", Sector: "HEALTH",
		Severity: SeverityHigh, TLP: TLPAmber, DetectedAt: incNow.Add(-2 * time.Hour)}
	with := func(m func(*OpenIncident)) OpenIncident { c := cmd; m(&c); return c }
	openedNow := func(mods ...func(*IncidentOpened)) []Event {
		return []Event{opened(append(mods, func(e *IncidentOpened) { e.At = incNow })...)}
	}
	full := OpenIncident{Title: "Ransomware", Description: "Máy chủ HIS bị mã hóa", Type: "RANSOMWARE",
		Severity: SeverityCritical, Tier: TierSerious, TLP: TLPGreen, PAP: PAPRed,
		DetectedAt: incNow.Add(-time.Hour), Drill: true, Source: SourceAlerts, AlertIDs: []string{"a1", "a2", "a1"},
		AffectedSystem: &AffectedSystem{Name: " HIS ", OwnerOrg: "dept-health", SecurityLevel: 3, InfoClass: InfoPersonal,
			ProtectionLayers: []string{"in-house", "", "in-house", "monitoring"}}}
	sys := func(m func(*AffectedSystem)) OpenIncident {
		c := full
		s := *full.AffectedSystem
		m(&s)
		c.AffectedSystem = &s
		return c
	}
	runIncidentCases(t, []incidentCase{
		{name: "coordinator opens with defaults", by: by.PoliceCoord, when: cmd, then: openedNow(),
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Status, IncidentStatusOpen)                                                // open
				is.Equal(i.Phase, PhaseDetected)                                                      // first phase
				is.Equal([]string{i.Origin, i.Lead, i.Owner}, []string{"police", "police", "police"}) // opener holds it
				is.Equal(i.Recipients, []string{"police/an"})                                         // opener is a recipient
				is.Equal(i.RSITClass, "Malicious Code")                                               // RSIT from config
				is.Equal(i.OpenedAt, incNow)                                                          // opened now
			}},
		{name: "responder opens from alerts with every field", by: by.PoliceResp, when: full,
			then: []Event{IncidentOpened{
				ID:          "inc-1",
				Title:       "Ransomware",
				Description: "Máy chủ HIS bị mã hóa",
				Type:        "RANSOMWARE",
				RSITClass:   "Malicious Code",
				RSITType:    "Infected System",
				Severity:    SeverityCritical,
				Tier:        TierSerious,
				TLP:         TLPGreen,
				PAP:         PAPRed,
				Drill:       true,
				Source:      SourceAlerts,
				AlertIDs:    []string{"a1", "a2"},
				AffectedSystem: &AffectedSystem{Name: "HIS", OwnerOrg: "dept-health", SecurityLevel: 3, InfoClass: InfoPersonal,
					ProtectionLayers: []string{"in-house", "monitoring"}},
				DetectedAt: incNow.Add(-time.Hour),
				Stamp:      Stamp{By: by.PoliceResp, At: incNow},
			}},
			check: func(is *is.I, i *Incident) {
				is.True(i.Drill)                                // drill flag kept
				is.Equal(i.Recipients, []string{"police/binh"}) // opener is a recipient
			}},
		{name: "title of 300 Vietnamese characters", by: by.PoliceCoord,
			when: with(func(c *OpenIncident) { c.Title = strings.Repeat("ư", 300) }),
			then: openedNow(func(e *IncidentOpened) { e.Title = strings.Repeat("ư", 300) })},
		{name: "detected a little ahead of the server clock", by: by.PoliceCoord,
			when: with(func(c *OpenIncident) { c.DetectedAt = incNow.Add(4 * time.Minute) }),
			then: openedNow(func(e *IncidentOpened) { e.DetectedAt = incNow.Add(4 * time.Minute) })},
		{name: "reviewer may not open", by: by.PoliceReviewer, when: cmd, code: EFORBIDDEN},
		{name: "partner may not open", by: by.CertPartner, when: cmd, code: EFORBIDDEN},
		{name: "admin may not open", by: by.PoliceAdmin, when: cmd, code: EFORBIDDEN},
		{name: "ingest may not open", by: by.Ingest, when: cmd, code: EFORBIDDEN},
		{name: "organisation not in directory", by: by.Stranger, when: cmd, code: EFORBIDDEN, msg: "nowhere"},
		{name: "no user named", by: Actor{Org: "police", Role: RoleCoordinator}, when: cmd, code: EFORBIDDEN},
		{name: "already opened", given: []Event{opened()}, by: by.PoliceCoord, when: cmd, code: ECONFLICT},
		{name: "title missing", by: by.PoliceCoord, when: with(func(c *OpenIncident) { c.Title = "  " }), code: EINVALID, msg: "title"},
		{name: "title too long", by: by.PoliceCoord, when: with(func(c *OpenIncident) { c.Title = strings.Repeat("ư", 301) }), code: ETOOLARGE},
		{name: "description too long", by: by.PoliceCoord, when: with(func(c *OpenIncident) { c.Description = strings.Repeat("x", 20001) }), code: ETOOLARGE},
		{name: "unknown type", by: by.PoliceCoord, when: with(func(c *OpenIncident) { c.Type = "VIRUS" }), code: EINVALID, msg: "MALWARE"},
		{name: "unknown sector", by: by.PoliceCoord, when: with(func(c *OpenIncident) { c.Sector = "SPACE" }), code: EINVALID, msg: "HEALTH"},
		{name: "severity missing", by: by.PoliceCoord, when: with(func(c *OpenIncident) { c.Severity = "" }), code: EINVALID},
		{name: "unknown tier", by: by.PoliceCoord, when: with(func(c *OpenIncident) { c.Tier = "GRAVE" }), code: EINVALID},
		{name: "TLP missing", by: by.PoliceCoord, when: with(func(c *OpenIncident) { c.TLP = "" }), code: EINVALID},
		{name: "unknown PAP", by: by.PoliceCoord, when: with(func(c *OpenIncident) { c.PAP = "WHITE" }), code: EINVALID},
		{name: "detection time missing", by: by.PoliceCoord, when: with(func(c *OpenIncident) { c.DetectedAt = time.Time{} }), code: EINVALID},
		{name: "detected before 2000", by: by.PoliceCoord,
			when: with(func(c *OpenIncident) { c.DetectedAt = time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC) }), code: EINVALID},
		{name: "detected in the future", by: by.PoliceCoord,
			when: with(func(c *OpenIncident) { c.DetectedAt = incNow.Add(6 * time.Minute) }), code: EINVALID, msg: "in the future"},
		{name: "unknown source", by: by.PoliceCoord, when: with(func(c *OpenIncident) { c.Source = "RUMOUR" }), code: EINVALID},
		{name: "alerts source without alert ids", by: by.PoliceCoord, when: with(func(c *OpenIncident) { c.Source = SourceAlerts }), code: EINVALID},
		{name: "empty alert id", by: by.PoliceCoord,
			when: with(func(c *OpenIncident) { c.Source, c.AlertIDs = SourceAlerts, []string{"a1", " "} }), code: EINVALID},
		{name: "too many alerts", by: by.PoliceCoord,
			when: with(func(c *OpenIncident) { c.Source, c.AlertIDs = SourceAlerts, make([]string, 1001) }), code: ETOOLARGE},
		{name: "affected system without name", by: by.PoliceCoord, when: sys(func(s *AffectedSystem) { s.Name = "" }), code: EINVALID},
		{name: "affected system name too long", by: by.PoliceCoord, when: sys(func(s *AffectedSystem) { s.Name = strings.Repeat("n", 301) }), code: ETOOLARGE},
		{name: "security level above 5", by: by.PoliceCoord, when: sys(func(s *AffectedSystem) { s.SecurityLevel = 6 }), code: EINVALID},
		{name: "negative security level", by: by.PoliceCoord, when: sys(func(s *AffectedSystem) { s.SecurityLevel = -1 }), code: EINVALID},
		{name: "unknown information class", by: by.PoliceCoord, when: sys(func(s *AffectedSystem) { s.InfoClass = "TOP" }), code: EINVALID},
		{name: "unknown system owner", by: by.PoliceCoord, when: sys(func(s *AffectedSystem) { s.OwnerOrg = "dept-space" }), code: ENOTFOUND},
	})
}

func TestIncidentClassify(t *testing.T) {
	classified := func(m func(*IncidentClassified)) []Event {
		e := IncidentClassified{
			Type:      "MALWARE",
			RSITClass: "Malicious Code",
			RSITType:  "Infected System",
			Severity:  SeverityHigh,
			Tier:      TierOrdinary,
			Sector:    "HEALTH",
			Stamp:     Stamp{By: by.PoliceCoord, At: incNow},
		}
		m(&e)
		return []Event{e}
	}
	secret := &AffectedSystem{Name: "Mạng mật", SecurityLevel: 4, InfoClass: InfoSecretTop}
	toSecret := Classify{AffectedSystem: secret}
	runIncidentCases(t, []incidentCase{
		{name: "severity and tier", given: []Event{opened()}, by: by.PoliceCoord,
			when: Classify{Severity: SeverityCritical, Tier: TierSerious},
			then: classified(func(e *IncidentClassified) { e.Severity, e.Tier = SeverityCritical, TierSerious })},
		{name: "type brings its RSIT mapping", given: []Event{opened()}, by: by.PoliceCoord,
			when: Classify{Type: "PHISHING", Sector: "BANKING"},
			then: classified(func(e *IncidentClassified) {
				e.Type, e.RSITClass, e.RSITType, e.Sector = "PHISHING", "Fraud", "Phishing", "BANKING"
			}),
			check: func(is *is.I, i *Incident) { is.Equal(i.RSITClass, "Fraud") }}, // RSIT follows type
		{name: "state secret while only forces take part; drill stays",
			given: []Event{opened(func(e *IncidentOpened) { e.Drill = true }), shared("dic"), escalated("e1", "subcommittee")},
			by:    by.PoliceCoord, when: toSecret,
			then: classified(func(e *IncidentClassified) { e.AffectedSystem = secret }),
			check: func(is *is.I, i *Incident) {
				is.True(i.AffectedSystem.StateSecret()) // now state secret
				is.True(i.Drill)                        // drill is immutable
			}},
		{name: "state secret reported by a non-force origin", given: []Event{opened(openedBy(by.AgencyCoord))},
			by: by.AgencyCoord, when: toSecret,
			then: classified(func(e *IncidentClassified) { e.AffectedSystem, e.By = secret, by.AgencyCoord })},
		{name: "nothing changes", given: []Event{opened()}, by: by.PoliceCoord, when: Classify{Severity: SeverityHigh, Type: "MALWARE"}, code: EINVALID},
		{name: "empty command", given: []Event{opened()}, by: by.PoliceCoord, when: Classify{}, code: EINVALID},
		{name: "unknown type", given: []Event{opened()}, by: by.PoliceCoord, when: Classify{Type: "VIRUS"}, code: EINVALID, msg: "PHISHING"},
		{name: "unknown severity", given: []Event{opened()}, by: by.PoliceCoord, when: Classify{Severity: "SEVERE"}, code: EINVALID},
		{name: "unknown tier", given: []Event{opened()}, by: by.PoliceCoord, when: Classify{Tier: "GRAVE"}, code: EINVALID},
		{name: "unknown sector", given: []Event{opened()}, by: by.PoliceCoord, when: Classify{Sector: "SPACE"}, code: EINVALID},
		{name: "invalid affected system", given: []Event{opened()}, by: by.PoliceCoord,
			when: Classify{AffectedSystem: &AffectedSystem{Name: "x", SecurityLevel: 9}}, code: EINVALID},
		{name: "unknown system owner", given: []Event{opened()}, by: by.PoliceCoord,
			when: Classify{AffectedSystem: &AffectedSystem{Name: "x", OwnerOrg: "dept-space"}}, code: ENOTFOUND},
		{name: "responder may not classify", given: []Event{opened()}, by: by.PoliceResp, when: Classify{Severity: SeverityLow}, code: EFORBIDDEN},
		{name: "coordinator of a shared organisation may not", given: []Event{opened(), shared("dic")}, by: by.DICCoord,
			when: Classify{Severity: SeverityLow}, code: EFORBIDDEN},
		{name: "state secret after sharing with a CERT", given: []Event{opened(), shared("dic", "vncert")}, by: by.PoliceCoord,
			when: toSecret, code: EFORBIDDEN, msg: "vncert"},
		{name: "state secret after escalating to a CERT", given: []Event{opened(), escalated("e1", "provincial-cert")}, by: by.PoliceCoord,
			when: toSecret, code: EFORBIDDEN, msg: "provincial-cert"},
		{name: "state secret with a handoff to a CERT offered", given: []Event{opened(), offered("h1", "cert-health")}, by: by.PoliceCoord,
			when: toSecret, code: EFORBIDDEN, msg: "cert-health"},
		{name: "state secret with a CERT user named", given: []Event{opened(), RecipientsNamed{Users: []string{"vncert/minh"}}},
			by: by.PoliceCoord, when: toSecret, code: EFORBIDDEN, msg: "vncert"},
		{name: "reader outside the audience", given: []Event{opened()}, by: by.PropagandaCoord, when: Classify{Severity: SeverityLow}, code: ENOTFOUND},
		{name: "unopened", by: by.PoliceCoord, when: Classify{Severity: SeverityLow}, code: ENOTFOUND},
		{name: "closed", given: []Event{opened(), closed()}, by: by.PoliceCoord, when: Classify{Severity: SeverityLow}, code: ECONFLICT, msg: "closed"},
	})
}

func TestIncidentAssignLead(t *testing.T) {
	runIncidentCases(t, []incidentCase{
		{name: "lead to another force", given: []Event{opened()}, by: by.PoliceCoord, when: AssignLead{Org: "dic"},
			then: []Event{LeadAssigned{Org: "dic", Previous: "police", Stamp: Stamp{By: by.PoliceCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Lead, "dic")                                      // new lead
				is.True(CanManage(by.DICCoord, i.Audience(), testConfig(t))) // lead manages
			}},
		{name: "state secret lead to a force", given: []Event{opened(stateSecret)}, by: by.PoliceCoord, when: AssignLead{Org: "military"},
			then: []Event{LeadAssigned{Org: "military", Previous: "police", Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "unknown organisation", given: []Event{opened()}, by: by.PoliceCoord, when: AssignLead{Org: "nowhere"}, code: ENOTFOUND},
		{name: "already the lead", given: []Event{opened()}, by: by.PoliceCoord, when: AssignLead{Org: "police"}, code: EINVALID},
		{name: "TLP:AMBER_STRICT", given: []Event{opened(atTLP(TLPAmberStrict))}, by: by.PoliceCoord, when: AssignLead{Org: "dic"}, code: EFORBIDDEN},
		{name: "TLP:RED", given: []Event{opened(atTLP(TLPRed))}, by: by.PoliceCoord, when: AssignLead{Org: "dic"}, code: EFORBIDDEN},
		{name: "state secret lead to a CERT", given: []Event{opened(stateSecret)}, by: by.PoliceCoord, when: AssignLead{Org: "vncert"}, code: EFORBIDDEN, msg: "never leaves the forces"},
		{name: "responder may not", given: []Event{opened()}, by: by.PoliceResp, when: AssignLead{Org: "dic"}, code: EFORBIDDEN},
		{name: "shared coordinator may not", given: []Event{opened(), shared("dic")}, by: by.DICCoord, when: AssignLead{Org: "dic"}, code: EFORBIDDEN},
		{name: "reader outside the audience", given: []Event{opened()}, by: by.MilitaryCoord, when: AssignLead{Org: "military"}, code: ENOTFOUND},
		{name: "closed", given: []Event{opened(), closed()}, by: by.PoliceCoord, when: AssignLead{Org: "dic"}, code: ECONFLICT},
	})
}

func TestIncidentChangePhase(t *testing.T) {
	inRecovery := PhaseChanged{From: PhaseDetected, To: PhaseRecovery, Stamp: Stamp{By: by.PoliceResp, At: incEarlier}}
	runIncidentCases(t, []incidentCase{
		{name: "forward, skipping phases", given: []Event{opened()}, by: by.PoliceResp, when: ChangePhase{Phase: PhaseContainment},
			then:  []Event{PhaseChanged{From: PhaseDetected, To: PhaseContainment, Stamp: Stamp{By: by.PoliceResp, At: incNow}}},
			check: func(is *is.I, i *Incident) { is.Equal(i.Phase.NIST(), "containment-eradication-recovery") }}, // NIST phase
		{name: "back with a reason", given: []Event{opened(), inRecovery}, by: by.PoliceResp,
			when: ChangePhase{Phase: PhaseTriage, Reason: "reinfection found"},
			then: []Event{PhaseChanged{From: PhaseRecovery, To: PhaseTriage, Reason: "reinfection found", Stamp: Stamp{By: by.PoliceResp, At: incNow}}}},
		{name: "partner of a shared CERT", given: []Event{opened(), shared("vncert")}, by: by.VNCERTPartner, when: ChangePhase{Phase: PhaseTriage},
			then: []Event{PhaseChanged{From: PhaseDetected, To: PhaseTriage, Stamp: Stamp{By: by.VNCERTPartner, At: incNow}}}},
		{name: "back without a reason", given: []Event{opened(), inRecovery}, by: by.PoliceResp, when: ChangePhase{Phase: PhaseTriage}, code: EINVALID, msg: "reason"},
		{name: "unknown phase", given: []Event{opened()}, by: by.PoliceResp, when: ChangePhase{Phase: "PANIC"}, code: EINVALID},
		{name: "same phase", given: []Event{opened()}, by: by.PoliceResp, when: ChangePhase{Phase: PhaseDetected}, code: EINVALID},
		{name: "reason too long", given: []Event{opened()}, by: by.PoliceResp,
			when: ChangePhase{Phase: PhaseTriage, Reason: strings.Repeat("r", 2001)}, code: ETOOLARGE},
		{name: "reviewer may not", given: []Event{opened(), escalated("e1", "subcommittee")}, by: by.SubReviewer, when: ChangePhase{Phase: PhaseTriage}, code: EFORBIDDEN},
		{name: "reader who does not take part", given: []Event{opened(atTLP(TLPGreen))}, by: by.PropagandaCoord, when: ChangePhase{Phase: PhaseTriage}, code: EFORBIDDEN},
		{name: "closed", given: []Event{opened(), closed()}, by: by.PoliceResp, when: ChangePhase{Phase: PhaseReview}, code: ECONFLICT},
	})
}

func TestIncidentAddNote(t *testing.T) {
	note := AddNote{NoteID: "n1", Text: " Đã cô lập máy chủ. "}
	withTLP := func(t TLP) AddNote { n := note; n.TLP = t; return n }
	added := func(a Actor, t TLP) []Event {
		return []Event{NoteAdded{NoteID: "n1", Text: "Đã cô lập máy chủ.", TLP: t, Stamp: Stamp{By: a, At: incNow}}}
	}
	runIncidentCases(t, []incidentCase{
		{name: "responder, incident TLP by default", given: []Event{opened()}, by: by.PoliceResp, when: note, then: added(by.PoliceResp, TLPAmber),
			check: func(is *is.I, i *Incident) { is.Equal(i.Notes[0].Author, by.PoliceResp) }}, // author kept
		{name: "stricter than the incident", given: []Event{opened()}, by: by.PoliceResp, when: withTLP(TLPRed), then: added(by.PoliceResp, TLPRed)},
		{name: "reviewer of an escalated organisation", given: []Event{opened(), escalated("e1", "subcommittee")}, by: by.SubReviewer,
			when: note, then: added(by.SubReviewer, TLPAmber)},
		{name: "reviewer reading a GREEN incident", given: []Event{opened(atTLP(TLPGreen))}, by: by.PropagandaReviewer,
			when: note, then: added(by.PropagandaReviewer, TLPGreen)},
		{name: "review note on a closed incident", given: []Event{opened(), closed()}, by: by.PoliceCoord, when: note, then: added(by.PoliceCoord, TLPAmber)},
		{name: "less restricted than the incident", given: []Event{opened()}, by: by.PoliceResp, when: withTLP(TLPGreen), code: EINVALID, msg: "AMBER"},
		{name: "unknown TLP", given: []Event{opened()}, by: by.PoliceResp, when: withTLP("PINK"), code: EINVALID},
		{name: "id missing", given: []Event{opened()}, by: by.PoliceResp, when: AddNote{Text: "x"}, code: EINVALID},
		{name: "id taken", given: []Event{opened(), NoteAdded{NoteID: "n1", Text: "x", TLP: TLPAmber, Stamp: Stamp{By: by.PoliceResp, At: incEarlier}}},
			by: by.PoliceResp, when: note, code: ECONFLICT},
		{name: "text missing", given: []Event{opened()}, by: by.PoliceResp, when: AddNote{NoteID: "n1", Text: " "}, code: EINVALID},
		{name: "text too long", given: []Event{opened()}, by: by.PoliceResp, when: AddNote{NoteID: "n1", Text: strings.Repeat("x", 20001)}, code: ETOOLARGE},
		{name: "reviewer who cannot read", given: []Event{opened()}, by: by.PropagandaReviewer, when: note, code: ENOTFOUND},
		{name: "coordinator who reads but does not take part", given: []Event{opened(atTLP(TLPGreen))}, by: by.PropagandaCoord, when: note, code: EFORBIDDEN},
		{name: "ingest may not", given: []Event{opened()}, by: by.Ingest, when: note, code: EFORBIDDEN},
	})
}

func TestIncidentAddIndicator(t *testing.T) {
	ioc := AddIndicator{IndicatorID: "i1", Type: IndicatorDomain, Value: "Evil.EXAMPLE.com."}
	known := IndicatorAdded{IndicatorID: "i1", Type: IndicatorDomain, Value: "evil.example.com", TLP: TLPAmber, Stamp: Stamp{By: by.PoliceResp, At: incEarlier}}
	runIncidentCases(t, []incidentCase{
		{name: "normalised domain", given: []Event{opened()}, by: by.PoliceResp, when: ioc,
			then:  []Event{IndicatorAdded{IndicatorID: "i1", Type: IndicatorDomain, Value: "evil.example.com", TLP: TLPAmber, Stamp: Stamp{By: by.PoliceResp, At: incNow}}},
			check: func(is *is.I, i *Incident) { is.Equal(i.Indicators[0].Value, "evil.example.com") }}, // stored normalised
		{name: "stricter TLP", given: []Event{opened()}, by: by.PoliceResp,
			when: AddIndicator{IndicatorID: "i2", Type: IndicatorIPv4, Value: "203.0.113.7", TLP: TLPAmberStrict},
			then: []Event{IndicatorAdded{IndicatorID: "i2", Type: IndicatorIPv4, Value: "203.0.113.7", TLP: TLPAmberStrict, Stamp: Stamp{By: by.PoliceResp, At: incNow}}}},
		{name: "malformed value", given: []Event{opened()}, by: by.PoliceResp, when: AddIndicator{IndicatorID: "i1", Type: IndicatorIPv4, Value: "300.1.1.1"}, code: EINVALID},
		{name: "unknown type", given: []Event{opened()}, by: by.PoliceResp, when: AddIndicator{IndicatorID: "i1", Type: "YARA", Value: "rule x"}, code: EINVALID},
		{name: "same value in another spelling", given: []Event{opened(), known}, by: by.PoliceResp,
			when: AddIndicator{IndicatorID: "i2", Type: IndicatorDomain, Value: "EVIL.example.COM"}, code: ECONFLICT, msg: "i1"},
		{name: "id taken", given: []Event{opened(), known}, by: by.PoliceResp,
			when: AddIndicator{IndicatorID: "i1", Type: IndicatorIPv4, Value: "203.0.113.7"}, code: ECONFLICT},
		{name: "id missing", given: []Event{opened()}, by: by.PoliceResp, when: AddIndicator{Type: IndicatorIPv4, Value: "203.0.113.7"}, code: EINVALID},
		{name: "less restricted than the incident", given: []Event{opened()}, by: by.PoliceResp,
			when: AddIndicator{IndicatorID: "i1", Type: IndicatorIPv4, Value: "203.0.113.7", TLP: TLPClear}, code: EINVALID},
		{name: "reviewer may not", given: []Event{opened()}, by: by.PoliceReviewer, when: ioc, code: EFORBIDDEN},
		{name: "closed", given: []Event{opened(), closed()}, by: by.PoliceResp, when: ioc, code: ECONFLICT},
	})
}

func TestIncidentShare(t *testing.T) {
	many := make([]string, 101)
	for n := range many {
		many[n] = "dic"
	}
	runIncidentCases(t, []incidentCase{
		{name: "only new organisations, sorted", given: []Event{opened(), shared("dic")}, by: by.PoliceCoord,
			when:  Share{Orgs: []string{"vncert", "dic", "police", "military", "vncert"}},
			then:  []Event{IncidentShared{Orgs: []string{"military", "vncert"}, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) { is.Equal(i.Shared, []string{"dic", "military", "vncert"}) }}, // sorted union
		{name: "GREEN incident", given: []Event{opened(atTLP(TLPGreen))}, by: by.PoliceCoord, when: Share{Orgs: []string{"dept-health"}},
			then: []Event{IncidentShared{Orgs: []string{"dept-health"}, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "state secret with forces", given: []Event{opened(stateSecret)}, by: by.PoliceCoord, when: Share{Orgs: []string{"military", "subcommittee"}},
			then: []Event{IncidentShared{Orgs: []string{"military", "subcommittee"}, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "nothing new", given: []Event{opened(), shared("dic")}, by: by.PoliceCoord, when: Share{Orgs: []string{"dic", "police"}}, code: EINVALID},
		{name: "no organisation", given: []Event{opened()}, by: by.PoliceCoord, when: Share{}, code: EINVALID},
		{name: "more than 100", given: []Event{opened()}, by: by.PoliceCoord, when: Share{Orgs: many}, code: ETOOLARGE},
		{name: "unknown organisation", given: []Event{opened()}, by: by.PoliceCoord, when: Share{Orgs: []string{"dic", "nowhere"}}, code: ENOTFOUND, msg: "nowhere"},
		{name: "TLP:RED", given: []Event{opened(atTLP(TLPRed))}, by: by.PoliceCoord, when: Share{Orgs: []string{"dic"}}, code: EFORBIDDEN, msg: "NameRecipients"},
		{name: "TLP:AMBER_STRICT", given: []Event{opened(atTLP(TLPAmberStrict))}, by: by.PoliceCoord, when: Share{Orgs: []string{"dic"}}, code: EFORBIDDEN, msg: "lower to AMBER"},
		{name: "state secret with a CERT", given: []Event{opened(stateSecret)}, by: by.PoliceCoord, when: Share{Orgs: []string{"military", "vncert"}}, code: EFORBIDDEN, msg: "vncert"},
		{name: "shared coordinator may not reshare", given: []Event{opened(), shared("dic")}, by: by.DICCoord, when: Share{Orgs: []string{"vncert"}}, code: EFORBIDDEN},
		{name: "responder may not", given: []Event{opened()}, by: by.PoliceResp, when: Share{Orgs: []string{"dic"}}, code: EFORBIDDEN},
		{name: "closed", given: []Event{opened(), closed()}, by: by.PoliceCoord, when: Share{Orgs: []string{"dic"}}, code: ECONFLICT},
	})
}

func TestIncidentNameRecipients(t *testing.T) {
	many := make([]string, 101)
	for n := range many {
		many[n] = fmt.Sprintf("dic/u%d", n)
	}
	runIncidentCases(t, []incidentCase{
		{name: "only new users, sorted", given: []Event{opened()}, by: by.PoliceCoord,
			when: NameRecipients{Users: []string{"military/dung", "dic/giang", "police/an"}},
			then: []Event{RecipientsNamed{Users: []string{"dic/giang", "military/dung"}, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Recipients, []string{"dic/giang", "military/dung", "police/an"}) // sorted union
			}},
		{name: "state secret, force users", given: []Event{opened(stateSecret)}, by: by.PoliceCoord,
			when: NameRecipients{Users: []string{"military/dung"}},
			then: []Event{RecipientsNamed{Users: []string{"military/dung"}, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "not org/user", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{Users: []string{"giang"}}, code: EINVALID, msg: "org/user"},
		{name: "user missing", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{Users: []string{"dic/"}}, code: EINVALID},
		{name: "user with a slash", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{Users: []string{"dic/a/b"}}, code: EINVALID},
		{name: "unknown organisation", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{Users: []string{"nowhere/x"}}, code: ENOTFOUND},
		{name: "nothing new", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{Users: []string{"police/an"}}, code: EINVALID},
		{name: "nobody", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{}, code: EINVALID},
		{name: "more than 100", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{Users: many}, code: ETOOLARGE},
		{name: "state secret, CERT user", given: []Event{opened(stateSecret)}, by: by.PoliceCoord,
			when: NameRecipients{Users: []string{"vncert/minh"}}, code: EFORBIDDEN, msg: "vncert"},
		{name: "responder may not", given: []Event{opened()}, by: by.PoliceResp, when: NameRecipients{Users: []string{"dic/giang"}}, code: EFORBIDDEN},
	})
}

func TestIncidentChangeTLP(t *testing.T) {
	runIncidentCases(t, []incidentCase{
		{name: "responder raises to RED and becomes a recipient", given: []Event{opened()}, by: by.PoliceResp,
			when: ChangeTLP{TLP: TLPRed, Reason: "named suspects"},
			then: []Event{TLPChanged{From: TLPAmber, To: TLPRed, Reason: "named suspects", Stamp: Stamp{By: by.PoliceResp, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Recipients, []string{"police/an", "police/binh"})    // raiser keeps access
				is.True(!CanRead(by.PoliceCoord2, i.Audience(), testConfig(t))) // other colleagues lose it
			}},
		{name: "shared responder raises", given: []Event{opened(), shared("dic")}, by: by.DICResp, when: ChangeTLP{TLP: TLPAmberStrict},
			then: []Event{TLPChanged{From: TLPAmber, To: TLPAmberStrict, Stamp: Stamp{By: by.DICResp, At: incNow}}}},
		{name: "origin coordinator lowers", given: []Event{opened()}, by: by.PoliceCoord2, when: ChangeTLP{TLP: TLPGreen, Reason: "published"},
			then: []Event{TLPChanged{From: TLPAmber, To: TLPGreen, Reason: "published", Stamp: Stamp{By: by.PoliceCoord2, At: incNow}}}},
		{name: "responder may not lower", given: []Event{opened()}, by: by.PoliceResp, when: ChangeTLP{TLP: TLPGreen}, code: EFORBIDDEN, msg: "originating organisation"},
		{name: "lead coordinator may not lower", given: []Event{opened(), LeadAssigned{Org: "dic", Previous: "police"}}, by: by.DICCoord,
			when: ChangeTLP{TLP: TLPGreen}, code: EFORBIDDEN, msg: "originating organisation"},
		{name: "origin colleague not named at RED", given: []Event{opened(atTLP(TLPRed))}, by: by.PoliceCoord2, when: ChangeTLP{TLP: TLPAmber}, code: ENOTFOUND},
		{name: "same TLP", given: []Event{opened()}, by: by.PoliceResp, when: ChangeTLP{TLP: TLPAmber}, code: EINVALID},
		{name: "unknown TLP", given: []Event{opened()}, by: by.PoliceResp, when: ChangeTLP{TLP: "WHITE"}, code: EINVALID},
		{name: "reader who does not take part may not raise", given: []Event{opened(atTLP(TLPGreen))}, by: by.PropagandaCoord,
			when: ChangeTLP{TLP: TLPAmber}, code: EFORBIDDEN},
		{name: "reviewer may not", given: []Event{opened()}, by: by.PoliceReviewer, when: ChangeTLP{TLP: TLPRed}, code: EFORBIDDEN},
		{name: "closed", given: []Event{opened(), closed()}, by: by.PoliceCoord, when: ChangeTLP{TLP: TLPRed}, code: ECONFLICT},
	})
}

func TestIncidentEscalate(t *testing.T) {
	esc := Escalate{EscalationID: "e1", ToOrg: "subcommittee", Reason: " possibly serious "}
	with := func(m func(*Escalate)) Escalate { c := esc; m(&c); return c }
	escalatedNow := func(a Actor, from string, within time.Duration) []Event {
		return []Event{IncidentEscalated{
			EscalationID: "e1",
			From:         from,
			To:           "subcommittee",
			Reason:       "possibly serious",
			Deadline:     incNow.Add(within),
			Stamp:        Stamp{By: a, At: incNow},
		}}
	}
	runIncidentCases(t, []incidentCase{
		{name: "configured deadline", given: []Event{opened()}, by: by.PoliceResp, when: esc, then: escalatedNow(by.PoliceResp, "police", 15*time.Minute),
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Escalation("e1").Status, EscalationStatusPending)  // pending
				is.True(CanRead(by.SubReviewer, i.Audience(), testConfig(t))) // addressee reads
			}},
		{name: "explicit deadline", given: []Event{opened()}, by: by.PoliceResp,
			when: with(func(c *Escalate) { c.AckWithin = time.Hour }), then: escalatedNow(by.PoliceResp, "police", time.Hour)},
		{name: "from a shared organisation", given: []Event{opened(), shared("dic")}, by: by.DICResp, when: esc, then: escalatedNow(by.DICResp, "dic", 15*time.Minute)},
		{name: "again once acknowledged", given: []Event{opened(), escalated("e0", "subcommittee"), acknowledged("e0", by.SubReviewer)},
			by: by.PoliceResp, when: esc, then: escalatedNow(by.PoliceResp, "police", 15*time.Minute)},
		{name: "state secret to a force", given: []Event{opened(stateSecret)}, by: by.PoliceResp, when: esc, then: escalatedNow(by.PoliceResp, "police", 15*time.Minute)},
		{name: "unknown organisation", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.ToOrg = "nowhere" }), code: ENOTFOUND},
		{name: "to yourself", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.ToOrg = "police" }), code: EINVALID, msg: "own organisation"},
		{name: "reason missing", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.Reason = "" }), code: EINVALID},
		{name: "reason too long", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.Reason = strings.Repeat("r", 2001) }), code: ETOOLARGE},
		{name: "deadline in the past", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.AckWithin = -time.Minute }), code: EINVALID, msg: "past"},
		{name: "deadline too short", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.AckWithin = 30 * time.Second }), code: EINVALID},
		{name: "deadline too long", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.AckWithin = 721 * time.Hour }), code: EINVALID},
		{name: "TLP:RED", given: []Event{opened(atTLP(TLPRed))}, by: by.PoliceCoord, when: esc, code: EFORBIDDEN},
		{name: "TLP:AMBER_STRICT", given: []Event{opened(atTLP(TLPAmberStrict))}, by: by.PoliceResp, when: esc, code: EFORBIDDEN},
		{name: "state secret to a CERT", given: []Event{opened(stateSecret)}, by: by.PoliceResp,
			when: with(func(c *Escalate) { c.ToOrg = "vncert" }), code: EFORBIDDEN, msg: "vncert"},
		{name: "still pending to the same organisation", given: []Event{opened(), escalated("e0", "subcommittee")}, by: by.PoliceResp, when: esc, code: ECONFLICT, msg: "e0"},
		{name: "id taken", given: []Event{opened(), escalated("e1", "vncert")}, by: by.PoliceResp, when: esc, code: ECONFLICT},
		{name: "id missing", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *Escalate) { c.EscalationID = "" }), code: EINVALID},
		{name: "reviewer may not", given: []Event{opened()}, by: by.PoliceReviewer, when: esc, code: EFORBIDDEN},
		{name: "closed", given: []Event{opened(), closed()}, by: by.PoliceResp, when: esc, code: ECONFLICT},
	})
}

func TestIncidentAcknowledgeEscalation(t *testing.T) {
	overdue := escalated("e1", "subcommittee")
	overdue.Deadline = incNow.Add(-time.Minute)
	ack := AcknowledgeEscalation{EscalationID: "e1"}
	runIncidentCases(t, []incidentCase{
		{name: "on time", given: []Event{opened(), escalated("e1", "subcommittee")}, by: by.SubReviewer, when: ack,
			then: []Event{EscalationAcknowledged{EscalationID: "e1", Stamp: Stamp{By: by.SubReviewer, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				x := i.Escalation("e1")
				is.Equal(x.Status, EscalationStatusAcknowledged) // acknowledged
				is.Equal(*x.AckBy, by.SubReviewer)               // by whom
				is.True(!x.Late)                                 // on time
			}},
		{name: "late is still accepted", given: []Event{opened(), overdue}, by: by.SubCoord, when: ack,
			then:  []Event{EscalationAcknowledged{EscalationID: "e1", Late: true, Stamp: Stamp{By: by.SubCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) { is.True(i.Escalation("e1").Late) }}, // marked late
		{name: "another organisation", given: []Event{opened(), escalated("e1", "subcommittee")}, by: by.PoliceCoord, when: ack, code: EFORBIDDEN, msg: "only subcommittee"},
		{name: "unknown escalation", given: []Event{opened(), escalated("e1", "subcommittee")}, by: by.SubReviewer,
			when: AcknowledgeEscalation{EscalationID: "e9"}, code: ENOTFOUND},
		{name: "already acknowledged", given: []Event{opened(), escalated("e1", "subcommittee"), acknowledged("e1", by.SubCoord)},
			by: by.SubReviewer, when: ack, code: ECONFLICT, msg: "already acknowledged"},
		{name: "already resolved", given: []Event{opened(), escalated("e1", "subcommittee"),
			EscalationResolved{EscalationID: "e1", Resolution: "handled", Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}},
			by: by.SubReviewer, when: ack, code: ECONFLICT},
		{name: "admin may not", given: []Event{opened(), escalated("e1", "subcommittee")}, by: Actor{User: "root", Org: "subcommittee", Role: RoleAdmin}, when: ack, code: EFORBIDDEN},
		{name: "closed", given: []Event{opened(), escalated("e1", "subcommittee"), closed()}, by: by.SubReviewer, when: ack, code: ECONFLICT},
	})
}

func TestIncidentResolveEscalation(t *testing.T) {
	given := []Event{opened(), shared("dic"), escalated("e1", "subcommittee")}
	res := ResolveEscalation{EscalationID: "e1", Resolution: " subcommittee convened "}
	runIncidentCases(t, []incidentCase{
		{name: "by the addressee", given: given, by: by.SubCoord, when: res,
			then:  []Event{EscalationResolved{EscalationID: "e1", Resolution: "subcommittee convened", Stamp: Stamp{By: by.SubCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) { is.Equal(i.Escalation("e1").Status, EscalationStatusResolved) }}, // resolved
		{name: "by the escalating organisation", given: given, by: by.PoliceResp, when: res,
			then: []Event{EscalationResolved{EscalationID: "e1", Resolution: "subcommittee convened", Stamp: Stamp{By: by.PoliceResp, At: incNow}}}},
		{name: "by a third organisation", given: given, by: by.DICCoord, when: res, code: EFORBIDDEN},
		{name: "already resolved", given: append(given[:3:3], EscalationResolved{EscalationID: "e1", Resolution: "x", Stamp: Stamp{By: by.SubCoord, At: incEarlier}}),
			by: by.SubCoord, when: res, code: ECONFLICT},
		{name: "unknown escalation", given: given, by: by.SubCoord, when: ResolveEscalation{EscalationID: "e9", Resolution: "x"}, code: ENOTFOUND},
		{name: "resolution missing", given: given, by: by.SubCoord, when: ResolveEscalation{EscalationID: "e1"}, code: EINVALID},
		{name: "admin may not", given: given, by: by.PoliceAdmin, when: res, code: EFORBIDDEN},
	})
}

func TestIncidentOfferHandoff(t *testing.T) {
	offer := OfferHandoff{HandoffID: "h1", ToOrg: "provincial-cert", Summary: "malware on the hospital system", RequestedAction: "clean up"}
	with := func(m func(*OfferHandoff)) OfferHandoff { c := offer; m(&c); return c }
	offeredNow := func(to string, within time.Duration) []Event {
		return []Event{HandoffOffered{
			HandoffID:       "h1",
			From:            "police",
			To:              to,
			Summary:         "malware on the hospital system",
			RequestedAction: "clean up",
			TLP:             TLPAmber,
			Deadline:        incNow.Add(within),
			Stamp:           Stamp{By: by.PoliceCoord, At: incNow},
		}}
	}
	runIncidentCases(t, []incidentCase{
		{name: "to a CERT with the configured deadline", given: []Event{opened()}, by: by.PoliceCoord, when: offer,
			then: offeredNow("provincial-cert", 4*time.Hour),
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Audience().HandoffTo, []string{"provincial-cert"}) // offered org takes part
				is.True(CanRead(by.CertCoord, i.Audience(), testConfig(t)))   // and can read
				is.Equal(i.Owner, "police")                                   // ownership has not moved yet
			}},
		{name: "explicit deadline", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.AnswerWithin = 2 * time.Hour }),
			then: offeredNow("provincial-cert", 2*time.Hour)},
		{name: "state secret to a force", given: []Event{opened(stateSecret)}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ToOrg = "military" }),
			then: offeredNow("military", 4*time.Hour)},
		{name: "after a withdrawn offer", given: []Event{opened(), offered("h0", "vncert"), HandoffWithdrawn{HandoffID: "h0", Reason: "x"}},
			by: by.PoliceCoord, when: offer, then: offeredNow("provincial-cert", 4*time.Hour)},
		{name: "its own stricter TLP", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.TLP = TLPAmberStrict }),
			then: func() []Event {
				e := offeredNow("provincial-cert", 4*time.Hour)[0].(HandoffOffered)
				e.TLP = TLPAmberStrict
				return []Event{e}
			}(),
			check: func(is *is.I, i *Incident) { is.Equal(i.Handoff("h1").TLP, TLPAmberStrict) }}, // labels the summary
		{name: "release on acceptance, another organisation leading", given: []Event{opened(), LeadAssigned{Org: "dic", Previous: "police"}},
			by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ReleaseOnAccept = true }),
			then: func() []Event {
				e := offeredNow("provincial-cert", 4*time.Hour)[0].(HandoffOffered)
				e.ReleaseOnAccept = true
				return []Event{e}
			}(),
			check: func(is *is.I, i *Incident) {
				is.True(i.Handoff("h1").ReleaseOnAccept)                        // recorded on the handoff
				is.True(!i.OriginReleased)                                      // not before acceptance
				is.True(CanManage(by.PoliceCoord, i.Audience(), testConfig(t))) // the origin still holds it
			}},
		{name: "TLP lower than the incident", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.TLP = TLPGreen }),
			code: EINVALID, msg: "use TLP:AMBER or stricter"},
		{name: "unknown TLP", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.TLP = "PINK" }), code: EINVALID},
		{name: "release while the origin leads", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ReleaseOnAccept = true }),
			code: EINVALID, msg: "assign another lead first"},
		{name: "release asked by the lead, not the origin", given: []Event{opened(), LeadAssigned{Org: "dic", Previous: "police"}},
			by: by.DICCoord, when: with(func(c *OfferHandoff) { c.ReleaseOnAccept = true }), code: EFORBIDDEN, msg: "only the originating organisation"},
		{name: "release when the origin no longer owns it",
			given: []Event{opened(), LeadAssigned{Org: "dic", Previous: "police"}, offered("h0", "vncert"), accepted("h0", by.VNCERTPartner)},
			by:    by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ReleaseOnAccept = true }), code: EINVALID, msg: "vncert owns the incident now"},
		{name: "unknown organisation", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ToOrg = "nowhere" }), code: ENOTFOUND},
		{name: "neither CERT nor force", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ToOrg = "dept-health" }), code: EINVALID},
		{name: "to the owner", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.ToOrg = "police" }), code: EINVALID},
		{name: "summary missing", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.Summary = "" }), code: EINVALID},
		{name: "summary too long", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.Summary = strings.Repeat("s", 5001) }), code: ETOOLARGE},
		{name: "negative deadline", given: []Event{opened()}, by: by.PoliceCoord, when: with(func(c *OfferHandoff) { c.AnswerWithin = -time.Hour }), code: EINVALID},
		{name: "TLP:AMBER_STRICT", given: []Event{opened(atTLP(TLPAmberStrict))}, by: by.PoliceCoord, when: offer, code: EFORBIDDEN},
		{name: "TLP:RED", given: []Event{opened(atTLP(TLPRed))}, by: by.PoliceCoord, when: offer, code: EFORBIDDEN},
		{name: "state secret to a CERT", given: []Event{opened(stateSecret)}, by: by.PoliceCoord, when: offer, code: EFORBIDDEN,
			msg: "a state-secret incident cannot be handed to provincial-cert: it never leaves the forces"},
		{name: "another offer waits", given: []Event{opened(), offered("h0", "vncert")}, by: by.PoliceCoord, when: offer, code: ECONFLICT, msg: "h0"},
		{name: "id taken", given: []Event{opened(), offered("h1", "vncert"), HandoffWithdrawn{HandoffID: "h1", Reason: "x"}}, by: by.PoliceCoord, when: offer, code: ECONFLICT},
		{name: "responder may not", given: []Event{opened()}, by: by.PoliceResp, when: offer, code: EFORBIDDEN},
		{name: "closed", given: []Event{opened(), closed()}, by: by.PoliceCoord, when: offer, code: ECONFLICT},
	})
}

func TestIncidentAcknowledgeHandoff(t *testing.T) {
	given := []Event{opened(), offered("h1", "provincial-cert")}
	ack := AcknowledgeHandoff{HandoffID: "h1"}
	acked := HandoffAcknowledged{HandoffID: "h1", Stamp: Stamp{By: by.CertResp, At: incEarlier}}
	runIncidentCases(t, []incidentCase{
		{name: "coordinator of the addressee", given: given, by: by.CertCoord, when: ack,
			then: []Event{HandoffAcknowledged{HandoffID: "h1", Stamp: Stamp{By: by.CertCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				h := i.Handoff("h1")
				is.Equal(h.Status, HandoffStatusOffered)      // still waiting for an answer
				is.Equal(*h.AcknowledgedBy, by.CertCoord)     // who
				is.Equal(h.AcknowledgedAt, incNow)            // when
				is.Equal(h.Deadline, incNow.Add(3*time.Hour)) // the answer deadline stays
				is.Equal(i.Owner, "police")                   // ownership has not moved
			}},
		{name: "responder of the addressee", given: given, by: by.CertResp, when: ack,
			then: []Event{HandoffAcknowledged{HandoffID: "h1", Stamp: Stamp{By: by.CertResp, At: incNow}}}},
		{name: "partner of the addressee", given: given, by: by.CertPartner, when: ack,
			then: []Event{HandoffAcknowledged{HandoffID: "h1", Stamp: Stamp{By: by.CertPartner, At: incNow}}}},
		{name: "then accepted", given: append(given[:2:2], acked), by: by.CertCoord, when: AcceptHandoff{HandoffID: "h1"},
			then: []Event{HandoffAccepted{HandoffID: "h1", Stamp: Stamp{By: by.CertCoord, At: incNow}}}},
		{name: "twice", given: append(given[:2:2], acked), by: by.CertCoord, when: ack, code: ECONFLICT, msg: "already acknowledged"},
		{name: "another organisation", given: given, by: by.PoliceCoord, when: ack, code: EFORBIDDEN, msg: "only provincial-cert"},
		{name: "reviewer of the addressee", given: given, by: Actor{User: "q", Org: "provincial-cert", Role: RoleReviewer}, when: ack, code: EFORBIDDEN},
		{name: "answered already", given: append(given[:2:2], accepted("h1", by.CertCoord)), by: by.CertCoord, when: ack, code: ECONFLICT},
		{name: "withdrawn", given: []Event{opened(atTLP(TLPGreen)), offered("h1", "provincial-cert"), HandoffWithdrawn{HandoffID: "h1", Reason: "x"}},
			by: by.CertCoord, when: ack, code: ECONFLICT},
		{name: "unknown handoff", given: given, by: by.CertCoord, when: AcknowledgeHandoff{HandoffID: "h9"}, code: ENOTFOUND},
		{name: "outside the audience", given: given, by: by.PropagandaCoord, when: ack, code: ENOTFOUND},
	})
}

func TestIncidentAcceptHandoff(t *testing.T) {
	given := []Event{opened(), offered("h1", "provincial-cert")}
	releasedGiven := []Event{opened(), LeadAssigned{Org: "dic", Previous: "police"}, releasing("h1", "provincial-cert")}
	acc := AcceptHandoff{HandoffID: "h1"}
	runIncidentCases(t, []incidentCase{
		{name: "coordinator of the addressee", given: given, by: by.CertCoord, when: acc,
			then: []Event{HandoffAccepted{HandoffID: "h1", Stamp: Stamp{By: by.CertCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Owner, "provincial-cert")                            // ownership moved
				is.Equal(i.Handoff("h1").Status, HandoffStatusAccepted)         // accepted
				is.True(CanManage(by.CertCoord, i.Audience(), testConfig(t)))   // new owner manages
				is.True(CanManage(by.PoliceCoord, i.Audience(), testConfig(t))) // origin still manages
			}},
		{name: "partner of the addressee", given: given, by: by.CertPartner, when: acc,
			then: []Event{HandoffAccepted{HandoffID: "h1", Stamp: Stamp{By: by.CertPartner, At: incNow}}}},
		{name: "offered with release: the origin lets go", given: releasedGiven, by: by.CertCoord, when: acc,
			then: []Event{HandoffAccepted{HandoffID: "h1", OriginReleased: true, Stamp: Stamp{By: by.CertCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				cfg := testConfig(t)
				is.True(i.OriginReleased)                                // recorded in state
				is.Equal(i.Owner, "provincial-cert")                     // ownership moved
				is.True(i.Audience().OriginReleased)                     // and in the audience
				is.True(!CanRead(by.PoliceCoord, i.Audience(), cfg))     // the origin no longer reads the AMBER incident
				is.True(!CanRead(by.PoliceResp, i.Audience(), cfg))      // nor do its responders
				is.Equal(access(by.DICCoord, i.Audience(), cfg), "rwm")  // the lead still manages
				is.Equal(access(by.CertCoord, i.Audience(), cfg), "rwm") // the new owner manages
				is.True(!i.Audience().participates("police"))            // the origin no longer takes part
			}},
		{name: "offered with release, the origin escalated to: still takes part", given: append(releasedGiven[:3:3],
			IncidentEscalated{EscalationID: "e1", From: "dic", To: "police", Reason: "keep police informed", Deadline: incNow, Stamp: Stamp{By: by.DICCoord, At: incEarlier}}),
			by: by.CertCoord, when: acc, then: []Event{HandoffAccepted{HandoffID: "h1", OriginReleased: true, Stamp: Stamp{By: by.CertCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(access(by.PoliceCoord, i.Audience(), testConfig(t)), "rw") // reads and writes as an escalation addressee, no longer manages
			}},
		{name: "another organisation", given: given, by: by.PoliceCoord, when: acc, code: EFORBIDDEN, msg: "only provincial-cert"},
		{name: "responder of the addressee", given: given, by: by.CertResp, when: acc, code: EFORBIDDEN},
		{name: "unknown handoff", given: given, by: by.CertCoord, when: AcceptHandoff{HandoffID: "h9"}, code: ENOTFOUND},
		{name: "already accepted", given: append(given[:2:2], accepted("h1", by.CertCoord)), by: by.CertPartner, when: acc, code: ECONFLICT},
		{name: "declined", given: []Event{opened(atTLP(TLPGreen)), offered("h1", "provincial-cert"), HandoffDeclined{HandoffID: "h1", Reason: "x", Stamp: Stamp{By: by.CertCoord}}},
			by: by.CertCoord, when: acc, code: ECONFLICT},
		{name: "declined offer hides a TLP:AMBER incident again", given: append(given[:2:2], HandoffDeclined{HandoffID: "h1", Reason: "x", Stamp: Stamp{By: by.CertCoord}}),
			by: by.CertCoord, when: acc, code: ENOTFOUND},
		{name: "closed", given: append(given[:2:2], HandoffWithdrawn{HandoffID: "h1", Reason: "x"}, closed()), by: by.PoliceCoord, when: acc, code: ECONFLICT},
	})
}

func TestIncidentDeclineHandoff(t *testing.T) {
	given := []Event{opened(), offered("h1", "provincial-cert")}
	dec := DeclineHandoff{HandoffID: "h1", Reason: "outside our sector"}
	runIncidentCases(t, []incidentCase{
		{name: "addressee declines", given: given, by: by.CertCoord, when: dec,
			then: []Event{HandoffDeclined{HandoffID: "h1", Reason: "outside our sector", Stamp: Stamp{By: by.CertCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Handoff("h1").Status, HandoffStatusDeclined) // declined
				is.Equal(i.Owner, "police")                             // owner unchanged
				is.Equal(len(i.Audience().HandoffTo), 0)                // no longer in the audience
			}},
		{name: "reason missing", given: given, by: by.CertCoord, when: DeclineHandoff{HandoffID: "h1"}, code: EINVALID},
		{name: "another organisation", given: given, by: by.PoliceCoord, when: dec, code: EFORBIDDEN},
		{name: "reviewer of the addressee", given: given, by: Actor{User: "q", Org: "provincial-cert", Role: RoleReviewer}, when: dec, code: EFORBIDDEN},
		{name: "not offered any more", given: append(given[:2:2], accepted("h1", by.CertCoord)), by: by.CertCoord, when: dec, code: ECONFLICT},
		{name: "unknown handoff", given: given, by: by.CertCoord, when: DeclineHandoff{HandoffID: "h9", Reason: "x"}, code: ENOTFOUND},
	})
}

func TestIncidentReturnHandoff(t *testing.T) {
	given := []Event{opened(), offered("h1", "provincial-cert"), accepted("h1", by.CertCoord)}
	ret := ReturnHandoff{HandoffID: "h1", Reason: "needs the police"}
	movedOn := append(given[:3:3],
		HandoffOffered{HandoffID: "h2", From: "provincial-cert", To: "vncert", Summary: "s", Deadline: incNow, Stamp: Stamp{By: by.CertCoord, At: incEarlier}},
		accepted("h2", by.VNCERTPartner))
	runIncidentCases(t, []incidentCase{
		{name: "addressee returns", given: given, by: by.CertPartner, when: ret,
			then: []Event{HandoffReturned{HandoffID: "h1", Reason: "needs the police", Stamp: Stamp{By: by.CertPartner, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Owner, "police")                             // owner back
				is.Equal(i.Handoff("h1").Status, HandoffStatusReturned) // returned
			}},
		{name: "returned after a release: the origin holds it again",
			given: []Event{opened(), LeadAssigned{Org: "dic", Previous: "police"}, releasing("h1", "provincial-cert"),
				HandoffAccepted{HandoffID: "h1", OriginReleased: true, Stamp: Stamp{By: by.CertCoord, At: incEarlier}}},
			by: by.CertCoord, when: ret, then: []Event{HandoffReturned{HandoffID: "h1", Reason: "needs the police", Stamp: Stamp{By: by.CertCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Owner, "police")                                     // owner back
				is.True(!i.OriginReleased)                                      // no longer released
				is.True(CanManage(by.PoliceCoord, i.Audience(), testConfig(t))) // the origin manages again
			}},
		{name: "not accepted", given: given[:2], by: by.CertCoord, when: ret, code: ECONFLICT},
		{name: "another organisation", given: given, by: by.PoliceCoord, when: ret, code: EFORBIDDEN},
		{name: "reason missing", given: given, by: by.CertCoord, when: ReturnHandoff{HandoffID: "h1"}, code: EINVALID},
		{name: "ownership moved on", given: movedOn, by: by.CertCoord, when: ret, code: ECONFLICT, msg: "vncert"},
		{name: "unknown handoff", given: given, by: by.CertCoord, when: ReturnHandoff{HandoffID: "h9", Reason: "x"}, code: ENOTFOUND},
	})
}

func TestIncidentWithdrawHandoff(t *testing.T) {
	given := []Event{opened(), offered("h1", "provincial-cert")}
	wd := WithdrawHandoff{HandoffID: "h1", Reason: "wrong team"}
	runIncidentCases(t, []incidentCase{
		{name: "offering owner withdraws", given: given, by: by.PoliceCoord, when: wd,
			then:  []Event{HandoffWithdrawn{HandoffID: "h1", Reason: "wrong team", Stamp: Stamp{By: by.PoliceCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) { is.Equal(i.Handoff("h1").Status, HandoffStatusWithdrawn) }}, // withdrawn
		{name: "addressee may not", given: given, by: by.CertCoord, when: wd, code: EFORBIDDEN},
		{name: "lead organisation may not", given: append(given[:2:2], LeadAssigned{Org: "dic", Previous: "police"}), by: by.DICCoord, when: wd, code: EFORBIDDEN},
		{name: "responder may not", given: given, by: by.PoliceResp, when: wd, code: EFORBIDDEN},
		{name: "not offered any more", given: []Event{opened(atTLP(TLPGreen)), offered("h1", "provincial-cert"), HandoffDeclined{HandoffID: "h1", Reason: "x"}},
			by: by.PoliceCoord, when: wd, code: ECONFLICT},
		{name: "reason missing", given: given, by: by.PoliceCoord, when: WithdrawHandoff{HandoffID: "h1"}, code: EINVALID},
		{name: "unknown handoff", given: given, by: by.PoliceCoord, when: WithdrawHandoff{HandoffID: "h9", Reason: "x"}, code: ENOTFOUND},
	})
}

func TestIncidentClose(t *testing.T) {
	cl := CloseIncident{Resolution: ResolutionResolved, Summary: " Đã khắc phục. "}
	runIncidentCases(t, []incidentCase{
		{name: "coordinator closes", given: []Event{opened()}, by: by.PoliceCoord, when: cl,
			then: []Event{IncidentClosed{
				Resolution: ResolutionResolved,
				Summary:    "Đã khắc phục.",
				ReportDue:  incNow.Add(720 * time.Hour),
				Stamp:      Stamp{By: by.PoliceCoord, At: incNow},
			}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Status, IncidentStatusClosed)         // closed
				is.Equal(i.ClosedAt, incNow)                     // when
				is.Equal(i.ReportDue, incNow.Add(720*time.Hour)) // closing report (Mẫu 04) due after deadlines.closingReport
			}},
		{name: "false positive after a declined handoff", given: []Event{opened(), offered("h1", "vncert"), HandoffDeclined{HandoffID: "h1", Reason: "x"}},
			by: by.PoliceCoord, when: CloseIncident{Resolution: ResolutionFalsePositive, Summary: "benign"},
			then: []Event{IncidentClosed{Resolution: ResolutionFalsePositive, Summary: "benign", Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "unknown resolution", given: []Event{opened()}, by: by.PoliceCoord, when: CloseIncident{Resolution: "DONE", Summary: "x"}, code: EINVALID},
		{name: "summary missing", given: []Event{opened()}, by: by.PoliceCoord, when: CloseIncident{Resolution: ResolutionResolved}, code: EINVALID},
		{name: "summary too long", given: []Event{opened()}, by: by.PoliceCoord,
			when: CloseIncident{Resolution: ResolutionResolved, Summary: strings.Repeat("s", 20001)}, code: ETOOLARGE},
		{name: "handoff waiting", given: []Event{opened(), offered("h1", "vncert")}, by: by.PoliceCoord, when: cl, code: ECONFLICT, msg: `withdraw handoff "h1"`},
		{name: "already closed", given: []Event{opened(), closed()}, by: by.PoliceCoord, when: cl, code: ECONFLICT},
		{name: "responder may not", given: []Event{opened()}, by: by.PoliceResp, when: cl, code: EFORBIDDEN},
		{name: "shared coordinator may not", given: []Event{opened(), shared("dic")}, by: by.DICCoord, when: cl, code: EFORBIDDEN},
	})
}

func TestIncidentReopen(t *testing.T) {
	re := ReopenIncident{Reason: "new evidence"}
	runIncidentCases(t, []incidentCase{
		{name: "coordinator reopens", given: []Event{opened(), closed()}, by: by.PoliceCoord, when: re,
			then: []Event{IncidentReopened{Reason: "new evidence", Stamp: Stamp{By: by.PoliceCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Status, IncidentStatusOpen) // open again
				is.Equal(i.Reopened, 1)                // counted
				is.Equal(i.Resolution, Resolution("")) // resolution cleared
				is.True(i.ClosedAt.IsZero())           // closing time cleared
			}},
		{name: "not closed", given: []Event{opened()}, by: by.PoliceCoord, when: re, code: ECONFLICT},
		{name: "reason missing", given: []Event{opened(), closed()}, by: by.PoliceCoord, when: ReopenIncident{}, code: EINVALID},
		{name: "responder may not", given: []Event{opened(), closed()}, by: by.PoliceResp, when: re, code: EFORBIDDEN},
		{name: "unopened", by: by.PoliceCoord, when: re, code: ENOTFOUND},
	})
}

// everyCommand holds one well-formed instance of each command on an existing incident.
var everyCommand = []any{
	Classify{Severity: SeverityLow}, AssignLead{Org: "dic"}, ChangePhase{Phase: PhaseTriage},
	AddNote{NoteID: "n9", Text: "review"}, AddIndicator{IndicatorID: "i9", Type: IndicatorIPv4, Value: "203.0.113.9"},
	Share{Orgs: []string{"dic"}}, NameRecipients{Users: []string{"dic/giang"}}, ChangeTLP{TLP: TLPRed},
	Escalate{EscalationID: "e9", ToOrg: "subcommittee", Reason: "x"}, AcknowledgeEscalation{EscalationID: "e1"},
	ResolveEscalation{EscalationID: "e1", Resolution: "x"}, OfferHandoff{HandoffID: "h9", ToOrg: "vncert", Summary: "x"},
	AcknowledgeHandoff{HandoffID: "h1"}, AcceptHandoff{HandoffID: "h1"}, DeclineHandoff{HandoffID: "h1", Reason: "x"},
	ReturnHandoff{HandoffID: "h1", Reason: "x"},
	WithdrawHandoff{HandoffID: "h1", Reason: "x"}, CloseIncident{Resolution: ResolutionResolved, Summary: "x"},
	ReopenIncident{Reason: "x"}, RecordNotification{Orgs: []string{"vncert"}, Channel: "email"},
	SubmitReport{Form: ReportFormInitial, Summary: "x"},
}

func TestIncidentCommandsOnClosedIncident(t *testing.T) {
	is := is.New(t)
	cfg := testConfig(t)
	for _, cmd := range everyCommand {
		t.Run(fmt.Sprintf("%T", cmd), func(t *testing.T) {
			is := is.New(t)
			i := MustReplay(t, opened(), escalated("e1", "subcommittee"), closed())
			err := execute(t, i, Invocation{Actor: by.PoliceCoord, Now: incNow, Config: cfg}, cmd)
			switch cmd.(type) {
			case AddNote, ReopenIncident, RecordNotification, SubmitReport:
				is.NoErr(err) // allowed on a closed incident
			default:
				is.Equal(ErrorCode(err), ECONFLICT)                                // refused
				is.True(strings.Contains(ErrorMessage(err), "incident is closed")) // says why
			}
		})
	}
	is.Equal(len(everyCommand), 21) // every command but Open
}

func TestIncidentCommandsNotFound(t *testing.T) {
	cfg := testConfig(t)
	for _, tc := range []struct {
		name  string
		given []Event
		by    Actor
	}{
		{"unopened", nil, by.PoliceCoord},
		{"outside the AMBER audience", []Event{opened(), escalated("e1", "subcommittee"), offered("h1", "vncert")}, by.PropagandaCoord},
		{"not a force, state secret at GREEN", []Event{opened(stateSecret, atTLP(TLPGreen))}, by.CertCoord},
		{"not named at RED", []Event{opened(atTLP(TLPRed))}, by.PoliceCoord2},
	} {
		for _, cmd := range everyCommand {
			t.Run(fmt.Sprintf("%s/%T", tc.name, cmd), func(t *testing.T) {
				is := is.New(t)
				err := execute(t, MustReplay(t, tc.given...), Invocation{Actor: tc.by, Now: incNow, Config: cfg}, cmd)
				is.Equal(ErrorCode(err), ENOTFOUND) // existence is not revealed
			})
		}
	}
}

func TestIncidentCommandsByAdminAndIngest(t *testing.T) {
	cfg := testConfig(t)
	cmds := append([]any{OpenIncident{Title: "x", Type: "MALWARE", Severity: SeverityLow, TLP: TLPAmber, DetectedAt: incEarlier}}, everyCommand...)
	for _, a := range []Actor{by.PoliceAdmin, {User: "feed", Org: "police", Role: RoleIngest}} {
		for _, cmd := range cmds {
			t.Run(fmt.Sprintf("%s/%T", a.Role, cmd), func(t *testing.T) {
				is := is.New(t)
				i := MustReplay(t)
				if _, ok := cmd.(OpenIncident); !ok {
					i = MustReplay(t, opened(atTLP(TLPGreen)))
				}
				err := execute(t, i, Invocation{Actor: a, Now: incNow, Config: cfg}, cmd)
				is.Equal(ErrorCode(err), EFORBIDDEN) // no incident command for this role
			})
		}
	}
}

// TestIncidentLifecycleReplays runs a whole response through commands, then rebuilds the incident
// from the stored form of its events and expects the same state.
func TestIncidentLifecycleReplays(t *testing.T) {
	is := is.New(t)
	cfg := testConfig(t)
	live := NewIncident("inc-7")
	steps := []struct {
		by  Actor
		cmd any
	}{
		{by.PoliceResp, OpenIncident{Title: "Tấn công DDoS cổng dịch vụ công", Type: "DOS", Sector: "GOVERNMENT", Severity: SeverityMedium,
			TLP: TLPAmber, DetectedAt: incEarlier, AffectedSystem: &AffectedSystem{Name: "Cổng DVC", SecurityLevel: 3, InfoClass: InfoPublic}}},
		{by.PoliceCoord, Classify{Severity: SeverityHigh, Tier: TierSerious}},
		{by.PoliceCoord, Share{Orgs: []string{"dic", "vncert"}}},
		{by.DICResp, ChangePhase{Phase: PhaseTriage}},
		{by.DICResp, AddIndicator{IndicatorID: "i1", Type: IndicatorIPv4, Value: "198.51.100.4"}},
		{by.PoliceResp, Escalate{EscalationID: "e1", ToOrg: "subcommittee", Reason: "national service down"}},
		{by.SubReviewer, AcknowledgeEscalation{EscalationID: "e1"}},
		{by.SubReviewer, AddNote{NoteID: "n1", Text: "Tiểu ban đã nắm tình hình", TLP: TLPAmberStrict}},
		{by.PoliceCoord, AssignLead{Org: "dic"}},
		{by.DICCoord, OfferHandoff{HandoffID: "h1", ToOrg: "provincial-cert", Summary: "take over mitigation", TLP: TLPAmberStrict}},
		{by.CertResp, AcknowledgeHandoff{HandoffID: "h1"}},
		{by.CertPartner, AcceptHandoff{HandoffID: "h1"}},
		{by.CertCoord, ChangePhase{Phase: PhaseRecovery}},
		{by.CertCoord, ReturnHandoff{HandoffID: "h1", Reason: "mitigation done"}},
		{by.SubCoord, ResolveEscalation{EscalationID: "e1", Resolution: "no national action needed"}},
		{by.PoliceCoord, NameRecipients{Users: []string{"dic/giang", "police/an"}}},
		{by.PoliceResp, ChangeTLP{TLP: TLPRed}},
		{by.PoliceCoord, ChangeTLP{TLP: TLPAmber, Reason: "suspects named in the press"}},
		{by.PoliceCoord, OfferHandoff{HandoffID: "h2", ToOrg: "vncert", Summary: "x"}},
		{by.PoliceCoord, WithdrawHandoff{HandoffID: "h2", Reason: "not needed"}},
		{by.PoliceCoord, OfferHandoff{HandoffID: "h3", ToOrg: "cert-health", Summary: "x"}},
		{by.HealthCERTPartner, DeclineHandoff{HandoffID: "h3", Reason: "not our sector"}},
		{by.PoliceCoord, CloseIncident{Resolution: ResolutionResolved, Summary: "service restored"}},
		{by.PoliceReviewer, AddNote{NoteID: "n2", Text: "lessons learned"}},
		{by.PoliceCoord, ReopenIncident{Reason: "attack resumed"}},
	}
	for n, s := range steps {
		err := execute(t, live, Invocation{Actor: s.by, Now: incNow.Add(time.Duration(n) * time.Minute), Config: cfg}, s.cmd)
		if err != nil {
			t.Fatalf("step %d %T: %v", n, s.cmd, err)
		}
	}
	is.Equal(len(live.Changes()), len(steps)) // one event per command
	replayed := NewIncident("inc-7")
	for _, e := range live.Changes() {
		typ, v, payload, err := EncodeEvent(e)
		is.NoErr(err) // encode
		back, err := DecodeEvent(typ, v, payload)
		is.NoErr(err) // decode
		replayed.Replay(back)
	}
	is.Equal(len(replayed.Changes()), 0) // replay records nothing
	live.ClearChanges()
	is.Equal(replayed, live)                                                     // same state from the log
	is.Equal(live.Owner, "police")                                               // handoff returned
	is.Equal(live.Lead, "dic")                                                   // lead assigned
	is.Equal(live.Status, IncidentStatusOpen)                                    // reopened
	is.Equal(live.Reopened, 1)                                                   // once
	is.Equal(live.Recipients, []string{"dic/giang", "police/an", "police/binh"}) // named and raiser
	is.Equal(live.AggregateType(), "incident")                                   // aggregate type
	is.Equal(live.AggregateID(), "inc-7")                                        // aggregate id
	var _ Aggregate = live
}

func TestNoteAddedSchemaVersions(t *testing.T) {
	t.Run("version 1 stored the text as body", func(t *testing.T) {
		is := is.New(t)
		e, err := DecodeEvent("NoteAdded", 1, []byte(`{"noteId":"n1","body":"Đã cô lập","tlp":"AMBER","by":{"user":"an","org":"police","role":"coordinator"},"at":"2025-06-02T07:00:00Z"}`))
		is.NoErr(err)                                                                                                            // version 1 decodes
		is.Equal(e, NoteAdded{NoteID: "n1", Text: "Đã cô lập", TLP: TLPAmber, Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}) // body became text
	})
	t.Run("current version is 2", func(t *testing.T) {
		is := is.New(t)
		_, v, payload, err := EncodeEvent(NoteAdded{NoteID: "n1", Text: "x"})
		is.NoErr(err)                                            // encodes
		is.Equal(v, 2)                                           // schema version
		is.True(strings.Contains(string(payload), `"text":"x"`)) // new key
	})
	t.Run("version 1 that is not an object", func(t *testing.T) {
		is := is.New(t)
		_, err := DecodeEvent("NoteAdded", 1, []byte(`[1,2]`))
		is.Equal(ErrorCode(err), EINVALID) // refused, no panic
	})
	t.Run("unknown type", func(t *testing.T) {
		is := is.New(t)
		_, err := DecodeEvent("IncidentTeleported", 1, []byte(`{}`))
		is.Equal(ErrorCode(err), EINVALID)                                 // refused
		is.True(strings.Contains(ErrorMessage(err), "IncidentTeleported")) // names the type
	})
	t.Run("future version", func(t *testing.T) {
		is := is.New(t)
		_, err := DecodeEvent("NoteAdded", 3, []byte(`{"noteId":"n1","text":"x"}`))
		is.Equal(ErrorCode(err), EINVALID)                        // refused
		is.True(strings.Contains(ErrorMessage(err), "NoteAdded")) // names the type
	})
	t.Run("every incident event is registered", func(t *testing.T) {
		is := is.New(t)
		for _, e := range []Event{IncidentOpened{}, IncidentClassified{}, LeadAssigned{}, PhaseChanged{}, NoteAdded{},
			IndicatorAdded{}, IncidentShared{}, RecipientsNamed{}, TLPChanged{}, IncidentEscalated{}, EscalationAcknowledged{},
			EscalationResolved{}, HandoffOffered{}, HandoffAcknowledged{}, HandoffAccepted{}, HandoffDeclined{}, HandoffReturned{}, HandoffWithdrawn{},
			IncidentClosed{}, IncidentReopened{}} {
			typ, v, payload, err := EncodeEvent(e)
			is.NoErr(err) // registered
			back, err := DecodeEvent(typ, v, payload)
			is.NoErr(err)     // decodes
			is.Equal(back, e) // round trip
		}
	})
	t.Run("payload is camelCase JSON", func(t *testing.T) {
		is := is.New(t)
		_, _, payload, err := EncodeEvent(escalated("e1", "subcommittee"))
		is.NoErr(err) // encodes
		var m map[string]any
		is.NoErr(json.Unmarshal(payload, &m)) // JSON object
		_, ok := m["escalationId"]
		is.True(ok) // camelCase key
	})
}

func TestPhase(t *testing.T) {
	is := is.New(t)
	want := map[Phase]string{PhaseDetected: "detection-analysis", PhaseTriage: "detection-analysis",
		PhaseContainment: "containment-eradication-recovery", PhaseEradication: "containment-eradication-recovery",
		PhaseRecovery: "containment-eradication-recovery", PhaseReview: "post-incident"}
	for n, p := range Phases {
		is.Equal(p.Rank(), n)                                  // workflow order
		is.Equal(p.NIST(), want[p])                            // NIST SP 800-61 phase
		is.True(p.LabelVi() != "" && p.LabelVi() != string(p)) // Vietnamese label
		is.True(p.LabelEn() != "" && p.LabelEn() != string(p)) // English label
	}
	is.Equal(Phase("PANIC").NIST(), "")         // unknown phase has no NIST phase
	is.Equal(Phase("PANIC").LabelEn(), "PANIC") // unknown phase shows its code
	is.True(!Phase("PANIC").Valid())            // unknown phase is invalid
}

// TestHandoffEventsStoredBeforeTLPAndRelease decodes handoff events written before handoffs had a
// TLP, an acknowledgement and a release: the TLP is the incident's at the time of the offer, and
// the origin keeps its access.
func TestHandoffEventsStoredBeforeTLPAndRelease(t *testing.T) {
	is := is.New(t)
	e, err := DecodeEvent("HandoffOffered", 1, []byte(`{"handoffId":"h1","from":"police","to":"provincial-cert","summary":"s",`+
		`"deadline":"2025-06-02T11:00:00Z","by":{"user":"an","org":"police","role":"coordinator"},"at":"2025-06-02T07:00:00Z"}`))
	is.NoErr(err) // an old offer decodes
	off := e.(HandoffOffered)
	is.Equal(off.TLP, TLP(""))    // no TLP of its own
	is.True(!off.ReleaseOnAccept) // nor a release
	a, err := DecodeEvent("HandoffAccepted", 1, []byte(`{"handoffId":"h1","by":{"user":"khanh","org":"provincial-cert","role":"coordinator"},"at":"2025-06-02T07:30:00Z"}`))
	is.NoErr(err)                                // an old acceptance decodes
	is.True(!a.(HandoffAccepted).OriginReleased) // without a release
	i := MustReplay(t, opened(atTLP(TLPGreen)), off, TLPChanged{From: TLPGreen, To: TLPAmber, Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}}, a)
	is.Equal(i.Handoff("h1").TLP, TLPGreen)                         // the incident's TLP when offered, not today's
	is.True(!i.OriginReleased)                                      // the origin was not released
	is.True(CanManage(by.PoliceCoord, i.Audience(), testConfig(t))) // and still holds the incident
}

// TestOriginReleasedUntilItOwnsAgain: a released origin that accepts ownership back holds the
// incident again.
func TestOriginReleasedUntilItOwnsAgain(t *testing.T) {
	is := is.New(t)
	cfg := testConfig(t)
	i := MustReplay(t, opened(), LeadAssigned{Org: "dic", Previous: "police"}, releasing("h1", "provincial-cert"),
		HandoffAccepted{HandoffID: "h1", OriginReleased: true, Stamp: Stamp{By: by.CertCoord, At: incEarlier}},
		HandoffOffered{HandoffID: "h2", From: "provincial-cert", To: "military", Summary: "s", TLP: TLPAmber, Deadline: incNow.Add(time.Hour), Stamp: Stamp{By: by.CertCoord, At: incEarlier}},
		accepted("h2", by.MilitaryCoord))
	is.True(i.OriginReleased)                            // a later handoff does not restore the origin
	is.True(!CanRead(by.PoliceCoord, i.Audience(), cfg)) // still out
	err := i.OfferHandoff(Invocation{Actor: by.MilitaryCoord, Now: incNow, Config: cfg},
		OfferHandoff{HandoffID: "h3", ToOrg: "police", Summary: "back to you"})
	is.NoErr(err)                                                                                                          // offered back to the origin
	is.True(CanRead(by.PoliceCoord, i.Audience(), cfg))                                                                    // which reads it as the addressee
	is.NoErr(i.AcceptHandoff(Invocation{Actor: by.PoliceCoord, Now: incNow, Config: cfg}, AcceptHandoff{HandoffID: "h3"})) // and accepts
	is.True(!i.OriginReleased)                                                                                             // owning it again, the origin holds it
	is.True(CanManage(by.PoliceCoord, i.Audience(), cfg))                                                                  // and manages it
}
