package eventstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	stdjson "encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dieuphoi/dieuphoi/domain"
)

// commitFormat is the version of the commit body layout itself (not of the events inside).
// Format 2 is written by json v2 and carries no signature headers: the log is signed through
// checkpoints of its Merkle tree.
const commitFormat = 2

// commitBody is the JSON stored as one JetStream message: everything one command recorded. The
// body is hashed byte for byte (the aggregate's hash link and the Merkle tree's leaf), so there
// is no canonicalisation to get wrong.
type commitBody struct {
	Format      int    `json:"format"`
	ID          string `json:"id"`
	Command     string `json:"command,omitempty"` // command id, for idempotency
	CommandName string `json:"commandName,omitempty"`
	// CommandDigest identifies the command's content (CommandMeta.CommandDigest): a retry
	// with the same id must be the same command.
	CommandDigest string        `json:"commandDigest,omitempty"`
	AggregateType string        `json:"aggregateType"`
	AggregateID   string        `json:"aggregateId"`
	Version       uint64        `json:"version"` // aggregate version after this commit
	Prev          string        `json:"prev"`    // hex sha256 of the aggregate's previous commit body
	Actor         domain.Actor  `json:"actor"`
	Correlation   string        `json:"correlation,omitempty"`
	Causation     string        `json:"causation,omitempty"`
	OccurredAt    time.Time     `json:"occurredAt"`
	Events        []storedEvent `json:"events"`
}

type storedEvent struct {
	ID     string  `json:"id"`
	Type   string  `json:"type"`
	Schema int     `json:"schema"`
	Data   payload `json:"data"`
}

// payload is an event's data in a commit body: the JSON PayloadCodec makes of the event. When a
// commit is written it holds the event itself, marshalled in the same pass as the body with the
// same options (so nothing is marshalled twice or validated again; a test checks that the bytes
// are PayloadCodec's). When a commit is read it holds the raw JSON, which Envelopes decodes with
// PayloadCodec.
type payload struct {
	event domain.Event
	raw   jsontext.Value
}

// MarshalJSONTo implements json.MarshalerTo.
func (p payload) MarshalJSONTo(enc *jsontext.Encoder) error {
	if p.event == nil {
		return enc.WriteValue(p.raw)
	}
	if err := json.MarshalEncode(enc, p.event); err != nil {
		return fmt.Errorf("the %s event: %w", p.event.EventType(), err)
	}
	return nil
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom.
func (p *payload) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	p.raw = v.Clone()
	return err
}

// Commit is one stored command as read back from the log.
type Commit struct {
	Sequence      uint64 // JetStream stream sequence; its leaf in the Merkle tree is Sequence-1
	Subject       string
	RecordedAt    time.Time // stamped by the JetStream server
	Hash          string    // hex sha256 of the body
	Prev          string    // Hash of the aggregate's previous commit; "" for its first
	ID            string
	CommandID     string
	CommandName   string
	CommandDigest string
	AggregateType string
	AggregateID   string
	Version       uint64
	Actor         domain.Actor
	Correlation   string
	Causation     string
	OccurredAt    time.Time
	raw           []byte
	events        []storedEvent
	leaf          tlog.Hash
	hasLeaf       bool
	// bad is why a message read by a tolerant reader (verify) is not a commit; only Sequence,
	// Subject, RecordedAt and raw are set then.
	bad     error
	decoded bool // envs/envErr hold the result of Envelopes
	envs    []Envelope
	envErr  error
}

// Envelope is one event with everything known about it.
type Envelope struct {
	EventID          string
	Type             string
	SchemaVersion    int
	AggregateType    string
	AggregateID      string
	AggregateVersion uint64
	Sequence         uint64
	Index            int // position inside its commit
	OccurredAt       time.Time
	RecordedAt       time.Time
	Actor            domain.Actor
	CommandID        string
	CommandName      string
	CorrelationID    string
	CausationID      string
	Payload          stdjson.RawMessage // as stored; decode it with PayloadCodec
	Event            domain.Event       // decoded (and upcast) payload
}

// Len returns the number of events in the commit.
func (c *Commit) Len() int { return len(c.events) }

// Body returns the exact stored bytes.
func (c *Commit) Body() []byte { return c.raw }

// LeafHash returns the commit's leaf in the log's Merkle tree: tlog.RecordHash of the body
// (RFC 6962: sha256 of a zero byte and the body).
func (c *Commit) LeafHash() tlog.Hash {
	if !c.hasLeaf {
		c.leaf, c.hasLeaf = tlog.RecordHash(c.raw), true
	}
	return c.leaf
}

// Envelopes decodes the commit's events, upcasting old schema versions. An undecodable event is
// an error naming its type and sequence; it never panics.
func (c *Commit) Envelopes() ([]Envelope, error) {
	if !c.decoded {
		c.envs, c.envErr = c.decodeEnvelopes()
		c.decoded = true
	}
	return c.envs, c.envErr
}

