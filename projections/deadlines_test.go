package projections

import (
	"fmt"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
)

func TestDeadlineIndex(t *testing.T) {
	is := is.New(t)
	t0 := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	pd := func(kind string, min int) domain.PendingDeadline {
		return domain.PendingDeadline{Kind: kind, RefID: kind, At: t0.Add(time.Duration(min) * time.Minute)}
	}
	var x deadlineIndex
	x.set("a", []domain.PendingDeadline{pd("ack", 10), pd("remind", 5)})
	x.set("b", []domain.PendingDeadline{pd("ack", 1)})
	is.Equal(x.live, 3)
	// a's state changed: its earlier deadlines are stale, the new one counts.
	x.set("a", []domain.PendingDeadline{pd("ack", 20)})
	is.Equal(x.live, 2)
	due := x.due(t0.Add(15*time.Minute), 0)
	is.Equal(len(due), 1) // only b: a's old 5 and 10 minute items are stale
	is.Equal(due[0].IncidentID, "b")
	is.Equal(x.live, 1)
	x.again(due[0], t0.Add(30*time.Minute)) // a transient failure: tried again later
	is.Equal(x.live, 2)
	at, ok := x.next()
	is.True(ok)
	is.Equal(at, t0.Add(20*time.Minute)) // the stale ones are skipped
	due = x.due(t0.Add(time.Hour), 0)
	is.Equal(len(due), 2)
	is.Equal(x.live, 0)

	// Many updates compact the heap instead of letting stale items pile up.
	for i := range 5000 {
		x.set(fmt.Sprint("i", i%100), []domain.PendingDeadline{pd("ack", i)})
	}
	is.Equal(x.live, 100)
	is.True(len(x.h) <= 4*x.live+1024) // bounded by the live count
}
