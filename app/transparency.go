package app

import (
	"context"
	"encoding/base64"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections"
)

// Logs that have signed checkpoints.
const (
	LogEvents = "events" // the event stream: incidents, tokens, webhooks, reports
	LogAlerts = "alerts" // the alerts stream
)

// Transparency answers what partners and auditors ask of the transparency logs: the latest
// signed checkpoint, inclusion proofs for commits a reader received, consistency proofs between
// two tree sizes. Inclusion proofs follow the one access rule: only for a commit of an incident
// the reader may see now, of which it may see something (what it received in a feed).
type Transparency struct {
	events, alerts *eventstore.Store
	proj           *projections.Projector
	now            func() time.Time
}

// NewTransparency returns the transparency answers over both logs; alerts may be nil.
func NewTransparency(events, alerts *eventstore.Store, proj *projections.Projector, now func() time.Time) *Transparency {
	if now == nil {
		now = time.Now
	}
	return &Transparency{events: events, alerts: alerts, proj: proj, now: now}
}

func (t *Transparency) store(log string) (*eventstore.Store, error) {
	switch {
	case log == "" || log == LogEvents:
		return t.events, nil
	case log == LogAlerts && t.alerts != nil:
		return t.alerts, nil
	}
	return nil, domain.Errorf(domain.EINVALID, "unknown log %q: use events or alerts", log)
}

// Checkpoint returns the latest signed checkpoint of a log (ENOTFOUND before the first).
func (t *Transparency) Checkpoint(ctx context.Context, log string) (eventstore.Checkpoint, error) {
	st, err := t.store(log)
	if err != nil {
		return eventstore.Checkpoint{}, err
	}
	return st.LatestCheckpoint(ctx)
}

// VerifierKey returns the note verifier key of a log's checkpoints ("name+hash+base64").
func (t *Transparency) VerifierKey(log string) (string, error) {
	st, err := t.store(log)
	if err != nil {
		return "", err
	}
	return st.VerifierKey()
}

// Inclusion proves that a commit is in the log a signed checkpoint covers: leaf LeafIndex
// (the stream sequence minus one) of a tree of TreeSize leaves whose root the Checkpoint signs.
type Inclusion struct {
	Sequence   uint64
	LeafIndex  int64
	TreeSize   int64
	LeafHash   tlog.Hash
	Hashes     []tlog.Hash
	Checkpoint eventstore.Checkpoint
	// Commit is the stored commit (base64), whose RFC 6962 leaf hash is LeafHash, when the
	// reader may see every event of it; empty otherwise.
	Commit string
}

// InclusionProof proves the commit at stream sequence seq of the event log in the tree of size
// leaves (0: the latest signed checkpoint's, which Checkpoint is), for a reader who may see
// something of it; otherwise ENOTFOUND, as if it did not exist. A commit newer than the latest
// checkpoint is ECONFLICT: ask again within a second, when the next checkpoint covers it.
func (t *Transparency) InclusionProof(ctx context.Context, viewer domain.Actor, seq uint64, size int64) (Inclusion, error) {
	notFound := domain.Errorf(domain.ENOTFOUND, "no commit you received has sequence %d", seq)
	if seq == 0 {
		return Inclusion{}, notFound
	}
	c, err := t.events.CommitAt(ctx, seq)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return Inclusion{}, notFound
	} else if err != nil {
		return Inclusion{}, err
	}
	if c.AggregateType != "incident" {
		return Inclusion{}, notFound
	}
	_, _, types, ok := t.proj.Incidents.PartnerChange(viewer, c.AggregateID, seq, t.now())
	if !ok {
		return Inclusion{}, notFound
	}
	cp, err := t.events.LatestCheckpoint(ctx)
	if err != nil {
		return Inclusion{}, err
	}
	in := Inclusion{Sequence: seq, LeafIndex: int64(seq) - 1, TreeSize: cp.Size, LeafHash: c.LeafHash(), Checkpoint: cp}
	if in.LeafIndex >= cp.Size {
		return Inclusion{}, domain.Errorf(domain.ECONFLICT, "sequence %d is not covered by a signed checkpoint yet (the latest covers %d commits); ask again in a second", seq, cp.Size)
	}
	if size != 0 {
		in.TreeSize = size
	}
	if in.Hashes, err = t.events.Tree().InclusionProof(in.LeafIndex, in.TreeSize); err != nil {
		return Inclusion{}, err
	}
	if len(types) == c.Len() {
		in.Commit = base64.StdEncoding.EncodeToString(c.Body())
	}
	return in, nil
}

// ConsistencyProof proves that the tree of newSize leaves of a log extends the tree of oldSize
// (newSize 0: the latest checkpoint's size). The hashes reveal nothing of any commit.
func (t *Transparency) ConsistencyProof(ctx context.Context, log string, oldSize, newSize int64) ([]tlog.Hash, int64, error) {
	st, err := t.store(log)
	if err != nil {
		return nil, 0, err
	}
	if newSize == 0 {
		cp, err := st.LatestCheckpoint(ctx)
		if err != nil {
			return nil, 0, err
		}
		newSize = cp.Size
	}
	proof, err := st.Tree().ConsistencyProof(oldSize, newSize)
	return proof, newSize, err
}
