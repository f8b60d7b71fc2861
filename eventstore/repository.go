package eventstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Result is what an appended command produced.
type Result struct {
	Sequence  uint64 // stream sequence of the commit (its last event)
	Version   uint64 // aggregate version after the command
	Events    int    // events recorded (0 for a command that changed nothing)
	Duplicate bool   // the command id had already been recorded; nothing new was written
	digest    string // the recorded command's CommandDigest
}

// Update keeps re-running a command that loses optimistic-concurrency races (or that the log
// shows was decided on a stale state) until it has tried minAttempts times and for patience
// since it first held the aggregate: bounded by time, not only by a count that CPU contention
// could use up quickly; a shorter context deadline wins.
const (
	patience    = 10 * time.Second
	minAttempts = 20
)

// commandMemory is how many recent command ids each cached aggregate remembers beyond the
// JetStream duplicate window.
const commandMemory = 1000

// Repo loads and updates aggregates of one type.
type Repo[A domain.Aggregate] struct {
	s          *Store
	typ        string
	newAgg     func(id string) A
	optimistic bool
}

// CreateOptimistically makes Update take an aggregate that is not in the write-model cache for a
// new one instead of loading it from the stream: the append then expects no earlier commit, so
// if the aggregate does exist the server refuses it, and Update loads it and runs the command
// again. It suits aggregates that are nearly always new when not cached (one per alert
// fingerprint), where the load is a wasted round trip. The assumed state is never kept unless
// the append succeeds.
func (r *Repo[A]) CreateOptimistically() *Repo[A] {
	r.optimistic = true
	return r
}

// NewRepo returns the repository of the aggregates built by newAgg.
func NewRepo[A domain.Aggregate](s *Store, newAgg func(id string) A) *Repo[A] {
	r := &Repo[A]{s: s, typ: newAgg("").AggregateType(), newAgg: newAgg}
	s.factories.add(r.typ, func(id string) domain.Aggregate { return newAgg(id) })
	return r
}

// State is where an aggregate stands in the log.
type State struct {
	Sequence uint64 // stream sequence of its last commit, 0 if it has none
	Version  uint64 // number of events
	Hash     string // hash of its last commit
}

// Load rebuilds an aggregate from its commits up to stream sequence upTo (0: all), without the
// write-model cache: reads see exactly what the log holds.
func (r *Repo[A]) Load(ctx context.Context, id string, upTo uint64) (A, State, error) {
	agg := r.newAgg(id)
	commits, err := r.s.LoadCommits(ctx, r.typ, id, 1, upTo)
	if err != nil {
		return agg, State{}, err
	}
	st, err := replay(agg, State{}, commits, nil, nil)
	return agg, st, err
}

// replay applies commits to agg from state st (State{} for an aggregate's first commit),
// checking the hash chain and version continuity on the way (cheap: the hash is computed when
// decoding). cmds, if not nil, collects command ids; history, if not nil, the events.
func replay(agg domain.Aggregate, st State, commits []*Commit, cmds *commandLog, history *[]domain.Event) (State, error) {
	for _, c := range commits {
		if c.Prev != st.Hash || c.Version != st.Version+uint64(c.Len()) {
			return st, domain.Errorf(domain.EINTERNAL, "the log of %s %s is broken at stream sequence %d; run `dieuphoi verify` and do not write to it", c.AggregateType, c.AggregateID, c.Sequence)
		}
		envs, err := c.Envelopes()
		if err != nil {
			return st, err
		}
		for _, e := range envs {
			agg.Replay(e.Event)
			if history != nil {
				*history = append(*history, e.Event)
			}
		}
		st = State{Sequence: c.Sequence, Version: c.Version, Hash: c.Hash}
		if cmds != nil && c.CommandID != "" {
			cmds.add(c.CommandID, Result{Sequence: c.Sequence, Version: c.Version, Events: c.Len(), digest: c.CommandDigest})
		}
	}
	return st, nil
}

