package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/dieuphoi/dieuphoi/graph/model"
	"github.com/dieuphoi/dieuphoi/projections"
)

func init() {
	// Refused operations are protocol errors: HTTP 422, like validation failures.
	errcode.RegisterErrorType(codeTooDeep, errcode.KindProtocol)
	errcode.RegisterErrorType(codeTooComplex, errcode.KindProtocol)
}

// complexityLimit is gqlgen's FixedComplexityLimit with the API's own error code.
type complexityLimit struct{ *extension.ComplexityLimit }

func (c complexityLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	err := c.ComplexityLimit.MutateOperationContext(ctx, opCtx)
	if err != nil {
		err.Message = "the query is too complex (" + err.Message + "): ask for fewer fields or a smaller page"
		errcode.Set(err, codeTooComplex)
	}
	return err
}

// Complexity of list fields: a list costs its elements' fields times a typical length, so that
// a page of the board or a long timeline with everything in it is refused while ordinary
// queries pass. Other fields cost 1 plus their children (gqlgen's default).
const (
	perIncidentList = 5  // notes, indicators, escalations, handoffs of one incident
	perLongList     = 10 // timeline entries, queue items
)

func setComplexity(c *ComplexityRoot) {
	list := func(n int) func(int) int { return func(child int) int { return 1 + child*n } }
	c.Incident.Notes = list(perIncidentList)
	c.Incident.Indicators = list(perIncidentList)
	c.Incident.Escalations = list(perIncidentList)
	c.Incident.Handoffs = list(perIncidentList)
	c.QueueChange.Items = list(perLongList)
	c.Query.Board = func(child int, _ *model.BoardFilter, _ *projections.BoardSort, first *int, _ *string, _ *time.Time, _ *uint64) int {
		n := 50
		if first != nil {
			n = max(*first, 1)
		}
		return 1 + child*((n+9)/10) // a tenth of the page: 50 summaries are cheap, 500 full incidents are not
	}
	c.Query.Timeline = func(child int, _ string, _ *time.Time, _ *uint64) int { return 1 + child*perLongList }
	c.Query.EscalationQueue = func(child int, _ *bool, _ *uint64) int { return 1 + child*perLongList }
	c.Query.HandoffInbox = func(child int, _ *uint64) int { return 1 + child*perLongList }
}

// depthLimit refuses operations nested deeper than max levels, fragments included.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                          { return "DepthLimit" }
func (depthLimit) Validate(schema graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	w := depthWalker{frags: opCtx.Doc.Fragments, memo: map[string]int{}}
	// Depth counts nesting below the top-level fields, as graphql-depth-limit does: the
	// standard introspection query (graphql-js) is 12 deep.
	if depth := w.set(opCtx.Operation.SelectionSet) - 1; depth > d.max {
		err := gqlerror.Errorf("the query nests fields %d deep; the limit is %d", depth, d.max)
		errcode.Set(err, codeTooDeep)
		return err
	}
	return nil
}

// depthWalker measures selection depth; a fragment's depth is computed once (validation has
// already refused fragment cycles, and visiting guards against them anyway).
type depthWalker struct {
	frags ast.FragmentDefinitionList
	memo  map[string]int
}

func (w depthWalker) set(ss ast.SelectionSet) int {
	deepest := 0
	for _, sel := range ss {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			d = 1 + w.set(s.SelectionSet)
		case *ast.InlineFragment:
			d = w.set(s.SelectionSet)
		case *ast.FragmentSpread:
			d = w.fragment(s)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

func (w depthWalker) fragment(s *ast.FragmentSpread) int {
	if d, ok := w.memo[s.Name]; ok {
		return d
	}
	w.memo[s.Name] = 0 // in progress: a cycle counts nothing more
	def := s.Definition
	if def == nil {
		def = w.frags.ForName(s.Name)
	}
	d := 0
	if def != nil {
		d = w.set(def.SelectionSet)
	}
	w.memo[s.Name] = d
	return d
}
