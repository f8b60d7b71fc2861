package eventstore

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
)

var t0 = time.Date(2026, 11, 21, 1, 2, 3, 123456789, time.UTC)

func stampAt(i int) domain.Stamp {
	return domain.Stamp{By: domain.Actor{User: "lan", Org: "so-tt-tt", Role: domain.RoleCoordinator}, At: t0.Add(time.Duration(i) * time.Minute)}
}

// odd is text that v1 and v2 write differently (HTML characters, U+2028, escapes) and that must
// still come back exactly.
const odd = "Đã \"cô lập\" máy chủ <web01> & db\\02\n\ttab \u2028 😀"

// representativeEvents has every registered event type at least once, with its fields set in the
// ways v1 and v2 differ: nil and empty slices, nil and set pointers, zero and set times and
// durations, false and true flags tagged omitempty, raw JSON with escapes. (An empty slice in a
// field tagged omitempty is left out: v1 and v2 both omit it, so it reads back nil; the domain
// means "none" either way.)
func representativeEvents() []domain.Event {
	ind := domain.AlertIndicator{Type: "ipv4", Value: "203.0.113.5"}
	received := domain.AlertReceived{Alert: "al-1", Fingerprint: "fp", Org: "soc-a", Source: "wazuh", SourceRef: "r-9", RuleID: "5710",
		Title: odd, Severity: domain.SeverityHigh, ObservedAt: t0, Asset: "web01", Indicators: []domain.AlertIndicator{ind}, TLP: domain.TLPAmber,
		Raw: json.RawMessage(`{"msg":"caf\u00e9 \/ <b>","n":1.50,"a":[true,null,-0],"e":""}`), Stamp: stampAt(1)}
	return []domain.Event{
		// alert series and suppressions
		received,
		domain.AlertReceived{Alert: "al-2", Org: "soc-a", Source: "s", Title: "bare", Severity: domain.SeverityLow, ObservedAt: t0, TLP: domain.TLPClear, Stamp: stampAt(2)},
		domain.AlertRepeated{Alert: "al-1", ObservedAt: t0.Add(time.Second), Count: 2, Stamp: stampAt(3)},
		domain.AlertRepeated{Count: 3, Stamp: stampAt(3)},
		domain.AlertSuppressed{Rule: "sup-1", Alert: "al-1", Report: received, Stamp: stampAt(4)},
		domain.AlertCorrelated{Alert: "al-1", Incidents: []string{}, Reason: "asset", Stamp: stampAt(5)},
		domain.AlertCorrelated{Alert: "al-1", Incidents: []string{"inc-1", "inc-2"}, Reason: "asset,indicator", Stamp: stampAt(5)},
		domain.AlertDismissed{Alert: "al-1", Reason: odd, Stamp: stampAt(6)},
		domain.AlertPromoted{Alert: "al-1", Incident: "inc-1", Merged: true, Stamp: stampAt(7)},
		domain.AlertPromoted{Incident: "inc-1", Stamp: stampAt(7)},
		domain.AlertDetached{Alert: "al-1", Incident: "inc-1", Reason: "wrong", Stamp: stampAt(8)},
		domain.SuppressionSet{Source: "wazuh", Asset: "web01", Indicator: &ind, RuleID: "5710", From: t0, Until: t0.Add(time.Hour), Reason: "maintenance", Stamp: stampAt(9)},
		domain.SuppressionSet{Source: "wazuh", From: t0, Until: t0.Add(time.Hour), Reason: "noise", Stamp: stampAt(9)},
		domain.SuppressionRemoved{Reason: "done", Stamp: stampAt(10)},
		// incidents
		domain.IncidentOpened{
			ID:             "inc-1",
			Title:          odd,
			Description:    "mô tả",
			TLP:            domain.TLPRed,
			PAP:            domain.PAPAmber,
			Drill:          false,
			Source:         domain.SourceAlerts,
			AlertIDs:       []string{"al-1"},
			DetectedAt:     t0,
			Stamp:          stampAt(11),
			Classification: domain.Classification{Type: "malware", RSITClass: "malicious-code", RSITType: "infection", Severity: domain.SeverityCritical, Tier: domain.TierSerious, Sector: "energy", AffectedSystem: &domain.AffectedSystem{Name: "SCADA", OwnerOrg: "evn", SecurityLevel: 4, InfoClass: domain.InfoSecretConfident, ProtectionLayers: []string{"1", "2"}}},
		},
		domain.IncidentOpened{
			ID:             "inc-2",
			Title:          "drill",
			TLP:            domain.TLPGreen,
			PAP:            domain.PAPClear,
			Drill:          true,
			Source:         domain.SourceReport,
			DetectedAt:     t0,
			Stamp:          stampAt(11),
			Classification: domain.Classification{Type: "ddos", Severity: domain.SeverityLow, Tier: domain.TierOrdinary, AffectedSystem: &domain.AffectedSystem{Name: "web"}},
		},
		domain.IncidentClassified{Stamp: stampAt(12), Classification: domain.Classification{Type: "phishing", RSITClass: "fraud", RSITType: "phishing", Severity: domain.SeverityMedium, Tier: domain.TierOrdinary}},
		domain.LeadAssigned{Org: "cong-an", Previous: "so-tt-tt", Stamp: stampAt(13)},
		domain.PhaseChanged{From: domain.PhaseDetected, To: domain.PhaseContainment, Reason: "isolated", Stamp: stampAt(14)},
		domain.NoteAdded{NoteID: "n-1", Text: odd, TLP: domain.TLPAmberStrict, Stamp: stampAt(15)},
		domain.IndicatorAdded{IndicatorID: "i-1", Type: "domain", Value: "evil.example", TLP: domain.TLPGreen, Stamp: stampAt(16)},
		domain.IncidentShared{Orgs: []string{"vncert", "quan-su"}, Stamp: stampAt(17)},
		domain.RecipientsNamed{Stamp: stampAt(18)},
		domain.TLPChanged{From: domain.TLPAmber, To: domain.TLPRed, Stamp: stampAt(19)},
		domain.IncidentEscalated{EscalationID: "e-1", From: "so-tt-tt", To: "cong-an", Reason: "serious", Deadline: t0.Add(15 * time.Minute),
			PolicyVersion: "2026.1", RuleID: "serious", Chain: []domain.ChainStep{{Org: "quan-su", AckWithin: domain.Duration(30 * time.Minute)}, {Org: "vncert"}},
			Auto: true, RemindAt: t0.Add(10 * time.Minute), RemindBefore: domain.Duration(5 * time.Minute), Follows: "e-0", Skipped: []string{"x"}, Stamp: stampAt(20)},
		domain.IncidentEscalated{EscalationID: "e-2", From: "a", To: "b", Reason: "r", Deadline: t0, Stamp: stampAt(20)},
		domain.EscalationAcknowledged{EscalationID: "e-1", Late: true, Stamp: stampAt(21)},
		domain.EscalationResolved{EscalationID: "e-1", Resolution: "done", Stamp: stampAt(22)},
		domain.HandoffOffered{HandoffID: "h-1", From: "so-tt-tt", To: "vncert", Summary: odd, RequestedAction: "analyse", TLP: domain.TLPAmber,
			ReleaseOnAccept: true, Deadline: t0.Add(time.Hour), PolicyVersion: "2026.1", RuleID: "r", Chain: []string{"cert-energy"}, Auto: true,
			RemindAt: t0.Add(50 * time.Minute), RemindBefore: domain.Duration(10 * time.Minute), Follows: "h-0", Skipped: []string{"y"}, Stamp: stampAt(23)},
		domain.HandoffOffered{HandoffID: "h-2", From: "a", To: "b", Summary: "s", Deadline: t0, Stamp: stampAt(23)},
		domain.HandoffAcknowledged{HandoffID: "h-1", Stamp: stampAt(24)},
		domain.HandoffAccepted{HandoffID: "h-1", OriginReleased: true, Stamp: stampAt(25)},
		domain.HandoffDeclined{HandoffID: "h-1", Reason: "busy", Stamp: stampAt(26)},
		domain.HandoffReturned{HandoffID: "h-1", Reason: "done", Stamp: stampAt(27)},
		domain.HandoffWithdrawn{HandoffID: "h-1", Reason: "moot", Stamp: stampAt(28)},
		domain.IncidentClosed{Resolution: domain.ResolutionResolved, Summary: odd, ReportDue: t0.Add(48 * time.Hour), Stamp: stampAt(29)},
		domain.IncidentClosed{Resolution: domain.ResolutionFalsePositive, Summary: "fp", Stamp: stampAt(29)},
		domain.IncidentReopened{Reason: "again", Stamp: stampAt(30)},
		domain.IncidentAlertsMerged{Alerts: []string{"al-2", "al-3"}, Stamp: stampAt(31)},
		domain.IncidentAlertDetached{Alert: "al-2", Reason: "unrelated", Stamp: stampAt(32)},
		// deadlines
		domain.EscalationDeadlineMissed{EscalationID: "e-1", To: "cong-an", Deadline: t0, Stamp: stampAt(33)},
		domain.EscalationReminderDue{EscalationID: "e-1", To: "cong-an", Deadline: t0, Stamp: stampAt(34)},
		domain.EscalationChainExhausted{EscalationID: "e-1", RuleID: "r", Skipped: []string{"a"}, Stamp: stampAt(35)},
		domain.EscalationChainExhausted{EscalationID: "e-1", Stamp: stampAt(35)},
		domain.EscalationChainBlocked{EscalationID: "e-1", RuleID: "r", Reason: "no rights", Pending: []string{"b"}, Stamp: stampAt(36)},
		domain.HandoffDeadlineMissed{HandoffID: "h-1", To: "vncert", Deadline: t0, Stamp: stampAt(37)},
		domain.HandoffReminderDue{HandoffID: "h-1", To: "vncert", Deadline: t0, Stamp: stampAt(38)},
		domain.HandoffChainExhausted{HandoffID: "h-1", Owner: "so-tt-tt", Stamp: stampAt(39)},
		domain.HandoffChainBlocked{HandoffID: "h-1", Owner: "so-tt-tt", Reason: "r", Pending: []string{"c"}, Stamp: stampAt(40)},
		domain.NotificationRecorded{Channel: "phone", Stamp: stampAt(41)},
		domain.NotificationRecorded{Orgs: []string{"vncert"}, Channel: "email", Reference: "CV-12", Drill: true, Stamp: stampAt(41)},
		domain.NotificationDeadlineMissed{Due: t0, Missing: []string{}, PolicyVersion: "2026.1", RuleID: "r", Stamp: stampAt(42)},
		domain.ReportSubmitted{Form: domain.ReportFormInitial, Reference: "BC-1", Summary: odd, Late: true, Drill: true, Stamp: stampAt(43)},
		domain.ReportSubmitted{Form: domain.ReportFormClosing, Summary: "s", Stamp: stampAt(43)},
		domain.ClosingReportOverdue{Due: t0, Owner: "so-tt-tt", Stamp: stampAt(44)},
		// organisations, periodic reports
		domain.FocalPointsSet{Org: "so-tt-tt", Primary: &domain.FocalPoint{Name: "Nguyễn Văn A", Title: "Trưởng phòng", Phone: "+84 90", Email: "a@example.vn"}, Stamp: stampAt(45)},
		domain.FocalPointsSet{Org: "so-tt-tt", Primary: &domain.FocalPoint{Name: "B", Phone: "1", Email: "b@x"}, Backup: &domain.FocalPoint{Name: "C", Phone: "2", Email: "c@x"}, Stamp: stampAt(45)},
		domain.PeriodicReportSubmitted{Org: "so-tt-tt", Period: "H1", Year: 2026, Due: t0, Late: true, Reference: "R", Summary: "s",
			Lines: []domain.PeriodicReportLine{{Type: "malware", Count: 3, HandledAlone: 2, NationalHelp: 1, EstimatedDamage: "1 tỷ"}}, Stamp: stampAt(46)},
		domain.PeriodicReportSubmitted{Org: "so-tt-tt", Period: "YEAR", Year: 2026, Due: t0, Stamp: stampAt(46)},
		domain.PeriodicReportOverdue{Org: "so-tt-tt", Period: "H1", Year: 2026, Due: t0, Stamp: stampAt(47)},
		// tokens, users, webhooks
		domain.TokenIssued{TokenID: "t-1", Org: "so-tt-tt", User: "lan", Role: domain.RoleAdmin, IssuedAt: t0, ExpiresAt: t0.Add(24 * time.Hour), Stamp: stampAt(48)},
		domain.TokenRevoked{TokenID: "t-1", Reason: "lost", Stamp: stampAt(49)},
		domain.SignInLinkIssued{TokenID: "t-1", CodeHash: "9f86d081884c7d659a2feaa0c55ad015", ExpiresAt: t0.Add(10 * time.Minute), Stamp: stampAt(49)},
		domain.SignInLinkRedeemed{TokenID: "t-1", Stamp: stampAt(49)},
		domain.UserRegistered{User: "so-tt-tt/lan", Org: "so-tt-tt", Name: "lan", DisplayName: "Lan Nguyễn", Roles: []domain.Role{domain.RoleCoordinator, domain.RoleReviewer}, Stamp: stampAt(50)},
		domain.UserRegistered{User: "so-tt-tt/x", Org: "so-tt-tt", Name: "x", Stamp: stampAt(50)},
		domain.RoleGranted{Role: domain.RoleResponder, Stamp: stampAt(51)},
		domain.RoleRevoked{Role: domain.RoleResponder, Stamp: stampAt(52)},
		domain.UserDisabled{Reason: "left", Stamp: stampAt(53)},
		domain.WebhookRegistered{WebhookID: "w-1", Org: "vncert", URL: "https://hook.example/x?a=1&b=<2>", Description: odd, FromSequence: 1<<63 + 5, Stamp: stampAt(54)},
		domain.WebhookDisabled{WebhookID: "w-1", Stamp: stampAt(55)},
		domain.WebhookDeliveryFailed{WebhookID: "w-1", Sequence: 42, Attempts: 5, Status: 0, Error: "timeout", Stamp: stampAt(56)},
		domain.WebhookDeliveryFailed{WebhookID: "w-1", Sequence: 43, Attempts: 1, Status: 503, Error: "unavailable", Stamp: stampAt(56)},
		// evidence and reviews
		domain.EvidenceAdded{EvidenceID: "ev-1", Name: "nhật ký.log", MediaType: "text/plain", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Size: 1 << 20, TLP: domain.TLPAmber, SourceSystem: odd, Description: "d", CollectedAt: t0, Object: "ev-1", Stamp: stampAt(59)},
		domain.EvidenceCustodyTransferred{EvidenceID: "ev-1", From: "so-tt-tt/lan", To: "cong-an/an", Reason: odd, Stamp: stampAt(60)},
		domain.EvidenceDownloaded{EvidenceID: "ev-1", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Stamp: stampAt(61)},
		domain.ReviewOpened{ReviewID: "r-1", Title: odd, IncidentID: "i-1", Pin: domain.ReviewPin{Origin: "o", TreeSize: 9, RootHash: "cm9vdA==", Checkpoint: "o\n9\n",
			IncidentSequence: 8, IncidentVersion: 3}, Signers: []string{"cong-an", "so-tt-tt"}, Stamp: stampAt(62)},
		domain.ReviewOpened{ReviewID: "r-2", Title: "p", PeriodFrom: t0, PeriodTo: t0.Add(time.Hour), Pin: domain.ReviewPin{Origin: "o", TreeSize: 9}, Signers: []string{"x"}, Stamp: stampAt(62)},
		domain.ReviewSignedOff{Comment: odd, TreeSize: 9, RootHash: "cm9vdA==", Stamp: stampAt(63)},
		domain.ReviewObjected{Comment: "no", TreeSize: 9, RootHash: "cm9vdA==", Stamp: stampAt(64)},
		domain.ReviewFindingRecorded{FindingID: "f-1", Kind: domain.FindingKindLesson, Text: odd, TLP: domain.TLPRed, Stamp: stampAt(65)},
		domain.ReviewCompleted{Signers: []string{"cong-an"}, Stamp: stampAt(66)},
		// this package's test events
		Added{Amount: 7, Note: odd, Stamp: stampAt(57)},
		Reset{Stamp: stampAt(58)},
	}
}

