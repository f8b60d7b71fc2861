package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/graph"
	"github.com/dieuphoi/dieuphoi/graph/evidence"
	"github.com/dieuphoi/dieuphoi/projections"
)

// openEvidence opens (the service creates it on first start) the evidence object store in the
// log's JetStream, with the log's replicas and storage, and returns the HTTP endpoints over it.
func openEvidence(ctx context.Context, c Config, el *eventLog, a *app.App, proj *projections.Projector, gs *graph.Server, log *slog.Logger) (*evidence.Handler, error) {
	storage, err := c.storageType()
	if err != nil {
		return nil, err
	}
	obs, err := app.OpenEvidenceBucket(ctx, el.store.JetStream(), app.EvidenceBucketConfig{Replicas: c.Replicas, Storage: storage, Manage: true})
	if err != nil {
		return nil, err
	}
	return evidence.New(app.NewEvidence(a, proj, obs, log), gs.Authenticate, log), nil
}

// verifyEvidence checks every stored evidence file against the hash and size the log recorded;
// a store without the bucket has no files to check.
func verifyEvidence(ctx context.Context, el *eventLog, stdout io.Writer) (bool, error) {
	obs, err := app.OpenEvidenceBucket(ctx, el.store.JetStream(), app.EvidenceBucketConfig{})
	if err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
		return false, err
	}
	rep, err := app.VerifyEvidence(ctx, el.store, obs)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(stdout, "evidence (%s):\n%s", app.EvidenceBucket, rep.Summary())
	return rep.OK(), nil
}
