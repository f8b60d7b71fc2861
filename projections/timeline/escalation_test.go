package timeline

import (
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

// escalationTestCases are the timeline cases of escalations and their deadlines.
func escalationTestCases() []testCase {
	return []testCase{
		{name: "IncidentEscalated", actor: testDIC, orgs: []string{"police"},
			event: domain.IncidentEscalated{
				EscalationID: "esc-1",
				From:         "dic",
				To:           "police",
				Reason:       "Có dấu hiệu lộ lọt dữ liệu cá nhân của bệnh nhân",
				Deadline:     testDeadline,
				Stamp:        domain.Stamp{By: testDIC, At: testAt},
			},
			vi:     []string{"đã chuyển cấp sự cố lên", ": Có dấu hiệu lộ lọt dữ liệu cá nhân của bệnh nhân. Hạn xác nhận: 14:30 21/11/2026."},
			en:     []string{"escalated the incident to", "Acknowledge by 2026-11-21 14:30 ICT."},
			absent: []string{"thay mặt", "on behalf of"}},
		{name: "EscalationAcknowledged", actor: testPolice,
			event: domain.EscalationAcknowledged{EscalationID: "esc-1", Stamp: domain.Stamp{By: testPolice, At: testAt}},
			vi:    []string{"đã xác nhận yêu cầu chuyển cấp sự cố."}, en: []string{"acknowledged the escalation."},
			absent: []string{"muộn", "late"}},
		{name: "EscalationAcknowledged late", actor: testPolice,
			event: domain.EscalationAcknowledged{EscalationID: "esc-1", Late: true, Stamp: domain.Stamp{By: testPolice, At: testAt}},
			vi:    []string{"đã xác nhận yêu cầu chuyển cấp sự cố", "muộn, đã quá hạn xác nhận"},
			en:    []string{"acknowledged the escalation", "late"}},
		{name: "EscalationResolved", actor: testPolice,
			event: domain.EscalationResolved{
				EscalationID: "esc-1",
				Resolution:   "Đã cử tổ công tác hỗ trợ điều tra tại Sở Y tế",
				Stamp:        domain.Stamp{By: testPolice, At: testAt},
			},
			vi: []string{"đã kết thúc yêu cầu chuyển cấp sự cố: Đã cử tổ công tác"},
			en: []string{"resolved the escalation: Đã cử tổ công tác"}},
		{name: "IncidentEscalated by the policy", actor: testSub, orgs: []string{"dic", "police"},
			event: domain.IncidentEscalated{
				EscalationID:  "auto:inc-1:serious",
				From:          "dic",
				To:            "police",
				Reason:        "policy 2025.2, rule serious",
				Deadline:      testDeadline,
				PolicyVersion: "2025.2",
				RuleID:        "serious",
				Auto:          true,
				Chain:         []domain.ChainStep{{Org: "subcommittee", AckWithin: domain.Duration(30 * time.Minute)}},
				Stamp:         domain.Stamp{By: testSub, At: testAt},
			},
			vi:     []string{"đã chuyển cấp sự cố lên", "theo chính sách chuyển cấp (quy tắc serious)", "Hạn xác nhận: 14:30 21/11/2026."},
			en:     []string{"escalated the incident to", "under the escalation policy (rule serious)", "Acknowledge by 2026-11-21 14:30 ICT."},
			absent: []string{"policy 2025.2"}},
		{name: "IncidentEscalated along the chain", actor: testSub, orgs: []string{"vncert", "cert-health"},
			event: domain.IncidentEscalated{
				EscalationID:  "esc-1/vncert",
				From:          "subcommittee",
				To:            "vncert",
				Reason:        "Có dấu hiệu lộ lọt dữ liệu",
				Deadline:      testDeadline,
				PolicyVersion: "2025.2",
				RuleID:        "default",
				Auto:          true,
				Follows:       "esc-1",
				Skipped:       []string{"cert-health"},
				Stamp:         domain.Stamp{By: testSub, At: testAt},
			},
			vi: []string{"chưa được xác nhận đúng hạn", "bỏ qua", "không được phép tiếp nhận sự cố", ": Có dấu hiệu lộ lọt dữ liệu."},
			en: []string{"was not acknowledged in time", "passed over", "not allowed to receive the incident"}},
		{name: "EscalationDeadlineMissed", actor: testSub, orgs: []string{"police"},
			event: domain.EscalationDeadlineMissed{EscalationID: "esc-1", To: "police", Deadline: testDeadline, Stamp: domain.Stamp{By: testSub, At: testDeadline}},
			vi:    []string{"chưa xác nhận yêu cầu chuyển cấp sự cố trước hạn 14:30 21/11/2026."},
			en:    []string{"did not acknowledge the escalation by 2026-11-21 14:30 ICT."}},
		{name: "EscalationReminderDue", actor: testSub, orgs: []string{"police"},
			event: domain.EscalationReminderDue{EscalationID: "esc-1", To: "police", Deadline: testDeadline, Stamp: domain.Stamp{By: testSub, At: testAt}},
			vi:    []string{"đã nhắc", "xác nhận yêu cầu chuyển cấp sự cố trước 14:30 21/11/2026."},
			en:    []string{"reminded", "to acknowledge the escalation by 2026-11-21 14:30 ICT."}},
		{name: "EscalationChainExhausted", actor: testSub, orgs: []string{"cert-health"},
			event: domain.EscalationChainExhausted{EscalationID: "esc-1", Skipped: []string{"cert-health"}, Stamp: domain.Stamp{By: testSub, At: testAt}},
			vi:    []string{"chuỗi chuyển cấp đã hết", "bỏ qua"}, en: []string{"the escalation chain is exhausted", "passed over"}},
		{name: "EscalationChainBlocked", actor: testSub, orgs: []string{"vncert"},
			event: domain.EscalationChainBlocked{
				EscalationID: "esc-1",
				Reason:       "the incident is TLP:RED, which is for named recipients only",
				Pending:      []string{"vncert"},
				Stamp:        domain.Stamp{By: testSub, At: testAt},
			},
			vi:     []string{"chuỗi chuyển cấp dừng lại", "chưa chuyển tới"},
			en:     []string{"the escalation chain stopped", "not reached:"},
			absent: []string{"named recipients only"}},
	}
}
