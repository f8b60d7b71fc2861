package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// EvidenceReport is what checking the stored evidence files against the log found.
type EvidenceReport struct {
	Files        int      // evidence files the log records
	Bytes        int64    // their recorded sizes
	Broken       []string // files missing or not matching their recorded SHA-256 and size, one sentence each
	Unreferenced []string // stored objects no evidence in the log refers to (an upload that lost a race)
}

// OK reports whether every recorded file is stored as recorded.
func (r EvidenceReport) OK() bool { return len(r.Broken) == 0 }

// Summary is the report for people, one line each.
func (r EvidenceReport) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %d evidence files, %d bytes recorded\n", r.Files, r.Bytes)
	for _, p := range r.Broken {
		fmt.Fprintf(&b, "  BROKEN: %s\n", p)
	}
	if len(r.Unreferenced) > 0 {
		fmt.Fprintf(&b, "  %d stored objects are referenced by no evidence (uploads refused after storing): %s\n", len(r.Unreferenced), strings.Join(r.Unreferenced, ", "))
	}
	if r.OK() {
		b.WriteString("  every stored file matches its recorded SHA-256 and size\n")
	}
	return b.String()
}

// VerifyEvidence reads every EvidenceAdded of the event log and checks the stored file: present,
// of the recorded size, with the recorded SHA-256 (computed again from the bytes). A store
// without the bucket (nothing was ever uploaded) is fine when the log records no evidence.
func VerifyEvidence(ctx context.Context, events *eventstore.Store, obs jetstream.ObjectStore) (EvidenceReport, error) {
	var r EvidenceReport
	type rec struct {
		incident, id, object, sha string
		size                      int64
		seq                       uint64
	}
	var recs []rec
	err := events.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		if c.AggregateType != "incident" {
			return nil
		}
		envs, err := c.Envelopes()
		if err != nil {
			return nil // verify of the log reports undecodable commits; here only evidence matters
		}
		for _, e := range envs {
			if ev, ok := e.Event.(domain.EvidenceAdded); ok {
				recs = append(recs, rec{c.AggregateID, ev.EvidenceID, ev.Object, ev.SHA256, ev.Size, c.Sequence})
			}
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	r.Files = len(recs)
	referenced := map[string]bool{}
	for _, x := range recs {
		r.Bytes += x.size
		referenced[x.object] = true
		where := fmt.Sprintf("evidence %s of incident %s (recorded at sequence %d)", x.id, x.incident, x.seq)
		if obs == nil {
			r.Broken = append(r.Broken, where+": the evidence store does not exist")
			continue
		}
		data, err := obs.GetBytes(ctx, x.object)
		switch {
		case errors.Is(err, jetstream.ErrObjectNotFound):
			r.Broken = append(r.Broken, where+": the stored file is missing")
			continue
		case errors.Is(err, jetstream.ErrDigestMismatch):
			r.Broken = append(r.Broken, where+": the stored chunks do not match the object's own digest")
			continue
		case err != nil:
			return r, fmt.Errorf("reading %s: %w", where, err)
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != x.sha || int64(len(data)) != x.size {
			r.Broken = append(r.Broken, fmt.Sprintf("%s: the stored file has SHA-256 %s and %d bytes; the log recorded %s and %d bytes", where, got, len(data), x.sha, x.size))
		}
	}
	if obs != nil {
		infos, err := obs.List(ctx)
		if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
			return r, err
		}
		for _, info := range infos {
			if !referenced[info.Name] {
				r.Unreferenced = append(r.Unreferenced, info.Name)
			}
		}
		slices.Sort(r.Unreferenced)
	}
	return r, nil
}
