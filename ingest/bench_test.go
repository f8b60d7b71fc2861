package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/ingest"
	"github.com/dieuphoi/dieuphoi/projections"
)

// BenchmarkIngest: 100 SOCs (each its own organisation, source and ingest token) POST batches
// of 100 alerts over real HTTP, 30% of them repeats of alerts they sent before; beside it, raw
// JetStream async publish of as many messages of the alerts' commit size to a stream on the
// same server. It reports alerts/s, the raw rate and their ratio, the p50/p99 time from a
// response to the alert read model containing it, and checks the deduplicated counts exactly.
// DIEUPHOI_BENCH_ALERTS sets the number of alerts (default 200,000).
func BenchmarkIngest(b *testing.B) {
	const producers, batch = 100, 100
	total := 200_000
	if v, err := strconv.Atoi(os.Getenv("DIEUPHOI_BENCH_ALERTS")); err == nil && v > 0 {
		total = v
	}
	requests := max(total/(producers*batch), 1)
	total = requests * producers * batch
	for range b.N {
		b.StopTimer()
		e := benchEnv(b, producers)
		tokens := make([]string, producers)
		for p := range producers {
			tokens[p] = e.MustToken(b, socOrg(p), "sensor", domain.RoleIngest)
		}
		// Bodies are built before the clock starts: 70% new references, 30% repeats of earlier ones
		// (each a new observation, so counted, not taken for a retransmission).
		bodies := make([][][]byte, producers)
		distinct := 0
		now := e.clock.Now().Add(-time.Minute).UTC()
		for p := range producers {
			var refs []string
			for r := range requests {
				alerts := make([]alert, batch)
				for i := range alerts {
					k := r*batch + i
					ref := ""
					if k%10 < 3 && len(refs) > 0 {
						ref = refs[(k*7919)%len(refs)]
					} else {
						ref = fmt.Sprintf("evt-%d-%d", p, k)
						refs = append(refs, ref)
					}
					alerts[i] = alert{Source: socOrg(p), SourceRef: ref, Title: "Phát hiện dò quét cổng SSH từ địa chỉ bên ngoài",
						Severity: "MEDIUM", ObservedAt: now.Add(time.Duration(k) * time.Millisecond), Asset: "srv-" + strconv.Itoa(k%500) + ".example.gov.vn",
						Indicators: []map[string]any{{"type": "IPV4", "value": fmt.Sprintf("198.51.100.%d", k%250+1)}},
						TLP:        "AMBER", Raw: json.RawMessage(`{"rule":{"id":5710,"level":5},"agent":{"name":"web-01"}}`)}
				}
				bodies[p] = append(bodies[p], []byte(mustJSON(alerts)))
			}
			distinct += len(refs)
		}
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: producers * 2, MaxConnsPerHost: producers * 2}}

		var latMu sync.Mutex
		var lat []time.Duration
		var latWG sync.WaitGroup
		var failures, sent, dups, acc int
		var countMu sync.Mutex
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for p := range producers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, body := range bodies[p] {
					req, _ := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+tokens[p])
					res, err := client.Do(req)
					if err != nil {
						b.Errorf("POST: %v", err)
						return
					}
					raw, _ := io.ReadAll(res.Body)
					res.Body.Close()
					answered := time.Now()
					var r ingest.Response
					if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &r) != nil {
						b.Errorf("status %d: %.200s", res.StatusCode, raw)
						return
					}
					countMu.Lock()
					for _, x := range r.Results {
						sent++
						switch x.Status {
						case domain.IngestAccepted:
							acc++
						case domain.IngestDuplicate:
							dups++
						default:
							failures++
						}
					}
					countMu.Unlock()
					latWG.Add(1)
					go func(seq uint64) {
						defer latWG.Done()
						ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
						defer cancel()
						if e.board.WaitFor(ctx, seq) == nil {
							latMu.Lock()
							lat = append(lat, time.Since(answered))
							latMu.Unlock()
						}
					}(r.Sequence)
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		latWG.Wait()

		// Raw JetStream: async publish of the same number of messages of the commit size.
		size := commitSize(b, e)
		raw := rawAsyncPublish(b, e, total, size)

		// Exact check: one alert per distinct fingerprint; the counts add up to what was sent.
		e.MustSettle(b)
		viewer := domain.Actor{User: "binh", Org: "dic", Role: domain.RoleCoordinator}
		alerts, sum, after := 0, 0, ""
		for {
			page, err := e.board.List(viewer, projections.AlertFilter{}, projections.MaxAlertPage, after)
			if err != nil {
				b.Fatalf("list: %v", err)
			}
			if after == "" {
				alerts = page.TotalCount
			}
			for _, n := range page.Nodes {
				sum += n.Count
			}
			if !page.HasNext {
				break
			}
			after = page.EndCursor
		}
		if failures > 0 || sent != total || alerts != distinct || sum != total || acc != distinct || dups != total-distinct {
			b.Fatalf("counts wrong: sent %d of %d, failures %d, accepted %d, duplicates %d, alerts %d (distinct %d), sum of counts %d",
				sent, total, failures, acc, dups, alerts, distinct, sum)
		}
		slices.Sort(lat)
		rate := float64(total) / elapsed.Seconds()
		b.ReportMetric(rate, "alerts/s")
		b.ReportMetric(raw, "raw-async-msgs/s")
		b.ReportMetric(rate/raw, "ratio")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "visible-p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "visible-p99-ms")
		b.ReportMetric(float64(size), "commit-bytes")
		b.ReportMetric(float64(total-distinct)/float64(total)*100, "dup-%")
		b.Logf("%d alerts (%d distinct fingerprints, %d repeats) from %d SOCs in %s: %.0f alerts/s; raw async publish %.0f msg/s of %d bytes; ratio %.2f; response->visible p50 %s p99 %s; counts exact",
			total, distinct, total-distinct, producers, elapsed.Round(time.Millisecond), rate, raw, size, rate/raw, lat[len(lat)/2], lat[len(lat)*99/100])
	}
}