func (c *Commit) decodeEnvelopes() ([]Envelope, error) {
	out := make([]Envelope, len(c.events))
	first := c.Version - uint64(len(c.events)) + 1
	for i, se := range c.events {
		ev, err := PayloadCodec.Decode(se.Type, se.Schema, se.Data.raw)
		if err != nil {
			return nil, fmt.Errorf("stream sequence %d (%s %s, event %d): %w", c.Sequence, c.AggregateType, c.AggregateID, i, err)
		}
		out[i] = Envelope{
			EventID: se.ID, Type: se.Type, SchemaVersion: se.Schema,
			AggregateType: c.AggregateType, AggregateID: c.AggregateID, AggregateVersion: first + uint64(i),
			Sequence: c.Sequence, Index: i, OccurredAt: c.OccurredAt, RecordedAt: c.RecordedAt,
			Actor: c.Actor, CommandID: c.CommandID, CommandName: c.CommandName,
			CorrelationID: c.Correlation, CausationID: c.Causation, Payload: stdjson.RawMessage(se.Data.raw), Event: ev,
		}
	}
	return out, nil
}

// typeOf is domain.Codec used only for what Encode looks up (an event's stored type and its
// current schema version): the payload itself is marshalled with the body (see payload).
var typeOf = domain.Codec{Marshal: func(any) ([]byte, error) { return nil, nil }}

// bodyBuffers recycles the buffers commits are encoded into: an append's buffer is free again
// once the publish has copied it to the connection.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// encodeCommit encodes a commit of events into a buffer from bodyBuffers.
func encodeCommit(b *commitBody, events []domain.Event) (*bytes.Buffer, error) {
	b.Format = commitFormat
	b.Events = make([]storedEvent, len(events))
	for i, e := range events {
		typ, ver, _, err := typeOf.Encode(e)
		if err != nil {
			return nil, err // an unregistered type: a programming error
		}
		b.Events[i] = storedEvent{ID: newID(), Type: typ, Schema: ver, Data: payload{event: e}}
	}
	buf := bodyBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	if err := json.MarshalWrite(buf, b, storedJSON); err != nil {
		releaseBody(buf)
		return nil, domain.Errorf(domain.EINVALID, "the command cannot be stored: %v (text must be valid UTF-8)", err)
	}
	return buf, nil
}

// releaseBody returns a buffer from encodeCommit to the pool; a large one is left to the
// garbage collector rather than kept for every later commit.
func releaseBody(buf *bytes.Buffer) {
	if buf.Cap() <= 64<<10 {
		bodyBuffers.Put(buf)
	}
}

// decodeCommit parses a stored message. Only the shape is checked here, so that readers fail
// clearly on foreign messages; links and checkpoints are Verify's job.
func decodeCommit(seq uint64, subject string, recorded time.Time, data []byte) (*Commit, error) {
	var b commitBody
	if err := json.Unmarshal(data, &b, bodyJSON); err != nil {
		if f := peekFormat(data); f != 0 && f != commitFormat {
			return nil, formatError(seq, subject, f)
		}
		return nil, fmt.Errorf("stream sequence %d on %s is not a dieuphoi commit: %w", seq, subject, err)
	}
	if b.Format != commitFormat {
		if b.Format == 0 {
			return nil, fmt.Errorf("stream sequence %d on %s is not a dieuphoi commit: it has no format", seq, subject)
		}
		return nil, formatError(seq, subject, b.Format)
	}
	if len(b.Events) == 0 || b.Version < uint64(len(b.Events)) {
		return nil, fmt.Errorf("stream sequence %d on %s: commit has %d events and version %d", seq, subject, len(b.Events), b.Version)
	}
	sum := sha256.Sum256(data)
	return &Commit{
		Sequence: seq, Subject: subject, RecordedAt: recorded.UTC(), Hash: hex.EncodeToString(sum[:]),
		Prev: b.Prev, ID: b.ID, CommandID: b.Command, CommandName: b.CommandName, CommandDigest: b.CommandDigest,
		AggregateType: b.AggregateType, AggregateID: b.AggregateID, Version: b.Version, Actor: b.Actor,
		Correlation: b.Correlation, Causation: b.Causation, OccurredAt: b.OccurredAt,
		raw: data, events: b.Events,
	}, nil
}

// peekFormat returns the "format" member of a body that does not decode as this release's
// commit, 0 if it has none.
func peekFormat(data []byte) int {
	var f struct {
		Format int `json:"format"`
	}
	if json.Unmarshal(data, &f, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)) != nil {
		return 0
	}
	return f.Format
}

func formatError(seq uint64, subject string, format int) error {
	return fmt.Errorf("stream sequence %d on %s holds a commit in format %d; this release reads commit format %d only and no migration from format %d exists (there is no deployment to migrate: start from an empty data directory)", seq, subject, format, commitFormat, format)
}
