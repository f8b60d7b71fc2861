package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/dieuphoi/dieuphoi/domain"
)

// The request budget. gqlgen parses and validates a document in one step, and some of its
// validation rules and its complexity walk expand fragments without memoizing them or compare
// same-name fields pairwise: a small document can cost minutes of CPU and gigabytes before any
// limit looks at it. So every document is first measured here, on the parsed but unvalidated
// AST, in time linear in its size (fragments are expanded by memoized counting, never by
// walking them again), and refused unless what validation and execution will do with it is
// bounded. Measured on this machine, the worst shapes that pass cost well under 1 s of CPU and
// 64 MiB (BenchmarkRequestBudget).
const (
	// maxTokens bounds the parser (gqlparser's token limit) and so every linear pass over the
	// document. The standard introspection query has under 200.
	maxTokens = 10_000
	// maxSelections bounds the document as executed: fields, fragment spreads and inline
	// fragments of every operation and fragment definition, a fragment counted each time it is
	// spread. The standard introspection query expands to under 500.
	maxSelections = 2_000
	// maxSamePathPairs bounds the overlapping-fields validation, which compares every two
	// fields that answer the same response path (and reports each pair that conflicts).
	maxSamePathPairs = 5_000
)

// saturate caps expanded counts, which grow exponentially with nested spreads.
const saturate = 1 << 62

func satAdd(a, b uint64) uint64 { return min(a+b, saturate) } // both operands are ≤ saturate

// documentBudget is the first operation-parameter mutator: it parses the query with the token
// limit and measures it before gqlgen parses and validates it. A document found in gqlgen's
// query cache passed before and is not measured again.
type documentBudget struct {
	cache graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = documentBudget{}

func (documentBudget) ExtensionName() string                          { return "RequestBudget" }
func (documentBudget) Validate(schema graphql.ExecutableSchema) error { return nil }

func (b documentBudget) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" { // a persisted query's hash alone: it was measured when it was stored
		return nil
	}
	if b.cache != nil {
		if _, ok := b.cache.Get(ctx, p.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, maxTokens)
	if err != nil {
		gerr, ok := err.(*gqlerror.Error)
		if !ok {
			gerr = gqlerror.Wrap(err)
		}
		if gerr.Message == fmt.Sprintf("exceeded token limit of %d", maxTokens) {
			return budgetError(domain.ETOOLARGE, "the query has more than %d tokens: send a smaller document", maxTokens)
		}
		errcode.Set(gerr, errcode.ParseFailed) // as gqlgen would answer it, without parsing again
		return gerr
	}
	return measureDocument(doc).check()
}

func budgetError(code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, code)
	return err
}

// measure is what a document would cost, fragments expanded.
type measure struct {
	selections uint64 // expanded, saturating
	depth      int    // deepest operation below its top-level fields, ofType chains excluded
	pairs      uint64 // same-response-path field pairs; counted only when selections fit
	pairsAt    string // the response path asked for most often
	mostAt     uint64 // how often
	cycle      string // a fragment that spreads itself, if any
}

func (m measure) check() *gqlerror.Error {
	switch {
	case m.cycle != "":
		// Validation says so too (NoFragmentCycles); answered here because the counts below
		// mean nothing for a cycle.
		return budgetError(errcode.ValidationFailed, "fragment %q spreads itself: a fragment cannot contain itself", m.cycle)
	case m.selections > maxSelections:
		return budgetError(codeTooComplex, "the query expands to more than %d selections (a fragment counts each time it is spread): ask for fewer fields or spread fragments less often", maxSelections)
	case m.depth > maxDepth:
		return budgetError(codeTooDeep, "the query nests fields %d deep; the limit is %d", m.depth, maxDepth)
	case m.pairs > maxSamePathPairs:
		return budgetError(codeTooComplex, "the query asks for %q %d times (%d pairs of same-name fields to compare; the limit is %d): ask for each field once, or give each its own alias", m.pairsAt, m.mostAt, m.pairs, maxSamePathPairs)
	}
	return nil
}

