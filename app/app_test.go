package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// stuck is read models that never catch up (a frozen follower).
type stuck struct{}

func (stuck) Applied() uint64 { return 0 }
func (stuck) WaitFor(ctx context.Context, _ uint64) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestCommittedButLaggingIsNotAFailure(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	a := New(Deps{Events: e.store, Read: stuck{}, Config: e.cfg, ReadYourWrites: 20 * time.Millisecond})
	id := eventstore.NewID()
	open := domain.OpenIncident{Title: "Lag", Type: "DOS", Severity: domain.SeverityLow, TLP: domain.TLPGreen, DetectedAt: time.Now().Add(-time.Hour)}
	res, err := a.Execute(context.Background(), Request{Actor: dicCoord, AggregateID: id, CommandID: "open-1", Command: open})
	var lag *LaggingError
	is.True(errors.As(err, &lag))             // reported as recorded but lagging
	is.Equal(domain.ErrorCode(err), ELAGGING) // with its own code
	is.Equal(lag.Sequence, res.Sequence)      // and the sequence it was recorded at
	is.True(res.Sequence > 0)                 // which is real
	commits, err := e.store.LoadCommits(context.Background(), "incident", id, 1, 0)
	is.NoErr(err)
	is.Equal(len(commits), 1) // the command is in the log
	// The client does as told and does not send it again; if it does, nothing is written twice.
	again, _ := a.Execute(context.Background(), Request{Actor: dicCoord, AggregateID: id, CommandID: "open-1", Command: open})
	is.True(again.Duplicate)               // recognised
	is.Equal(again.Sequence, res.Sequence) // the same result
}

// TestCommandIDIsOneActorsOneCommand: a retry is the same actor sending the same command; the
// same id with another command is CONFLICT and writes nothing; another actor's id is its own.
func TestCommandIDIsOneActorsOneCommand(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	ctx := context.Background()
	id := eventstore.NewID()
	open := domain.OpenIncident{Title: "Dò quét", Type: "DOS", Severity: domain.SeverityLow, TLP: domain.TLPGreen, DetectedAt: time.Now().Add(-time.Hour).Truncate(time.Second)}
	_, err := e.app.Execute(ctx, Request{Actor: dicCoord, AggregateID: id, CommandID: "c-1", Command: open})
	is.NoErr(err)
	last, _ := e.store.LastSequence(ctx)

	close := domain.CloseIncident{Resolution: domain.ResolutionResolved, Summary: "xong"}
	_, err = e.app.Execute(ctx, Request{Actor: dicCoord, AggregateID: id, CommandID: "c-1", Command: close})
	is.Equal(domain.ErrorCode(err), domain.ECONFLICT) // another command with a used id
	open.Title = "Dò quét cổng"
	_, err = e.app.Execute(ctx, Request{Actor: dicCoord, AggregateID: id, CommandID: "c-1", Command: open})
	is.Equal(domain.ErrorCode(err), domain.ECONFLICT) // the same command with other arguments
	now, _ := e.store.LastSequence(ctx)
	is.Equal(now, last) // nothing written

	// A colleague's "c-1" is a command of its own: the close is recorded.
	colleague := actor("dic", "binh", domain.RoleCoordinator)
	res, err := e.app.Execute(ctx, Request{Actor: colleague, AggregateID: id, CommandID: "c-1", Command: close})
	is.NoErr(err)
	is.True(!res.Duplicate && res.Events > 0) // recorded
	agg, err := e.app.Load(ctx, "incident", id, 0)
	is.NoErr(err)
	is.Equal(agg.(*domain.Incident).Status, domain.IncidentStatusClosed) // really closed
	// And its retry is a retry.
	again, err := e.app.Execute(ctx, Request{Actor: colleague, AggregateID: id, CommandID: "c-1", Command: close})
	is.NoErr(err)
	is.True(again.Duplicate)
	is.Equal(again.Sequence, res.Sequence)
}

