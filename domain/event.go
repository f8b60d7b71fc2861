package domain

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Event is a fact recorded in the log. Events are value structs named in the past tense; the name
// returned by EventType is stored with every event and must never change.
type Event interface {
	EventType() string
	// EventStamp says who recorded the event and when (events embed Stamp).
	EventStamp() Stamp
}

// Upcaster turns the JSON payload of an event stored under schema version N into the payload of
// version N+1.
type Upcaster func(payload []byte) ([]byte, error)

type eventKind struct {
	aggregate string // AggregateType of the aggregate that records it; "" for adapters' test events
	zero      Event
	version   int
	decode    func(payload []byte, unmarshal func([]byte, any) error) (Event, error)
	upcasters map[int]Upcaster // from version -> to version+1
}

// Codec writes and reads event payloads as JSON. The event store gives the library it stores
// commits with; the domain itself, and its tests, use StdJSON.
type Codec struct {
	Marshal   func(v any) ([]byte, error)
	Unmarshal func(data []byte, v any) error
}

// StdJSON is the standard library's encoding/json as a Codec.
var StdJSON = Codec{Marshal: json.Marshal, Unmarshal: json.Unmarshal}

var eventKinds = map[string]eventKind{}

// registerEvent makes an event type of an aggregate type known to the codec at its current schema
// version. upcasters maps an older version to the function that lifts it one version up.
func registerEvent[T Event](aggregate string, version int, upcasters map[int]Upcaster) {
	var zero T
	if _, dup := eventKinds[zero.EventType()]; dup {
		panic("domain: event " + zero.EventType() + " registered twice")
	}
	eventKinds[zero.EventType()] = eventKind{
		aggregate: aggregate,
		zero:      zero,
		version:   version,
		upcasters: upcasters,
		decode: func(b []byte, unmarshal func([]byte, any) error) (Event, error) {
			var v T
			if err := unmarshal(b, &v); err != nil {
				return nil, err
			}
			return v, nil
		},
	}
}

// EncodeEvent is StdJSON.Encode.
func EncodeEvent(e Event) (typ string, version int, payload []byte, err error) {
	return StdJSON.Encode(e)
}

// DecodeEvent is StdJSON.Decode.
func DecodeEvent(typ string, version int, payload []byte) (Event, error) {
	return StdJSON.Decode(typ, version, payload)
}

// Encode returns the stored form of e: its type, current schema version and JSON payload.
func (c Codec) Encode(e Event) (typ string, version int, payload []byte, err error) {
	typ = e.EventType()
	k, ok := eventKinds[typ]
	if !ok {
		return "", 0, nil, Errorf(EINTERNAL, "event type %q is not registered", typ)
	}
	payload, err = c.Marshal(e)
	return typ, k.version, payload, err
}

// Decode reads a stored event, lifting older schema versions through the upcasters (which work
// on JSON with the standard library). An unknown type or a version newer than this build knows
// is an error, never a panic.
func (c Codec) Decode(typ string, version int, payload []byte) (Event, error) {
	k, ok := eventKinds[typ]
	if !ok {
		return nil, Errorf(EINVALID, "unknown event type %q (a newer release may have written it)", typ)
	}
	if version > k.version {
		return nil, Errorf(EINVALID, "event type %q has schema version %d but this build knows only up to %d", typ, version, k.version)
	}
	if version < 1 {
		return nil, Errorf(EINVALID, "event type %q has invalid schema version %d", typ, version)
	}
	for v := version; v < k.version; v++ {
		up, ok := k.upcasters[v]
		if !ok {
			return nil, Errorf(EINVALID, "event type %q: no upcaster from schema version %d", typ, v)
		}
		var err error
		if payload, err = up(payload); err != nil {
			return nil, Errorf(EINVALID, "event type %q: upcasting from schema version %d: %v", typ, v, err)
		}
	}
	e, err := k.decode(payload, c.Unmarshal)
	if err != nil {
		return nil, Errorf(EINVALID, "event type %q version %d: payload does not decode: %v", typ, version, err)
	}
	return e, nil
}

// EventTypes lists every registered event type with its current schema version, sorted by name.
func EventTypes() []string {
	out := make([]string, 0, len(eventKinds))
	for t, k := range eventKinds {
		out = append(out, fmt.Sprintf("%s@v%d", t, k.version))
	}
	sort.Strings(out)
	return out
}

// RegisterEvent makes an event type known at its current schema version, with upcasters from
// older versions. Domain files register theirs in init; tests of adapters may register their own.
func RegisterEvent[T Event](version int, upcasters map[int]Upcaster) {
	registerEvent[T]("", version, upcasters)
}
