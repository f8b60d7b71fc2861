// Package eventstore is dieuphoi's event log on NATS JetStream: one message per command (a commit
// holding its events), per-aggregate optimistic concurrency through the expected last subject
// sequence, idempotent commands, schema-versioned events, and reads by aggregate (batched direct
// get) or from a stream sequence (ordered consumer).
//
// Tamper evidence works like a transparency log. Each commit links to its aggregate's previous
// commit by hash. Every message of the stream is a leaf of an RFC 6962 Merkle tree
// (golang.org/x/mod/sumdb/tlog), which each replica keeps in memory from its follower. Replicas
// publish signed checkpoints of the tree (C2SP checkpoints signed as notes with
// golang.org/x/mod/sumdb/note) to a checkpoint stream, one per tree size, and keep the latest one
// they verified as a witness outside the stream. Inclusion and consistency proofs are tlog's.
package eventstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
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
	// DefaultCheckpointStream holds the signed checkpoints of every log stream, on subject
	// <DefaultCheckpointSubjectPrefix>.<log stream name>.
	DefaultCheckpointStream        = "DIEUPHOI_CHECKPOINTS"
	DefaultCheckpointSubjectPrefix = "dieuphoi.checkpoints"
	// DefaultCheckpointInterval is the most time between two checkpoints while the log grows.
	DefaultCheckpointInterval = time.Second
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
	// AllowDelete leaves message deletion and purge enabled on newly created streams (the log's
	// and the checkpoints'). Off in production (the log is immutable); tamper-detection tests
	// turn it on to play the attacker.
	AllowDelete bool

	// Signer signs checkpoints and holds the keys trusted to have signed them. RunCheckpoints,
	// CheckWitness, LatestCheckpoint and VerifyAll need it; appends and reads do not.
	Signer *Signer
	// Origin names the log in its checkpoints: their first line and the note key name. Default
	// "dieuphoi/" + Stream. Give each deployment its own (for example "cert.example.gov.vn/
	// dieuphoi/events") so that partners holding checkpoints of several logs tell them apart.
	Origin string
	// CheckpointStream and CheckpointSubjectPrefix: where checkpoints are published; defaults
	// DefaultCheckpointStream and DefaultCheckpointSubjectPrefix.
	CheckpointStream        string
	CheckpointSubjectPrefix string
	// CheckpointInterval: while the log grows, a checkpoint at most this long after the last
	// one; default DefaultCheckpointInterval.
	CheckpointInterval time.Duration
	// WitnessDir keeps, per log stream, the latest checkpoint this replica verified (file
	// <Stream>.checkpoint), outside the stream, so that a truncated or replaced stream is caught.
	// Empty: no witness is kept or checked. The service uses DATA/witness.
	WitnessDir string

	// Deployment names the deployment the streams belong to: recorded in a stream's metadata
	// when it is created, and checked at every open, so that no process writes into another
	// deployment's log. Empty: not recorded, not checked.
	Deployment string
	// Manage lets Open bring an existing stream's settings (subjects, limits, direct get) to
	// this release's; only the service does, never a tool. SetReplicas also changes its number
	// of replicas to Replicas: only when the operator asked for it explicitly. Anything that
	// differs and is not applied is reported by Mismatches.
	Manage, SetReplicas bool
}

// metaDeployment is the stream metadata key that names the deployment.
const metaDeployment = "dieuphoi.deployment"

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
	if c.Origin == "" {
		c.Origin = "dieuphoi/" + c.Stream
	}
	if c.CheckpointStream == "" {
		c.CheckpointStream = DefaultCheckpointStream
	}
	if c.CheckpointSubjectPrefix == "" {
		c.CheckpointSubjectPrefix = DefaultCheckpointSubjectPrefix
	}
	if c.CheckpointInterval <= 0 {
		c.CheckpointInterval = DefaultCheckpointInterval
	}
}

// Store is the event log. It is safe for concurrent use; several Stores (service replicas) may
// share one stream.
type Store struct {
	cfg      Config
	nc       *nats.Conn
	js       jetstream.JetStream
	stream   jetstream.Stream
	cpStream jetstream.Stream
	closed   atomic.Bool
	cache    *cache
	stats    stats

	// mismatches are differences between the streams and this configuration left as they are.
	mismatches []string

	// tree is the Merkle tree over the stream, fed by the follower: its size is Followed().
	tree      Tree
	factories factories
	followed  atomic.Uint64
	// followErr is set when the follower found the log broken (a gap, a message that is not a
	// commit): it cannot move on, and waiting for it would be forever.
	followErr atomic.Pointer[error]
	waitMu    sync.Mutex
	waitCh    chan struct{} // closed and replaced whenever followed moves

	witnessMu sync.Mutex
	witnessed int64 // size of the checkpoint in the witness file, once read or written
}

type stats struct{ commits, events, conflicts, duplicates, checkpoints atomic.Uint64 }