// measureDocument measures every operation and fragment definition of doc: validation looks at
// all of them, whichever operation runs.
func measureDocument(doc *ast.QueryDocument) measure {
	w := &budgetWalker{frags: map[string]*ast.FragmentDefinition{}, size: map[string]uint64{}, depth: map[string]int{}, state: map[string]int8{}}
	for _, f := range doc.Fragments {
		if _, dup := w.frags[f.Name]; !dup { // a duplicate name is a validation error
			w.frags[f.Name] = f
		}
	}
	var m measure
	for _, op := range doc.Operations {
		m.selections = satAdd(m.selections, w.count(op.SelectionSet))
		m.depth = max(m.depth, w.setDepth(op.SelectionSet)-1)
	}
	for _, f := range doc.Fragments {
		m.selections = satAdd(m.selections, w.count(f.SelectionSet))
	}
	if m.cycle = w.cycle; m.cycle != "" || m.selections > maxSelections {
		return m
	}
	// Now the expansion is small: walk it, merging fields by response path as execution and
	// the overlapping-fields rule do, and count the pairs that rule compares.
	for _, op := range doc.Operations {
		w.paths(op.SelectionSet, &pathNode{}, "", &m)
	}
	for _, f := range doc.Fragments {
		w.paths(f.SelectionSet, &pathNode{}, "", &m)
	}
	return m
}

// budgetWalker counts a document's expansion, one fragment at a time.
type budgetWalker struct {
	frags map[string]*ast.FragmentDefinition
	size  map[string]uint64 // selections a fragment expands to
	depth map[string]int    // how deep a fragment's fields nest
	state map[string]int8   // 1 while a fragment is being counted, 2 once counted
	cycle string
}

func (w *budgetWalker) count(ss ast.SelectionSet) uint64 {
	var n uint64
	for _, sel := range ss {
		n = satAdd(n, 1)
		switch s := sel.(type) {
		case *ast.Field:
			n = satAdd(n, w.count(s.SelectionSet))
		case *ast.InlineFragment:
			n = satAdd(n, w.count(s.SelectionSet))
		case *ast.FragmentSpread:
			n = satAdd(n, w.fragment(s.Name))
		}
	}
	return n
}

func (w *budgetWalker) fragment(name string) uint64 {
	switch w.state[name] {
	case 1:
		if w.cycle == "" {
			w.cycle = name
		}
		return 0
	case 2:
		return w.size[name]
	}
	f := w.frags[name]
	if f == nil { // unknown: validation says so
		return 0
	}
	w.state[name] = 1
	n := w.count(f.SelectionSet)
	w.state[name], w.size[name] = 2, n
	return n
}

// setDepth is how deep fields nest below ss, counting fragments as expanded. __Type.ofType does
// not count: it is one object, never a list, and null after the few wrappers (non-null, list) a
// real type has, so a chain of them cannot fan out. That is what lets the standard
// introspection query pass: graphql-js 17 nests nine ofType levels, 14 deep in all, 5 without
// them. What else introspection may nest is bounded by gqlparser's MaxIntrospectionDepth rule
// (lists of fields, interfaces, possible types and input fields three deep, as graphql-js).
func (w *budgetWalker) setDepth(ss ast.SelectionSet) int {
	deepest := 0
	for _, sel := range ss {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			d = w.setDepth(s.SelectionSet)
			if s.Name != "ofType" {
				d++
			}
		case *ast.InlineFragment:
			d = w.setDepth(s.SelectionSet)
		case *ast.FragmentSpread:
			d = w.fragmentDepth(s.Name)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

func (w *budgetWalker) fragmentDepth(name string) int {
	if d, ok := w.depth[name]; ok {
		return d
	}
	f := w.frags[name]
	if f == nil {
		return 0
	}
	w.depth[name] = 0 // in progress: a cycle adds nothing (and is refused anyway)
	d := w.setDepth(f.SelectionSet)
	w.depth[name] = d
	return d
}

// pathNode is one response path of the merged (executed) selection tree.
type pathNode struct {
	n    uint64
	kids map[string]*pathNode
}

// paths merges ss into node and adds the pairs of same-path fields to m. Called only once the
// expansion is known to be small and free of cycles.
func (w *budgetWalker) paths(ss ast.SelectionSet, node *pathNode, at string, m *measure) {
	for _, sel := range ss {
		switch s := sel.(type) {
		case *ast.Field:
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			if node.kids == nil {
				node.kids = map[string]*pathNode{}
			}
			k := node.kids[name]
			if k == nil {
				k = &pathNode{}
				node.kids[name] = k
			}
			// The new field pairs with each one already at this path.
			m.pairs = satAdd(m.pairs, k.n)
			k.n++
			path := name
			if at != "" {
				path = at + "." + name
			}
			if k.n > m.mostAt {
				m.mostAt, m.pairsAt = k.n, path
			}
			w.paths(s.SelectionSet, k, path, m)
		case *ast.InlineFragment:
			w.paths(s.SelectionSet, node, at, m)
		case *ast.FragmentSpread:
			if f := w.frags[s.Name]; f != nil {
				w.paths(f.SelectionSet, node, at, m)
			}
		}
	}
}
