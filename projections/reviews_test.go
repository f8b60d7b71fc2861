package projections

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// doReview runs a review command and waits for the read models.
func (e *env) doReview(tb testing.TB, id string, who domain.Actor, cmd domain.Command) uint64 {
	tb.Helper()
	repo := eventstore.NewRepo(e.store, domain.NewReview)
	in := domain.Invocation{Actor: who, Now: time.Now(), Config: e.cfg}
	res, err := repo.Update(context.Background(), id, eventstore.CommandMeta{CommandID: eventstore.NewID(), Actor: who, At: in.Now},
		func(r *domain.Review) error { return domain.Execute(r, in, cmd) })
	if err != nil {
		tb.Fatalf("%s by %s/%s: %v", cmd.CommandName(), who.Org, who.User, err)
	}
	if err := e.proj.WaitFor(context.Background(), res.Sequence); err != nil {
		tb.Fatal(err)
	}
	return res.Sequence
}

func (e *env) audienceOf(tb testing.TB, id string) *domain.Audience {
	tb.Helper()
	a, ok := e.proj.Incidents.audience(id)
	if !ok {
		tb.Fatalf("incident %s not in the read model", id)
	}
	return &a
}

var (
	revSub      = actor("subcommittee", "hoa", domain.RoleReviewer)
	revPolice   = actor("police", "tuan", domain.RoleCoordinator)
	revMilitary = actor("military", "an", domain.RoleCoordinator)
	revProp     = actor("propaganda", "lan", domain.RoleReviewer)
	revCERT     = actor("cert-health", "minh", domain.RoleCoordinator)
)

// TestReviewsReadModel: visibility follows the subcommittee, the signers and the incident's TLP
// now; signatures and completion; a later change outdates the review, a download does not;
// sign-offs arrive live to those who may see them.
func TestReviewsReadModel(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	id := e.open(t, dicCoord, "Tấn công thay đổi giao diện cổng tỉnh")
	e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.Share(in, domain.Share{Orgs: []string{"police", "military", "propaganda", "subcommittee", "cert-health"}})
	})
	evSeq := e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.AddEvidence(in, domain.AddEvidence{EvidenceID: "ev1", Name: "a.png", MediaType: "image/png", Size: 10,
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", SourceSystem: "cổng", Object: "ev1"})
	})
	pin := domain.ReviewPin{Origin: "test", TreeSize: int64(evSeq), RootHash: base64.StdEncoding.EncodeToString(make([]byte, 32)),
		Checkpoint: "test\n", IncidentSequence: evSeq, IncidentVersion: 3}

	sub, err := e.proj.Reviews.Subscribe(revPolice, "", 0, 16)
	is.NoErr(err)
	defer sub.Close()
	outsider, err := e.proj.Reviews.Subscribe(revCERT, "", 0, 16)
	is.NoErr(err)
	defer outsider.Close()

	openSeq := e.doReview(t, "r1", revSub, domain.OpenReview{Title: "Rà soát", IncidentID: id, Pin: pin, Incident: e.audienceOf(t, id)})
	v, err := e.proj.Reviews.Review(revProp, "r1")
	is.NoErr(err) // a signer reads it
	is.Equal(v.Sequence, openSeq)
	is.Equal(len(v.Signatures), 5)                      // every required signer
	is.Equal(v.Signatures[0].Decision, DecisionPending) // none decided yet
	is.Equal(v.OutdatedBy, uint64(0))                   // up to date
	is.Equal(len(v.History), 1)                         // its opening, as a sentence
	is.True(v.History[0].TextVi != "" && v.History[0].TextEn != "")
	_, err = e.proj.Reviews.Review(revCERT, "r1")
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // a reader of the incident who is not a signer does not
	_, err = e.proj.Reviews.Review(actor("dic", "root", domain.RoleAdmin), "r1")
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // nor an admin
	_, err = e.proj.Reviews.Review(revSub, "r9")
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND)    // missing looks the same
	is.Equal(len(e.proj.Reviews.List(revPolice, id)), 1) // listed by incident
	is.Equal(len(e.proj.Reviews.List(revCERT, "")), 0)   // and not for an outsider

	// A download is no change; a note is.
	e.do(t, id, revPolice, func(i *domain.Incident, in domain.Invocation) error {
		return i.RecordEvidenceDownload(in, domain.RecordEvidenceDownload{EvidenceID: "ev1"})
	})
	v, _ = e.proj.Reviews.Review(revSub, "r1")
	is.Equal(v.OutdatedBy, uint64(0)) // still up to date after a download
	noteSeq := e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.AddNote(in, domain.AddNote{NoteID: "late", Text: "bổ sung"})
	})
	v, _ = e.proj.Reviews.Review(revSub, "r1")
	is.Equal(v.OutdatedBy, noteSeq) // outdated by the note's sequence
	is.True(v.OutdatedAt != nil)
	is.Equal(v.Pin.IncidentSequence, evSeq) // what was signed does not move

	// Signatures, a RED finding, completion.
	for _, a := range []domain.Actor{revPolice, revMilitary, revProp, revSub} {
		e.doReview(t, "r1", a, domain.SignOffReview{Comment: "đồng ý", Incident: e.audienceOf(t, id)})
	}
	e.doReview(t, "r1", revSub, domain.RecordReviewFinding{FindingID: "f1", Kind: domain.FindingKindFinding, Text: "nguồn tin mật", TLP: domain.TLPRed, Incident: e.audienceOf(t, id)})
	v, _ = e.proj.Reviews.Review(revPolice, "r1")
	is.Equal(len(v.Findings), 0) // the RED finding is not for a reader who is not named
	for _, h := range v.History {
		is.True(h.Type != "ReviewFindingRecorded") // nor its sentence
	}
	v, _ = e.proj.Reviews.Review(revSub, "r1")
	is.Equal(len(v.Findings), 1) // its author reads it
	last := e.doReview(t, "r1", dicCoord, domain.SignOffReview{Incident: e.audienceOf(t, id)})
	v, _ = e.proj.Reviews.Review(revSub, "r1")
	is.Equal(v.Status, domain.ReviewStatusCompleted) // every signer signed
	is.True(v.CompletedAt != nil)

	// Live: the police saw every change of the review, in order; the outsider nothing.
	var got []uint64
	for len(got) == 0 || got[len(got)-1] < last {
		select {
		case c := <-sub.C:
			got = append(got, c.Sequence)
		case <-time.After(10 * time.Second):
			t.Fatalf("the police feed stopped at %v", got)
		}
	}
	is.Equal(got[0], openSeq)    // from the opening
	is.Equal(got[1], noteSeq)    // the change that outdated it
	is.Equal(len(got), 7)        // and the five sign-offs; not the RED finding it may not read
	is.Equal(len(outsider.C), 0) // nothing for who may not see it

	// Raising the TLP takes the review from signers who can no longer read the incident.
	e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.ChangeTLP(in, domain.ChangeTLP{TLP: domain.TLPAmberStrict})
	})
	_, err = e.proj.Reviews.Review(revMilitary, "r1")
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // TLP decides, like everywhere
	_, err = e.proj.Reviews.Review(actor("dic", "x", domain.RoleResponder), "r1")
	is.NoErr(err) // the holder, a signer, still does
}

