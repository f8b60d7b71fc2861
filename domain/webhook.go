package domain

import (
	"net"
	"net/url"
	"strings"
	"unicode/utf8"
)

func init() {
	registerEvent[WebhookRegistered]("webhook", 1, nil)
	registerEvent[WebhookDisabled]("webhook", 1, nil)
	registerEvent[WebhookDeliveryFailed]("webhook", 1, nil)
	registerCommand((*Webhook).Register)
	registerCommand((*Webhook).Disable)
	registerCommand((*Webhook).RecordFailure)
}

// Webhook limits.
const (
	MaxWebhookURL         = 2048 // bytes
	maxWebhookDescription = 500  // bytes
	maxDeliveryError      = 1000 // bytes of a recorded delivery error
)

// Webhook is an organisation's HTTP endpoint that receives, signed, every incident change the
// organisation may see: for partners that cannot hold a websocket open. The aggregate id is a
// new id given when it is registered.
type Webhook struct {
	Recorder
	ID             string
	Org            string
	URL            string
	Description    string
	FromSequence   uint64 // deliveries start after this stream sequence
	Registered     bool
	Disabled       bool
	DisabledReason string
	// failed holds the stream sequences already dead-lettered, so that a repeated report of
	// the same failure records nothing.
	failed map[uint64]bool
}

// NewWebhook returns the not yet registered webhook with the given id.
func NewWebhook(id string) *Webhook { return &Webhook{ID: id} }

// AggregateType implements Aggregate.
func (*Webhook) AggregateType() string { return "webhook" }

// AggregateID implements Aggregate.
func (w *Webhook) AggregateID() string { return w.ID }

// Replay implements Aggregate.
func (w *Webhook) Replay(e Event) { w.apply(e) }

// WebhookRegistered records a new webhook.
type WebhookRegistered struct {
	WebhookID    string `json:"webhookId"`
	Org          string `json:"org"`
	URL          string `json:"url"`
	Description  string `json:"description,omitempty"`
	FromSequence uint64 `json:"fromSequence"`
	Stamp
}

// EventType implements Event.
func (WebhookRegistered) EventType() string { return "WebhookRegistered" }

// WebhookDisabled records that a webhook receives nothing more.
type WebhookDisabled struct {
	WebhookID string `json:"webhookId"`
	Reason    string `json:"reason,omitempty"`
	Stamp
}

// EventType implements Event.
func (WebhookDisabled) EventType() string { return "WebhookDisabled" }

// WebhookDeliveryFailed records a change that could not be delivered after every allowed
// attempt: an entry of the webhook's dead-letter list.
type WebhookDeliveryFailed struct {
	WebhookID string `json:"webhookId"`
	Sequence  uint64 `json:"sequence"`
	Attempts  int    `json:"attempts"`
	Status    int    `json:"status,omitempty"` // HTTP status of the last attempt; 0 when there was no answer
	Error     string `json:"error"`
	Stamp
}

// EventType implements Event.
func (WebhookDeliveryFailed) EventType() string { return "WebhookDeliveryFailed" }

// apply changes state from an event and reports whether it knew the event.
func (w *Webhook) apply(e Event) bool {
	switch e := e.(type) {
	case WebhookRegistered:
		w.Org, w.URL, w.Description, w.FromSequence, w.Registered = e.Org, e.URL, e.Description, e.FromSequence, true
	case WebhookDisabled:
		w.Disabled, w.DisabledReason = true, e.Reason
	case WebhookDeliveryFailed:
		if w.failed == nil {
			w.failed = map[uint64]bool{}
		}
		w.failed[e.Sequence] = true
	default:
		return false
	}
	return true
}

func (w *Webhook) record(e Event) { w.apply(e); w.add(e) }

// RegisterWebhook asks for deliveries to URL.
type RegisterWebhook struct {
	URL         string
	Description string
	// FromSequence is the log's last stream sequence when the request is made (the adapter
	// sets it, not the client): changes after it are delivered.
	FromSequence uint64
}

// CommandName implements Command.
func (RegisterWebhook) CommandName() string { return "RegisterWebhook" }

// mayManageWebhooks reports whether a may register and disable its organisation's webhooks.
func mayManageWebhooks(a Actor, org string) bool {
	return a == SystemActor || a.Org == org && (a.Role == RoleCoordinator || a.Role == RoleAdmin)
}

