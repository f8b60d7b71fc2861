package domain

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

// commandCase is one row of an aggregate's table test: given these events, when this command,
// then these events are recorded, or the command fails with this error code.
type commandCase[A Aggregate] struct {
	name  string
	given []Event
	when  func(A) error
	then  []Event
	code  string // expected error code; "" means success
	msg   string // a part of the expected error message, when it matters
}

// runCommandCases runs table rows against fresh aggregates. A refused command must record
// nothing; recorded events must survive the log's codec unchanged.
func runCommandCases[A Aggregate](t *testing.T, fresh func() A, cases []commandCase[A]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			a := fresh()
			for _, e := range tc.given {
				a.Replay(e)
			}
			err := tc.when(a)
			if tc.code != "" {
				t.Log(err)
				is.Equal(ErrorCode(err), tc.code)                    // error code
				is.True(strings.Contains(ErrorMessage(err), tc.msg)) // error message
				is.Equal(len(a.Changes()), 0)                        // a refused command records nothing
				return
			}
			is.NoErr(err)                  // command
			is.Equal(a.Changes(), tc.then) // recorded events
			for _, e := range a.Changes() {
				typ, v, payload, err := EncodeEvent(e)
				is.NoErr(err) // encode event
				back, err := DecodeEvent(typ, v, payload)
				is.NoErr(err)      // decode event
				is.Equal(back, e)  // event survives the codec
				is.Equal(v, 1)     // schema version
				is.True(typ != "") // event type
			}
		})
	}
}

// Fixtures of the organisation tests. Times are UTC so that they compare equal after JSON.
var (
	orgTestNow         = time.Date(2025, 6, 2, 2, 0, 0, 0, time.UTC)
	orgTestCfg         = DefaultConfig()
	orgTestAdmin       = Actor{User: "an", Org: "dic", Role: RoleAdmin}
	orgTestCoord       = Actor{User: "binh", Org: "dic", Role: RoleCoordinator}
	orgTestResponder   = Actor{User: "chi", Org: "dic", Role: RoleResponder}
	orgTestPoliceAdmin = Actor{User: "dung", Org: "police", Role: RoleAdmin}
)

func orgInv(a Actor) Invocation { return Invocation{Actor: a, Now: orgTestNow, Config: orgTestCfg} }

func orgTestFocal(name, phone, email string) *FocalPoint {
	return &FocalPoint{Name: name, Title: "Phó trưởng phòng", Phone: phone, Email: email}
}

