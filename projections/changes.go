package projections

import (
	"slices"

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
	entries                []entry // the commit's timeline entries, to tell what a viewer may see of it
}

// visibleTypes returns the event types of the change a viewer who may read the incident may
// see, and whether there is any: a note or indicator labelled stricter than the viewer may read
// is left out, and a change made of such items only is not for the viewer at all.
func (c *Change) visibleTypes(a domain.Actor, cfg *domain.Config) ([]string, bool) {
	out := c.Types
	for k := range c.entries {
		if !c.entries[k].visibleTo(a, c.aud, cfg) {
			out = nil
			break
		}
	}
	if out != nil {
		return out, true
	}
	for k := range c.entries {
		if c.entries[k].visibleTo(a, c.aud, cfg) {
			out = append(out, c.Types[k])
		}
	}
	return out, len(out) > 0
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

// IncidentSubscription is a subscription to incident changes.
type IncidentSubscription = Subscription[*Change]

// Subscribe opens a feed of incident changes for viewer. With since > 0 it first delivers every
// retained change after since, then live ones, with no gap and no duplicate. A since older
// than what this replica retains is EINVALID (reload, then subscribe from the sequence the
// reload returned).
func (x *Incidents) Subscribe(viewer domain.Actor, kind Feed, filter *BoardFilter, since uint64, buffer int) (*IncidentSubscription, error) {
	v := x.viewer(viewer)
	if !v.ok {
		return nil, domain.Errorf(domain.EFORBIDDEN, "role %s of organisation %q has no feed to subscribe to", viewer.Role, viewer.Org)
	}
	if x.changes == nil {
		return nil, domain.Errorf(domain.EINTERNAL, "these read models keep no changes")
	}
	return x.changes.subscribe(func(c *Change) (*Change, bool) {
		d := x.deliverable(v, kind, filter, c)
		return d, d != nil
	}, since, buffer, "the incidents")
}

// Subscribers returns how many subscriptions are open (for /metrics).
func (x *Incidents) Subscribers() int {
	if x.changes == nil {
		return 0
	}
	return x.changes.count()
}

// CloseSubscriptions ends every subscription with ErrClosed (shutdown).
func (x *Incidents) CloseSubscriptions() {
	if x.changes != nil {
		x.changes.closeAll(ErrClosed)
	}
}

// deliverable returns what a subscriber should receive of c, or nil. A change the viewer may not see
// never arrives, not even empty.
func (x *Incidents) deliverable(v viewer, kind Feed, filter *BoardFilter, c *Change) *Change {
	switch kind {
	case FeedEscalationQueue:
		if !slices.Contains(c.QueueOrgs, v.actor.Org) {
			return nil
		}
	case FeedHandoffInbox:
		if !slices.Contains(c.InboxOrgs, v.actor.Org) {
			return nil
		}
	}
	now := x.canSee(v, c.aud, c.readers)
	if now {
		if filter != nil && kind == FeedIncidents && !filter.matchesAudience(c) {
			return nil
		}
		types, any := c.visibleTypes(v.actor, x.cfg)
		if !any {
			return nil // a change the viewer may not see never arrives, not even empty
		}
		if kind == FeedPartner || len(types) != len(c.Types) {
			d := *c
			d.Types = types
			if kind == FeedPartner {
				d.Reason, d.Drill = ReasonFor(v.actor, c.aud), c.aud.Drill
			}
			return &d
		}
		return c
	}
	if c.before.Origin != "" && x.canSee(v, c.before, c.beforeReaders) {
		d := &Change{Sequence: c.Sequence, IncidentID: c.IncidentID, Removed: true}
		if kind == FeedPartner {
			d.Reason, d.Drill = ReasonFor(v.actor, c.before), c.before.Drill
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
			slices.Contains(a.EscalatedTo, f.Org) || slices.Contains(a.HandoffTo, f.Org) || slices.Contains(a.FormerOwners, f.Org)
	}
	return true
}
