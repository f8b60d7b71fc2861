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
	var out []*Commit
	for {
		batch, more, err := s.directBatch(ctx, subject, from, upTo)
		if err != nil {
			return nil, err
		}
		for _, c := range batch {
			if upTo > 0 && c.Sequence > upTo {
				return out, nil
			}
			out = append(out, c)
			from = c.Sequence + 1
		}
		if !more || (upTo > 0 && from > upTo) {
			return out, nil
		}
	}
}

// errSilent is a direct-get batch that stopped answering: the node serving it died, or the
// request or its answers were lost in a reconnect.
var errSilent = errors.New("no answer")

// directBatch asks for one batch of a subject's messages from stream sequence from. A batch that
// falls silent for apiAttempt is asked again (on its own inbox, so that late answers to the
// first request cannot mix in), from after the last message received, until ctx ends: a read in
// flight to a node that dies is answered by another one.
func (s *Store) directBatch(ctx context.Context, subject string, from, upTo uint64) (out []*Commit, more bool, err error) {
	for {
		var got []*Commit
		got, more, err = s.directAttempt(ctx, subject, from, upTo)
		out = append(out, got...)
		if len(got) > 0 {
			from = got[len(got)-1].Sequence + 1
		}
		if !errors.Is(err, errSilent) {
			return out, more, err
		}
		if !sleepCtx(ctx, apiRetryPause) {
			return nil, false, fmt.Errorf("loading %s: %w", subject, ctx.Err())
		}
	}
}

func (s *Store) directAttempt(ctx context.Context, subject string, from, upTo uint64) (out []*Commit, more bool, err error) {
	msgs, more, err := s.directFetch(ctx, directReq{Seq: from, NextFor: subject, Batch: directBatch, UpToSeq: upTo})
	for _, m := range msgs {
		c, cerr := commitFromDirect(m)
		if cerr != nil {
			return nil, false, cerr
		}
		if c.Sequence < from {
			continue
		}
		out = append(out, c)
		if upTo > 0 && c.Sequence >= upTo {
			return out, false, nil
		}
	}
	if errors.Is(err, errSilent) {
		return out, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("direct get of %s: %w", subject, err)
	}
	return out, more, nil
}

// directFetch sends one direct-get request and gathers its answers, on an inbox of its own:
// the messages, whether more follow the batch, and errSilent when the answers stop coming for
// apiAttempt (what came is returned with it) or nobody serves the stream (an election).
func (s *Store) directFetch(ctx context.Context, r directReq) (out []*nats.Msg, more bool, err error) {
	inbox := s.nc.NewRespInbox()
	ch := make(chan *nats.Msg, r.Batch+1)
	sub, err := s.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return nil, false, fmt.Errorf("direct get subscription: %w", err)
	}
	defer sub.Unsubscribe()
	req, _ := json.Marshal(r)
	if err := s.nc.PublishRequest("$JS.API.DIRECT.GET."+s.cfg.Stream, inbox, req); err != nil {
		return nil, false, fmt.Errorf("direct get: %w", err)
	}
	silence := time.NewTimer(apiAttempt)
	defer silence.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-silence.C:
			return out, false, errSilent
		case m := <-ch:
			silence.Reset(apiAttempt)
			if len(m.Data) == 0 && m.Header.Get("Status") != "" {
				switch m.Header.Get("Status") {
				case "404":
					return out, false, nil // nothing (more)
				case "204": // end of batch
					np, _ := strconv.ParseUint(m.Header.Get("Nats-Num-Pending"), 10, 64)
					return out, np > 0, nil
				case "408":
					return nil, false, errors.New("timed out on the server")
				case "503": // no responders: the stream's nodes are electing a leader
					return out, false, errSilent
				default:
					return nil, false, fmt.Errorf("%s %s", m.Header.Get("Status"), m.Header.Get("Description"))
				}
			}
			out = append(out, m)
			if r.UpToSeq > 0 && len(out) > 0 {
				if seq, _ := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64); seq >= r.UpToSeq {
					return out, false, nil
				}
			}
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

// Read calls fn for every commit from opts.From in stream order, through an ordered reader
// (ephemeral consumers, replaced on a gap or when one dies with its server: ordered.go). Commits and their events are
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
	rctx, cancel := context.WithCancel(ctx)
	it := newOrderedReader(rctx, s, from)
	stopIt := context.AfterFunc(rctx, it.Stop)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		stopIt()
		wg.Wait() // no goroutine outlives the read
		it.close()
	}()

	type slot struct {
		m    logMsg
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
				sl.c, sl.err = decodeCommit(sl.m.Seq, sl.m.Subject, sl.m.Time, sl.m.Data)
				if sl.err != nil && tolerant {
					sl.c = &Commit{Sequence: sl.m.Seq, Subject: sl.m.Subject, RecordedAt: sl.m.Time.UTC(), raw: sl.m.Data, bad: sl.err}
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
			m, err := it.Next()
			sl := &slot{m: m, done: make(chan struct{})}
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
			seq := sl.m.Seq
			if !opts.Follow && (seq >= upTo || sl.m.Pending == 0) {
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
