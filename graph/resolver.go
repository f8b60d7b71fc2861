// Package graph is dieuphoi's GraphQL API (gqlgen): the schema in schema.graphqls, thin
// resolvers that decode input, run a domain command or read a projection and map the result,
// and the HTTP and websocket (graphql-transport-ws) transports with authentication, limits,
// an error presenter and metrics.
package graph

//go:generate go tool gqlgen generate

import (
	"crypto/ed25519"
	"log/slog"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections"
)

// Deps are the graph server's dependencies.
type Deps struct {
	App *app.App // executes every mutation's command
	// Transparency answers checkpoint and proof queries; nil: they answer INTERNAL.
	Transparency *app.Transparency
	Store        *eventstore.Store
	Projector    *projections.Projector
	Config       *domain.Config
	TokenKey     ed25519.PublicKey // verifies bearer tokens
	Now          func() time.Time  // injectable clock; nil = time.Now
	Log          *slog.Logger
	// AllowedOrigins are the browser origins ("https://board.example.vn") allowed to open a
	// websocket; empty = the same host only. Requests without an Origin header (non-browser
	// clients) are always allowed.
	AllowedOrigins []string
	MaxBodyBytes   int64 // default 1 MiB
	// SubscriptionBuffer is how many changes may wait for one subscription before it is cut off
	// as too slow; 0 = projections.DefaultBuffer.
	SubscriptionBuffer int
	// AlertStore is the alerts stream's store and Alerts its read model (alert triage); without
	// them the alert queries and mutations answer INTERNAL.
	AlertStore *eventstore.Store
	Alerts     *projections.Alerts
	// Reviews opens reviews pinned to signed checkpoints; nil: made from App and Store.
	Reviews *app.Reviews
}

// DefaultMaxBodyBytes caps a request body (and a websocket message) when Deps gives no limit.
const DefaultMaxBodyBytes = 1 << 20

// Server serves the GraphQL API over HTTP and websockets.
type Server struct {
	store     *eventstore.Store
	projector *projections.Projector
	cfg       *domain.Config
	tokenKey  ed25519.PublicKey
	now       func() time.Time
	log       *slog.Logger
	origins   []string
	maxBody   int64
	subBuffer int
	// tokenCheck is how often an open websocket looks whether its token expired or was revoked.
	tokenCheck time.Duration

	app          *app.App
	transparency *app.Transparency
	reports      *app.Reports // regulatory reports from the log (report.go)
	// Alert triage (alert.go): the alerts stream's store and its read model.
	alertStore *eventstore.Store
	alerts     *projections.Alerts
	reviews    *app.Reviews
	gql        *handler.Server
	metrics    metrics
	// timeTravel counts the queries with asOf each token runs (limits.go).
	timeTravel tokenSlots

	mu      sync.Mutex
	closed  bool
	sockets map[*socket]struct{}
	running sync.WaitGroup // websocket handlers
}

// Resolver is the root resolver: everything the resolvers use hangs off the Server.
type Resolver struct{ s *Server }

// New returns the GraphQL server over the given event store and read models.
func New(d Deps) *Server {
	s := &Server{app: d.App, transparency: d.Transparency, store: d.Store, projector: d.Projector, cfg: d.Config, tokenKey: d.TokenKey, now: d.Now, log: d.Log,
		origins: d.AllowedOrigins, maxBody: d.MaxBodyBytes, subBuffer: d.SubscriptionBuffer, tokenCheck: time.Second,
		sockets: map[*socket]struct{}{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	s.alertStore, s.alerts = d.AlertStore, d.Alerts
	if s.reviews = d.Reviews; s.reviews == nil && d.App != nil {
		s.reviews = app.NewReviews(d.App, d.Store)
	}
	s.reports = app.NewReports(d.Store, d.Projector, d.Config, s.now)
	s.metrics.init()
	s.gql = s.newHandler()
	return s
}
