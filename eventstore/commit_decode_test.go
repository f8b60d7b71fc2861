package eventstore

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
)

func sameBody(a, b commitBody) bool {
	ta, tb := a.OccurredAt, b.OccurredAt
	a.OccurredAt, b.OccurredAt = time.Time{}, time.Time{}
	if !ta.Equal(tb) || len(a.Events) != len(b.Events) {
		return false
	}
	for i := range a.Events {
		if string(a.Events[i].Data) != string(b.Events[i].Data) {
			return false
		}
		a.Events[i].Data, b.Events[i].Data = nil, nil
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestParseCommitBodyAgreesWithEncodingJSON(t *testing.T) {
	is := is.New(t)
	cases := []string{
		`{"format":1,"id":"a","aggregateType":"incident","aggregateId":"x","version":2,"prev":"","actor":{"user":"lan","org":"dic","role":"coordinator"},"occurredAt":"2026-11-21T01:02:03.123456789Z","events":[{"id":"e","type":"NoteAdded","schema":2,"data":{"noteId":"n","text":"Đã \"cô lập\" \\ máy\n chủ \u00e9 \ud83d\ude00","tlp":"AMBER"}}]}`,
		` { "events" : [ { "data" : [1, {"a": "}"}, "]"] , "schema":1, "type":"T", "id":"e" } ] , "version" : 1 , "format":1 , "unknown": {"x":[true,false,null,-1.5e3]} } `,
		`{"format":1,"occurredAt":"2026-11-21T08:00:00+07:00","actor":{"user":"a\tb","role":"x","extra":1},"events":[]}`,
		`{"format":1,"events":null,"command":null}`,
		`{"format":1,"id":"\u0000 nul"}`,
	}
	for i, c := range cases {
		var want, got commitBody
		is.NoErr(json.Unmarshal([]byte(c), &want)) // the case is valid JSON
		is.NoErr(parseCommitBody([]byte(c), &got))
		is.True(sameBody(want, got)) // same result as encoding/json
		_ = i
	}
	// Invalid documents are refused as before (the fallback reports encoding/json's error).
	for _, bad := range []string{`{`, `{"format":1,}`, `[]`, `{"format":"one"}`, `{"events":[{"data":}]}`, `{"format":1} x`} {
		var b commitBody
		is.True(parseCommitBody([]byte(bad), &b) != nil) // refused
	}
}

// Randomised: bodies written by our encoder and by encoding/json, with awkward strings, read back
// identically.
func TestParseCommitBodyRoundTrip(t *testing.T) {
	is := is.New(t)
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Đ", "ư", "\"", "\\", "/", "\n", "\t", "\x01", "😀", "<", "&", " ", "\u2028", "}", "]", ","}
	word := func() string {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 2000 {
		b := commitBody{Format: 1, ID: word(), Command: word(), CommandName: word(), AggregateType: word(), AggregateID: word(),
			Version: r.Uint64N(1 << 40), Prev: word(), Actor: domain.Actor{User: word(), Org: word(), Role: domain.Role(word())},
			Correlation: word(), Causation: word(), OccurredAt: time.Unix(r.Int64N(4e9), r.Int64N(1e9)).UTC()}
		for range r.IntN(4) {
			d, _ := json.Marshal(map[string]any{"text": word(), "n": r.IntN(100), "list": []string{word(), word()}})
			b.Events = append(b.Events, storedEvent{ID: word(), Type: word(), Schema: 1 + r.IntN(3), Data: d})
		}
		std, err := json.Marshal(b)
		is.NoErr(err)
		ours, err := b.appendJSON(nil)
		is.NoErr(err)
		for _, data := range [][]byte{std, ours} {
			var want, got commitBody
			is.NoErr(json.Unmarshal(data, &want))
			is.NoErr(parseCommitBody(data, &got))
			is.True(sameBody(want, got)) // identical to encoding/json
		}
	}
}

func FuzzParseCommitBody(f *testing.F) {
	f.Add([]byte(`{"format":1,"id":"a","events":[{"id":"e","type":"T","schema":1,"data":{"x":"y"}}]}`))
	f.Add([]byte(`{"actor":{"user":"\u00e9"},"occurredAt":"2026-11-21T01:02:03Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var want, got commitBody
		if json.Unmarshal(data, &want) != nil {
			return // where encoding/json refuses, the event decoder refuses the payload later
		}
		if err := parseCommitBody(data, &got); err != nil {
			t.Fatalf("encoding/json accepts %q but parseCommitBody says %v", data, err)
		}
		if !sameBody(want, got) {
			t.Fatalf("different results for %q", data)
		}
	})
}
