package timeline

import (
	"encoding/json"

	"github.com/dieuphoi/dieuphoi/domain"
)

// alertTestCases are the timeline cases of alerts and suppression rules.
func alertTestCases() []testCase {
	return []testCase{
		{name: "AlertReceived", actor: testIngest,
			event: domain.AlertReceived{
				Alert:      "alr-9",
				Org:        "soc-dic",
				Source:     "Wazuh SOC",
				SourceRef:  "wz-88121",
				Title:      "Nhiều lần đăng nhập thất bại vào cổng VPN",
				Severity:   domain.SeverityMedium,
				ObservedAt: testDeadline,
				Asset:      "vpn.dic.example.gov.vn",
				Indicators: []domain.AlertIndicator{{Type: domain.IndicatorIPv4, Value: "198.51.100.7"}},
				TLP:        domain.TLPAmber,
				Raw:        json.RawMessage(`{"rule":5710,"srcip":"198.51.100.7"}`),
				Stamp:      domain.Stamp{By: testIngest, At: testAt},
			},
			vi:     []string{"đã tiếp nhận cảnh báo “Nhiều lần đăng nhập thất bại vào cổng VPN” từ nguồn Wazuh SOC", "mức độ: Trung bình", "kèm 1 dấu hiệu xâm phạm", "ghi nhận lúc 14:30 21/11/2026"},
			en:     []string{"received the alert", "severity: Medium", "1 indicator", "observed at 2026-11-21 14:30 ICT"},
			absent: []string{"198.51.100.7", "5710", "vpn.dic.example.gov.vn"}},
		{name: "AlertRepeated", actor: testIngest,
			event: domain.AlertRepeated{Count: 4, Stamp: domain.Stamp{By: testIngest, At: testDeadline}},
			vi:    []string{"đã báo lại cảnh báo (tổng cộng 4 lần)", "14:30 21/11/2026"},
			en:    []string{"reported the alert again (4 times in all)", "2026-11-21 14:30 ICT"}},
		{name: "AlertDismissed", actor: testDIC,
			event: domain.AlertDismissed{Reason: "Quét định kỳ của đơn vị kiểm thử được cấp phép", Stamp: domain.Stamp{By: testDIC, At: testAt}},
			vi:    []string{"đã đóng cảnh báo, không lập sự cố: Quét định kỳ"}, en: []string{"dismissed the alert"}},
		{name: "AlertPromoted", actor: testDIC,
			event: domain.AlertPromoted{Incident: "inc-2026-0142", Stamp: domain.Stamp{By: testDIC, At: testAt}},
			vi:    []string{"đã chuyển cảnh báo vào sự cố inc-2026-0142."}, en: []string{"promoted the alert into incident inc-2026-0142."}},
		{name: "AlertPromoted merged", actor: testDIC,
			event: domain.AlertPromoted{Incident: "inc-2026-0142", Merged: true, Stamp: domain.Stamp{By: testDIC, At: testAt}},
			vi:    []string{"đã gộp cảnh báo vào sự cố inc-2026-0142."}, en: []string{"merged the alert into incident inc-2026-0142."}},
		{name: "AlertSuppressed", actor: testIngest,
			event: domain.AlertSuppressed{Rule: "sup-1", Report: domain.AlertReceived{Title: "Quét cổng", Source: "soc-dic"}},
			vi:    []string{"bị chặn theo quy tắc sup-1"}, en: []string{"suppressed by rule sup-1"}},
		{name: "AlertCorrelated", actor: testIngest,
			event: domain.AlertCorrelated{Alert: "a-1", Incidents: []string{"inc-1", "inc-2"}, Reason: "asset", Stamp: domain.Stamp{At: testAt}},
			vi:    []string{"2 sự cố đang mở"}, en: []string{"2 open incidents: inc-1, inc-2"}},
		{name: "AlertDetached", actor: testDIC,
			event: domain.AlertDetached{Alert: "a-1", Incident: "inc-1", Reason: "khác tài sản", Stamp: domain.Stamp{By: testDIC, At: testAt}},
			vi:    []string{"đã tách cảnh báo khỏi sự cố inc-1: khác tài sản"}, en: []string{"detached the alert from incident inc-1"}},
		{name: "IncidentAlertsMerged", actor: testDIC,
			event: domain.IncidentAlertsMerged{Alerts: []string{"a-1", "a-2"}, Stamp: domain.Stamp{By: testDIC, At: testAt}},
			vi:    []string{"đã gộp 2 cảnh báo vào sự cố"}, en: []string{"merged 2 alerts into the incident"}},
		{name: "IncidentAlertDetached", actor: testDIC,
			event: domain.IncidentAlertDetached{Alert: "a-1", Reason: "nhầm", Stamp: domain.Stamp{By: testDIC, At: testAt}},
			vi:    []string{"đã tách cảnh báo a-1 khỏi sự cố: nhầm"}, en: []string{"detached the alert a-1 from the incident"}},
		{name: "SuppressionSet", actor: testDIC,
			event: domain.SuppressionSet{Source: "soc-dic", Asset: "scanner", From: testAt, Until: testDeadline, Reason: "quét định kỳ", Stamp: domain.Stamp{By: testDIC}},
			vi:    []string{"đã đặt quy tắc chặn cảnh báo của nguồn soc-dic"}, en: []string{"set a rule suppressing alerts of source soc-dic until"}},
		{name: "SuppressionRemoved", actor: testDIC,
			event: domain.SuppressionRemoved{Reason: "xong", Stamp: domain.Stamp{By: testDIC, At: testAt}},
			vi:    []string{"đã gỡ quy tắc chặn cảnh báo: xong"}, en: []string{"removed the suppression rule"}},
	}
}
