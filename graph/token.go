package graph

import (
	"context"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
)

// revokeToken revokes a token (the caller's own, or as an admin one of the organisation's);
// websockets using it close within a second.
func (s *Server) revokeToken(ctx context.Context, in model.RevokeTokenInput) (*model.RevokeTokenPayload, error) {
	res, _, err := s.execute(ctx, command{id: in.TokenID, commandID: in.CommandID, cmd: domain.RevokeToken{Reason: deref(in.Reason)}})
	if err != nil {
		return nil, err
	}
	return &model.RevokeTokenPayload{TokenID: in.TokenID, Sequence: res.Sequence}, nil
}
