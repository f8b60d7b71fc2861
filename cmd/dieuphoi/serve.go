package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/graph"
	"github.com/dieuphoi/dieuphoi/ingest"
	"github.com/dieuphoi/dieuphoi/projections"
	"github.com/dieuphoi/dieuphoi/web"
)

// eventLog is an opened event log with what it runs on; close releases everything in order.
type eventLog struct {
	store *eventstore.Store
	// alerts is the alert ingest log: its own stream, so that alert volume never floods the
	// incident log and its follower.
	alerts   *eventstore.Store
	nc       *nats.Conn
	embedded *server.Server
}

// alertsStoreConfig is the alerts stream: DIEUPHOI_ALERTS, subjects dieuphoi.alerts.<type>.<id>.
// Its duplicate window is short: JetStream keeps every message id of the window in memory, and
// alert reports are idempotent by their command ids anyway.
func alertsStoreConfig(replicas int, storage jetstream.StorageType) eventstore.Config {
	return eventstore.Config{Stream: "DIEUPHOI_ALERTS", SubjectPrefix: "dieuphoi.alerts", Replicas: replicas, Storage: storage,
		DuplicateWindow: 30 * time.Second, CacheSize: 200_000}
}

// openLog connects to the external NATS given by --nats-url, or starts the embedded server on
// --data, and opens the event store.
func openLog(ctx context.Context, c Config, log *slog.Logger) (*eventLog, error) {
	storage, err := c.storageType()
	if err != nil {
		return nil, err
	}
	l := &eventLog{}
	url := c.NATSURL
	if url == "" {
		if err := os.MkdirAll(c.Data, 0o750); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		l.embedded, err = eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: filepath.Join(c.Data, "jetstream"), Listen: c.NATSListen})
		if err != nil {
			return nil, err
		}
		url = l.embedded.ClientURL()
		log.Info("embedded NATS server with JetStream started", "listen", url, "store", filepath.Join(c.Data, "jetstream"))
	}
	opts := []nats.Option{
		nats.Name("dieuphoi"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: our own drain at shutdown
				log.Warn("NATS disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("NATS reconnected", "url", nc.ConnectedUrlRedacted()) }),
	}
	if c.NATSCreds != "" {
		opts = append(opts, nats.UserCredentials(c.NATSCreds))
	}
	l.nc, err = nats.Connect(url, opts...)
	if err != nil {
		l.shutdown()
		return nil, fmt.Errorf("connecting to NATS at %s: %w", redact(url), err)
	}
	signer, err := eventstore.LoadOrCreateSigner(c.signingKeyPath(), filepath.Join(c.Data, "keys", "trusted"))
	if err != nil {
		l.shutdown()
		return nil, err
	}
	l.store, err = eventstore.Open(ctx, l.nc, signer, eventstore.Config{Replicas: c.Replicas, Storage: storage})
	if err != nil {
		l.shutdown()
		return nil, err
	}
	l.alerts, err = eventstore.Open(ctx, l.nc, signer, alertsStoreConfig(c.Replicas, storage))
	if err != nil {
		l.shutdown()
		return nil, err
	}
	return l, nil
}

// shutdown stops the store's signer, drains the connection (flushing what is in flight) and
// stops the embedded server.
func (l *eventLog) shutdown() {
	if l.store != nil {
		l.store.Close()
	}
	if l.alerts != nil {
		l.alerts.Close()
	}
	if l.nc != nil {
		if err := l.nc.Drain(); err == nil {
			for i := 0; i < 100 && !l.nc.IsClosed(); i++ {
				time.Sleep(20 * time.Millisecond)
			}
		}
		l.nc.Close()
	}
	if l.embedded != nil {
		l.embedded.Shutdown()
		l.embedded.WaitForShutdown()
	}
}

func redact(url string) string {
	if i := strings.Index(url, "@"); i >= 0 {
		if j := strings.Index(url, "://"); j >= 0 && j < i {
			return url[:j+3] + "***" + url[i:]
		}
	}
	return url
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c Config
	f := newFlagSet("serve", getenv, stderr)
	storeFlags(f, &c)
	f.str(&c.HTTP, "http", ":8080", "HTTP listen address of the API, /healthz and /metrics")
	f.str(&c.Config, "config", "", "regulatory configuration: a JSON file or a directory of versions; default: the embedded one")
	f.str(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.str(&c.TokenKey, "token-key", "", "Ed25519 key that signs bearer tokens (hex seed); default DATA/keys/token.key, created if missing; shared by all replicas")
	f.str(&c.Origins, "allowed-origins", "", "comma-separated websocket origins allowed besides the service's own host (e.g. https://board.example.gov.vn)")
	f.duration(&c.Shutdown, "shutdown-timeout", 15*time.Second, "how long in-flight requests may take to finish at shutdown")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	log, err := newLogger(stderr, c.LogLevel)
	if err != nil {
		return err
	}
	dcfg, err := loadDomainConfig(c.Config, time.Now())
	if err != nil {
		return err
	}
	log.Info("configuration in effect", "version", dcfg.Version, "effectiveFrom", dcfg.EffectiveFrom, "organisations", len(dcfg.Organisations))

	el, err := openLog(ctx, c, log)
	if err != nil {
		return err
	}
	defer el.shutdown()
	alertsAtStart, err := el.alerts.LastSequence(ctx)
	if err != nil {
		return err
	}

	tokenKey, err := eventstore.LoadOrCreateKey(c.tokenKeyPath())
	if err != nil {
		return err
	}
	proj := projections.New(dcfg, log)
	alertModel := projections.NewAlerts(dcfg, proj.Correlation, log)
	application := app.New(app.Deps{Events: el.store, Read: proj, Alerts: el.alerts, AlertRead: alertModel, Config: dcfg, Log: log})
	gsrv := graph.New(graph.Deps{App: application, Store: el.store, Projector: proj, Config: dcfg, TokenKey: tokenKey.Public().(ed25519.PublicKey),
		Log: log, AllowedOrigins: splitList(c.Origins), AlertStore: el.alerts, Alerts: alertModel})
	ingester := ingest.New(ingest.Deps{App: application, Alerts: alertModel, Config: dcfg, Authenticate: gsrv.Authenticate, Log: log})
	sched := app.NewScheduler(application, el.store, proj, nil, log)
	hooks := app.NewWebhooks(application, el.store, proj, tokenKey, log, nil)
	board := web.New(web.Deps{App: application, TokenKey: tokenKey, Config: dcfg, Authenticate: gsrv.Authenticate, Log: log})
	svc := &service{web: board, log: log, store: el.store, nc: el.nc, config: dcfg, proj: proj, graph: gsrv, sched: sched,
		webhookKey: tokenKey.Public().(ed25519.PublicKey), alertStore: el.alerts, alerts: alertModel, ingest: ingester,
		alertsAtStart: alertsAtStart}

	sup := newSupervisor(log)
	defer sup.stop()
	// One pass over each log feeds its write models and read models; it goes on after an
	// error (a NATS outage) where it stopped. The alerts stream has its own.
	sup.run("write-model follower", func(ctx context.Context) error { return el.store.Follow(ctx, log, proj.Sink()) })
	sup.run("alerts follower", func(ctx context.Context) error { return el.alerts.Follow(ctx, log, alertModel.Sink()) })
	// SOCs that publish directly: dieuphoi.ingest.<source>, shared by the replicas in a queue group.
	sup.run("NATS alert ingest", func(ctx context.Context) error { return ingester.Run(ctx, el.nc) })
	// Deadlines fire from the read models on every replica; the domain's invariants let exactly
	// one replica record each.
	sup.run("deadline scheduler", sched.Run)
	// Signed webhooks: every replica pulls from each webhook's durable consumer, so a change is
	// delivered by one replica at a time and survives restarts.
	sup.run("webhook delivery", hooks.Run)

	ln, err := net.Listen("tcp", c.HTTP)
	if err != nil {
		return fmt.Errorf("--http %s: %w", c.HTTP, err)
	}
	hs := &http.Server{Handler: svc.routes(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	httpDone := make(chan error, 1)
	go func() { httpDone <- hs.Serve(ln) }()
	log.Info("serving", "http", ln.Addr().String())
	fmt.Fprintf(stdout, "dieuphoi serving on http://%s (the board at /, healthz, metrics)\n", ln.Addr())

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-httpDone:
		return fmt.Errorf("http server: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), c.Shutdown)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	gsrv.Close() // websockets are hijacked: http.Server.Shutdown does not end them
	proj.Incidents.CloseSubscriptions()
	alertModel.CloseSubscriptions()
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

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
	// web is the coordination board (GET /, /assets/) and the explorer a browser gets at /graphql.
	web *web.Board
}

func (s *service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/graphql", s.web.Explorer(s.graph))
	mux.Handle("/", s.web)
	mux.Handle(ingest.Path, s.ingest)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /.well-known/dieuphoi/keys", app.WebhookKeysHandler(s.webhookKey))
	mux.HandleFunc("GET /metrics", s.metrics)
	return mux
}

// healthz answers 200 once NATS is connected and the write models have caught up with the log
// as it stood a moment ago; 503 with the reason otherwise.
func (s *service) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	if !s.nc.IsConnected() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, `{"status":"unavailable","reason":"not connected to NATS"}`)
		return
	}
	last, err := s.store.LastSequence(ctx)
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `{"status":"unavailable","reason":%q}`+"\n", "event stream unreachable: "+err.Error())
		return
	}
	if f := s.proj.Applied(); f < last {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `{"status":"catching-up","applied":%d,"last":%d}`+"\n", f, last)
		return
	}
	// The alerts stream keeps moving under ingest load: healthy once the triage read model has
	// read what the stream held when the service started.
	if f := s.alerts.Applied(); f < s.alertsAtStart {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `{"status":"catching-up","alertsApplied":%d,"alertsLast":%d}`+"\n", f, s.alertsAtStart)
		return
	}
	fmt.Fprintf(w, `{"status":"ok","sequence":%d}`+"\n", last)
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
