// Package app is dieuphoi's application layer: the one write path every adapter uses (the
// GraphQL API, alert ingest, the command-line tools) to execute a command — load the aggregate,
// let the domain decide, append the events with the expected version, wait until this
// replica's read models contain them — and the processes that react to the log: the deadline
// scheduler and webhook delivery.
package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections"
)

// ReadYourWrites bounds how long a command waits for this replica's read models to contain it.
const ReadYourWrites = 5 * time.Second

// Waiter is a read model that can say how far it has applied its stream and wait for more.
type Waiter interface {
	Applied() uint64
	WaitFor(ctx context.Context, seq uint64) error
}

// Deps are what the application runs on.
type Deps struct {
	// Events is the event log (incidents, tokens, webhooks, users, organisations, reports) and
	// Read its read models, which commands wait for (nil: commands do not wait).
	Events *eventstore.Store
	Read   Waiter
	// Alerts is the alerts stream (alert series, suppression rules) and AlertRead its triage
	// read model; nil: alert commands are refused.
	Alerts    *eventstore.Store
	AlertRead *projections.Alerts
	Config    *domain.Config
	Now       func() time.Time // the injectable clock; nil = time.Now
	Log       *slog.Logger
	// ReadYourWrites bounds how long a command waits for the read models (0: ReadYourWrites).
	ReadYourWrites time.Duration
}

// App executes commands.
type App struct {
	cfg   *domain.Config
	ryw   time.Duration
	now   func() time.Time
	log   *slog.Logger
	repos map[string]repo // by aggregate type
	// The alerts stream and its triage read model, for bulk triage (triage.go).
	alertStore *eventstore.Store
	alerts     *projections.Alerts
}

// repo is an eventstore.Repo of some aggregate type, with the read model its writes show in.
type repo interface {
	update(ctx context.Context, id string, meta eventstore.CommandMeta, fn func(domain.Aggregate) error) (eventstore.Result, error)
	load(ctx context.Context, id string, upTo uint64) (domain.Aggregate, error)
	waiter() Waiter
}

type typedRepo[A domain.Aggregate] struct {
	r *eventstore.Repo[A]
	w Waiter
}

func (t typedRepo[A]) update(ctx context.Context, id string, meta eventstore.CommandMeta, fn func(domain.Aggregate) error) (eventstore.Result, error) {
	return t.r.Update(ctx, id, meta, func(a A) error { return fn(a) })
}

func (t typedRepo[A]) load(ctx context.Context, id string, upTo uint64) (domain.Aggregate, error) {
	a, _, err := t.r.Load(ctx, id, upTo)
	return a, err
}

func (t typedRepo[A]) waiter() Waiter { return t.w }

func register[A domain.Aggregate](repos map[string]repo, st *eventstore.Store, w Waiter, newAgg func(string) A, opts ...func(*eventstore.Repo[A])) {
	r := eventstore.NewRepo(st, newAgg)
	for _, o := range opts {
		o(r)
	}
	repos[newAgg("").AggregateType()] = typedRepo[A]{r: r, w: w}
}

