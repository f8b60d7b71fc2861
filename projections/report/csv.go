package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"
)

// CSV writes the document in long form, one value a row: section, key, label, value. A table's
// cells have the key "<row>.<column>", where row is the row's code (its second cell, or its
// number when it has none) and "total" for the total row; the log basis closes the file under
// the section "basis". UTF-8 with a byte-order mark, so spreadsheets read the diacritics.
func CSV(d *Document) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	rec := func(section, key, label, value string) { _ = w.Write([]string{section, key, label, value}) }
	rec("section", "key", "label", "value")
	rec("heading", "form", "Biểu mẫu", d.Form)
	rec("heading", "issuer", "Đơn vị báo cáo", d.Issuer)
	rec("heading", "number", "Số", d.Number)
	rec("heading", "date", "Ngày báo cáo", DateLine(d.Place, d.Date))
	rec("heading", "title", "Tên báo cáo", d.Title)
	rec("heading", "to", "Kính gửi", d.To)
	for n, s := range d.Sections {
		name := fmt.Sprintf("%d. %s", n+1, s.Heading)
		for _, f := range s.Fields {
			rec(name, f.Key, f.Label, f.Value)
		}
		if t := s.Table; t != nil {
			cells := func(id string, row []string) {
				for c, v := range row {
					if c < len(t.Keys) {
						rec(name, id+"."+t.Keys[c], t.Columns[c], v)
					}
				}
			}
			for k, r := range t.Rows {
				id := strconv.Itoa(k + 1)
				if t.Code < len(r) && r[t.Code] != "" {
					id = r[t.Code]
				}
				cells(id, r)
			}
			if t.Total != nil {
				cells("total", t.Total)
			}
		}
	}
	b := d.Basis
	rec("basis", "asOf", "Số liệu đến", b.AsOf.UTC().Format(time.RFC3339Nano))
	rec("basis", "reader", "Theo quyền đọc của", b.Reader)
	rec("basis", "origin", "Nhật ký", b.Origin)
	rec("basis", "treeSize", "Số bản ghi", strconv.FormatInt(b.TreeSize, 10))
	rec("basis", "root", "Gốc cây Merkle", b.Root)
	rec("basis", "signedSize", "Điểm kiểm tra đã ký: số bản ghi", strconv.FormatInt(b.SignedSize, 10))
	rec("basis", "signedRoot", "Điểm kiểm tra đã ký: gốc", b.SignedRoot)
	for _, k := range d.Missing {
		rec("missing", k, Asked(d.Form)[k], "")
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
