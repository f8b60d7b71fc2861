package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/projections/report/reporttest"
)

// TestReportCommand writes the reports of the drill scenario from the command line with the
// service stopped, reads the PDF back, makes it again byte for byte, and ties its footer to the
// log with verify --report-root.
func TestReportCommand(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	data := t.TempDir()
	noenv := func(string) string { return "" }
	private := []string{"--data", data, "--nats-listen", freeAddr(t)}
	is.NoErr(run(ctx, append([]string{"dieuphoi", "demo"}, private...), noenv, io.Discard, io.Discard)) // the drill scenario

	mau03 := func(out string) string {
		t.Helper()
		var stderr bytes.Buffer
		args := append([]string{"dieuphoi", "report", "mau03", "--incident", demoID("incident/hospital"), "--reader", "dic/lan", "--out", out,
			"--field", "contactName=Nguyễn Thị Lan"}, private...)
		if err := run(ctx, args, noenv, io.Discard, &stderr); err != nil {
			t.Fatalf("report: %v\n%s", err, stderr.String())
		}
		return stderr.String()
	}
	dir := t.TempDir()
	info := mau03(filepath.Join(dir, "a.pdf"))
	mau03(filepath.Join(dir, "b.pdf"))
	a, err := os.ReadFile(filepath.Join(dir, "a.pdf"))
	is.NoErr(err)
	b, err := os.ReadFile(filepath.Join(dir, "b.pdf"))
	is.NoErr(err)
	is.True(bytes.Equal(a, b)) // the same log gives the same bytes
	text := reporttest.MustPDFText(t, a)
	for _, want := range []string{"BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG", "Mã độc tống tiền tại Bệnh viện Đa khoa tỉnh (diễn tập)",
		"Hệ thống thông tin bệnh viện (HIS)", "Nguyễn Thị Lan", "Đã thông báo cho Cơ quan điều phối quốc gia: Có"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q:\n%s", want, text)
		}
	}

	// verify ties the footer's tree to the log; a root the log does not have is refused.
	m := regexp.MustCompile(`tree (\d+) root (\S+)`).FindStringSubmatch(info)
	is.True(m != nil) // the command names the basis
	is.True(strings.Contains(text, "--report-root "+m[1]+":"+m[2]))
	var out bytes.Buffer
	is.NoErr(run(ctx, append([]string{"dieuphoi", "verify", "--report-root", m[1] + ":" + m[2]}, private...), noenv, &out, io.Discard))
	is.True(strings.Contains(out.String(), "as the report says"))
	size, _ := strconv.Atoi(m[1])
	err = run(ctx, append([]string{"dieuphoi", "verify", "--report-root", strconv.Itoa(size-1) + ":" + m[2]}, private...), noenv, io.Discard, io.Discard)
	is.True(err != nil && strings.Contains(err.Error(), "does not match the log")) // another tree

	// Mẫu 05 of the DIC: the scenario is a drill, so it is counted apart and never in a line.
	var csv bytes.Buffer
	year := time.Now().In(domain.Vietnam()).Year()
	args := append([]string{"dieuphoi", "report", "mau05", "--org", "dic", "--period", "YEAR", "--year", strconv.Itoa(year), "--format", "csv"}, private...)
	if _, to, _, _ := domain.PeriodWindow(domain.DefaultConfig(), "YEAR", year); !time.Now().Before(to) {
		args[6] = strconv.Itoa(year + 1)
	}
	is.NoErr(run(ctx, args, noenv, &csv, io.Discard))
	is.True(strings.Contains(csv.String(), "total.count,Tổng số,0"))                      // no drill in a statistic
	is.True(strings.Contains(csv.String(), "RANSOMWARE.drills,Số tình huống diễn tập,1")) // shown apart

	// Bad invocations say what to fix.
	err = run(ctx, append([]string{"dieuphoi", "report", "mau03", "--incident", "x"}, private...), noenv, io.Discard, io.Discard)
	is.True(err != nil && strings.Contains(err.Error(), "--reader ORG/USER is required"))
	err = run(ctx, []string{"dieuphoi", "report", "mau09"}, noenv, io.Discard, io.Discard)
	is.True(err != nil && strings.Contains(err.Error(), "unknown report"))
}
