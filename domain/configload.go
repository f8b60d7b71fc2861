package domain

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

//go:embed defaults/config.json
var defaultConfigJSON []byte

// The embedded default is parsed once; TestDefaultConfig fails the build if it is broken, so
// DefaultConfig never meets the error at run time.
var defaultConfig, defaultConfigErr = ParseConfig("defaults/config.json", defaultConfigJSON)

// DefaultConfig returns a fresh copy of the built-in configuration (version 2025.2): the
// organisation directory, sectors, incident types, deadlines, escalation policy and periodic
// reports of a sample province. Callers
// may modify the copy.
func DefaultConfig() *Config {
	if defaultConfigErr != nil {
		panic("domain: embedded default configuration is invalid: " + defaultConfigErr.Error())
	}
	return defaultConfig.clone()
}

// DefaultConfigJSON returns the text of the built-in configuration, a starting point for a
// province's own file.
func DefaultConfigJSON() []byte { return bytes.Clone(defaultConfigJSON) }

// clone returns a copy sharing nothing mutable with c.
func (c *Config) clone() *Config {
	d := *c
	d.OrgKinds = slices.Clone(c.OrgKinds)
	d.Sectors = slices.Clone(c.Sectors)
	d.IncidentTypes = slices.Clone(c.IncidentTypes)
	d.Organisations = slices.Clone(c.Organisations)
	d.EscalationPolicy = c.EscalationPolicy.clone()
	d.PeriodicReports = c.PeriodicReports.clone()
	d.AlertSources = slices.Clone(c.AlertSources)
	d.index()
	return &d
}

// maxConfigProblems caps how many problems one error lists.
const maxConfigProblems = 20

// RSITClasses are the classes of the ENISA Reference Security Incident Taxonomy an incident type
// may map to.
var RSITClasses = []string{
	"Abusive Content", "Malicious Code", "Information Gathering", "Intrusion Attempts", "Intrusions",
	"Availability", "Information Content Security", "Fraud", "Vulnerable", "Other", "Test",
}

var (
	slugRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	codeRe = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// configProblem is one thing wrong with a configuration, at a JSON path such as
// "organisations[3].kind".
type configProblem struct {
	path string
	msg  string
}

// ParseConfig reads one configuration version from JSON. It is strict: unknown fields, values of
// the wrong type and every rule of Validate are errors. The EINVALID error lists up to 20
// problems, one a line, each naming the file, the line and the field, such as
// `config.json: line 42: organisations[3].kind: unknown organisation kind "POLISE"`.
func ParseConfig(name string, data []byte) (*Config, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // editors on Windows add a byte-order mark
	src := &configSource{name: name, data: data, offsets: map[string]int{}}
	if err := src.checkSyntax(); err != nil {
		return nil, err
	}
	src.walk()

	var c Config
	if len(src.problems) == 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			// The walk mirrors the decoder, so this is not expected; report it rather than hide it.
			src.problems = append(src.problems, src.decodeProblem(err))
		}
	} else {
		// encoding/json stops at the first value it cannot decode; to find the remaining
		// problems, decode every value that can be decoded, one at a time.
		decodeLeniently(data, reflect.ValueOf(&c).Elem())
	}

	reported := map[string]bool{}
	for _, p := range src.problems {
		reported[p.path] = true
	}
	for _, p := range c.problems() {
		// A field that did not decode is already reported; its zero value would only repeat it.
		// Nothing decoded from a file that is not an object.
		if !reported[p.path] && !reported[""] {
			src.problems = append(src.problems, src.locate(p))
		}
	}
	if len(src.problems) > 0 {
		return nil, src.err()
	}
	return &c, nil
}

// Validate checks the configuration and builds its lookups; a configuration is used only after
// it validates. The EINVALID error lists up to 20 problems, one a line, each naming the field.
func (c *Config) Validate() error {
	probs := c.problems()
	if len(probs) == 0 {
		return nil
	}
	lines := make([]string, len(probs))
	for i, p := range probs {
		lines[i] = p.path + ": " + p.msg
	}
	return Errorf(EINVALID, "%s", joinProblems(lines))
}

