package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/ingest"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// eventLog is an opened event log with what it runs on; close releases everything in order.
type eventLog struct {
	lock  *dataLock // the data directory, while this process owns it
	store *eventstore.Store
	// alerts is the alert ingest log: its own stream, so that alert volume never floods the
	// incident log and its follower.
	alerts   *eventstore.Store
	nc       *nats.Conn
	embedded *server.Server
}

// openMode says who opens the log: the service, which owns its data directory and may manage
// the streams, or a command-line tool, which reaches the log through the owner when there is
// one and never changes a stream.
type openMode int

const (
	asService openMode = iota
	asTool
)

// openLog opens the event and alerts stores: on the external NATS given by --nats-url, or on the
// embedded server of the data directory. The service takes the directory (a second one on it is
// refused) and starts its embedded server; a tool reaches the owner's server at the address the
// owner recorded, or, with no owner, takes the directory and starts a private server itself.
//
// The embedded server accepts only the users whose keys are in DATA/keys/nats (natsauth.go): the
// service and the tools connect as its service user; dcfg, when given, adds a user for each SOC
// organisation that has an alert source.
func openLog(ctx context.Context, c Config, log *slog.Logger, mode openMode, dcfg *domain.Config) (*eventLog, error) {
	storage, err := c.storageType()
	if err != nil {
		return nil, err
	}
	signer, err := eventstore.LoadOrCreateSigner(c.signingKeyPath(), filepath.Join(c.Data, "keys", "trusted"))
	if err != nil {
		return nil, err
	}
	deployment := deploymentID(signer)
	l := &eventLog{}
	url, embedded := c.NATSURL, c.NATSURL == ""
	if mode == asService || url == "" {
		switch l.lock, err = lockData(c.Data); {
		case errors.Is(err, errBusy) && mode == asService:
			return nil, busyError(c.Data, "stop it first, or give this one its own --data")
		case errors.Is(err, errBusy):
			o, err := readOwner(c.Data)
			if err != nil {
				return nil, err
			}
			// The owner's server; the streams' deployment is checked when they open.
			url, embedded = o.NATS, o.Embedded
		case err != nil:
			return nil, err
		}
	}
	if l.lock != nil && url == "" {
		listen := c.NATSListen
		if mode == asTool {
			listen = "127.0.0.1:-1" // a private port: nobody else runs on this directory
		}
		users, err := natsUsers(c, dcfg)
		if err != nil {
			l.shutdown()
			return nil, err
		}
		l.embedded, err = eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: filepath.Join(c.Data, "jetstream"), Listen: listen, Users: users})
		if err != nil {
			l.shutdown()
			return nil, err
		}
		url = l.embedded.ClientURL()
		log.Info("embedded NATS server with JetStream started", "listen", url, "store", filepath.Join(c.Data, "jetstream"))
	}
	if l.lock != nil {
		cmd := "serve"
		if mode == asTool {
			cmd = "tool"
		}
		if err := l.lock.record(owner{Command: cmd, NATS: url, Embedded: embedded, Deployment: deployment}); err != nil {
			l.shutdown()
			return nil, err
		}
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
	switch {
	case embedded:
		o, err := serviceNATSOption(c)
		if err != nil {
			l.shutdown()
			return nil, err
		}
		opts = append(opts, o)
	case c.NATSCreds != "":
		o, err := natsCredentials(c.NATSCreds)
		if err != nil {
			l.shutdown()
			return nil, err
		}
		opts = append(opts, o)
	}
	if !embedded && c.NATSCA != "" {
		opts = append(opts, nats.RootCAs(c.NATSCA))
	}
	l.nc, err = nats.Connect(url, opts...)
	if err != nil {
		l.shutdown()
		return nil, fmt.Errorf("connecting to NATS at %s: %w", redact(url), err)
	}
	// Each replica keeps, outside the streams, the latest checkpoint it verified: a witness that
	// catches the deletion or replacement of a whole stream.
	witness := filepath.Join(c.Data, "witness")
	manage := func(sc eventstore.Config) eventstore.Config {
		sc.Deployment, sc.Manage, sc.SetReplicas = deployment, mode == asService, mode == asService && c.ReplicasGiven
		return sc
	}
	l.store, err = eventstore.Open(ctx, l.nc, manage(eventstore.Config{Replicas: c.Replicas, Storage: storage,
		Signer: signer, Origin: c.Origin + "/events", WitnessDir: witness}))
	if err != nil {
		l.shutdown()
		return nil, err
	}
	ac := ingest.StoreConfig(c.Replicas, storage)
	ac.Signer, ac.Origin, ac.WitnessDir = signer, c.Origin+"/alerts", witness
	l.alerts, err = eventstore.Open(ctx, l.nc, manage(ac))
	if err != nil {
		l.shutdown()
		return nil, err
	}
	for _, m := range append(l.store.Mismatches(), l.alerts.Mismatches()...) {
		log.Warn(m)
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
	if l.lock != nil {
		l.lock.release()
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
