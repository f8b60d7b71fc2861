package domain

import (
	"encoding/hex"
	"maps"
	"slices"
	"time"
)

// ReportDocument identifies a report generated from the log and submitted: the SHA-256 of the
// exact file, its format, the instant it is as of, the log's tree (size and base64 root) it
// names, and the fields the submitter gave that the log did not know, so that anyone may
// generate it again and compare the hash.
type ReportDocument struct {
	Sha256   string            `json:"sha256"`
	Format   string            `json:"format"`
	AsOf     time.Time         `json:"asOf"`
	TreeSize int64             `json:"treeSize"`
	Root     string            `json:"root"`
	Fields   map[string]string `json:"fields,omitempty"`
}

// check refuses a document that is not one the service generated.
func (d *ReportDocument) check() (*ReportDocument, error) {
	if d == nil {
		return nil, nil
	}
	if b, err := hex.DecodeString(d.Sha256); err != nil || len(b) != 32 {
		return nil, Errorf(EINVALID, "the document's sha256 must be 64 hexadecimal digits")
	}
	if !slices.Contains([]string{"pdf", "csv", "html"}, d.Format) {
		return nil, Errorf(EINVALID, "the document's format must be pdf, csv or html")
	}
	if d.AsOf.IsZero() || d.TreeSize < 0 || len(d.Root) != 44 {
		return nil, Errorf(EINVALID, "the document must name the instant it is as of and the log's tree (size and base64 root)")
	}
	if len(d.Fields) > 64 {
		return nil, Errorf(ETOOLARGE, "a document records at most 64 fields")
	}
	c := *d
	c.AsOf = d.AsOf.UTC()
	c.Fields = maps.Clone(d.Fields)
	return &c, nil
}
