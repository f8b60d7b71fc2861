package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Request shapes that once took a replica down (the "trust" findings 6 to 9), built here for the
// tests of the request budget and for BenchmarkRequestBudget.

// fragmentDAG is finding 6: each fragment spreads the next one twice, so the document is small
// but expands to 2^levels fields.
func fragmentDAG(levels int) string {
	var b strings.Builder
	b.WriteString("query { me { ...F0 } }\n")
	for i := range levels {
		fmt.Fprintf(&b, "fragment F%d on Me { ...F%d ...F%d user }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Me { user }\n", levels)
	return b.String()
}

// sameNameFields is finding 7: n fields with one response name and different arguments, which
// the overlapping-fields validation compares pairwise.
func sameNameFields(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, ` incident(id:"%d"){id}`, i)
	}
	b.WriteString(" }")
	return b.String()
}

// asOfAliases is finding 8: n aliases of board(asOf:), each of which rebuilt the whole log.
func asOfAliases(n int, t time.Time) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, ` a%d: board(first: 1, asOf: "%s") { totalCount }`, i, t.UTC().Format(time.RFC3339))
	}
	b.WriteString(" }")
	return b.String()
}

// usage is what one request cost the test process (the embedded nats-server included).
type usage struct {
	cpu      time.Duration // user + system CPU of the process
	peakHeap uint64        // highest live heap seen while it ran, above the heap before it
	respSize int           // bytes of the response body
	errors   int           // errors in the response
	code     string        // the first error's code
	status   int
}

func rusageCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapSampler reads the live heap every few milliseconds (runtime/metrics, no stop-the-world)
// and keeps the highest value.
func heapSampler() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	done := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return max(peak, read())
	}
}

// measure posts one query and reports what it cost. The context bounds how long the client
// waits (the server may go on working after the client left: the CPU counted is what was spent
// until the response or the deadline).
func (n *node) measure(tb testing.TB, ctx context.Context, token, query string) usage {
	tb.Helper()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	stop := heapSampler()
	cpu0 := rusageCPU()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	var u usage
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		u.status, u.respSize = res.StatusCode, len(b)
		var r response
		if json.Unmarshal(b, &r) == nil {
			u.errors, u.code = len(r.Errors), r.Code()
		}
	} else {
		u.code = "client gave up: " + err.Error()
	}
	u.cpu = rusageCPU() - cpu0
	if peak := stop(); peak > base {
		u.peakHeap = peak - base
	}
	return u
}

// consumers is how many consumers the events stream has.
func (n *node) consumers(tb testing.TB) int {
	tb.Helper()
	s, err := n.store.JetStream().Stream(context.Background(), n.store.Config().Stream)
	if err != nil {
		tb.Fatalf("stream: %v", err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		tb.Fatalf("stream info: %v", err)
	}
	return info.State.Consumers
}

// BenchmarkRequestBudget sends the worst request shapes once each (use -benchtime 1x) and
// reports what each cost: process CPU seconds, peak live heap, response size, errors in the
// response, and consumers left on the stream afterwards. Measured, never asserted.
// DIEUPHOI_BENCH_DAG sets the fragment-DAG depth (default 40), DIEUPHOI_BENCH_FIELDS the
// same-name fields (default 2000), DIEUPHOI_BENCH_ALIASES the asOf aliases (default 499) and
// DIEUPHOI_BENCH_INCIDENTS the incidents in the log (default 100).
func BenchmarkRequestBudget(b *testing.B) {
	e := MustEnv(b)
	police := e.MustToken(b, "police", "an", domain.RoleCoordinator)
	incidents := benchEnv("DIEUPHOI_BENCH_INCIDENTS", 100)
	for i := range incidents {
		id, _ := e.MustOpen(b, police, fmt.Sprintf("Sự cố %d", i), domain.TLPGreen)
		e.MustNote(b, police, id, "ghi chú")
	}
	past := e.clock.Now()
	introspection17, err := os.ReadFile("testdata/introspection-graphql-js-17-all-options.graphql")
	if err != nil {
		b.Fatal(err)
	}
	var aliases, ofType strings.Builder
	aliases.WriteString("{")
	for i := range 999 { // 1,998 selections, validated, then refused by the complexity limit
		fmt.Fprintf(&aliases, " a%d: me { user }", i)
	}
	aliases.WriteString(" }")
	ofType.WriteString(`{ __type(name: "Incident") { ` + strings.Repeat("ofType { ", 990) + "name" + strings.Repeat(" }", 992))
	shapes := []struct{ name, query string }{
		// The attacks.
		{fmt.Sprintf("fragment-dag-%d", benchEnv("DIEUPHOI_BENCH_DAG", 40)), fragmentDAG(benchEnv("DIEUPHOI_BENCH_DAG", 40))},
		{fmt.Sprintf("same-name-fields-%d", benchEnv("DIEUPHOI_BENCH_FIELDS", 2000)), sameNameFields(benchEnv("DIEUPHOI_BENCH_FIELDS", 2000))},
		{fmt.Sprintf("asof-aliases-%d", benchEnv("DIEUPHOI_BENCH_ALIASES", 499)), asOfAliases(benchEnv("DIEUPHOI_BENCH_ALIASES", 499), past)},
		// The costliest shapes the budget lets through to validation or execution.
		{"same-name-fields-70", sameNameFields(70)}, // 4,830 pairs (incident and incident.id), just within
		{"aliases-999", aliases.String()},
		{"oftype-chain-990", ofType.String()}, // gqlparser nests at most 1,000 deep,
		{"asof-board-once", asOfAliases(1, past)},
		{"introspection-graphql-js-16", introspectionQuery},
		{"introspection-graphql-js-17", string(introspection17)},
	}
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			before := e.consumers(b)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var u usage
			for range b.N {
				u = e.measure(b, ctx, police, s.query)
			}
			b.ReportMetric(u.cpu.Seconds(), "cpu-s")
			b.ReportMetric(float64(u.peakHeap)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(u.respSize), "resp-bytes")
			b.ReportMetric(float64(u.errors), "errors")
			b.ReportMetric(float64(e.consumers(b)-before), "consumers-left")
			b.Logf("%s: status %d, first code %q, %d bytes, query %d bytes", s.name, u.status, u.code, u.respSize, len(s.query))
		})
	}
}
