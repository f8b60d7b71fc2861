package eventstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Problem is one broken link in the log.
type Problem struct {
	AggregateType string
	AggregateID   string
	Sequence      uint64
	Reason        string
}

// String renders the problem as a sentence naming where it is.
func (p Problem) String() string {
	if p.AggregateID == "" {
		return fmt.Sprintf("stream sequence %d: %s", p.Sequence, p.Reason)
	}
	return fmt.Sprintf("%s %s at stream sequence %d: %s", p.AggregateType, p.AggregateID, p.Sequence, p.Reason)
}

// Report is the outcome of a verification. Problems are sorted by stream sequence; the first is
// the first broken link. For each aggregate only its first broken link is reported.
type Report struct {
	Commits    int
	Events     int
	Aggregates int
	LastSeq    uint64
	// TreeSize and Root describe the Merkle tree rebuilt from the stream (VerifyAll): as far as
	// the stream sequences are contiguous.
	TreeSize    int64
	Root        tlog.Hash
	Checkpoints int // published checkpoints checked
	Witnesses   int // witness files checked
	Problems    []Problem
	Truncated   bool // more problems than MaxProblems were found
}

// OK reports whether nothing was found.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// MaxProblems bounds a report.
const MaxProblems = 1000

type chainState struct {
	hash    string
	version uint64
	broken  bool
}

type verifier struct {
	s      *Store
	rep    Report
	chains map[string]*chainState
}

func newVerifier(s *Store) *verifier { return &verifier{s: s, chains: map[string]*chainState{}} }

func (v *verifier) problem(p Problem) {
	if len(v.rep.Problems) >= MaxProblems {
		v.rep.Truncated = true
		return
	}
	v.rep.Problems = append(v.rep.Problems, p)
}

// link checks what can be checked in stream order: subject, chain and version, decodable events.
func (v *verifier) link(c *Commit) {
	v.rep.Commits++
	v.rep.Events += c.Len()
	key := c.AggregateType + "." + c.AggregateID
	cs, ok := v.chains[key]
	if !ok {
		cs = &chainState{}
		v.chains[key] = cs
		v.rep.Aggregates++
	}
	if cs.broken {
		return
	}
	bad := func(reason string, args ...any) {
		cs.broken = true
		v.problem(Problem{c.AggregateType, c.AggregateID, c.Sequence, fmt.Sprintf(reason, args...)})
	}
	if want := v.s.Subject(c.AggregateType, c.AggregateID); c.Subject != want {
		bad("stored on subject %s but claims to belong to %s", c.Subject, want)
		return
	}
	if c.Prev != cs.hash {
		if cs.hash == "" {
			bad("first commit of the aggregate points to a previous commit %.12s… that is missing (deleted?)", c.Prev)
		} else {
			bad("previous-commit hash %.12s… does not match the aggregate's previous commit %.12s… (a commit was deleted, reordered or altered)", c.Prev, cs.hash)
		}
		return
	}
	if c.Version != cs.version+uint64(c.Len()) {
		bad("version %d does not follow version %d (reordered or missing commit)", c.Version, cs.version)
		return
	}
	if _, err := c.Envelopes(); err != nil {
		bad("%v", err)
		return
	}
	cs.hash, cs.version = c.Hash, c.Version
}

func (v *verifier) report() Report {
	sort.SliceStable(v.rep.Problems, func(i, j int) bool { return v.rep.Problems[i].Sequence < v.rep.Problems[j].Sequence })
	return v.rep
}

// VerifyAggregate walks one aggregate's commits and checks its hash chain and version
// continuity.
func (s *Store) VerifyAggregate(ctx context.Context, aggregateType, aggregateID string) (Report, error) {
	commits, err := s.LoadCommits(ctx, aggregateType, aggregateID, 1, 0)
	if err != nil {
		return Report{}, err
	}
	v := newVerifier(s)
	for _, c := range commits {
		v.rep.LastSeq = c.Sequence
		v.link(c)
	}
	return v.report(), nil
}

