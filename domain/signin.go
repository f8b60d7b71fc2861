package domain

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"time"
)

// A one-time sign-in link lets a person open the coordination board without pasting a token: the
// link carries a short-lived code (never the token); the board exchanges it once for the token.
// Only the code's SHA-256 is recorded, and its redemption is an event on the token, so the code is
// spent on every replica at once (the append's expected-sequence check lets one redemption win).

func init() {
	registerEvent[SignInLinkIssued]("token", 1, nil)
	registerEvent[SignInLinkRedeemed]("token", 1, nil)
	registerCommand((*Token).IssueSignInLink)
	registerCommand((*Token).RedeemSignInLink)
}

// Sign-in link lifetimes.
const (
	DefaultSignInLinkTTL = 10 * time.Minute
	MaxSignInLinkTTL     = 24 * time.Hour
)

// SignInLink is a token's one-time sign-in link as the aggregate keeps it.
type SignInLink struct {
	CodeHash   string    `json:"codeHash,omitempty"`
	ExpiresAt  time.Time `json:"expiresAt,omitzero"`
	Redeemed   bool      `json:"redeemed,omitempty"`
	RedeemedAt time.Time `json:"redeemedAt,omitzero"`
}

// SignInLinkIssued records a one-time sign-in link for a token: the SHA-256 of its secret code
// (hex) and when it stops working.
type SignInLinkIssued struct {
	TokenID   string    `json:"tokenId"`
	CodeHash  string    `json:"codeHash"`
	ExpiresAt time.Time `json:"expiresAt"`
	Stamp
}

// EventType implements Event.
func (SignInLinkIssued) EventType() string { return "SignInLinkIssued" }

// SignInLinkRedeemed records that the link's code was exchanged for the token: it works no more.
type SignInLinkRedeemed struct {
	TokenID string `json:"tokenId"`
	Stamp
}

// EventType implements Event.
func (SignInLinkRedeemed) EventType() string { return "SignInLinkRedeemed" }

// SignInCodeHash is how a sign-in code's secret is recorded: SHA-256, in hex.
func SignInCodeHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// IssueSignInLink gives an issued token a one-time sign-in link.
type IssueSignInLink struct {
	CodeHash string        // SignInCodeHash of the secret the link carries
	TTL      time.Duration // 0: DefaultSignInLinkTTL
}

// CommandName implements Command.
func (IssueSignInLink) CommandName() string { return "IssueSignInLink" }

// IssueSignInLink records the link. Like issuing the token, only the system (the command line
// holding the keys) or an admin of the token's organisation may; a token has one link at most.
func (t *Token) IssueSignInLink(in Invocation, c IssueSignInLink) error {
	if t.IssuedAt.IsZero() {
		return Errorf(ENOTFOUND, "token %s not found", t.ID)
	}
	if in.Actor != SystemActor && !(in.Actor.Role == RoleAdmin && in.Actor.Org == t.Org) {
		return Errorf(EFORBIDDEN, "only an admin of %s may issue sign-in links for its tokens", t.Org)
	}
	if t.Link.CodeHash != "" {
		return Errorf(ECONFLICT, "token %s already has a sign-in link; issue a new token", t.ID)
	}
	if b, err := hex.DecodeString(c.CodeHash); err != nil || len(b) != sha256.Size {
		return Errorf(EINVALID, "codeHash must be the SHA-256 of the code, in hex (64 digits)")
	}
	if t.Revoked {
		return Errorf(ECONFLICT, "token %s is revoked", t.ID)
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultSignInLinkTTL
	}
	if ttl < time.Minute || ttl > MaxSignInLinkTTL {
		return Errorf(EINVALID, "a sign-in link must live between 1 minute and %s", MaxSignInLinkTTL)
	}
	now := in.Now.UTC().Truncate(time.Second)
	exp := now.Add(ttl)
	if exp.After(t.ExpiresAt) {
		exp = t.ExpiresAt
	}
	t.record(SignInLinkIssued{TokenID: t.ID, CodeHash: c.CodeHash, ExpiresAt: exp, Stamp: Stamp{By: in.Actor, At: now}})
	return nil
}

// RedeemSignInLink exchanges a sign-in link's code for its token, once.
type RedeemSignInLink struct {
	CodeHash string // SignInCodeHash of the secret the link carried
}

// CommandName implements Command.
func (RedeemSignInLink) CommandName() string { return "RedeemSignInLink" }

// RedeemSignInLink spends the link. The actor is the token's holder (or the system). Every
// refusal is EUNAUTHENTICATED; a code that does not match says nothing about the token.
func (t *Token) RedeemSignInLink(in Invocation, c RedeemSignInLink) error {
	invalid := Errorf(EUNAUTHENTICATED, "this sign-in link is not valid; ask for a new one")
	if t.IssuedAt.IsZero() || t.Link.CodeHash == "" ||
		subtle.ConstantTimeCompare([]byte(t.Link.CodeHash), []byte(c.CodeHash)) != 1 {
		return invalid
	}
	holder := Actor{User: t.User, Org: t.Org, Role: t.Role}
	if in.Actor != SystemActor && in.Actor != holder {
		return invalid
	}
	now := in.Now.UTC()
	switch {
	case t.Link.Redeemed:
		return Errorf(EUNAUTHENTICATED, "this sign-in link was already used; ask for a new one")
	case t.Revoked:
		return Errorf(EUNAUTHENTICATED, "the token was revoked; ask for a new one")
	case !now.Before(t.Link.ExpiresAt):
		return Errorf(EUNAUTHENTICATED, "this sign-in link expired at %s; ask for a new one", t.Link.ExpiresAt.Format(time.RFC3339))
	case !now.Before(t.ExpiresAt):
		return Errorf(EUNAUTHENTICATED, "the token expired at %s; ask for a new one", t.ExpiresAt.Format(time.RFC3339))
	}
	t.record(SignInLinkRedeemed{TokenID: t.ID, Stamp: in.Stamp()})
	return nil
}
