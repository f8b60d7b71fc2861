package domain

import (
	"encoding/json"
	"slices"
)

func init() {
	registerEvent[NoteAdded]("incident", 2, map[int]Upcaster{1: upcastNoteAddedV1})
	registerEvent[IndicatorAdded]("incident", 1, nil)
	registerCommand((*Incident).AddNote)
	registerCommand((*Incident).AddIndicator)
}

// AddNote adds a note; an empty TLP means the incident's TLP.
type AddNote struct {
	NoteID string
	Text   string
	TLP    TLP
}

// CommandName implements Command.
func (AddNote) CommandName() string { return "AddNote" }

// AddIndicator records an indicator of compromise; an empty TLP means the incident's TLP.
type AddIndicator struct {
	IndicatorID string
	Type        IndicatorType
	Value       string
	TLP         TLP
}

// CommandName implements Command.
func (AddIndicator) CommandName() string { return "AddIndicator" }

// NoteAdded records a note. Schema version 2; version 1 named the text "body".
type NoteAdded struct {
	NoteID string `json:"noteId"`
	Text   string `json:"text"`
	TLP    TLP    `json:"tlp"`
	Stamp
}

// IndicatorAdded records an indicator of compromise with its normalised value.
type IndicatorAdded struct {
	IndicatorID string        `json:"indicatorId"`
	Type        IndicatorType `json:"type"`
	Value       string        `json:"value"`
	TLP         TLP           `json:"tlp"`
	Stamp
}

// EventType implements Event.
func (NoteAdded) EventType() string { return "NoteAdded" }

// EventType implements Event.
func (IndicatorAdded) EventType() string { return "IndicatorAdded" }

// upcastNoteAddedV1 renames the version 1 key "body" to "text".
func upcastNoteAddedV1(payload []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, err
	}
	if body, ok := m["body"]; ok {
		m["text"] = body
		delete(m, "body")
	}
	return json.Marshal(m)
}

// AddNote adds a note; reviewers may add notes too, and notes may be added after closing.
func (i *Incident) AddNote(in Invocation, c AddNote) error {
	if err := i.guard(in, CmdAddNote, true); err != nil {
		return err
	}
	if in.Actor.Role != RoleReviewer {
		if err := i.needWrite(in); err != nil {
			return err
		}
	}
	e := NoteAdded{Stamp: in.Stamp()}
	var err error
	if e.NoteID, err = textField("note id", c.NoteID, 200, true); err != nil {
		return err
	}
	if slices.ContainsFunc(i.Notes, func(n Note) bool { return n.ID == e.NoteID }) {
		return Errorf(ECONFLICT, "note %q already exists", e.NoteID)
	}
	if e.Text, err = textField("note text", c.Text, 20000, true); err != nil {
		return err
	}
	if e.TLP, err = i.itemTLP(c.TLP, "note"); err != nil {
		return err
	}
	i.record(e)
	return nil
}

// AddIndicator records an indicator of compromise, normalised.
func (i *Incident) AddIndicator(in Invocation, c AddIndicator) error {
	if err := i.guardWrite(in, CmdAddIndicator, false); err != nil {
		return err
	}
	e := IndicatorAdded{Type: c.Type, Stamp: in.Stamp()}
	var err error
	if e.IndicatorID, err = textField("indicator id", c.IndicatorID, 200, true); err != nil {
		return err
	}
	if e.Value, err = ValidateIndicator(c.Type, c.Value); err != nil {
		return err
	}
	for _, x := range i.Indicators {
		if x.ID == e.IndicatorID {
			return Errorf(ECONFLICT, "indicator %q already exists", e.IndicatorID)
		}
		if x.Type == e.Type && x.Value == e.Value {
			return Errorf(ECONFLICT, "%s %s is already recorded as indicator %q", e.Type, trimForMessage(e.Value), x.ID)
		}
	}
	if e.TLP, err = i.itemTLP(c.TLP, "indicator"); err != nil {
		return err
	}
	i.record(e)
	return nil
}
