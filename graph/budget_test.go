package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Tests of the request budget: each request shape that once took a replica down is refused with
// one coded error, or answered within bounds. They assert bounded work (counts of errors,
// consumers, goroutines, bytes), never times; each request has a generous deadline only so that
// a regression fails the test instead of hanging it.

// answer is a response as the budget tests look at it.
type answer struct {
	response
	Header http.Header
	Size   int // bytes of the body
}

// Send sends one GraphQL request (POST with a JSON body, or GET with the query in the URL) with
// a safety-net deadline.
func (n *node) Send(tb testing.TB, method, token string, req map[string]any) answer {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var hr *http.Request
	if method == http.MethodGet {
		q := url.Values{}
		for k, v := range req {
			if s, ok := v.(string); ok {
				q.Set(k, s)
			} else {
				q.Set(k, string(mustJSON(v)))
			}
		}
		hr, _ = http.NewRequestWithContext(ctx, method, n.url+"?"+q.Encode(), nil)
	} else {
		hr, _ = http.NewRequestWithContext(ctx, method, n.url, bytes.NewReader(mustJSON(req)))
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		tb.Fatalf("%s: %v", method, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{response: response{Status: res.StatusCode}, Header: res.Header, Size: len(b)}
	if err := json.Unmarshal(b, &a.response); err != nil {
		tb.Fatalf("response %d is not JSON: %.300s", res.StatusCode, b)
	}
	return a
}

// Query posts a query.
func (n *node) Query(tb testing.TB, token, query string) answer {
	tb.Helper()
	return n.Send(tb, http.MethodPost, token, map[string]any{"query": query})
}

// noGraphQLWork waits until no goroutine of the process (the server runs in it) is inside
// gqlgen or gqlparser: a refused request leaves no work behind, such as a complexity walk that
// goes on after the client left. (The count of all goroutines is no measure here: the embedded
// nats-server starts and ends its own.)
func noGraphQLWork(tb testing.TB) {
	tb.Helper()
	busy := func() string {
		buf := make([]byte, 4<<20)
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "github.com/vektah/gqlparser") || strings.Contains(g, "github.com/99designs/gqlgen") {
				return g
			}
		}
		return ""
	}
	deadline := time.Now().Add(10 * time.Second)
	for g := busy(); g != ""; g = busy() {
		if time.Now().After(deadline) {
			tb.Fatalf("a goroutine still works on a request:\n%s", g)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIntrospectionStandard: the introspection queries tools send pass the depth and cost
// limits: graphql-js 17's getIntrospectionQuery() (nine ofType levels, 14 deep), with every
// option gqlgen supports, and the older seven-level one.
func TestIntrospectionStandard(t *testing.T) {
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	queries := map[string]string{"graphql-js 16": introspectionQuery}
	for _, f := range []string{"introspection-graphql-js-17.graphql", "introspection-graphql-js-17-all-options.graphql"} {
		b, err := os.ReadFile("testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		queries[f] = string(b)
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			a := e.Query(t, police, q)
			is.Equal(a.Status, http.StatusOK) // answered
			is.Equal(len(a.Errors), 0)        // without errors
			var r struct {
				Schema struct {
					Types []struct {
						Name string `json:"name"`
					} `json:"types"`
				} `json:"__schema"`
			}
			a.Into(t, &r)
			is.True(len(r.Schema.Types) > 30) // the schema's types
		})
	}
}

// TestFragmentDAG (finding 6): fragments that each spread the next twice expand to 2^levels
// fields. Any depth is refused with one QUERY_TOO_COMPLEX before validation or the complexity
// walk expand it, and leaves no work running; a shallow one is answered.
func TestFragmentDAG(t *testing.T) {
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	for _, levels := range []int{20, 40, 500} {
		t.Run(fmt.Sprint(levels), func(t *testing.T) {
			is := is.New(t)
			a := e.Query(t, police, fragmentDAG(levels))
			is.Equal(a.Status, http.StatusUnprocessableEntity)                       // refused before it runs
			is.Equal(len(a.Errors), 1)                                               // one error
			is.Equal(a.Code(), "QUERY_TOO_COMPLEX")                                  // with its code
			is.True(strings.Contains(a.Errors[0].Message, "each time it is spread")) // saying why
			is.True(strings.Contains(a.Errors[0].Message, fmt.Sprint(2_000)))        // and the limit
			noGraphQLWork(t)
		})
	}
	t.Run("shallow", func(t *testing.T) {
		is := is.New(t)
		a := e.Query(t, police, fragmentDAG(5))
		is.Equal(len(a.Errors), 0)                       // 63 fields, merged into one
		is.Equal(string(a.Data), `{"me":{"user":"an"}}`) // answered
	})
}

// TestSameNameFields (finding 7): thousands of same-name fields with different arguments made
// the overlapping-fields validation compare every pair, with an error each (1,999,000 errors,
// 494 MB). They are refused with one error; fewer get their conflicts reported, at most 100.
func TestSameNameFields(t *testing.T) {
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	for _, c := range []struct {
		fields int
		code   string
	}{
		{2000, "TOO_LARGE"},        // past the parser's token limit
		{700, "QUERY_TOO_COMPLEX"}, // within it: 244,650 pairs to compare
		{101, "QUERY_TOO_COMPLEX"}, // 5,050 pairs
	} {
		t.Run(fmt.Sprint(c.fields), func(t *testing.T) {
			is := is.New(t)
			a := e.Query(t, police, sameNameFields(c.fields))
			is.Equal(a.Status, http.StatusUnprocessableEntity) // refused before validation
			is.Equal(len(a.Errors), 1)                         // one error, not millions
			is.Equal(a.Code(), c.code)                         // with its code
			is.True(a.Size < 1<<10)                            // a sentence, not megabytes
			noGraphQLWork(t)
		})
	}
	t.Run("conflicts within the budget", func(t *testing.T) {
		is := is.New(t)
		a := e.Query(t, police, sameNameFields(60))        // 1,770 conflicting pairs
		is.Equal(a.Status, http.StatusUnprocessableEntity) // validation refuses it
		is.Equal(a.Code(), "GRAPHQL_VALIDATION_FAILED")    // as it should
		is.Equal(len(a.Errors), 100)                       // at most 100 errors
		last := a.Errors[len(a.Errors)-1]
		is.Equal(last.Extensions["code"], "TOO_LARGE")              // the last says the rest were left out
		is.True(strings.Contains(last.Message, "1671 more errors")) // and how many
		is.True(a.Size < 1<<20)                                     // within 1 MiB
	})
}

// TestAsOfAliases (finding 8): board(asOf:) rebuilds the whole log through an ordered consumer;
// 499 aliases did it 499 times and left 499 consumers for five minutes. A request may rebuild
// the log once (and one incident ten times); the read's consumer is gone when it answers.
func TestAsOfAliases(t *testing.T) {
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	var ids []string
	for i := range 3 {
		id, _ := e.MustOpen(t, police, fmt.Sprintf("Sự cố %d", i), domain.TLPGreen)
		ids = append(ids, id)
	}
	past := e.clock.Now()
	e.MustNote(t, police, ids[0], "sau thời điểm đó")
	before := e.consumers(t)
	at := past.UTC().Format(time.RFC3339Nano)

	for _, c := range []struct {
		name, query string
	}{
		{"499 aliases", asOfAliases(499, past)},
		{"two aliases", fmt.Sprintf(`{ a: board(asOf: %q) { totalCount } b: board(asOf: %q) { totalCount } }`, at, at)},
		{"eleven incidents", func() string {
			var b strings.Builder
			b.WriteString("{")
			for i := range 11 {
				fmt.Fprintf(&b, " i%d: incident(id: %q, asOf: %q) { id }", i, ids[i%3], at)
			}
			return b.String() + " }"
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			a := e.Query(t, police, c.query)
			is.Equal(a.Status, http.StatusUnprocessableEntity)     // refused before anything runs
			is.Equal(len(a.Errors), 1)                             // one error
			is.Equal(a.Code(), "QUERY_TOO_COMPLEX")                // with its code
			is.True(strings.Contains(a.Errors[0].Message, "asOf")) // saying which fields
			is.Equal(e.consumers(t), before)                       // no rebuild started
		})
	}
	t.Run("one rebuild", func(t *testing.T) {
		is := is.New(t)
		var r struct {
			Past struct {
				TotalCount int `json:"totalCount"`
				Nodes      []struct {
					Notes []struct{ Text string } `json:"notes"`
				} `json:"nodes"`
			} `json:"past"`
			Now struct {
				TotalCount int `json:"totalCount"`
			} `json:"now"`
		}
		e.MustPost(t, police, `query($t: Time) { past: board(asOf: $t) { totalCount nodes { notes { text } } } now: board { totalCount } }`,
			map[string]any{"t": at}, &r)
		is.Equal(r.Past.TotalCount, 3) // the board as it was
		for _, n := range r.Past.Nodes {
			is.Equal(len(n.Notes), 0) // before the note
		}
		is.Equal(r.Now.TotalCount, 3)    // and as it is, in the same request
		is.Equal(e.consumers(t), before) // the read's consumer is deleted when it ends
	})
	t.Run("ten incidents", func(t *testing.T) {
		is := is.New(t)
		var b strings.Builder
		b.WriteString("{")
		for i := range 10 {
			fmt.Fprintf(&b, " i%d: incident(id: %q, asOf: %q) { id }", i, ids[i%3], at)
		}
		b.WriteString(" }")
		a := e.Query(t, police, b.String())
		is.Equal(len(a.Errors), 0)       // within the limit
		is.Equal(e.consumers(t), before) // direct gets, no consumer
	})
}
