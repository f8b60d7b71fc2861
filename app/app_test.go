package app

import (
	"context"
	"errors"
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
	res, err := a.Execute(context.Background(), Request{Actor: dicCoord, AggregateID: id, CommandID: "open-1",
		Command: domain.OpenIncident{Title: "Lag", Type: "DOS", Severity: domain.SeverityLow, TLP: domain.TLPGreen, DetectedAt: time.Now().Add(-time.Hour)}})
	var lag *LaggingError
	is.True(errors.As(err, &lag))             // reported as recorded but lagging
	is.Equal(domain.ErrorCode(err), ELAGGING) // with its own code
	is.Equal(lag.Sequence, res.Sequence)      // and the sequence it was recorded at
	is.True(res.Sequence > 0)                 // which is real
	commits, err := e.store.LoadCommits(context.Background(), "incident", id, 1, 0)
	is.NoErr(err)
	is.Equal(len(commits), 1) // the command is in the log
	// The client does as told and does not send it again; if it does, nothing is written twice.
	again, _ := a.Execute(context.Background(), Request{Actor: dicCoord, AggregateID: id, CommandID: "open-1",
		Command: domain.OpenIncident{Title: "Lag", Type: "DOS", Severity: domain.SeverityLow, TLP: domain.TLPGreen, DetectedAt: time.Now().Add(-time.Hour)}})
	is.True(again.Duplicate)               // recognised
	is.Equal(again.Sequence, res.Sequence) // the same result
}