// TestPeriodReview lists the incidents of the period each reader may see and outdates on a change
// to one of them.
func TestPeriodReview(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	from := time.Now().Add(-time.Minute)
	amber := e.open(t, dicCoord, "AMBER của Sở")
	green := e.open(t, dicCoord, "GREEN của Sở", func(c *domain.OpenIncident) { c.TLP = domain.TLPGreen })
	to := time.Now()
	last, _ := e.store.LastSequence(context.Background())
	pin := domain.ReviewPin{Origin: "test", TreeSize: int64(last), RootHash: base64.StdEncoding.EncodeToString(make([]byte, 32)), Checkpoint: "test\n"}
	e.doReview(t, "p1", revSub, domain.OpenReview{Title: "Quý", PeriodFrom: from, PeriodTo: to, Pin: pin})
	is.Equal(len(e.proj.Incidents.PeriodIncidents(dicCoord, from, to)), 2) // the originator sees both
	seen := e.proj.Incidents.PeriodIncidents(revPolice, from, to)
	is.Equal(len(seen), 1)      // a signer only the GREEN one
	is.Equal(seen[0].ID, green) // through today's rights
	v, err := e.proj.Reviews.Review(revMilitary, "p1")
	is.NoErr(err) // a period review is for the subcommittee and the signers
	is.Equal(v.OutdatedBy, uint64(0))
	seq := e.do(t, amber, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.AddNote(in, domain.AddNote{NoteID: "x", Text: "x"})
	})
	v, _ = e.proj.Reviews.Review(revMilitary, "p1")
	is.Equal(v.OutdatedBy, seq) // a change to an incident of the period outdates it
	other := e.open(t, dicCoord, "mở sau kỳ")
	e.do(t, other, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.AddNote(in, domain.AddNote{NoteID: "y", Text: "y"})
	})
	v, _ = e.proj.Reviews.Review(revMilitary, "p1")
	is.Equal(v.OutdatedBy, seq) // incidents outside the period change nothing
	_, err = e.proj.Reviews.Review(revCERT, "p1")
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // not a signer
}
