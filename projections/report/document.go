// Package report makes the regulatory reports of Thông tư 20/2017 (Mẫu 03 initial report,
// Mẫu 04 closing report, Mẫu 05 periodic summary) from what the log says, and writes them as
// PDF, CSV and a printable HTML page. A report is a pure function of its inputs: the incidents as
// the requesting reader may read them, the fields the person asked gives (what the log does not
// know), the instant it is as of, and the transparency-log basis it names. The same inputs give
// byte-identical output.
package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Forms this package makes.
const (
	Mau03 = "MAU_03" // Báo cáo ban đầu sự cố (initial report)
	Mau04 = "MAU_04" // Báo cáo kết thúc ứng cứu sự cố (closing report)
	Mau05 = "MAU_05" // Báo cáo tổng hợp định kỳ (periodic summary)
)

// Document is one generated report, in the form's order: heading, title, numbered sections.
type Document struct {
	Form     string
	Issuer   string // the reporting organisation, as the heading names it
	Number   string // "Số: ..." under the issuer; blank to be filled by hand
	Place    string // province, for the date line
	Date     time.Time
	Title    string
	Subtitle string
	To       string // "Kính gửi"
	Sections []Section
	Signer   string // who signs: a title; the name is written by hand
	Basis    Basis
	// Missing lists the keys of asked fields nobody gave: printed blank, to be filled by hand.
	Missing []string
}

// Section is a numbered part of a form: fields, a table, or both.
type Section struct {
	Heading string
	Fields  []Field
	Table   *Table
	Note    string // a sentence under the section, in italics
}

// Field is one line of a form. Asked marks a field the log does not know: the value is what the
// person who made the report gave, or blank.
type Field struct {
	Key   string
	Label string
	Value string
	Asked bool
}

// Table is a table of a form; Keys name its columns in CSV.
type Table struct {
	Keys    []string
	Columns []string
	Widths  []float64 // relative widths on paper
	Align   string    // per column on paper: L, C or R
	Rows    [][]string
	Total   []string // a last row in bold, if any
	// Code is the column that holds each row's code (its key in CSV): CSV only, not on paper.
	Code int
}

// printed returns the indexes of the columns printed on paper.
func (t *Table) printed() []int {
	var out []int
	for i := range t.Columns {
		if i != t.Code {
			out = append(out, i)
		}
	}
	return out
}

// Basis ties the report to the log: the tree of every commit recorded at or before AsOf and the
// first signed checkpoint that covers it.
type Basis struct {
	AsOf     time.Time
	Origin   string // the log's name in its checkpoints
	TreeSize int64
	Root     string // base64, as checkpoints write it
	// Signed is the first published checkpoint whose tree covers TreeSize.
	SignedSize int64
	SignedRoot string
	Reader     string // "org/user" whose rights the report was made through
}

// Lines is the basis in words, as every format prints it.
func (b Basis) Lines() []string {
	return []string{
		fmt.Sprintf("Số liệu đến %s, theo quyền đọc của %s. Nhật ký %s: cây Merkle %d bản ghi, gốc %s.",
			Stamp(b.AsOf), b.Reader, b.Origin, b.TreeSize, b.Root),
		fmt.Sprintf("Điểm kiểm tra đã ký %d bản ghi, gốc %s. Kiểm tra: dieuphoi verify --report-root %d:%s",
			b.SignedSize, b.SignedRoot, b.TreeSize, b.Root),
	}
}

// Stamp writes an instant in Vietnam's time, as the forms date things.
func Stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(domain.Vietnam()).Format("15:04 ngày 02/01/2006") + " (GMT+7)"
}

// DateLine is the place and date under the national motto: "Tỉnh X, ngày 02 tháng 06 năm 2025".
func DateLine(place string, t time.Time) string {
	t = t.In(domain.Vietnam())
	return fmt.Sprintf("%s, ngày %02d tháng %02d năm %d", place, t.Day(), int(t.Month()), t.Year())
}

// asked is one field a form asks for because the log does not know it.
type asked struct{ key, label string }

// Asked lists the keys of the fields a form asks for, with their labels in Vietnamese; Mẫu 05
// also takes "damage.<TYPE>" for each incident type's estimated damage.
func Asked(form string) map[string]string {
	out := map[string]string{}
	for _, a := range askedFields[form] {
		out[a.key] = a.label
	}
	return out
}

