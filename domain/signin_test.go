package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestSignInLink(t *testing.T) {
	now := time.Date(2026, 11, 21, 7, 0, 0, 0, time.UTC)
	cfg := DefaultConfig()
	inv := func(a Actor, at time.Time) Invocation { return Invocation{Actor: a, Now: at, Config: cfg} }
	holder := Actor{User: "lan", Org: "dic", Role: RoleCoordinator}
	hash := SignInCodeHash("secret-code")
	issued := TokenIssued{TokenID: "t1", Org: "dic", User: "lan", Role: RoleCoordinator, IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour),
		Stamp: Stamp{By: SystemActor, At: now}}
	linked := SignInLinkIssued{TokenID: "t1", CodeHash: hash, ExpiresAt: now.Add(10 * time.Minute), Stamp: Stamp{By: SystemActor, At: now}}
	later := now.Add(time.Minute)
	redeemed := SignInLinkRedeemed{TokenID: "t1", Stamp: Stamp{By: holder, At: later}}
	issue := func(a Actor, c IssueSignInLink) func(*Token) error {
		return func(tk *Token) error { return tk.IssueSignInLink(inv(a, now), c) }
	}
	redeem := func(a Actor, at time.Time, h string) func(*Token) error {
		return func(tk *Token) error { return tk.RedeemSignInLink(inv(a, at), RedeemSignInLink{CodeHash: h}) }
	}
	runCommandCases(t, func() *Token { return NewToken("t1") }, []commandCase[*Token]{
		{name: "the system issues a link", given: []Event{issued}, when: issue(SystemActor, IssueSignInLink{CodeHash: hash}), then: []Event{linked}},
		{name: "an admin of the organisation may", given: []Event{issued},
			when: issue(Actor{User: "an", Org: "dic", Role: RoleAdmin}, IssueSignInLink{CodeHash: hash, TTL: time.Hour}),
			then: []Event{SignInLinkIssued{TokenID: "t1", CodeHash: hash, ExpiresAt: now.Add(time.Hour), Stamp: Stamp{By: Actor{User: "an", Org: "dic", Role: RoleAdmin}, At: now}}}},
		{name: "the link never outlives its token", given: []Event{issued}, when: issue(SystemActor, IssueSignInLink{CodeHash: hash, TTL: 24 * time.Hour}),
			then: []Event{SignInLinkIssued{TokenID: "t1", CodeHash: hash, ExpiresAt: now.Add(24 * time.Hour), Stamp: Stamp{By: SystemActor, At: now}}}},
		{name: "the holder may not", given: []Event{issued}, when: issue(holder, IssueSignInLink{CodeHash: hash}), code: EFORBIDDEN},
		{name: "no token", when: issue(SystemActor, IssueSignInLink{CodeHash: hash}), code: ENOTFOUND},
		{name: "one link per token", given: []Event{issued, linked}, when: issue(SystemActor, IssueSignInLink{CodeHash: hash}), code: ECONFLICT},
		{name: "a hash, not a code", given: []Event{issued}, when: issue(SystemActor, IssueSignInLink{CodeHash: "secret-code"}), code: EINVALID, msg: "SHA-256"},
		{name: "lifetime too long", given: []Event{issued}, when: issue(SystemActor, IssueSignInLink{CodeHash: hash, TTL: 48 * time.Hour}), code: EINVALID},

		{name: "the holder redeems once", given: []Event{issued, linked}, when: redeem(holder, later, hash), then: []Event{redeemed}},
		{name: "a second time", given: []Event{issued, linked, redeemed}, when: redeem(holder, later, hash), code: EUNAUTHENTICATED, msg: "already used"},
		{name: "another code", given: []Event{issued, linked}, when: redeem(holder, later, SignInCodeHash("guess")), code: EUNAUTHENTICATED, msg: "not valid"},
		{name: "no link", given: []Event{issued}, when: redeem(holder, later, hash), code: EUNAUTHENTICATED, msg: "not valid"},
		{name: "someone else", given: []Event{issued, linked}, when: redeem(Actor{User: "x", Org: "police", Role: RoleCoordinator}, later, hash), code: EUNAUTHENTICATED, msg: "not valid"},
		{name: "expired link", given: []Event{issued, linked}, when: redeem(holder, now.Add(10*time.Minute), hash), code: EUNAUTHENTICATED, msg: "expired"},
		{name: "revoked token", given: []Event{issued, linked, TokenRevoked{TokenID: "t1", Stamp: Stamp{By: SystemActor, At: now}}},
			when: redeem(holder, later, hash), code: EUNAUTHENTICATED, msg: "revoked"},
	})
}

func TestSignInCodeHash(t *testing.T) {
	is := is.New(t)
	h := SignInCodeHash("abc")
	is.Equal(len(h), 64)                                    // SHA-256 in hex
	is.True(!strings.Contains(h, "abc"))                    // the code is not in its hash
	is.True(h != SignInCodeHash("abd"))                     // another code, another hash
	is.Equal(h, SignInCodeHash("abc"))                      // deterministic
	is.Equal(CommandAggregate(RedeemSignInLink{}), "token") // redeemed on the token aggregate
}
