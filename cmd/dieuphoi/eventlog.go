package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/ingest"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
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
	// Each replica keeps, outside the streams, the latest checkpoint it verified: a witness that
	// catches the deletion or replacement of a whole stream.
	witness := filepath.Join(c.Data, "witness")
	l.store, err = eventstore.Open(ctx, l.nc, eventstore.Config{Replicas: c.Replicas, Storage: storage,
		Signer: signer, Origin: c.Origin + "/events", WitnessDir: witness})
	if err != nil {
		l.shutdown()
		return nil, err
	}
	ac := ingest.StoreConfig(c.Replicas, storage)
	ac.Signer, ac.Origin, ac.WitnessDir = signer, c.Origin+"/alerts", witness
	l.alerts, err = eventstore.Open(ctx, l.nc, ac)
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
