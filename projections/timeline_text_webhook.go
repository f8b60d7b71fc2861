package projections

import (
	"strconv"

	"github.com/dieuphoi/dieuphoi/domain"
)

// tlExtra holds the sentences of event types kept outside timeline_text.go, by event type;
// Sentence consults it before its generic sentence. Files add to it in init.
var tlExtra = map[string]func(e domain.Event, actor domain.Actor, avi, aen string, cfg *domain.Config) (vi, en string){}

func init() {
	// Webhook events. The URL stays out: it may carry a secret in its query.
	tlExtra[domain.WebhookRegistered{}.EventType()] = func(ev domain.Event, _ domain.Actor, avi, aen string, cfg *domain.Config) (string, string) {
		e, _ := ev.(domain.WebhookRegistered)
		vi := avi + " đã đăng ký webhook nhận cập nhật sự cố cho " + tlOrgVi(cfg, e.Org)
		en := aen + " registered a webhook receiving incident updates for " + tlOrgEn(cfg, e.Org)
		if d := tlQuote(e.Description, tlShortExcerpt); d != "" {
			vi, en = vi+" ("+d+")", en+" ("+d+")"
		}
		return tlEnd(vi), tlEnd(en)
	}
	tlExtra[domain.WebhookDisabled{}.EventType()] = func(ev domain.Event, _ domain.Actor, avi, aen string, _ *domain.Config) (string, string) {
		e, _ := ev.(domain.WebhookDisabled)
		return tlWithReason(avi+" đã tắt một webhook", aen+" disabled a webhook", e.Reason)
	}
	tlExtra[domain.WebhookDeliveryFailed{}.EventType()] = func(ev domain.Event, _ domain.Actor, avi, aen string, _ *domain.Config) (string, string) {
		e, _ := ev.(domain.WebhookDeliveryFailed)
		seq := strconv.FormatUint(e.Sequence, 10)
		vi := avi + " không chuyển được thay đổi số " + seq + " tới webhook sau " + strconv.Itoa(e.Attempts) + " lần thử"
		en := aen + " could not deliver change " + seq + " to the webhook after " + tlCount(e.Attempts, "attempt", "attempts")
		if e.Status > 0 {
			vi += " (HTTP " + strconv.Itoa(e.Status) + ")"
			en += " (HTTP " + strconv.Itoa(e.Status) + ")"
		}
		return tlEnd(vi), tlEnd(en)
	}
}