// problems indexes c and returns everything wrong with it, in file order.
func (c *Config) problems() []configProblem {
	c.index()
	var out []configProblem
	add := func(path, format string, args ...any) {
		out = append(out, configProblem{path, fmt.Sprintf(format, args...)})
	}

	if strings.TrimSpace(c.Version) == "" {
		add("version", `is required; give this configuration a version such as "2025.1"`)
	}
	if c.EffectiveFrom.IsZero() {
		add("effectiveFrom", `is required; give the time this version takes effect, such as "2025-03-01T00:00:00+07:00"`)
	}

	// codes checks a list of entries identified by an upper-case code.
	codes := func(list string, n int, get func(i int) (code, nameVi, nameEn string)) {
		if n == 0 {
			add(list, "is empty; list at least one entry")
		}
		first := map[string]int{}
		for i := range n {
			code, vi, en := get(i)
			at := fmt.Sprintf("%s[%d]", list, i)
			switch j, dup := first[code]; {
			case code == "":
				add(at+".code", "is required")
			case !codeRe.MatchString(code):
				add(at+".code", "code %q must be upper-case letters, digits and underscores, starting with a letter", code)
			case dup:
				add(at+".code", "duplicate code %q (already used by %s[%d]); codes must be unique", code, list, j)
			default:
				first[code] = i
			}
			if strings.TrimSpace(vi) == "" {
				add(at+".nameVi", "is required; give the Vietnamese name")
			}
			if strings.TrimSpace(en) == "" {
				add(at+".nameEn", "is required; give the English name")
			}
		}
	}
	codes("orgKinds", len(c.OrgKinds), func(i int) (string, string, string) {
		k := c.OrgKinds[i]
		return k.Code, k.NameVi, k.NameEn
	})
	force, cert := false, false
	for _, k := range c.OrgKinds {
		force = force || k.Force
		cert = cert || k.CERT
	}
	if len(c.OrgKinds) > 0 && !force {
		add("orgKinds", `mark at least one organisation kind with "force": true (the forces that may hold state-secret incidents)`)
	}
	if len(c.OrgKinds) > 0 && !cert {
		add("orgKinds", `mark at least one organisation kind with "cert": true (the CERTs that receive handoffs)`)
	}

	codes("sectors", len(c.Sectors), func(i int) (string, string, string) {
		s := c.Sectors[i]
		return s.Code, s.NameVi, s.NameEn
	})

	codes("incidentTypes", len(c.IncidentTypes), func(i int) (string, string, string) {
		t := c.IncidentTypes[i]
		return t.Code, t.NameVi, t.NameEn
	})
	for i, t := range c.IncidentTypes {
		at := fmt.Sprintf("incidentTypes[%d]", i)
		if !slices.Contains(RSITClasses, t.RSITClass) {
			add(at+".rsitClass", "unknown RSIT class %q; use one of %s", t.RSITClass, strings.Join(RSITClasses, ", "))
		}
		if strings.TrimSpace(t.RSITType) == "" {
			add(at+".rsitType", `is required; give the RSIT type within the class, such as "Phishing"`)
		}
	}

	if len(c.Organisations) == 0 {
		add("organisations", "is empty; list at least one organisation")
	}
	firstSlug := map[string]int{}
	for i, o := range c.Organisations {
		at := fmt.Sprintf("organisations[%d]", i)
		switch j, dup := firstSlug[o.Slug]; {
		case o.Slug == "":
			add(at+".slug", `is required; give a stable identifier such as "cert-health"`)
		case !slugRe.MatchString(o.Slug):
			add(at+".slug", `slug %q must be lower-case letters and digits in words joined by single hyphens, such as "cert-health"`, o.Slug)
		case dup:
			add(at+".slug", "duplicate slug %q (already used by organisations[%d]); slugs must be unique", o.Slug, j)
		default:
			firstSlug[o.Slug] = i
		}
		// With no kinds or sectors listed, that one problem is reported, not one per organisation.
		if o.Kind == "" {
			add(at+".kind", "is required; use a code listed under orgKinds")
		} else if _, ok := c.kinds[o.Kind]; !ok && len(c.OrgKinds) > 0 {
			add(at+".kind", "unknown organisation kind %q; use a code listed under orgKinds", o.Kind)
		}
		if o.Sector != "" && len(c.Sectors) > 0 {
			if _, ok := c.secs[o.Sector]; !ok {
				add(at+".sector", "unknown sector %q; use a code listed under sectors", o.Sector)
			}
		}
		if strings.TrimSpace(o.NameVi) == "" {
			add(at+".nameVi", "is required; give the Vietnamese name")
		}
		if strings.TrimSpace(o.NameEn) == "" {
			add(at+".nameEn", "is required; give the English name")
		}
	}

	d := c.Deadlines
	deadlines := []struct {
		name string
		v    Duration
	}{
		{"acknowledgeEscalation", d.AcknowledgeEscalation},
		{"escalateAfter", d.EscalateAfter},
		{"answerHandoff", d.AnswerHandoff},
		{"notifyOwnerAndVncert", d.NotifyOwnerAndVNCERT},
		{"closingReport", d.ClosingReport},
		{"maxAckWithin", d.MaxAckWithin},
		{"minAckWithin", d.MinAckWithin},
	}
	if d == (DeadlineSettings{}) {
		add("deadlines", "is required; give acknowledgeEscalation, escalateAfter, answerHandoff, notifyOwnerAndVncert, closingReport, minAckWithin and maxAckWithin")
		c.policyProblems(add)
		c.alertSourceProblems(add)
		return out
	}
	positive := true
	for _, x := range deadlines {
		if x.v <= 0 {
			add("deadlines."+x.name, `must be a positive duration such as "15m", "4h" or "5d"`)
			positive = false
		}
	}
	if positive {
		switch {
		case d.MinAckWithin > d.MaxAckWithin:
			add("deadlines.minAckWithin", "(%s) must not be longer than maxAckWithin (%s)", time.Duration(d.MinAckWithin), time.Duration(d.MaxAckWithin))
		case d.AcknowledgeEscalation < d.MinAckWithin || d.AcknowledgeEscalation > d.MaxAckWithin:
			add("deadlines.acknowledgeEscalation", "(%s) must lie between minAckWithin (%s) and maxAckWithin (%s)",
				time.Duration(d.AcknowledgeEscalation), time.Duration(d.MinAckWithin), time.Duration(d.MaxAckWithin))
		}
	}
	c.policyProblems(add)
	c.alertSourceProblems(add)
	return out
}

