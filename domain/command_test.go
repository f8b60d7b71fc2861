package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestDecodeCommand(t *testing.T) {
	is := is.New(t)
	v, err := DecodeCommand(CmdOpenIncident, []byte(`{"title":"Defacement of the portal","type":"DEFACEMENT","severity":"HIGH","tlp":"GREEN","detectedAt":"2026-11-20T08:00:00+07:00","drill":true}`))
	is.NoErr(err) // a well-formed command
	c := v.(OpenIncident)
	is.Equal(c.Title, "Defacement of the portal")
	is.Equal(c.TLP, TLPGreen)
	is.True(c.DetectedAt.Equal(time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)))
	is.True(c.Drill)

	cases := []struct {
		name, cmd, body, code, want string
	}{
		{"unknown command", "LaunchMissiles", `{}`, EINVALID, `unknown command "LaunchMissiles"`},
		{"unknown field", CmdAddNote, `{"noteId":"n1","text":"x","colour":"red"}`, EINVALID, `unknown field "colour"`},
		{"wrong type", CmdAddNote, `{"noteId":"n1","text":42}`, EINVALID, `field "text" must be a string`},
		{"malformed", CmdAddNote, `{"noteId":`, EINVALID, "cut short"},
		{"syntax", CmdAddNote, `{"noteId" "n1"}`, EINVALID, "malformed JSON"},
		{"trailing data", CmdAddNote, `{"noteId":"n1"} {"x":1}`, EINVALID, "after the JSON object"},
		{"bad date", CmdOpenIncident, `{"detectedAt":"yesterday"}`, EINVALID, "OpenIncident"},
		{"empty", CmdAddNote, ``, EINVALID, "empty"},
		{"oversized", CmdAddNote, `{"text":"` + strings.Repeat("x", MaxCommandJSON) + `"}`, ETOOLARGE, "limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			_, err := DecodeCommand(tc.cmd, []byte(tc.body))
			is.Equal(ErrorCode(err), tc.code)                     // coded
			is.True(strings.Contains(ErrorMessage(err), tc.want)) // says what is wrong
		})
	}

	// Missing fields and invalid enum values decode, then the command refuses them.
	v, err = DecodeCommand(CmdOpenIncident, []byte(`{"type":"DEFACEMENT","severity":"SEVERE","tlp":"GREEN","detectedAt":"2026-11-20T08:00:00+07:00"}`))
	is.NoErr(err)
	inc := NewIncident("i1")
	err = inc.Open(Invocation{Actor: Actor{User: "an", Org: "dic", Role: RoleCoordinator}, Now: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Config: testConfig(t)}, v.(OpenIncident))
	is.Equal(ErrorCode(err), EINVALID) // empty title
	is.Equal(len(inc.Changes()), 0)    // nothing recorded
}
