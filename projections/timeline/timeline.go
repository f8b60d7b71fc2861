// Package timeline writes an incident's timeline: one readable sentence in Vietnamese and in
// English for each event.
//
// The sentences live in a table with one small function per event type, keyed by EventType();
// adding an event type means adding one entry to a list in the file of its concern. Item
// contents stay out of sentences (indicator values, TLP:RED recipients, focal points' personal
// data), except a short excerpt of a note; quoted free text is shortened and put on one line;
// times are shown in Asia/Ho_Chi_Minh.
package timeline

import (
	"fmt"
	"slices"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Sentence returns a readable sentence in Vietnamese and in English describing one event, for
// an incident's timeline. actor is who recorded it; cfg resolves organisation slugs to names.
//
// A zero actor falls back to the event's stamp (e.EventStamp().By). A pointer to an event reads
// like the event. An event type the table does not know gets a generic sentence naming its
// type; Sentence never panics.
func Sentence(e domain.Event, actor domain.Actor, cfg *domain.Config) Text {
	name, stamp := identify(e)
	if actor == (domain.Actor{}) {
		actor = stamp.By
	}
	n := newNarrator(cfg, actor)
	if e == nil {
		return n.says(" đã ghi nhận một sự kiện không xác định", " recorded an unknown event").end()
	}
	if say, ok := table[name]; ok {
		if t, ok := say(e, n); ok {
			return t
		}
	}
	x := clip(name, shortExcerpt)
	return n.says(" đã ghi nhận sự kiện loại "+x, " recorded an event of type "+x).end()
}

// sentence writes the sentence of one event; false when e is not of the entry's type (or is a
// nil pointer to it).
type sentence func(e domain.Event, n narrator) (Text, bool)

// entry is one row of the table: an event type's name and its sentence.
type entry struct {
	name string
	say  sentence
}

// entries lists every sentence, by concern; table indexes them by event type.
var entries = slices.Concat(incidentSentences, escalationSentences, handoffSentences,
	reportingSentences, alertSentences, identitySentences, webhookSentences, evidenceSentences, reviewSentences)

// table holds the sentence of each event type, keyed by EventType().
var table = index(entries)

func index(es []entry) map[string]sentence {
	m := make(map[string]sentence, len(es))
	for _, e := range es {
		m[e.name] = e.say
	}
	return m
}

// on makes the table entry of event type T from the function writing its sentence. The entry
// reads a *T like a T, so no reflection is needed to look through pointers.
func on[T domain.Event](f func(T, narrator) Text) entry {
	var zero T
	return entry{name: zero.EventType(), say: func(e domain.Event, n narrator) (Text, bool) {
		switch v := any(e).(type) { // any: a *T has no methods to check against domain.Event
		case T:
			return f(v, n), true
		case *T:
			if v != nil {
				return f(*v, n), true
			}
		}
		return Text{}, false
	}}
}

// identify returns e's type name and stamp. The name is the Go type when EventType returns
// nothing or panics, as a nil pointer to a value-receiver event type does; the stamp is zero
// when EventStamp panics.
func identify(e domain.Event) (name string, stamp domain.Stamp) {
	if e == nil {
		return "", domain.Stamp{}
	}
	calm(func() { name = e.EventType() })
	if name == "" {
		name = fmt.Sprintf("%T", e)
	}
	calm(func() { stamp = e.EventStamp() })
	return name, stamp
}

// calm runs f and swallows its panic: a timeline shows what it can rather than fail.
func calm(f func()) {
	defer func() { _ = recover() }()
	f()
}
