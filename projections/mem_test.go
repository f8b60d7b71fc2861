package projections

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

// rssMiB returns the process's resident set size in MiB (Linux), or 0. The embedded nats-server
// runs in the same process, as in `dieuphoi serve` with its defaults.
func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseFloat(f[1], 64)
	return pages * float64(os.Getpagesize()) / (1 << 20)
}

// heapMiB returns the live heap after a collection, in MiB.
func heapMiB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}
