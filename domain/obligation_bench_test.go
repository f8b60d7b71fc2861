package domain

import (
	"testing"
	"time"
)

func BenchmarkObligations(b *testing.B) {
	cfg := DefaultConfig()
	i := replayed(opened(), escalated("e1", "subcommittee"))
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if len(i.Obligations(cfg, now)) == 0 {
			b.Fatal("none")
		}
	}
}