// Every domain event, stored as a commit and read back, is exactly the event recorded; the
// payload keeps the stamp inlined and stays readable by encoding/json v1 as well.
func TestEveryEventRoundTrips(t *testing.T) {
	is := is.New(t)
	events := representativeEvents()
	covered := map[string]bool{}
	for _, e := range events {
		covered[e.EventType()] = true
	}
	for _, tv := range domain.EventTypes() {
		typ, _, _ := strings.Cut(tv, "@")
		is.True(covered[typ]) // every registered event type is in the table
	}

	body := commitBody{ID: "c", AggregateType: "mixed", AggregateID: "x", Version: uint64(len(events)), Actor: stampAt(0).By, OccurredAt: t0}
	buf, err := encodeCommit(&body, events)
	is.NoErr(err) // the commit encodes
	c, err := decodeCommit(1, "s", t0, bytes.Clone(buf.Bytes()))
	is.NoErr(err) // and decodes
	envs, err := c.Envelopes()
	is.NoErr(err) // every event decodes
	for i, env := range envs {
		t.Run(env.Type, func(t *testing.T) {
			is := is.New(t)
			is.True(reflect.DeepEqual(env.Event, events[i])) // read back exactly as recorded
			alone, err := PayloadCodec.Marshal(events[i])
			is.NoErr(err)                                // the codec encodes it on its own
			is.Equal(string(env.Payload), string(alone)) // to the bytes stored inside the commit
			var members map[string]jsontext.Value
			is.NoErr(jsonv2.Unmarshal(env.Payload, &members))     // the payload is a JSON object
			is.True(members["by"] != nil && members["at"] != nil) // with the stamp inlined
			v1, err := domain.StdJSON.Decode(env.Type, env.SchemaVersion, env.Payload)
			is.NoErr(err)                             // encoding/json reads it too
			is.True(reflect.DeepEqual(v1, events[i])) // to the same event
		})
	}
}

