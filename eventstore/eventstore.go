// Package eventstore is dieuphoi's event log on NATS JetStream: one message per command (a commit
// holding its events), per-aggregate optimistic concurrency through the expected last subject
// sequence, idempotent commands, a signed hash chain per aggregate, schema-versioned events, and
// reads by aggregate (batched direct get) or from a stream sequence (ordered consumer).
package eventstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Defaults for Config.
const (
	DefaultStream          = "DIEUPHOI_EVENTS"
	DefaultSubjectPrefix   = "dieuphoi.events"
	DefaultDuplicateWindow = 2 * time.Minute
	// DefaultMaxCommitBytes bounds one command's stored size (all its events): 1 MiB.
	DefaultMaxCommitBytes = 1 << 20
	// DefaultCacheSize is how many aggregates' write models a process keeps in memory.
	DefaultCacheSize = 50_000
)

// Config describes the stream and how the store uses it.
type Config struct {
	Stream          string
	SubjectPrefix   string
	Replicas        int                   // 1 on a single server, 3 on a cluster
	Storage         jetstream.StorageType // FileStorage (default) or MemoryStorage
	DuplicateWindow time.Duration
	MaxCommitBytes  int
	CacheSize       int
	// AllowDelete leaves message deletion and purge enabled on a newly created stream. Off in
	// production (the log is immutable); tamper-detection tests turn it on to play the attacker.
	AllowDelete bool
}

func (c *Config) defaults() {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow <= 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	if c.MaxCommitBytes <= 0 {
		c.MaxCommitBytes = DefaultMaxCommitBytes
	}
	if c.CacheSize <= 0 {
		c.CacheSize = DefaultCacheSize
	}
}

// Store is the event log. It is safe for concurrent use; several Stores (service replicas) may
// share one stream.
type Store struct {
	cfg    Config
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	signer *Signer
	// signing is the goroutine that signs commits in batches; Close stops it.
	signing *batchSigner
	cache   *cache
	stats   stats

	factories factories
	followed  atomic.Uint64
	waitMu    sync.Mutex
	waitCh    chan struct{} // closed and replaced whenever followed moves
}

type stats struct{ commits, events, conflicts, duplicates atomic.Uint64 }

// Stats are counters since the store was opened, for /metrics.
type Stats struct {
	Commits    uint64 // commits appended by this process
	Events     uint64 // events in those commits
	Conflicts  uint64 // appends refused because the aggregate had moved on (then retried)
	Duplicates uint64 // commands recognised as already recorded
	// Signatures is how many Ed25519 signatures covered those commits: commits in flight
	// together share one (Commits/Signatures is the mean signing batch).
	Signatures uint64
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	return Stats{s.stats.commits.Load(), s.stats.events.Load(), s.stats.conflicts.Load(), s.stats.duplicates.Load(), s.signing.signatures.Load()}
}

