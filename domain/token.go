package domain

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

func init() {
	registerEvent[TokenIssued]("token", 1, nil)
	registerEvent[TokenRevoked]("token", 1, nil)
	registerCommand((*Token).Issue)
	registerCommand((*Token).Revoke)
}

// SystemActor is the operator acting through the command line on the server's own data
// directory (for example `dieuphoi token`): whoever holds the keys is the root of trust.
var SystemActor = Actor{User: "system", Org: "", Role: RoleAdmin}

// Token lifetimes.
const (
	DefaultTokenTTL = 24 * time.Hour
	MaxTokenTTL     = 366 * 24 * time.Hour
)

// Claims is what a bearer token says about its holder.
type Claims struct {
	TokenID   string `json:"tid"`
	Org       string `json:"org"`
	User      string `json:"usr"`
	Role      Role   `json:"rol"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
}

// Actor returns who the token speaks for.
func (c Claims) Actor() Actor { return Actor{User: c.User, Org: c.Org, Role: c.Role} }

// Expires returns the expiry as a time.
func (c Claims) Expires() time.Time { return time.Unix(c.ExpiresAt, 0).UTC() }

const tokenPrefix = "dp1."

// SignToken encodes claims as a bearer token "dp1.<claims>.<signature>", signed with the
// server's token key (Ed25519).
func SignToken(key ed25519.PrivateKey, c Claims) string {
	body, _ := json.Marshal(c)
	payload := base64.RawURLEncoding.EncodeToString(body)
	sig := ed25519.Sign(key, []byte(tokenPrefix+payload))
	return tokenPrefix + payload + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// ParseToken checks a bearer token's signature and expiry and returns its claims. Every failure
// is EUNAUTHENTICATED with a sentence that says what to do; whether the token was revoked is
// for the read models to say.
func ParseToken(pub ed25519.PublicKey, token string, now time.Time) (Claims, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return Claims{}, Errorf(EUNAUTHENTICATED, "no token: send Authorization: Bearer <token> (get one with `dieuphoi token`)")
	}
	if len(token) > 4096 || !strings.HasPrefix(token, tokenPrefix) {
		return Claims{}, Errorf(EUNAUTHENTICATED, "this is not a dieuphoi token")
	}
	payload, sig, ok := strings.Cut(strings.TrimPrefix(token, tokenPrefix), ".")
	if !ok {
		return Claims{}, Errorf(EUNAUTHENTICATED, "the token is malformed")
	}
	sigb, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !ed25519.Verify(pub, []byte(tokenPrefix+payload), sigb) {
		return Claims{}, Errorf(EUNAUTHENTICATED, "the token's signature does not verify: it was not issued by this server or was altered")
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	var c Claims
	if err != nil || json.Unmarshal(body, &c) != nil || c.TokenID == "" {
		return Claims{}, Errorf(EUNAUTHENTICATED, "the token is malformed")
	}
	if now.Unix() >= c.ExpiresAt {
		return Claims{}, Errorf(EUNAUTHENTICATED, "the token expired at %s; ask for a new one", c.Expires().Format(time.RFC3339))
	}
	return c, nil
}

// Token is an issued bearer token, so that it can be listed and revoked; the aggregate id is
// the token id.
type Token struct {
	Recorder
	ID        string    `json:"id"`
	Org       string    `json:"org"`
	User      string    `json:"user"`
	Role      Role      `json:"role"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	Revoked   bool      `json:"revoked"`
	// Link is the token's one-time sign-in link, if one was issued (signin.go).
	Link SignInLink `json:"link"`
}

// NewToken returns the empty token aggregate with the given id.
func NewToken(id string) *Token { return &Token{ID: id} }

// AggregateType implements Aggregate.
func (t *Token) AggregateType() string { return "token" }

// AggregateID implements Aggregate.
func (t *Token) AggregateID() string { return t.ID }

// Replay implements Aggregate.
func (t *Token) Replay(e Event) { t.apply(e) }

