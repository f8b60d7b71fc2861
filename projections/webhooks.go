package projections

import (
	"slices"
	"strings"
	"sync"
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

// Webhooks is the read model of registered webhooks and their dead letters. Its zero value is
// ready.
type Webhooks struct {
	mu sync.RWMutex
	m  map[string]*WebhookInfo
	// changed is closed (and forgotten) whenever a webhook is registered or disabled, so that
	// the delivery workers start and stop.
	changed chan struct{}
}

func (h *Webhooks) apply(c *eventstore.Commit, envs []eventstore.Envelope) {
	h.mu.Lock()
	defer h.mu.Unlock()
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

// List lists the webhooks of the viewer's organisation, oldest first, without their dead
// letters. Only its coordinators and admins may list them (URLs may hold secrets).
func (h *Webhooks) List(viewer domain.Actor) ([]WebhookInfo, error) {
	if err := mayListWebhooks(viewer); err != nil {
		return nil, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := []WebhookInfo{}
	for _, w := range h.m {
		if w.Org == viewer.Org {
			out = append(out, w.clone(false))
		}
	}
	sortWebhooks(out)
	return out, nil
}

// Get returns one webhook of the viewer's organisation with its dead letters; another
// organisation's is ENOTFOUND, as if it did not exist.
func (h *Webhooks) Get(viewer domain.Actor, id string) (WebhookInfo, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	w := h.m[id]
	if w == nil || w.Org != viewer.Org || viewer.Org == "" {
		return WebhookInfo{}, domain.Errorf(domain.ENOTFOUND, "webhook %q not found", id)
	}
	if err := mayListWebhooks(viewer); err != nil {
		return WebhookInfo{}, err
	}
	return w.clone(true), nil
}

// DeadLetters lists the changes that could not be delivered to a webhook of the viewer's
// organisation, oldest first.
func (h *Webhooks) DeadLetters(viewer domain.Actor, id string) ([]DeadLetter, error) {
	w, err := h.Get(viewer, id)
	if err != nil {
		return nil, err
	}
	if w.DeadLetters == nil {
		w.DeadLetters = []DeadLetter{}
	}
	return w.DeadLetters, nil
}

// All returns every webhook (for the delivery workers) and a channel closed at the next
// registration or disabling.
func (h *Webhooks) All() ([]WebhookInfo, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.changed == nil {
		h.changed = make(chan struct{})
	}
	out := make([]WebhookInfo, 0, len(h.m))
	for _, w := range h.m {
		out = append(out, w.clone(false))
	}
	sortWebhooks(out)
	return out, h.changed
}

// Enabled reports whether the read model knows the webhook as registered and enabled.
func (h *Webhooks) Enabled(id string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	w := h.m[id]
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
