package projections

import (
	"container/heap"
	"sync"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Due is a deadline that has come: the scheduler fires it.
type Due struct {
	IncidentID string
	Deadline   domain.PendingDeadline
}

// dueItem is one pending deadline in the index. gen ties it to the incident's state when it was
// computed: a later change makes it stale, and it is skipped when it comes up.
type dueItem struct {
	at       time.Time
	incident string
	d        domain.PendingDeadline
	gen      uint64
}

// deadlineIndex is a min-heap of every incident's pending deadlines, rebuilt from the log like
// every read model: no timer exists that the log does not explain.
type deadlineIndex struct {
	h     []*dueItem
	gen   map[string]uint64 // incident -> current generation
	count map[string]int    // incident -> its live items still in the heap
	live  int               // items that are not stale
}

func (x *deadlineIndex) Len() int           { return len(x.h) }
func (x *deadlineIndex) Less(i, j int) bool { return x.h[i].at.Before(x.h[j].at) }
func (x *deadlineIndex) Swap(i, j int)      { x.h[i], x.h[j] = x.h[j], x.h[i] }
func (x *deadlineIndex) Push(v any)         { x.h = append(x.h, v.(*dueItem)) }
func (x *deadlineIndex) Pop() any {
	n := len(x.h) - 1
	v := x.h[n]
	x.h[n] = nil
	x.h = x.h[:n]
	return v
}

// set replaces an incident's pending deadlines.
func (x *deadlineIndex) set(incident string, ds []domain.PendingDeadline) {
	if x.gen == nil {
		x.gen, x.count = map[string]uint64{}, map[string]int{}
	}
	g := x.gen[incident] + 1
	x.gen[incident] = g
	for _, d := range ds {
		heap.Push(x, &dueItem{at: d.At, incident: incident, d: d, gen: g})
	}
	x.live += len(ds) - x.count[incident] // the incident's earlier items are stale now
	x.count[incident] = len(ds)
	if len(x.h) > 1024 && len(x.h) > 4*x.live { // amortised: only after many updates
		x.compact()
	}
}

func (x *deadlineIndex) compact() {
	keep := x.h[:0]
	for _, it := range x.h {
		if it.gen == x.gen[it.incident] {
			keep = append(keep, it)
		}
	}
	clear(x.h[len(keep):])
	x.h = keep
	heap.Init(x)
}

// due removes and returns the deadlines at or before now (at most max, 0 = all), skipping
// stale ones.
func (x *deadlineIndex) due(now time.Time, max int) []Due {
	var out []Due
	for len(x.h) > 0 && !x.h[0].at.After(now) && (max == 0 || len(out) < max) {
		it := heap.Pop(x).(*dueItem)
		if it.gen != x.gen[it.incident] {
			continue
		}
		x.live--
		x.count[it.incident]--
		out = append(out, Due{IncidentID: it.incident, Deadline: it.d})
	}
	return out
}

// again puts a deadline back to be tried at at (after a transient failure).
func (x *deadlineIndex) again(d Due, at time.Time) {
	heap.Push(x, &dueItem{at: at, incident: d.IncidentID, d: d.Deadline, gen: x.gen[d.IncidentID]})
	x.live++
	x.count[d.IncidentID]++
}

// next returns when the earliest live deadline falls, if any.
func (x *deadlineIndex) next() (time.Time, bool) {
	for len(x.h) > 0 {
		if it := x.h[0]; it.gen == x.gen[it.incident] {
			return it.at, true
		}
		heap.Pop(x) // stale: it was never counted live
	}
	return time.Time{}, false
}

// Deadlines is the index of every incident's pending deadlines on this replica, kept by the
// Projector from the incidents' state after each commit; the scheduler (app.Scheduler) takes
// what has come due. Every replica has its own index and may fire the same deadline: the
// domain's invariants make the second attempt record nothing.
type Deadlines struct {
	mu sync.Mutex
	x  deadlineIndex
}

func (d *Deadlines) set(incident string, ds []domain.PendingDeadline) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.x.set(incident, ds)
}

// Due takes the deadlines that have come by now (at most max, 0 = all).
func (d *Deadlines) Due(now time.Time, max int) []Due {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.x.due(now, max)
}

// Retry puts back a deadline whose firing failed for a transient reason, to be tried at at.
func (d *Deadlines) Retry(due Due, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.x.again(due, at)
}

// Next returns when the earliest pending deadline falls.
func (d *Deadlines) Next() (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.x.next()
}

// Pending returns how many pending deadlines the index holds (for /metrics).
func (d *Deadlines) Pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.x.live
}
