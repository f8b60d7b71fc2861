package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/matryer/is"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/dieuphoi/dieuphoi/domain"
)

// TestPresentError: domain errors keep their code and sentence, gqlgen's codes pass through,
// anything else is INTERNAL, logged, and shown as "Internal error." (panics included).
func TestPresentError(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&logs, nil))}
	validation := gqlerror.Errorf("Cannot query field")
	validation.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}
	for _, c := range []struct {
		name, code, message string
		err                 error
		logged              bool
	}{
		{"domain error", "CONFLICT", "someone changed it", fmt.Errorf("update: %w", domain.Errorf(domain.ECONFLICT, "someone changed it")), false},
		{"domain error on a path", "INVALID", "bad duration", &gqlerror.Error{Message: "x", Err: domain.Errorf(domain.EINVALID, "bad duration")}, false},
		{"validation", "GRAPHQL_VALIDATION_FAILED", "Cannot query field", validation, false},
		{"domain internal", "INTERNAL", "no configuration in effect", domain.Errorf(domain.EINTERNAL, "no configuration in effect"), true},
		{"anything else", "INTERNAL", "Internal error.", errors.New("nats: connection closed"), true},
		{"panic", "INTERNAL", "Internal error.", s.recoverPanic(context.Background(), "boom"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			logs.Reset()
			got := s.presentError(context.Background(), c.err)
			is.Equal(got.Extensions["code"], c.code)        // extensions.code
			is.Equal(got.Message, c.message)                // the sentence shown
			is.Equal(logs.Len() > 0, c.logged)              // only INTERNAL is logged
			is.True(!strings.Contains(got.Message, "nats")) // no internals shown
		})
	}
}