var askedCommon = []asked{
	{"number", "Số văn bản"},
	{"to", "Kính gửi"},
	{"address", "Địa chỉ"},
	{"phone", "Điện thoại"},
	{"email", "Thư điện tử"},
	{"signer", "Chức danh người ký"},
}

var askedFields = map[string][]asked{
	Mau03: append(slices.Clone(askedCommon),
		asked{"contactName", "Họ và tên người liên hệ"}, asked{"contactTitle", "Chức vụ"},
		asked{"contactPhone", "Điện thoại người liên hệ"}, asked{"contactEmail", "Thư điện tử người liên hệ"},
		asked{"systemOperator", "Đơn vị vận hành hệ thống"}, asked{"securityProvider", "Đơn vị cung cấp dịch vụ bảo đảm an toàn thông tin"},
		asked{"connectivityProvider", "Đơn vị cung cấp kết nối (ISP)"}, asked{"detectionMethod", "Cách thức phát hiện"},
		asked{"notifiedISP", "Đã thông báo cho ISP"}, asked{"os", "Hệ điều hành"}, asked{"services", "Các dịch vụ có trên hệ thống"},
		asked{"publicIPs", "Địa chỉ IP công khai"}, asked{"domains", "Tên miền"}, asked{"attachments", "Tài liệu đính kèm"}),
	Mau04: append(slices.Clone(askedCommon),
		asked{"recommendations", "Đề xuất, kiến nghị"}, asked{"attachments", "Tài liệu đính kèm"}),
	Mau05: slices.Clone(askedCommon),
}

// Limits on what a person gives.
const (
	MaxFieldBytes = 2000
	MaxFields     = 64
)

// CheckFields refuses fields a form does not ask for, and values that are too long; it returns
// them trimmed.
func CheckFields(form string, cfg *domain.Config, fields map[string]string) (map[string]string, error) {
	if len(fields) > MaxFields {
		return nil, domain.Errorf(domain.ETOOLARGE, "give at most %d fields", MaxFields)
	}
	known := Asked(form)
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		_, ok := known[k]
		if t, isDamage := strings.CutPrefix(k, "damage."); isDamage && form == Mau05 {
			_, ok = cfg.IncidentType(t)
		}
		if !ok {
			keys := make([]string, 0, len(known))
			for k := range known {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if form == Mau05 {
				keys = append(keys, "damage.<TYPE>")
			}
			return nil, domain.Errorf(domain.EINVALID, "form %s does not ask for %q; it asks for %s", form, k, strings.Join(keys, ", "))
		}
		if len(v) > MaxFieldBytes {
			return nil, domain.Errorf(domain.ETOOLARGE, "field %s is longer than %d bytes", k, MaxFieldBytes)
		}
		if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\n' }) {
			return nil, domain.Errorf(domain.EINVALID, "field %s holds control characters", k)
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, nil
}

// filler collects a form's fields, noting the asked ones nobody gave.
type filler struct {
	given   map[string]string
	missing []string
}

// ask returns an asked field with its given value (or blank, noted as missing).
func (f *filler) ask(key string) Field {
	label := ""
	for _, list := range askedFields {
		if k := slices.IndexFunc(list, func(a asked) bool { return a.key == key }); k >= 0 {
			label = list[k].label
			break
		}
	}
	v := f.given[key]
	if v == "" && !slices.Contains(f.missing, key) {
		f.missing = append(f.missing, key)
	}
	return Field{Key: key, Label: label, Value: v, Asked: true}
}

func known(key, label, value string) Field { return Field{Key: key, Label: label, Value: value} }

// orgName is an organisation's Vietnamese name from the directory, or its slug.
func orgName(cfg *domain.Config, slug string) string {
	if o, ok := cfg.Org(slug); ok {
		return o.NameVi
	}
	return slug
}

func orgNames(cfg *domain.Config, slugs []string) string {
	var out []string
	for _, s := range slugs {
		out = append(out, orgName(cfg, s))
	}
	return strings.Join(out, "; ")
}

func typeName(cfg *domain.Config, code string) string {
	if t, ok := cfg.IncidentType(code); ok {
		return t.NameVi
	}
	return code
}

func yesNo(b bool) string {
	if b {
		return "Có"
	}
	return "Không"
}

// upper is strings.ToUpper for Vietnamese titles.
func upper(s string) string { return strings.ToUpper(s) }

func errorf(format string, args ...any) error { return domain.Errorf(domain.EINVALID, format, args...) }
