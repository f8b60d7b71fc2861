package app

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/note"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

var (
	subReviewer = actor("subcommittee", "hoa", domain.RoleReviewer)
	policeCoord = actor("police", "tuan", domain.RoleCoordinator)
	milCoord    = actor("military", "an", domain.RoleCoordinator)
	propReview  = actor("propaganda", "lan", domain.RoleReviewer)
)

// reviewedIncident opens an incident the DIC shares with every default signer.
func reviewedIncident(t *testing.T, e *env) string {
	id := eventstore.NewID()
	e.do(t, id, dicCoord, domain.OpenIncident{Title: "Sự cố cần rà soát", Type: "MALWARE", Severity: domain.SeverityHigh, TLP: domain.TLPAmber,
		DetectedAt: time.Now().Add(-time.Hour)})
	e.do(t, id, dicCoord, domain.Share{Orgs: []string{"police", "military", "propaganda", "subcommittee"}})
	return id
}

// TestReviewPinnedSignedAndCompletedAcrossReplicas: a review is pinned to a signed checkpoint
// that verifies with the log's key and covers the incident's last change; signers sign on two
// replicas; the last two signing at once complete it exactly once; a later change outdates it
// without touching what was signed.
func TestReviewPinnedSignedAndCompletedAcrossReplicas(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	e.background(t, "checkpoints", func(ctx context.Context) error { return e.store.RunCheckpoints(ctx, nil) })
	r2 := e.replica(t, nil)
	ctx := context.Background()
	id := reviewedIncident(t, e)
	last := e.do(t, id, dicCoord, domain.AddNote{NoteID: "n1", Text: "đã khắc phục"})

	reviews := NewReviews(e.app, e.store)
	res, rid, err := reviews.Open(ctx, OpenReviewRequest{Actor: subReviewer, CommandID: "open-r1", Title: "Rà soát sự cố", IncidentID: id})
	is.NoErr(err)
	is.True(res.Sequence > last)
	again, rid2, err := reviews.Open(ctx, OpenReviewRequest{Actor: subReviewer, CommandID: "open-r1", Title: "Rà soát sự cố", IncidentID: id})
	is.NoErr(err)
	is.Equal(rid2, rid)      // a retry names the same review
	is.True(again.Duplicate) // and records nothing
	v, err := e.proj.Reviews.Review(subReviewer, rid)
	is.NoErr(err)
	is.Equal(v.Pin.IncidentSequence, last)  // pinned to the incident's last change
	is.True(uint64(v.Pin.TreeSize) >= last) // which the checkpoint covers
	verifier, err := note.NewVerifier(mustVerifierKey(t, e.store))
	is.NoErr(err)
	cp, err := eventstore.OpenCheckpoint([]byte(v.Pin.Checkpoint), e.store.Origin(), note.VerifierList(verifier))
	is.NoErr(err)                              // the pinned checkpoint is signed by the log's key
	is.Equal(cp.Size, v.Pin.TreeSize)          // it is the one pinned
	is.Equal(cp.Root.String(), v.Pin.RootHash) // root and all
	root, err := e.store.Tree().Root(cp.Size)
	is.NoErr(err)
	is.Equal(root, cp.Root) // and it is the log's own tree at that size

	// Sign on both replicas; the last two at once.
	reviews2 := NewReviews(r2.app, r2.store)
	_, err = reviews.Decide(ctx, policeCoord, rid, "", true, "đồng ý")
	is.NoErr(err)
	_, err = reviews2.Decide(ctx, propReview, rid, "", false, "thiếu nhật ký")
	is.NoErr(err)
	_, err = reviews2.Decide(ctx, propReview, rid, "", true, "đã bổ sung")
	is.NoErr(err) // an objection, then a sign-off, by the same signer
	_, err = reviews.Decide(ctx, subReviewer, rid, "", true, "")
	is.NoErr(err)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for k, x := range []struct {
		r *Reviews
		a domain.Actor
	}{{reviews, milCoord}, {reviews2, dicCoord}} {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[k] = x.r.Decide(ctx, x.a, rid, "", true, "") }()
	}
	wg.Wait()
	is.NoErr(errs[0]) // both land
	is.NoErr(errs[1])
	e.settle(t)
	is.Equal(e.countEvents(t, "ReviewCompleted"), 1) // completed exactly once
	v, _ = e.proj.Reviews.Review(subReviewer, rid)
	is.Equal(v.Status, domain.ReviewStatusCompleted)
	_, err = reviews.Decide(ctx, policeCoord, rid, "", false, "muộn")
	is.Equal(domain.ErrorCode(err), domain.ECONFLICT) // a complete review takes no more decisions

	later := e.do(t, id, dicCoord, domain.AddNote{NoteID: "n2", Text: "bổ sung"})
	r2.settle(t)
	v2, err := r2.proj.Reviews.Review(milCoord, rid)
	is.NoErr(err)
	is.Equal(v2.OutdatedBy, later)          // outdated by the later change, on every replica
	is.Equal(v2.Pin.IncidentSequence, last) // what was signed stays
	for _, d := range v2.Signatures {
		is.Equal(d.TreeSize, v2.Pin.TreeSize) // every signature is about the pinned history
	}
}

func mustVerifierKey(t *testing.T, st *eventstore.Store) string {
	t.Helper()
	k, err := st.VerifierKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestReviewRefusals: a hidden incident and a missing one answer alike; a signer that cannot read
// the incident blocks the opening; roles.
func TestReviewRefusals(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	e.background(t, "checkpoints", func(ctx context.Context) error { return e.store.RunCheckpoints(ctx, nil) })
	ctx := context.Background()
	hidden := eventstore.NewID()
	e.do(t, hidden, dicCoord, domain.OpenIncident{Title: "Chỉ của Sở", Type: "DOS", Severity: domain.SeverityLow, TLP: domain.TLPAmber, DetectedAt: time.Now().Add(-time.Hour)})
	last, _ := e.store.LastSequence(ctx)
	_, _, errHidden := NewReviews(e.app, e.store).Open(ctx, OpenReviewRequest{Actor: subReviewer, Title: "x", IncidentID: hidden})
	_, _, errMissing := NewReviews(e.app, e.store).Open(ctx, OpenReviewRequest{Actor: subReviewer, Title: "x", IncidentID: eventstore.NewID()})
	is.Equal(domain.ErrorCode(errHidden), domain.ENOTFOUND)   // hidden
	is.Equal(domain.ErrorMessage(errHidden)[:9], "incident ") // said as
	is.Equal(domain.ErrorCode(errMissing), domain.ENOTFOUND)  // missing: the same
	now, _ := e.store.LastSequence(ctx)
	is.Equal(now, last) // nothing written

	e.do(t, hidden, dicCoord, domain.Share{Orgs: []string{"subcommittee", "police"}})
	_, _, err := NewReviews(e.app, e.store).Open(ctx, OpenReviewRequest{Actor: subReviewer, Title: "x", IncidentID: hidden})
	is.Equal(domain.ErrorCode(err), domain.ECONFLICT) // military and propaganda cannot read it
	_, _, err = NewReviews(e.app, e.store).Open(ctx, OpenReviewRequest{Actor: policeCoord, Title: "x", IncidentID: hidden})
	is.Equal(domain.ErrorCode(err), domain.EFORBIDDEN) // only the subcommittee opens reviews
	_, err = NewReviews(e.app, e.store).Decide(ctx, policeCoord, "no-such-review", "", true, "")
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // no such review
}
