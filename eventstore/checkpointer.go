package eventstore

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// RunCheckpoints publishes signed checkpoints of the log until ctx ends. Every replica runs it,
// beside its Follow (which it needs: the tree it signs is the follower's). While the log grows,
// a checkpoint of the size the follower has applied is published at most CheckpointInterval
// after the previous one, whichever replica published that; after a quiet spell the first new
// commit is checkpointed at once. Publishing expects the checkpoint subject's last sequence, so
// there is exactly one checkpoint per tree size across replicas and sizes strictly increase.
//
// Before it publishes, the loop verifies the latest published checkpoint: signed by a trusted
// key, and equal to this replica's tree at its size. That checkpoint, or its own, is then kept
// as the witness (Config.WitnessDir). At the start it checks that the log extends the witness
// (see CheckWitness) and waits for the follower to catch up.
//
// It returns ctx's error when ctx ends, and an error wrapping ErrIntegrity when the log, the
// published checkpoints or the witness disagree: someone else's history; do not restart it
// blindly. Other failures (NATS unavailable, a full disk) are logged to log, if not nil, and
// retried after CheckpointInterval.
func (s *Store) RunCheckpoints(ctx context.Context, log *slog.Logger) error {
	if s.cfg.Signer == nil {
		return errNoSigner
	}
	for { // nothing is signed before the log is known to extend the witness
		err := s.startCheckpoints(ctx)
		if err == nil {
			break
		}
		if errors.Is(err, ErrIntegrity) || ctx.Err() != nil {
			return err
		}
		s.logRetry(log, err)
		if err := sleepUntil(ctx, time.Now().Add(s.cfg.CheckpointInterval)); err != nil {
			return err
		}
	}
	var known int64   // size of the latest checkpoint this loop has seen
	var not time.Time // no publishing before this
	for {
		if err := s.WaitFollowed(ctx, uint64(known)+1); err != nil {
			return err
		}
		if err := sleepUntil(ctx, not); err != nil {
			return err
		}
		started := time.Now()
		size, err := s.checkpointOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, ErrIntegrity):
			return err
		case err != nil:
			s.logRetry(log, err)
			not = started.Add(s.cfg.CheckpointInterval)
			continue
		}
		if size > known {
			known, not = size, started.Add(s.cfg.CheckpointInterval)
		}
	}
}

// startCheckpoints checks the witness and waits for the follower to catch up with the log as
// it is now: a checkpoint of a tree still being rebuilt would be of no use.
func (s *Store) startCheckpoints(ctx context.Context) error {
	if err := s.CheckWitness(ctx); err != nil {
		return err
	}
	last, err := s.LastSequence(ctx)
	if err != nil {
		return err
	}
	return s.WaitFollowed(ctx, last)
}

func (s *Store) logRetry(log *slog.Logger, err error) {
	if log != nil {
		log.Warn("checkpoints: retrying", "stream", s.cfg.Stream, "err", err)
	}
}

// checkpointOnce verifies the latest published checkpoint and, if the follower has gone beyond
// it, publishes one of the follower's size. It returns the size of the latest checkpoint after
// that: its own, or the one another replica published first (verified as well; this replica
// then waits its turn rather than publishing right after it).
func (s *Store) checkpointOnce(ctx context.Context) (int64, error) {
	latest, seq, err := s.verifyLatest(ctx)
	if err != nil {
		return 0, err
	}
	size := s.tree.Size()
	if size <= latest.Size {
		return latest.Size, nil
	}
	cp, err := s.signCheckpoint(size)
	if err != nil {
		return 0, err
	}
	ok, err := s.publishCheckpoint(ctx, cp, seq)
	if err != nil {
		return 0, err
	}
	if !ok {
		latest, _, err = s.verifyLatest(ctx)
		return latest.Size, err
	}
	return size, s.witness(cp)
}

// verifyLatest reads the latest published checkpoint, checks it against this replica's log
// (waiting for the follower to get that far) and keeps it as the witness.
func (s *Store) verifyLatest(ctx context.Context) (Checkpoint, uint64, error) {
	latest, seq, err := s.latestPublished(ctx)
	if err != nil || latest.Text == "" {
		return latest, seq, err
	}
	if err := s.extends(ctx, latest, "the latest checkpoint in "+s.cfg.CheckpointStream, foreignHistory); err != nil {
		return Checkpoint{}, 0, err
	}
	return latest, seq, s.witness(latest)
}

// foreignHistory ends errors about a published checkpoint that this replica's log does not extend.
const foreignHistory = "The checkpoint stream holds someone else's history, or this log was altered: stop writing and run `dieuphoi verify`."

// sleepUntil waits until t or ctx ends.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
