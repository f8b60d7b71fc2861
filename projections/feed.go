package projections

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/dieuphoi/dieuphoi/domain"
)

// DefaultBuffer is how many changes may wait for a subscriber before it is cut off as too slow.
const DefaultBuffer = 256

// ErrTooSlow ends a subscription whose client does not keep up; it resumes with since.
var ErrTooSlow = errors.New("too slow: changes were arriving faster than the client read them; resubscribe with since")

// ErrClosed ends subscriptions when the service shuts down.
var ErrClosed = errors.New("the service is shutting down")

// feed keeps a read model's recent changes, for subscribers resuming with since, and hands
// every new change to the live subscribers, each receiving what its deliver function makes of
// it (nothing, the change, or a narrower copy). Resumption and live delivery happen under one
// lock, so a subscriber sees no gap and no duplicate. A subscriber more than its buffer behind
// is cut off with ErrTooSlow and never delays the others.
type feed[T any] struct {
	mu    sync.Mutex
	seqOf func(T) uint64
	ring  []T // retained changes, oldest first, at most max
	max   int
	floor uint64 // changes at or below this sequence may have been dropped from the ring
	last  uint64 // the last sequence published or passed
	subs  map[*Subscription[T]]struct{}
}

func newFeed[T any](max int, seqOf func(T) uint64) *feed[T] {
	return &feed[T]{max: max, seqOf: seqOf, subs: map[*Subscription[T]]struct{}{}}
}

// Subscription is one client's live feed. Read C until it is closed, then Err says why.
type Subscription[T any] struct {
	C       <-chan T
	c       chan T
	f       *feed[T]
	deliver func(T) (T, bool)
	err     error
	closed  bool
}

// Err returns why the subscription ended (nil while it runs, or after Close).
func (s *Subscription[T]) Err() error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return s.err
}

// Close ends the subscription; C is closed.
func (s *Subscription[T]) Close() {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.drop(s, nil)
}

func (f *feed[T]) drop(s *Subscription[T], reason error) {
	if s.closed {
		return
	}
	s.closed, s.err = true, reason
	delete(f.subs, s)
	close(s.c)
}

// subscribe opens a subscription. With since > 0 it first queues every retained change after
// since that deliver lets through; a since older than what is retained is EINVALID (what names
// what to reload).
func (f *feed[T]) subscribe(deliver func(T) (T, bool), since uint64, buffer int, what string) (*Subscription[T], error) {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var backlog []T
	if since > 0 {
		if since < f.floor {
			return nil, domain.Errorf(domain.EINVALID, "since %d is older than the changes this replica keeps (from %d); reload %s and subscribe with the sequence the reload returns", since, f.floor+1, what)
		}
		i, _ := slices.BinarySearchFunc(f.ring, since+1, func(c T, seq uint64) int {
			return compareSeq(f.seqOf(c), seq)
		})
		for _, c := range f.ring[i:] {
			if d, ok := deliver(c); ok {
				backlog = append(backlog, d)
			}
		}
	}
	s := &Subscription[T]{f: f, deliver: deliver, c: make(chan T, len(backlog)+buffer)}
	s.C = s.c
	for _, c := range backlog {
		s.c <- c
	}
	f.subs[s] = struct{}{}
	return s, nil
}

func compareSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// publish retains changes and delivers them to the subscribers.
func (f *feed[T]) publish(changes ...T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range changes {
		f.retain(c)
	}
	for s := range f.subs {
		for _, c := range changes {
			d, ok := s.deliver(c)
			if !ok {
				continue
			}
			select {
			case s.c <- d:
			default:
				f.drop(s, fmt.Errorf("%w (more than %d changes waiting)", ErrTooSlow, cap(s.c)))
			}
			if s.closed {
				break
			}
		}
	}
}

// advance records a sequence that changed nothing this feed carries.
func (f *feed[T]) advance(seq uint64) {
	f.mu.Lock()
	f.last = max(f.last, seq)
	f.mu.Unlock()
}

func (f *feed[T]) retain(c T) {
	f.last = max(f.last, f.seqOf(c))
	if len(f.ring) >= f.max {
		drop := max(f.max/8, 1)
		f.floor = f.seqOf(f.ring[drop-1])
		f.ring = append(f.ring[:0], f.ring[drop:]...)
	}
	f.ring = append(f.ring, c)
}

// count returns how many subscriptions are open.
func (f *feed[T]) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// closeAll ends every subscription with reason.
func (f *feed[T]) closeAll(reason error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		f.drop(s, reason)
	}
}
