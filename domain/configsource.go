package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// configSource is a configuration file being parsed: its text, where each JSON path starts,
// and the problems found so far with their byte offsets.
type configSource struct {
	name     string
	data     []byte
	offsets  map[string]int // JSON path ("organisations[3].kind", "" for the root) -> offset of its value
	problems []located
	dec      *json.Decoder
}

// located is a problem with its place in the file.
type located struct {
	path   string
	offset int
	column bool // show the column too (syntax and type errors point at a character)
	msg    string
}

// checkSyntax reports the first syntax error: nothing else can be trusted after one.
func (s *configSource) checkSyntax() error {
	if len(bytes.TrimSpace(s.data)) == 0 {
		return Errorf(EINVALID, "%s: the file is empty; it must hold one JSON object", s.name)
	}
	if !utf8.Valid(s.data) {
		off := 0
		for off < len(s.data) {
			r, n := utf8.DecodeRune(s.data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return Errorf(EINVALID, "%s: %s: the text is not valid UTF-8; save the file as UTF-8", s.name, s.position(off, true))
	}
	var raw json.RawMessage
	err := json.Unmarshal(s.data, &raw)
	var se *json.SyntaxError
	if err == nil {
		return nil
	} else if !errors.As(err, &se) {
		return Errorf(EINVALID, "%s: %v", s.name, err)
	}
	// Offset counts the bytes read up to and including the offending one.
	off := int(se.Offset) - 1
	msg := strings.TrimPrefix(se.Error(), "json: ")
	if int(se.Offset) >= len(s.data) && strings.Contains(msg, "end of JSON input") {
		off = len(bytes.TrimRight(s.data, " \t\r\n"))
		msg = "the file ends too early; look for a missing closing bracket, brace or quote"
	}
	return Errorf(EINVALID, "%s: %s: %s", s.name, s.position(max(off, 0), true), msg)
}

// walk reads the (syntactically valid) document token by token alongside the Config type,
// recording where every path starts and reporting unknown or repeated fields and values of the
// wrong type, with their positions. One pass finds all of them, not just the first.
func (s *configSource) walk() {
	s.dec = json.NewDecoder(bytes.NewReader(s.data))
	s.value("", reflect.TypeFor[Config]())
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	timeType        = reflect.TypeFor[time.Time]()
)

// next returns the offset where the next token starts, skipping the separators the decoder has
// not consumed yet.
func (s *configSource) next() int {
	off := int(s.dec.InputOffset())
	for off < len(s.data) && strings.IndexByte(" \t\r\n,:", s.data[off]) >= 0 {
		off++
	}
	return off
}

// value walks one JSON value at path; t is the Go type it decodes into, nil for "anything".
func (s *configSource) value(path string, t reflect.Type) {
	start := s.next()
	s.offsets[path] = start
	tok, err := s.dec.Token()
	if err != nil {
		return // unreachable after checkSyntax; the decoder reports it again
	}
	bad := func(want string) {
		s.problems = append(s.problems, located{path, start, true, fmt.Sprintf("%s: must be %s", displayPath(path), want)})
	}
	custom := t != nil && reflect.PointerTo(t).Implements(unmarshalerType)
	switch tok := tok.(type) {
	case json.Delim:
		isObject := tok == '{'
		switch {
		case t == nil:
		case isObject && t.Kind() == reflect.Struct && !custom:
			s.object(path, t)
			return
		case !isObject && t.Kind() == reflect.Slice:
			s.array(path, t.Elem())
			return
		default:
			bad(describeType(t))
		}
		// Skip the value, still recording paths inside it.
		if isObject {
			s.object(path, nil)
		} else {
			s.array(path, nil)
		}
	case nil:
		// null leaves the zero value; Validate reports it if the field is required.
	case string:
		switch {
		case t == nil:
		case custom:
			v := reflect.New(t).Interface().(json.Unmarshaler)
			b, _ := json.Marshal(tok)
			if err := v.UnmarshalJSON(b); err != nil {
				msg := err.Error()
				if t == timeType {
					msg = fmt.Sprintf(`time %q must be written as in "2025-03-01T00:00:00+07:00" (RFC 3339)`, tok)
				}
				s.problems = append(s.problems, located{path, start, true, displayPath(path) + ": " + msg})
			}
		case t.Kind() != reflect.String:
			bad(describeType(t))
		}
	case bool:
		if t != nil && (custom || t.Kind() != reflect.Bool) {
			bad(describeType(t))
		}
	case float64:
		if custom {
			bad(describeType(t))
		} else if t != nil {
			switch t.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
				reflect.Float32, reflect.Float64:
			default:
				bad(describeType(t))
			}
		}
	}
}

// object walks the members of an object whose '{' has been read; t is its struct type or nil.
func (s *configSource) object(path string, t reflect.Type) {
	fields := jsonFields(t)
	seen := map[string]bool{}
	for s.dec.More() {
		keyStart := s.next()
		tok, err := s.dec.Token()
		if err != nil {
			return
		}
		key, _ := tok.(string)
		child := key
		if path != "" {
			child = path + "." + key
		}
		var ft reflect.Type
		switch f, known := fields[key]; {
		case t == nil:
		case !known:
			msg, meant := unknownField(key, path, fields)
			if meant != "" {
				// Reported as misspelt; do not report the intended field as missing as well.
				child = strings.TrimSuffix(child, key) + meant
			}
			s.problems = append(s.problems, located{child, keyStart, true, msg})
		case seen[key]:
			s.problems = append(s.problems, located{child, keyStart, true, fmt.Sprintf("%s: is given twice; keep one", displayPath(child))})
		default:
			ft = f
		}
		seen[key] = true
		s.value(child, ft)
	}
	_, _ = s.dec.Token() // '}'
}

// array walks the elements of an array whose '[' has been read; elem is their type or nil.
func (s *configSource) array(path string, elem reflect.Type) {
	for i := 0; s.dec.More(); i++ {
		s.value(fmt.Sprintf("%s[%d]", path, i), elem)
	}
	_, _ = s.dec.Token() // ']'
}

// decodeLeniently fills v from data value by value, leaving zero whatever does not decode. Only
// used after the walk has reported why.
func decodeLeniently(data []byte, v reflect.Value) {
	t := v.Type()
	switch {
	case t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(unmarshalerType):
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) != nil {
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if raw, ok := members[name]; ok && f.IsExported() && name != "" && name != "-" {
				decodeLeniently(raw, v.Field(i))
			}
		}
	case t.Kind() == reflect.Slice:
		var elems []json.RawMessage
		if json.Unmarshal(data, &elems) != nil {
			return
		}
		s := reflect.MakeSlice(t, len(elems), len(elems))
		for i, raw := range elems {
			decodeLeniently(raw, s.Index(i))
		}
		v.Set(s)
	default:
		_ = json.Unmarshal(data, v.Addr().Interface())
	}
}