// New returns the application over the given stores. It registers a repository for every
// aggregate type, so each store's follower keeps their write models.
func New(d Deps) *App {
	a := &App{cfg: d.Config, now: d.Now, log: d.Log, repos: map[string]repo{}, ryw: d.ReadYourWrites}
	if a.ryw <= 0 {
		a.ryw = ReadYourWrites
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if d.Events != nil {
		register(a.repos, d.Events, d.Read, domain.NewIncident)
		register(a.repos, d.Events, d.Read, domain.NewToken)
		register(a.repos, d.Events, d.Read, domain.NewPeriodicReport)
		register(a.repos, d.Events, d.Read, domain.NewWebhook)
		register(a.repos, d.Events, d.Read, domain.NewUser)
		register(a.repos, d.Events, d.Read, domain.NewOrgProfile)
	}
	if d.Alerts != nil {
		a.alertStore, a.alerts = d.Alerts, d.AlertRead
		// Most fingerprints not in the write-model cache are new: skip the load and let the
		// append's expected-sequence check catch the others. A fingerprint repeated through
		// several replicas at once is one aggregate many writers hit: allow long races.
		var w Waiter
		if d.AlertRead != nil {
			w = d.AlertRead
		}
		register(a.repos, d.Alerts, w, domain.NewAlertSeries, func(r *eventstore.Repo[*domain.AlertSeries]) {
			r.CreateOptimistically()
		})
		register(a.repos, d.Alerts, w, domain.NewSuppression)
	}
	return a
}

// Config returns the configuration commands are decided under.
func (a *App) Config() *domain.Config { return a.cfg }

// Now returns the application's clock.
func (a *App) Now() time.Time { return a.now() }

// Request is one command as an adapter states it.
type Request struct {
	Actor       domain.Actor // who asks: from the token, never from the input
	AggregateID string
	Command     domain.Command
	// CommandID is the client's retry key: the same actor sending the same id again gets the
	// first result and nothing is written twice. Empty: a new id.
	CommandID string
	// Key is a command id for processes of the service itself (the scheduler, the tools), derived
	// from what they act on so that replicas and restarts agree; it is stored as it is.
	Key string
	// ExpectedVersion, when set, is the aggregate version the client read; any other current
	// version is ECONFLICT and nothing is written.
	ExpectedVersion *int
	// At is when the command is issued; zero: the application's clock. The scheduler gives the
	// time it found the deadline due by.
	At time.Time
	// NoWait returns as soon as the log holds the command, without waiting for this replica's
	// read models (the scheduler, tools, ingest).
	NoWait bool
	// Inspect, if set, is called with the aggregate and the events the command recorded, after
	// the domain accepted it and before it is appended (again after a lost race): copy what
	// the answer needs. It is not called when the command id was already recorded.
	Inspect func(agg domain.Aggregate, recorded []domain.Event)
}

// Result is what an executed command produced.
type Result = eventstore.Result

var commandIDRe = regexp.MustCompile(`^[A-Za-z0-9_:.-]{1,128}$`)

// Execute runs a command: loads the aggregate, lets the domain decide, appends the events as one
// commit expecting the aggregate's last sequence (retrying on a lost race), and waits until
// this replica's read models contain it.
func (a *App) Execute(ctx context.Context, r Request) (Result, error) {
	if r.Command == nil {
		return Result{}, domain.Errorf(domain.EINVALID, "no command given")
	}
	rp, ok := a.repos[domain.CommandAggregate(r.Command)]
	if !ok {
		return Result{}, domain.Errorf(domain.EINTERNAL, "no store for command %s", r.Command.CommandName())
	}
	meta, err := a.meta(r)
	if err != nil {
		return Result{}, err
	}
	if meta.ExpectedVersion != nil {
		meta.Expect = a.expectVisible(r, rp.waiter(), *meta.ExpectedVersion)
	}
	in := domain.Invocation{Actor: r.Actor, Now: meta.At, Config: a.cfg}
	res, err := rp.update(ctx, r.AggregateID, meta, func(agg domain.Aggregate) error {
		if err := domain.Execute(agg, in, r.Command); err != nil {
			return err
		}
		if r.Inspect != nil {
			r.Inspect(agg, agg.Changes())
		}
		return nil
	})
	if err != nil || r.NoWait {
		return res, err
	}
	return res, a.wait(ctx, rp.waiter(), res.Sequence)
}

// meta describes the command for the log: its scoped command id, name, actor and time.
func (a *App) meta(r Request) (eventstore.CommandMeta, error) {
	m := eventstore.CommandMeta{CommandName: r.Command.CommandName(), Actor: r.Actor, At: r.At}
	if m.At.IsZero() {
		m.At = a.now()
	}
	switch {
	case r.Key != "":
		m.CommandID = r.Key
	case r.CommandID == "":
		m.CommandID = eventstore.NewID()
	case !commandIDRe.MatchString(r.CommandID):
		return m, domain.Errorf(domain.EINVALID, "commandId must be 1 to 128 letters, digits, '-', '_', ':' or '.' (a UUID will do)")
	default:
		// A retry is the same actor sending the same id: scoped by actor, another actor's id
		// can neither answer for this one nor be answered by it.
		m.CommandID = ScopedCommandID(r.Actor, r.CommandID)
		// And it must be the same command: the same id with other arguments is ECONFLICT. (The
		// service's own keys are derived from what they act on and need no such check.)
		m.CommandDigest = commandDigest(r.Command)
	}
	if r.ExpectedVersion != nil {
		if *r.ExpectedVersion < 0 {
			return m, domain.Errorf(domain.EINVALID, "expectedVersion must be 0 or more: the version you read")
		}
		v := uint64(*r.ExpectedVersion)
		m.ExpectedVersion = &v
	}
	return m, nil
}

// commandDigest identifies what a command asks: its name and its arguments, as JSON (a
// command that cannot be encoded is identified by its name alone).
func commandDigest(c domain.Command) string {
	h := sha256.New()
	h.Write([]byte(c.CommandName()))
	if b, err := json.Marshal(c); err == nil {
		h.Write([]byte{0})
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// expectVisible checks expectedVersion against the version the actor can see, when the
// aggregate's read model counts that way: so that neither a hidden change refuses the
// client's write nor its count reveals that hidden changes exist. The read models are awaited
// up to where the aggregate stands (bounded like any read-your-writes wait).
func (a *App) expectVisible(r Request, w Waiter, expected uint64) func(context.Context, eventstore.State) error {
	proj, ok := w.(*projections.Projector)
	if !ok || domain.CommandAggregate(r.Command) != "incident" {
		return nil // the log's version is what the client reads
	}
	return func(ctx context.Context, st eventstore.State) error {
		visible := 0
		if st.Sequence > 0 {
			if err := a.wait(ctx, w, st.Sequence); err != nil {
				return domain.Errorf(domain.ECONFLICT, "this replica has not caught up with incident %s yet; nothing was recorded: try again", r.AggregateID)
			}
			v, err := proj.Incidents.VisibleVersion(r.Actor, r.AggregateID, st.Sequence)
			if err != nil {
				return err
			}
			visible = v
		}
		if uint64(visible) != expected {
			return domain.Errorf(domain.ECONFLICT, "incident %s is at version %d, not %d: someone changed it since you loaded it; reload and try again", r.AggregateID, visible, expected)
		}
		return nil
	}
}

// ScopedCommandID is the command id stored in the log for an actor's retry key.
func ScopedCommandID(a domain.Actor, clientID string) string {
	return a.Org + "/" + a.User + "/" + clientID
}

// ELAGGING is the code of a command that was recorded, at the sequence LaggingError gives, but
// that this replica's read models have not shown yet: it must not be sent again; read with
// minSequence.
const ELAGGING = "LAGGING"

// LaggingError says a command was recorded at Sequence while the read models lag behind.
type LaggingError struct {
	Sequence uint64
	err      *domain.Error
}

func (e *LaggingError) Error() string { return e.err.Error() }

// Unwrap gives the coded error, for domain.ErrorCode and the API's error presenter.
func (e *LaggingError) Unwrap() error { return e.err }

// wait waits a bounded time for the read models to contain seq, the sequence of a recorded
// command; after that the command is reported as recorded but lagging (LaggingError), never as
// failed.
func (a *App) wait(ctx context.Context, w Waiter, seq uint64) error {
	if w == nil || w.Applied() >= seq {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, a.ryw)
	defer cancel()
	if w.WaitFor(wctx, seq) == nil {
		return nil
	}
	return &LaggingError{Sequence: seq, err: domain.Errorf(ELAGGING, "recorded at sequence %d, but this replica has not caught up with it yet: do not send it again; read it with minSequence %d", seq, seq)}
}

// Load reads an aggregate from the log as it stood at stream sequence upTo (0: now), without
// the write-model cache: what a command answered from its command log is read this way.
func (a *App) Load(ctx context.Context, aggregateType, id string, upTo uint64) (domain.Aggregate, error) {
	rp, ok := a.repos[aggregateType]
	if !ok {
		return nil, fmt.Errorf("no store for aggregate type %q", aggregateType)
	}
	return rp.load(ctx, id, upTo)
}

// idNamespace derives ids from a client's command id, so that a retried command names the same
// incident, note, escalation or handoff.
var idNamespace = uuid.MustParse("9b0f6a52-3c1e-4d8a-a5f4-6e2d7c9b1f03")

// DerivedID returns the id of a new entity a command creates: derived from the actor and the
// command id when the client gave one (a retry names the same entity), else a new time-ordered
// id. kind tells apart entities one command creates ("note", "escalation", ...).
func DerivedID(a domain.Actor, commandID, kind string) string {
	if commandID == "" {
		return eventstore.NewID()
	}
	name := a.Org + "/" + a.User + "/" + commandID
	if kind != "" {
		name += "/" + kind
	}
	return uuid.NewSHA1(idNamespace, []byte(name)).String()
}
