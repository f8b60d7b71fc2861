package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/graph"
	"github.com/dieuphoi/dieuphoi/graph/evidence"
	"github.com/dieuphoi/dieuphoi/ingest"
	"github.com/dieuphoi/dieuphoi/projections"
	"github.com/dieuphoi/dieuphoi/web"
	"github.com/nats-io/nats.go"
)

// service holds what the HTTP handlers use.
type service struct {
	log    *slog.Logger
	store  *eventstore.Store
	nc     *nats.Conn
	config *domain.Config
	proj   *projections.Projector
	graph  *graph.Server
	sched  *app.Scheduler
	// webhookKey verifies webhook signatures; partners fetch it from /.well-known/dieuphoi/keys.
	webhookKey ed25519.PublicKey
	alertStore *eventstore.Store
	alerts     *projections.Alerts
	ingest     *ingest.Service
	// alertsAtStart is the alerts stream's last sequence when the service started.
	alertsAtStart uint64
	transparency  *app.Transparency
	// web is the coordination board (GET /, /assets/) and the explorer a browser gets at /graphql.
	web *web.Board
	// evidence uploads and downloads evidence files (/api/v1/incidents/{id}/evidence, /api/v1/evidence/{id}).
	evidence *evidence.Handler
}

// routes are the public API's: the coordination board, GraphQL (and its explorer for a browser),
// alert ingest, the partners' well-known keys, and a health answer for probes that tells nothing
// of the log.
func (s *service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/graphql", s.web.Explorer(s.graph))
	mux.Handle("/", s.web)
	mux.Handle(ingest.Path, s.ingest)
	s.evidence.Register(mux)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /.well-known/dieuphoi/keys", app.WebhookKeysHandler(s.webhookKey))
	transparencyRoutes(mux, s.transparency, s.graph.Authenticate)
	return mux
}

// opsRoutes are the operators' (the --metrics listener, loopback by default): Prometheus
// metrics and health with the log's sequences, which tell how much is written and must not
// reach tenants.
func (s *service) opsRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", s.metrics)
	mux.HandleFunc("GET /healthz", s.health)
	return mux
}

