package eventstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// How a read of the log rides over the loss of a NATS node. The client library's ordered
// consumer notices a consumer that died with its server only after two missed heartbeats of
// 5 s, and then recreates it with a backoff that grows to 10 s, each attempt waiting up to 10 s:
// a follower stalled that long blocks every command of its replica waiting for its read models.
// orderedReader does the same job with the timings below, so that a follower is back within
// about a second of the cluster electing new leaders.
const (
	// readHeartbeat is the idle heartbeat the server sends on a read's pull requests; two
	// missed ones (the consumer's server is gone) replace the consumer.
	readHeartbeat = time.Second
	// apiAttempt bounds one JetStream API request of a read (creating its consumer, one
	// direct-get batch waiting for its next message) before it is sent again: a request to a
	// node that died, or lost in a reconnect, is never answered.
	apiAttempt = 2 * time.Second
	// apiRetryPause separates two attempts while the cluster elects leaders.
	apiRetryPause = 250 * time.Millisecond
	// readInactive lets the server delete the consumer of a read that vanished (its client died
	// or lost it in a fault); a read that ends deletes its own.
	readInactive = 30 * time.Second
)

// orderedReader delivers a stream's messages in order from a start sequence, through ephemeral
// pull consumers (no acknowledgements, in memory, one replica) that it replaces whenever one
// fails: missed heartbeats, the consumer deleted, a message lost in transit (a gap in the
// delivery sequence, after a reconnect). The replacement starts after the last message
// delivered, so the caller sees every message once and in order, whatever happens under it.
type orderedReader struct {
	s    *Store
	ctx  context.Context
	next uint64 // stream sequence of the next message to deliver

	mu     sync.Mutex
	closed bool
	cons   jetstream.Consumer
	it     jetstream.MessagesContext
	dseq   uint64 // delivery sequence of the last message of the current consumer
}

func newOrderedReader(ctx context.Context, s *Store, from uint64) *orderedReader {
	return &orderedReader{s: s, ctx: ctx, next: max(from, 1)}
}

// Next returns the next message and its metadata. It fails only when ctx ends, the reader is
// stopped, or the stream cannot be read at all (deleted, the connection closed, no permission).
func (o *orderedReader) Next() (jetstream.Msg, *jetstream.MsgMetadata, error) {
	for {
		it, err := o.current()
		if err != nil {
			return nil, nil, err
		}
		msg, err := it.Next()
		if err == nil {
			md, merr := msg.Metadata()
			if merr != nil {
				return nil, nil, merr
			}
			if md.Sequence.Consumer != o.dseq+1 || md.Sequence.Stream < o.next {
				o.replace() // a message was lost on the way: start again after the last one delivered
				continue
			}
			o.dseq, o.next = md.Sequence.Consumer, md.Sequence.Stream+1
			return msg, md, nil
		}
		if o.ctx.Err() != nil {
			return nil, nil, o.ctx.Err()
		}
		if o.isClosed() || errors.Is(err, nats.ErrConnectionClosed) {
			return nil, nil, err
		}
		// Missed heartbeats, the consumer deleted or gone with its server, a reconnect: a new one.
		o.replace()
	}
}

// current returns the messages of the current consumer, creating one when there is none.
func (o *orderedReader) current() (jetstream.MessagesContext, error) {
	o.mu.Lock()
	it := o.it
	o.mu.Unlock()
	if it != nil {
		return it, nil
	}
	for {
		if o.isClosed() {
			return nil, jetstream.ErrMsgIteratorClosed
		}
		it, err := o.create()
		if err == nil {
			return it, nil
		}
		if o.ctx.Err() != nil {
			return nil, o.ctx.Err()
		}
		if !retryable(err) {
			return nil, err
		}
		if !sleepCtx(o.ctx, apiRetryPause) {
			return nil, o.ctx.Err()
		}
	}
}

func (o *orderedReader) create() (jetstream.MessagesContext, error) {
	ctx, cancel := context.WithTimeout(o.ctx, apiAttempt)
	defer cancel()
	cons, err := o.s.js.CreateConsumer(ctx, o.s.cfg.Stream, jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       o.next,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: readInactive,
		Replicas:          1,
		MemoryStorage:     true,
	})
	if err != nil {
		return nil, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2000), jetstream.PullHeartbeat(readHeartbeat),
		jetstream.WithMessagesErrOnMissingHeartbeat(true))
	if err != nil {
		o.s.deleteConsumerAsync(cons)
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		it.Stop()
		o.s.deleteConsumerAsync(cons)
		return nil, jetstream.ErrMsgIteratorClosed
	}
	o.cons, o.it, o.dseq = cons, it, 0
	return it, nil
}

// replace drops the current consumer; the next call to Next creates another.
func (o *orderedReader) replace() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.it != nil {
		o.it.Stop()
		o.s.deleteConsumerAsync(o.cons)
	}
	o.it, o.cons = nil, nil
}

// Stop ends the read: a Next in progress returns. It may be called from another goroutine and
// more than once.
func (o *orderedReader) Stop() {
	o.mu.Lock()
	o.closed = true
	it := o.it
	o.mu.Unlock()
	if it != nil {
		it.Stop()
	}
}

// close stops the reader and deletes its consumer on the server.
func (o *orderedReader) close() {
	o.Stop()
	o.mu.Lock()
	cons := o.cons
	o.cons, o.it = nil, nil
	o.mu.Unlock()
	if cons != nil {
		o.s.deleteConsumer(cons)
	}
}

func (o *orderedReader) isClosed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed
}

// retryable says whether a failed JetStream request may succeed later: anything but a stream
// that does not exist, a closed connection or a permission the user does not have.
func retryable(err error) bool {
	return !errors.Is(err, jetstream.ErrStreamNotFound) && !errors.Is(err, nats.ErrConnectionClosed) &&
		!errors.Is(err, nats.ErrPermissionViolation) && !errors.Is(err, nats.ErrAuthorization)
}

// deleteConsumerAsync deletes a consumer that failed, without waiting: its server may be gone
// (the inactive threshold removes it then).
func (s *Store) deleteConsumerAsync(cons jetstream.Consumer) {
	if cons == nil {
		return
	}
	go s.deleteConsumer(cons)
}

// sleepCtx waits d; false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
