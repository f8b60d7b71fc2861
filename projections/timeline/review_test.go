package timeline

import (
	"strings"
	"testing"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/matryer/is"
)

const testRootB64 = "uJ8Wc3Zq0m2y6nD1pQv8sT4kLx9rA7eF2gH5jK0lM1o="

// evidenceTestCases are the timeline cases of evidence and its chain of custody.
func evidenceTestCases() []testCase {
	return []testCase{
		{name: "EvidenceAdded", actor: testPolice,
			event: domain.EvidenceAdded{EvidenceID: "ev-1", Name: "tuong-lua.log", MediaType: "text/plain",
				SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Size: 1048576, TLP: domain.TLPAmberStrict,
				SourceSystem: "Tường lửa biên HIS", Description: "Nhật ký chứa địa chỉ của nghi phạm Trần Văn Hùng", CollectedAt: testAt,
				Object: "ev-1", Stamp: domain.Stamp{By: testPolice, At: testAt}},
			vi: []string{"đã lưu chứng cứ “tuong-lua.log” (text/plain, 1.048.576 byte, SHA-256 9f86d081884c7d65…)",
				"thu thập từ hệ thống “Tường lửa biên HIS” lúc 14:00 21/11/2026 (TLP:AMBER+STRICT)."},
			en: []string{"added evidence “tuong-lua.log” (text/plain, 1,048,576 bytes, SHA-256 9f86d081884c7d65…)",
				"collected from “Tường lửa biên HIS” at 2026-11-21 14:00 ICT (TLP:AMBER+STRICT)."},
			absent: []string{"Trần Văn Hùng"}},
		{name: "EvidenceCustodyTransferred", actor: testPolice, orgs: []string{"cert-health"},
			event: domain.EvidenceCustodyTransferred{EvidenceID: "ev-1", From: "police/tuan.le", To: "cert-health/minh.hoang",
				Reason: "Phân tích mẫu mã độc", Stamp: domain.Stamp{By: testPolice, At: testAt}},
			vi: []string{"đã chuyển quyền lưu giữ chứng cứ ev-1 từ tuan.le (", "cho minh.hoang (", "): Phân tích mẫu mã độc."},
			en: []string{"handed custody of evidence ev-1 from tuan.le (", "to minh.hoang (", "): Phân tích mẫu mã độc."}},
		{name: "EvidenceDownloaded", actor: testSub,
			event: domain.EvidenceDownloaded{EvidenceID: "ev-1", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				Stamp: domain.Stamp{By: testSub, At: testAt}},
			vi: []string{"đã tải xuống chứng cứ ev-1 (đã đối chiếu SHA-256 9f86d081884c7d65…)."},
			en: []string{"downloaded evidence ev-1 (checked against SHA-256 9f86d081884c7d65…)."}},
	}
}

// reviewTestCases are the timeline cases of reviews.
func reviewTestCases() []testCase {
	return []testCase{
		{name: "ReviewOpened of an incident", actor: testSub, orgs: []string{"police", "military", "dic", "propaganda", "subcommittee"},
			event: domain.ReviewOpened{ReviewID: "r-1", Title: "Rà soát sự cố mã độc HIS", IncidentID: "inc-7",
				Pin:     domain.ReviewPin{Origin: "dieuphoi/events", TreeSize: 1234, RootHash: testRootB64, Checkpoint: "…", IncidentSequence: 1200, IncidentVersion: 40},
				Signers: []string{"police", "military", "dic", "propaganda", "subcommittee"}, Stamp: domain.Stamp{By: testSub, At: testAt}},
			vi: []string{"đã mở rà soát “Rà soát sự cố mã độc HIS” đối với sự cố inc-7", "điểm kiểm tra đã ký 1234 bản ghi, gốc uJ8Wc3Zq0m2y…", "cần chữ ký của"},
			en: []string{"opened the review “Rà soát sự cố mã độc HIS” of incident inc-7", "signed checkpoint of 1234 commits, root uJ8Wc3Zq0m2y…", "to be signed by"}},
		{name: "ReviewOpened of a period", actor: testSub,
			event: domain.ReviewOpened{ReviewID: "r-2", Title: "Quý 3", PeriodFrom: testAt.Add(-90 * 24 * time.Hour), PeriodTo: testAt,
				Pin: domain.ReviewPin{TreeSize: 99, RootHash: testRootB64}, Signers: []string{"police"}, Stamp: domain.Stamp{By: testSub, At: testAt}},
			vi: []string{"đối với các sự cố từ 14:00 23/08/2026 đến 14:00 21/11/2026"},
			en: []string{"of the incidents from 2026-08-23 14:00 ICT to 2026-11-21 14:00 ICT"}},
		{name: "ReviewSignedOff", actor: testPolice,
			event: domain.ReviewSignedOff{Comment: "Đồng ý với kết luận", TreeSize: 1234, RootHash: testRootB64, Stamp: domain.Stamp{By: testPolice, At: testAt}},
			vi:    []string{"đã ký xác nhận rà soát (lịch sử đến điểm kiểm tra đã ký 1234 bản ghi", ": Đồng ý với kết luận."},
			en:    []string{"signed the review off (the history up to the signed checkpoint of 1234 commits", ": Đồng ý với kết luận."}},
		{name: "ReviewObjected", actor: testDIC,
			event: domain.ReviewObjected{Comment: "Thiếu nhật ký tường lửa", TreeSize: 1234, RootHash: testRootB64, Stamp: domain.Stamp{By: testDIC, At: testAt}},
			vi:    []string{"đã phản đối kết quả rà soát", ": Thiếu nhật ký tường lửa."},
			en:    []string{"objected to the review", ": Thiếu nhật ký tường lửa."}},
		{name: "ReviewFindingRecorded", actor: testSub,
			event: domain.ReviewFindingRecorded{FindingID: "f-1", Kind: domain.FindingKindLesson, Text: "Rút ngắn thời gian xác nhận chuyển cấp", TLP: domain.TLPAmber,
				Stamp: domain.Stamp{By: testSub, At: testAt}},
			vi: []string{"đã ghi nhận một bài học kinh nghiệm (TLP:AMBER): “Rút ngắn thời gian xác nhận chuyển cấp”."},
			en: []string{"recorded a lesson learned (TLP:AMBER): “Rút ngắn thời gian xác nhận chuyển cấp”."}},
		{name: "ReviewFindingRecorded (finding)", actor: testSub,
			event: domain.ReviewFindingRecorded{FindingID: "f-2", Kind: domain.FindingKindFinding, Text: "x", TLP: domain.TLPRed, Stamp: domain.Stamp{By: testSub, At: testAt}},
			vi:    []string{"đã ghi nhận một phát hiện (TLP:RED)"},
			en:    []string{"recorded a finding (TLP:RED)"}},
		{name: "ReviewCompleted", actor: testDIC, orgs: []string{"police", "subcommittee"},
			event: domain.ReviewCompleted{Signers: []string{"police", "dic", "subcommittee"}, Stamp: domain.Stamp{By: testDIC, At: testAt}},
			vi:    []string{"đã hoàn tất rà soát: đủ chữ ký của"},
			en:    []string{"completed the review: signed by every required signer"}},
	}
}

