package eventstore

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Problem is one broken link in the log.
type Problem struct {
	AggregateType string
	AggregateID   string
	Sequence      uint64
	Reason        string
}

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
	Problems   []Problem
	Truncated  bool // more problems than MaxProblems were found
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
	mu     sync.Mutex
	rep    Report
	chains map[string]*chainState
	// roots remembers batch signatures already verified in this run: the commits of one signing
	// batch share a signature, which needs checking only once.
	roots rootCache
}

func (v *verifier) problem(p Problem) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.rep.Problems) >= MaxProblems {
		v.rep.Truncated = true
		return
	}
	v.rep.Problems = append(v.rep.Problems, p)
}

// link checks what can be checked in stream order: subject, chain and version, decodable events.
// It reports whether the commit still needs its signature checked.
func (v *verifier) link(c *Commit) bool {
	v.rep.Commits++
	v.rep.Events += c.Len()
	v.rep.LastSeq = c.Sequence
	key := c.AggregateType + "." + c.AggregateID
	cs, ok := v.chains[key]
	if !ok {
		cs = &chainState{}
		v.chains[key] = cs
		v.rep.Aggregates++
	}
	if cs.broken {
		return false
	}
	bad := func(reason string, args ...any) bool {
		cs.broken = true
		v.problem(Problem{c.AggregateType, c.AggregateID, c.Sequence, fmt.Sprintf(reason, args...)})
		return false
	}
	if want := v.s.Subject(c.AggregateType, c.AggregateID); c.Subject != want {
		return bad("stored on subject %s but claims to belong to %s", c.Subject, want)
	}
	if c.Prev != cs.hash {
		if cs.hash == "" {
			return bad("first commit of the aggregate points to a previous commit %.12s… that is missing (deleted?)", c.Prev)
		}
		return bad("previous-commit hash %.12s… does not match the aggregate's previous commit %.12s… (a commit was deleted, reordered or altered)", c.Prev, cs.hash)
	}
	if c.Version != cs.version+uint64(c.Len()) {
		return bad("version %d does not follow version %d (reordered or missing commit)", c.Version, cs.version)
	}
	if _, err := c.Envelopes(); err != nil {
		return bad("%v", err)
	}
	cs.hash, cs.version = c.Hash, c.Version
	return true
}

func (v *verifier) signature(c *Commit) {
	if c.KeyID == "" || len(c.Signature) == 0 {
		v.problem(Problem{c.AggregateType, c.AggregateID, c.Sequence, "commit is not signed (published without the service key?)"})
		return
	}
	if err := v.s.signer.verify(c.KeyID, &c.sum, c.Signature, c.Proof, &v.roots); err != nil {
		v.problem(Problem{c.AggregateType, c.AggregateID, c.Sequence, err.Error()})
	}
}

func (v *verifier) report() Report {
	sort.Slice(v.rep.Problems, func(i, j int) bool { return v.rep.Problems[i].Sequence < v.rep.Problems[j].Sequence })
	// A signature problem and a chain problem may both hit one aggregate: keep its first.
	seen := map[string]bool{}
	out := v.rep.Problems[:0]
	for _, p := range v.rep.Problems {
		k := p.AggregateType + "." + p.AggregateID
		if p.AggregateID != "" && seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	v.rep.Problems = out
	return v.rep
}

// VerifyAggregate walks one aggregate's commits and checks signatures, the hash chain and
// version continuity.
func (s *Store) VerifyAggregate(ctx context.Context, aggregateType, aggregateID string) (Report, error) {
	commits, err := s.LoadCommits(ctx, aggregateType, aggregateID, 1, 0)
	if err != nil {
		return Report{}, err
	}
	v := &verifier{s: s, chains: map[string]*chainState{}}
	for _, c := range commits {
		if v.link(c) {
			v.signature(c)
		}
	}
	return v.report(), nil
}

// VerifyAll walks the whole log: every aggregate's chain and signatures, and gaps in the stream
// sequence (deleted messages, including the last one of an aggregate, which no chain can show).
// Signatures are checked on all cores.
func (s *Store) VerifyAll(ctx context.Context) (Report, error) {
	v := &verifier{s: s, chains: map[string]*chainState{}}
	work := make(chan *Commit, 1024)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				v.signature(c)
			}
		}()
	}
	var prev uint64
	err := s.Read(ctx, ReadOptions{}, func(c *Commit) error {
		if c.Sequence != prev+1 {
			v.problem(Problem{Sequence: prev + 1, Reason: fmt.Sprintf("stream sequences %d to %d are missing: messages were deleted from the log", prev+1, c.Sequence-1)})
		}
		prev = c.Sequence
		if v.link(c) {
			work <- c
		}
		return nil
	})
	close(work)
	wg.Wait()
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
	return v.report(), nil
}

// Summary renders a report for people.
func (r Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "checked %d commits (%d events) of %d aggregates up to stream sequence %d\n", r.Commits, r.Events, r.Aggregates, r.LastSeq)
	if r.OK() {
		b.WriteString("OK: every hash link and signature verifies\n")
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
