package graph

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// durationBuckets are the upper bounds of the request duration histogram, in seconds.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics counts what /metrics shows about the API.
type metrics struct {
	mu        sync.Mutex
	durations map[string]*histogram // by operation type: query, mutation
	codes     map[string]uint64     // requests by outcome: OK or the first error's code
	sockets   atomic.Int64
	subs      atomic.Int64
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

func (m *metrics) init() {
	m.durations = map[string]*histogram{}
	m.codes = map[string]uint64{}
	for _, op := range []string{"query", "mutation"} {
		m.durations[op] = &histogram{counts: make([]uint64, len(durationBuckets)+1)}
	}
}

func (m *metrics) count(code string) {
	if code == "" {
		code = "OK"
	}
	m.mu.Lock()
	m.codes[code]++
	m.mu.Unlock()
}

func (m *metrics) observe(op string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.durations[op]
	if h == nil {
		return
	}
	sec := d.Seconds()
	i, _ := slices.BinarySearch(durationBuckets, sec)
	h.counts[i]++
	h.sum += sec
	h.n++
}

// observe is the response middleware that counts queries and mutations (each event of a
// subscription is a response too, and is not counted as a request).
func (s *Server) observe(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	op := ""
	var start time.Time
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		if oc.Operation != nil {
			op = string(oc.Operation.Operation)
		}
		start = oc.Stats.OperationStart
	}
	if op == string(ast.Subscription) {
		return resp
	}
	code := ""
	if resp != nil && len(resp.Errors) > 0 {
		code = errorCode(resp.Errors[0])
	}
	s.metrics.count(code)
	if op != "" && !start.IsZero() {
		s.metrics.observe(op, time.Since(start))
	}
	return resp
}

// WriteMetrics writes the API's metrics in the Prometheus text format.
func (s *Server) WriteMetrics(w io.Writer) {
	m := &s.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(w, "# HELP dieuphoi_graphql_request_duration_seconds Time to answer a GraphQL query or mutation.\n# TYPE dieuphoi_graphql_request_duration_seconds histogram\n")
	for _, op := range []string{"query", "mutation"} {
		h := m.durations[op]
		var cum uint64
		for i, le := range durationBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "dieuphoi_graphql_request_duration_seconds_bucket{operation=%q,le=%q} %d\n", op, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		cum += h.counts[len(durationBuckets)]
		fmt.Fprintf(w, "dieuphoi_graphql_request_duration_seconds_bucket{operation=%q,le=\"+Inf\"} %d\n", op, cum)
		fmt.Fprintf(w, "dieuphoi_graphql_request_duration_seconds_sum{operation=%q} %s\n", op, strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(w, "dieuphoi_graphql_request_duration_seconds_count{operation=%q} %d\n", op, h.n)
	}
	fmt.Fprintf(w, "# HELP dieuphoi_graphql_requests_total GraphQL requests by outcome: OK or the code of the first error.\n# TYPE dieuphoi_graphql_requests_total counter\n")
	codes := make([]string, 0, len(m.codes))
	for c := range m.codes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		fmt.Fprintf(w, "dieuphoi_graphql_requests_total{code=%q} %d\n", c, m.codes[c])
	}
	fmt.Fprintf(w, "# HELP dieuphoi_websocket_connections Open websocket connections.\n# TYPE dieuphoi_websocket_connections gauge\ndieuphoi_websocket_connections %d\n", m.sockets.Load())
	fmt.Fprintf(w, "# HELP dieuphoi_subscriptions_open Open GraphQL subscriptions.\n# TYPE dieuphoi_subscriptions_open gauge\ndieuphoi_subscriptions_open %d\n", m.subs.Load())
}
