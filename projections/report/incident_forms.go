package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dieuphoi/dieuphoi/domain"
)

// IncidentInput is what Mẫu 03 and Mẫu 04 are made from: the incident as the reader may read it
// as of Basis.AsOf (through today's rights), the reader's organisation, which reports, and the
// fields the log does not know.
type IncidentInput struct {
	Config   *domain.Config
	Reporter string
	Incident *domain.Incident
	Fields   map[string]string
	Basis    Basis
}

var (
	severityVi   = map[domain.Severity]string{domain.SeverityLow: "Thấp", domain.SeverityMedium: "Trung bình", domain.SeverityHigh: "Cao", domain.SeverityCritical: "Rất cao"}
	tierVi       = map[domain.Tier]string{domain.TierOrdinary: "Sự cố thông thường (Thông tư 20/2017)", domain.TierSerious: "Sự cố nghiêm trọng (Quyết định 05/2017)"}
	resolutionVi = map[domain.Resolution]string{domain.ResolutionResolved: "Đã xử lý xong", domain.ResolutionFalsePositive: "Cảnh báo sai, không phải sự cố",
		domain.ResolutionDuplicate: "Trùng với sự cố khác", domain.ResolutionNoAction: "Không cần xử lý thêm"}
	infoClassVi = map[domain.InfoClass]string{domain.InfoPublic: "Thông tin công cộng", domain.InfoPrivate: "Thông tin riêng", domain.InfoPersonal: "Thông tin cá nhân",
		domain.InfoSecretConfident: "Bí mật nhà nước độ Mật", domain.InfoSecretSecret: "Bí mật nhà nước độ Tối mật", domain.InfoSecretTop: "Bí mật nhà nước độ Tuyệt mật"}
)

// heading fills what every incident form starts with.
func (in IncidentInput) heading(f *filler, form, title string) *Document {
	d := &Document{Form: form, Issuer: orgName(in.Config, in.Reporter), Place: in.Config.Province, Date: in.Basis.AsOf, Title: title,
		Subtitle: "(Mẫu " + strings.TrimPrefix(form, "MAU_") + " – Phụ lục Thông tư 20/2017/TT-BTTTT)", Basis: in.Basis}
	d.Number, d.To, d.Signer = f.ask("number").Value, f.ask("to").Value, f.ask("signer").Value
	return d
}

func (in IncidentInput) reporterSection(f *filler) Section {
	return Section{Heading: "Thông tin đơn vị báo cáo sự cố", Fields: []Field{
		known("reporter", "Tên đơn vị", orgName(in.Config, in.Reporter)), f.ask("address"), f.ask("phone"), f.ask("email")}}
}

func (in IncidentInput) systemSection(f *filler, mau03 bool) Section {
	i := in.Incident
	sys := i.AffectedSystem
	if sys == nil {
		sys = &domain.AffectedSystem{}
	}
	level := "Chưa xác định"
	if sys.SecurityLevel > 0 {
		level = "Cấp độ " + strconv.Itoa(sys.SecurityLevel)
	}
	fields := []Field{known("systemName", "Tên hệ thống thông tin", sys.Name)}
	if mau03 {
		fields = append(fields, f.ask("systemOperator"))
	}
	owner := ""
	if sys.OwnerOrg != "" {
		owner = orgName(in.Config, sys.OwnerOrg)
	}
	fields = append(fields, known("systemOwner", "Cơ quan, đơn vị chủ quản", owner), known("securityLevel", "Cấp độ an toàn hệ thống", level),
		known("infoClass", "Phân loại thông tin", infoClassVi[sys.InfoClass]))
	if mau03 {
		fields = append(fields, f.ask("securityProvider"), f.ask("connectivityProvider"))
	}
	return Section{Heading: "Thông tin hệ thống bị sự cố", Fields: fields}
}

func (in IncidentInput) description() string {
	i := in.Incident
	if i.Description == "" {
		return i.Title
	}
	return i.Title + ". " + i.Description
}

// reached lists the organisations the incident reached through the service or was recorded
// as notified of.
func (in IncidentInput) reached() []string {
	i := in.Incident
	orgs := slices.Clone(i.Notified)
	add := func(o string) {
		if o != "" && o != in.Reporter && !slices.Contains(orgs, o) {
			orgs = append(orgs, o)
		}
	}
	for _, x := range i.Escalations {
		add(x.To)
	}
	for _, h := range i.Handoffs {
		add(h.To)
	}
	for _, o := range i.Shared {
		add(o)
	}
	slices.Sort(orgs)
	return slices.DeleteFunc(orgs, func(o string) bool { return o == in.Reporter })
}