// TestExpectedVersionIsTheVersionTheClientSees: a reader's version counts only what it may see,
// so a note hidden from it neither refuses its write nor shows in the check's answer.
func TestExpectedVersionIsTheVersionTheClientSees(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	ctx := context.Background()
	id := eventstore.NewID()
	police := actor("police", "an", domain.RoleCoordinator)
	e.do(t, id, dicCoord, domain.OpenIncident{Title: "Lừa đảo", Type: "PHISHING", Severity: domain.SeverityLow, TLP: domain.TLPAmber, DetectedAt: time.Now().Add(-time.Hour)})
	e.do(t, id, dicCoord, domain.Share{Orgs: []string{"police"}})
	e.do(t, id, dicCoord, domain.AddNote{NoteID: "red", Text: "nguồn tin mật", TLP: domain.TLPRed})
	version := func(who domain.Actor) int {
		d, err := e.proj.Incidents.Incident(who, id, time.Now())
		is.NoErr(err)
		return d.Version
	}
	seen, all := version(police), version(dicCoord)
	is.Equal(seen+1, all) // the RED note is not counted for the police

	stale := all
	_, err := e.app.Execute(ctx, Request{Actor: police, AggregateID: id, ExpectedVersion: &stale, Command: domain.AddNote{NoteID: "p1", Text: "đã tiếp nhận"}})
	is.Equal(domain.ErrorCode(err), domain.ECONFLICT)                       // not the version it read
	is.True(!strings.Contains(err.Error(), fmt.Sprintf("version %d", all))) // and the answer does not count the hidden note
	res, err := e.app.Execute(ctx, Request{Actor: police, AggregateID: id, ExpectedVersion: &seen, Command: domain.AddNote{NoteID: "p1", Text: "đã tiếp nhận"}})
	is.NoErr(err) // the version it read
	is.True(res.Events > 0)
	is.Equal(version(police), seen+1)

	// The originator counts the RED note: its old count is stale now.
	_, err = e.app.Execute(ctx, Request{Actor: dicCoord, AggregateID: id, ExpectedVersion: &all, Command: domain.AddNote{NoteID: "d2", Text: "cập nhật"}})
	is.Equal(domain.ErrorCode(err), domain.ECONFLICT)
	now := version(dicCoord)
	_, err = e.app.Execute(ctx, Request{Actor: dicCoord, AggregateID: id, ExpectedVersion: &now, Command: domain.AddNote{NoteID: "d2", Text: "cập nhật"}})
	is.NoErr(err)
}

// TestRetryOnAnotherReplica: a command recorded through one replica is recognised as a retry on
// another, whether that one had the incident in its write cache (fed by its follower) or not.
func TestRetryOnAnotherReplica(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	ctx := context.Background()
	id := eventstore.NewID()
	e.do(t, id, dicCoord, domain.OpenIncident{Title: "DDoS", Type: "DOS", Severity: domain.SeverityLow, TLP: domain.TLPGreen, DetectedAt: time.Now().Add(-time.Hour)})
	cached, cold := e.replica(t, nil), e.replica(t, nil)
	cached.do(t, id, dicCoord, domain.AddNote{NoteID: "n1", Text: "theo dõi"}) // now in its write cache
	note := domain.AddNote{NoteID: "n2", Text: "đã chặn"}
	res, err := e.app.Execute(ctx, Request{Actor: dicCoord, AggregateID: id, CommandID: "n-2", Command: note})
	is.NoErr(err)
	for _, r := range []*env{cached, cold} {
		r.settle(t)
		again, err := r.app.Execute(ctx, Request{Actor: dicCoord, AggregateID: id, CommandID: "n-2", Command: note})
		is.NoErr(err)
		is.True(again.Duplicate) // a retry
		is.Equal(again.Sequence, res.Sequence)
		_, err = r.app.Execute(ctx, Request{Actor: dicCoord, AggregateID: id, CommandID: "n-2", Command: domain.AddNote{NoteID: "n3", Text: "khác"}})
		is.Equal(domain.ErrorCode(err), domain.ECONFLICT) // not a retry
	}
}