func socOrg(p int) string { return fmt.Sprintf("soc-bench-%03d", p) }

// benchEnv is MustEnv with one SOC organisation and source per producer.
func benchEnv(b *testing.B, producers int) *env {
	cfg := domain.DefaultConfig()
	for p := range producers {
		cfg.Organisations = append(cfg.Organisations, domain.Organisation{Slug: socOrg(p), Kind: "SOC", NameVi: "SOC " + strconv.Itoa(p), NameEn: "SOC " + strconv.Itoa(p)})
		cfg.AlertSources = append(cfg.AlertSources, domain.AlertSource{ID: socOrg(p), Org: socOrg(p), Recipients: []string{"dic"}})
	}
	if err := cfg.Validate(); err != nil {
		b.Fatalf("config: %v", err)
	}
	return MustEnvConfig(b, jetstream.FileStorage, cfg)
}

// commitSize is the size of the last commit in the alerts stream.
func commitSize(b *testing.B, e *env) int {
	js, _ := jetstream.New(e.nc)
	st, err := js.Stream(context.Background(), "DIEUPHOI_ALERTS")
	if err != nil {
		b.Fatalf("stream: %v", err)
	}
	info, _ := st.Info(context.Background())
	m, err := st.GetMsg(context.Background(), info.State.LastSeq)
	if err != nil {
		b.Fatalf("get: %v", err)
	}
	return len(m.Data)
}

// rawAsyncPublish publishes n messages of size bytes with PublishAsync to a fresh file stream
// and returns messages per second.
func rawAsyncPublish(b *testing.B, e *env, n, size int) float64 {
	js, _ := jetstream.New(e.nc, jetstream.WithPublishAsyncMaxPending(4096))
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "BENCH_RAW", Subjects: []string{"bench.raw.>"}, Storage: jetstream.FileStorage}); err != nil {
		b.Fatalf("raw stream: %v", err)
	}
	data := bytes.Repeat([]byte("x"), size)
	start := time.Now()
	for i := range n {
		if _, err := js.PublishAsync("bench.raw."+strconv.Itoa(i%1000), data); err != nil {
			b.Fatalf("publish: %v", err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatalf("raw publish did not complete")
	}
	return float64(n) / time.Since(start).Seconds()
}
