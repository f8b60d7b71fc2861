package model

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
)

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		text string
	}{{"15m", 15 * time.Minute, "15m"}, {"4h", 4 * time.Hour, "4h"}, {"5d", 120 * time.Hour, "5d"}, {"90s", 90 * time.Second, "1m30s"}} {
		t.Run(c.in, func(t *testing.T) {
			is := is.New(t)
			d, err := UnmarshalDuration(c.in)
			is.NoErr(err)                       // parses
			is.Equal(d, c.want)                 // value
			is.Equal(FormatDuration(d), c.text) // written back
		})
	}
	t.Run("invalid", func(t *testing.T) {
		is := is.New(t)
		for _, v := range []any{"soon", "5 days", 15, nil} {
			_, err := UnmarshalDuration(v)
			is.Equal(domain.ErrorCode(err), domain.EINVALID) // a clear INVALID
		}
	})
}

func TestSequence(t *testing.T) {
	is := is.New(t)
	for _, v := range []any{json.Number("42"), "42", int64(42), 42, float64(42)} {
		n, err := UnmarshalSequence(v)
		is.NoErr(err)           // number or numeric string
		is.Equal(n, uint64(42)) // value
	}
	for _, v := range []any{"-1", "4.2", json.Number("-3"), int64(-1), "x", true} {
		_, err := UnmarshalSequence(v)
		is.Equal(domain.ErrorCode(err), domain.EINVALID) // refused
	}
}

func TestTime(t *testing.T) {
	is := is.New(t)
	tm, err := UnmarshalTime("2026-11-21T14:30:00+07:00")
	is.NoErr(err) // RFC 3339 with an offset
	var b jsonWriter
	MarshalTime(tm).MarshalGQL(&b)
	is.Equal(string(b), `"2026-11-21T07:30:00Z"`) // written in UTC
	_, err = UnmarshalTime("21/11/2026")
	is.Equal(domain.ErrorCode(err), domain.EINVALID) // not RFC 3339
}

type jsonWriter []byte

func (w *jsonWriter) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }
