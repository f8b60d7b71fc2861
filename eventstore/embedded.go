package eventstore

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedConfig configures the in-process nats-server used when no external cluster is given.
type EmbeddedConfig struct {
	StoreDir string // JetStream storage directory
	Listen   string // client listen address "host:port"; port -1 picks a free one (tests)
	// MaxMemory and MaxStore bound JetStream resources; zero means the server's defaults.
	MaxMemory int64
	MaxStore  int64
	// Users, when given, are the only clients the server accepts: nkey users with their
	// permissions. Empty: no authentication (tests).
	Users []*server.NkeyUser
}

// StartEmbedded starts a nats-server with JetStream in this process and waits until it accepts
// clients. The caller shuts it down with Shutdown and WaitForShutdown.
func StartEmbedded(cfg EmbeddedConfig) (*server.Server, error) {
	host, port := "127.0.0.1", -1
	if cfg.Listen != "" {
		h, p, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("nats listen address %q: %w", cfg.Listen, err)
		}
		if p, err := strconv.Atoi(p); err == nil {
			port = p
		} else {
			return nil, fmt.Errorf("nats listen address %q: port is not a number", cfg.Listen)
		}
		if h != "" {
			host = h
		}
	}
	opts := &server.Options{
		ServerName:         "dieuphoi-embedded",
		Host:               host,
		Port:               port,
		JetStream:          true,
		StoreDir:           cfg.StoreDir,
		JetStreamMaxMemory: cfg.MaxMemory,
		JetStreamMaxStore:  cfg.MaxStore,
		NoSigs:             true, // the service handles SIGINT/SIGTERM itself and shuts the server down in order
		MaxPayload:         8 << 20,
		Nkeys:              cfg.Users,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats-server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("embedded nats-server did not become ready on %s:%d (is the port in use?)", host, port)
	}
	return s, nil
}