// SelectConfig returns the version in effect at now: the one with the latest EffectiveFrom not
// after now. Versions must have distinct version strings and effective times.
func SelectConfig(versions []*Config, now time.Time) (*Config, error) {
	if len(versions) == 0 {
		return nil, Errorf(EINVALID, "no configuration versions were given; load at least one")
	}
	seen := map[string]bool{}
	var cur, earliest *Config
	for i, c := range versions {
		if c == nil {
			return nil, Errorf(EINVALID, "configuration version %d of %d is missing", i+1, len(versions))
		}
		if seen[c.Version] {
			return nil, Errorf(EINVALID, "two configurations share version %q; give each file its own version", c.Version)
		}
		seen[c.Version] = true
		for _, o := range versions[:i] {
			if o.EffectiveFrom.Equal(c.EffectiveFrom) {
				return nil, Errorf(EINVALID, "configurations %q and %q take effect at the same time (%s); give them different effectiveFrom times",
					o.Version, c.Version, c.EffectiveFrom.Format(time.RFC3339))
			}
		}
		if earliest == nil || c.EffectiveFrom.Before(earliest.EffectiveFrom) {
			earliest = c
		}
		if !c.EffectiveFrom.After(now) && (cur == nil || c.EffectiveFrom.After(cur.EffectiveFrom)) {
			cur = c
		}
	}
	if cur == nil {
		return nil, Errorf(EINVALID, "no configuration is in effect at %s; the earliest, version %q, takes effect at %s",
			now.Format(time.RFC3339), earliest.Version, earliest.EffectiveFrom.Format(time.RFC3339))
	}
	return cur, nil
}

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
