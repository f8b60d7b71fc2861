package projections

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
)

func TestTimeTravelBoardEqualsCapture(t *testing.T) {
	for _, st := range []jetstream.StorageType{jetstream.FileStorage, jetstream.MemoryStorage} {
		t.Run(st.String(), func(t *testing.T) {
			is := is.New(t)
			e := MustEnv(t, st)
			var ids []string
			for n := range 6 {
				ids = append(ids, e.open(t, opener, fmt.Sprintf("Sự cố %d", n)))
			}
			e.do(t, ids[2], opener, func(i *domain.Incident, in domain.Invocation) error {
				return i.ChangePhase(in, domain.ChangePhase{Phase: domain.PhaseContainment})
			})
			now := time.Now()
			live, err := e.proj.Incidents.Board(opener, BoardQuery{First: MaxPage, Now: now})
			is.NoErr(err)
			liveDetail, err := e.proj.Incidents.Incident(opener, ids[2], now)
			is.NoErr(err)
			liveTL, err := e.proj.Incidents.Timeline(opener, ids[2])
			is.NoErr(err)
			// T is after the last recorded commit and before anything below (server clock).
			time.Sleep(5 * time.Millisecond) // separates T from the next commit's server timestamp
			T := time.Now()
			time.Sleep(5 * time.Millisecond)
			// More happens after T.
			e.do(t, ids[2], opener, func(i *domain.Incident, in domain.Invocation) error {
				return i.Close(in, domain.CloseIncident{Resolution: domain.ResolutionResolved, Summary: "xong"})
			})
			e.open(t, opener, "Sau T")

			past, err := AsOf(context.Background(), e.store, e.cfg, T)
			is.NoErr(err)
			then, err := past.Incidents.Board(opener, BoardQuery{First: MaxPage, Now: now})
			is.NoErr(err)
			then.Sequence = live.Sequence // the page's own sequence is the only field allowed to differ
			is.Equal(then, live)          // the board as of T equals the capture at T exactly

			one, err := IncidentAsOf(context.Background(), e.store, e.cfg, ids[2], T)
			is.NoErr(err)
			d, err := one.Incidents.Incident(opener, ids[2], now)
			is.NoErr(err)
			is.Equal(d, liveDetail) // incident as of T
			tl, err := one.Incidents.Timeline(opener, ids[2])
			is.NoErr(err)
			is.Equal(tl, liveTL) // timeline as of T
		})
	}
}

func TestBoardPaginationAndSorts(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	for n := range 23 {
		sev := []domain.Severity{domain.SeverityLow, domain.SeverityMedium, domain.SeverityHigh, domain.SeverityCritical}[n%4]
		e.open(t, opener, fmt.Sprintf("inc %02d", n), func(c *domain.OpenIncident) { c.Severity = sev })
	}
	for _, sort := range []BoardSort{SortUpdated, SortOpened, SortSeverity, SortDeadline} {
		seen := map[string]bool{}
		after := ""
		pages := 0
		for {
			b, err := e.proj.Incidents.Board(opener, BoardQuery{Sort: sort, First: 5, After: after})
			is.NoErr(err)
			is.Equal(b.TotalCount, 23) // total is independent of the page
			for _, n := range b.Nodes {
				is.True(!seen[n.ID]) // no duplicate across pages
				seen[n.ID] = true
			}
			pages++
			if !b.HasNextPage {
				break
			}
			after = b.EndCursor
		}
		is.Equal(len(seen), 23) // no gap across pages
		is.Equal(pages, 5)
	}
	b, err := e.proj.Incidents.Board(opener, BoardQuery{Sort: SortSeverity, First: 23})
	is.NoErr(err)
	for i := 1; i < len(b.Nodes); i++ {
		is.True(b.Nodes[i-1].Severity.Rank() >= b.Nodes[i].Severity.Rank()) // most severe first
	}
	// Words in the title, any order, any case; a word that is in no title finds nothing.
	w, err := e.proj.Incidents.Board(opener, BoardQuery{Filter: BoardFilter{Text: "07 INC"}})
	is.NoErr(err)
	is.Equal(w.TotalCount, 1)
	is.Equal(w.Nodes[0].Title, "inc 07")
	w, err = e.proj.Incidents.Board(opener, BoardQuery{Filter: BoardFilter{Text: "inc"}})
	is.NoErr(err)
	is.Equal(w.TotalCount, 23)
	w, err = e.proj.Incidents.Board(opener, BoardQuery{Filter: BoardFilter{Text: "inc nowhere"}})
	is.NoErr(err)
	is.Equal(w.TotalCount, 0)
	_, err = e.proj.Incidents.Board(opener, BoardQuery{Sort: SortOpened, After: b.EndCursor})
	is.Equal(domain.ErrorCode(err), domain.EINVALID) // a cursor of another order
	_, err = e.proj.Incidents.Board(opener, BoardQuery{After: "garbage!"})
	is.Equal(domain.ErrorCode(err), domain.EINVALID)
	_, err = e.proj.Incidents.Board(opener, BoardQuery{First: MaxPage + 1})
	is.Equal(domain.ErrorCode(err), domain.EINVALID)
	_, err = e.proj.Incidents.Board(opener, BoardQuery{Sort: "RANDOM"})
	is.Equal(domain.ErrorCode(err), domain.EINVALID)
}

