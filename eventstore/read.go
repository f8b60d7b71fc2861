package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// directBatch is how many messages one direct-get request asks for.
const directBatch = 1000

// LoadCommits returns the commits of one aggregate with stream sequence in [from, upTo] (upTo 0:
// no upper bound), in order. It uses batched direct gets by subject: no stream scan and no
// consumer, so its cost depends on the aggregate's size, not the log's.
func (s *Store) LoadCommits(ctx context.Context, aggregateType, aggregateID string, from, upTo uint64) ([]*Commit, error) {
	if err := checkAggregate(aggregateType, aggregateID); err != nil {
		return nil, err
	}
	return s.loadSubject(ctx, s.Subject(aggregateType, aggregateID), from, upTo)
}

type directReq struct {
	Seq     uint64 `json:"seq"`
	NextFor string `json:"next_by_subj"`
	Batch   int    `json:"batch"`
	UpToSeq uint64 `json:"up_to_seq,omitempty"`
}

func (s *Store) loadSubject(ctx context.Context, subject string, from, upTo uint64) ([]*Commit, error) {
	if from == 0 {
		from = 1
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	inbox := s.nc.NewRespInbox()
	ch := make(chan *nats.Msg, directBatch+1)
	sub, err := s.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return nil, fmt.Errorf("direct get subscription: %w", err)
	}
	defer sub.Unsubscribe()
	apiSubj := "$JS.API.DIRECT.GET." + s.cfg.Stream
	var out []*Commit
	for {
		req, _ := json.Marshal(directReq{Seq: from, NextFor: subject, Batch: directBatch, UpToSeq: upTo})
		if err := s.nc.PublishRequest(apiSubj, inbox, req); err != nil {
			return nil, fmt.Errorf("direct get: %w", err)
		}
		more := false
	batch:
		for {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("loading %s: %w", subject, ctx.Err())
			case m := <-ch:
				if len(m.Data) == 0 && m.Header.Get("Status") != "" {
					switch m.Header.Get("Status") {
					case "404":
						return out, nil // nothing (more) for this subject
					case "204": // end of batch
						np, _ := strconv.ParseUint(m.Header.Get("Nats-Num-Pending"), 10, 64)
						more = np > 0
						break batch
					case "408":
						return nil, fmt.Errorf("direct get of %s timed out on the server", subject)
					default:
						return nil, fmt.Errorf("direct get of %s: %s %s", subject, m.Header.Get("Status"), m.Header.Get("Description"))
					}
				}
				c, err := commitFromDirect(m)
				if err != nil {
					return nil, err
				}
				if upTo > 0 && c.Sequence > upTo {
					return out, nil
				}
				out = append(out, c)
				from = c.Sequence + 1
			}
		}
		if !more || (upTo > 0 && from > upTo) {
			return out, nil
		}
	}
}

func commitFromDirect(m *nats.Msg) (*Commit, error) {
	seq, err := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("direct get response without a sequence: %w", err)
	}
	ts, _ := time.Parse(time.RFC3339Nano, m.Header.Get(jetstream.TimeStampHeaer))
	return decodeCommit(seq, m.Header.Get(jetstream.SubjectHeader), ts, m.Data)
}

// deleteConsumer deletes a finished read's ordered consumer on the server: left alone it would
// linger for the client library's five-minute inactive threshold, and reads in a burst would
// fill the stream's consumer limit.
func (s *Store) deleteConsumer(cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.js.DeleteConsumer(ctx, s.cfg.Stream, info.Name) // gone already is fine
}

// ErrStop may be returned by a Read handler to end the read without error.
var ErrStop = errors.New("stop reading")

// ReadOptions bound a read of the log.
type ReadOptions struct {
	From uint64 // first stream sequence (1 when zero)
	// UpTo ends the read after this sequence; zero reads what the stream holds when Read starts.
	UpTo uint64
	// Follow keeps reading new commits until the context ends (UpTo ignored).
	Follow bool
}

// Read calls fn for every commit from opts.From in stream order, through an ordered consumer
// (ephemeral, flow-controlled, recreated by the client on a gap). Commits and their events are
// decoded on all cores ahead of fn, which still sees them strictly in order; Envelopes() on a
// commit handed to fn returns the already decoded events. A message that is not a commit ends
// the read with an error naming its sequence. A handler error ends the read and is returned,
// except ErrStop.
func (s *Store) Read(ctx context.Context, opts ReadOptions, fn func(*Commit) error) error {
	return s.read(ctx, opts, false, fn)
}

