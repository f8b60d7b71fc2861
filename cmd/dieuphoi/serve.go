package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/graph"
	"github.com/dieuphoi/dieuphoi/ingest"
	"github.com/dieuphoi/dieuphoi/projections"
	"github.com/dieuphoi/dieuphoi/web"
)

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
	f.str(&c.HTTP, "http", ":8080", "HTTP listen address of the API, the board and /healthz")
	f.str(&c.Metrics, "metrics", "127.0.0.1:9090", "listen address of /metrics and the detailed /healthz for operators (loopback by default: they tell how much is written); empty: not served")
	f.str(&c.Config, "config", "", "regulatory configuration: a JSON file or a directory of versions; default: the embedded one")
	f.str(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.str(&c.TokenKey, "token-key", "", "Ed25519 key that signs bearer tokens (hex seed); default DATA/keys/token.key, created if missing; shared by all replicas")
	f.str(&c.Origins, "allowed-origins", "", "comma-separated websocket origins allowed besides the service's own host (e.g. https://board.example.gov.vn)")
	f.duration(&c.Shutdown, "shutdown-timeout", 15*time.Second, "how long in-flight requests may take to finish at shutdown")
	if err := f.parse(args); err != nil {
		return err
	}
	c.ReplicasGiven = f.given("replicas")
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

	el, err := openLog(ctx, c, log, asService, dcfg)
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
	alertModel := projections.NewAlerts(dcfg, proj, log)
	application := app.New(app.Deps{Events: el.store, Read: proj, Alerts: el.alerts, AlertRead: alertModel, Config: dcfg, Log: log})
	transparency := app.NewTransparency(el.store, el.alerts, proj, nil)
	gsrv := graph.New(graph.Deps{App: application, Transparency: transparency, Store: el.store, Projector: proj, Config: dcfg, TokenKey: tokenKey.Public().(ed25519.PublicKey),
		Log: log, AllowedOrigins: splitList(c.Origins), AlertStore: el.alerts, Alerts: alertModel})
	ingester := ingest.New(ingest.Deps{App: application, Alerts: alertModel, Config: dcfg, Authenticate: gsrv.Authenticate, Log: log})
	sched := app.NewScheduler(application, el.store, proj, nil, log)
	hooks := app.NewWebhooks(application, el.store, proj, tokenKey, log, nil)
	board := web.New(web.Deps{App: application, TokenKey: tokenKey, Config: dcfg, Authenticate: gsrv.Authenticate, Log: log})
	files, err := openEvidence(ctx, c, el, application, proj, gsrv, log)
	if err != nil {
		return err
	}
	svc := &service{web: board, transparency: transparency, log: log, store: el.store, nc: el.nc, config: dcfg, proj: proj, graph: gsrv, sched: sched,
		webhookKey: tokenKey.Public().(ed25519.PublicKey), alertStore: el.alerts, alerts: alertModel, ingest: ingester,
		alertsAtStart: alertsAtStart, evidence: files}

	// A broken log (ErrIntegrity) stops the service: nothing is served or signed on top of a
	// history that is not this deployment's.
	sup := newSupervisor(log, func(err error) bool { return errors.Is(err, eventstore.ErrIntegrity) })
	defer sup.stop()
	// One pass over each log feeds its write models and read models; it goes on after an
	// error (a NATS outage) where it stopped. The alerts stream has its own.
	sup.run("write-model follower", func(ctx context.Context) error { return el.store.Follow(ctx, log, proj.Sink()) })
	sup.run("alerts follower", func(ctx context.Context) error { return el.alerts.Follow(ctx, log, alertModel.Sink()) })
	// Before serving, each log must extend the checkpoint this replica last verified (its
	// witness in DATA/witness): a deleted, truncated or replaced stream stops here.
	for _, st := range []*eventstore.Store{el.store, el.alerts} {
		if err := st.CheckWitness(ctx); err != nil {
			return err
		}
	}
	// Signed checkpoints of both logs, at most a second apart while they grow; every replica
	// runs them and exactly one checkpoint per tree size is published.
	sup.run("events checkpointer", func(ctx context.Context) error { return el.store.RunCheckpoints(ctx, log) })
	sup.run("alerts checkpointer", func(ctx context.Context) error { return el.alerts.RunCheckpoints(ctx, log) })
	// SOCs that publish directly: dieuphoi.ingest.<source>, shared by the replicas in a queue group.
	sup.run("NATS alert ingest", func(ctx context.Context) error { return ingester.Run(ctx, el.nc) })
	// Deadlines fire from the read models on every replica; the domain's invariants let exactly
	// one replica record each.
	sup.run("deadline scheduler", sched.Run)
	// Signed webhooks: every replica pulls from each webhook's durable consumer, so a change is
	// delivered by one replica at a time and survives restarts.
	sup.run("webhook delivery", hooks.Run)

	httpDone := make(chan error, 2)
	hs, err := listen(c.HTTP, "--http", svc.routes(), log, httpDone)
	if err != nil {
		return err
	}
	servers := []*http.Server{hs}
	if c.Metrics != "" {
		ms, err := listen(c.Metrics, "--metrics", svc.opsRoutes(), log, httpDone)
		if err != nil {
			hs.Close()
			return err
		}
		servers = append(servers, ms)
		log.Info("serving metrics", "metrics", ms.Addr)
	}
	log.Info("serving", "http", hs.Addr)
	fmt.Fprintf(stdout, "dieuphoi serving on %s\n", browseURL(hs.Addr))

	var stopped error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-httpDone:
		stopped = fmt.Errorf("http server: %w", err)
	case err := <-sup.Fatal():
		log.Error("stopping: the log cannot be trusted", "err", err)
		stopped = err
	}
	sctx, cancel := context.WithTimeout(context.Background(), c.Shutdown)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			log.Warn("http shutdown", "err", err)
		}
	}
	gsrv.Close() // websockets are hijacked: http.Server.Shutdown does not end them
	proj.Incidents.CloseSubscriptions()
	alertModel.CloseSubscriptions()
	return stopped
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

// listen serves h on addr (named by its flag in errors); the server's Addr is the address
// bound. A server that stops on its own reports on done.
func listen(addr, flag string, h http.Handler, log *slog.Logger, done chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, addr, err)
	}
	s := &http.Server{Addr: ln.Addr().String(), Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := s.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			done <- err
		}
	}()
	return s, nil
}

// browseURL is the address to open in a browser for a listen address: localhost when the
// service listens on every interface.
func browseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
