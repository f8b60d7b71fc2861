// Package reporttest reads generated reports back for tests.
package reporttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// MustPDFText reads a PDF back with pdftotext (Debian poppler-utils) and returns its text with
// white space collapsed (lines wrap where the page ends them). CI installs the tool, so there
// (CI set) a missing pdftotext fails the test instead of skipping it.
func MustPDFText(tb testing.TB, pdf []byte) string {
	tb.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("pdftotext is not installed (apt-get install poppler-utils)")
		}
		tb.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	path := filepath.Join(tb.TempDir(), "report.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		tb.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}
