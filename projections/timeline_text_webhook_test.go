package projections

import "github.com/dieuphoi/dieuphoi/domain"

// tlTestExtraCases are the timeline cases of event types whose sentences live outside
// timeline_text.go (see tlExtra).
func tlTestExtraCases() []tlTestCase {
	secret := "https://hook.example.vn/in?token=s3cr3t"
	return []tlTestCase{
		{name: "WebhookRegistered", actor: tlTestCERT,
			event: domain.WebhookRegistered{
				WebhookID:    "wh-1",
				Org:          "cert-health",
				URL:          secret,
				Description:  "Chuyển tiếp tới SOC y tế",
				FromSequence: 41,
				Stamp:        domain.Stamp{By: tlTestCERT, At: tlTestAt},
			},
			orgs:   []string{"cert-health"},
			vi:     []string{"đã đăng ký webhook", "“Chuyển tiếp tới SOC y tế”"},
			en:     []string{"registered a webhook receiving incident updates for"},
			absent: []string{secret, "s3cr3t", "hook.example.vn"}},
		{name: "WebhookDisabled", actor: tlTestCERT,
			event: domain.WebhookDisabled{WebhookID: "wh-1", Reason: "đổi hệ thống tiếp nhận", Stamp: domain.Stamp{By: tlTestCERT, At: tlTestAt}},
			vi:    []string{"đã tắt một webhook: đổi hệ thống tiếp nhận"},
			en:    []string{"disabled a webhook: đổi hệ thống tiếp nhận"}},
		{name: "WebhookDeliveryFailed", actor: tlTestCERT,
			event: domain.WebhookDeliveryFailed{
				WebhookID: "wh-1",
				Sequence:  57,
				Attempts:  10,
				Status:    503,
				Error:     "HTTP 503 Service Unavailable",
				Stamp:     domain.Stamp{By: domain.SystemActor, At: tlTestAt},
			},
			vi: []string{"không chuyển được thay đổi số 57 tới webhook sau 10 lần thử (HTTP 503)"},
			en: []string{"could not deliver change 57 to the webhook after 10 attempts (HTTP 503)"}},
	}
}
