package timeline

import "github.com/dieuphoi/dieuphoi/domain"

// webhookTestCases are the timeline cases of webhooks.
func webhookTestCases() []testCase {
	secret := "https://hook.example.vn/in?token=s3cr3t"
	return []testCase{
		{name: "WebhookRegistered", actor: testCERT,
			event: domain.WebhookRegistered{
				WebhookID:    "wh-1",
				Org:          "cert-health",
				URL:          secret,
				Description:  "Chuyển tiếp tới SOC y tế",
				FromSequence: 41,
				Stamp:        domain.Stamp{By: testCERT, At: testAt},
			},
			orgs:   []string{"cert-health"},
			vi:     []string{"đã đăng ký webhook", "“Chuyển tiếp tới SOC y tế”"},
			en:     []string{"registered a webhook receiving incident updates for"},
			absent: []string{secret, "s3cr3t", "hook.example.vn"}},
		{name: "WebhookDisabled", actor: testCERT,
			event: domain.WebhookDisabled{WebhookID: "wh-1", Reason: "đổi hệ thống tiếp nhận", Stamp: domain.Stamp{By: testCERT, At: testAt}},
			vi:    []string{"đã tắt một webhook: đổi hệ thống tiếp nhận"},
			en:    []string{"disabled a webhook: đổi hệ thống tiếp nhận"}},
		{name: "WebhookDeliveryFailed", actor: testCERT,
			event: domain.WebhookDeliveryFailed{
				WebhookID: "wh-1",
				Sequence:  57,
				Attempts:  10,
				Status:    503,
				Error:     "HTTP 503 Service Unavailable",
				Stamp:     domain.Stamp{By: domain.SystemActor, At: testAt},
			},
			vi: []string{"không chuyển được thay đổi số 57 tới webhook sau 10 lần thử (HTTP 503)"},
			en: []string{"could not deliver change 57 to the webhook after 10 attempts (HTTP 503)"}},
	}
}
