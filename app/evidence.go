package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore/natsperm"
	"github.com/dieuphoi/dieuphoi/projections"
)

// EvidenceBucket is the JetStream object store that keeps evidence files (stream
// OBJ_DIEUPHOI_EVIDENCE): shared by every replica, replicated like the log, never deleted by the
// service.
const EvidenceBucket = natsperm.EvidenceBucket

// maxTransfers is how many evidence files one replica holds in memory at once (each at most
// domain.MaxEvidenceBytes): uploads and downloads beyond wait their turn.
const maxTransfers = 4

// EvidenceBucketConfig describes the bucket; Manage creates it when missing (the service), a tool
// only opens it.
type EvidenceBucketConfig struct {
	Replicas int
	Storage  jetstream.StorageType
	Manage   bool
}

// OpenEvidenceBucket opens the evidence object store, creating it when allowed. Its stream
// denies nothing the object store needs, but the service's NATS user may not purge or delete: a
// stored file stays.
func OpenEvidenceBucket(ctx context.Context, js jetstream.JetStream, c EvidenceBucketConfig) (jetstream.ObjectStore, error) {
	obs, err := js.ObjectStore(ctx, EvidenceBucket)
	if err == nil || !errors.Is(err, jetstream.ErrBucketNotFound) || !c.Manage {
		if err != nil {
			return nil, fmt.Errorf("evidence store %s: %w", EvidenceBucket, err)
		}
		return obs, nil
	}
	obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: EvidenceBucket, Replicas: max(c.Replicas, 1), Storage: c.Storage,
		Description: "dieuphoi evidence files; their hashes, custody and downloads are in the event log"})
	if err != nil {
		return nil, fmt.Errorf("creating evidence store %s: %w", EvidenceBucket, err)
	}
	return obs, nil
}

// Evidence stores and serves evidence files: every upload is checked whole before anything is
// stored, every download is checked against the recorded hash and recorded in the log before a
// byte is sent.
type Evidence struct {
	app  *App
	proj *projections.Projector
	obs  jetstream.ObjectStore
	log  *slog.Logger
	sem  chan struct{}
}

// NewEvidence returns the evidence service over an opened bucket.
func NewEvidence(a *App, proj *projections.Projector, obs jetstream.ObjectStore, log *slog.Logger) *Evidence {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Evidence{app: a, proj: proj, obs: obs, log: log, sem: make(chan struct{}, maxTransfers)}
}

