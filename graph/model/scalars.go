// Package model holds the GraphQL models gqlgen generates (models_gen.go) and the marshalling of
// the API's custom scalars.
package model

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/dieuphoi/dieuphoi/domain"
)

// MarshalTime writes a time as RFC 3339 in UTC.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalTime reads an RFC 3339 time (any offset).
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, domain.Errorf(domain.EINVALID, "a time must be an RFC 3339 string such as \"2026-11-21T14:30:00+07:00\"")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, domain.Errorf(domain.EINVALID, "time %q is not RFC 3339 (for example \"2026-11-21T14:30:00+07:00\")", trim(s))
	}
	return t, nil
}

// MarshalDuration writes a duration as the API reads it: "5d", "4h", "15m", else Go's text.
func MarshalDuration(d time.Duration) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(FormatDuration(d)))
	})
}

// FormatDuration writes whole days, hours or minutes with one unit, anything else as Go does.
func FormatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

// UnmarshalDuration reads "15m", "4h" or "5d" (domain.ParseDuration).
func UnmarshalDuration(v any) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		return 0, domain.Errorf(domain.EINVALID, "a duration must be a string such as \"15m\", \"4h\" or \"5d\"")
	}
	d, err := domain.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, domain.Errorf(domain.EINVALID, "duration %q is not valid: write it like \"15m\", \"4h\" or \"5d\"", trim(s))
	}
	return d, nil
}

// MarshalSequence writes a stream sequence as a JSON number.
func MarshalSequence(s uint64) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.FormatUint(s, 10))
	})
}

// UnmarshalSequence reads a stream sequence given as a JSON number or a numeric string.
func UnmarshalSequence(v any) (uint64, error) {
	bad := func() (uint64, error) {
		return 0, domain.Errorf(domain.EINVALID, "a sequence must be a whole number of 0 or more, such as the sequence a mutation returned")
	}
	switch x := v.(type) {
	case json.Number:
		return parseSequence(string(x), bad)
	case string:
		return parseSequence(strings.TrimSpace(x), bad)
	case int:
		if x < 0 {
			return bad()
		}
		return uint64(x), nil
	case int64:
		if x < 0 {
			return bad()
		}
		return uint64(x), nil
	case uint64:
		return x, nil
	case float64:
		if x < 0 || x != float64(uint64(x)) {
			return bad()
		}
		return uint64(x), nil
	}
	return bad()
}

func parseSequence(s string, bad func() (uint64, error)) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return bad()
	}
	return n, nil
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
