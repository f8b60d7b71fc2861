package graph

import (
	"context"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
)

// revokeToken revokes a token (the caller's own, or as an admin one of the organisation's);
// websockets using it close within a second.
func (s *Server) revokeToken(ctx context.Context, in model.RevokeTokenInput) (*model.RevokeTokenPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	meta, err := s.commandMeta("RevokeToken", a, in.CommandID, nil)
	if err != nil {
		return nil, err
	}
	inv := domain.Invocation{Actor: a, Now: meta.At, Config: s.cfg}
	res, err := s.tokens.Update(ctx, in.TokenID, meta, func(t *domain.Token) error {
		return t.Revoke(inv, domain.RevokeToken{Reason: deref(in.Reason)})
	})
	if err != nil {
		return nil, err
	}
	if err := s.waitApplied(ctx, res.Sequence); err != nil {
		return nil, err
	}
	return &model.RevokeTokenPayload{TokenID: in.TokenID, Sequence: res.Sequence}, nil
}