// Stats are counters since the store was opened, for /metrics.
type Stats struct {
	Commits    uint64 // commits appended by this process
	Events     uint64 // events in those commits
	Conflicts  uint64 // appends refused because the aggregate had moved on (then retried)
	Duplicates uint64 // commands recognised as already recorded
	// Checkpoints is how many checkpoints this process published.
	Checkpoints uint64
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	return Stats{s.stats.commits.Load(), s.stats.events.Load(), s.stats.conflicts.Load(), s.stats.duplicates.Load(), s.stats.checkpoints.Load()}
}

// ErrClosed is returned by appends to a closed Store.
var ErrClosed = errors.New("eventstore: the store is closed")

// Open connects the store to JetStream and creates or updates its stream and the checkpoint
// stream idempotently. The store starts no goroutine of its own: the caller runs Follow (which
// also keeps the Merkle tree) and RunCheckpoints.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	cfg.defaults()
	if cfg.Signer != nil {
		if _, err := cfg.Signer.VerifierKey(cfg.Origin); err != nil {
			return nil, err
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	s := &Store{cfg: cfg, nc: nc, js: js, cache: newCache(cfg.CacheSize)}
	if s.stream, err = s.ensureStream(ctx, s.logStreamConfig()); err != nil {
		return nil, err
	}
	if s.cpStream, err = s.ensureStream(ctx, s.checkpointStreamConfig()); err != nil {
		return nil, err
	}
	return s, nil
}

// Close makes later appends fail with ErrClosed; reads keep working. The NATS connection belongs
// to the caller and stays open. Close may be called more than once.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

func (s *Store) logStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
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
}

// checkpointStreamConfig is the stream of signed checkpoints, shared by the log streams: small
// messages, one subject per log stream, immutable like the log.
func (s *Store) checkpointStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        s.cfg.CheckpointStream,
		Description: "dieuphoi signed checkpoints of the log streams' Merkle trees, subject <prefix>.<log stream>",
		Subjects:    []string{s.cfg.CheckpointSubjectPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     s.cfg.Storage,
		Replicas:    s.cfg.Replicas,
		Duplicates:  DefaultDuplicateWindow,
		MaxMsgSize:  64 << 10,
		AllowDirect: true,
		DenyDelete:  !s.cfg.AllowDelete,
		DenyPurge:   !s.cfg.AllowDelete,
	}
}

// ensureStream creates the stream, or, managing it, brings it to want. A stream of another
// deployment is refused. What differs and is not brought along (everything for a tool; the
// number of replicas unless asked) is left as it is and reported by Mismatches: a tool never
// changes a stream behind the operator's back.
func (s *Store) ensureStream(ctx context.Context, want jetstream.StreamConfig) (jetstream.Stream, error) {
	if s.cfg.Deployment != "" {
		want.Metadata = map[string]string{metaDeployment: s.cfg.Deployment}
	}
	st, err := s.js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = s.js.CreateStream(ctx, want)
		if err != nil {
			return nil, fmt.Errorf("creating stream %s: %w", want.Name, err)
		}
		return st, nil
	} else if err != nil {
		return nil, fmt.Errorf("looking up stream %s: %w", want.Name, err)
	}
	have := st.CachedInfo().Config
	if theirs := have.Metadata[metaDeployment]; s.cfg.Deployment != "" && theirs != "" && theirs != s.cfg.Deployment {
		return nil, fmt.Errorf("stream %s belongs to deployment %s, not to this one (%s): this NATS server is another deployment's; check --nats-url, --nats-listen and --data", want.Name, theirs, s.cfg.Deployment)
	}
	if have.Storage != want.Storage {
		return nil, fmt.Errorf("stream %s exists with %s storage; this configuration asks for %s (storage cannot be changed in place)", want.Name, have.Storage, want.Storage)
	}
	// Deletion protection is kept as the stream has it: it is an operator's decision, and the
	// server refuses to lift it anyway.
	want.DenyDelete, want.DenyPurge = have.DenyDelete, have.DenyPurge
	if have.Replicas != want.Replicas && !(s.cfg.Manage && s.cfg.SetReplicas) {
		s.mismatches = append(s.mismatches, fmt.Sprintf("stream %s has %d replicas, not %d: left as it is (only dieuphoi serve given --replicas changes it)", want.Name, have.Replicas, want.Replicas))
		want.Replicas = have.Replicas
	}
	want.Metadata = maps.Clone(have.Metadata) // the server keeps metadata of its own there
	if s.cfg.Deployment != "" {
		if want.Metadata == nil {
			want.Metadata = map[string]string{}
		}
		want.Metadata[metaDeployment] = s.cfg.Deployment
	}
	if have.Replicas == want.Replicas && have.Duplicates == want.Duplicates && have.MaxMsgSize == want.MaxMsgSize &&
		slices.Equal(have.Subjects, want.Subjects) && have.AllowDirect && maps.Equal(have.Metadata, want.Metadata) {
		return st, nil
	}
	if !s.cfg.Manage {
		s.mismatches = append(s.mismatches, fmt.Sprintf("stream %s differs from what this release sets up: left as it is (dieuphoi serve brings it along)", want.Name))
		return st, nil
	}
	st, err = s.js.UpdateStream(ctx, want)
	if err != nil {
		return nil, fmt.Errorf("updating stream %s: %w", want.Name, err)
	}
	return st, nil
}

