package eventstore

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/dieuphoi/dieuphoi/domain"
)

// factories knows how to make an empty aggregate of each type that has a Repo, so that the
// follower can build write models of commits it reads from the log.
type factories struct {
	mu sync.RWMutex
	m  map[string]func(id string) domain.Aggregate
}

func (f *factories) add(typ string, fn func(id string) domain.Aggregate) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]func(string) domain.Aggregate{}
	}
	f.m[typ] = fn
}

func (f *factories) get(typ string) func(id string) domain.Aggregate {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.m[typ]
}

// Sink receives every commit of the log in order, with its decoded events (nil and the error
// when they do not decode), after the write models have applied it. Read models are sinks.
type Sink func(c *Commit, envs []Envelope, err error)

// Follow feeds the write-model cache and the Merkle tree from the log until ctx ends: every
// commit, whoever wrote it (this replica or another), is applied to the cached aggregate and
// becomes the next leaf of the tree. Commands then find current state in memory instead of
// reading the aggregate from the stream, and a replica rarely loses an expected-sequence race
// against another. Each commit is decoded once and handed to the sinks too. Start it once per
// Store, in its own goroutine; after an error it may be called again and continues where it
// stopped.
//
// A gap in the stream sequences (a deleted message) or a message that is not a commit is a
// broken log: the tree cannot go past it, so Follow returns an error wrapping ErrIntegrity that
// names the sequence, and so does every later call (and WaitFollowed beyond that point).
func (s *Store) Follow(ctx context.Context, log *slog.Logger, sinks ...Sink) error {
	if p := s.followErr.Load(); p != nil {
		return *p
	}
	from := s.followed.Load() + 1
	return s.read(ctx, ReadOptions{From: from, Follow: true}, true, func(c *Commit) error {
		if want := uint64(s.tree.Size()) + 1; c.Sequence != want {
			return s.broken(integrityErrorf("stream %s is broken: stream sequences %d to %d are missing (deleted); the log cannot be followed past them: run `dieuphoi verify`", s.cfg.Stream, want, c.Sequence-1))
		}
		if c.bad != nil {
			return s.broken(integrityErrorf("stream %s is broken: %v; the log cannot be followed past it: run `dieuphoi verify`", s.cfg.Stream, c.bad))
		}
		if err := s.tree.add(c.LeafHash()); err != nil {
			return fmt.Errorf("merkle tree at stream sequence %d: %w", c.Sequence, err)
		}
		envs, err := c.Envelopes()
		s.feed(c, envs, err, log)
		for _, sink := range sinks {
			sink(c, envs, err)
		}
		s.followed.Store(c.Sequence)
		s.notifyFollowed()
		return nil
	})
}

// broken records that the follower cannot move on and wakes its waiters.
func (s *Store) broken(err error) error {
	s.followErr.CompareAndSwap(nil, &err)
	s.notifyFollowed()
	return err
}

// Followed returns the last stream sequence the follower has applied.
func (s *Store) Followed() uint64 { return s.followed.Load() }

func (s *Store) feed(c *Commit, envs []Envelope, err error, log *slog.Logger) {
	newAgg := s.factories.get(c.AggregateType)
	if newAgg == nil {
		return
	}
	// Only the start of an aggregate creates an entry: a commit in the middle of an aggregate
	// this cache does not hold (evicted, or loaded never) would give a partial state.
	// A command holding the entry may be waiting for its own append's acknowledgement: never
	// wait behind it (the follower feeds every read model). Note the commit instead; the entry
	// drops its state on release if the commit was not its own.
	e := s.cache.tryAcquireIf(c.AggregateType+"."+c.AggregateID, c.Prev == "", c.Sequence)
	if e == nil {
		return
	}
	if e.agg == nil {
		if c.Prev != "" {
			e.release(false)
			return
		}
		e.agg, e.st, e.cmds = newAgg(c.AggregateID), State{}, &commandLog{}
	}
	if c.Sequence <= e.st.Sequence { // written by this replica and applied already
		e.release(false)
		return
	}
	if c.Prev != e.st.Hash {
		// Out of step (a commit this entry missed): forget it; the next command reloads it.
		e.release(true)
		return
	}
	if err != nil {
		if log != nil {
			log.Error("write model: cannot apply commit; the aggregate will be reloaded on use", "sequence", c.Sequence, "aggregate", c.AggregateType, "err", err)
		}
		e.release(true)
		return
	}
	for _, env := range envs {
		e.agg.Replay(env.Event)
	}
	e.st = State{Sequence: c.Sequence, Version: c.Version, Hash: c.Hash}
	if c.CommandID != "" {
		e.cmds.add(c.CommandID, Result{Sequence: c.Sequence, Version: c.Version, Events: c.Len(), digest: c.CommandDigest})
	}
	e.release(false)
}

// tryAcquireIf is acquireIf that does not wait for an entry another goroutine holds: it records
// seq as missed on it and returns nil.
func (c *cache) tryAcquireIf(key string, create bool, seq uint64) *entry {
	c.mu.Lock()
	e, ok := c.m[key]
	if !ok {
		if !create {
			c.mu.Unlock()
			return nil
		}
		if len(c.m) >= c.max {
			c.evict()
		}
		e = &entry{c: c, key: key}
		c.m[key] = e
	}
	c.mu.Unlock()
	if !e.mu.TryLock() {
		for {
			old := e.missed.Load()
			if seq <= old || e.missed.CompareAndSwap(old, seq) {
				break
			}
		}
		return nil
	}
	e.dropIfMissed()
	return e
}

// WaitFollowed blocks until the follower has applied seq or ctx ends. When the follower has
// stopped at a broken log before seq, it returns that error at once.
func (s *Store) WaitFollowed(ctx context.Context, seq uint64) error {
	for {
		s.waitMu.Lock()
		if s.followed.Load() >= seq {
			s.waitMu.Unlock()
			return nil
		}
		if p := s.followErr.Load(); p != nil {
			s.waitMu.Unlock()
			return *p
		}
		if s.waitCh == nil {
			s.waitCh = make(chan struct{})
		}
		ch := s.waitCh
		s.waitMu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Store) notifyFollowed() {
	s.waitMu.Lock()
	if s.waitCh != nil {
		close(s.waitCh)
		s.waitCh = nil
	}
	s.waitMu.Unlock()
}
