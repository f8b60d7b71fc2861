package timeline

import (
	"strconv"

	"github.com/dieuphoi/dieuphoi/domain"
)

// webhookSentences are the sentences of webhooks. The URL stays out: it may carry a secret in
// its query.
var webhookSentences = []entry{
	on(webhookRegistered),
	on(webhookDisabled),
	on(webhookDeliveryFailed),
}

func webhookRegistered(e domain.WebhookRegistered, n narrator) Text {
	t := cat(n.says(" đã đăng ký webhook nhận cập nhật sự cố cho ", " registered a webhook receiving incident updates for "), n.org(e.Org))
	if d := quote(e.Description, shortExcerpt); d != "" {
		t = cat(t, same(" ("+d+")"))
	}
	return t.end()
}

func webhookDisabled(e domain.WebhookDisabled, n narrator) Text {
	return n.says(" đã tắt một webhook", " disabled a webhook").because(e.Reason)
}

// webhookDeliveryFailed names the change by its log sequence; the receiver's error text stays
// out.
func webhookDeliveryFailed(e domain.WebhookDeliveryFailed, n narrator) Text {
	seq := strconv.FormatUint(e.Sequence, 10)
	t := n.says(" không chuyển được thay đổi số "+seq+" tới webhook sau "+strconv.Itoa(e.Attempts)+" lần thử",
		" could not deliver change "+seq+" to the webhook after "+count(e.Attempts, "attempt", "attempts"))
	if e.Status > 0 {
		t = cat(t, same(" (HTTP "+strconv.Itoa(e.Status)+")"))
	}
	return t.end()
}