// A time with an offset comes back as the same instant in the same offset.
func TestEventTimeKeepsOffset(t *testing.T) {
	is := is.New(t)
	ict := t0.In(time.FixedZone("ICT", 7*3600))
	_, _, payload, err := PayloadCodec.Encode(domain.AlertRepeated{ObservedAt: ict, Stamp: stampAt(1)})
	is.NoErr(err)                                                                                    // encodes
	is.True(strings.Contains(string(payload), `"observedAt":"2026-11-21T08:02:03.123456789+07:00"`)) // RFC 3339, nanoseconds
	e, err := PayloadCodec.Decode("AlertRepeated", 1, payload)
	is.NoErr(err) // decodes
	got := e.(domain.AlertRepeated).ObservedAt
	_, off := got.Zone()
	is.True(got.Equal(ict)) // same instant
	is.Equal(off, 7*3600)   // same offset
}

// Where v2 is stricter than v1 it stays so: what is stored is what was meant.
func TestStoredJSONIsStrict(t *testing.T) {
	is := is.New(t)
	body := commitBody{ID: "c", AggregateType: "counter", AggregateID: "x", Version: 1, OccurredAt: t0}
	_, err := encodeCommit(&body, []domain.Event{domain.NoteAdded{NoteID: "n", Text: "bad \xff byte", Stamp: stampAt(1)}})
	is.Equal(domain.ErrorCode(err), domain.EINVALID)                 // invalid UTF-8 is refused, not replaced by U+FFFD
	is.True(strings.Contains(domain.ErrorMessage(err), "NoteAdded")) // naming the event

	_, err = PayloadCodec.Decode("TestAdded", 2, []byte(`{"amount":1,"amount":1000}`))
	is.True(err != nil) // a duplicate name is refused, not "last one wins"
	e, err := PayloadCodec.Decode("TestAdded", 2, []byte(`{"Amount":1000}`))
	is.NoErr(err)                 // an unknown member is ignored…
	is.Equal(e.(Added).Amount, 0) // …and names match case-sensitively
	_, err = decodeCommit(1, "s", t0, []byte(`{"format":2,"id":"c","aggregateType":"counter","aggregateId":"x","version":1,"prev":"","actor":{"user":"","org":"","role":""},"occurredAt":"2026-01-01T00:00:00Z","events":[{"id":"e","type":"TestReset","schema":1,"data":{}}],"extra":1}`))
	is.True(err != nil && strings.Contains(err.Error(), "not a dieuphoi commit")) // a body member this release does not know is refused
}
