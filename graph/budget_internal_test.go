package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/matryer/is"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/dieuphoi/dieuphoi/domain"
)

func mustMeasure(tb testing.TB, query string) measure {
	tb.Helper()
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, maxTokens)
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	return measureDocument(doc)
}

// TestMeasureDocument: the budget's counts on small documents, fragments expanded.
func TestMeasureDocument(t *testing.T) {
	dag := func(levels int, leaf string) string {
		var b strings.Builder
		b.WriteString("query { me { ...F0 } }\n")
		for i := range levels {
			fmt.Fprintf(&b, "fragment F%d on Me { ...F%d ...F%d }\n", i, i+1, i+1)
		}
		fmt.Fprintf(&b, "fragment F%d on Me { %s }\n", levels, leaf)
		return b.String()
	}
	t.Run("introspection", func(t *testing.T) {
		is := is.New(t)
		b, err := os.ReadFile("testdata/introspection-graphql-js-17-all-options.graphql")
		is.NoErr(err) // fixture
		m := mustMeasure(t, string(b))
		is.Equal(m.depth, 5)                    // __schema types fields args type kind, ofType left out
		is.True(m.selections < maxSelections/4) // far within the budget
		is.Equal(m.pairs, uint64(0))            // no field asked twice
		is.True(m.check() == nil)               // passes
	})
	t.Run("fragment DAG", func(t *testing.T) {
		is := is.New(t)
		m := mustMeasure(t, dag(100, "user"))
		is.Equal(m.selections, uint64(saturate)) // 2^100 saturates, no overflow
		is.Equal(m.pairs, uint64(0))             // not walked
		is.Equal(errcodeOf(m.check()), codeTooComplex)
	})
	t.Run("DAG of unknown fragments", func(t *testing.T) {
		is := is.New(t)
		m := mustMeasure(t, dag(60, "...Missing"))
		is.True(m.selections > maxSelections) // spreads count, even of fragments validation will not find
	})
	t.Run("fragment cycle", func(t *testing.T) {
		is := is.New(t)
		m := mustMeasure(t, "{ me { ...A } } fragment A on Me { ...B user } fragment B on Me { ...A }")
		is.Equal(m.cycle, "A") // found
		is.Equal(errcodeOf(m.check()), "GRAPHQL_VALIDATION_FAILED")
	})
	t.Run("same path pairs", func(t *testing.T) {
		is := is.New(t)
		// me.user three times at the top and once more through the fragment; the fragment's
		// own definition has one.
		m := mustMeasure(t, "{ me { user user } me { user ...F } } fragment F on Me { user }")
		is.Equal(m.pairs, uint64(1+6)) // me: 2 fields, 1 pair; me.user: 4 fields, 6 pairs
		is.Equal(m.pairsAt, "me.user")
		is.Equal(m.mostAt, uint64(4))
	})
	t.Run("aliases are other paths", func(t *testing.T) {
		is := is.New(t)
		m := mustMeasure(t, `{ a: incident(id: "1") { id } b: incident(id: "2") { id } }`)
		is.Equal(m.pairs, uint64(0)) // nothing to compare
	})
	t.Run("depth through fragments", func(t *testing.T) {
		is := is.New(t)
		m := mustMeasure(t, "{ me { ...A } } fragment A on Me { org { ...B } } fragment B on Organisation { slug }")
		is.Equal(m.depth, 2) // me org slug, below me
	})
}

func errcodeOf(err *gqlerror.Error) string {
	if err == nil {
		return ""
	}
	c, _ := err.Extensions["code"].(string)
	return c
}

// TestTimeTravelSlots: a token runs at most maxTimeTravelPerToken requests with asOf at once;
// the next is answered TOO_MANY_REQUESTS with HTTP 429 and Retry-After, other tokens are not
// held up, and a slot is free again once a request ends.
func TestTimeTravelSlots(t *testing.T) {
	is := is.New(t)
	s := &Server{}
	s.metrics.init()
	running := make(chan struct{})
	finish := make(chan struct{})
	next := func(ctx context.Context) graphql.ResponseHandler {
		return func(ctx context.Context) *graphql.Response {
			running <- struct{}{}
			<-finish
			return &graphql.Response{}
		}
	}
	request := func(token string) (context.Context, *statusWriter) {
		ctx := withSession(context.Background(), &session{claims: domain.Claims{TokenID: token}})
		oc := &graphql.OperationContext{}
		oc.Stats.SetExtension(timeTravelExtension, &timeTravelStats{log: 1})
		w := &statusWriter{ResponseWriter: httptest.NewRecorder()}
		return context.WithValue(graphql.WithOperationContext(ctx, oc), responseKey{}, w), w
	}
	done := make(chan *graphql.Response)
	for range maxTimeTravelPerToken {
		ctx, _ := request("a")
		h := s.limitTimeTravel(ctx, next)
		go func() { done <- h(ctx) }()
		<-running
	}

	ctx, w := request("a")
	resp := s.limitTimeTravel(ctx, next)(ctx)
	is.Equal(len(resp.Errors), 1)                                     // refused
	is.Equal(errcodeOf(resp.Errors[0]), codeTooManyRequests)          // with its code
	is.Equal(w.status, http.StatusTooManyRequests)                    // HTTP 429
	is.Equal(w.Header().Get("Retry-After"), "1")                      // and when to try again
	is.True(strings.Contains(resp.Errors[0].Message, "already runs")) // a sentence

	ctx, _ = request("b")
	h := s.limitTimeTravel(ctx, next)
	go func() { done <- h(ctx) }()
	<-running // another token is not held up

	close(finish)
	for range maxTimeTravelPerToken + 1 {
		<-done
	}
	ctx, _ = request("a")
	h = s.limitTimeTravel(ctx, next)
	go func() { done <- h(ctx) }()
	<-running // a slot is free again
	<-done
	is.Equal(len(s.timeTravel.running), 0) // every slot given back
}

// TestBoundErrors: a response carries at most maxErrors errors and maxErrorBytes of them; the
// rest are counted in one TOO_LARGE error.
func TestBoundErrors(t *testing.T) {
	respond := func(n, size int) graphql.ResponseHandler {
		return func(context.Context) *graphql.Response {
			var errs gqlerror.List
			for i := range n {
				errs = append(errs, gqlerror.Errorf("%d %s", i, strings.Repeat("x", size)))
			}
			return &graphql.Response{Errors: errs}
		}
	}
	for _, c := range []struct {
		name       string
		n, size    int
		kept, left int
	}{
		{"few", 5, 10, 5, 0},
		{"exactly the limit", maxErrors, 10, maxErrors, 0},
		{"many", 5000, 10, maxErrors - 1, 5000 - maxErrors + 1},
		{"large", 10, 300 << 10, 3, 7},
	} {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			resp := boundErrors(context.Background(), respond(c.n, c.size))
			if c.left == 0 {
				is.Equal(len(resp.Errors), c.kept) // untouched
				return
			}
			is.Equal(len(resp.Errors), c.kept+1) // kept, and one more
			last := resp.Errors[c.kept]
			is.Equal(errcodeOf(last), domain.ETOOLARGE)                                     // coded
			is.True(strings.HasPrefix(last.Message, fmt.Sprintf("%d more errors", c.left))) // counting the rest
		})
	}
}
