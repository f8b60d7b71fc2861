package projections

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/matryer/is"
)

var (
	tlTestCfg = domain.DefaultConfig()
	// tlTestDeadline is 14:30 on 21 November 2026 in Vietnam.
	tlTestDeadline = time.Date(2026, 11, 21, 7, 30, 0, 0, time.UTC)
	tlTestAt       = time.Date(2026, 11, 21, 7, 0, 0, 0, time.UTC)

	tlTestDIC     = domain.Actor{User: "lan.nguyen", Org: "dic", Role: domain.RoleCoordinator}
	tlTestPolice  = domain.Actor{User: "tuan.le", Org: "police", Role: domain.RoleCoordinator}
	tlTestCERT    = domain.Actor{User: "minh.hoang", Org: "cert-health", Role: domain.RoleCoordinator}
	tlTestSub     = domain.Actor{User: "thao.vu", Org: "subcommittee", Role: domain.RoleCoordinator}
	tlTestAdmin   = domain.Actor{User: "quantri", Org: "dic", Role: domain.RoleAdmin}
	tlTestIngest  = domain.Actor{User: "wazuh-feed", Org: "soc-dic", Role: domain.RoleIngest}
	tlTestSecrets = []string{"Trần Văn Hùng", "Phó Giám đốc", "+84 912 345 678", "912 345", "hung.tv@dic.example.gov.vn",
		"Lê Thị Mai", "0236 3822 111", "mai.lt@dic.example.gov.vn"}
)

// tlTestOrg returns the Vietnamese and English names of an organisation of the default directory.
func tlTestOrg(t *testing.T, slug string) (vi, en string) {
	t.Helper()
	o, ok := tlTestCfg.Org(slug)
	if !ok {
		t.Fatalf("organisation %q is not in the default configuration", slug)
	}
	return o.NameVi, o.NameEn
}

type tlTestCase struct {
	name   string
	event  domain.Event
	actor  domain.Actor
	orgs   []string // organisations whose names both sentences must carry, besides the actor's
	vi, en []string // further text each sentence must carry
	absent []string // text neither sentence may carry
}

