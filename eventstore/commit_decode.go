package eventstore

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dieuphoi/dieuphoi/domain"
)

// parseCommitBody decodes a stored commit body in one pass. encoding/json validates the whole
// document before decoding it, which made decoding most of a rebuild's cost; this parser reads
// the envelope's known shape directly and keeps each event's payload as the raw bytes it is. It
// accepts any valid JSON of that shape (fields in any order, whitespace, escapes, unknown fields
// skipped); on anything it does not recognise it defers to encoding/json, so odd input still
// decodes, or fails, exactly as before.
func parseCommitBody(data []byte, b *commitBody) error {
	p := jparser{s: data}
	if err := p.commit(b); err == nil && p.end() {
		return nil
	}
	*b = commitBody{}
	return json.Unmarshal(data, b)
}

var errFallback = errors.New("not the fast path")

type jparser struct {
	s []byte
	i int
}

func (p *jparser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jparser) end() bool { p.ws(); return p.i == len(p.s) }

func (p *jparser) byte(c byte) bool {
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object calls field for each key of an object.
func (p *jparser) object(field func(key []byte) error) error {
	if !p.byte('{') {
		return errFallback
	}
	if p.byte('}') {
		return nil
	}
	for {
		key, err := p.rawString()
		if err != nil {
			return err
		}
		if !p.byte(':') {
			return errFallback
		}
		if err := field(key); err != nil {
			return err
		}
		if p.byte(',') {
			continue
		}
		if p.byte('}') {
			return nil
		}
		return errFallback
	}
}

// rawString returns the bytes of a string without escapes (keys never need them); a key with an
// escape takes the fallback.
func (p *jparser) rawString() ([]byte, error) {
	if !p.byte('"') {
		return nil, errFallback
	}
	start := p.i
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			p.i++
			return p.s[start : p.i-1], nil
		case c == '\\' || c < 0x20:
			return nil, errFallback
		}
		p.i++
	}
	return nil, errFallback
}

func (p *jparser) str() (string, error) {
	if !p.byte('"') {
		if p.null() {
			return "", nil
		}
		return "", errFallback
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			p.i++
			if !utf8.Valid(p.s[start : p.i-1]) {
				return "", errFallback
			}
			return string(p.s[start : p.i-1]), nil
		}
		if c == '\\' {
			return p.escaped(start)
		}
		if c < 0x20 {
			return "", errFallback
		}
		p.i++
	}
	return "", errFallback
}

// escaped finishes a string that holds escapes.
func (p *jparser) escaped(start int) (string, error) {
	out := append([]byte(nil), p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			if !utf8.Valid(out) {
				return "", errFallback
			}
			return string(out), nil
		case c < 0x20:
			return "", errFallback
		case c != '\\':
			out = append(out, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", errFallback
		}
		p.i += 2
		switch p.s[p.i-1] {
		case '"', '\\', '/':
			out = append(out, p.s[p.i-1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", errFallback
			}
			if utf16.IsSurrogate(r) {
				if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					p.i += 2
					r2, ok := p.hex4()
					if !ok {
						return "", errFallback
					}
					r = utf16.DecodeRune(r, r2)
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", errFallback
		}
	}
	return "", errFallback
}

func (p *jparser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.s[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

func (p *jparser) null() bool {
	p.ws()
	if len(p.s)-p.i >= 4 && string(p.s[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

func (p *jparser) uint() (uint64, error) {
	p.ws()
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.i == start || p.i < len(p.s) && (p.s[p.i] == '.' || p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		return 0, errFallback
	}
	return strconv.ParseUint(string(p.s[start:p.i]), 10, 64)
}

// skip steps over any JSON value and returns its bytes. It matches brackets and strings but
// does not validate scalars: an event payload is validated when it is decoded.
func (p *jparser) skip() ([]byte, error) {
	p.ws()
	start := p.i
	if p.i >= len(p.s) {
		return nil, errFallback
	}
	switch p.s[p.i] {
	case '"':
		if !p.skipString() {
			return nil, errFallback
		}
	case '{', '[':
		depth := 0
		for {
			if p.i >= len(p.s) {
				return nil, errFallback
			}
			switch p.s[p.i] {
			case '"':
				if !p.skipString() {
					return nil, errFallback
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			p.i++
			if depth == 0 {
				break
			}
		}
	case '}', ']', ',', ':':
		return nil, errFallback
	default: // number, true, false, null
		for p.i < len(p.s) && !isDelim(p.s[p.i]) {
			p.i++
		}
	}
	return p.s[start:p.i], nil
}

// skipString steps over a string starting at its opening quote.
func (p *jparser) skipString() bool {
	p.i++
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '\\':
			p.i += 2
			continue
		case '"':
			p.i++
			return true
		}
		p.i++
	}
	return false
}

func isDelim(c byte) bool {
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func (p *jparser) commit(b *commitBody) error {
	return p.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "format":
			var v uint64
			v, err = p.uint()
			b.Format = int(v)
		case "id":
			b.ID, err = p.str()
		case "command":
			b.Command, err = p.str()
		case "commandName":
			b.CommandName, err = p.str()
		case "aggregateType":
			b.AggregateType, err = p.str()
		case "aggregateId":
			b.AggregateID, err = p.str()
		case "version":
			b.Version, err = p.uint()
		case "prev":
			b.Prev, err = p.str()
		case "correlation":
			b.Correlation, err = p.str()
		case "causation":
			b.Causation, err = p.str()
		case "occurredAt":
			var s string
			if s, err = p.str(); err == nil {
				b.OccurredAt, err = time.Parse(time.RFC3339Nano, s)
			}
		case "actor":
			err = p.object(func(k []byte) error {
				var err error
				switch string(k) {
				case "user":
					b.Actor.User, err = p.str()
				case "org":
					b.Actor.Org, err = p.str()
				case "role":
					var r string
					r, err = p.str()
					b.Actor.Role = domain.Role(r)
				default:
					err = p.unknown(k, actorKeys)
				}
				return err
			})
		case "events":
			err = p.events(b)
		default:
			err = p.unknown(key, commitKeys)
		}
		return err
	})
}

var (
	commitKeys = []string{"format", "id", "command", "commandName", "aggregateType", "aggregateId", "version", "prev",
		"correlation", "causation", "occurredAt", "actor", "events"}
	actorKeys = []string{"user", "org", "role"}
	eventKeys = []string{"id", "type", "schema", "data"}
)

// unknown skips a field this parser does not know; a key that matches a known field only when
// case is ignored (encoding/json would take it) takes the fallback instead.
func (p *jparser) unknown(key []byte, known []string) error {
	for _, k := range known {
		if strings.EqualFold(k, string(key)) {
			return errFallback
		}
	}
	_, err := p.skip()
	return err
}

func (p *jparser) events(b *commitBody) error {
	if p.null() {
		return nil
	}
	if !p.byte('[') {
		return errFallback
	}
	b.Events = []storedEvent{}
	if p.byte(']') {
		return nil
	}
	for {
		var e storedEvent
		err := p.object(func(k []byte) error {
			var err error
			switch string(k) {
			case "id":
				e.ID, err = p.str()
			case "type":
				e.Type, err = p.str()
			case "schema":
				var v uint64
				v, err = p.uint()
				e.Schema = int(v)
			case "data":
				var raw []byte
				raw, err = p.skip()
				e.Data = json.RawMessage(raw)
			default:
				err = p.unknown(k, eventKeys)
			}
			return err
		})
		if err != nil {
			return err
		}
		b.Events = append(b.Events, e)
		if p.byte(',') {
			continue
		}
		if p.byte(']') {
			return nil
		}
		return errFallback
	}
}
