package domain

import (
	"testing"
	"time"
)

// testConfig is a small, fixed directory for domain tests; it does not follow DefaultConfig, so
// that changes to the shipped defaults never change what these tests mean.
func testConfig(tb testing.TB) *Config {
	tb.Helper()
	c := &Config{
		Version:       "test-1",
		EffectiveFrom: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		LegalBasis:    "test configuration",
		Province:      "Tỉnh Thử nghiệm",
		OrgKinds: []OrgKind{
			{Code: "POLICE", NameVi: "Công an tỉnh", NameEn: "Provincial police", Force: true},
			{Code: "MILITARY", NameVi: "Bộ Chỉ huy Quân sự tỉnh", NameEn: "Provincial military command", Force: true},
			{Code: "BORDER_GUARD", NameVi: "Bộ Chỉ huy Bộ đội Biên phòng tỉnh", NameEn: "Border guard", Force: true},
			{Code: "DIC", NameVi: "Sở Khoa học và Công nghệ", NameEn: "Department of Science and Technology", Force: true},
			{Code: "PROPAGANDA", NameVi: "Ban Tuyên giáo và Dân vận Tỉnh ủy", NameEn: "Propaganda board", Force: true},
			{Code: "SUBCOMMITTEE", NameVi: "Tiểu ban An toàn, An ninh mạng tỉnh", NameEn: "Cybersecurity subcommittee", Force: true},
			{Code: "PROVINCIAL_CERT", NameVi: "Đội ứng cứu sự cố tỉnh", NameEn: "Provincial CERT", CERT: true},
			{Code: "SECTOR_CERT", NameVi: "CERT lĩnh vực", NameEn: "Sector CERT", CERT: true},
			{Code: "NATIONAL_CERT", NameVi: "VNCERT/CC", NameEn: "VNCERT/CC", CERT: true},
			{Code: "NATIONAL_CYBER_CENTER", NameVi: "Trung tâm An ninh mạng quốc gia", NameEn: "National cybersecurity centre"},
			{Code: "AGENCY", NameVi: "Sở, ban, ngành", NameEn: "Agency"},
			{Code: "SOC", NameVi: "Trung tâm giám sát", NameEn: "Security operations centre"},
		},
		Sectors: []Sector{
			{Code: "TRANSPORT", NameVi: "Giao thông", NameEn: "Transport"},
			{Code: "ENERGY", NameVi: "Năng lượng", NameEn: "Energy"},
			{Code: "NATURAL_RESOURCES", NameVi: "Tài nguyên và môi trường", NameEn: "Natural resources and environment"},
			{Code: "INFORMATION", NameVi: "Thông tin và truyền thông", NameEn: "Information and communications"},
			{Code: "HEALTH", NameVi: "Y tế", NameEn: "Health"},
			{Code: "FINANCE", NameVi: "Tài chính", NameEn: "Finance"},
			{Code: "BANKING", NameVi: "Ngân hàng", NameEn: "Banking"},
			{Code: "DEFENCE", NameVi: "Quốc phòng", NameEn: "Defence"},
			{Code: "PUBLIC_SECURITY", NameVi: "An ninh, trật tự an toàn xã hội", NameEn: "Security and public order"},
			{Code: "URBAN", NameVi: "Đô thị", NameEn: "Urban"},
			{Code: "GOVERNMENT", NameVi: "Chỉ đạo, điều hành của Chính phủ", NameEn: "Government direction and administration"},
		},
		IncidentTypes: []IncidentType{
			{Code: "DOS", NameVi: "Từ chối dịch vụ", NameEn: "Denial of service", RSITClass: "Availability", RSITType: "Denial of Service"},
			{Code: "PHISHING", NameVi: "Tấn công giả mạo", NameEn: "Phishing", RSITClass: "Fraud", RSITType: "Phishing"},
			{Code: "MALWARE", NameVi: "Tấn công sử dụng mã độc", NameEn: "Malware", RSITClass: "Malicious Code", RSITType: "Infected System"},
			{Code: "INTRUSION", NameVi: "Truy cập trái phép, chiếm quyền điều khiển", NameEn: "Intrusion", RSITClass: "Intrusions", RSITType: "System Compromise"},
			{Code: "DEFACEMENT", NameVi: "Thay đổi giao diện", NameEn: "Defacement", RSITClass: "Intrusions", RSITType: "Application Compromise"},
			{Code: "RANSOMWARE", NameVi: "Mã hóa phần mềm, dữ liệu, thiết bị", NameEn: "Ransomware", RSITClass: "Malicious Code", RSITType: "Infected System"},
			{Code: "DESTRUCTION", NameVi: "Phá hoại thông tin, dữ liệu, phần mềm", NameEn: "Destruction", RSITClass: "Information Content Security", RSITType: "Unauthorised modification of information"},
			{Code: "ESPIONAGE", NameVi: "Nghe trộm, gián điệp, lấy cắp thông tin", NameEn: "Espionage", RSITClass: "Information Content Security", RSITType: "Unauthorised access to information"},
			{Code: "COMBINED", NameVi: "Tấn công tổng hợp", NameEn: "Combined attack", RSITClass: "Other", RSITType: "Other"},
			{Code: "HARMFUL_CONTENT", NameVi: "Thông tin xấu độc, tin giả", NameEn: "Harmful content", RSITClass: "Abusive Content", RSITType: "Harmful Speech"},
			{Code: "OTHER", NameVi: "Khác", NameEn: "Other", RSITClass: "Other", RSITType: "Other"},
		},
		Organisations: []Organisation{
			{Slug: "police", Kind: "POLICE", NameVi: "Công an tỉnh", NameEn: "Provincial police"},
			{Slug: "military", Kind: "MILITARY", NameVi: "Bộ Chỉ huy Quân sự tỉnh", NameEn: "Provincial military command"},
			{Slug: "dic", Kind: "DIC", NameVi: "Sở Khoa học và Công nghệ", NameEn: "Department of Science and Technology"},
			{Slug: "propaganda", Kind: "PROPAGANDA", NameVi: "Ban Tuyên giáo và Dân vận", NameEn: "Propaganda board"},
			{Slug: "subcommittee", Kind: "SUBCOMMITTEE", NameVi: "Tiểu ban An toàn, An ninh mạng", NameEn: "Cybersecurity subcommittee"},
			{Slug: "provincial-cert", Kind: "PROVINCIAL_CERT", NameVi: "Đội ứng cứu sự cố tỉnh", NameEn: "Provincial CERT"},
			{Slug: "vncert", Kind: "NATIONAL_CERT", NameVi: "VNCERT/CC", NameEn: "VNCERT/CC"},
			{Slug: "cert-health", Kind: "SECTOR_CERT", NameVi: "CERT y tế", NameEn: "Health CERT", Sector: "HEALTH"},
			{Slug: "cert-banking", Kind: "SECTOR_CERT", NameVi: "CERT ngân hàng", NameEn: "Banking CERT", Sector: "BANKING"},
			{Slug: "dept-health", Kind: "AGENCY", NameVi: "Sở Y tế", NameEn: "Department of Health", Sector: "HEALTH"},
			{Slug: "soc-dic", Kind: "SOC", NameVi: "SOC tỉnh", NameEn: "Provincial SOC"},
		},
		Deadlines: DeadlineSettings{
			AcknowledgeEscalation: Duration(15 * time.Minute),
			EscalateAfter:         Duration(30 * time.Minute),
			AnswerHandoff:         Duration(4 * time.Hour),
			NotifyOwnerAndVNCERT:  Duration(120 * time.Hour),
			ClosingReport:         Duration(720 * time.Hour),
			MinAckWithin:          Duration(time.Minute),
			MaxAckWithin:          Duration(720 * time.Hour),
		},
	}
	c.index()
	return c
}
