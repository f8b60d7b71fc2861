package projections

import (
	"slices"
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

	proposed []string // incidents an AlertCorrelated of the change proposed
}

// AlertSubscription is one alertTriage subscriber. Read C until it is closed; Err says why.
type AlertSubscription = Subscription[AlertChange]

// alertVisibility decides which alert changes a subscriber sees.
type alertVisibility struct {
	vis  func(string, domain.TLP, string) bool
	rule func(string) bool
}

func (s alertVisibility) sees(ch AlertChange) bool {
	if ch.AlertID == "" { // a rule, or a suppressed report: for whoever triages its source
		return s.rule(ch.Source)
	}
	return s.vis(ch.Source, ch.TLP, "")
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
	v := alertVisibility{
		vis: func(src string, tlp domain.TLP, _ string) bool {
			visMu.Lock()
			defer visMu.Unlock()
			return orgVis(src, tlp, a.sourceOrg(src))
		},
		rule: func(src string) bool { return a.mayReadRule(viewer, src) }}
	return a.feed.subscribe(func(ch AlertChange) (AlertChange, bool) {
		if !v.sees(ch) {
			return ch, false
		}
		return a.withoutHiddenProposals(viewer, ch)
	}, since, buffer, "the alerts")
}

// withoutHiddenProposals drops AlertCorrelated from a change for a viewer who may see none of
// the incidents it proposed: a correlation with a hidden incident leaves no trace; a change
// with nothing else is not delivered.
func (a *Alerts) withoutHiddenProposals(viewer domain.Actor, ch AlertChange) (AlertChange, bool) {
	if len(ch.proposed) == 0 || slices.ContainsFunc(ch.proposed, func(id string) bool { return a.seesIncident(viewer, id) }) {
		return ch, true
	}
	ch.Types = slices.DeleteFunc(slices.Clone(ch.Types), func(t string) bool { return t == "AlertCorrelated" })
	return ch, len(ch.Types) > 0
}

// CloseSubscriptions ends every alertTriage subscription with ErrClosed (shutdown).
func (a *Alerts) CloseSubscriptions() { a.feed.closeAll(ErrClosed) }

// TriageSubscribers returns how many alertTriage subscriptions are open.
func (a *Alerts) TriageSubscribers() int { return a.feed.count() }
