package eventstore

import (
	"context"
	"errors"
	"strconv"
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
	// node that died, or lost in a reconnect, is never answered. Short, so that the first
	// attempt after an election comes soon; after slowAttempts failures in a row (a machine so
	// loaded that creating a consumer takes longer) attempts get slowAttempt.
	apiAttempt   = time.Second
	slowAttempt  = 5 * time.Second
	slowAttempts = 20
	// apiRetryPause separates two attempts while the cluster elects leaders.
	apiRetryPause = 100 * time.Millisecond
	// readInactive lets the server delete the consumer of a read that vanished (its client died
	// or lost it in a fault); a read that ends deletes its own.
	readInactive = 30 * time.Second
)

// orderedReader delivers a stream's messages in order from a start sequence, through ephemeral
// pull consumers (no acknowledgements, in memory, one replica) that it replaces whenever one
// fails: missed heartbeats, the consumer deleted, a message lost in transit (a gap in the
// delivery sequence, after a reconnect). The replacement starts after the last message
// delivered, so the caller sees every message once and in order, whatever happens under it.
// While no consumer can be made (the meta leader, which places consumers, is being elected), it
// reads with batched direct gets, which any node holding the stream answers.
type orderedReader struct {
	s    *Store
	ctx  context.Context
	next uint64   // stream sequence of the next message to deliver
	buf  []logMsg // read by direct get, not delivered yet
	// failures counts consumers that could not be made in a row.
	failures int

	mu     sync.Mutex
	closed bool
	cons   jetstream.Consumer
	it     jetstream.MessagesContext
	dseq   uint64 // delivery sequence of the last message of the current consumer
}

// logMsg is one message of the stream as a read delivers it.
type logMsg struct {
	Subject string
	Data    []byte
	Seq     uint64
	Time    time.Time
	Pending uint64 // messages in the stream after this one, when it was read
}

func newOrderedReader(ctx context.Context, s *Store, from uint64) *orderedReader {
	return &orderedReader{s: s, ctx: ctx, next: max(from, 1)}
}

// Next returns the next message. It fails only when ctx ends, the reader is stopped, or the
// stream cannot be read at all (deleted, the connection closed, no permission).
func (o *orderedReader) Next() (logMsg, error) {
	for {
		if len(o.buf) > 0 {
			m := o.buf[0]
			o.buf = o.buf[1:]
			o.next = m.Seq + 1
			return m, nil
		}
		it, err := o.current()
		if err != nil {
			return logMsg{}, err
		}
		if it == nil { // no consumer for now: read by direct get, then try again
			if err := o.direct(); err != nil {
				return logMsg{}, err
			}
			continue
		}
		msg, err := it.Next()
		if err == nil {
			md, merr := msg.Metadata()
			if merr != nil {
				return logMsg{}, merr
			}
			if md.Sequence.Consumer != o.dseq+1 || md.Sequence.Stream < o.next {
				o.replace() // a message was lost on the way: start again after the last one delivered
				continue
			}
			o.dseq, o.next = md.Sequence.Consumer, md.Sequence.Stream+1
			return logMsg{Subject: msg.Subject(), Data: msg.Data(), Seq: md.Sequence.Stream, Time: md.Timestamp, Pending: md.NumPending}, nil
		}
		if o.ctx.Err() != nil {
			return logMsg{}, o.ctx.Err()
		}
		if o.isClosed() || errors.Is(err, nats.ErrConnectionClosed) {
			return logMsg{}, err
		}
		// Missed heartbeats, the consumer deleted or gone with its server, a reconnect: a new one.
		o.replace()
	}
}

// direct reads the messages from o.next into o.buf with one batched direct get; with nothing
// new (or no answer) it pauses before the caller tries a consumer again.
func (o *orderedReader) direct() error {
	msgs, _, err := o.s.directFetch(o.ctx, directReq{Seq: o.next, Batch: directBatch})
	for _, m := range msgs {
		seq, perr := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
		if perr != nil || seq < o.next || (len(o.buf) > 0 && seq <= o.buf[len(o.buf)-1].Seq) {
			continue
		}
		ts, _ := time.Parse(time.RFC3339Nano, m.Header.Get(jetstream.TimeStampHeaer))
		np, _ := strconv.ParseUint(m.Header.Get("Nats-Num-Pending"), 10, 64)
		o.buf = append(o.buf, logMsg{Subject: m.Header.Get(jetstream.SubjectHeader), Data: m.Data, Seq: seq, Time: ts, Pending: np})
	}
	if o.ctx.Err() != nil {
		return o.ctx.Err()
	}
	if err != nil && !errors.Is(err, errSilent) && !retryable(err) {
		return err
	}
	if len(o.buf) == 0 && !sleepCtx(o.ctx, apiRetryPause) {
		return o.ctx.Err()
	}
	return nil
}

// current returns the messages of the current consumer, creating one when there is none; nil
// (and no error) when one cannot be made now.
func (o *orderedReader) current() (jetstream.MessagesContext, error) {
	o.mu.Lock()
	it := o.it
	o.mu.Unlock()
	if it != nil {
		return it, nil
	}
	if o.isClosed() {
		return nil, jetstream.ErrMsgIteratorClosed
	}
	timeout := apiAttempt
	if o.failures >= slowAttempts {
		timeout = slowAttempt
	}
	it, err := o.create(timeout)
	if err == nil {
		o.failures = 0
		return it, nil
	}
	if o.ctx.Err() != nil {
		return nil, o.ctx.Err()
	}
	if !retryable(err) {
		return nil, err
	}
	o.failures++
	return nil, nil
}

func (o *orderedReader) create(timeout time.Duration) (jetstream.MessagesContext, error) {
	ctx, cancel := context.WithTimeout(o.ctx, timeout)
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
