package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

var (
	userTestNow    = time.Date(2025, 6, 2, 3, 0, 0, 0, time.UTC)
	userTestCfg    = DefaultConfig()
	userTestAdmin  = Actor{User: "an", Org: "dic", Role: RoleAdmin}
	userTestCoord  = Actor{User: "binh", Org: "dic", Role: RoleCoordinator}
	userTestOutsid = Actor{User: "dung", Org: "police", Role: RoleAdmin}
)

func userInv(a Actor) Invocation { return Invocation{Actor: a, Now: userTestNow, Config: userTestCfg} }

func TestUserID(t *testing.T) {
	is := is.New(t)
	is.Equal(UserID("dic", "lan.nguyen"), "dic/lan.nguyen") // org/login
	u := NewUser(UserID("dic", "lan"))
	is.Equal(u.AggregateType(), "user")  // aggregate type
	is.Equal(u.AggregateID(), "dic/lan") // aggregate id
	var _ Aggregate = u
}

func TestUserRegister(t *testing.T) {
	register := func(a Actor, c RegisterUser) func(*User) error {
		return func(u *User) error { return u.Register(userInv(a), c) }
	}
	ok := RegisterUser{Org: "dic", Name: "lan", DisplayName: " Nguyễn Thị Lan ", Roles: []Role{RoleResponder, RoleCoordinator, RoleResponder}}
	registered := UserRegistered{
		User:        "dic/lan",
		Org:         "dic",
		Name:        "lan",
		DisplayName: "Nguyễn Thị Lan",
		Roles:       []Role{RoleResponder, RoleCoordinator},
		Stamp:       Stamp{By: userTestAdmin, At: userTestNow},
	}
	with := func(f func(*RegisterUser)) RegisterUser { c := ok; f(&c); return c }

	runCommandCases(t, func() *User { return NewUser("dic/lan") }, []commandCase[*User]{
		{name: "admin registers, duplicate roles dropped", when: register(userTestAdmin, ok), then: []Event{registered}},
		{name: "login with dots, dashes and underscores",
			when: func(*User) error {
				u := NewUser("dic/lan.nguyen_2-x")
				return u.Register(userInv(userTestAdmin), with(func(c *RegisterUser) { c.Name = "lan.nguyen_2-x" }))
			}},
		{name: "unknown organisation", code: ENOTFOUND,
			when: register(Actor{User: "x", Org: "nosuch", Role: RoleAdmin}, with(func(c *RegisterUser) { c.Org = "nosuch" }))},
		{name: "coordinator may not", when: register(userTestCoord, ok), code: EFORBIDDEN},
		{name: "admin of another org may not", when: register(userTestOutsid, ok), code: EFORBIDDEN},
		{name: "upper-case login", when: register(userTestAdmin, with(func(c *RegisterUser) { c.Name = "Lan" })), code: EINVALID, msg: "login"},
		{name: "empty login", when: register(userTestAdmin, with(func(c *RegisterUser) { c.Name = "" })), code: EINVALID, msg: "login"},
		{name: "login with slash", when: register(userTestAdmin, with(func(c *RegisterUser) { c.Name = "a/b" })), code: EINVALID, msg: "login"},
		{name: "login too long", when: register(userTestAdmin, with(func(c *RegisterUser) { c.Name = strings.Repeat("a", 65) })), code: EINVALID, msg: "login"},
		{name: "id does not match", when: register(userTestAdmin, with(func(c *RegisterUser) { c.Name = "minh" })), code: EINVALID, msg: "dic/minh"},
		{name: "no roles", when: register(userTestAdmin, with(func(c *RegisterUser) { c.Roles = nil })), code: EINVALID, msg: "at least one role"},
		{name: "invalid role", when: register(userTestAdmin, with(func(c *RegisterUser) { c.Roles = []Role{"root"} })), code: EINVALID, msg: `"root"`},
		{name: "display name too long", when: register(userTestAdmin, with(func(c *RegisterUser) { c.DisplayName = strings.Repeat("ệ", 201) })), code: EINVALID},
		{name: "registered twice", given: []Event{registered}, when: register(userTestAdmin, ok), code: ECONFLICT},
	})
}

