package timeline

import (
	"github.com/dieuphoi/dieuphoi/domain"
)

// reportingTestCases are the timeline cases of notifications, reports and their deadlines.
func reportingTestCases() []testCase {
	return []testCase{
		{name: "NotificationRecorded", actor: testDIC, orgs: []string{"dept-health", "vncert"},
			event: domain.NotificationRecorded{
				Orgs:      []string{"dept-health", "vncert"},
				Channel:   "công văn",
				Reference: "CV 12/SKHCN",
				Drill:     true,
				Stamp:     domain.Stamp{By: testDIC, At: testAt},
			},
			vi: []string{"đã ghi nhận việc thông báo sự cố cho", "qua công văn", "CV 12/SKHCN", "diễn tập"},
			en: []string{"recorded that the incident was reported to", "by công văn", "reference: CV 12/SKHCN", "drill"}},
		{name: "NotificationDeadlineMissed", actor: testDIC, orgs: []string{"dept-health", "vncert"},
			event: domain.NotificationDeadlineMissed{
				Due:           testDeadline,
				Missing:       []string{"vncert", "dept-health"},
				PolicyVersion: "2025.2",
				RuleID:        "default",
				Stamp:         domain.Stamp{By: testDIC, At: testDeadline},
			},
			vi: []string{"đã quá hạn thông báo sự cố (14:30 21/11/2026, Điều 9 Thông tư 20/2017) mà chưa thông báo cho"},
			en: []string{"the notification deadline (2026-11-21 14:30 ICT, Art. 9 of Circular 20/2017) passed without notifying"}},
		{name: "ReportSubmitted", actor: testDIC,
			event: domain.ReportSubmitted{
				Form:      domain.ReportFormClosing,
				Reference: "BC 45/SKHCN",
				Summary:   "Đã gỡ bỏ LockBit trên 12 máy trạm",
				Late:      true,
				Stamp:     domain.Stamp{By: testDIC, At: testAt},
			},
			vi:     []string{"đã nộp báo cáo kết thúc (Mẫu 04), số hiệu BC 45/SKHCN (muộn, đã quá hạn)."},
			en:     []string{"submitted the closing report (Mẫu 04), reference BC 45/SKHCN (late: after the deadline)."},
			absent: []string{"LockBit"}},
		{name: "ClosingReportOverdue", actor: testDIC, orgs: []string{"police"},
			event: domain.ClosingReportOverdue{Due: testDeadline, Owner: "police", Stamp: domain.Stamp{By: testDIC, At: testDeadline}},
			vi:    []string{"chưa nộp báo cáo kết thúc (Mẫu 04) trước hạn 14:30 21/11/2026."},
			en:    []string{"had not submitted the closing report (Mẫu 04) by 2026-11-21 14:30 ICT."}},
		{name: "PeriodicReportSubmitted", actor: testDIC,
			event: domain.PeriodicReportSubmitted{
				Org:       "dic",
				Period:    "H1",
				Year:      2026,
				Due:       testDeadline,
				Reference: "BC 17/SKHCN",
				Lines:     []domain.PeriodicReportLine{{Type: "RANSOMWARE", Count: 3, HandledAlone: 2, DomesticHelp: 1}},
				Stamp:     domain.Stamp{By: testDIC, At: testAt},
			},
			vi:     []string{"đã nộp báo cáo tổng hợp định kỳ (Mẫu 05) 6 tháng đầu năm 2026 của", "số hiệu BC 17/SKHCN"},
			en:     []string{"submitted the periodic summary report (Mẫu 05) for the first half of 2026 of", "reference BC 17/SKHCN"},
			absent: []string{"muộn", "late"}},
		{name: "PeriodicReportOverdue", actor: testDIC, orgs: []string{"dept-health"},
			event: domain.PeriodicReportOverdue{Org: "dept-health", Period: "YEAR", Year: 2026, Due: testDeadline, Stamp: domain.Stamp{By: testDIC, At: testDeadline}},
			vi:    []string{"chưa nộp báo cáo tổng hợp định kỳ (Mẫu 05) năm 2026 trước hạn 14:30 21/11/2026."},
			en:    []string{"had not submitted the periodic summary report (Mẫu 05) for the year 2026 by 2026-11-21 14:30 ICT."}},
	}
}
