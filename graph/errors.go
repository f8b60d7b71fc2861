package graph

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Codes the API adds to the domain's and gqlgen's own (GRAPHQL_PARSE_FAILED,
// GRAPHQL_VALIDATION_FAILED) in extensions.code.
const (
	codeTooDeep    = "QUERY_TOO_DEEP"
	codeTooComplex = "QUERY_TOO_COMPLEX"
	// codeTooManyRequests: the token already runs as many expensive requests as it may.
	codeTooManyRequests = "TOO_MANY_REQUESTS"
	codeTooSlow         = "TOO_SLOW"
	codeShutdown        = "UNAVAILABLE"
)

// presentError gives every error a code in extensions.code: the domain's code and sentence for
// domain errors; gqlgen's code for parse, validation and limit errors; anything else is
// INTERNAL, logged, and shown only as "Internal error.".
func (s *Server) presentError(ctx context.Context, err error) *gqlerror.Error {
	out := *graphql.DefaultErrorPresenter(ctx, err)
	out.Extensions = maps.Clone(out.Extensions)
	if out.Extensions == nil {
		out.Extensions = map[string]any{}
	}
	var de *domain.Error
	if errors.As(err, &de) {
		out.Message = de.Message
		out.Extensions["code"] = de.Code
		if de.Code == domain.EINTERNAL {
			s.log.Error("graphql: internal error", "err", err, "path", out.Path.String())
		}
		return &out
	}
	if code, ok := out.Extensions["code"].(string); ok && code != "" && code != domain.EINTERNAL {
		return &out
	}
	s.log.Error("graphql: internal error", "err", err, "path", out.Path.String())
	out.Message = "Internal error."
	out.Extensions = map[string]any{"code": domain.EINTERNAL}
	return &out
}

// recoverPanic turns a panic in a resolver into an error the presenter logs as INTERNAL.
func (s *Server) recoverPanic(_ context.Context, v any) error {
	return fmt.Errorf("panic: %v\n%s", v, debug.Stack())
}

// errorCode reads extensions.code of a presented error.
func errorCode(e *gqlerror.Error) string {
	if e == nil {
		return ""
	}
	if c, ok := e.Extensions["code"].(string); ok {
		return c
	}
	return domain.EINTERNAL
}