func TestOrgProfileSetFocalPoints(t *testing.T) {
	lan := orgTestFocal("Nguyễn Thị Lan", "+84 (24) 3825-1234", "lan@stc.example.gov.vn")
	minh := orgTestFocal("Trần Văn Minh", "0912 345 678", "minh@stc.example.gov.vn")
	set := func(a Actor, primary, backup *FocalPoint) func(*OrgProfile) error {
		return func(p *OrgProfile) error {
			return p.SetFocalPoints(orgInv(a), SetFocalPoints{Primary: primary, Backup: backup})
		}
	}
	recorded := func(a Actor, primary, backup *FocalPoint) FocalPointsSet {
		return FocalPointsSet{Org: "dic", Primary: primary, Backup: backup, Stamp: Stamp{By: a, At: orgTestNow}}
	}
	withBoth := []Event{recorded(orgTestAdmin, lan, minh)}
	with := func(f func(*FocalPoint)) *FocalPoint { c := *lan; f(&c); return &c }

	runCommandCases(t, func() *OrgProfile { return NewOrgProfile("dic") }, []commandCase[*OrgProfile]{
		{name: "admin sets primary", when: set(orgTestAdmin, lan, nil), then: []Event{recorded(orgTestAdmin, lan, nil)}},
		{name: "coordinator sets both", when: set(orgTestCoord, lan, minh), then: []Event{recorded(orgTestCoord, lan, minh)}},
		{name: "values are trimmed",
			when: set(orgTestAdmin, &FocalPoint{Name: "  Nguyễn Thị Lan ", Title: " Phó trưởng phòng", Phone: " +84 (24) 3825-1234", Email: "lan@stc.example.gov.vn "}, nil),
			then: []Event{recorded(orgTestAdmin, lan, nil)}},
		{name: "swap primary and backup", given: withBoth, when: set(orgTestAdmin, minh, lan), then: []Event{recorded(orgTestAdmin, minh, lan)}},
		{name: "remove backup", given: withBoth, when: set(orgTestAdmin, lan, nil), then: []Event{recorded(orgTestAdmin, lan, nil)}},

		{name: "organisation not in directory", code: ENOTFOUND,
			when: func(*OrgProfile) error {
				return NewOrgProfile("nosuch").SetFocalPoints(orgInv(Actor{User: "x", Org: "nosuch", Role: RoleAdmin}), SetFocalPoints{Primary: lan})
			}},
		{name: "responder may not", when: set(orgTestResponder, lan, nil), code: EFORBIDDEN},
		{name: "admin of another org may not", when: set(orgTestPoliceAdmin, lan, nil), code: EFORBIDDEN},
		{name: "primary missing", when: set(orgTestAdmin, nil, minh), code: EINVALID, msg: "primary"},
		{name: "name missing", when: set(orgTestAdmin, with(func(f *FocalPoint) { f.Name = " " }), nil), code: EINVALID, msg: "name"},
		{name: "name too long", when: set(orgTestAdmin, with(func(f *FocalPoint) { f.Name = strings.Repeat("ễ", 201) }), nil), code: EINVALID, msg: "200"},
		{name: "title too long", when: set(orgTestAdmin, with(func(f *FocalPoint) { f.Title = strings.Repeat("a", 201) }), nil), code: EINVALID, msg: "title"},
		{name: "phone missing", when: set(orgTestAdmin, with(func(f *FocalPoint) { f.Phone = "" }), nil), code: EINVALID, msg: "phone"},
		{name: "phone with letters", when: set(orgTestAdmin, with(func(f *FocalPoint) { f.Phone = "0912 ABC 678" }), nil), code: EINVALID, msg: "phone"},
		{name: "phone too short", when: set(orgTestAdmin, with(func(f *FocalPoint) { f.Phone = "12-345" }), nil), code: EINVALID, msg: "6 to 20 digits"},
		{name: "phone too long", when: set(orgTestAdmin, with(func(f *FocalPoint) { f.Phone = strings.Repeat("1", 21) }), nil), code: EINVALID, msg: "6 to 20 digits"},
		{name: "email missing", when: set(orgTestAdmin, with(func(f *FocalPoint) { f.Email = "" }), nil), code: EINVALID, msg: "email"},
		{name: "email invalid", when: set(orgTestAdmin, with(func(f *FocalPoint) { f.Email = "lan@" }), nil), code: EINVALID, msg: "email"},
		{name: "email with display name", when: set(orgTestAdmin, with(func(f *FocalPoint) { f.Email = "Lan <lan@stc.example.gov.vn>" }), nil), code: EINVALID, msg: "email"},
		{name: "backup invalid", when: set(orgTestAdmin, lan, &FocalPoint{Name: "Minh", Phone: "x", Email: "minh@stc.example.gov.vn"}), code: EINVALID, msg: "backup"},
		{name: "backup is the primary", when: set(orgTestAdmin, lan, with(func(f *FocalPoint) { f.Email = "LAN@stc.example.gov.vn" })), code: EINVALID, msg: "different person"},
		{name: "nothing changed", given: withBoth, when: set(orgTestCoord, lan, minh), code: EINVALID, msg: "nothing to change"},
	})
}

func TestOrgProfileState(t *testing.T) {
	is := is.New(t)
	p := NewOrgProfile("dic")
	is.Equal(p.AggregateType(), "org") // aggregate type
	is.Equal(p.AggregateID(), "dic")   // aggregate id
	lan := orgTestFocal("Nguyễn Thị Lan", "0912345678", "lan@stc.example.gov.vn")
	is.NoErr(p.SetFocalPoints(orgInv(orgTestAdmin), SetFocalPoints{Primary: lan})) // set focal points
	lan.Name = "changed by the caller"
	is.Equal(p.Primary.Name, "Nguyễn Thị Lan") // the aggregate keeps its own copy
	is.Equal(p.Backup, nil)                    // no backup
	is.Equal(p.UpdatedAt, orgTestNow)          // updated at
	is.Equal(p.UpdatedBy, orgTestAdmin)        // updated by
	var _ Aggregate = p
}

func TestFocalPointNotLogged(t *testing.T) {
	is := is.New(t)
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("oops", "focal", FocalPoint{Name: "Nguyễn Thị Lan", Phone: "0912345678", Email: "lan@example.gov.vn"})
	is.True(!strings.Contains(buf.String(), "0912345678")) // phone kept out of logs
	is.True(!strings.Contains(buf.String(), "lan@"))       // email kept out of logs
}