// Register records the webhook for the actor's organisation: a coordinator or an admin of an
// organisation of the directory. The URL must be https://, or http:// to the loopback host
// (tests and on-premises relays).
func (w *Webhook) Register(in Invocation, c RegisterWebhook) error {
	if w.Registered {
		return Errorf(ECONFLICT, "webhook %s is already registered", w.ID)
	}
	if in.Actor == SystemActor || !mayManageWebhooks(in.Actor, in.Actor.Org) {
		return Errorf(EFORBIDDEN, "only a coordinator or an admin of an organisation may register its webhooks")
	}
	if _, ok := in.Config.Org(in.Actor.Org); !ok {
		return Errorf(EFORBIDDEN, "organisation %q is not in the directory", in.Actor.Org)
	}
	u, err := WebhookURL(c.URL)
	if err != nil {
		return err
	}
	desc, err := textField("description", c.Description, maxWebhookDescription, false)
	if err != nil {
		return err
	}
	w.record(WebhookRegistered{
		WebhookID:    w.ID,
		Org:          in.Actor.Org,
		URL:          u,
		Description:  desc,
		FromSequence: c.FromSequence,
		Stamp:        Stamp{By: in.Actor, At: in.Now.UTC()},
	})
	return nil
}

// WebhookURL checks a webhook address and returns it trimmed: an absolute https:// URL (or
// http:// to 127.0.0.1, ::1 or localhost) of at most MaxWebhookURL bytes, with a host, without
// credentials (they would be stored in the log) and without a fragment.
func WebhookURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Errorf(EINVALID, "url is required: the https:// address that receives the deliveries")
	}
	if len(s) > MaxWebhookURL {
		return "", Errorf(EINVALID, "url is %d bytes; the limit is %d", len(s), MaxWebhookURL)
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "", Errorf(EINVALID, "url %q is not an absolute URL such as https://cert.example.vn/dieuphoi", trimText(s))
	}
	if u.User != nil {
		return "", Errorf(EINVALID, "url must not carry a user name or password: they would be stored in the log")
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return "", Errorf(EINVALID, "url must not have a #fragment")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if h := strings.ToLower(u.Hostname()); h != "localhost" && !isLoopbackLiteral(h) {
			return "", Errorf(EINVALID, "url must use https:// (http:// is allowed only for 127.0.0.1, ::1 or localhost)")
		}
	default:
		return "", Errorf(EINVALID, "url must use https://, not %s://", trimText(u.Scheme))
	}
	return s, nil
}

func isLoopbackLiteral(h string) bool {
	ip := net.ParseIP(h)
	return ip != nil && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback))
}

func trimText(s string) string {
	if len(s) > 80 {
		return strings.ToValidUTF8(s[:80], "") + "…"
	}
	return s
}

// DisableWebhook stops deliveries for good.
type DisableWebhook struct{ Reason string }

// CommandName implements Command.
func (DisableWebhook) CommandName() string { return "DisableWebhook" }

// Disable records that the webhook receives nothing more. A coordinator or admin of its
// organisation (or the system) may disable it; to anyone else it does not exist.
func (w *Webhook) Disable(in Invocation, c DisableWebhook) error {
	if !w.Registered || !mayManageWebhooks(in.Actor, w.Org) {
		if w.Registered && in.Actor.Org == w.Org {
			return Errorf(EFORBIDDEN, "only a coordinator or an admin of %s may disable its webhooks", w.Org)
		}
		return Errorf(ENOTFOUND, "webhook %q not found", w.ID)
	}
	if w.Disabled {
		return Errorf(ECONFLICT, "webhook %s is already disabled", w.ID)
	}
	reason, err := textField("reason", c.Reason, 2000, false)
	if err != nil {
		return err
	}
	w.record(WebhookDisabled{WebhookID: w.ID, Reason: reason, Stamp: in.Stamp()})
	return nil
}

// RecordDeliveryFailure puts a change that could not be delivered on the dead-letter list.
type RecordDeliveryFailure struct {
	Sequence uint64
	Attempts int
	Status   int // HTTP status of the last attempt, 0 when there was none
	Error    string
}

// CommandName implements Command.
func (RecordDeliveryFailure) CommandName() string { return "RecordDeliveryFailure" }

// RecordFailure records a dead letter; only the system (the delivery worker) may. A sequence
// already on the list records nothing.
func (w *Webhook) RecordFailure(in Invocation, c RecordDeliveryFailure) error {
	if in.Actor != SystemActor {
		return Errorf(EFORBIDDEN, "only the delivery worker records delivery failures")
	}
	if !w.Registered {
		return Errorf(ENOTFOUND, "webhook %q not found", w.ID)
	}
	if c.Sequence == 0 || c.Attempts < 1 || c.Status < 0 || c.Status > 999 {
		return Errorf(EINVALID, "a delivery failure needs a sequence, at least one attempt and an HTTP status (or 0)")
	}
	if w.failed[c.Sequence] {
		return nil
	}
	msg := strings.ToValidUTF8(strings.TrimSpace(c.Error), "�")
	if len(msg) > maxDeliveryError {
		cut := maxDeliveryError
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	w.record(WebhookDeliveryFailed{
		WebhookID: w.ID,
		Sequence:  c.Sequence,
		Attempts:  c.Attempts,
		Status:    c.Status,
		Error:     msg,
		Stamp:     Stamp{By: in.Actor, At: in.Now.UTC()},
	})
	return nil
}
