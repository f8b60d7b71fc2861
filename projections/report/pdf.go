package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"

	"github.com/go-pdf/fpdf"
)

// DejaVu Serif (fonts-dejavu-core 2.37, Bitstream Vera licence in fonts/LICENSE): embedded in
// every PDF, so diacritics print the same on any machine.
var (
	//go:embed fonts/DejaVuSerif.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSerif-Bold.ttf
	fontBold []byte
	//go:embed fonts/DejaVuSerif-Italic.ttf
	fontItalic []byte
)

// A4 portrait, margins as administrative documents have them (left 25 mm for binding).
const (
	pageW, pageH             = 210.0, 297.0
	marginL, marginR, margin = 25.0, 20.0, 20.0
	footerH                  = 24.0
	bodyW                    = pageW - marginL - marginR
	dots                     = "……………………………………"
)

// PDF writes the document as a PDF: national heading (Quốc hiệu, tiêu ngữ), title, numbered
// sections, signature block, and on every page a footer naming the log basis. Dates inside the
// file are the report's as-of instant, so the same document gives the same bytes.
func PDF(d *Document) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetMargins(marginL, margin, marginR)
	p.SetAutoPageBreak(true, footerH+4)
	p.AddUTF8FontFromBytes("serif", "", fontRegular)
	p.AddUTF8FontFromBytes("serif", "B", fontBold)
	p.AddUTF8FontFromBytes("serif", "I", fontItalic)
	at := d.Basis.AsOf.UTC()
	p.SetCreationDate(at)
	p.SetModificationDate(at)
	p.SetCatalogSort(true)
	p.SetProducer("dieuphoi", true)
	p.SetCreator("dieuphoi", true)
	p.SetTitle(d.Title, true)
	p.SetSubject(d.Form, true)
	p.SetLang("vi-VN")
	p.AliasNbPages("{nb}")
	p.SetFooterFunc(func() {
		p.SetY(-footerH)
		p.SetDrawColor(120, 120, 120)
		p.Line(marginL, p.GetY(), pageW-marginR, p.GetY())
		p.SetFont("serif", "I", 7)
		p.SetTextColor(60, 60, 60)
		for _, l := range d.Basis.Lines() {
			p.MultiCell(bodyW, 3.2, l, "", "L", false)
		}
		p.CellFormat(bodyW, 3.6, fmt.Sprintf("%s – Trang %d/{nb}", d.Form, p.PageNo()), "", 0, "R", false, 0, "")
		p.SetTextColor(0, 0, 0)
		p.SetDrawColor(0, 0, 0)
	})
	p.AddPage()
	w := pdfWriter{p}
	w.heading(d)
	for k, s := range d.Sections {
		w.section(k+1, s)
	}
	w.signature(d)
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("writing the PDF: %w", err)
	}
	return buf.Bytes(), nil
}

type pdfWriter struct{ p *fpdf.Fpdf }

func orDots(s string) string {
	if s == "" {
		return dots
	}
	return s
}

func (w pdfWriter) heading(d *Document) {
	p := w.p
	const left, right = 70.0, bodyW - 70.0
	y0 := p.GetY()
	p.SetFont("serif", "B", 11)
	p.MultiCell(left, 5, strings.ToUpper(d.Issuer), "", "C", false)
	yl := p.GetY() + 1
	p.Line(marginL+left/2-12, yl, marginL+left/2+12, yl)
	p.SetY(yl + 2)
	p.SetFont("serif", "", 11)
	number := d.Number
	if number == "" {
		number = "………/BC"
	}
	p.CellFormat(left, 5, "Số: "+number, "", 2, "C", false, 0, "")
	yLeft := p.GetY()

	p.SetXY(marginL+left, y0)
	p.SetFont("serif", "B", 11)
	p.CellFormat(right, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "", 2, "C", false, 0, "")
	p.SetFont("serif", "B", 12)
	motto := "Độc lập - Tự do - Hạnh phúc"
	p.CellFormat(right, 6, motto, "", 2, "C", false, 0, "")
	mw := p.GetStringWidth(motto)
	ym := p.GetY() + 0.5
	p.Line(marginL+left+(right-mw)/2, ym, marginL+left+(right+mw)/2, ym)
	p.SetY(ym + 3)
	p.SetX(marginL + left)
	p.SetFont("serif", "I", 11)
	p.CellFormat(right, 5, DateLine(d.Place, d.Date), "", 2, "C", false, 0, "")
	p.SetY(max(yLeft, p.GetY()) + 8)

	p.SetFont("serif", "B", 13)
	p.MultiCell(bodyW, 6.5, d.Title, "", "C", false)
	p.SetFont("serif", "I", 11)
	p.MultiCell(bodyW, 5.5, d.Subtitle, "", "C", false)
	p.Ln(3)
	p.SetFont("serif", "", 12)
	p.MultiCell(bodyW, 6, "Kính gửi: "+orDots(d.To), "", "C", false)
	p.Ln(3)
}