func TestEscalationQueueOverdueFirst(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	a := e.open(t, opener, "A")
	b := e.open(t, opener, "B")
	e.do(t, a, opener, func(i *domain.Incident, in domain.Invocation) error {
		return i.Escalate(in, domain.Escalate{EscalationID: "late", ToOrg: "dic", Reason: "x", AckWithin: 2 * time.Minute})
	})
	e.do(t, b, opener, func(i *domain.Incident, in domain.Invocation) error {
		return i.Escalate(in, domain.Escalate{EscalationID: "soon", ToOrg: "dic", Reason: "y", AckWithin: 10 * time.Minute})
	})
	q := e.proj.Incidents.EscalationQueue(sharedWith, false, time.Now())
	is.Equal(len(q), 2)
	is.Equal(q[0].ID, "late") // nearest deadline first
	// 5 minutes later the first one is overdue and still first; time left is negative.
	q = e.proj.Incidents.EscalationQueue(sharedWith, false, time.Now().Add(5*time.Minute))
	is.True(q[0].Overdue)
	is.True(q[0].TimeLeft < 0)
	is.True(!q[1].Overdue)
	// Acknowledged: gone from the pending queue.
	e.do(t, a, sharedWith, func(i *domain.Incident, in domain.Invocation) error {
		return i.AcknowledgeEscalation(in, domain.AcknowledgeEscalation{EscalationID: "late"})
	})
	q = e.proj.Incidents.EscalationQueue(sharedWith, false, time.Now())
	is.Equal(len(q), 1)
	is.Equal(q[0].ID, "soon")
	// The board shows the next deadline and who owes it.
	d, err := e.proj.Incidents.Incident(opener, b, time.Now())
	is.NoErr(err)
	is.Equal(d.NextDeadline.OwedBy, "dic")
	is.Equal(d.NextDeadline.Kind, "ESCALATION_ACK")
	is.Equal(len(e.proj.Incidents.EscalationQueue(otherForce, false, time.Now())), 0) // not military's queue
}

func TestSubscriptionResumeSlowAndRemoved(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	id := e.open(t, opener, "feed")
	s, err := e.proj.Incidents.Subscribe(opener, FeedIncidents, nil, 0, 1000)
	is.NoErr(err)
	var got []uint64
	for n := range 10 {
		seq := e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
			return i.AddNote(in, domain.AddNote{NoteID: fmt.Sprint("n", n), Text: "x"})
		})
		got = append(got, seq)
	}
	var recv []uint64
	for len(recv) < 4 {
		recv = append(recv, (<-s.C).Sequence)
	}
	s.Close()       // the client disconnects after 4
	for range s.C { // what was buffered, then closed
	}
	is.NoErr(s.Err()) // closed by the client, not cut off
	// Resume with since = last received: exactly the 6 missed ones, in order.
	r, err := e.proj.Incidents.Subscribe(opener, FeedIncidents, nil, recv[3], 1000)
	is.NoErr(err)
	for _, want := range got[4:] {
		c := <-r.C
		is.Equal(c.Sequence, want) // no gap, no duplicate
	}
	select {
	case c := <-r.C:
		t.Fatalf("unexpected extra change %d", c.Sequence)
	default:
	}
	// Live after the backlog.
	live := e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
		return i.AddNote(in, domain.AddNote{NoteID: "live", Text: "x"})
	})
	is.Equal((<-r.C).Sequence, live)

	// A slow subscriber (buffer 2, never reads) is cut off with a reason; a fast one is not.
	slow, err := e.proj.Incidents.Subscribe(opener, FeedIncidents, nil, 0, 2)
	is.NoErr(err)
	fast, err := e.proj.Incidents.Subscribe(sharedWith, FeedIncidents, nil, 0, 1000)
	is.NoErr(err)
	e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
		return i.Share(in, domain.Share{Orgs: []string{"dic"}})
	})
	var last uint64
	for n := range 5 {
		last = e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
			return i.AddNote(in, domain.AddNote{NoteID: fmt.Sprint("s", n), Text: "x"})
		})
	}
	for c := range fast.C {
		if c.Sequence == last {
			break // the fast one got everything
		}
	}
	for range slow.C { // drains what was buffered, then the channel is closed
	}
	is.True(errors.Is(slow.Err(), ErrTooSlow)) // cut off with a reason

	// Raising TLP hides it from dic: dic gets a removal notice without content.
	e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
		return i.ChangeTLP(in, domain.ChangeTLP{TLP: domain.TLPAmberStrict})
	})
	c := <-fast.C
	is.True(c.Removed)
	is.Equal(c.IncidentID, id)
	is.Equal(len(c.Types), 0) // nothing about what happened

	// since older than what is retained is refused clearly.
	f := e.proj.Incidents.changes
	f.mu.Lock()
	f.floor = 5
	f.mu.Unlock()
	_, err = e.proj.Incidents.Subscribe(opener, FeedIncidents, nil, 2, 10)
	is.Equal(domain.ErrorCode(err), domain.EINVALID)
}

func TestWaitForAndIdempotentApply(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	id := e.open(t, opener, "x")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := e.proj.WaitFor(ctx, e.proj.Applied()+1000)
	is.Equal(domain.ErrorCode(err), domain.ECONFLICT) // not reached: a clear error, not a hang
	// Applying a commit again changes nothing (idempotent by sequence).
	commits, err := e.store.LoadCommits(context.Background(), "incident", id, 1, 0)
	is.NoErr(err)
	envs, _ := commits[0].Envelopes()
	before, _ := e.proj.Incidents.Timeline(opener, id)
	e.proj.Apply(commits[0], envs, nil)
	after, _ := e.proj.Incidents.Timeline(opener, id)
	is.Equal(len(after), len(before))
}