// jsonFields maps the JSON names of a struct's exported fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	if t == nil || t.Kind() != reflect.Struct {
		return out
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// unknownField explains an unknown field and returns the known field it probably meant.
func unknownField(key, parent string, fields map[string]reflect.Type) (msg, meant string) {
	where := "at the top level"
	if parent != "" {
		where = "in " + parent
	}
	names := make([]string, 0, len(fields))
	for n := range fields {
		if strings.EqualFold(n, key) {
			return fmt.Sprintf("unknown field %q %s; did you mean %q?", key, where, n), n
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return fmt.Sprintf("unknown field %q %s; known fields are %s", key, where, strings.Join(names, ", ")), ""
}

func describeType(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[Duration]():
		return `a duration string such as "15m", "4h" or "5d"`
	case t == timeType:
		return `a time string such as "2025-03-01T00:00:00+07:00"`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list [...]"
	case reflect.Struct:
		return "an object {...}"
	}
	return "a number"
}

func displayPath(path string) string {
	if path == "" {
		return "the configuration"
	}
	return path
}

// locate gives a semantic problem the line of its field, or of the nearest enclosing value
// present in the file when the field itself is missing.
func (s *configSource) locate(p configProblem) located {
	path := p.path
	for {
		if off, ok := s.offsets[path]; ok {
			return located{p.path, off, false, p.path + ": " + p.msg}
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			if path == "" {
				return located{p.path, 0, false, p.path + ": " + p.msg}
			}
			path = ""
			continue
		}
		path = path[:i]
	}
}

// decodeProblem places an error from encoding/json as well as the error allows.
func (s *configSource) decodeProblem(err error) located {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return located{te.Field, int(te.Offset), true, msg}
	}
	return located{"", 0, false, msg}
}

// position renders an offset as "line L" or "line L, column C" (columns count characters, so
// Vietnamese text with diacritics lines up with what an editor shows).
func (s *configSource) position(off int, column bool) string {
	off = min(off, len(s.data))
	before := s.data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	if !column {
		return fmt.Sprintf("line %d", line)
	}
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return fmt.Sprintf("line %d, column %d", line, col)
}

// err sorts the problems by position and joins them into one EINVALID error.
func (s *configSource) err() error {
	sort.SliceStable(s.problems, func(i, j int) bool { return s.problems[i].offset < s.problems[j].offset })
	lines := make([]string, len(s.problems))
	for i, p := range s.problems {
		lines[i] = s.name + ": " + s.position(p.offset, p.column) + ": " + p.msg
	}
	return Errorf(EINVALID, "%s", joinProblems(lines))
}

// joinProblems puts one problem on each line, at most maxConfigProblems of them.
func joinProblems(lines []string) string {
	if len(lines) > maxConfigProblems {
		more := len(lines) - maxConfigProblems
		lines = append(lines[:maxConfigProblems:maxConfigProblems], fmt.Sprintf("... and %d more problems", more))
	}
	return strings.Join(lines, "\n")
}
