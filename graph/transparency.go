package graph

import (
	"context"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/graph/model"
)

func logName(l *model.TransparencyLog) (string, model.TransparencyLog) {
	if l == nil || *l == model.TransparencyLogEvents {
		return app.LogEvents, model.TransparencyLogEvents
	}
	return app.LogAlerts, model.TransparencyLogAlerts
}

func checkpointNode(l model.TransparencyLog, cp eventstore.Checkpoint) *model.Checkpoint {
	return &model.Checkpoint{Log: l, Origin: cp.Origin, Size: uint64(cp.Size), RootHash: cp.Root.String(), Text: cp.Text}
}

func hashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

func (s *Server) needTransparency() error {
	if s.transparency == nil {
		return domain.Errorf(domain.EINTERNAL, "the transparency log is not configured on this server")
	}
	return nil
}

// checkpoint is the latest signed checkpoint of a log, for any signed-in caller.
func (s *Server) checkpoint(ctx context.Context, l *model.TransparencyLog) (*model.Checkpoint, error) {
	if _, err := actorFrom(ctx); err != nil {
		return nil, err
	}
	if err := s.needTransparency(); err != nil {
		return nil, err
	}
	name, node := logName(l)
	cp, err := s.transparency.Checkpoint(ctx, name)
	if err != nil {
		return nil, err
	}
	return checkpointNode(node, cp), nil
}

// inclusionProof proves a commit the caller received (the access rule decides) in the events log.
func (s *Server) inclusionProof(ctx context.Context, seq uint64, treeSize *uint64) (*model.InclusionProof, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.needTransparency(); err != nil {
		return nil, err
	}
	in, err := s.transparency.InclusionProof(ctx, a, seq, int64(deref(treeSize)))
	if err != nil {
		return nil, err
	}
	return &model.InclusionProof{Sequence: in.Sequence, LeafIndex: uint64(in.LeafIndex), TreeSize: uint64(in.TreeSize),
		LeafHash: in.LeafHash.String(), Hashes: hashes(in.Hashes), Commit: nonEmpty(in.Commit),
		Checkpoint: checkpointNode(model.TransparencyLogEvents, in.Checkpoint)}, nil
}

func (s *Server) consistencyProof(ctx context.Context, oldSize uint64, newSize *uint64, l *model.TransparencyLog) (*model.ConsistencyProof, error) {
	if _, err := actorFrom(ctx); err != nil {
		return nil, err
	}
	if err := s.needTransparency(); err != nil {
		return nil, err
	}
	name, node := logName(l)
	proof, size, err := s.transparency.ConsistencyProof(ctx, name, int64(oldSize), int64(deref(newSize)))
	if err != nil {
		return nil, err
	}
	return &model.ConsistencyProof{Log: node, OldSize: oldSize, NewSize: uint64(size), Hashes: hashes(proof)}, nil
}

// feedCheckpoint is the latest checkpoint of the events log for a feed message; none (null)
// before the first or when the log's checkpoints cannot be read, which never fails the message.
func (s *Server) feedCheckpoint(ctx context.Context) *model.Checkpoint {
	if s.transparency == nil {
		return nil
	}
	cp, err := s.transparency.Checkpoint(ctx, app.LogEvents)
	if err != nil {
		if domain.ErrorCode(err) != domain.ENOTFOUND && !strings.Contains(err.Error(), "context") {
			s.log.Warn("graphql: latest checkpoint for a feed", "err", err)
		}
		return nil
	}
	return checkpointNode(model.TransparencyLogEvents, cp)
}
