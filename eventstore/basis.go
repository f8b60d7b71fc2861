package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dieuphoi/dieuphoi/domain"
)

// SequenceAt returns the last stream sequence recorded at or before t (0 when none): the size of
// the tree of the log as it stood at t, the commits an "as of t" read applies. It searches the
// stream's timestamps with direct gets (about log2 of the stream's length of them).
func (s *Store) SequenceAt(ctx context.Context, t time.Time) (uint64, error) {
	last, err := s.LastSequence(ctx)
	if err != nil {
		return 0, err
	}
	lo, hi := uint64(1), last+1 // the first sequence recorded after t lies in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo)/2
		m, err := s.stream.GetMsg(ctx, mid)
		if err != nil {
			return 0, fmt.Errorf("reading stream sequence %d: %w", mid, err)
		}
		if m.Time.After(t) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo - 1, nil
}

// CheckpointCovering returns the first published checkpoint of the log whose tree holds at
// least size leaves, after checking its signature and, when this replica's tree is that large,
// that it signs this replica's tree. The checkpoint stream is immutable, so the answer never
// changes once there is one; ENOTFOUND while none covers size yet (the checkpointer covers a
// commit within a second).
func (s *Store) CheckpointCovering(ctx context.Context, size int64) (Checkpoint, error) {
	subject := s.checkpointSubject()
	notYet := domain.Errorf(domain.ENOTFOUND, "no signed checkpoint of %s covers %d commits yet", s.cfg.Stream, size)
	last, err := s.cpStream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Checkpoint{}, notYet
	} else if err != nil {
		return Checkpoint{}, fmt.Errorf("reading the checkpoints of %s: %w", s.cfg.Stream, err)
	}
	if int64(claimedSize(last.Data)) < size {
		return Checkpoint{}, notYet
	}
	// Sizes grow with the checkpoint stream's sequence. first(x) is the first checkpoint of the
	// log at or after stream sequence x; find the least x whose first(x) covers size.
	first := func(x uint64) (*jetstream.RawStreamMsg, error) {
		m, err := s.cpStream.GetMsg(ctx, x, jetstream.WithGetMsgSubject(subject))
		if err != nil {
			return nil, fmt.Errorf("reading the checkpoints of %s: %w", s.cfg.Stream, err)
		}
		return m, nil
	}
	lo, hi := uint64(1), last.Sequence
	for lo < hi {
		mid := lo + (hi-lo)/2
		m, err := first(mid)
		if err != nil {
			return Checkpoint{}, err
		}
		if int64(claimedSize(m.Data)) >= size {
			hi = mid
		} else {
			lo = m.Sequence + 1 // every x up to m's sequence finds m
		}
	}
	found, err := first(lo)
	if err != nil {
		return Checkpoint{}, err
	}
	cp, err := s.openCheckpoint(found.Data)
	if err != nil {
		return Checkpoint{}, integrityErrorf("checkpoint %d of %s is refused: %v", found.Sequence, s.cfg.CheckpointStream, err)
	}
	if t := s.tree.Size(); cp.Size <= t {
		if err := compareCheckpoint(cp, uint64(t), &s.tree, fmt.Sprintf("checkpoint %d of %s", found.Sequence, s.cfg.CheckpointStream), foreignHistory); err != nil {
			return Checkpoint{}, err
		}
	}
	return cp, nil
}

// TreeRoot returns the root of the log's tree at size leaves: from this replica's tree when the
// follower has got that far, else rebuilt from the stream's first size commits (what `dieuphoi
// verify --report-root` does with a stopped service).
func (s *Store) TreeRoot(ctx context.Context, size int64) (tlog.Hash, error) {
	if size <= s.tree.Size() {
		return s.tree.Root(size)
	}
	var t Tree
	if size > 0 {
		err := s.Read(ctx, ReadOptions{UpTo: uint64(size)}, func(c *Commit) error {
			if want := uint64(t.Size()) + 1; c.Sequence != want {
				return integrityErrorf("stream %s is broken: stream sequence %d is missing", s.cfg.Stream, want)
			}
			if err := t.add(c.LeafHash()); err != nil {
				return err
			}
			if t.Size() >= size {
				return ErrStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrStop) {
			return tlog.Hash{}, err
		}
	}
	if t.Size() < size {
		return tlog.Hash{}, domain.Errorf(domain.ENOTFOUND, "the log %s holds %d commits, fewer than %d", s.cfg.Stream, t.Size(), size)
	}
	return t.Root(size)
}
