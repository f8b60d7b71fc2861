package projections

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Change is what one commit did to an incident, as the change feed carries it.
type Change struct {
	Sequence   uint64
	IncidentID string
	Types      []string // event types of the commit
	QueueOrgs  []string // organisations whose escalation queue changed
	InboxOrgs  []string // organisations whose handoff inbox changed
	// Removed is set on the copy delivered to a subscriber who could see the incident before this
	// change and cannot any more (TLP raised, share withdrawn): it says nothing else.
	Removed bool
	// Reason and Drill are set on the copies delivered on FeedPartner: why the viewer's
	// organisation may see the incident (for a removal: why it could), and whether it is a drill.
	Reason PartnerReason
	Drill  bool

	aud, before            domain.Audience
	readers, beforeReaders readers
}

// Feed selects what a subscription receives.
type Feed int

// Feeds.
const (
	FeedIncidents       Feed = iota // every incident change the viewer may see (optionally filtered)
	FeedEscalationQueue             // changes to the viewer's organisation's escalation queue
	FeedHandoffInbox                // changes to the viewer's organisation's handoff inbox
	// FeedPartner is FeedIncidents for partner organisations: every change the viewer may see,
	// each copy saying why (Reason) and whether it is a drill.
	FeedPartner
)

// defaultRetained is how many recent changes a replica keeps for subscribers resuming with
// since: at 500 changes a second, about half an hour.
const defaultRetained = 1 << 20

// DefaultBuffer is how many changes may wait for a subscriber before it is cut off as too slow.
const DefaultBuffer = 256

// ErrTooSlow ends a subscription whose client does not keep up; it resumes with since.
var ErrTooSlow = errors.New("too slow: changes were arriving faster than the client read them; resubscribe with since")

// ErrClosed ends subscriptions when the service shuts down.
var ErrClosed = errors.New("the service is shutting down")

type hub struct {
	p     *Projector
	mu    sync.Mutex
	ring  []*Change // retained changes, oldest first, at most max
	max   int
	floor uint64 // changes at or below this sequence may have been dropped from the ring
	last  uint64
	subs  map[*Subscription]struct{}
}

func newHub(p *Projector, max int) *hub {
	return &hub{p: p, max: max, subs: map[*Subscription]struct{}{}}
}

// Subscription is one client's live feed. Read C until it is closed, then Err says why.
type Subscription struct {
	C      <-chan *Change
	c      chan *Change
	h      *hub
	v      viewer
	feed   Feed
	filter *BoardFilter
	err    error
	closed bool
}

// Err returns why the subscription ended (nil while it runs, or after Close).
func (s *Subscription) Err() error {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	return s.err
}

// Close ends the subscription; C is closed.
func (s *Subscription) Close() {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.h.drop(s, nil)
}

func (h *hub) drop(s *Subscription, reason error) {
	if s.closed {
		return
	}
	s.closed, s.err = true, reason
	delete(h.subs, s)
	close(s.c)
}

// Subscribers returns how many subscriptions are open (for /metrics).
func (p *Projector) Subscribers() int {
	p.hub.mu.Lock()
	defer p.hub.mu.Unlock()
	return len(p.hub.subs)
}

// CloseSubscriptions ends every subscription with ErrClosed (shutdown).
func (p *Projector) CloseSubscriptions() {
	p.hub.mu.Lock()
	defer p.hub.mu.Unlock()
	for s := range p.hub.subs {
		p.hub.drop(s, ErrClosed)
	}
}

