package report

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
)

// HTML writes the document as one printable page (A4, no request to any other host): the same
// heading, sections and basis as the PDF.
func HTML(d *Document) ([]byte, error) {
	var buf bytes.Buffer
	err := page.Execute(&buf, map[string]any{"D": d, "Date": DateLine(d.Place, d.Date), "Basis": d.Basis.Lines(),
		"Issuer": strings.ToUpper(d.Issuer), "Signer": strings.ToUpper(orDefault(d.Signer, "Thủ trưởng đơn vị"))})
	if err != nil {
		return nil, fmt.Errorf("writing the page: %w", err)
	}
	return buf.Bytes(), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"inc":    func(i int) int { return i + 1 },
	"orDots": orDots,
	"cells": func(t *Table, row []string) []string {
		var out []string
		for _, c := range t.printed() {
			out = append(out, row[c])
		}
		return out
	},
}).Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{{.D.Title}}</title>
<style>
@page { size: A4; margin: 20mm 20mm 24mm 25mm; }
body { font-family: "Times New Roman", "DejaVu Serif", serif; font-size: 13pt; line-height: 1.45; max-width: 165mm; margin: auto; color: #000; }
.head { display: grid; grid-template-columns: 70mm 1fr; text-align: center; }
.head b { display: block; }
.motto { text-decoration: underline; font-weight: bold; }
.date { font-style: italic; margin-top: .4em; }
h1 { font-size: 14pt; text-align: center; margin: 1.2em 0 0; }
.sub { text-align: center; font-style: italic; margin: 0 0 .6em; }
.to { text-align: center; }
h2 { font-size: 13pt; margin: .8em 0 .2em; }
ul { list-style: "- "; margin: 0; padding-left: 1.2em; }
table { border-collapse: collapse; width: 100%; font-size: 10.5pt; }
th, td { border: 1px solid #000; padding: 2px 4px; vertical-align: top; }
tr.total td { font-weight: bold; }
.note { font-style: italic; font-size: 11pt; }
.sign { display: grid; grid-template-columns: 1fr 1fr; margin-top: 1.5em; }
.sign div:last-child { text-align: center; }
footer { margin-top: 2em; border-top: 1px solid #777; font-size: 8pt; font-style: italic; color: #333; }
</style></head><body>
<div class="head"><div><b>{{.Issuer}}</b>Số: {{orDots .D.Number}}</div>
<div><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><span class="motto">Độc lập - Tự do - Hạnh phúc</span><div class="date">{{.Date}}</div></div></div>
<h1>{{.D.Title}}</h1><p class="sub">{{.D.Subtitle}}</p>
<p class="to">Kính gửi: {{orDots .D.To}}</p>
{{range $i, $s := .D.Sections}}<section><h2>{{inc $i}}. {{$s.Heading}}</h2>
{{if $s.Fields}}<ul>{{range $s.Fields}}<li data-key="{{.Key}}">{{.Label}}: {{orDots .Value}}</li>{{end}}</ul>{{end}}
{{with $s.Table}}{{$t := .}}<table><thead><tr>{{range cells $t .Columns}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range cells $t .}}<td>{{.}}</td>{{end}}</tr>{{end}}{{with .Total}}<tr class="total">{{range cells $t .}}<td>{{.}}</td>{{end}}</tr>{{end}}
</tbody></table>{{end}}{{with $s.Note}}<p class="note">{{.}}</p>{{end}}</section>
{{end}}<div class="sign"><div><b><i>Nơi nhận:</i></b><br>- Như trên;<br>- Lưu: VT.</div><div><b>{{.Signer}}</b><br><i>(Ký, ghi rõ họ tên, đóng dấu)</i></div></div>
{{if .D.Missing}}<p class="note">Các mục để dấu chấm là thông tin nhật ký điều phối không có; đơn vị báo cáo điền bổ sung trước khi ký.</p>{{end}}
<footer>{{range .Basis}}<div>{{.}}</div>{{end}}<div>{{.D.Form}}</div></footer>
</body></html>
`))

// Render writes the document in a format: "pdf", "csv" or "html"; it returns the bytes and
// their media type.
func Render(d *Document, format string) ([]byte, string, error) {
	switch format {
	case "pdf", "":
		b, err := PDF(d)
		return b, "application/pdf", err
	case "csv":
		b, err := CSV(d)
		return b, "text/csv; charset=utf-8", err
	case "html":
		b, err := HTML(d)
		return b, "text/html; charset=utf-8", err
	}
	return nil, "", errorf("format must be pdf, csv or html, not %q", format)
}
