package projections

import (
	"slices"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// WebhookInfo is a registered webhook as the read side knows it.
type WebhookInfo struct {
	ID             string
	Org            string
	URL            string
	Description    string
	FromSequence   uint64 // deliveries start after this stream sequence
	RegisteredBy   domain.Actor
	RegisteredAt   time.Time
	Disabled       bool
	DisabledReason string
	DisabledAt     *time.Time
	DeadLetters    []DeadLetter // oldest first
	Sequence       uint64       // last stream sequence that changed it
}

// DeadLetter is a change that could not be delivered to a webhook after every allowed attempt.
type DeadLetter struct {
	Sequence uint64 // stream sequence of the change
	Attempts int
	Status   int // HTTP status of the last attempt; 0 when there was no answer
	Error    string
	At       time.Time
}

// webhookModels holds the webhooks; guarded by Projector.mu. Its zero value is ready.
type webhookModels struct {
	m map[string]*WebhookInfo
	// changed is closed (and forgotten) whenever a webhook is registered or disabled, so that
	// the delivery workers start and stop.
	changed chan struct{}
}

func (h *webhookModels) apply(c *eventstore.Commit, envs []eventstore.Envelope) {
	if h.m == nil {
		h.m = map[string]*WebhookInfo{}
	}
	notify := false
	for _, e := range envs {
		switch ev := e.Event.(type) {
		case domain.WebhookRegistered:
			h.m[ev.WebhookID] = &WebhookInfo{ID: ev.WebhookID, Org: ev.Org, URL: ev.URL, Description: ev.Description,
				FromSequence: ev.FromSequence, RegisteredBy: ev.By, RegisteredAt: ev.At.UTC(), Sequence: c.Sequence}
			notify = true
		case domain.WebhookDisabled:
			if w := h.m[ev.WebhookID]; w != nil {
				at := ev.At.UTC()
				w.Disabled, w.DisabledReason, w.DisabledAt, w.Sequence = true, ev.Reason, &at, c.Sequence
				notify = true
			}
		case domain.WebhookDeliveryFailed:
			if w := h.m[ev.WebhookID]; w != nil {
				w.DeadLetters = append(w.DeadLetters, DeadLetter{Sequence: ev.Sequence, Attempts: ev.Attempts, Status: ev.Status,
					Error: ev.Error, At: ev.At.UTC()})
				w.Sequence = c.Sequence
			}
		}
	}
	if notify && h.changed != nil {
		close(h.changed)
		h.changed = nil
	}
}

func (w *WebhookInfo) clone(withDeadLetters bool) WebhookInfo {
	c := *w
	c.DeadLetters = nil
	if withDeadLetters {
		c.DeadLetters = slices.Clone(w.DeadLetters)
	}
	return c
}

// mayListWebhooks: a coordinator or admin of the organisation, as for registering.
func mayListWebhooks(a domain.Actor) error {
	if a.Org == "" || a.Role != domain.RoleCoordinator && a.Role != domain.RoleAdmin {
		return domain.Errorf(domain.EFORBIDDEN, "only a coordinator or an admin sees the organisation's webhooks")
	}
	return nil
}

// Webhooks lists the webhooks of the viewer's organisation, oldest first, without their dead
// letters. Only its coordinators and admins may list them (URLs may hold secrets).
func (p *Projector) Webhooks(viewer domain.Actor) ([]WebhookInfo, error) {
	if err := mayListWebhooks(viewer); err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := []WebhookInfo{}
	for _, w := range p.hooks.m {
		if w.Org == viewer.Org {
			out = append(out, w.clone(false))
		}
	}
	sortWebhooks(out)
	return out, nil
}

// Webhook returns one webhook of the viewer's organisation with its dead letters; another
// organisation's is ENOTFOUND, as if it did not exist.
func (p *Projector) Webhook(viewer domain.Actor, id string) (WebhookInfo, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	w := p.hooks.m[id]
	if w == nil || w.Org != viewer.Org || viewer.Org == "" {
		return WebhookInfo{}, domain.Errorf(domain.ENOTFOUND, "webhook %q not found", id)
	}
	if err := mayListWebhooks(viewer); err != nil {
		return WebhookInfo{}, err
	}
	return w.clone(true), nil
}

// WebhookDeadLetters lists the changes that could not be delivered to a webhook of the viewer's
// organisation, oldest first.
func (p *Projector) WebhookDeadLetters(viewer domain.Actor, id string) ([]DeadLetter, error) {
	w, err := p.Webhook(viewer, id)
	if err != nil {
		return nil, err
	}
	if w.DeadLetters == nil {
		w.DeadLetters = []DeadLetter{}
	}
	return w.DeadLetters, nil
}

// allWebhooks returns every webhook (for the delivery workers) and a channel closed at the next
// registration or disabling.
func (p *Projector) allWebhooks() ([]WebhookInfo, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hooks.changed == nil {
		p.hooks.changed = make(chan struct{})
	}
	out := make([]WebhookInfo, 0, len(p.hooks.m))
	for _, w := range p.hooks.m {
		out = append(out, w.clone(false))
	}
	sortWebhooks(out)
	return out, p.hooks.changed
}

// webhookEnabled reports whether the read models know the webhook as registered and enabled.
func (p *Projector) webhookEnabled(id string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	w := p.hooks.m[id]
	return w != nil && !w.Disabled
}

func sortWebhooks(ws []WebhookInfo) {
	slices.SortFunc(ws, func(a, b WebhookInfo) int {
		if c := a.RegisteredAt.Compare(b.RegisteredAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// partnerSummary returns the incident as viewer may see it now, and why, or ok=false when it
// may not (or the incident does not exist).
func (p *Projector) partnerSummary(viewer domain.Actor, id string, now time.Time) (s IncidentSummary, why PartnerReason, ok bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	m, err := p.lookup(viewer, id)
	if err != nil {
		return IncidentSummary{}, "", false
	}
	return p.summary(m, now), ReasonFor(viewer, m.aud), true
}