func (s *Evidence) acquire(ctx context.Context) (func(), error) {
	select {
	case s.sem <- struct{}{}:
		return func() { <-s.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Upload is one evidence file as an adapter received it.
type Upload struct {
	Actor        domain.Actor
	CommandID    string // a retry with the same id stores and records once
	IncidentID   string
	Name         string
	MediaType    string
	TLP          domain.TLP
	CollectedAt  time.Time
	SourceSystem string
	Description  string
	// SHA256, when the client declared it (hex), must match what arrived.
	SHA256 string
	Body   io.Reader
	// Size is the length the client announced (Content-Length), to read the body into one buffer
	// of that size; 0 when unknown.
	Size int64
}

// Upload checks and stores a file, then records it on the incident. A file that fails a check
// (too large, empty, not the declared hash, refused by the incident's rules) stores nothing.
func (s *Evidence) Upload(ctx context.Context, u Upload) (domain.Evidence, Result, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return domain.Evidence{}, Result{}, err
	}
	defer release()
	// One buffer of the announced size (bytes.Buffer grows by doubling otherwise: 64 MiB for a
	// file of 32), plus what ReadFrom wants free to see the end.
	buf := bytes.NewBuffer(make([]byte, 0, min(max(u.Size, 0), domain.MaxEvidenceBytes)+bytes.MinRead+1))
	_, err = buf.ReadFrom(io.LimitReader(u.Body, domain.MaxEvidenceBytes+1))
	data := buf.Bytes()
	if err != nil {
		return domain.Evidence{}, Result{}, domain.Errorf(domain.EINVALID, "the file could not be read to its end: %v", err)
	}
	if len(data) > domain.MaxEvidenceBytes {
		return domain.Evidence{}, Result{}, domain.Errorf(domain.ETOOLARGE, "one evidence file may have at most %d bytes", domain.MaxEvidenceBytes)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	if u.SHA256 != "" && u.SHA256 != hash {
		return domain.Evidence{}, Result{}, domain.Errorf(domain.EINVALID, "the file received has SHA-256 %s, not the %s declared: it was damaged on the way; send it again", hash, u.SHA256)
	}
	id := DerivedID(u.Actor, u.CommandID, "evidence/"+u.IncidentID)
	cmd := domain.AddEvidence{EvidenceID: id, Name: u.Name, MediaType: u.MediaType, SHA256: hash, Size: int64(len(data)), TLP: u.TLP,
		CollectedAt: u.CollectedAt, SourceSystem: u.SourceSystem, Description: u.Description, Object: id}
	req := Request{Actor: u.Actor, AggregateID: u.IncidentID, Command: cmd, CommandID: u.CommandID}
	// Decide first on the incident as it is, so that a refused file is never stored. A retry of
	// a recorded upload (the same actor and commandId name the same evidence) stores nothing and
	// gets the first answer from the log.
	again, err := s.dryRun(ctx, req, id)
	if err != nil {
		return domain.Evidence{}, Result{}, err
	}
	if !again {
		if err := s.put(ctx, id, data, hash); err != nil {
			return domain.Evidence{}, Result{}, err
		}
	}
	res, err := s.app.Execute(ctx, req)
	if err != nil {
		// Refused only by a race the dry run could not see (another upload filled the
		// incident's allowance): the stored file is referenced by nothing, and verify lists it.
		s.log.Warn("evidence: stored file left unrecorded", "object", id, "err", err)
		return domain.Evidence{}, res, err
	}
	ev, _, err := s.proj.Incidents.EvidenceFile(u.Actor, id)
	return ev, res, err
}

// dryRun lets the domain decide the command on the incident as the log holds it now, without
// recording anything; again reports an evidence id the incident already has (a retry).
func (s *Evidence) dryRun(ctx context.Context, r Request, id string) (again bool, err error) {
	agg, err := s.app.Load(ctx, "incident", r.AggregateID, 0)
	if err != nil {
		if c := domain.ErrorCode(err); c == domain.EINVALID || c == domain.ENOTFOUND {
			return false, domain.Errorf(domain.ENOTFOUND, "incident %q not found", r.AggregateID)
		}
		return false, err
	}
	if inc, ok := agg.(*domain.Incident); ok && inc.EvidenceItem(id) != nil && r.CommandID != "" {
		return true, nil
	}
	return false, domain.Execute(agg, domain.Invocation{Actor: r.Actor, Now: s.app.Now(), Config: s.app.Config()}, r.Command)
}

// put stores the file under its evidence id, unless the same bytes are there already (a retry).
func (s *Evidence) put(ctx context.Context, name string, data []byte, hash string) error {
	if info, err := s.obs.GetInfo(ctx, name); err == nil {
		if info.Size == uint64(len(data)) && info.Digest == objectDigest(hash) {
			return nil
		}
		return domain.Errorf(domain.ECONFLICT, "another file was sent with this commandId; use a new commandId for a new file")
	} else if !errors.Is(err, jetstream.ErrObjectNotFound) {
		return err
	}
	_, err := s.obs.Put(ctx, jetstream.ObjectMeta{Name: name}, bytes.NewReader(data))
	return err
}

// objectDigest is how the object store writes a SHA-256: "SHA-256=" and base64url.
func objectDigest(hexHash string) string {
	b, _ := hex.DecodeString(hexHash)
	return "SHA-256=" + base64.URLEncoding.EncodeToString(b)
}

// Download returns an evidence file the actor may read, after checking it against the hash the
// log recorded and recording the download; NOT_FOUND for a file the actor may not see (as for one
// that does not exist).
func (s *Evidence) Download(ctx context.Context, a domain.Actor, evidenceID, commandID string) (domain.Evidence, []byte, Result, error) {
	ev, incID, err := s.proj.Incidents.EvidenceFile(a, evidenceID)
	if err != nil {
		return domain.Evidence{}, nil, Result{}, err
	}
	release, err := s.acquire(ctx)
	if err != nil {
		return domain.Evidence{}, nil, Result{}, err
	}
	defer release()
	data, err := s.read(ctx, ev)
	if err != nil || !matches(data, ev) {
		s.log.Error("evidence: stored file does not match the log", "evidence", ev.ID, "incident", incID, "err", err)
		return domain.Evidence{}, nil, Result{}, domain.Errorf(domain.EINTERNAL, "the stored file does not match its recorded SHA-256; nothing was sent; an operator must run dieuphoi verify")
	}
	res, err := s.app.Execute(ctx, Request{Actor: a, AggregateID: incID, Command: domain.RecordEvidenceDownload{EvidenceID: ev.ID}, CommandID: commandID})
	if err != nil {
		return domain.Evidence{}, nil, res, err
	}
	return ev, data, res, nil
}

// read reads a stored file into one buffer of its recorded size; a file of another size, or whose
// chunks do not match the object's own digest, is an error.
func (s *Evidence) read(ctx context.Context, ev domain.Evidence) ([]byte, error) {
	obj, err := s.obs.Get(ctx, ev.Object)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	info, err := obj.Info()
	if err != nil {
		return nil, err
	}
	if info.Size != uint64(ev.Size) {
		return nil, fmt.Errorf("stored object has %d bytes, the log recorded %d", info.Size, ev.Size)
	}
	data := make([]byte, ev.Size)
	if _, err := io.ReadFull(obj, data); err != nil {
		return nil, err
	}
	// The end: the object store checks its own digest when the last chunk has been read.
	if n, err := obj.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("stored object does not end where recorded: %v", err)
	}
	return data, nil
}

func matches(data []byte, ev domain.Evidence) bool {
	sum := sha256.Sum256(data)
	return int64(len(data)) == ev.Size && hex.EncodeToString(sum[:]) == ev.SHA256
}
