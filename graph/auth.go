package graph

import (
	"context"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

// catchUpWait bounds how long a request waits for the read models to learn of something written
// a moment ago elsewhere (a token issued by `dieuphoi token` in another process, an escalation
// recorded on another replica).
const catchUpWait = 2 * time.Second

// session is who a request or a websocket speaks for.
type session struct{ claims domain.Claims }

func (s *session) actor() domain.Actor { return s.claims.Actor() }

type ctxKey int

const (
	sessionKey ctxKey = iota
	socketKey
)

func withSession(ctx context.Context, s *session) context.Context {
	return context.WithValue(ctx, sessionKey, s)
}

func sessionFrom(ctx context.Context) (*session, error) {
	if s, ok := ctx.Value(sessionKey).(*session); ok && s != nil {
		return s, nil
	}
	return nil, domain.Errorf(domain.EUNAUTHENTICATED, "no token: send Authorization: Bearer <token> (get one with `dieuphoi token`)")
}

// actorFrom returns the authenticated actor of a request: every command records this actor,
// never one named in the input.
func actorFrom(ctx context.Context) (domain.Actor, error) {
	s, err := sessionFrom(ctx)
	if err != nil {
		return domain.Actor{}, err
	}
	return s.actor(), nil
}

// bearer takes the token out of an "Authorization: Bearer <token>" value.
func bearer(header string) (string, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", nil
	}
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", domain.Errorf(domain.EUNAUTHENTICATED, "send the token as Authorization: Bearer <token>")
	}
	return strings.TrimSpace(tok), nil
}

// authenticate checks a bearer token: its signature and expiry, then what the log says about it
// (issued, not revoked, for the same organisation, user, role, issuance and expiry: a token
// whose claims were minted with the key but never issued so is refused).
func (s *Server) authenticate(ctx context.Context, header string) (*session, error) {
	tok, err := bearer(header)
	if err != nil {
		return nil, err
	}
	claims, err := domain.ParseToken(s.tokenKey, tok, s.now())
	if err != nil {
		return nil, err
	}
	info, ok := s.projector.Tokens.Get(claims.TokenID)
	if !ok {
		// Perhaps issued a moment ago elsewhere: catch up with the log as it is now, once.
		wctx, cancel := context.WithTimeout(ctx, catchUpWait)
		if last, err := s.store.LastSequence(wctx); err == nil {
			_ = s.projector.WaitFor(wctx, last)
		}
		cancel()
		info, ok = s.projector.Tokens.Get(claims.TokenID)
	}
	switch {
	case !ok:
		return nil, domain.Errorf(domain.EUNAUTHENTICATED, "this server has no record of the token; ask for a new one")
	case info.Revoked:
		return nil, domain.Errorf(domain.EUNAUTHENTICATED, "the token was revoked; ask for a new one")
	case info.Org != claims.Org || info.User != claims.User || info.Role != claims.Role ||
		info.ExpiresAt.Unix() != claims.ExpiresAt || info.IssuedAt.Unix() != claims.IssuedAt:
		return nil, domain.Errorf(domain.EUNAUTHENTICATED, "the token does not match the server's record of it; ask for a new one")
	}
	return &session{claims: claims}, nil
}

// Authenticate checks an "Authorization: Bearer <token>" value as every request does and
// returns the token's actor: for other transports of the service (alert ingest).
func (s *Server) Authenticate(ctx context.Context, header string) (domain.Actor, error) {
	sess, err := s.authenticate(ctx, header)
	if err != nil {
		return domain.Actor{}, err
	}
	return sess.actor(), nil
}