// VerifyAll walks the whole log and checks, in one report:
//   - every message decodes as a commit, and the stream sequences have no gap (a deleted
//     message, including an aggregate's last one, which no chain can show);
//   - every aggregate's hash chain and version continuity;
//   - every published checkpoint: signed by a trusted key, within the log (not beyond its end:
//     tail truncation), and equal to the Merkle tree rebuilt from the stream at its size (an
//     altered, forged, deleted or reordered commit changes the tree);
//   - the witness in Config.WitnessDir, if any, and the witness files named (signed checkpoints
//     kept elsewhere, by partners for example): the log must extend each of them, so a stream
//     deleted and re-created, or emptied, is caught even when its checkpoints went with it.
//
// It needs Config.Signer for the trusted keys.
func (s *Store) VerifyAll(ctx context.Context, witnessFiles ...string) (Report, error) {
	if s.cfg.Signer == nil {
		return Report{}, errNoSigner
	}
	v := newVerifier(s)
	var tree Tree
	var prev uint64
	gap := false
	err := s.read(ctx, ReadOptions{}, true, func(c *Commit) error {
		if c.Sequence != prev+1 {
			v.problem(Problem{Sequence: prev + 1, Reason: fmt.Sprintf("stream sequences %d to %d are missing: messages were deleted from the log", prev+1, c.Sequence-1)})
			gap = true
		}
		prev, v.rep.LastSeq = c.Sequence, c.Sequence
		if !gap {
			if err := tree.add(c.LeafHash()); err != nil {
				return err
			}
		}
		if c.bad != nil {
			// "stream sequence N on S is not…" reads "stream sequence N: the message on S is not…"
			reason := strings.TrimPrefix(c.bad.Error(), fmt.Sprintf("stream sequence %d ", c.Sequence))
			v.problem(Problem{Sequence: c.Sequence, Reason: "the message " + reason})
			return nil
		}
		v.link(c)
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	last, err := s.LastSequence(ctx)
	if err != nil {
		return Report{}, err
	}
	if last > prev {
		v.problem(Problem{Sequence: prev + 1, Reason: fmt.Sprintf("stream sequences %d to %d are missing: messages were deleted from the end of the log", prev+1, last)})
	}
	v.rep.LastSeq = last
	v.rep.TreeSize = tree.Size()
	if v.rep.Root, err = tree.Root(tree.Size()); err != nil {
		return Report{}, err
	}
	if err := v.checkpoints(ctx, &tree, last); err != nil {
		return Report{}, err
	}
	if path := s.WitnessFile(); path != "" {
		if _, err := os.Stat(path); err == nil {
			witnessFiles = append([]string{path}, witnessFiles...)
		}
	}
	for _, path := range witnessFiles {
		if err := v.witnessFile(path, &tree, last); err != nil {
			return Report{}, err
		}
	}
	return v.report(), nil
}

// checkpoints checks every published checkpoint of the log against the rebuilt tree. Of each
// kind of problem only the first is listed, with a count of the rest: a commit altered early
// breaks every later checkpoint.
func (v *verifier) checkpoints(ctx context.Context, tree *Tree, last uint64) error {
	type kind struct {
		first Problem
		more  int
	}
	kinds := map[string]*kind{}
	var order []string
	add := func(k string, p Problem) {
		if kinds[k] == nil {
			kinds[k] = &kind{first: p}
			order = append(order, k)
			return
		}
		kinds[k].more++
	}
	var prevSize int64 = -1
	err := v.s.readCheckpoints(ctx, func(seq uint64, text []byte) {
		v.rep.Checkpoints++
		where := fmt.Sprintf("checkpoint %d of %s", seq, v.s.cfg.CheckpointStream)
		cp, err := v.s.openCheckpoint(text)
		if err != nil {
			add("signature", Problem{Sequence: claimedSize(text), Reason: fmt.Sprintf("%s is refused: %v", where, err)})
			return
		}
		if cp.Size <= prevSize {
			add("order", Problem{Sequence: uint64(cp.Size), Reason: fmt.Sprintf("%s has tree size %d, not more than the checkpoint before it (%d): it was not published by a replica", where, cp.Size, prevSize)})
		}
		prevSize = max(prevSize, cp.Size)
		if err := compareCheckpoint(cp, last, tree, where, ""); err != nil {
			k, at := "root", uint64(cp.Size)
			if last < uint64(cp.Size) {
				k, at = "beyond", last+1
			} else if tree.Size() < cp.Size {
				return // the gap that stopped the tree is reported already
			}
			add(k, Problem{Sequence: at, Reason: err.Error()})
		}
	})
	if err != nil {
		return err
	}
	for _, k := range order {
		p := kinds[k].first
		if n := kinds[k].more; n > 0 {
			p.Reason += fmt.Sprintf(" (and %d later checkpoint(s) the same way)", n)
		}
		v.problem(p)
	}
	return nil
}

// claimedSize returns the tree size a checkpoint's text claims, unverified, to sort its problem
// among the others; 0 when it has none.
func claimedSize(text []byte) uint64 {
	lines := strings.SplitN(string(text), "\n", 3)
	if len(lines) < 3 {
		return 0
	}
	var n uint64
	fmt.Sscan(lines[1], &n)
	return n
}

// witnessFile checks that the log (its rebuilt tree) extends a signed checkpoint in a file.
func (v *verifier) witnessFile(path string, tree *Tree, last uint64) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("witness %s does not exist", path)
	} else if err != nil {
		return fmt.Errorf("reading witness: %w", err)
	}
	v.rep.Witnesses++
	cp, err := v.s.openCheckpoint(data)
	if err != nil {
		v.problem(Problem{Sequence: claimedSize(data), Reason: fmt.Sprintf("the witness %s is refused: %v", path, err)})
		return nil
	}
	if err := compareCheckpoint(cp, last, tree, "the witness "+path, ""); err != nil {
		v.problem(Problem{Sequence: min(last+1, uint64(cp.Size)), Reason: err.Error()})
	}
	return nil
}

// Summary renders a report for people.
func (r Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "checked %d commits (%d events) of %d aggregates up to stream sequence %d\n", r.Commits, r.Events, r.Aggregates, r.LastSeq)
	if r.TreeSize > 0 || r.Checkpoints > 0 || r.Witnesses > 0 {
		fmt.Fprintf(&b, "Merkle tree of %d messages, root %s; %d signed checkpoint(s) and %d witness(es) checked against it\n", r.TreeSize, r.Root, r.Checkpoints, r.Witnesses)
	}
	if r.OK() {
		b.WriteString("OK: every hash link, checkpoint and witness verifies\n")
		return b.String()
	}
	fmt.Fprintf(&b, "BROKEN: %d problem(s); the first broken link is:\n  %s\n", len(r.Problems), r.Problems[0])
	for _, p := range r.Problems[1:] {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	if r.Truncated {
		fmt.Fprintf(&b, "  (more than %d problems; the rest are not listed)\n", MaxProblems)
	}
	return b.String()
}
