package graph

import (
	"context"

	"github.com/dieuphoi/dieuphoi/graph/model"
	"github.com/dieuphoi/dieuphoi/projections"
)

// partnerFeed is incidentChanged for partner organisations: each change says why the caller's
// organisation may see the incident and whether it is a drill.
func (s *Server) partnerFeed(ctx context.Context, since *uint64) (<-chan *model.PartnerChange, error) {
	sub, a, err := s.subscribe(ctx, projections.FeedPartner, nil, since)
	if err != nil {
		return nil, err
	}
	return pump(ctx, s, sub, changeSeq, func(c *projections.Change) *model.PartnerChange {
		out := &model.PartnerChange{Sequence: c.Sequence, IncidentID: c.IncidentID, Removed: c.Removed, Reason: c.Reason,
			Drill: c.Drill, Types: orEmpty(c.Types)}
		if c.Removed {
			out.Types = []string{}
			return out
		}
		// The incident as it is now; one that left the caller's sight since is reported removed
		// (a later change says so too).
		if _, err := s.projector.Incidents.Summary(a, c.IncidentID, s.now()); err != nil {
			out.Removed, out.Types = true, []string{}
			return out
		}
		return out
	}), nil
}
