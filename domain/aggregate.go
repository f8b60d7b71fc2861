package domain

import "time"

// Aggregate is a consistency boundary rebuilt from its events. Command methods check invariants
// and record events; Replay applies a stored event without recording it again.
type Aggregate interface {
	AggregateType() string
	AggregateID() string
	// Replay applies an event read from the log.
	Replay(e Event)
	// Changes returns the events recorded by commands since the last ClearChanges.
	Changes() []Event
	ClearChanges()
}

// Recorder holds the events a command recorded; aggregates embed it. (It is not called Changes:
// an embedded field named like its own method would hide that method.)
type Recorder struct {
	pending []Event
}

// Changes returns the events recorded since the last ClearChanges.
func (c *Recorder) Changes() []Event { return c.pending }

// ClearChanges forgets the recorded events, once they are in the log.
func (c *Recorder) ClearChanges() { c.pending = nil }

func (c *Recorder) add(e Event) { c.pending = append(c.pending, e) }

// Actor is the authenticated person or machine issuing a command or reading a model.
type Actor struct {
	User string `json:"user"`
	Org  string `json:"org"`
	Role Role   `json:"role"`
}

// Stamp says who recorded an event and when; every event embeds one, so that readers (timelines,
// audits) find the author without knowing the event's type.
type Stamp struct {
	By Actor     `json:"by"`
	At time.Time `json:"at"`
}

// EventStamp returns the stamp; events have it by embedding Stamp.
func (s Stamp) EventStamp() Stamp { return s }

// Invocation is what every command method receives besides its own arguments: who asks, when
// (from the injectable clock), and the configuration in effect.
type Invocation struct {
	Actor  Actor
	Now    time.Time
	Config *Config
}

// Stamp is the stamp of an event recorded by this invocation: its actor, now, in UTC.
func (in Invocation) Stamp() Stamp { return Stamp{By: in.Actor, At: in.Now.UTC()} }

// Record adds e to the recorded events of an aggregate defined outside this package (tests of
// adapters), which cannot reach the unexported add. Domain aggregates use their own record.
func Record(r *Recorder, e Event) { r.add(e) }
