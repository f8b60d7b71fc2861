package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections"
)

// Webhook delivery defaults.
const (
	// DefaultWebhookMaxDeliver is how many times a change is tried before it is dead-lettered.
	DefaultWebhookMaxDeliver = 10
	// DefaultWebhookAckWait is how long a replica may hold a change before JetStream gives it
	// to another replica: longer than an HTTP attempt, renewed while waiting for the read
	// models.
	DefaultWebhookAckWait = 30 * time.Second
	// DefaultWebhookTimeout bounds one HTTP attempt.
	DefaultWebhookTimeout = 10 * time.Second
	// DefaultWebhookFetchWait is how long one pull waits for a change: it also bounds how long a
	// stopping worker takes.
	DefaultWebhookFetchWait = 5 * time.Second
	// WebhookSignaturePrefix starts the signed text: prefix + "\n" + t + "\n" + body.
	WebhookSignaturePrefix = "dieuphoi-webhook-v1"
	// Headers of a delivery.
	HeaderWebhookID        = "Dieuphoi-Webhook-Id"
	HeaderWebhookDelivery  = "Dieuphoi-Delivery"
	HeaderWebhookSignature = "Dieuphoi-Signature"
)

// DefaultWebhookBackoff is the wait after each failed attempt; the last value repeats.
var DefaultWebhookBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute,
	10 * time.Minute, 30 * time.Minute}

// Webhooks delivers incident changes to registered webhooks. Every replica runs it for every
// enabled webhook, pulling from the same durable JetStream consumer ("DP_WEBHOOK_<id>"), so a
// change is held by one replica at a time and given to another by JetStream if that replica
// stops before acknowledging it. Each change is POSTed, signed, with the incident as the
// webhook's organisation may see it now; a change it may not see is acknowledged and never
// sent. Failed attempts are retried after Backoff; after MaxDeliver attempts the change goes on
// the webhook's dead-letter list (WebhookDeliveryFailed).
//
// Delivery is at least once: a replica that dies between the endpoint's 2xx and the
// acknowledgement lets another replica deliver the change again, so partners deduplicate by
// the Dieuphoi-Delivery header (the stream sequence). Otherwise each change is delivered once.
//
// Set the exported fields before Run; zero values take the defaults.
type Webhooks struct {
	app    *App
	store  *eventstore.Store
	proj   *projections.Projector
	key    ed25519.PrivateKey
	log    *slog.Logger
	client *http.Client

	MaxDeliver int
	Backoff    []time.Duration
	AckWait    time.Duration
	FetchWait  time.Duration
	Now        func() time.Time // the signature's clock; nil = time.Now
}

// NewWebhooks returns the delivery workers of one replica. key signs deliveries (the server's
// token key: partners verify with its public key, served by WebhookKeysHandler). client may be
// nil: then one with a 10 s timeout that follows redirects only to the same scheme and host is
// used; a client given without a timeout or redirect policy gets those.
func NewWebhooks(app *App, store *eventstore.Store, proj *projections.Projector, key ed25519.PrivateKey, log *slog.Logger, client *http.Client) *Webhooks {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &http.Client{}
	if client != nil {
		*c = *client
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultWebhookTimeout
	}
	if c.CheckRedirect == nil {
		c.CheckRedirect = sameOriginRedirect
	}
	return &Webhooks{app: app, store: store, proj: proj, key: key, log: log, client: c}
}

// sameOriginRedirect follows at most 3 redirects that keep the scheme, host and method (307 and
// 308: a POST that would turn into a GET is not followed); the redirect answer itself then
// counts as the attempt's failure.
func sameOriginRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	if len(via) > 3 || req.URL.Scheme != first.URL.Scheme || req.URL.Host != first.URL.Host || req.Method != first.Method {
		return http.ErrUseLastResponse
	}
	return nil
}

func (w *Webhooks) defaults() {
	if w.MaxDeliver <= 0 {
		w.MaxDeliver = DefaultWebhookMaxDeliver
	}
	if len(w.Backoff) == 0 {
		w.Backoff = DefaultWebhookBackoff
	}
	if w.AckWait <= 0 {
		w.AckWait = DefaultWebhookAckWait
	}
	if w.FetchWait <= 0 {
		w.FetchWait = DefaultWebhookFetchWait
	}
	if w.Now == nil {
		w.Now = time.Now
	}
}

var consumerNameRe = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// WebhookConsumer returns the name of a webhook's durable consumer on the event stream.
func WebhookConsumer(webhookID string) string {
	return "DP_WEBHOOK_" + consumerNameRe.ReplaceAllString(webhookID, "_")
}

