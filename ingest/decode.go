package ingest

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/dieuphoi/dieuphoi/domain"
)

// strict reads alerts exactly: member names match their case exactly, a member this release
// does not know, a name given twice and invalid UTF-8 are errors (json v2's defaults, plus
// unknown members), so that what is recorded is what the SOC meant, never a guess.
var strict = json.JoinOptions(json.RejectUnknownMembers(true))

// decode reads one alert strictly.
func decode(data []byte) (domain.ReceiveAlert, error) {
	var a domain.ReceiveAlert
	if err := json.Unmarshal(data, &a, strict); err != nil {
		return a, domain.Errorf(domain.EINVALID, "the alert does not decode: %s", jsonProblem(err))
	}
	return a, nil
}

// jsonProblem says in a sentence what is wrong with an alert's JSON.
func jsonProblem(err error) string {
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	var terr *time.ParseError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the JSON is cut short"
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		return fmt.Sprintf("member %q is given twice", syn.JSONPointer.LastToken())
	case errors.As(err, &syn) && strings.Contains(syn.Err.Error(), "UTF-8"):
		return fmt.Sprintf("invalid UTF-8 at byte %d", syn.ByteOffset)
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d", syn.ByteOffset)
	case errors.As(err, &sem) && errors.Is(sem.Err, json.ErrUnknownName):
		return fmt.Sprintf("unknown member %q (names are case-sensitive)", sem.JSONPointer.LastToken())
	case errors.As(err, &terr):
		return "observedAt must be an RFC 3339 time such as \"2026-11-21T14:30:00+07:00\""
	case errors.As(err, &sem) && sem.JSONPointer != "":
		return fmt.Sprintf("member %q must not be a JSON %s", strings.TrimPrefix(string(sem.JSONPointer), "/"), kindName(sem.JSONKind))
	case errors.As(err, &sem):
		return fmt.Sprintf("a JSON %s where an object was expected", kindName(sem.JSONKind))
	}
	return "it does not decode"
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}
