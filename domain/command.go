package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// MaxCommandJSON is the largest JSON command accepted, in bytes.
const MaxCommandJSON = 1 << 20

// Command is a request to change one aggregate. Every command type is registered once, with
// the aggregate type it changes and the method that decides it (registerCommand): decoding
// commands written as JSON, firing deadlines and running a command in tests and in the
// application layer are all derived from that one registry.
type Command interface {
	// CommandName is the command's stable name, the same as its struct's name.
	CommandName() string
}

// commandSpec is a registered command type.
type commandSpec struct {
	aggregate string // AggregateType of the aggregate it changes
	decode    func(data []byte) (Command, error)
	run       func(agg Aggregate, in Invocation, c Command) error
}

var commands = map[string]commandSpec{}

// registerCommand makes a command type known: run is the aggregate's method that decides it,
// usually a method expression such as (*Incident).AddNote.
func registerCommand[A Aggregate, C Command](run func(A, Invocation, C) error) {
	var zeroA A
	var zeroC C
	name := zeroC.CommandName()
	if _, dup := commands[name]; dup {
		panic("domain: command " + name + " registered twice")
	}
	commands[name] = commandSpec{
		aggregate: zeroA.AggregateType(),
		decode: func(data []byte) (Command, error) {
			var c C
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&c); err != nil {
				return nil, commandJSONError(name, err)
			}
			if _, err := dec.Token(); !errors.Is(err, io.EOF) {
				return nil, Errorf(EINVALID, "command %s: unexpected data after the JSON object", name)
			}
			return c, nil
		},
		run: func(agg Aggregate, in Invocation, c Command) error {
			a, ok := agg.(A)
			if !ok {
				return Errorf(EINTERNAL, "command %s changes a %s, not a %s", name, zeroA.AggregateType(), agg.AggregateType())
			}
			return run(a, in, c.(C))
		},
	}
}

// Execute runs a registered command on an aggregate: the one way commands are decided, used by
// the application layer and by the domain's own tests. The events it records are in
// agg.Changes(); an error records nothing.
func Execute(agg Aggregate, in Invocation, c Command) error {
	if c == nil {
		return Errorf(EINVALID, "no command given")
	}
	spec, ok := commands[c.CommandName()]
	if !ok {
		return Errorf(EINVALID, "unknown command %q", c.CommandName())
	}
	return spec.run(agg, in, c)
}

// CommandAggregate returns the aggregate type a command changes ("incident", "user", ...), or
// "" for a command that is not registered.
func CommandAggregate(c Command) string { return commands[c.CommandName()].aggregate }

// CommandNames lists the registered commands of an aggregate type ("" for all), sorted.
func CommandNames(aggregateType string) []string {
	var out []string
	for name, spec := range commands {
		if aggregateType == "" || spec.aggregate == aggregateType {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// DecodeCommand reads a command written as JSON (field names as in the Go struct, any case).
// It is strict: an unknown command or field, a value of the wrong type, trailing data or an
// oversized document is EINVALID or ETOOLARGE with a sentence naming the problem. Values
// (enums, lengths, dates) are checked by the command's method when it runs.
func DecodeCommand(name string, data []byte) (Command, error) {
	spec, ok := commands[name]
	if !ok {
		return nil, Errorf(EINVALID, "unknown command %q", name)
	}
	if len(data) > MaxCommandJSON {
		return nil, Errorf(ETOOLARGE, "command %s is %d bytes; the limit is %d", name, len(data), MaxCommandJSON)
	}
	return spec.decode(data)
}

func commandJSONError(name string, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return Errorf(EINVALID, "command %s: malformed JSON at byte %d: %v", name, syn.Offset, syn)
	case errors.As(err, &typ):
		return Errorf(EINVALID, "command %s: field %q must be a %s, not a JSON %s", name, camelPath(typ.Field), typ.Type, typ.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(EINVALID, "command %s: the JSON document is empty or cut short", name)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return Errorf(EINVALID, "command %s: unknown field %s", name, strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return Errorf(EINVALID, "command %s: %v", name, fmt.Sprint(err))
}

// camelPath writes a Go field path ("AffectedSystem.Name") as clients write it
// ("affectedSystem.name").
func camelPath(p string) string {
	parts := strings.Split(p, ".")
	for i, s := range parts {
		if s != "" {
			parts[i] = strings.ToLower(s[:1]) + s[1:]
		}
	}
	return strings.Join(parts, ".")
}