// Subscribe opens a feed for viewer. With since > 0 it first delivers every retained change
// after since, then live ones, with no gap and no duplicate: both happen under the hub's lock.
// A since older than what this replica retains is EINVALID (reload, then subscribe from the
// sequence the reload returned).
func (p *Projector) Subscribe(viewer domain.Actor, feed Feed, filter *BoardFilter, since uint64, buffer int) (*Subscription, error) {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	v := p.viewer(viewer)
	if !v.ok {
		return nil, domain.Errorf(domain.EFORBIDDEN, "role %s of organisation %q has no feed to subscribe to", viewer.Role, viewer.Org)
	}
	h := p.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &Subscription{h: h, v: v, feed: feed, filter: filter}
	var backlog []*Change
	if since > 0 {
		if since < h.floor {
			return nil, domain.Errorf(domain.EINVALID, "since %d is older than the changes this replica keeps (from %d); reload and subscribe with the sequence the reload returns", since, h.floor+1)
		}
		i, _ := slices.BinarySearchFunc(h.ring, since+1, func(c *Change, seq uint64) int {
			switch {
			case c.Sequence < seq:
				return -1
			case c.Sequence > seq:
				return 1
			}
			return 0
		})
		for _, c := range h.ring[i:] {
			if d := s.deliverable(p, c); d != nil {
				backlog = append(backlog, d)
			}
		}
	}
	s.c = make(chan *Change, max(buffer, len(backlog)+buffer))
	s.C = s.c
	for _, c := range backlog {
		s.c <- c
	}
	h.subs[s] = struct{}{}
	return s, nil
}

// deliverable returns what s should receive for c, or nil. A change the viewer may not see
// never arrives, not even empty.
func (s *Subscription) deliverable(p *Projector, c *Change) *Change {
	switch s.feed {
	case FeedEscalationQueue:
		if !slices.Contains(c.QueueOrgs, s.v.actor.Org) {
			return nil
		}
	case FeedHandoffInbox:
		if !slices.Contains(c.InboxOrgs, s.v.actor.Org) {
			return nil
		}
	}
	now := p.canSee(s.v, c.aud, c.readers)
	if now {
		if s.filter != nil && s.feed == FeedIncidents && !s.filter.matchesAudience(c) {
			return nil
		}
		if s.feed == FeedPartner {
			d := *c
			d.Reason, d.Drill = ReasonFor(s.v.actor, c.aud), c.aud.Drill
			return &d
		}
		return c
	}
	if c.before.Origin != "" && p.canSee(s.v, c.before, c.beforeReaders) {
		d := &Change{Sequence: c.Sequence, IncidentID: c.IncidentID, Removed: true}
		if s.feed == FeedPartner {
			d.Reason, d.Drill = ReasonFor(s.v.actor, c.before), c.before.Drill
		}
		return d
	}
	return nil
}

// matchesAudience applies the board filter's organisation and TLP parts to a change; fields
// that need the full incident (status, text, ...) are applied by the resolver when it reads it.
func (f *BoardFilter) matchesAudience(c *Change) bool {
	if len(f.TLP) > 0 && !slices.Contains(f.TLP, c.aud.TLP) {
		return false
	}
	if f.Drill != nil && *f.Drill != c.aud.Drill {
		return false
	}
	if f.Org != "" {
		a := c.aud
		return f.Org == a.Origin || f.Org == a.Lead || f.Org == a.Owner || slices.Contains(a.Shared, f.Org) ||
			slices.Contains(a.EscalatedTo, f.Org) || slices.Contains(a.HandoffTo, f.Org)
	}
	return true
}

func (h *hub) publish(c *Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.retain(c)
	for s := range h.subs {
		d := s.deliverable(h.p, c)
		if d == nil {
			continue
		}
		select {
		case s.c <- d:
		default:
			h.drop(s, fmt.Errorf("%w (more than %d changes waiting)", ErrTooSlow, cap(s.c)))
		}
	}
}

// advance records a sequence that changed no incident, so resumption knows it was seen.
func (h *hub) advance(seq uint64) {
	h.mu.Lock()
	h.last = max(h.last, seq)
	h.mu.Unlock()
}

func (h *hub) retain(c *Change) {
	h.last = c.Sequence
	if len(h.ring) >= h.max {
		drop := max(h.max/8, 1)
		h.floor = h.ring[drop-1].Sequence
		h.ring = append(h.ring[:0], h.ring[drop:]...)
	}
	h.ring = append(h.ring, c)
}