// Update runs a command against the current state of an aggregate and appends the events it
// records as one commit, expecting the aggregate's last stream sequence. A command id already
// recorded returns its first result and writes nothing.
//
// Commands on one aggregate take turns within a replica (the write-model cache entry is held
// from load to append). When a writer on another replica got there first, the command runs
// again on the new state: the commits it missed are read and applied to the state it started
// from (kept for the purpose after a first loss), so that a writer that loses once does not
// fall further behind by reloading the whole history each time; it keeps trying for at least
// minAttempts and patience, or until ctx ends.
func (r *Repo[A]) Update(ctx context.Context, id string, meta CommandMeta, fn func(A) error) (Result, error) {
	if err := checkAggregate(r.typ, id); err != nil {
		return Result{}, err
	}
	e := r.s.cache.acquire(r.typ + "." + id)
	start := time.Now()
	exhausted := func(attempt int) bool {
		return (attempt >= minAttempts && time.Since(start) >= patience) || ctx.Err() != nil
	}
	// history holds, once this command has lost a race, the events of the state it runs on,
	// so that the next attempt starts from them plus the commits it missed.
	var history []domain.Event
	for attempt := 0; ; attempt++ {
		fresh, assumed := false, false
		if e.agg == nil && r.optimistic && attempt == 0 {
			e.agg, e.st, e.cmds, assumed = r.newAgg(id), State{}, &commandLog{}, true
		} else if e.agg == nil {
			if err := r.load(ctx, e, id, attempt > 0, &history); err != nil {
				e.release(true)
				return Result{}, err
			}
			fresh = true
		}
		if meta.CommandID != "" {
			if res, ok := e.cmds.get(meta.CommandID); ok {
				e.release(assumed)
				if res.digest != meta.CommandDigest {
					return Result{}, domain.Errorf(domain.ECONFLICT, "command id %q was already used for another command; a retry must repeat the same command, a new command needs a new id", meta.CommandID)
				}
				r.s.stats.duplicates.Add(1)
				res.Duplicate, res.digest = true, ""
				return res, nil
			}
		}
		if err := r.expect(ctx, id, meta, e.st); err != nil {
			if !fresh && domain.ErrorCode(err) == domain.ECONFLICT { // the cache may be behind the log: look again before refusing
				e.agg = nil
				continue
			}
			e.release(assumed)
			return Result{}, err
		}
		agg := e.agg.(A)
		if err := fn(agg); err != nil {
			dirty := len(agg.Changes()) > 0
			agg.ClearChanges()
			// The command was refused on the state this replica has; make sure that is the
			// log's state (a cache the follower has not brought up to date yet, or a read
			// served by a stream replica that lags) before saying so.
			if !assumed && !r.s.closed.Load() {
				if last, lerr := r.s.lastFor(ctx, r.s.Subject(r.typ, id)); lerr == nil && last > e.st.Sequence && !exhausted(attempt) {
					r.retry(ctx, e, attempt, history)
					continue
				}
			}
			e.release(dirty || assumed)
			return Result{}, err
		}
		changes := agg.Changes()
		if len(changes) == 0 {
			res := Result{Sequence: e.st.Sequence, Version: e.st.Version}
			e.release(assumed)
			return res, nil
		}
		ar, err := r.s.append(ctx, r.typ, id, e.st.Sequence, e.st.Version, e.st.Hash, changes, meta)
		agg.ClearChanges()
		if errors.Is(err, errWrongLast) {
			if exhausted(attempt) {
				e.release(true)
				return Result{}, domain.Errorf(domain.ECONFLICT, "%s %s is being changed by many writers at once; nothing was recorded: try again", r.typ, id)
			}
			if assumed {
				history = nil // the state was assumed, not read: read it
			}
			r.retry(ctx, e, attempt, history)
			continue
		}
		if err != nil {
			e.release(true) // the commit may or may not be stored: let the next load tell
			return Result{}, err
		}
		res := Result{Sequence: ar.seq, Version: e.st.Version + uint64(len(changes)), Events: len(changes)}
		e.st = State{Sequence: ar.seq, Version: res.Version, Hash: ar.hash}
		if meta.CommandID != "" {
			rec := res
			rec.digest = meta.CommandDigest
			e.cmds.add(meta.CommandID, rec)
		}
		e.release(false)
		return res, nil
	}
}

// retry prepares another attempt after a lost race or a refusal the log may contradict: after
// a pause that grows with the attempts, the state is rebuilt from history (the events of the
// state the attempt started from) when there is one, else read again in full. e.st is kept:
// it is where history ends, and load reads on from there.
func (r *Repo[A]) retry(ctx context.Context, e *entry, attempt int, history []domain.Event) {
	backoff(ctx, attempt)
	if history == nil {
		e.st = State{}
	}
	e.agg = nil
}

