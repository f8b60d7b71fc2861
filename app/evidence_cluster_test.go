package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/eventstore/natstest"
)

// TestEvidenceAndReviewOnCluster: two service replicas on different nodes of a 3-node NATS
// cluster, the log and the evidence bucket replicated three times: a file stored through one is
// served by the other, and a review opened on one is signed on both and completes once. Nothing
// is kept outside JetStream.
func TestEvidenceAndReviewOnCluster(t *testing.T) {
	is := is.New(t)
	servers := natstest.MustCluster(t, 3)
	ctx := context.Background()

	// The meta leader may take a moment to be elected: create the bucket as the service would
	// at start, retrying.
	nc := natstest.MustConnect(t, servers[0].ClientURL())
	js, err := jetstream.New(nc)
	is.NoErr(err)
	var obs jetstream.ObjectStore
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		obs, err = OpenEvidenceBucket(ctx, js, EvidenceBucketConfig{Replicas: 3, Storage: jetstream.FileStorage, Manage: true})
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	is.NoErr(err) // the bucket on the cluster
	st, err := js.Stream(ctx, "OBJ_"+EvidenceBucket)
	is.NoErr(err)
	is.Equal(st.CachedInfo().Config.Replicas, 3) // replicated like the log

	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	one := &env{natsURL: servers[0].ClientURL(), signer: eventstore.NewSigner(priv), now: time.Now().UTC()}
	e := one.start(t, testConfig(t), eventstore.Config{Storage: jetstream.FileStorage, Replicas: 3})
	e.background(t, "checkpoints", func(ctx context.Context) error { return e.store.RunCheckpoints(ctx, nil) })
	other := &env{natsURL: servers[2].ClientURL(), signer: one.signer, now: one.now}
	r2 := other.start(t, e.cfg, e.store.Config())
	svc1 := NewEvidence(e.app, e.proj, obs, nil)
	obs2, err := OpenEvidenceBucket(ctx, r2.store.JetStream(), EvidenceBucketConfig{})
	is.NoErr(err) // the other replica opens the same bucket
	svc2 := NewEvidence(r2.app, r2.proj, obs2, nil)

	id := reviewedIncident(t, e)
	body := bytes.Repeat([]byte("ảnh chụp màn hình "), 20000) // several chunks
	f, _, err := svc1.Upload(ctx, Upload{Actor: dicCoord, IncidentID: id, Name: "man-hinh.txt", SourceSystem: "máy trạm", Body: bytes.NewReader(body)})
	is.NoErr(err) // stored through the first replica
	r2.settle(t)
	_, got, _, err := svc2.Download(ctx, policeCoord, f.ID, "")
	is.NoErr(err)                   // served by the second
	is.True(bytes.Equal(got, body)) // byte for byte

	rv1, rv2 := NewReviews(e.app, e.store), NewReviews(r2.app, r2.store)
	_, rid, err := rv1.Open(ctx, OpenReviewRequest{Actor: subReviewer, Title: "Rà soát trên cụm", IncidentID: id})
	is.NoErr(err) // pinned to a checkpoint of the replicated log
	for k, a := range []domain.Actor{policeCoord, milCoord, dicCoord, propReview, subReviewer} {
		r := rv1
		if k%2 == 1 {
			r = rv2
		}
		_, err := r.Decide(ctx, a, rid, "", true, "")
		is.NoErr(err) // signed on either replica
	}
	r2.settle(t)
	v, err := r2.proj.Reviews.Review(subReviewer, rid)
	is.NoErr(err)
	is.Equal(v.Status, domain.ReviewStatusCompleted)
	is.Equal(e.countEvents(t, "ReviewCompleted"), 1) // completed once
}