// healthz answers 200 {"status":"ok"} once NATS is connected and the read models have caught up
// with the log as it stood a moment ago; 503 with the reason otherwise. It says no numbers.
func (s *service) healthz(w http.ResponseWriter, r *http.Request) {
	st := s.status(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if st.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintf(w, `{"status":%q}`+"\n", st.Status)
}

// health is healthz for operators: with the reason and how far the read models are.
func (s *service) health(w http.ResponseWriter, r *http.Request) {
	st := s.status(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if st.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(st)
}

// health is where the service stands.
type health struct {
	Status      string `json:"status"` // ok, catching-up or unavailable
	Reason      string `json:"reason,omitempty"`
	Sequence    uint64 `json:"sequence"`      // the event stream's last sequence
	Applied     uint64 `json:"applied"`       // what the read models contain
	AlertsStart uint64 `json:"alertsAtStart"` // the alerts stream when the service started
	Alerts      uint64 `json:"alertsApplied"` // what the triage read model contains
}

// status is ok once NATS is connected and the read models have caught up with the log as it
// stood a moment ago; the alerts stream keeps moving under ingest load, so its read model only
// has to have read what the stream held when the service started.
func (s *service) status(ctx context.Context) health {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	h := health{Status: "ok", Applied: s.proj.Applied(), AlertsStart: s.alertsAtStart, Alerts: s.alerts.Applied()}
	if !s.nc.IsConnected() {
		h.Status, h.Reason = "unavailable", "not connected to NATS"
		return h
	}
	last, err := s.store.LastSequence(ctx)
	if err != nil {
		h.Status, h.Reason = "unavailable", "event stream unreachable: "+err.Error()
		return h
	}
	h.Sequence = last
	if h.Applied < last || h.Alerts < h.AlertsStart {
		h.Status = "catching-up"
	}
	return h
}

func (s *service) metrics(w http.ResponseWriter, r *http.Request) {
	st := s.store.Stats()
	last, _ := s.store.LastSequence(r.Context())
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	connected := 0
	if s.nc.IsConnected() {
		connected = 1
	}
	fmt.Fprintf(w, "# HELP dieuphoi_commits_appended_total Commits (commands) appended by this process.\n# TYPE dieuphoi_commits_appended_total counter\ndieuphoi_commits_appended_total %d\n", st.Commits)
	fmt.Fprintf(w, "# HELP dieuphoi_events_appended_total Events appended by this process.\n# TYPE dieuphoi_events_appended_total counter\ndieuphoi_events_appended_total %d\n", st.Events)
	fmt.Fprintf(w, "# HELP dieuphoi_append_conflicts_total Appends refused because the aggregate had moved on.\n# TYPE dieuphoi_append_conflicts_total counter\ndieuphoi_append_conflicts_total %d\n", st.Conflicts)
	fmt.Fprintf(w, "# HELP dieuphoi_duplicate_commands_total Commands recognised as already recorded.\n# TYPE dieuphoi_duplicate_commands_total counter\ndieuphoi_duplicate_commands_total %d\n", st.Duplicates)
	fmt.Fprintf(w, "# HELP dieuphoi_stream_last_sequence Last sequence of the event stream.\n# TYPE dieuphoi_stream_last_sequence gauge\ndieuphoi_stream_last_sequence %d\n", last)
	fmt.Fprintf(w, "# HELP dieuphoi_write_model_lag Commits the write-model follower has not applied yet.\n# TYPE dieuphoi_write_model_lag gauge\ndieuphoi_write_model_lag %d\n", last-min(last, s.store.Followed()))
	fmt.Fprintf(w, "# HELP dieuphoi_nats_connected 1 when connected to NATS.\n# TYPE dieuphoi_nats_connected gauge\ndieuphoi_nats_connected %d\n", connected)
	fmt.Fprintf(w, "# HELP dieuphoi_projection_lag Commits the read models have not applied yet.\n# TYPE dieuphoi_projection_lag gauge\ndieuphoi_projection_lag %d\n", last-min(last, s.proj.Applied()))
	fmt.Fprintf(w, "# HELP dieuphoi_projection_sequence Last stream sequence in the read models.\n# TYPE dieuphoi_projection_sequence gauge\ndieuphoi_projection_sequence %d\n", s.proj.Applied())
	fmt.Fprintf(w, "# HELP dieuphoi_projection_undecodable_total Commits the read models skipped because they do not decode.\n# TYPE dieuphoi_projection_undecodable_total counter\ndieuphoi_projection_undecodable_total %d\n", s.proj.Undecodable())
	fmt.Fprintf(w, "# HELP dieuphoi_incidents Incidents in the read models.\n# TYPE dieuphoi_incidents gauge\ndieuphoi_incidents %d\n", s.proj.Incidents.Len())
	ss := s.sched.Stats()
	fmt.Fprintf(w, "# HELP dieuphoi_deadlines_fired_total Deadlines this replica recorded (misses, reminders, overdue reports).\n# TYPE dieuphoi_deadlines_fired_total counter\ndieuphoi_deadlines_fired_total %d\n", ss.Fired)
	fmt.Fprintf(w, "# HELP dieuphoi_deadlines_skipped_total Deadlines another replica had already recorded, or that no longer applied.\n# TYPE dieuphoi_deadlines_skipped_total counter\ndieuphoi_deadlines_skipped_total %d\n", ss.Skipped)
	fmt.Fprintf(w, "# HELP dieuphoi_deadlines_failed_total Deadline commands that failed and were retried.\n# TYPE dieuphoi_deadlines_failed_total counter\ndieuphoi_deadlines_failed_total %d\n", ss.Failed)
	fmt.Fprintf(w, "# HELP dieuphoi_deadlines_pending Deadlines in this replica's index.\n# TYPE dieuphoi_deadlines_pending gauge\ndieuphoi_deadlines_pending %d\n", s.proj.Deadlines.Pending())
	is := s.ingest.Stats()
	alast, _ := s.alertStore.LastSequence(r.Context())
	fmt.Fprintf(w, "# HELP dieuphoi_alerts_ingested_total Alert reports by outcome.\n# TYPE dieuphoi_alerts_ingested_total counter\n")
	fmt.Fprintf(w, "dieuphoi_alerts_ingested_total{status=\"accepted\"} %d\ndieuphoi_alerts_ingested_total{status=\"duplicate\"} %d\n", is.Accepted, is.Duplicate)
	fmt.Fprintf(w, "dieuphoi_alerts_ingested_total{status=\"suppressed\"} %d\ndieuphoi_alerts_ingested_total{status=\"rejected\"} %d\n", is.Suppressed, is.Rejected)
	fmt.Fprintf(w, "# HELP dieuphoi_alerts Alerts in the triage read model.\n# TYPE dieuphoi_alerts gauge\ndieuphoi_alerts %d\n", s.alerts.Len())
	fmt.Fprintf(w, "# HELP dieuphoi_alerts_projection_lag Commits of the alerts stream the triage read model has not applied yet.\n# TYPE dieuphoi_alerts_projection_lag gauge\ndieuphoi_alerts_projection_lag %d\n", alast-min(alast, s.alerts.Applied()))
	s.graph.WriteMetrics(w)
}