func TestAccessAndRequestSentences(t *testing.T) {
	is := is.New(t)
	pvi, pen := testOrg(t, "police")
	dvi, den := testOrg(t, "dic")
	a := Access("police", true, ViaEscalated, testDIC, testAt, testCfg)
	is.Equal(a.Vi, pvi+" có thể đọc sự cố từ 14:00 21/11/2026: sự cố được chuyển cấp tới đơn vị (bởi lan.nguyen ("+dvi+")).")             // Vietnamese
	is.Equal(a.En, pen+" could read the incident from 2026-11-21 14:00 ICT: the incident was escalated to it (by lan.nguyen ("+den+")).") // English
	lost := Access("cert-health", false, ViaTLP, testDIC, testAt, testCfg)
	is.True(strings.Contains(lost.Vi, "không còn đọc được sự cố từ 14:00 21/11/2026: nhãn TLP của sự cố thay đổi")) // lost access, Vietnamese
	is.True(strings.Contains(lost.En, "could no longer read the incident from 2026-11-21 14:00 ICT: the incident's TLP changed"))
	opened := Access("dic", true, ViaOpened, testDIC, testAt, testCfg)
	is.True(!strings.Contains(opened.En, "(by")) // opening names no other actor

	late := Request(RequestFacts{Escalation: true, At: testAt, Deadline: testDeadline, AcknowledgedAt: testDeadline.Add(72 * time.Minute),
		Late: 72 * time.Minute, Outcome: "ACKNOWLEDGED"})
	is.Equal(late.Vi, "Được yêu cầu xác nhận chuyển cấp lúc 14:00 21/11/2026 (hạn xác nhận 14:30 21/11/2026): đã xác nhận lúc 15:42 21/11/2026, muộn 1 giờ 12 phút.")
	is.Equal(late.En, "Asked to acknowledge an escalation at 2026-11-21 14:00 ICT (due 2026-11-21 14:30 ICT): acknowledged at 2026-11-21 15:42 ICT, late by 1 h 12 min.")
	overdue := Request(RequestFacts{At: testAt, Deadline: testDeadline, Overdue: 50 * time.Hour, Outcome: "OFFERED"})
	is.True(strings.Contains(overdue.Vi, "chưa trả lời, đã quá hạn 2 ngày 2 giờ.")) // an unanswered offer past its deadline
	is.True(strings.Contains(overdue.En, "not answered, overdue by 2 d 2 h."))
	onTime := Request(RequestFacts{At: testAt, Deadline: testDeadline, AnsweredAt: testAt.Add(time.Minute), Outcome: "RETURNED"})
	is.True(strings.Contains(onTime.En, "accepted at 2026-11-21 14:01 ICT, on time, later handed the incident back.")) // accepted then returned
	is.Equal(Duration(40*time.Second).Vi, "40 giây")                                                                   // seconds
	is.Equal(Duration(24*time.Hour+5*time.Minute).En, "1 d")                                                           // the next unit only when not zero
	is.Equal(Duration(0).En, "under 1 s")                                                                              // nothing
}
