package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

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
				TLP:         TLPGreen,
				PAP:         PAPRed,
				Drill:       true,
				Source:      SourceAlerts,
				AlertIDs:    []string{"a1", "a2"},
				DetectedAt:  incNow.Add(-time.Hour),
				Stamp:       Stamp{By: by.PoliceResp, At: incNow},
				Classification: Classification{Type: "RANSOMWARE", RSITClass: "Malicious Code", RSITType: "Infected System", Severity: SeverityCritical, Tier: TierSerious, AffectedSystem: &AffectedSystem{Name: "HIS", OwnerOrg: "dept-health", SecurityLevel: 3, InfoClass: InfoPersonal,
					ProtectionLayers: []string{"in-house", "monitoring"}}},
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
			Stamp:          Stamp{By: by.PoliceCoord, At: incNow},
			Classification: Classification{Type: "MALWARE", RSITClass: "Malicious Code", RSITType: "Infected System", Severity: SeverityHigh, Tier: TierOrdinary, Sector: "HEALTH"},
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