// Mismatches lists how the streams differ from this configuration where Open left them as they
// are (a tool, or --replicas not given), for the caller to report.
func (s *Store) Mismatches() []string { return slices.Clone(s.mismatches) }

// Config returns the configuration in use, defaults filled in.
func (s *Store) Config() Config { return s.cfg }

// Signer returns the checkpoint signer (Config.Signer).
func (s *Store) Signer() *Signer { return s.cfg.Signer }

// Tree returns the Merkle tree over the stream as far as the follower has applied it.
func (s *Store) Tree() *Tree { return &s.tree }

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

// Subject returns the subject an aggregate's commits are stored under. Ids may hold letters,
// digits and - _ : / . ; a "." is stored as "~" in the subject so that an id stays one subject
// token.
func (s *Store) Subject(aggregateType, aggregateID string) string {
	return s.cfg.SubjectPrefix + "." + aggregateType + "." + strings.ReplaceAll(aggregateID, ".", "~")
}

func checkAggregate(aggregateType, aggregateID string) error {
	if !validID(aggregateType, false) {
		return domain.Errorf(domain.EINVALID, "aggregate type %q is not valid", aggregateType)
	}
	if !validID(aggregateID, true) {
		return domain.Errorf(domain.EINVALID, "id %q is not valid: use 1 to 128 letters, digits, '-', '_', ':', '/' or '.'", aggregateID)
	}
	return nil
}

// validID reports whether s is 1 to 128 ASCII letters, digits, '-', '_', ':' and, if
// slashDot, '/' and '.'. (A loop rather than a regular expression: it runs on every command.)
func validID(s string, slashDot bool) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := range len(s) {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == ':':
		case slashDot && (c == '/' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// CommandMeta describes the command whose events are appended.
type CommandMeta struct {
	CommandID   string // retry key; the same id records once
	CommandName string
	// CommandDigest identifies what the command asks (its name and arguments): the same
	// command id with another digest is ECONFLICT, never the first command's result.
	CommandDigest string
	CorrelationID string
	CausationID   string
	Actor         domain.Actor
	At            time.Time // when the command was issued (the injectable clock)
	// ExpectedVersion, when set, is the aggregate version the client last saw; any other current
	// version is ECONFLICT.
	ExpectedVersion *uint64
	// Expect, when set, replaces the ExpectedVersion check: it is called with where the
	// aggregate stands in the log before the command runs, and its ECONFLICT refuses the
	// command (after a reload, in case this writer's cache was behind). It lets a version the
	// client counted differently (only what it may see) be checked exactly.
	Expect func(ctx context.Context, st State) error
}

// errWrongLast is returned by append when the aggregate moved on since it was loaded.
var errWrongLast = errors.New("aggregate changed concurrently")

type appendResult struct {
	seq  uint64
	hash string
}

// append stores one commit: the events of one command, atomically, in one message.
func (s *Store) append(ctx context.Context, aggType, aggID string, lastSeq, prevVersion uint64, prevHash string, events []domain.Event, meta CommandMeta) (appendResult, error) {
	if s.closed.Load() {
		return appendResult{}, ErrClosed
	}
	body := commitBody{
		ID: newID(), Command: meta.CommandID, CommandName: meta.CommandName, CommandDigest: meta.CommandDigest,
		AggregateType: aggType, AggregateID: aggID, Version: prevVersion + uint64(len(events)),
		Prev: prevHash, Actor: meta.Actor, Correlation: meta.CorrelationID, Causation: meta.CausationID,
		OccurredAt: meta.At.UTC(),
	}
	if body.OccurredAt.IsZero() {
		body.OccurredAt = time.Now().UTC()
	}
	buf, err := encodeCommit(&body, events)
	if err != nil {
		return appendResult{}, err
	}
	defer releaseBody(buf)
	data := buf.Bytes()
	if len(data) > s.cfg.MaxCommitBytes {
		return appendResult{}, domain.Errorf(domain.ETOOLARGE, "the command's events take %d bytes; the limit is %d", len(data), s.cfg.MaxCommitBytes)
	}
	sum := sha256.Sum256(data)
	subject := s.Subject(aggType, aggID)
	// No Nats-Msg-Id: JetStream's deduplication (a memory of every message id of the window,
	// 10-20% of raw publish throughput) adds nothing here. A command is stored once because the
	// append expects the aggregate's last sequence (a second copy of it is refused) and because
	// its command id is in the log, where a retry finds it on any replica, at any time. The
	// header is set here rather than through publish options, which cost allocations on every
	// command.
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{
		jetstream.ExpectedLastSubjSeqHeader: {strconv.FormatUint(lastSeq, 10)},
	}}
	ack, err := s.js.PublishMsg(ctx, msg)
	if err != nil {
		if isWrongLast(err) {
			s.stats.conflicts.Add(1)
			return appendResult{}, errWrongLast
		}
		return appendResult{}, fmt.Errorf("publishing commit to %s: %w", subject, err)
	}
	s.stats.commits.Add(1)
	s.stats.events.Add(uint64(len(events)))
	return appendResult{seq: ack.Sequence, hash: hex.EncodeToString(sum[:])}, nil
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
