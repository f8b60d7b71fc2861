package domain

import (
	"testing"
	"time"

	"github.com/matryer/is"
)

// TestCloseRefusals: the originator may not close an incident a CERT accepted and still owns;
// an open escalation blocks the close like an unanswered offer.
func TestCloseRefusals(t *testing.T) {
	cl := CloseIncident{Resolution: ResolutionResolved, Summary: "xong"}
	closedBy := func(a Actor) []Event {
		return []Event{IncidentClosed{Resolution: ResolutionResolved, Summary: "xong", ReportDue: incNow.Add(720 * time.Hour), Stamp: Stamp{By: a, At: incNow}}}
	}
	certOwns := []Event{opened(), offered("h1", "provincial-cert"), accepted("h1", by.CertPartner)}
	resolved := EscalationResolved{EscalationID: "e1", Resolution: "đã xử lý", Stamp: Stamp{By: by.SubCoord, At: incEarlier}}
	runIncidentCases(t, []incidentCase{
		{name: "the originator while a CERT owns it", given: certOwns, by: by.PoliceCoord, when: cl, code: EFORBIDDEN, msg: `provincial-cert accepted handoff "h1"`},
		{name: "the owning CERT closes it", given: certOwns, by: by.CertCoord, when: cl, then: closedBy(by.CertCoord)},
		{name: "the originator once the CERT returned it", given: append(certOwns, HandoffReturned{HandoffID: "h1", Reason: "xong", Stamp: Stamp{By: by.CertCoord, At: incEarlier}}),
			by: by.PoliceCoord, when: cl, then: closedBy(by.PoliceCoord)},
		{name: "the lead while a CERT owns it", given: append([]Event{opened(), LeadAssigned{Org: "dic", Previous: "police"}}, certOwns[1:]...),
			by: by.DICCoord, when: cl, code: EFORBIDDEN},
		{name: "an escalation waiting for acknowledgement", given: []Event{opened(), escalated("e1", "subcommittee")}, by: by.PoliceCoord, when: cl, code: ECONFLICT, msg: "waiting for acknowledgement"},
		{name: "an acknowledged escalation not resolved", given: []Event{opened(), escalated("e1", "subcommittee"), acknowledged("e1", by.SubCoord)},
			by: by.PoliceCoord, when: cl, code: ECONFLICT, msg: "resolve it first"},
		{name: "a resolved escalation", given: []Event{opened(), escalated("e1", "subcommittee"), acknowledged("e1", by.SubCoord), resolved},
			by: by.PoliceCoord, when: cl, then: closedBy(by.PoliceCoord)},
		{name: "a missed escalation does not block", given: []Event{opened(), escalated("e1", "subcommittee"), EscalationDeadlineMissed{EscalationID: "e1", To: "subcommittee"}},
			by: by.PoliceCoord, when: cl, then: closedBy(by.PoliceCoord)},
		{name: "an offer waiting for an answer", given: []Event{opened(), offered("h1", "vncert")}, by: by.PoliceCoord, when: cl, code: ECONFLICT, msg: "withdraw"},
	})
}

// TestFormerOwnerKeepsReadAccess: a CERT that returns a handoff keeps reading what it worked on,
// its own notes included, but no longer writes; TLP still decides.
func TestFormerOwnerKeepsReadAccess(t *testing.T) {
	is := is.New(t)
	cfg := testConfig(t)
	note := NoteAdded{NoteID: "n-cert", Text: "phân tích mẫu", TLP: TLPAmber, Stamp: Stamp{By: by.CertCoord, At: incEarlier}}
	returned := HandoffReturned{HandoffID: "h1", Reason: "đã xong", Stamp: Stamp{By: by.CertCoord, At: incEarlier}}
	i := MustReplay(t, opened(), offered("h1", "provincial-cert"), accepted("h1", by.CertPartner), note, returned)
	aud := i.Audience()
	is.Equal(aud.FormerOwners, []string{"provincial-cert"})              // remembered as a former owner
	is.True(CanRead(by.CertCoord, aud, cfg))                             // still reads the incident
	is.True(CanReadItem(by.CertCoord, aud, TLPAmber, by.CertCoord, cfg)) // and its own note
	is.True(!CanWrite(by.CertCoord, aud, cfg))                           // but no longer writes
	err := execute(t, i, Invocation{Actor: by.CertCoord, Now: incNow, Config: cfg}, AddNote{NoteID: "n2", Text: "x"})
	is.Equal(ErrorCode(err), EFORBIDDEN)          // a write is refused, not hidden
	is.True(!CanRead(by.VNCERTPartner, aud, cfg)) // others outside the audience stay out

	strict := MustReplay(t, opened(), offered("h1", "provincial-cert"), accepted("h1", by.CertPartner), note, returned,
		TLPChanged{From: TLPAmber, To: TLPAmberStrict, Stamp: Stamp{By: by.PoliceCoord, At: incEarlier}})
	is.True(!CanRead(by.CertCoord, strict.Audience(), cfg)) // TLP:AMBER+STRICT is for holders only

	declined := MustReplay(t, opened(), offered("h1", "provincial-cert"), HandoffDeclined{HandoffID: "h1", Reason: "x"})
	is.True(!CanRead(by.CertCoord, declined.Audience(), cfg)) // an organisation that declined never worked on it

	secret := MustReplay(t, opened(stateSecret), offered("h1", "military"), accepted("h1", by.MilitaryCoord),
		HandoffReturned{HandoffID: "h1", Reason: "x", Stamp: Stamp{By: by.MilitaryCoord, At: incEarlier}})
	is.True(CanRead(by.MilitaryCoord, secret.Audience(), cfg)) // a force that worked on a state secret keeps it
}