func TestUserRoles(t *testing.T) {
	registered := UserRegistered{User: "dic/lan", Org: "dic", Name: "lan", Roles: []Role{RoleResponder}, Stamp: Stamp{By: userTestAdmin, At: userTestNow}}
	disabled := UserDisabled{Reason: "left the department", Stamp: Stamp{By: userTestAdmin, At: userTestNow}}
	grant := func(a Actor, r Role) func(*User) error {
		return func(u *User) error { return u.GrantRole(userInv(a), GrantRole{Role: r}) }
	}
	revoke := func(a Actor, r Role) func(*User) error {
		return func(u *User) error { return u.RevokeRole(userInv(a), RevokeRole{Role: r}) }
	}
	disable := func(a Actor, reason string) func(*User) error {
		return func(u *User) error { return u.Disable(userInv(a), DisableUser{Reason: reason}) }
	}
	given := []Event{registered}

	runCommandCases(t, func() *User { return NewUser("dic/lan") }, []commandCase[*User]{
		{name: "grant", given: given, when: grant(userTestAdmin, RoleCoordinator),
			then: []Event{RoleGranted{Role: RoleCoordinator, Stamp: Stamp{By: userTestAdmin, At: userTestNow}}}},
		{name: "grant to unregistered user", when: grant(userTestAdmin, RoleCoordinator), code: ENOTFOUND},
		{name: "grant by coordinator", given: given, when: grant(userTestCoord, RoleCoordinator), code: EFORBIDDEN},
		{name: "grant by admin of another org", given: given, when: grant(userTestOutsid, RoleCoordinator), code: EFORBIDDEN},
		{name: "grant invalid role", given: given, when: grant(userTestAdmin, "superuser"), code: EINVALID},
		{name: "grant held role", given: given, when: grant(userTestAdmin, RoleResponder), code: ECONFLICT},
		{name: "grant to disabled user", given: []Event{registered, disabled}, when: grant(userTestAdmin, RoleCoordinator), code: ECONFLICT},

		{name: "revoke", given: given, when: revoke(userTestAdmin, RoleResponder),
			then: []Event{RoleRevoked{Role: RoleResponder, Stamp: Stamp{By: userTestAdmin, At: userTestNow}}}},
		{name: "revoke a granted role", given: []Event{registered, RoleGranted{Role: RoleAdmin}}, when: revoke(userTestAdmin, RoleAdmin),
			then: []Event{RoleRevoked{Role: RoleAdmin, Stamp: Stamp{By: userTestAdmin, At: userTestNow}}}},
		{name: "revoke absent role", given: given, when: revoke(userTestAdmin, RoleAdmin), code: ECONFLICT},
		{name: "revoke a revoked role", given: []Event{registered, RoleRevoked{Role: RoleResponder}}, when: revoke(userTestAdmin, RoleResponder), code: ECONFLICT},
		{name: "revoke invalid role", given: given, when: revoke(userTestAdmin, ""), code: EINVALID},
		{name: "revoke from unregistered user", when: revoke(userTestAdmin, RoleResponder), code: ENOTFOUND},
		{name: "revoke by another org", given: given, when: revoke(userTestOutsid, RoleResponder), code: EFORBIDDEN},
		{name: "revoke from disabled user", given: []Event{registered, disabled}, when: revoke(userTestAdmin, RoleResponder), code: ECONFLICT},

		{name: "disable", given: given, when: disable(userTestAdmin, " left the department "), then: []Event{disabled}},
		{name: "disable without reason", given: given, when: disable(userTestAdmin, "  "), code: EINVALID, msg: "reason"},
		{name: "disable unregistered user", when: disable(userTestAdmin, "gone"), code: ENOTFOUND},
		{name: "disable by coordinator", given: given, when: disable(userTestCoord, "gone"), code: EFORBIDDEN},
		{name: "disable twice", given: []Event{registered, disabled}, when: disable(userTestAdmin, "gone"), code: ECONFLICT},
	})
}

func TestUserHasRole(t *testing.T) {
	is := is.New(t)
	u := NewUser("dic/lan")
	is.True(!u.HasRole(RoleResponder))                                                                                // unregistered user holds nothing
	is.NoErr(u.Register(userInv(userTestAdmin), RegisterUser{Org: "dic", Name: "lan", Roles: []Role{RoleResponder}})) // register
	is.True(u.HasRole(RoleResponder))                                                                                 // registered role
	is.True(!u.HasRole(RoleAdmin))                                                                                    // role not granted
	is.NoErr(u.GrantRole(userInv(userTestAdmin), GrantRole{Role: RoleAdmin}))                                         // grant
	is.True(u.HasRole(RoleAdmin))                                                                                     // granted role
	is.NoErr(u.RevokeRole(userInv(userTestAdmin), RevokeRole{Role: RoleResponder}))                                   // revoke
	is.True(!u.HasRole(RoleResponder))                                                                                // revoked role
	is.NoErr(u.Disable(userInv(userTestAdmin), DisableUser{Reason: "left"}))                                          // disable
	is.True(!u.HasRole(RoleAdmin))                                                                                    // a disabled user holds nothing
	is.Equal(len(u.Changes()), 4)                                                                                     // four events recorded

	// The same state comes back from the log.
	r := NewUser("dic/lan")
	for _, e := range u.Changes() {
		r.Replay(e)
	}
	u.ClearChanges()
	is.Equal(r, u) // replayed state
}
