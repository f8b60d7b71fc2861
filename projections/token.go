package projections

import (
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

func (p *Projector) applyToken(envs []eventstore.Envelope) {
	for _, e := range envs {
		switch ev := e.Event.(type) {
		case domain.TokenIssued:
			p.tokens[ev.TokenID] = TokenInfo{ID: ev.TokenID, Org: ev.Org, User: ev.User, Role: ev.Role, IssuedAt: ev.IssuedAt, ExpiresAt: ev.ExpiresAt}
		case domain.TokenRevoked:
			t := p.tokens[ev.TokenID]
			t.Revoked, t.RevokedAt = true, ev.At
			p.tokens[ev.TokenID] = t
		}
	}
}

// Token returns what the log says about a token id.
func (p *Projector) Token(id string) (TokenInfo, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	t, ok := p.tokens[id]
	return t, ok
}

// Tokens lists the tokens of an organisation (for its admins).
func (p *Projector) Tokens(org string) []TokenInfo {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []TokenInfo
	for _, t := range p.tokens {
		if t.Org == org {
			out = append(out, t)
		}
	}
	return out
}
