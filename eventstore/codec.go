package eventstore

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/dieuphoi/dieuphoi/domain"
)

// storedJSON are the json v2 options for everything the log stores: commit bodies and event
// payloads. The domain's event structs were written for encoding/json v1; where v1 and v2
// differ, these choices make every event read back exactly as it was recorded:
//
//   - A nil slice or map is written as null, as v1 did (v2 writes [] and {}), so that it reads
//     back nil and not empty.
//   - Map keys are sorted, as v1 did (v2 does not by default).
//   - Pre-escaped text inside raw JSON values (an alert's Raw, a json.RawMessage) is kept as it
//     was given; v2 would otherwise rewrite escapes such as \u00e9.
//
// The v2 defaults are kept where they are stricter, because the stored bytes are evidence:
// invalid UTF-8 is refused instead of silently replaced by U+FFFD; duplicate object names are
// refused instead of the last one winning; names match case-sensitively. Other differences do
// not change what is read back: v2's omitempty omits only values that encode as null, "", {} or
// [] (a false or a 0 tagged omitempty is now written, and reads back the same); time.Time is
// RFC 3339 with nanoseconds in both; types with their own MarshalJSON (domain.Duration,
// json.RawMessage) are called as in v1; an embedded struct without a JSON name (domain.Stamp)
// is inlined in both, so "by" and "at" stay top-level keys.
var storedJSON = json.JoinOptions(
	json.FormatNilSliceAsNull(true),
	json.FormatNilMapAsNull(true),
	json.Deterministic(true),
	jsontext.PreserveRawStrings(true),
)

// bodyJSON reads commit bodies: as storedJSON, and a member this release does not know is an
// error rather than ignored (a body is written only by this code).
var bodyJSON = json.JoinOptions(storedJSON, json.RejectUnknownMembers(true))

// PayloadCodec is the domain.Codec the log stores event payloads with: json v2
// (github.com/go-json-experiment/json, the mirror of encoding/json/v2) with the storedJSON
// options. Adapters that decode Envelope.Payload themselves should use it too.
var PayloadCodec = domain.Codec{
	Marshal:   func(v any) ([]byte, error) { return json.Marshal(v, storedJSON) },
	Unmarshal: func(data []byte, v any) error { return json.Unmarshal(data, v, storedJSON) },
}