// load reads the aggregate into e. With keepHistory, history collects every event of the
// state read; when it already holds the events of e.st (an earlier attempt of this command),
// only the commits after e.st are read and applied to it.
func (r *Repo[A]) load(ctx context.Context, e *entry, id string, keepHistory bool, history *[]domain.Event) error {
	agg, st := r.newAgg(id), State{}
	if keepHistory && *history != nil && e.st.Sequence > 0 && e.cmds != nil {
		for _, ev := range *history {
			agg.Replay(ev)
		}
		st = e.st
	} else {
		e.cmds, *history = &commandLog{}, nil
		if keepHistory {
			*history = []domain.Event{}
		}
	}
	commits, err := r.s.LoadCommits(ctx, r.typ, id, st.Sequence+1, 0)
	if err != nil {
		return err
	}
	var keep *[]domain.Event
	if keepHistory {
		keep = history
	}
	if st, err = replay(agg, st, commits, e.cmds, keep); err != nil {
		return err
	}
	e.agg, e.st = agg, st
	return nil
}

// expect checks the version the client expects, if it gave one.
func (r *Repo[A]) expect(ctx context.Context, id string, meta CommandMeta, st State) error {
	switch {
	case meta.Expect != nil:
		return meta.Expect(ctx, st)
	case meta.ExpectedVersion != nil && *meta.ExpectedVersion != st.Version:
		return domain.Errorf(domain.ECONFLICT, "%s %s is at version %d, not %d: someone changed it since you loaded it; reload and try again", r.typ, id, st.Version, *meta.ExpectedVersion)
	}
	return nil
}

// backoff waits a random time that grows with the attempt (up to 64 ms), so that writers that
// collided spread out instead of colliding again.
func backoff(ctx context.Context, attempt int) {
	d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// commandLog remembers the results of an aggregate's most recent commands.
type commandLog struct {
	m     map[string]Result
	order []string
}

func (l *commandLog) add(id string, r Result) {
	if l.m == nil {
		l.m = map[string]Result{}
	}
	if _, ok := l.m[id]; !ok {
		l.order = append(l.order, id)
		if len(l.order) > commandMemory {
			delete(l.m, l.order[0])
			l.order = l.order[1:]
		}
	}
	l.m[id] = r
}

func (l *commandLog) get(id string) (Result, bool) { r, ok := l.m[id]; return r, ok }

// cache holds write models: per aggregate its state, where it stands in the log and its recent
// command ids. It is only an optimisation: correctness comes from the expected-sequence check,
// so several replicas each with their own cache stay correct.
type cache struct {
	mu  sync.Mutex
	m   map[string]*entry
	max int
}

type entry struct {
	mu   sync.Mutex
	c    *cache
	key  string
	agg  domain.Aggregate // nil until loaded
	st   State
	cmds *commandLog
	// missed is the highest stream sequence the follower could not apply because a command
	// held the entry; state older than it is stale.
	missed atomic.Uint64
}

func newCache(max int) *cache { return &cache{m: map[string]*entry{}, max: max} }

// acquire returns the entry for key, locked.
func (c *cache) acquire(key string) *entry {
	c.mu.Lock()
	e, ok := c.m[key]
	if !ok {
		if len(c.m) >= c.max {
			c.evict()
		}
		e = &entry{c: c, key: key}
		c.m[key] = e
	}
	c.mu.Unlock()
	e.mu.Lock()
	e.dropIfMissed()
	return e
}

// dropIfMissed forgets the state when the follower skipped a later commit; e.mu is held.
func (e *entry) dropIfMissed() {
	if m := e.missed.Load(); m != 0 && (e.agg == nil || m > e.st.Sequence) {
		e.agg, e.st, e.cmds = nil, State{}, nil
		e.missed.Store(0)
	}
}

// evict drops about a tenth of the entries that nobody holds (map order is random enough).
func (c *cache) evict() {
	n := max(c.max/10, 1)
	for k, e := range c.m {
		if n == 0 {
			return
		}
		if e.mu.TryLock() {
			delete(c.m, k)
			e.mu.Unlock()
			n--
		}
	}
}

// release unlocks the entry; stale forgets its state so that the next use reloads from the log.
func (e *entry) release(stale bool) {
	if stale {
		e.agg, e.st, e.cmds = nil, State{}, nil
		e.missed.Store(0)
	} else {
		e.dropIfMissed()
	}
	e.mu.Unlock()
}

// String is for debugging and errors.
func (s State) String() string { return fmt.Sprintf("seq=%d version=%d", s.Sequence, s.Version) }