// Open connects the store to JetStream and creates or updates its stream idempotently. It
// starts the store's signing goroutine: call Close when done with the store.
func Open(ctx context.Context, nc *nats.Conn, signer *Signer, cfg Config) (*Store, error) {
	cfg.defaults()
	if signer == nil {
		return nil, errors.New("eventstore: a signer is required")
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	s := &Store{cfg: cfg, nc: nc, js: js, signer: signer, cache: newCache(cfg.CacheSize)}
	if s.stream, err = s.ensureStream(ctx); err != nil {
		return nil, err
	}
	s.signing = startBatchSigner(signer)
	return s, nil
}

// Close stops the store's signing goroutine and waits for it; appends still waiting for a
// signature, and later ones, fail with ErrClosed. Reads keep working. The NATS connection
// belongs to the caller and stays open. Close may be called more than once.
func (s *Store) Close() error {
	s.signing.stop()
	return nil
}

func (s *Store) ensureStream(ctx context.Context) (jetstream.Stream, error) {
	want := jetstream.StreamConfig{
		Name:        s.cfg.Stream,
		Description: "dieuphoi event log: one message per command, subject <prefix>.<aggregate type>.<aggregate id>",
		Subjects:    []string{s.cfg.SubjectPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     s.cfg.Storage,
		Replicas:    s.cfg.Replicas,
		Duplicates:  s.cfg.DuplicateWindow,
		MaxMsgSize:  int32(s.cfg.MaxCommitBytes + 64<<10),
		AllowDirect: true,
		DenyDelete:  !s.cfg.AllowDelete,
		DenyPurge:   !s.cfg.AllowDelete,
	}
	st, err := s.js.Stream(ctx, s.cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = s.js.CreateStream(ctx, want)
		if err != nil {
			return nil, fmt.Errorf("creating stream %s: %w", s.cfg.Stream, err)
		}
		return st, nil
	} else if err != nil {
		return nil, fmt.Errorf("looking up stream %s: %w", s.cfg.Stream, err)
	}
	have := st.CachedInfo().Config
	if have.Storage != want.Storage {
		return nil, fmt.Errorf("stream %s exists with %s storage; this configuration asks for %s (storage cannot be changed in place)", s.cfg.Stream, have.Storage, want.Storage)
	}
	// Deletion protection is kept as the stream has it: it is an operator's decision, and the
	// server refuses to lift it anyway.
	want.DenyDelete, want.DenyPurge = have.DenyDelete, have.DenyPurge
	if have.Replicas == want.Replicas && have.Duplicates == want.Duplicates && have.MaxMsgSize == want.MaxMsgSize &&
		len(have.Subjects) == 1 && have.Subjects[0] == want.Subjects[0] && have.AllowDirect {
		return st, nil
	}
	st, err = s.js.UpdateStream(ctx, want)
	if err != nil {
		return nil, fmt.Errorf("updating stream %s: %w", s.cfg.Stream, err)
	}
	return st, nil
}

// Config returns the configuration in use, defaults filled in.
func (s *Store) Config() Config { return s.cfg }

// Signer returns the store's signer.
func (s *Store) Signer() *Signer { return s.signer }

// JetStream returns the JetStream context, for adapters that need their own consumers.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// LastSequence returns the stream's last sequence (0 when empty).
func (s *Store) LastSequence(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	return info.State.LastSeq, nil
}

// Ids may hold letters, digits and - _ : / . ; a "." is stored as "~" in the subject so that an id
// stays one subject token.
var idRe = regexp.MustCompile(`^[A-Za-z0-9_:/.-]{1,128}$`)

// Subject returns the subject an aggregate's commits are stored under.
func (s *Store) Subject(aggregateType, aggregateID string) string {
	return s.cfg.SubjectPrefix + "." + aggregateType + "." + strings.ReplaceAll(aggregateID, ".", "~")
}

func checkAggregate(aggregateType, aggregateID string) error {
	if !idRe.MatchString(aggregateType) || strings.ContainsAny(aggregateType, "/.") {
		return domain.Errorf(domain.EINVALID, "aggregate type %q is not valid", aggregateType)
	}
	if !idRe.MatchString(aggregateID) {
		return domain.Errorf(domain.EINVALID, "id %q is not valid: use 1 to 128 letters, digits, '-', '_', ':', '/' or '.'", aggregateID)
	}
	return nil
}

// CommandMeta describes the command whose events are appended.
type CommandMeta struct {
	CommandID     string // retry key; the same id records once
	CommandName   string
	CorrelationID string
	CausationID   string
	Actor         domain.Actor
	At            time.Time // when the command was issued (the injectable clock)
	// ExpectedVersion, when set, is the aggregate version the client last saw; any other current
	// version is ECONFLICT.
	ExpectedVersion *uint64
}

// errWrongLast is returned by append when the aggregate moved on since it was loaded.
var errWrongLast = errors.New("aggregate changed concurrently")

type appendResult struct {
	seq       uint64
	hash      string
	duplicate bool
}

// append stores one commit: the events of one command, atomically, in one message.
func (s *Store) append(ctx context.Context, aggType, aggID string, lastSeq, prevVersion uint64, prevHash string, events []domain.Event, meta CommandMeta) (appendResult, error) {
	// The signer batches more eagerly while other appends are under way (see batchSigner).
	s.signing.appending.Add(1)
	defer s.signing.appending.Add(-1)
	body := commitBody{
		Format: commitFormat, ID: newID(), Command: meta.CommandID, CommandName: meta.CommandName,
		AggregateType: aggType, AggregateID: aggID, Version: prevVersion + uint64(len(events)),
		Prev: prevHash, Actor: meta.Actor, Correlation: meta.CorrelationID, Causation: meta.CausationID,
		OccurredAt: meta.At.UTC(), Events: make([]storedEvent, len(events)),
	}
	if body.OccurredAt.IsZero() {
		body.OccurredAt = time.Now().UTC()
	}
	size := 512
	for i, e := range events {
		typ, ver, payload, err := domain.EncodeEvent(e)
		if err != nil {
			return appendResult{}, err
		}
		body.Events[i] = storedEvent{ID: newID(), Type: typ, Schema: ver, Data: payload}
		size += len(payload) + 96
	}
	data, err := body.appendJSON(make([]byte, 0, size))
	if err != nil {
		return appendResult{}, fmt.Errorf("encoding commit: %w", err)
	}
	if len(data) > s.cfg.MaxCommitBytes {
		return appendResult{}, domain.Errorf(domain.ETOOLARGE, "the command's events take %d bytes; the limit is %d", len(data), s.cfg.MaxCommitBytes)
	}
	sum := sha256.Sum256(data)
	sig, err := s.signing.signHeader(ctx, &sum)
	if err != nil {
		return appendResult{}, fmt.Errorf("signing commit: %w", err)
	}
	subject := s.Subject(aggType, aggID)
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{HeaderKey: {s.signer.keyID}, HeaderSignature: {sig}}}
	msgID := meta.CommandID
	if msgID == "" {
		msgID = body.ID
	} else {
		// Scoped by aggregate: the same command id may legitimately touch several aggregates.
		msgID = aggType + "." + aggID + "." + msgID
	}
	ack, err := s.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(lastSeq), jetstream.WithMsgID(msgID))
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			s.stats.conflicts.Add(1)
			return appendResult{}, errWrongLast
		}
		return appendResult{}, fmt.Errorf("publishing commit to %s: %w", subject, err)
	}
	if ack.Duplicate {
		s.stats.duplicates.Add(1)
	} else {
		s.stats.commits.Add(1)
		s.stats.events.Add(uint64(len(events)))
	}
	return appendResult{seq: ack.Sequence, hash: hex.EncodeToString(sum[:]), duplicate: ack.Duplicate}, nil
}

// newID returns a UUIDv7: time-ordered, so ids sort by creation.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// NewID returns a new time-ordered id (UUIDv7) for aggregates, events and commands.
func NewID() string { return newID() }

// Conn returns the store's NATS connection.
func (s *Store) Conn() *nats.Conn { return s.nc }
