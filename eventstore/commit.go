package eventstore

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Headers carried by every commit message besides JetStream's own. They are sent with every
// commit, so they are short.
const (
	// HeaderSignature is base64 of the Ed25519 signature of the Merkle root of the commit's
	// signing batch, followed by the commit's audit path to that root (see appendProof); a
	// commit signed alone has no path and its leaf is the root.
	HeaderSignature = "Dp-Sig"
	// HeaderKey is the id (KeyID) of the signing key.
	HeaderKey = "Dp-Key"
)

// commitFormat is the version of the commit body layout itself (not of the events inside).
const commitFormat = 1

// commitBody is the JSON stored as one JetStream message: everything one command recorded. The
// body is hashed and signed byte for byte, so there is no canonicalisation to get wrong.
type commitBody struct {
	Format        int           `json:"format"`
	ID            string        `json:"id"`
	Command       string        `json:"command,omitempty"` // command id, for idempotency
	CommandName   string        `json:"commandName,omitempty"`
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
	ID     string          `json:"id"`
	Type   string          `json:"type"`
	Schema int             `json:"schema"`
	Data   json.RawMessage `json:"data"`
}

// Commit is one stored command as read back from the log.
type Commit struct {
	Sequence      uint64 // JetStream stream sequence
	Subject       string
	RecordedAt    time.Time // stamped by the JetStream server
	Hash          string    // hex sha256 of the body
	Prev          string
	KeyID         string
	Signature     []byte // Ed25519 signature of the signing batch's Merkle root
	Proof         []byte // audit path from this commit's leaf to the root; empty when signed alone
	ID            string
	CommandID     string
	CommandName   string
	AggregateType string
	AggregateID   string
	Version       uint64
	Actor         domain.Actor
	Correlation   string
	Causation     string
	OccurredAt    time.Time
	raw           []byte
	sum           [32]byte // sha256 of raw, Hash before hex
	events        []storedEvent
	decoded       bool // envs/envErr hold the result of Envelopes
	envs          []Envelope
	envErr        error
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
	Payload          json.RawMessage
	Event            domain.Event // decoded (and upcast) payload
}

// Len returns the number of events in the commit.
func (c *Commit) Len() int { return len(c.events) }

// Body returns the exact stored bytes.
func (c *Commit) Body() []byte { return c.raw }

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
		ev, err := domain.DecodeEvent(se.Type, se.Schema, se.Data)
		if err != nil {
			return nil, fmt.Errorf("stream sequence %d (%s %s, event %d): %w", c.Sequence, c.AggregateType, c.AggregateID, i, err)
		}
		out[i] = Envelope{
			EventID: se.ID, Type: se.Type, SchemaVersion: se.Schema,
			AggregateType: c.AggregateType, AggregateID: c.AggregateID, AggregateVersion: first + uint64(i),
			Sequence: c.Sequence, Index: i, OccurredAt: c.OccurredAt, RecordedAt: c.RecordedAt,
			Actor: c.Actor, CommandID: c.CommandID, CommandName: c.CommandName,
			CorrelationID: c.Correlation, CausationID: c.Causation, Payload: se.Data, Event: ev,
		}
	}
	return out, nil
}