// TokenIssued records a token given out.
type TokenIssued struct {
	TokenID   string    `json:"tokenId"`
	Org       string    `json:"org"`
	User      string    `json:"user"`
	Role      Role      `json:"role"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	Stamp
}

// EventType implements Event.
func (TokenIssued) EventType() string { return "TokenIssued" }

// TokenRevoked records that a token may no longer be used.
type TokenRevoked struct {
	TokenID string `json:"tokenId"`
	Reason  string `json:"reason"`
	Stamp
}

// EventType implements Event.
func (TokenRevoked) EventType() string { return "TokenRevoked" }

// apply changes state from an event and reports whether it knew the event.
func (t *Token) apply(e Event) bool {
	switch e := e.(type) {
	case TokenIssued:
		t.Org, t.User, t.Role, t.IssuedAt, t.ExpiresAt = e.Org, e.User, e.Role, e.IssuedAt, e.ExpiresAt
	case TokenRevoked:
		t.Revoked = true
	case SignInLinkIssued:
		t.Link = SignInLink{CodeHash: e.CodeHash, ExpiresAt: e.ExpiresAt}
	case SignInLinkRedeemed:
		t.Link.Redeemed, t.Link.RedeemedAt = true, e.At
	default:
		return false
	}
	return true
}

func (t *Token) record(e Event) { t.apply(e); t.add(e) }

// IssueToken gives a token to a user of an organisation.
type IssueToken struct {
	Org  string
	User string
	Role Role
	TTL  time.Duration // 0: DefaultTokenTTL
}

// CommandName implements Command.
func (IssueToken) CommandName() string { return "IssueToken" }

// Issue records the token; the caller signs Claims() with the token key afterwards. Only the
// system (the command line holding the keys) or an admin of the same organisation may issue.
func (t *Token) Issue(in Invocation, c IssueToken) error {
	if !t.IssuedAt.IsZero() {
		return Errorf(ECONFLICT, "token %s was already issued", t.ID)
	}
	if in.Actor != SystemActor && !(in.Actor.Role == RoleAdmin && in.Actor.Org == c.Org) {
		return Errorf(EFORBIDDEN, "only an admin of %s may issue its tokens", c.Org)
	}
	if _, ok := in.Config.Org(c.Org); !ok {
		return Errorf(ENOTFOUND, "organisation %q is not in the directory", c.Org)
	}
	if !loginRe.MatchString(c.User) {
		return Errorf(EINVALID, "user %q is not valid: use 1 to 64 of a-z, 0-9, '.', '_' or '-'", c.User)
	}
	if !c.Role.Valid() {
		return Errorf(EINVALID, "unknown role %q (use coordinator, responder, reviewer, partner, admin or ingest)", c.Role)
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if ttl < time.Minute || ttl > MaxTokenTTL {
		return Errorf(EINVALID, "token lifetime must be between 1 minute and %s", MaxTokenTTL)
	}
	now := in.Now.UTC().Truncate(time.Second)
	t.record(TokenIssued{TokenID: t.ID, Org: c.Org, User: c.User, Role: c.Role, IssuedAt: now, ExpiresAt: now.Add(ttl), Stamp: Stamp{By: in.Actor, At: now}})
	return nil
}

// Claims are what a bearer token of this aggregate says, once issued.
func (t *Token) Claims() Claims {
	return Claims{TokenID: t.ID, Org: t.Org, User: t.User, Role: t.Role, IssuedAt: t.IssuedAt.Unix(), ExpiresAt: t.ExpiresAt.Unix()}
}

// RevokeToken ends a token before its expiry.
type RevokeToken struct{ Reason string }

// CommandName implements Command.
func (RevokeToken) CommandName() string { return "RevokeToken" }

// Revoke records the revocation. The token's own user, an admin of its organisation or the
// system may revoke it.
func (t *Token) Revoke(in Invocation, c RevokeToken) error {
	if t.IssuedAt.IsZero() {
		return Errorf(ENOTFOUND, "token %s not found", t.ID)
	}
	self := in.Actor.Org == t.Org && in.Actor.User == t.User
	if in.Actor != SystemActor && !self && !(in.Actor.Role == RoleAdmin && in.Actor.Org == t.Org) {
		return Errorf(ENOTFOUND, "token %s not found", t.ID)
	}
	if t.Revoked {
		return Errorf(ECONFLICT, "token %s is already revoked", t.ID)
	}
	reason, err := textField("reason", c.Reason, 500, false)
	if err != nil {
		return err
	}
	t.record(TokenRevoked{TokenID: t.ID, Reason: reason, Stamp: in.Stamp()})
	return nil
}