// Run starts a worker for every enabled webhook and stops it (deleting its consumer) when the
// webhook is disabled, following the read models, until ctx ends; it returns once every worker
// has stopped. It first waits for the read models to catch up with the log, so that a webhook
// disabled while this replica was down is not revived.
func (w *Webhooks) Run(ctx context.Context) error {
	w.defaults()
	if last, err := w.lastSequence(ctx); err != nil {
		return err
	} else if err := w.proj.WaitFor(ctx, last); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	type worker struct {
		cancel context.CancelFunc
		done   chan struct{}
	}
	workers := map[string]*worker{}
	var wg sync.WaitGroup
	defer func() {
		for _, wk := range workers {
			wk.cancel()
		}
		wg.Wait()
	}()
	deleted := map[string]bool{}
	for {
		hooks, changed := w.proj.Webhooks.All()
		var retry <-chan time.Time
		for _, h := range hooks {
			wk, running := workers[h.ID]
			switch {
			case !h.Disabled && !running:
				wctx, cancel := context.WithCancel(ctx)
				wk = &worker{cancel: cancel, done: make(chan struct{})}
				workers[h.ID] = wk
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer close(wk.done)
					w.work(wctx, h)
				}()
			case h.Disabled:
				if running {
					wk.cancel()
					<-wk.done
					delete(workers, h.ID)
				}
				if !deleted[h.ID] {
					err := w.store.JetStream().DeleteConsumer(ctx, w.store.Config().Stream, WebhookConsumer(h.ID))
					if err == nil || errors.Is(err, jetstream.ErrConsumerNotFound) {
						deleted[h.ID] = true
					} else if ctx.Err() == nil {
						w.log.Warn("webhook: deleting the consumer of a disabled webhook; will retry", "webhook", h.ID, "err", err)
						retry = time.After(5 * time.Second)
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-retry:
		}
	}
}

func (w *Webhooks) lastSequence(ctx context.Context) (uint64, error) {
	for {
		last, err := w.store.LastSequence(ctx)
		if err == nil || ctx.Err() != nil {
			return last, ctx.Err()
		}
		w.log.Warn("webhook: event stream unreachable; retrying", "err", err)
		if !sleep(ctx, time.Second) {
			return 0, nil
		}
	}
}

// sleep waits d or until ctx ends; it reports whether the wait was complete.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (w *Webhooks) consumerConfig(h projections.WebhookInfo) jetstream.ConsumerConfig {
	// No BackOff in the consumer: JetStream would use its first value as the ack wait, and
	// hand a change to another replica while this one is still waiting for the endpoint. The
	// schedule is applied with NakWithDelay instead. No InactiveThreshold: the consumer must
	// outlive every replica's downtime.
	return jetstream.ConsumerConfig{
		Durable:       WebhookConsumer(h.ID),
		Description:   "dieuphoi webhook " + h.ID + " of " + h.Org,
		FilterSubject: w.store.Config().SubjectPrefix + ".incident.>",
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   h.FromSequence + 1,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       w.AckWait,
		MaxDeliver:    w.MaxDeliver,
		MaxAckPending: 1000,
	}
}

// work delivers one webhook's changes until ctx ends, recreating its consumer after errors.
func (w *Webhooks) work(ctx context.Context, h projections.WebhookInfo) {
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		if !w.proj.Webhooks.Enabled(h.ID) {
			return // disabled a moment ago: Run stops this worker and deletes the consumer
		}
		cons, err := w.store.JetStream().CreateOrUpdateConsumer(ctx, w.store.Config().Stream, w.consumerConfig(h))
		if err == nil {
			err = w.pull(ctx, h, cons)
		}
		if ctx.Err() != nil {
			return
		}
		w.log.Warn("webhook: consumer stopped; retrying", "webhook", h.ID, "err", err)
		if !sleep(ctx, pause) {
			return
		}
		pause = min(2*pause, 10*time.Second)
	}
}