// read is Read; when tolerant, a message that is not a commit is handed to fn as well, with only
// its sequence, subject, time and body set and c.bad saying what is wrong with it.
func (s *Store) read(ctx context.Context, opts ReadOptions, tolerant bool, fn func(*Commit) error) error {
	from := max(opts.From, 1)
	upTo := opts.UpTo
	if !opts.Follow {
		last, err := s.LastSequence(ctx)
		if err != nil {
			return err
		}
		if upTo == 0 || upTo > last {
			upTo = last
		}
		if from > upTo {
			return nil
		}
	}
	cons, err := s.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   from,
	})
	if err != nil {
		return fmt.Errorf("ordered consumer from %d: %w", from, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2000))
	if err != nil {
		return fmt.Errorf("reading from %d: %w", from, err)
	}
	rctx, cancel := context.WithCancel(ctx)
	stopIt := context.AfterFunc(rctx, it.Stop)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		it.Stop()
		stopIt()
		wg.Wait() // no goroutine outlives the read
		s.deleteConsumer(cons)
	}()

	type slot struct {
		msg  jetstream.Msg
		md   *jetstream.MsgMetadata
		c    *Commit
		err  error
		last bool // the read ends after this one
		done chan struct{}
	}
	ordered := make(chan *slot, 1024)
	work := make(chan *slot, 1024)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sl := range work { // decoded and hashed here, cached on the commit
				sl.c, sl.err = decodeCommit(sl.md.Sequence.Stream, sl.msg.Subject(), sl.md.Timestamp, sl.msg.Data())
				if sl.err != nil && tolerant {
					sl.c = &Commit{Sequence: sl.md.Sequence.Stream, Subject: sl.msg.Subject(), RecordedAt: sl.md.Timestamp.UTC(), raw: sl.msg.Data(), bad: sl.err}
					sl.err = nil
				}
				if sl.c != nil {
					sl.c.LeafHash()
					if sl.c.bad == nil {
						sl.c.Envelopes()
					}
				}
				close(sl.done)
			}
		}()
	}
	wg.Add(1)
	go func() { // producer: messages in stream order
		defer wg.Done()
		defer close(ordered)
		defer close(work)
		for {
			msg, err := it.Next()
			sl := &slot{msg: msg, done: make(chan struct{})}
			if err == nil {
				sl.md, err = msg.Metadata()
			}
			if err != nil {
				if rctx.Err() == nil {
					sl.err = fmt.Errorf("reading the log: %w", err)
				} else {
					sl.err = rctx.Err()
				}
				close(sl.done)
				select {
				case ordered <- sl:
				case <-rctx.Done():
				}
				return
			}
			seq := sl.md.Sequence.Stream
			if !opts.Follow && (seq >= upTo || sl.md.NumPending == 0) {
				sl.last = true
			}
			skip := !opts.Follow && seq > upTo
			if skip {
				close(sl.done)
			}
			select {
			case ordered <- sl:
			case <-rctx.Done():
				return
			}
			if !skip {
				select {
				case work <- sl:
				case <-rctx.Done():
					return
				}
			}
			if sl.last {
				return
			}
		}
	}()
	for sl := range ordered {
		select {
		case <-sl.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if sl.err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return sl.err
		}
		if sl.c != nil {
			if err := fn(sl.c); err != nil {
				if errors.Is(err, ErrStop) {
					return nil
				}
				return err
			}
		}
		if sl.last {
			return nil
		}
	}
	return ctx.Err()
}

// lastFor returns the stream sequence of the last message on subject (0: none), asked of the
// stream's leader: unlike direct gets, which any replica of the stream may answer from a state
// that lags, this is the log as it stands.
func (s *Store) lastFor(ctx context.Context, subject string) (uint64, error) {
	req, _ := json.Marshal(struct {
		LastFor string `json:"last_by_subj"`
	}{subject})
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	m, err := s.nc.RequestWithContext(rctx, "$JS.API.STREAM.MSG.GET."+s.cfg.Stream, req)
	if err != nil {
		return 0, err
	}
	var resp struct {
		Message *struct {
			Seq uint64 `json:"seq"`
		} `json:"message"`
		Error *struct {
			Code    int `json:"code"`
			ErrCode int `json:"err_code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(m.Data, &resp); err != nil {
		return 0, err
	}
	switch {
	case resp.Error != nil && resp.Error.Code == 404:
		return 0, nil
	case resp.Error != nil:
		return 0, fmt.Errorf("last message of %s: error %d", subject, resp.Error.ErrCode)
	case resp.Message == nil:
		return 0, fmt.Errorf("last message of %s: empty answer", subject)
	}
	return resp.Message.Seq, nil
}
