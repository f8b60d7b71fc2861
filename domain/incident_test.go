package domain

import (
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
		ID:             "inc-1",
		Title:          "Mã độc trên máy chủ Sở Y tế",
		TLP:            TLPAmber,
		PAP:            PAPAmber,
		Source:         SourceReport,
		DetectedAt:     incNow.Add(-2 * time.Hour),
		Stamp:          Stamp{By: by.PoliceCoord, At: incEarlier},
		Classification: Classification{Type: "MALWARE", RSITClass: "Malicious Code", RSITType: "Infected System", Severity: SeverityHigh, Tier: TierOrdinary, Sector: "HEALTH"},
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
