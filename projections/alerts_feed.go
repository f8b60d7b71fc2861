package projections

import (
	"sync"

	"github.com/dieuphoi/dieuphoi/domain"
)

// alertRetained is how many recent alert changes a replica keeps for alertTriage subscribers
// resuming with since (about 13 s at 20,000 alerts a second, hours at ordinary rates).
const alertRetained = 1 << 18

// AlertChange is one change on the alertTriage feed: an alert received, repeated, suppressed
// while current, correlated, dismissed, promoted, merged or detached (AlertID set), a report
// suppressed with no current alert (Rule set, AlertID empty), or a suppression rule set or
// removed (Rule set, Types empty).
type AlertChange struct {
	Sequence uint64
	AlertID  string
	Rule     string
	Source   string
	TLP      domain.TLP
	Types    []string
}

type alertFeed struct {
	mu    sync.Mutex
	ring  []AlertChange
	max   int
	floor uint64 // changes at or below it may have been dropped
	last  uint64
	subs  map[*AlertSubscription]struct{}
}

func (f *alertFeed) init(max int) {
	f.max, f.subs = max, map[*AlertSubscription]struct{}{}
}

// AlertSubscription is one alertTriage subscriber. Read C until it is closed; Err says why.
type AlertSubscription struct {
	C      <-chan AlertChange
	c      chan AlertChange
	f      *alertFeed
	viewer domain.Actor
	vis    func(string, domain.TLP, string) bool
	rule   func(string) bool
	err    error
	closed bool
}

func (f *alertFeed) publish(seq uint64, changes []AlertChange) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = seq
	if len(changes) == 0 {
		return
	}
	f.ring = append(f.ring, changes...)
	if len(f.ring) > 2*f.max {
		drop := len(f.ring) - f.max
		f.floor = f.ring[drop-1].Sequence
		f.ring = append([]AlertChange(nil), f.ring[drop:]...)
	}
	for s := range f.subs {
		for _, ch := range changes {
			if !s.sees(ch) {
				continue
			}
			select {
			case s.c <- ch:
			default:
				f.drop(s, ErrTooSlow)
			}
			if s.closed {
				break
			}
		}
	}
}

func (s *AlertSubscription) sees(ch AlertChange) bool {
	if ch.AlertID == "" && len(ch.Types) == 0 { // a rule
		return s.rule(ch.Source)
	}
	if ch.AlertID == "" { // a suppressed report: counted for whoever triages its source
		return s.rule(ch.Source)
	}
	return s.vis(ch.Source, ch.TLP, "")
}

func (f *alertFeed) drop(s *AlertSubscription, reason error) {
	if s.closed {
		return
	}
	s.closed, s.err = true, reason
	delete(f.subs, s)
	close(s.c)
}

// SubscribeTriage opens an alertTriage feed for viewer: every later change of an alert (or rule)
// the viewer may triage, and first the retained ones after since (0: from now). A since older
// than what is retained is INVALID: reload, then subscribe from the sequence the reload returned.
func (a *Alerts) SubscribeTriage(viewer domain.Actor, since uint64, buffer int) (*AlertSubscription, error) {
	if viewer.Role != domain.RoleCoordinator && viewer.Role != domain.RoleResponder {
		return nil, domain.Errorf(domain.EFORBIDDEN, "only coordinators and responders triage alerts")
	}
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	orgVis := a.visibleFn(viewer)
	var visMu sync.Mutex // visibleFn caches in a map; publish and replay may call it
	s := &AlertSubscription{c: make(chan AlertChange, buffer), viewer: viewer,
		vis: func(src string, tlp domain.TLP, _ string) bool {
			visMu.Lock()
			defer visMu.Unlock()
			return orgVis(src, tlp, a.sourceOrg(src))
		},
		rule: func(src string) bool { return a.mayReadRule(viewer, src) }}
	s.C, s.f = s.c, &a.feed
	f := &a.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if since > 0 && since < f.floor {
		return nil, domain.Errorf(domain.EINVALID, "since %d is older than the changes this replica keeps (from %d); reload the alerts, then subscribe from the sequence the reload returned", since, f.floor)
	}
	if since > 0 {
		for _, ch := range f.ring {
			if ch.Sequence <= since || !s.sees(ch) {
				continue
			}
			select {
			case s.c <- ch:
			default:
				return nil, domain.Errorf(domain.EINVALID, "more than %d changes since %d; reload the alerts, then subscribe from the sequence the reload returned", buffer, since)
			}
		}
	}
	f.subs[s] = struct{}{}
	return s, nil
}

// Err returns why the subscription ended.
func (s *AlertSubscription) Err() error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return s.err
}

// Close ends the subscription; C is closed.
func (s *AlertSubscription) Close() {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.drop(s, nil)
}

// CloseSubscriptions ends every alertTriage subscription with ErrClosed (shutdown).
func (a *Alerts) CloseSubscriptions() {
	a.feed.mu.Lock()
	defer a.feed.mu.Unlock()
	for s := range a.feed.subs {
		a.feed.drop(s, ErrClosed)
	}
}

// TriageSubscribers returns how many alertTriage subscriptions are open.
func (a *Alerts) TriageSubscribers() int {
	a.feed.mu.Lock()
	defer a.feed.mu.Unlock()
	return len(a.feed.subs)
}
