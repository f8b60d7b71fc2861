package eventstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// A witness is the latest checkpoint a replica verified, kept outside the stream (one file per
// log stream in Config.WitnessDir). The log must always extend it: a stream deleted and
// re-created, emptied, or cut short no longer does, even if the checkpoint stream went with it.

// WitnessFile returns the witness file of this log, "" when Config.WitnessDir is empty.
func (s *Store) WitnessFile() string {
	if s.cfg.WitnessDir == "" {
		return ""
	}
	return filepath.Join(s.cfg.WitnessDir, s.cfg.Stream+".checkpoint")
}

// CheckWitness checks that the log extends the checkpoint in its witness file: the stream holds
// at least the checkpoint's tree size, and the tree at that size has the checkpoint's root. With
// no witness directory, or no witness yet (a first start), there is nothing to check. It waits
// for the follower to reach the witnessed size, so Follow must be running. The service calls it
// at start, before serving; an error (wrapping ErrIntegrity when the log does not extend the
// witness) says what happened and what to do, and the service must not start.
func (s *Store) CheckWitness(ctx context.Context) error {
	path := s.WitnessFile()
	if path == "" {
		return nil
	}
	cp, found, err := s.readWitness(path)
	if err != nil || !found {
		return err
	}
	advice := fmt.Sprintf("Do not write to this log: restore the stream %s from a backup. Only if a new, empty log was started on purpose, move %s away and start again.", s.cfg.Stream, path)
	if err := s.extends(ctx, cp, "the witness "+path, advice); err != nil {
		return err
	}
	s.witnessMu.Lock()
	s.witnessed = max(s.witnessed, cp.Size)
	s.witnessMu.Unlock()
	return nil
}

// readWitness reads and verifies a witness file.
func (s *Store) readWitness(path string) (Checkpoint, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Checkpoint{}, false, nil
	} else if err != nil {
		return Checkpoint{}, false, fmt.Errorf("reading the witness: %w", err)
	}
	cp, err := s.openCheckpoint(data)
	if errors.Is(err, errNoSigner) {
		return Checkpoint{}, false, err
	} else if err != nil {
		return Checkpoint{}, false, integrityErrorf("the witness %s is refused: %v. A replica writes it only from a checkpoint it verified: if the signing key was rotated, put the old public key (hex) in a *.pub file of the trusted keys directory", path, err)
	}
	return cp, true, nil
}

// extends checks that this replica's log extends cp (waiting for the follower to reach its
// size). what names cp in the error; advice, if any, ends it.
func (s *Store) extends(ctx context.Context, cp Checkpoint, what, advice string) error {
	last, err := s.LastSequence(ctx)
	if err != nil {
		return err
	}
	if last < uint64(cp.Size) {
		return compareCheckpoint(cp, last, &s.tree, what, advice)
	}
	if err := s.WaitFollowed(ctx, uint64(cp.Size)); err != nil {
		return err
	}
	return compareCheckpoint(cp, last, &s.tree, what, advice)
}

// compareCheckpoint checks a verified checkpoint against a log whose last stream sequence is last
// and whose tree (as far as it could be built) is t.
func compareCheckpoint(cp Checkpoint, last uint64, t *Tree, what, advice string) error {
	tail := ""
	if advice != "" {
		tail = " " + advice
	}
	if last < uint64(cp.Size) {
		if last == 0 {
			return integrityErrorf("the log %s is empty, but %s is signed for a tree of %d messages: the stream was deleted and re-created, or purged.%s", cp.Origin, what, cp.Size, tail)
		}
		return integrityErrorf("the log %s ends at stream sequence %d, but %s is signed for a tree of %d messages: messages were deleted from the end, or the stream was deleted and re-created.%s", cp.Origin, last, what, cp.Size, tail)
	}
	if t.Size() < cp.Size {
		return integrityErrorf("%s (tree size %d) cannot be checked: the log is broken at stream sequence %d, before that size", what, cp.Size, t.Size()+1)
	}
	root, err := t.Root(cp.Size)
	if err != nil {
		return err
	}
	if root != cp.Root {
		return integrityErrorf("%s says the log %s had root %s at tree size %d, but the log has %s there: its first %d messages are not those that were signed (altered, reordered, or replaced by a re-created stream).%s", what, cp.Origin, cp.Root, cp.Size, root, cp.Size, tail)
	}
	return nil
}

// witness keeps cp as the witness when it is newer than the one kept.
func (s *Store) witness(cp Checkpoint) error {
	path := s.WitnessFile()
	if path == "" {
		return nil
	}
	s.witnessMu.Lock()
	defer s.witnessMu.Unlock()
	if cp.Size <= s.witnessed {
		return nil
	}
	if err := writeFileAtomic(path, []byte(cp.Text)); err != nil {
		return fmt.Errorf("writing the witness: %w", err)
	}
	s.witnessed = cp.Size
	return nil
}

// writeFileAtomic replaces path with data: a reader sees the old file or the new one, whole,
// even after a crash.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil { // make the rename itself durable
		d.Sync()
		d.Close()
	}
	return nil
}
