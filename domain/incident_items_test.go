package domain

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/matryer/is"
)

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
