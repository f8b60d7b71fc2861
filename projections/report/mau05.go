package report

import (
	"fmt"
	"strconv"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Line is one row of Mẫu 05: the incidents of one type an organisation had in the period.
type Line struct {
	Type     string
	Count    int
	Alone    int // handled alone
	Domestic int // with help from organisations in Vietnam
	Foreign  int // with help from abroad
	National int // the national coordinator's help was requested
}

// Tally counts incidents for one organisation's periodic summary: those it opened, leads, owns
// or whose system it owns, detected within [From, To). Drills are counted apart and never in a
// line.
type Tally struct {
	cfg       *domain.Config
	Org       string
	From, To  time.Time
	Lines     map[string]*Line
	Drills    map[string]int
	Total     Line
	Incidents int // counted, drills excluded
}

// NewTally starts an empty tally.
func NewTally(cfg *domain.Config, org string, from, to time.Time) *Tally {
	return &Tally{cfg: cfg, Org: org, From: from, To: to, Lines: map[string]*Line{}, Drills: map[string]int{}}
}

// Config returns the configuration the tally counts under.
func (t *Tally) Config() *domain.Config { return t.cfg }

// Add counts the incident if it belongs in the summary.
func (t *Tally) Add(i *domain.Incident) {
	if !i.ReportedBy(t.Org) || i.DetectedAt.Before(t.From) || !i.DetectedAt.Before(t.To) {
		return
	}
	if i.Drill {
		t.Drills[i.Type]++
		return
	}
	l := t.Lines[i.Type]
	if l == nil {
		l = &Line{Type: i.Type}
		t.Lines[i.Type] = l
	}
	a := i.Assistance(t.Org, t.cfg)
	for _, x := range []*Line{l, &t.Total} {
		x.Count++
		x.Alone += b2i(a.Alone)
		x.Domestic += b2i(a.Domestic)
		x.Foreign += b2i(a.Foreign)
		x.National += b2i(a.National)
	}
	t.Incidents++
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Mau05Input is what the periodic summary is made from.
type Mau05Input struct {
	Config *domain.Config
	Period string
	Year   int
	Tally  *Tally
	Fields map[string]string
	Basis  Basis
}

// PeriodName says a period in Vietnamese: "6 tháng đầu năm 2026", "năm 2026".
func PeriodName(period string, year int) string {
	switch period {
	case "H1":
		return "6 tháng đầu năm " + strconv.Itoa(year)
	case "YEAR":
		return "năm " + strconv.Itoa(year)
	}
	return period + " " + strconv.Itoa(year)
}

// Mau05Document is the periodic summary (Báo cáo tổng hợp tình hình sự cố), one line per
// incident type of the configuration, then the drills apart.
func Mau05Document(in Mau05Input) *Document {
	f := &filler{given: in.Fields}
	t, cfg := in.Tally, in.Config
	d := &Document{Form: Mau05, Issuer: orgName(cfg, t.Org), Place: cfg.Province, Date: in.Basis.AsOf,
		Title:    "BÁO CÁO TỔNG HỢP TÌNH HÌNH SỰ CỐ AN TOÀN THÔNG TIN MẠNG " + upper(PeriodName(in.Period, in.Year)),
		Subtitle: "(Mẫu 05 – Phụ lục Thông tư 20/2017/TT-BTTTT)", Basis: in.Basis}
	d.Number, d.To, d.Signer = f.ask("number").Value, f.ask("to").Value, f.ask("signer").Value
	last := t.To.Add(-time.Nanosecond)
	lines := &Table{
		Keys:    []string{"no", "type", "typeName", "count", "handledAlone", "domesticHelp", "foreignHelp", "nationalHelp", "estimatedDamage"},
		Columns: []string{"STT", "Mã", "Loại sự cố", "Tổng số", "Tự xử lý", "Có hỗ trợ trong nước", "Có hỗ trợ nước ngoài", "Đề nghị Cơ quan điều phối quốc gia hỗ trợ", "Ước tính thiệt hại"},
		Widths:  []float64{7, 0, 30, 8, 8, 10, 10, 12, 15},
		Align:   "CCLCCCCCL",
		Code:    1,
	}
	for k, it := range cfg.IncidentTypes {
		l := t.Lines[it.Code]
		if l == nil {
			l = &Line{Type: it.Code}
		}
		damage := f.given["damage."+it.Code]
		lines.Rows = append(lines.Rows, []string{strconv.Itoa(k + 1), it.Code, it.NameVi, strconv.Itoa(l.Count), strconv.Itoa(l.Alone),
			strconv.Itoa(l.Domestic), strconv.Itoa(l.Foreign), strconv.Itoa(l.National), damage})
	}
	tot := t.Total
	lines.Total = []string{"", "", "Tổng cộng", strconv.Itoa(tot.Count), strconv.Itoa(tot.Alone), strconv.Itoa(tot.Domestic),
		strconv.Itoa(tot.Foreign), strconv.Itoa(tot.National), ""}
	drills := &Table{Keys: []string{"type", "typeName", "drills"}, Columns: []string{"Mã", "Loại sự cố", "Số tình huống diễn tập"}, Widths: []float64{0, 70, 30},
		Align: "CLC", Code: 0}
	nd := 0
	for _, it := range cfg.IncidentTypes {
		if n := t.Drills[it.Code]; n > 0 {
			drills.Rows = append(drills.Rows, []string{it.Code, it.NameVi, strconv.Itoa(n)})
			nd += n
		}
	}
	drills.Total = []string{"", "Tổng cộng", strconv.Itoa(nd)}
	d.Sections = []Section{
		{Heading: "Thông tin đơn vị báo cáo", Fields: []Field{known("reporter", "Tên đơn vị", orgName(cfg, t.Org)), f.ask("address"), f.ask("phone"), f.ask("email")}},
		{Heading: "Kỳ báo cáo", Fields: []Field{
			known("period", "Kỳ báo cáo", PeriodName(in.Period, in.Year)),
			known("window", "Số liệu tính từ ngày đến ngày", fmt.Sprintf("%s – %s", t.From.In(domain.Vietnam()).Format("02/01/2006"), last.In(domain.Vietnam()).Format("02/01/2006")))}},
		{Heading: "Tình hình sự cố theo loại", Table: lines,
			Note: "Số liệu tính từ nhật ký điều phối, theo thời điểm phát hiện sự cố; không gồm các tình huống diễn tập. Một sự cố có thể vừa có hỗ trợ vừa đề nghị Cơ quan điều phối quốc gia hỗ trợ. Ước tính thiệt hại do đơn vị báo cáo cung cấp."},
		{Heading: "Diễn tập (không tính vào số liệu trên)", Table: drills},
	}
	d.Missing = f.missing
	return d
}