// pull fetches one change at a time (a change waiting in a local buffer would use up its ack
// wait there) and delivers it.
func (w *Webhooks) pull(ctx context.Context, h projections.WebhookInfo, cons jetstream.Consumer) error {
	lastCheck := time.Now()
	for ctx.Err() == nil {
		// Not bound to ctx: a change the server sends while we stop is given back (Nak) at
		// once, instead of waiting for its ack wait on a fetch that was abandoned.
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(w.FetchWait))
		if err != nil {
			return err
		}
		got := false
		for msg := range batch.Messages() {
			got = true
			if ctx.Err() != nil {
				_ = msg.Nak()
				continue
			}
			w.deliver(ctx, h, msg)
		}
		if err := batch.Error(); err != nil {
			return err
		}
		// A pull on a consumer that was deleted just times out: look now and then.
		if !got && time.Since(lastCheck) > 6*w.FetchWait {
			lastCheck = time.Now()
			if _, err := cons.Info(ctx); errors.Is(err, jetstream.ErrConsumerNotFound) {
				return err
			}
		}
	}
	return nil
}

// deliver handles one change: wait until the read models contain it, skip what the webhook's
// organisation may not see, POST the rest; acknowledge, retry later, or dead-letter.
func (w *Webhooks) deliver(ctx context.Context, h projections.WebhookInfo, msg jetstream.Msg) {
	md, err := msg.Metadata()
	if err != nil {
		_ = msg.Term()
		return
	}
	seq, attempt := md.Sequence.Stream, int(md.NumDelivered)
	if !w.waitApplied(ctx, msg, seq) {
		_ = msg.Nak() // stopping: another replica takes it now
		return
	}
	c, err := eventstore.DecodeMessage(msg)
	if err != nil {
		w.log.Error("webhook: a change does not decode; dead-lettered", "webhook", h.ID, "sequence", seq, "err", err)
		w.deadLetter(ctx, h, msg, seq, attempt, 0, "the change does not decode")
		return
	}
	var cp *eventstore.Checkpoint
	if latest, err := w.store.LatestCheckpoint(ctx); err == nil {
		cp = &latest
	}
	body, ok := w.payload(h, seq, c, cp)
	if !ok {
		_ = msg.Ack() // not visible to the organisation (now): never sent
		return
	}
	status, err := w.post(h, seq, body)
	if err == nil {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := msg.DoubleAck(actx); err != nil {
			w.log.Warn("webhook: delivered but the acknowledgement was not confirmed; it may be delivered again", "webhook", h.ID, "sequence", seq, "err", err)
		}
		return
	}
	if attempt >= w.MaxDeliver {
		w.log.Warn("webhook: delivery failed for the last time; dead-lettered", "webhook", h.ID, "sequence", seq, "attempts", attempt, "status", status)
		w.deadLetter(ctx, h, msg, seq, attempt, status, err.Error())
		return
	}
	delay := w.Backoff[min(attempt, len(w.Backoff))-1]
	w.log.Info("webhook: delivery failed; will retry", "webhook", h.ID, "sequence", seq, "attempt", attempt, "status", status, "retryIn", delay)
	_ = msg.NakWithDelay(delay)
}

// waitApplied waits until the read models contain seq, telling JetStream that the change is
// still being worked on so that it is not given to another replica meanwhile. false: ctx ended.
func (w *Webhooks) waitApplied(ctx context.Context, msg jetstream.Msg, seq uint64) bool {
	for w.proj.Applied() < seq {
		wctx, cancel := context.WithTimeout(ctx, w.AckWait/3)
		err := w.proj.WaitFor(wctx, seq)
		cancel()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		_ = msg.InProgress()
	}
	return true
}

// deadLetter records WebhookDeliveryFailed (retrying a little: JetStream will not deliver the
// change again) and terminates the message.
func (w *Webhooks) deadLetter(ctx context.Context, h projections.WebhookInfo, msg jetstream.Msg, seq uint64, attempts, status int, reason string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.AckWait/2)
	defer cancel()
	req := Request{Actor: domain.SystemActor, AggregateID: h.ID, At: w.Now(), NoWait: true,
		Key:     "webhook-dlq/" + h.ID + "/" + strconv.FormatUint(seq, 10),
		Command: domain.RecordDeliveryFailure{Sequence: seq, Attempts: attempts, Status: status, Error: reason}}
	for try := 1; ; try++ {
		_, err := w.app.Execute(rctx, req)
		if err == nil || domain.ErrorCode(err) != domain.EINTERNAL {
			if err != nil {
				w.log.Error("webhook: the dead letter was refused", "webhook", h.ID, "sequence", seq, "err", err)
			}
			break
		}
		if try == 5 || !sleep(rctx, time.Duration(try)*200*time.Millisecond) {
			w.log.Error("webhook: the dead letter could not be recorded", "webhook", h.ID, "sequence", seq, "err", err)
			break
		}
		_ = msg.InProgress()
	}
	_ = msg.Term()
}