func tlTestCases() []tlTestCase {
	return append(tlTestExtraCases(), []tlTestCase{
		{name: "IncidentOpened", actor: tlTestDIC,
			event: domain.IncidentOpened{
				ID:          "inc-2026-0142",
				Title:       "Mã độc mã hóa dữ liệu máy chủ bệnh viện tỉnh",
				Description: "Máy chủ HIS bị mã hóa, tống tiền 5 BTC",
				Type:        "RANSOMWARE",
				RSITClass:   "Malicious Code",
				RSITType:    "Infected System",
				Severity:    domain.SeverityHigh,
				Tier:        domain.TierSerious,
				Sector:      "HEALTH",
				AffectedSystem: &domain.AffectedSystem{Name: "Hệ thống quản lý bệnh viện (HIS)", OwnerOrg: "dept-health",
					SecurityLevel: 3, InfoClass: domain.InfoPersonal},
				TLP:        domain.TLPAmber,
				PAP:        domain.PAPAmber,
				Source:     domain.SourceReport,
				DetectedAt: time.Date(2026, 11, 21, 1, 15, 0, 0, time.UTC),
				Stamp:      domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi: []string{"đã mở sự cố “Mã độc mã hóa dữ liệu máy chủ bệnh viện tỉnh”", "Mã hóa phần mềm, dữ liệu, thiết bị",
				"mức độ: Cao, sự cố nghiêm trọng", "lĩnh vực: Y tế", "cấp độ 3", "TLP:AMBER", "PAP:AMBER", "08:15 21/11/2026"},
			en: []string{"opened the incident", "Ransomware", "severity: High, serious incident", "sector: Health",
				"security level 3", "TLP:AMBER", "2026-11-21 08:15 ICT"},
			absent: []string{"5 BTC", "diễn tập", "drill"}},
		{name: "IncidentOpened drill from alerts", actor: tlTestDIC,
			event: domain.IncidentOpened{
				ID:         "inc-2026-0143",
				Title:      "Diễn tập: tấn công từ chối dịch vụ cổng thông tin",
				Type:       "DOS",
				Severity:   domain.SeverityMedium,
				Tier:       domain.TierOrdinary,
				TLP:        domain.TLPGreen,
				PAP:        domain.PAPGreen,
				Drill:      true,
				Source:     domain.SourceAlerts,
				AlertIDs:   []string{"alr-1", "alr-2"},
				DetectedAt: tlTestAt,
				Stamp:      domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi: []string{"Từ chối dịch vụ", "Trung bình", "sự cố thông thường", "lập từ 2 cảnh báo", "diễn tập", "14:00 21/11/2026"},
			en: []string{"Denial of service", "Medium", "ordinary incident", "raised from 2 alerts", "drill", "2026-11-21 14:00 ICT"}},
		{name: "IncidentClassified", actor: tlTestDIC,
			event: domain.IncidentClassified{
				Type:      "PHISHING",
				RSITClass: "Fraud",
				RSITType:  "Phishing",
				Severity:  domain.SeverityCritical,
				Tier:      domain.TierOrdinary,
				Sector:    "BANKING",
				Stamp:     domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi: []string{"đã cập nhật phân loại sự cố", "Tấn công giả mạo", "Rất cao", "Ngân hàng"},
			en: []string{"updated the incident's classification", "Spoofing / phishing", "Critical", "Banking"}},
		{name: "LeadAssigned", actor: tlTestSub, orgs: []string{"police", "dic"},
			event: domain.LeadAssigned{Org: "police", Previous: "dic", Stamp: domain.Stamp{By: tlTestSub, At: tlTestAt}},
			vi:    []string{"chủ trì xử lý sự cố", "thay cho"}, en: []string{"to lead the response", "previously"}},
		{name: "PhaseChanged", actor: tlTestDIC,
			event:  domain.PhaseChanged{From: domain.PhaseDetected, To: domain.PhaseContainment, Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:     []string{"từ giai đoạn “Phát hiện, tiếp nhận” sang giai đoạn “Ngăn chặn”"},
			en:     []string{"from the “Detected” phase to the “Containment” phase"},
			absent: []string{"trở lại", "back"}},
		{name: "PhaseChanged back", actor: tlTestDIC,
			event: domain.PhaseChanged{
				From:   domain.PhaseRecovery,
				To:     domain.PhaseEradication,
				Reason: "Phát hiện mã độc còn tồn tại trên máy chủ dự phòng",
				Stamp:  domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi: []string{"trở lại giai đoạn “Xử lý, loại bỏ nguyên nhân”", "Phát hiện mã độc còn tồn tại trên máy chủ dự phòng"},
			en: []string{"moved the incident back from the “Recovery” phase to the “Eradication” phase"}},
		{name: "NoteAdded", actor: tlTestCERT,
			event: domain.NoteAdded{
				NoteID: "note-7",
				TLP:    domain.TLPAmberStrict,
				Text:   "Đã cô lập máy chủ HIS khỏi mạng nội bộ, sao lưu nhật ký hệ thống và chuyển mẫu mã độc cho đội phân tích. Mật khẩu quản trị tạm thời: Xk9#pL2!",
				Stamp:  domain.Stamp{By: tlTestCERT, At: tlTestAt},
			},
			vi:     []string{"đã thêm ghi chú (TLP:AMBER+STRICT): “Đã cô lập máy chủ HIS", "…”"},
			en:     []string{"added a note (TLP:AMBER+STRICT)"},
			absent: []string{"Xk9#pL2!", "Mật khẩu quản trị"}},
		{name: "IndicatorAdded", actor: tlTestCERT,
			event: domain.IndicatorAdded{
				IndicatorID: "ioc-3",
				Type:        domain.IndicatorIPv4,
				Value:       "203.0.113.45",
				TLP:         domain.TLPAmberStrict,
				Stamp:       domain.Stamp{By: tlTestCERT, At: tlTestAt},
			},
			vi:     []string{"dấu hiệu xâm phạm (IoC) loại địa chỉ IPv4", "TLP:AMBER+STRICT"},
			en:     []string{"indicator of compromise (IPv4 address, TLP:AMBER+STRICT)"},
			absent: []string{"203.0.113.45", "ioc-3"}},
		{name: "IncidentShared", actor: tlTestDIC, orgs: []string{"cert-health", "vncert"},
			event: domain.IncidentShared{Orgs: []string{"cert-health", "vncert"}, Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:    []string{"đã chia sẻ sự cố với", " và "}, en: []string{"shared the incident with", " and "}},
		{name: "RecipientsNamed", actor: tlTestPolice,
			event: domain.RecipientsNamed{
				Users: []string{"police/hai.do", "police/ngoc.bui", "vncert/hoa.pham"},
				Stamp: domain.Stamp{By: tlTestPolice, At: tlTestAt},
			},
			vi:     []string{"đã chỉ định thêm 3 người nhận", "TLP:RED", "thuộc 2 tổ chức"},
			en:     []string{"named 3 more TLP:RED recipients", "from 2 organisations"},
			absent: []string{"hai.do", "ngoc.bui", "hoa.pham", "VNCERT/CC"}},
		{name: "TLPChanged raised", actor: tlTestPolice,
			event: domain.TLPChanged{
				From:   domain.TLPAmber,
				To:     domain.TLPRed,
				Reason: "Liên quan đến hồ sơ điều tra",
				Stamp:  domain.Stamp{By: tlTestPolice, At: tlTestAt},
			},
			vi: []string{"đã nâng nhãn TLP của sự cố từ TLP:AMBER lên TLP:RED: Liên quan đến hồ sơ điều tra"},
			en: []string{"raised the incident's TLP from TLP:AMBER to TLP:RED"}},
		{name: "TLPChanged lowered", actor: tlTestDIC,
			event: domain.TLPChanged{From: domain.TLPAmberStrict, To: domain.TLPGreen, Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:    []string{"đã hạ nhãn TLP của sự cố từ TLP:AMBER+STRICT xuống TLP:GREEN"},
			en:    []string{"lowered the incident's TLP from TLP:AMBER+STRICT to TLP:GREEN"}},
		{name: "IncidentEscalated", actor: tlTestDIC, orgs: []string{"police"},
			event: domain.IncidentEscalated{
				EscalationID: "esc-1",
				From:         "dic",
				To:           "police",
				Reason:       "Có dấu hiệu lộ lọt dữ liệu cá nhân của bệnh nhân",
				Deadline:     tlTestDeadline,
				Stamp:        domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi:     []string{"đã chuyển cấp sự cố lên", ": Có dấu hiệu lộ lọt dữ liệu cá nhân của bệnh nhân. Hạn xác nhận: 14:30 21/11/2026."},
			en:     []string{"escalated the incident to", "Acknowledge by 2026-11-21 14:30 ICT."},
			absent: []string{"thay mặt", "on behalf of"}},
		{name: "EscalationAcknowledged", actor: tlTestPolice,
			event: domain.EscalationAcknowledged{EscalationID: "esc-1", Stamp: domain.Stamp{By: tlTestPolice, At: tlTestAt}},
			vi:    []string{"đã xác nhận yêu cầu chuyển cấp sự cố."}, en: []string{"acknowledged the escalation."},
			absent: []string{"muộn", "late"}},
		{name: "EscalationAcknowledged late", actor: tlTestPolice,
			event: domain.EscalationAcknowledged{EscalationID: "esc-1", Late: true, Stamp: domain.Stamp{By: tlTestPolice, At: tlTestAt}},
			vi:    []string{"đã xác nhận yêu cầu chuyển cấp sự cố", "muộn, đã quá hạn xác nhận"},
			en:    []string{"acknowledged the escalation", "late"}},
		{name: "EscalationResolved", actor: tlTestPolice,
			event: domain.EscalationResolved{
				EscalationID: "esc-1",
				Resolution:   "Đã cử tổ công tác hỗ trợ điều tra tại Sở Y tế",
				Stamp:        domain.Stamp{By: tlTestPolice, At: tlTestAt},
			},
			vi: []string{"đã kết thúc yêu cầu chuyển cấp sự cố: Đã cử tổ công tác"},
			en: []string{"resolved the escalation: Đã cử tổ công tác"}},
		{name: "HandoffOffered", actor: tlTestDIC, orgs: []string{"cert-health"},
			event: domain.HandoffOffered{
				HandoffID:       "ho-1",
				From:            "dic",
				To:              "cert-health",
				Summary:         "Tóm tắt: 12 máy trạm nhiễm LockBit, máy chủ HIS đã cô lập, khóa giải mã chưa có",
				RequestedAction: "Phân tích mẫu mã độc và hướng dẫn khôi phục",
				Deadline:        tlTestDeadline,
				Stamp:           domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi:     []string{"đã đề nghị chuyển giao sự cố cho", "Nội dung đề nghị: Phân tích mẫu mã độc", "Hạn trả lời: 14:30 21/11/2026."},
			en:     []string{"offered to hand the incident over to", "Requested action:", "Answer by 2026-11-21 14:30 ICT."},
			absent: []string{"LockBit"}},
		{name: "HandoffOffered with its TLP, releasing the origin", actor: tlTestDIC, orgs: []string{"cert-health", "dic"},
			event: domain.HandoffOffered{
				HandoffID:       "ho-1",
				From:            "dic",
				To:              "cert-health",
				Summary:         "Tóm tắt: LockBit",
				TLP:             domain.TLPAmberStrict,
				ReleaseOnAccept: true,
				Deadline:        tlTestDeadline,
				Stamp:           domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi:     []string{"(TLP:AMBER+STRICT)", "khi được tiếp nhận", "sẽ thôi giữ quyền truy cập sự cố."},
			en:     []string{"(TLP:AMBER+STRICT)", "once accepted", "gives up its access to the incident."},
			absent: []string{"LockBit"}},
		{name: "HandoffAcknowledged", actor: tlTestCERT,
			event: domain.HandoffAcknowledged{HandoffID: "ho-1", Stamp: domain.Stamp{By: tlTestCERT, At: tlTestAt}},
			vi:    []string{"đã xác nhận đã nhận đề nghị chuyển giao sự cố", "chưa trả lời"},
			en:    []string{"acknowledged receipt of the handoff offer", "without accepting or declining it yet."}},
		{name: "HandoffAccepted", actor: tlTestCERT,
			event: domain.HandoffAccepted{HandoffID: "ho-1", Stamp: domain.Stamp{By: tlTestCERT, At: tlTestAt}},
			vi:    []string{"đã tiếp nhận chuyển giao sự cố."}, en: []string{"accepted the handoff"},
			absent: []string{"originating organisation", "đơn vị mở sự cố"}},
		{name: "HandoffAccepted, the origin released", actor: tlTestCERT,
			event: domain.HandoffAccepted{HandoffID: "ho-1", OriginReleased: true, Stamp: domain.Stamp{By: tlTestCERT, At: tlTestAt}},
			vi:    []string{"đã tiếp nhận chuyển giao sự cố; theo đề nghị chuyển giao, đơn vị mở sự cố thôi giữ quyền truy cập sự cố"},
			en:    []string{"accepted the handoff", "the originating organisation no longer holds the incident"}},
		{name: "HandoffDeclined", actor: tlTestCERT,
			event: domain.HandoffDeclined{HandoffID: "ho-1", Reason: "Ngoài phạm vi lĩnh vực y tế", Stamp: domain.Stamp{By: tlTestCERT, At: tlTestAt}},
			vi:    []string{"đã từ chối tiếp nhận chuyển giao sự cố: Ngoài phạm vi lĩnh vực y tế."},
			en:    []string{"declined the handoff: Ngoài phạm vi"}},
		{name: "HandoffReturned", actor: tlTestCERT,
			event: domain.HandoffReturned{
				HandoffID: "ho-1",
				Reason:    "Đã khôi phục xong, trả lại để đơn vị tự giám sát",
				Stamp:     domain.Stamp{By: tlTestCERT, At: tlTestAt},
			},
			vi: []string{"đã trả lại sự cố cho đơn vị đã chuyển giao: Đã khôi phục xong"},
			en: []string{"handed the incident back"}},
		{name: "HandoffWithdrawn", actor: tlTestDIC,
			event: domain.HandoffWithdrawn{HandoffID: "ho-1", Reason: "Đơn vị đã tự xử lý được", Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:    []string{"đã rút lại đề nghị chuyển giao sự cố: Đơn vị đã tự xử lý được."},
			en:    []string{"withdrew the handoff offer"}},
		{name: "IncidentEscalated by the policy", actor: tlTestSub, orgs: []string{"dic", "police"},
			event: domain.IncidentEscalated{
				EscalationID:  "auto:inc-1:serious",
				From:          "dic",
				To:            "police",
				Reason:        "policy 2025.2, rule serious",
				Deadline:      tlTestDeadline,
				PolicyVersion: "2025.2",
				RuleID:        "serious",
				Auto:          true,
				Chain:         []domain.ChainStep{{Org: "subcommittee", AckWithin: domain.Duration(30 * time.Minute)}},
				Stamp:         domain.Stamp{By: tlTestSub, At: tlTestAt},
			},
			vi:     []string{"đã chuyển cấp sự cố lên", "theo chính sách chuyển cấp (quy tắc serious)", "Hạn xác nhận: 14:30 21/11/2026."},
			en:     []string{"escalated the incident to", "under the escalation policy (rule serious)", "Acknowledge by 2026-11-21 14:30 ICT."},
			absent: []string{"policy 2025.2"}},
		{name: "IncidentEscalated along the chain", actor: tlTestSub, orgs: []string{"vncert", "cert-health"},
			event: domain.IncidentEscalated{
				EscalationID:  "esc-1/vncert",
				From:          "subcommittee",
				To:            "vncert",
				Reason:        "Có dấu hiệu lộ lọt dữ liệu",
				Deadline:      tlTestDeadline,
				PolicyVersion: "2025.2",
				RuleID:        "default",
				Auto:          true,
				Follows:       "esc-1",
				Skipped:       []string{"cert-health"},
				Stamp:         domain.Stamp{By: tlTestSub, At: tlTestAt},
			},
			vi: []string{"chưa được xác nhận đúng hạn", "bỏ qua", "không được phép tiếp nhận sự cố", ": Có dấu hiệu lộ lọt dữ liệu."},
			en: []string{"was not acknowledged in time", "passed over", "not allowed to receive the incident"}},
		{name: "HandoffOffered along the chain", actor: tlTestDIC, orgs: []string{"vncert"},
			event: domain.HandoffOffered{
				HandoffID:     "ho-1/vncert",
				From:          "dic",
				To:            "vncert",
				Summary:       "Tóm tắt: LockBit",
				Deadline:      tlTestDeadline,
				PolicyVersion: "2025.2",
				RuleID:        "default",
				Auto:          true,
				Follows:       "ho-1",
				Stamp:         domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi:     []string{"tự động, đơn vị tiếp theo trong chuỗi chuyển giao", "Hạn trả lời: 14:30 21/11/2026."},
			en:     []string{"automatically, next in the handoff chain", "Answer by 2026-11-21 14:30 ICT."},
			absent: []string{"LockBit"}},
		{name: "EscalationDeadlineMissed", actor: tlTestSub, orgs: []string{"police"},
			event: domain.EscalationDeadlineMissed{EscalationID: "esc-1", To: "police", Deadline: tlTestDeadline, Stamp: domain.Stamp{By: tlTestSub, At: tlTestDeadline}},
			vi:    []string{"chưa xác nhận yêu cầu chuyển cấp sự cố trước hạn 14:30 21/11/2026."},
			en:    []string{"did not acknowledge the escalation by 2026-11-21 14:30 ICT."}},
		{name: "EscalationReminderDue", actor: tlTestSub, orgs: []string{"police"},
			event: domain.EscalationReminderDue{EscalationID: "esc-1", To: "police", Deadline: tlTestDeadline, Stamp: domain.Stamp{By: tlTestSub, At: tlTestAt}},
			vi:    []string{"đã nhắc", "xác nhận yêu cầu chuyển cấp sự cố trước 14:30 21/11/2026."},
			en:    []string{"reminded", "to acknowledge the escalation by 2026-11-21 14:30 ICT."}},
		{name: "EscalationChainExhausted", actor: tlTestSub, orgs: []string{"cert-health"},
			event: domain.EscalationChainExhausted{EscalationID: "esc-1", Skipped: []string{"cert-health"}, Stamp: domain.Stamp{By: tlTestSub, At: tlTestAt}},
			vi:    []string{"chuỗi chuyển cấp đã hết", "bỏ qua"}, en: []string{"the escalation chain is exhausted", "passed over"}},
		{name: "EscalationChainBlocked", actor: tlTestSub, orgs: []string{"vncert"},
			event: domain.EscalationChainBlocked{
				EscalationID: "esc-1",
				Reason:       "the incident is TLP:RED, which is for named recipients only",
				Pending:      []string{"vncert"},
				Stamp:        domain.Stamp{By: tlTestSub, At: tlTestAt},
			},
			vi:     []string{"chuỗi chuyển cấp dừng lại", "chưa chuyển tới"},
			en:     []string{"the escalation chain stopped", "not reached:"},
			absent: []string{"named recipients only"}},
		{name: "HandoffDeadlineMissed", actor: tlTestDIC, orgs: []string{"cert-health"},
			event: domain.HandoffDeadlineMissed{HandoffID: "ho-1", To: "cert-health", Deadline: tlTestDeadline, Stamp: domain.Stamp{By: tlTestDIC, At: tlTestDeadline}},
			vi:    []string{"chưa trả lời đề nghị chuyển giao sự cố trước hạn 14:30 21/11/2026; đề nghị đã hết hạn."},
			en:    []string{"did not answer the handoff offer by 2026-11-21 14:30 ICT; the offer expired."}},
		{name: "HandoffReminderDue", actor: tlTestDIC, orgs: []string{"cert-health"},
			event: domain.HandoffReminderDue{HandoffID: "ho-1", To: "cert-health", Deadline: tlTestDeadline, Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:    []string{"đã nhắc", "trả lời đề nghị chuyển giao sự cố trước 14:30 21/11/2026."},
			en:    []string{"reminded", "to answer the handoff offer by 2026-11-21 14:30 ICT."}},
		{name: "HandoffChainExhausted", actor: tlTestDIC, orgs: []string{"police"},
			event: domain.HandoffChainExhausted{HandoffID: "ho-1", Owner: "police", Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:    []string{"không còn đơn vị nào để đề nghị chuyển giao sự cố", "tiếp tục chủ quản sự cố"},
			en:    []string{"nobody is left to offer the incident to", "keeps ownership"}},
		{name: "HandoffChainBlocked", actor: tlTestDIC, orgs: []string{"vncert", "police"},
			event: domain.HandoffChainBlocked{
				HandoffID: "ho-1",
				Owner:     "police",
				Reason:    "the incident is TLP:RED, which is for named recipients only",
				Pending:   []string{"vncert"},
				Stamp:     domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi:     []string{"chuỗi chuyển giao dừng lại", "chưa đề nghị tới"},
			en:     []string{"the handoff chain stopped", "not offered to:"},
			absent: []string{"named recipients only"}},
		{name: "NotificationRecorded", actor: tlTestDIC, orgs: []string{"dept-health", "vncert"},
			event: domain.NotificationRecorded{
				Orgs:      []string{"dept-health", "vncert"},
				Channel:   "công văn",
				Reference: "CV 12/SKHCN",
				Drill:     true,
				Stamp:     domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi: []string{"đã ghi nhận việc thông báo sự cố cho", "qua công văn", "CV 12/SKHCN", "diễn tập"},
			en: []string{"recorded that the incident was reported to", "by công văn", "reference: CV 12/SKHCN", "drill"}},
		{name: "NotificationDeadlineMissed", actor: tlTestDIC, orgs: []string{"dept-health", "vncert"},
			event: domain.NotificationDeadlineMissed{
				Due:           tlTestDeadline,
				Missing:       []string{"vncert", "dept-health"},
				PolicyVersion: "2025.2",
				RuleID:        "default",
				Stamp:         domain.Stamp{By: tlTestDIC, At: tlTestDeadline},
			},
			vi: []string{"đã quá hạn thông báo sự cố (14:30 21/11/2026, Điều 9 Thông tư 20/2017) mà chưa thông báo cho"},
			en: []string{"the notification deadline (2026-11-21 14:30 ICT, Art. 9 of Circular 20/2017) passed without notifying"}},
		{name: "ReportSubmitted", actor: tlTestDIC,
			event: domain.ReportSubmitted{
				Form:      domain.ReportFormClosing,
				Reference: "BC 45/SKHCN",
				Summary:   "Đã gỡ bỏ LockBit trên 12 máy trạm",
				Late:      true,
				Stamp:     domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi:     []string{"đã nộp báo cáo kết thúc (Mẫu 04), số hiệu BC 45/SKHCN (muộn, đã quá hạn)."},
			en:     []string{"submitted the closing report (Mẫu 04), reference BC 45/SKHCN (late: after the deadline)."},
			absent: []string{"LockBit"}},
		{name: "ClosingReportOverdue", actor: tlTestDIC, orgs: []string{"police"},
			event: domain.ClosingReportOverdue{Due: tlTestDeadline, Owner: "police", Stamp: domain.Stamp{By: tlTestDIC, At: tlTestDeadline}},
			vi:    []string{"chưa nộp báo cáo kết thúc (Mẫu 04) trước hạn 14:30 21/11/2026."},
			en:    []string{"had not submitted the closing report (Mẫu 04) by 2026-11-21 14:30 ICT."}},
		{name: "PeriodicReportSubmitted", actor: tlTestDIC,
			event: domain.PeriodicReportSubmitted{
				Org:       "dic",
				Period:    "H1",
				Year:      2026,
				Due:       tlTestDeadline,
				Reference: "BC 17/SKHCN",
				Lines:     []domain.PeriodicReportLine{{Type: "RANSOMWARE", Count: 3, HandledAlone: 2, DomesticHelp: 1}},
				Stamp:     domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi:     []string{"đã nộp báo cáo tổng hợp định kỳ (Mẫu 05) 6 tháng đầu năm 2026 của", "số hiệu BC 17/SKHCN"},
			en:     []string{"submitted the periodic summary report (Mẫu 05) for the first half of 2026 of", "reference BC 17/SKHCN"},
			absent: []string{"muộn", "late"}},
		{name: "PeriodicReportOverdue", actor: tlTestDIC, orgs: []string{"dept-health"},
			event: domain.PeriodicReportOverdue{Org: "dept-health", Period: "YEAR", Year: 2026, Due: tlTestDeadline, Stamp: domain.Stamp{By: tlTestDIC, At: tlTestDeadline}},
			vi:    []string{"chưa nộp báo cáo tổng hợp định kỳ (Mẫu 05) năm 2026 trước hạn 14:30 21/11/2026."},
			en:    []string{"had not submitted the periodic summary report (Mẫu 05) for the year 2026 by 2026-11-21 14:30 ICT."}},
		{name: "IncidentClosed", actor: tlTestDIC,
			event: domain.IncidentClosed{
				Resolution: domain.ResolutionResolved,
				Summary:    "Báo cáo kết thúc (Mẫu 04): đã gỡ bỏ mã độc, khôi phục dữ liệu từ bản sao lưu",
				Stamp:      domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi:     []string{"đã đóng sự cố, kết quả: đã xử lý xong."},
			en:     []string{"closed the incident: resolved."},
			absent: []string{"Mẫu 04"}},
		{name: "IncidentReopened", actor: tlTestDIC,
			event: domain.IncidentReopened{Reason: "Mã độc tái xuất hiện trên 2 máy trạm", Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:    []string{"đã mở lại sự cố: Mã độc tái xuất hiện"}, en: []string{"reopened the incident"}},
		{name: "AlertReceived", actor: tlTestIngest,
			event: domain.AlertReceived{
				Alert:      "alr-9",
				Org:        "soc-dic",
				Source:     "Wazuh SOC",
				SourceRef:  "wz-88121",
				Title:      "Nhiều lần đăng nhập thất bại vào cổng VPN",
				Severity:   domain.SeverityMedium,
				ObservedAt: tlTestDeadline,
				Asset:      "vpn.dic.example.gov.vn",
				Indicators: []domain.AlertIndicator{{Type: domain.IndicatorIPv4, Value: "198.51.100.7"}},
				TLP:        domain.TLPAmber,
				Raw:        json.RawMessage(`{"rule":5710,"srcip":"198.51.100.7"}`),
				Stamp:      domain.Stamp{By: tlTestIngest, At: tlTestAt},
			},
			vi:     []string{"đã tiếp nhận cảnh báo “Nhiều lần đăng nhập thất bại vào cổng VPN” từ nguồn Wazuh SOC", "mức độ: Trung bình", "kèm 1 dấu hiệu xâm phạm", "ghi nhận lúc 14:30 21/11/2026"},
			en:     []string{"received the alert", "severity: Medium", "1 indicator", "observed at 2026-11-21 14:30 ICT"},
			absent: []string{"198.51.100.7", "5710", "vpn.dic.example.gov.vn"}},
		{name: "AlertRepeated", actor: tlTestIngest,
			event: domain.AlertRepeated{Count: 4, Stamp: domain.Stamp{By: tlTestIngest, At: tlTestDeadline}},
			vi:    []string{"đã báo lại cảnh báo (tổng cộng 4 lần)", "14:30 21/11/2026"},
			en:    []string{"reported the alert again (4 times in all)", "2026-11-21 14:30 ICT"}},
		{name: "AlertDismissed", actor: tlTestDIC,
			event: domain.AlertDismissed{Reason: "Quét định kỳ của đơn vị kiểm thử được cấp phép", Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:    []string{"đã đóng cảnh báo, không lập sự cố: Quét định kỳ"}, en: []string{"dismissed the alert"}},
		{name: "AlertPromoted", actor: tlTestDIC,
			event: domain.AlertPromoted{Incident: "inc-2026-0142", Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:    []string{"đã chuyển cảnh báo vào sự cố inc-2026-0142."}, en: []string{"promoted the alert into incident inc-2026-0142."}},
		{name: "AlertPromoted merged", actor: tlTestDIC,
			event: domain.AlertPromoted{Incident: "inc-2026-0142", Merged: true, Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:    []string{"đã gộp cảnh báo vào sự cố inc-2026-0142."}, en: []string{"merged the alert into incident inc-2026-0142."}},
		{name: "AlertSuppressed", actor: tlTestIngest,
			event: domain.AlertSuppressed{Rule: "sup-1", Report: domain.AlertReceived{Title: "Quét cổng", Source: "soc-dic"}},
			vi:    []string{"bị chặn theo quy tắc sup-1"}, en: []string{"suppressed by rule sup-1"}},
		{name: "AlertCorrelated", actor: tlTestIngest,
			event: domain.AlertCorrelated{Alert: "a-1", Incidents: []string{"inc-1", "inc-2"}, Reason: "asset", Stamp: domain.Stamp{At: tlTestAt}},
			vi:    []string{"2 sự cố đang mở"}, en: []string{"2 open incidents: inc-1, inc-2"}},
		{name: "AlertDetached", actor: tlTestDIC,
			event: domain.AlertDetached{Alert: "a-1", Incident: "inc-1", Reason: "khác tài sản", Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:    []string{"đã tách cảnh báo khỏi sự cố inc-1: khác tài sản"}, en: []string{"detached the alert from incident inc-1"}},
		{name: "IncidentAlertsMerged", actor: tlTestDIC,
			event: domain.IncidentAlertsMerged{Alerts: []string{"a-1", "a-2"}, Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:    []string{"đã gộp 2 cảnh báo vào sự cố"}, en: []string{"merged 2 alerts into the incident"}},
		{name: "IncidentAlertDetached", actor: tlTestDIC,
			event: domain.IncidentAlertDetached{Alert: "a-1", Reason: "nhầm", Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:    []string{"đã tách cảnh báo a-1 khỏi sự cố: nhầm"}, en: []string{"detached the alert a-1 from the incident"}},
		{name: "SuppressionSet", actor: tlTestDIC,
			event: domain.SuppressionSet{Source: "soc-dic", Asset: "scanner", From: tlTestAt, Until: tlTestDeadline, Reason: "quét định kỳ", Stamp: domain.Stamp{By: tlTestDIC}},
			vi:    []string{"đã đặt quy tắc chặn cảnh báo của nguồn soc-dic"}, en: []string{"set a rule suppressing alerts of source soc-dic until"}},
		{name: "SuppressionRemoved", actor: tlTestDIC,
			event: domain.SuppressionRemoved{Reason: "xong", Stamp: domain.Stamp{By: tlTestDIC, At: tlTestAt}},
			vi:    []string{"đã gỡ quy tắc chặn cảnh báo: xong"}, en: []string{"removed the suppression rule"}},
		{name: "UserRegistered", actor: tlTestAdmin,
			event: domain.UserRegistered{
				User:        "dic/lan.nguyen",
				Org:         "dic",
				Name:        "lan.nguyen",
				DisplayName: "Nguyễn Thị Lan",
				Roles:       []domain.Role{domain.RoleCoordinator, domain.RoleResponder},
				Stamp:       domain.Stamp{By: tlTestAdmin, At: tlTestAt},
			},
			vi: []string{"đã tạo tài khoản lan.nguyen cho", "với vai trò: điều phối viên, cán bộ ứng cứu"},
			en: []string{"registered the account lan.nguyen for", "with the roles: coordinator, responder"}},
		{name: "RoleGranted", actor: tlTestAdmin,
			event: domain.RoleGranted{Role: domain.RoleReviewer, Stamp: domain.Stamp{By: tlTestAdmin, At: tlTestAt}},
			vi:    []string{"đã cấp vai trò “cán bộ rà soát” cho tài khoản"}, en: []string{"granted the “reviewer” role"}},
		{name: "RoleRevoked", actor: tlTestAdmin,
			event: domain.RoleRevoked{Role: domain.RoleAdmin, Stamp: domain.Stamp{By: tlTestAdmin, At: tlTestAt}},
			vi:    []string{"đã thu hồi vai trò “quản trị viên” của tài khoản"}, en: []string{"revoked the “administrator” role"}},
		{name: "UserDisabled", actor: tlTestAdmin,
			event: domain.UserDisabled{Reason: "Cán bộ chuyển công tác", Stamp: domain.Stamp{By: tlTestAdmin, At: tlTestAt}},
			vi:    []string{"đã vô hiệu hóa tài khoản: Cán bộ chuyển công tác."}, en: []string{"disabled the account"}},
		{name: "TokenIssued", actor: tlTestAdmin,
			event: domain.TokenIssued{
				TokenID:   "tok-7f3a9c",
				Org:       "dic",
				User:      "lan.nguyen",
				Role:      domain.RoleCoordinator,
				IssuedAt:  tlTestAt,
				ExpiresAt: tlTestDeadline.Add(24 * time.Hour),
				Stamp:     domain.Stamp{By: tlTestAdmin},
			},
			vi:     []string{"đã cấp mã truy cập (token) cho tài khoản lan.nguyen của", "với vai trò “điều phối viên”", "hiệu lực đến 14:30 22/11/2026."},
			en:     []string{"issued an access token to the account lan.nguyen of", "with the “coordinator” role", "valid until 2026-11-22 14:30 ICT."},
			absent: []string{"tok-7f3a9c"}},
		{name: "TokenRevoked", actor: tlTestAdmin,
			event:  domain.TokenRevoked{TokenID: "tok-7f3a9c", Reason: "Máy tính xách tay bị mất", Stamp: domain.Stamp{By: tlTestAdmin, At: tlTestAt}},
			vi:     []string{"đã thu hồi một mã truy cập (token): Máy tính xách tay bị mất."},
			en:     []string{"revoked an access token: Máy tính xách tay bị mất."},
			absent: []string{"tok-7f3a9c"}},
		{name: "FocalPointsSet", actor: tlTestDIC,
			event: domain.FocalPointsSet{
				Org:     "dic",
				Primary: &domain.FocalPoint{Name: "Trần Văn Hùng", Title: "Phó Giám đốc", Phone: "+84 912 345 678", Email: "hung.tv@dic.example.gov.vn"},
				Backup:  &domain.FocalPoint{Name: "Lê Thị Mai", Phone: "0236 3822 111", Email: "mai.lt@dic.example.gov.vn"},
				Stamp:   domain.Stamp{By: tlTestDIC, At: tlTestAt},
			},
			vi:     []string{"đã cập nhật thông tin đầu mối liên hệ của"},
			en:     []string{"updated the focal points of"},
			absent: tlTestSecrets},
	}...)
}

func TestTimelineTextEveryEvent(t *testing.T) {
	for _, c := range tlTestCases() {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			vi, en := Sentence(c.event, c.actor, tlTestCfg)
			t.Logf("vi: %s", vi)
			t.Logf("en: %s", en)
			is.True(vi != "")                    // Vietnamese sentence
			is.True(en != "")                    // English sentence
			is.True(!strings.Contains(vi, "%!")) // no formatting error in Vietnamese
			is.True(!strings.Contains(en, "%!")) // no formatting error in English
			is.True(strings.HasSuffix(vi, "."))  // Vietnamese sentence ends with a full stop
			is.True(strings.HasSuffix(en, "."))  // English sentence ends with a full stop
			is.True(utf8.ValidString(vi))        // valid UTF-8
			is.True(!strings.Contains(vi, "\n")) // one line
			is.True(!strings.Contains(en, "\n")) // one line
			typ := c.event.EventType()
			is.True(!strings.Contains(vi, typ)) // a specific sentence, not the generic one
			is.True(!strings.Contains(en, typ)) // a specific sentence, not the generic one

			avi, aen := tlTestOrg(t, c.actor.Org)
			is.True(strings.HasPrefix(vi, c.actor.User+" ("+avi+") ")) // Vietnamese starts with the actor and organisation
			is.True(strings.HasPrefix(en, c.actor.User+" ("+aen+") ")) // English starts with the actor and organisation
			for _, slug := range c.orgs {
				ovi, oen := tlTestOrg(t, slug)
				if !strings.Contains(vi, ovi) {
					t.Errorf("Vietnamese sentence does not name %s (%s)", slug, ovi)
				}
				if !strings.Contains(en, oen) {
					t.Errorf("English sentence does not name %s (%s)", slug, oen)
				}
			}
			for _, w := range c.vi {
				if !strings.Contains(vi, w) {
					t.Errorf("Vietnamese sentence lacks %q", w)
				}
			}
			for _, w := range c.en {
				if !strings.Contains(en, w) {
					t.Errorf("English sentence lacks %q", w)
				}
			}
			for _, w := range c.absent {
				if strings.Contains(vi, w) || strings.Contains(en, w) {
					t.Errorf("a sentence contains %q, which must stay out of the timeline", w)
				}
			}
		})
	}
}

func TestTimelineTextCoversEveryRegisteredEvent(t *testing.T) {
	is := is.New(t)
	covered := map[string]bool{}
	for _, c := range tlTestCases() {
		covered[c.event.EventType()] = true
	}
	var registered []string
	for _, tv := range domain.EventTypes() {
		name, _, _ := strings.Cut(tv, "@")
		registered = append(registered, name)
		if !covered[name] {
			t.Errorf("event type %s is registered in package domain but has no timeline test case", name)
		}
	}
	is.True(len(registered) >= 30) // every incident, alert, user, token and organisation event is registered
	for name := range covered {
		is.True(slices.Contains(registered, name)) // test case for an event type that is not registered
	}
}

// tlTestUnknown is an event type the timeline does not know.
type tlTestUnknown struct {
	domain.Stamp
}

func (tlTestUnknown) EventType() string { return "ExerciseScheduled" }

func TestTimelineTextUnknownEvent(t *testing.T) {
	t.Run("unknown type is named", func(t *testing.T) {
		is := is.New(t)
		vi, en := Sentence(tlTestUnknown{}, tlTestPolice, tlTestCfg)
		pvi, pen := tlTestOrg(t, "police")
		is.Equal(vi, "tuan.le ("+pvi+") đã ghi nhận sự kiện loại ExerciseScheduled.")  // generic Vietnamese sentence
		is.Equal(en, "tuan.le ("+pen+") recorded an event of type ExerciseScheduled.") // generic English sentence
	})
	t.Run("nil event", func(t *testing.T) {
		is := is.New(t)
		vi, en := Sentence(nil, tlTestPolice, tlTestCfg)
		is.True(strings.Contains(vi, "sự kiện không xác định")) // Vietnamese
		is.True(strings.Contains(en, "unknown event"))          // English
	})
	t.Run("nil pointer to an event", func(t *testing.T) {
		is := is.New(t)
		vi, en := Sentence((*domain.NoteAdded)(nil), tlTestPolice, tlTestCfg)
		is.True(strings.Contains(vi, "NoteAdded")) // names the type without panicking
		is.True(strings.Contains(en, "NoteAdded")) // names the type without panicking
	})
	t.Run("pointer to an event reads like the value", func(t *testing.T) {
		is := is.New(t)
		e := domain.HandoffAccepted{HandoffID: "ho-1", Stamp: domain.Stamp{By: tlTestCERT, At: tlTestAt}}
		vi, en := Sentence(&e, tlTestCERT, tlTestCfg)
		wvi, wen := Sentence(e, tlTestCERT, tlTestCfg)
		is.Equal(vi, wvi) // Vietnamese
		is.Equal(en, wen) // English
	})
}

func TestTimelineTextActor(t *testing.T) {
	t.Run("zero actor falls back to the event's By", func(t *testing.T) {
		is := is.New(t)
		vi, en := Sentence(domain.HandoffAccepted{HandoffID: "ho-1", Stamp: domain.Stamp{By: tlTestCERT, At: tlTestAt}}, domain.Actor{}, tlTestCfg)
		cvi, cen := tlTestOrg(t, "cert-health")
		is.Equal(vi, "minh.hoang ("+cvi+") đã tiếp nhận chuyển giao sự cố.")                          // Vietnamese
		is.Equal(en, "minh.hoang ("+cen+") accepted the handoff and took ownership of the incident.") // English
	})
	t.Run("organisation only, and nobody", func(t *testing.T) {
		is := is.New(t)
		vi, en := Sentence(domain.HandoffAccepted{HandoffID: "ho-1"}, domain.Actor{Org: "police"}, tlTestCfg)
		pvi, pen := tlTestOrg(t, "police")
		is.True(strings.HasPrefix(vi, pvi+" đã tiếp nhận chuyển giao sự cố")) // organisation alone
		is.True(strings.HasPrefix(en, pen+" accepted"))                       // organisation alone
		vi, en = Sentence(domain.HandoffAccepted{HandoffID: "ho-1"}, domain.Actor{}, tlTestCfg)
		is.True(strings.HasPrefix(vi, "Hệ thống đã tiếp nhận")) // no actor at all
		is.True(strings.HasPrefix(en, "The system accepted"))   // no actor at all
		vi, en = Sentence(domain.TokenRevoked{TokenID: "t"}, domain.SystemActor, tlTestCfg)
		is.Equal(vi, "Hệ thống đã thu hồi một mã truy cập (token).") // the command-line operator
		is.Equal(en, "The system revoked an access token.")          // the command-line operator
	})
	t.Run("escalation on behalf of another organisation", func(t *testing.T) {
		is := is.New(t)
		e := domain.IncidentEscalated{
			EscalationID: "esc-2",
			From:         "dept-health",
			To:           "police",
			Reason:       "Cần hỗ trợ điều tra",
			Deadline:     tlTestDeadline,
			Stamp:        domain.Stamp{By: tlTestDIC, At: tlTestAt},
		}
		vi, en := Sentence(e, tlTestDIC, tlTestCfg)
		hvi, hen := tlTestOrg(t, "dept-health")
		is.True(strings.Contains(vi, " thay mặt "+hvi+" đã chuyển cấp sự cố lên ")) // Vietnamese names the escalating organisation
		is.True(strings.Contains(en, " on behalf of "+hen+" escalated"))            // English names the escalating organisation
	})
	t.Run("unknown slugs and no configuration", func(t *testing.T) {
		is := is.New(t)
		e := domain.IncidentShared{Orgs: []string{"dept-education"}, Stamp: domain.Stamp{By: domain.Actor{User: "x", Org: "ward-7"}, At: tlTestAt}}
		vi, en := Sentence(e, domain.Actor{}, tlTestCfg)
		is.Equal(vi, "x (ward-7) đã chia sẻ sự cố với dept-education.") // slugs stand in for unknown names
		is.Equal(en, "x (ward-7) shared the incident with dept-education.")
		for _, c := range tlTestCases() {
			vi, en := Sentence(c.event, c.actor, nil)
			is.True(vi != "" && en != "")              // a nil configuration still gives sentences
			is.True(strings.Contains(vi, c.actor.Org)) // with slugs for names
		}
	})
	t.Run("long lists of organisations are counted", func(t *testing.T) {
		is := is.New(t)
		var orgs []string
		for _, o := range tlTestCfg.Organisations[:14] {
			orgs = append(orgs, o.Slug)
		}
		vi, en := Sentence(domain.IncidentShared{Orgs: orgs}, tlTestDIC, tlTestCfg)
		is.True(strings.HasSuffix(vi, " và 4 tổ chức khác."))         // Vietnamese
		is.True(strings.HasSuffix(en, " and 4 other organisations.")) // English
	})
}

func TestTimelineTextNoteExcerpt(t *testing.T) {
	t.Run("long note", func(t *testing.T) {
		is := is.New(t)
		text := "Đội ứng cứu đã cô lập\n\tmáy chủ, " + strings.Repeat("kiểm tra nhật ký truy cập của tường lửa; ", 10) + "KẾT THÚC"
		vi, en := Sentence(domain.NoteAdded{NoteID: "n1", Text: text, TLP: domain.TLPAmber}, tlTestDIC, tlTestCfg)
		_, quoted, ok := strings.Cut(vi, "“")
		is.True(ok) // Vietnamese quotes the excerpt
		excerpt, _, ok := strings.Cut(quoted, "”")
		is.True(ok)                                                                    // the quote is closed
		is.True(utf8.RuneCountInString(excerpt) <= 80)                                 // at most 80 runes
		is.True(strings.HasSuffix(excerpt, "…"))                                       // marked as cut
		is.True(strings.HasPrefix(excerpt, "Đội ứng cứu đã cô lập máy chủ, kiểm tra")) // whitespace folded
		is.True(!strings.Contains(vi, "KẾT THÚC"))                                     // the rest stays out
		is.True(strings.Contains(en, "“"+excerpt+"”"))                                 // English quotes the same excerpt
	})
	t.Run("short note whole", func(t *testing.T) {
		is := is.New(t)
		vi, en := Sentence(domain.NoteAdded{NoteID: "n2", Text: "Đã báo cáo VNCERT/CC.", TLP: domain.TLPGreen}, tlTestDIC, tlTestCfg)
		is.True(strings.HasSuffix(vi, "đã thêm ghi chú (TLP:GREEN): “Đã báo cáo VNCERT/CC.”.")) // Vietnamese
		is.True(strings.HasSuffix(en, "added a note (TLP:GREEN): “Đã báo cáo VNCERT/CC.”."))    // English
	})
	t.Run("long reason is shortened", func(t *testing.T) {
		is := is.New(t)
		vi, _ := Sentence(domain.IncidentReopened{Reason: strings.Repeat("ạ", 5000)}, tlTestDIC, tlTestCfg)
		is.True(utf8.RuneCountInString(vi) < 400) // reasons are excerpts too
		is.True(strings.HasSuffix(vi, "…"))       // marked as cut, no extra full stop
	})
}

func TestTimelineTextTime(t *testing.T) {
	t.Run("LocalTime is Vietnam time", func(t *testing.T) {
		is := is.New(t)
		lt := LocalTime(tlTestDeadline)
		_, off := lt.Zone()
		is.Equal(off, 7*60*60)                                      // UTC+07:00
		is.True(lt.Equal(tlTestDeadline))                           // the same instant
		is.Equal(lt.Format("15:04 02/01/2006"), "14:30 21/11/2026") // wall clock in Vietnam
		late := time.Date(2026, 12, 31, 20, 5, 0, 0, time.UTC)
		is.Equal(LocalTime(late).Format("2006-01-02 15:04"), "2027-01-01 03:05") // crosses midnight and the year
	})
	t.Run("both languages", func(t *testing.T) {
		is := is.New(t)
		paris := time.FixedZone("CET", 3600)
		e := domain.HandoffOffered{
			HandoffID: "ho-2",
			From:      "dic",
			To:        "police",
			Summary:   "s",
			Deadline:  time.Date(2026, 3, 5, 2, 4, 0, 0, paris),
			Stamp:     domain.Stamp{By: tlTestDIC, At: tlTestAt},
		} // 01:04 UTC, 08:04 ICT
		vi, en := Sentence(e, tlTestDIC, tlTestCfg)
		is.True(strings.HasSuffix(vi, " Hạn trả lời: 08:04 05/03/2026."))  // "15:04 02/01/2006" in Vietnamese
		is.True(strings.HasSuffix(en, " Answer by 2026-03-05 08:04 ICT.")) // "2006-01-02 15:04 ICT" in English
	})
	t.Run("zero deadline is left out", func(t *testing.T) {
		is := is.New(t)
		vi, en := Sentence(domain.IncidentEscalated{From: "dic", To: "police", Reason: "r"}, tlTestDIC, tlTestCfg)
		is.True(!strings.Contains(vi, "Hạn xác nhận")) // no deadline in Vietnamese
		is.True(!strings.Contains(en, "Acknowledge"))  // no deadline in English
		is.True(!strings.Contains(vi, "0001"))         // no zero date
	})
}
