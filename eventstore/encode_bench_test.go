package eventstore

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

// BenchmarkEncodeCommit measures what an append costs before the publish: checking the ids,
// encoding a one-event commit of about 600 bytes with its ids, and hashing it.
func BenchmarkEncodeCommit(b *testing.B) {
	b.ReportAllocs()
	ev := []domain.Event{Added{Amount: 1, Note: benchNote}}
	m := meta("cmd-123456")
	for b.Loop() {
		body := commitBody{ID: newID(), Command: m.CommandID, CommandName: m.CommandName, AggregateType: "counter", AggregateID: "r1-3-17",
			Version: 5, Prev: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Actor: m.Actor, OccurredAt: time.Now().UTC()}
		buf, err := encodeCommit(&body, ev)
		if err != nil {
			b.Fatal(err)
		}
		_ = sha256.Sum256(buf.Bytes())
		_ = checkAggregate("counter", "r1-3-17")
		releaseBody(buf)
	}
}
