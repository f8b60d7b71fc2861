package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxCommandJSON is the largest JSON command accepted, in bytes.
const MaxCommandJSON = 1 << 20

// commandTypes maps a command name to a constructor of its struct, for DecodeCommand.
var commandTypes = map[string]func() any{
	CmdOpenIncident: func() any { return &OpenIncident{} }, CmdClassify: func() any { return &Classify{} },
	CmdAssignLead: func() any { return &AssignLead{} }, CmdChangePhase: func() any { return &ChangePhase{} },
	CmdAddNote: func() any { return &AddNote{} }, CmdAddIndicator: func() any { return &AddIndicator{} },
	CmdShare: func() any { return &Share{} }, CmdNameRecipients: func() any { return &NameRecipients{} },
	CmdChangeTLP: func() any { return &ChangeTLP{} }, CmdEscalate: func() any { return &Escalate{} },
	CmdAcknowledgeEscalation: func() any { return &AcknowledgeEscalation{} },
	CmdResolveEscalation:     func() any { return &ResolveEscalation{} },
	CmdOfferHandoff:          func() any { return &OfferHandoff{} }, CmdAcceptHandoff: func() any { return &AcceptHandoff{} },
	CmdAcknowledgeHandoff: func() any { return &AcknowledgeHandoff{} },
	CmdDeclineHandoff:     func() any { return &DeclineHandoff{} }, CmdReturnHandoff: func() any { return &ReturnHandoff{} },
	CmdWithdrawHandoff: func() any { return &WithdrawHandoff{} }, CmdCloseIncident: func() any { return &CloseIncident{} },
	CmdReopenIncident:     func() any { return &ReopenIncident{} },
	CmdRecordNotification: func() any { return &RecordNotification{} }, CmdSubmitReport: func() any { return &SubmitReport{} },
	"SubmitPeriodicReport": func() any { return &SubmitPeriodicReport{} },
	"ReceiveAlert":         func() any { return &ReceiveAlert{} },
	"MergeAlerts":          func() any { return &MergeAlerts{} }, "DetachAlert": func() any { return &DetachAlert{} },
	"SetSuppression": func() any { return &SetSuppression{} }, "SetFocalPoints": func() any { return &SetFocalPoints{} },
	"RegisterUser": func() any { return &RegisterUser{} }, "GrantRole": func() any { return &GrantRole{} },
	"RevokeRole": func() any { return &RevokeRole{} }, "DisableUser": func() any { return &DisableUser{} },
}

// DecodeCommand reads a command written as JSON (field names as in the Go struct, any case) and
// returns a pointer to its struct. It is strict: an unknown command or field, a value of the
// wrong type, trailing data or an oversized document is EINVALID or ETOOLARGE with a sentence
// naming the problem. Values (enums, lengths, dates) are checked by the command method itself.
func DecodeCommand(name string, data []byte) (any, error) {
	mk, ok := commandTypes[name]
	if !ok {
		return nil, Errorf(EINVALID, "unknown command %q", name)
	}
	if len(data) > MaxCommandJSON {
		return nil, Errorf(ETOOLARGE, "command %s is %d bytes; the limit is %d", name, len(data), MaxCommandJSON)
	}
	v := mk()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, commandJSONError(name, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, Errorf(EINVALID, "command %s: unexpected data after the JSON object", name)
	}
	return v, nil
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
