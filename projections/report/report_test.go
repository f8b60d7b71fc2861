package report_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/projections/report"
	"github.com/dieuphoi/dieuphoi/projections/report/reporttest"
)

var (
	t0     = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
	dicLan = domain.Actor{User: "lan", Org: "dic", Role: domain.RoleCoordinator}
	basis  = report.Basis{AsOf: t0.Add(48 * time.Hour), Origin: "dieuphoi/events", TreeSize: 42, Root: "q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng=",
		SignedSize: 44, SignedRoot: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", Reader: "dic/lan"}
)

// incident replays the events of a ransomware case at the provincial hospital.
func incident(closed bool) *domain.Incident {
	i := domain.NewIncident("inc-0001")
	evs := []domain.Event{
		domain.IncidentOpened{ID: "inc-0001", Title: "Mã độc mã hóa dữ liệu máy chủ bệnh viện tỉnh", Description: "Máy chủ HIS bị mã hóa.",
			TLP: domain.TLPAmber, PAP: domain.PAPAmber, Source: domain.SourceAlerts, DetectedAt: t0,
			Classification: domain.Classification{Type: "RANSOMWARE", Severity: domain.SeverityHigh, Tier: domain.TierOrdinary, Sector: "HEALTH",
				AffectedSystem: &domain.AffectedSystem{Name: "Hệ thống HIS", OwnerOrg: "dept-health", SecurityLevel: 3, InfoClass: domain.InfoPersonal,
					ProtectionLayers: []string{"Tổ chức tại chỗ", "Giám sát chuyên nghiệp"}}},
			Stamp: domain.Stamp{By: dicLan, At: t0.Add(time.Minute)}},
		domain.HandoffOffered{HandoffID: "h1", From: "dic", To: "vncert", Summary: "s", RequestedAction: "Hỗ trợ phân tích mẫu mã độc", TLP: domain.TLPAmber,
			Deadline: t0.Add(5 * time.Hour), Stamp: domain.Stamp{By: dicLan, At: t0.Add(time.Hour)}},
		domain.ReportSubmitted{Form: domain.ReportFormInitial, Reference: "45/BC-SKHCN", Summary: "x", Stamp: domain.Stamp{By: dicLan, At: t0.Add(2 * time.Hour)}},
	}
	if closed {
		evs = append(evs, domain.HandoffAccepted{HandoffID: "h1", Stamp: domain.Stamp{By: domain.Actor{User: "minh", Org: "vncert", Role: domain.RoleCoordinator}, At: t0.Add(3 * time.Hour)}},
			domain.IncidentClosed{Resolution: domain.ResolutionResolved, Summary: "Đã khôi phục dữ liệu từ bản sao lưu.", Stamp: domain.Stamp{By: dicLan, At: t0.Add(40 * time.Hour)}})
	}
	for _, e := range evs {
		i.Replay(e)
	}
	return i
}

var mustPDFText = reporttest.MustPDFText

func TestMau03(t *testing.T) {
	is := is.New(t)
	cfg := domain.DefaultConfig()
	in := report.IncidentInput{Config: cfg, Reporter: "dic", Incident: incident(false), Basis: basis,
		Fields: map[string]string{"contactName": "Nguyễn Thị Lan", "publicIPs": "203.0.113.7"}}
	d := report.Mau03Document(in)
	is.True(len(d.Missing) > 0)                  // what the log does not know is asked for
	is.True(!contains(d.Missing, "contactName")) // given
	pdf, err := report.PDF(d)
	is.NoErr(err) // PDF
	again, err := report.PDF(report.Mau03Document(in))
	is.NoErr(err)
	is.True(bytes.Equal(pdf, again)) // two generations are byte-identical
	text := mustPDFText(t, pdf)
	for _, want := range []string{
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG",
		"Mã độc mã hóa dữ liệu máy chủ bệnh viện tỉnh", "Mã hóa phần mềm, dữ liệu, thiết bị", "Nguyễn Thị Lan", "Hệ thống HIS", "Cấp độ 3",
		"Đã thông báo cho Cơ quan điều phối quốc gia: Có", "Hỗ trợ phân tích mẫu mã độc", "Hệ thống giám sát (cảnh báo từ SOC/IDS)",
		"Tổ chức tại chỗ; Giám sát chuyên nghiệp", "ngày 04 tháng 03 năm 2026", "cây Merkle 42 bản ghi", "dieuphoi verify --report-root 42:" + basis.Root,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
}

func TestMau04(t *testing.T) {
	is := is.New(t)
	cfg := domain.DefaultConfig()
	_, err := report.Mau04Document(report.IncidentInput{Config: cfg, Reporter: "dic", Incident: incident(false), Basis: basis})
	is.Equal(domain.ErrorCode(err), domain.ECONFLICT) // not closed: no closing report
	d, err := report.Mau04Document(report.IncidentInput{Config: cfg, Reporter: "dic", Incident: incident(true), Basis: basis,
		Fields: map[string]string{"recommendations": "Sao lưu định kỳ, tách mạng quản trị."}})
	is.NoErr(err)
	pdf, err := report.PDF(d)
	is.NoErr(err)
	text := mustPDFText(t, pdf)
	for _, want := range []string{"BÁO CÁO KẾT THÚC ỨNG CỨU SỰ CỐ AN TOÀN THÔNG TIN MẠNG", "Số 45/BC-SKHCN", "Đã khôi phục dữ liệu từ bản sao lưu.",
		"Sao lưu định kỳ, tách mạng quản trị.", "Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam", "Đã xử lý xong"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
}

func TestCheckFields(t *testing.T) {
	cfg := domain.DefaultConfig()
	for _, tc := range []struct {
		name   string
		form   string
		fields map[string]string
		code   string
	}{
		{"known", report.Mau03, map[string]string{"os": " Windows Server 2019 "}, ""},
		{"not asked by this form", report.Mau04, map[string]string{"os": "x"}, domain.EINVALID},
		{"damage of a type", report.Mau05, map[string]string{"damage.MALWARE": "50 triệu đồng"}, ""},
		{"damage of an unknown type", report.Mau05, map[string]string{"damage.NOPE": "1"}, domain.EINVALID},
		{"too long", report.Mau03, map[string]string{"os": strings.Repeat("x", report.MaxFieldBytes+1)}, domain.ETOOLARGE},
		{"control characters", report.Mau03, map[string]string{"os": "a\x00b"}, domain.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			_, err := report.CheckFields(tc.form, cfg, tc.fields)
			is.Equal(domain.ErrorCode(err), tc.code) // error code
		})
	}
}

func TestRenderFormats(t *testing.T) {
	is := is.New(t)
	d := report.Mau03Document(report.IncidentInput{Config: domain.DefaultConfig(), Reporter: "dic", Incident: incident(false), Basis: basis})
	c, typ, err := report.Render(d, "csv")
	is.NoErr(err)
	is.Equal(typ, "text/csv; charset=utf-8")
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(c, []byte("\ufeff")))).ReadAll()
	is.NoErr(err) // valid CSV
	got := map[string]string{}
	for _, r := range rows {
		got[r[0]+"/"+r[1]] = r[3]
	}
	is.Equal(got["basis/treeSize"], "42")                                             // the basis closes the file
	is.Equal(got["basis/root"], basis.Root)                                           // with the root
	is.Equal(got["missing/contactName"], "")                                          // an asked field nobody gave is listed
	is.True(strings.HasPrefix(got["4. Thông tin về sự cố/summary"], "Mã độc mã hóa")) // a field
	h, typ, err := report.Render(d, "html")
	is.NoErr(err)
	is.Equal(typ, "text/html; charset=utf-8")
	is.True(bytes.Contains(h, []byte("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"))) // the national heading
	is.True(!bytes.Contains(h, []byte("http")))                              // nothing loaded from elsewhere
	_, _, err = report.Render(d, "docx")
	is.Equal(domain.ErrorCode(err), domain.EINVALID) // unknown format
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
