package projections

import (
	"sync"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// TokenInfo is an issued token as the read side knows it.
type TokenInfo struct {
	ID        string
	Org       string
	User      string
	Role      domain.Role
	IssuedAt  time.Time
	ExpiresAt time.Time
	Revoked   bool
	RevokedAt time.Time
}

// Tokens is the registry of issued bearer tokens, from the log: authentication asks it whether
// a token is known and not revoked.
type Tokens struct {
	mu sync.RWMutex
	m  map[string]TokenInfo
}

func (t *Tokens) apply(envs []eventstore.Envelope) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]TokenInfo{}
	}
	for _, e := range envs {
		switch ev := e.Event.(type) {
		case domain.TokenIssued:
			t.m[ev.TokenID] = TokenInfo{ID: ev.TokenID, Org: ev.Org, User: ev.User, Role: ev.Role, IssuedAt: ev.IssuedAt, ExpiresAt: ev.ExpiresAt}
		case domain.TokenRevoked:
			x := t.m[ev.TokenID]
			x.Revoked, x.RevokedAt = true, ev.At
			t.m[ev.TokenID] = x
		}
	}
}

// Get returns what the log says about a token id.
func (t *Tokens) Get(id string) (TokenInfo, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	x, ok := t.m[id]
	return x, ok
}

// Of lists the tokens of an organisation (for its admins).
func (t *Tokens) Of(org string) []TokenInfo {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []TokenInfo
	for _, x := range t.m {
		if x.Org == org {
			out = append(out, x)
		}
	}
	return out
}