func (w pdfWriter) section(n int, s Section) {
	p := w.p
	p.SetFont("serif", "B", 12)
	p.MultiCell(bodyW, 6.5, fmt.Sprintf("%d. %s", n, s.Heading), "", "L", false)
	for _, f := range s.Fields {
		p.SetFont("serif", "", 11.5)
		p.SetX(marginL + 4)
		p.Write(6, "- "+f.Label+": ")
		p.Write(6, orDots(f.Value))
		p.Ln(6.5)
	}
	if s.Table != nil {
		w.table(s.Table)
	}
	if s.Note != "" {
		p.SetFont("serif", "I", 9.5)
		p.MultiCell(bodyW, 4.5, s.Note, "", "J", false)
	}
	p.Ln(2)
}

func (w pdfWriter) table(t *Table) {
	p := w.p
	cols := t.printed()
	sum := 0.0
	for _, c := range cols {
		sum += t.Widths[c]
	}
	const lh = 4.2
	row := func(all []string, style string, header bool) {
		p.SetFont("serif", style, 8.5)
		lines := make([][]string, len(cols))
		widths := make([]float64, len(cols))
		h := 0.0
		for i, c := range cols {
			widths[i] = bodyW * t.Widths[c] / sum
			lines[i] = p.SplitText(all[c], widths[i]-2)
			if len(lines[i]) == 0 {
				lines[i] = []string{""}
			}
			h = max(h, float64(len(lines[i]))*lh+2)
		}
		if p.GetY()+h > pageH-footerH-4 {
			p.AddPage()
		}
		x, y := marginL, p.GetY()
		for i, c := range cols {
			p.Rect(x, y, widths[i], h, "D")
			align := "C"
			if !header && c < len(t.Align) {
				align = t.Align[c : c+1]
			}
			for k, l := range lines[i] {
				p.SetXY(x+1, y+1+float64(k)*lh)
				p.CellFormat(widths[i]-2, lh, l, "", 0, align, false, 0, "")
			}
			x += widths[i]
		}
		p.SetXY(marginL, y+h)
	}
	row(t.Columns, "B", true)
	for _, r := range t.Rows {
		row(r, "", false)
	}
	if t.Total != nil {
		row(t.Total, "B", false)
	}
	p.Ln(2)
}

func (w pdfWriter) signature(d *Document) {
	p := w.p
	if p.GetY()+40 > pageH-footerH-4 {
		p.AddPage()
	}
	p.Ln(4)
	const half = bodyW / 2
	y := p.GetY()
	p.SetFont("serif", "B", 10)
	p.CellFormat(half, 5, "Nơi nhận:", "", 2, "L", false, 0, "")
	p.SetFont("serif", "", 10)
	p.CellFormat(half, 5, "- Như trên;", "", 2, "L", false, 0, "")
	p.CellFormat(half, 5, "- Lưu: VT.", "", 2, "L", false, 0, "")
	p.SetXY(marginL+half, y)
	p.SetFont("serif", "B", 11)
	signer := d.Signer
	if signer == "" {
		signer = "THỦ TRƯỞNG ĐƠN VỊ"
	}
	p.CellFormat(half, 5.5, strings.ToUpper(signer), "", 2, "C", false, 0, "")
	p.SetFont("serif", "I", 10)
	p.CellFormat(half, 5, "(Ký, ghi rõ họ tên, đóng dấu)", "", 2, "C", false, 0, "")
	if len(d.Missing) > 0 {
		p.SetY(p.GetY() + 22)
		p.SetFont("serif", "I", 9)
		p.MultiCell(bodyW, 4.5, "Các mục để dấu chấm là thông tin nhật ký điều phối không có; đơn vị báo cáo điền bổ sung trước khi ký.", "", "L", false)
	}
}