// decodeCommit parses a stored message. Signature checks are Verify's job; here only the shape
// is checked so that readers fail clearly on foreign messages.
func decodeCommit(seq uint64, subject string, recorded time.Time, hdr map[string][]string, data []byte) (*Commit, error) {
	var b commitBody
	if err := parseCommitBody(data, &b); err != nil {
		return nil, fmt.Errorf("stream sequence %d on %s is not a dieuphoi commit: %w", seq, subject, err)
	}
	if b.Format != commitFormat {
		return nil, fmt.Errorf("stream sequence %d on %s has commit format %d; this build reads format %d", seq, subject, b.Format, commitFormat)
	}
	if len(b.Events) == 0 || b.Version < uint64(len(b.Events)) {
		return nil, fmt.Errorf("stream sequence %d on %s: commit has %d events and version %d", seq, subject, len(b.Events), b.Version)
	}
	sum := sha256.Sum256(data)
	c := &Commit{
		Sequence: seq, Subject: subject, RecordedAt: recorded.UTC(), Hash: hex.EncodeToString(sum[:]),
		Prev: b.Prev, ID: b.ID, CommandID: b.Command, CommandName: b.CommandName,
		AggregateType: b.AggregateType, AggregateID: b.AggregateID, Version: b.Version, Actor: b.Actor,
		Correlation: b.Correlation, Causation: b.Causation, OccurredAt: b.OccurredAt,
		raw: data, sum: sum, events: b.Events,
	}
	if v := first(hdr, HeaderKey); v != "" {
		c.KeyID = v
	}
	if v := first(hdr, HeaderSignature); v != "" {
		raw, _ := base64.StdEncoding.DecodeString(v)
		if len(raw) > ed25519.SignatureSize {
			raw, c.Proof = raw[:ed25519.SignatureSize:ed25519.SignatureSize], raw[ed25519.SignatureSize:]
		}
		c.Signature = raw
	}
	return c, nil
}

func first(h map[string][]string, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// appendJSON encodes the body as encoding/json would, byte for byte, without reflection and
// without re-validating the event payloads: they come from json.Marshal (domain.EncodeEvent), so
// they are already valid, compact JSON, and checking them again was a measurable part of every
// append.
func (b *commitBody) appendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"format":`...)
	dst = strconv.AppendInt(dst, int64(b.Format), 10)
	dst = append(dst, `,"id":`...)
	dst = appendJSONString(dst, b.ID)
	if b.Command != "" {
		dst = append(dst, `,"command":`...)
		dst = appendJSONString(dst, b.Command)
	}
	if b.CommandName != "" {
		dst = append(dst, `,"commandName":`...)
		dst = appendJSONString(dst, b.CommandName)
	}
	dst = append(dst, `,"aggregateType":`...)
	dst = appendJSONString(dst, b.AggregateType)
	dst = append(dst, `,"aggregateId":`...)
	dst = appendJSONString(dst, b.AggregateID)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendUint(dst, b.Version, 10)
	dst = append(dst, `,"prev":`...)
	dst = appendJSONString(dst, b.Prev)
	dst = append(dst, `,"actor":{"user":`...)
	dst = appendJSONString(dst, b.Actor.User)
	dst = append(dst, `,"org":`...)
	dst = appendJSONString(dst, b.Actor.Org)
	dst = append(dst, `,"role":`...)
	dst = appendJSONString(dst, string(b.Actor.Role))
	dst = append(dst, '}')
	if b.Correlation != "" {
		dst = append(dst, `,"correlation":`...)
		dst = appendJSONString(dst, b.Correlation)
	}
	if b.Causation != "" {
		dst = append(dst, `,"causation":`...)
		dst = appendJSONString(dst, b.Causation)
	}
	if y := b.OccurredAt.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("occurredAt %v is outside years 0 to 9999", b.OccurredAt)
	}
	dst = append(dst, `,"occurredAt":"`...)
	dst = b.OccurredAt.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","events":`...)
	if b.Events == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, e := range b.Events {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"id":`...)
			dst = appendJSONString(dst, e.ID)
			dst = append(dst, `,"type":`...)
			dst = appendJSONString(dst, e.Type)
			dst = append(dst, `,"schema":`...)
			dst = strconv.AppendInt(dst, int64(e.Schema), 10)
			dst = append(dst, `,"data":`...)
			if len(e.Data) == 0 {
				dst = append(dst, "null"...)
			} else {
				dst = append(dst, e.Data...)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}'), nil
}

// appendJSONString quotes s exactly as encoding/json does (HTML-safe escapes, U+2028 and
// U+2029 escaped, invalid UTF-8 replaced by U+FFFD).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
