package projections

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/dieuphoi/dieuphoi/domain"
)

// progress is how far a read model has applied its stream, with a way to wait for a sequence:
// the basis of read-your-writes.
type progress struct {
	applied atomic.Uint64
	mu      sync.Mutex
	ch      chan struct{} // closed and forgotten whenever applied moves
}

// Applied returns the last stream sequence applied.
func (p *progress) Applied() uint64 { return p.applied.Load() }

func (p *progress) advance(seq uint64) {
	p.applied.Store(seq)
	p.mu.Lock()
	if p.ch != nil {
		close(p.ch)
		p.ch = nil
	}
	p.mu.Unlock()
}

// waitFor blocks until seq is applied or ctx ends; then it answers ECONFLICT with what (the
// stream's name in the message).
func (p *progress) waitFor(ctx context.Context, seq uint64, what string) error {
	for {
		p.mu.Lock()
		if p.applied.Load() >= seq {
			p.mu.Unlock()
			return nil
		}
		if p.ch == nil {
			p.ch = make(chan struct{})
		}
		ch := p.ch
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return domain.Errorf(domain.ECONFLICT, "this replica has not yet caught up with %s %d (it is at %d); retry in a moment", what, seq, p.applied.Load())
		}
	}
}