// Mau03Document is the initial report (Báo cáo ban đầu sự cố).
func Mau03Document(in IncidentInput) *Document {
	f := &filler{given: in.Fields}
	i, cfg := in.Incident, in.Config
	d := in.heading(f, Mau03, "BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG")
	status := "Chưa xử lý xong"
	if i.Status == domain.IncidentStatusClosed {
		status = "Đã kết thúc: " + resolutionVi[i.Resolution]
	}
	method := f.ask("detectionMethod")
	if method.Value == "" && i.Source == domain.SourceAlerts {
		method = known("detectionMethod", method.Label, "Hệ thống giám sát (cảnh báo từ SOC/IDS)")
		f.missing = slices.DeleteFunc(f.missing, func(k string) bool { return k == "detectionMethod" })
	}
	reached := in.reached()
	var network, national []string
	for _, o := range reached {
		switch {
		case slices.Contains(cfg.NationalCERTs(), o):
			national = append(national, o)
		case cfg.IsCERT(o):
			network = append(network, o)
		}
	}
	var support []string
	for _, h := range i.Handoffs {
		if h.From == in.Reporter && h.RequestedAction != "" {
			support = append(support, orgName(cfg, h.To)+": "+h.RequestedAction)
		}
	}
	for _, x := range i.Escalations {
		if x.From == in.Reporter && slices.Contains(cfg.NationalCERTs(), x.To) {
			support = append(support, orgName(cfg, x.To)+": "+x.Reason)
		}
	}
	secret := i.TLP == domain.TLPAmberStrict || i.TLP == domain.TLPRed || i.AffectedSystem.StateSecret()
	var layers []string
	if i.AffectedSystem != nil {
		layers = i.AffectedSystem.ProtectionLayers
	}
	d.Sections = []Section{
		in.reporterSection(f),
		{Heading: "Thông tin người liên hệ", Fields: []Field{f.ask("contactName"), f.ask("contactTitle"), f.ask("contactPhone"), f.ask("contactEmail")}},
		in.systemSection(f, true),
		{Heading: "Thông tin về sự cố", Fields: []Field{
			known("incidentId", "Mã sự cố trong hệ thống điều phối", i.ID),
			known("summary", "Mô tả sơ bộ về sự cố", in.description()),
			known("type", "Loại sự cố", typeName(cfg, i.Type)),
			known("severity", "Mức độ", severityVi[i.Severity]+"; "+tierVi[i.Tier]),
			known("detectedAt", "Thời điểm phát hiện", Stamp(i.DetectedAt)),
			known("status", "Tình trạng", status),
			method,
			known("notifiedNetwork", "Đã thông báo cho thành viên mạng lưới ứng cứu", orgNames(cfg, network)),
			f.ask("notifiedISP"),
			known("notifiedNational", "Đã thông báo cho Cơ quan điều phối quốc gia", yesNo(len(national) > 0)),
		}},
		{Heading: "Thông tin bổ sung về hệ thống", Fields: []Field{
			f.ask("os"), f.ask("services"),
			known("protection", "Các biện pháp bảo đảm an toàn thông tin đã triển khai", strings.Join(layers, "; ")),
			f.ask("publicIPs"), f.ask("domains")}},
		{Heading: "Tài liệu đính kèm", Fields: []Field{f.ask("attachments")}},
		{Heading: "Thông tin mật và đề nghị hỗ trợ", Fields: []Field{
			known("confidential", "Thông tin cần giữ bí mật", yesNo(secret)),
			known("supportRequested", "Đề nghị hỗ trợ", strings.Join(support, "; ")),
			known("reportedAt", "Thời gian gửi báo cáo", Stamp(in.Basis.AsOf))}},
	}
	d.Missing = f.missing
	return d
}

// Mau04Document is the closing report (Báo cáo kết thúc ứng cứu sự cố); the incident must be
// closed.
func Mau04Document(in IncidentInput) (*Document, error) {
	i, cfg := in.Incident, in.Config
	if i.Status != domain.IncidentStatusClosed {
		return nil, domain.Errorf(domain.ECONFLICT, "the closing report (Mẫu 04) is made once the incident is closed")
	}
	f := &filler{given: in.Fields}
	d := in.heading(f, Mau04, "BÁO CÁO KẾT THÚC ỨNG CỨU SỰ CỐ AN TOÀN THÔNG TIN MẠNG")
	initial := "Chưa gửi báo cáo ban đầu"
	if k := slices.IndexFunc(i.Reports, func(r domain.SubmittedReport) bool { return r.Form == domain.ReportFormInitial }); k >= 0 {
		r := i.Reports[k]
		initial = fmt.Sprintf("Số %s, gửi lúc %s", r.Reference, Stamp(r.At))
	}
	var helpers []string
	for _, x := range i.Escalations {
		if !x.AckAt.IsZero() && x.To != in.Reporter {
			helpers = append(helpers, orgName(cfg, x.To)+" (tiếp nhận báo cáo lúc "+Stamp(x.AckAt)+")")
		}
	}
	for _, h := range i.Handoffs {
		if (h.Status == domain.HandoffStatusAccepted || h.Status == domain.HandoffStatusReturned) && h.To != in.Reporter {
			helpers = append(helpers, orgName(cfg, h.To)+" (nhận xử lý)")
		}
	}
	d.Sections = []Section{
		in.reporterSection(f),
		{Heading: "Tham chiếu báo cáo ban đầu", Fields: []Field{known("initialReport", "Báo cáo ban đầu (Mẫu 03)", initial)}},
		in.systemSection(f, false),
		{Heading: "Thông tin về sự cố", Fields: []Field{
			known("incidentId", "Mã sự cố trong hệ thống điều phối", i.ID),
			known("summary", "Mô tả sự cố", in.description()),
			known("type", "Loại sự cố", typeName(cfg, i.Type)),
			known("detectedAt", "Thời điểm phát hiện", Stamp(i.DetectedAt)),
			known("closedAt", "Thời điểm kết thúc ứng cứu", Stamp(i.ClosedAt))}},
		{Heading: "Kết quả xử lý sự cố và kiến nghị", Fields: []Field{
			known("resolution", "Kết quả", resolutionVi[i.Resolution]),
			known("resolutionSummary", "Tóm tắt quá trình xử lý", i.CloseSummary),
			known("helpers", "Các đơn vị đã phối hợp, hỗ trợ", strings.Join(helpers, "; ")),
			f.ask("recommendations")}},
		{Heading: "Tài liệu đính kèm", Fields: []Field{f.ask("attachments")}},
	}
	d.Missing = f.missing
	return d, nil
}
