package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/nats-io/nats.go/jetstream"
)

// DecodeMessage reads a commit delivered by a consumer of the event stream that an adapter
// created itself (through JetStream()), such as a webhook's durable consumer.
func DecodeMessage(msg jetstream.Msg) (*Commit, error) {
	md, err := msg.Metadata()
	if err != nil {
		return nil, fmt.Errorf("message without JetStream metadata: %w", err)
	}
	return decodeCommit(md.Sequence.Stream, msg.Subject(), md.Timestamp, msg.Data())
}

// Types returns the event types of the commit in order, without decoding the events.
func (c *Commit) Types() []string {
	out := make([]string, len(c.events))
	for i, e := range c.events {
		out[i] = e.Type
	}
	return out
}

// CommitAt reads the commit at stream sequence seq (direct get: no consumer); ENOTFOUND when
// the stream holds none there.
func (s *Store) CommitAt(ctx context.Context, seq uint64) (*Commit, error) {
	m, err := s.stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, domain.Errorf(domain.ENOTFOUND, "stream sequence %d not found", seq)
	} else if err != nil {
		return nil, fmt.Errorf("reading stream sequence %d: %w", seq, err)
	}
	return decodeCommit(m.Sequence, m.Subject, m.Time, m.Data)
}
