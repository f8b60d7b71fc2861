package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// mustEvidence opens (creating) the evidence bucket on the replica's NATS and the service.
func (e *env) mustEvidence(t testing.TB) (*Evidence, jetstream.ObjectStore) {
	t.Helper()
	obs, err := OpenEvidenceBucket(context.Background(), e.store.JetStream(), EvidenceBucketConfig{Storage: jetstream.MemoryStorage, Manage: true})
	if err != nil {
		t.Fatal(err)
	}
	return NewEvidence(e.app, e.proj, obs, nil), obs
}

func objects(t *testing.T, obs jetstream.ObjectStore) int {
	t.Helper()
	infos, err := obs.List(context.Background())
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return 0
	} else if err != nil {
		t.Fatal(err)
	}
	return len(infos)
}

func hexSHA(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestEvidenceUploadDownloadAcrossReplicas: a file stored through one replica is served by
// another, byte for byte, after its download is recorded; custody moves by events; a retry stores
// and records once.
func TestEvidenceUploadDownloadAcrossReplicas(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	r2 := e.replica(t, nil)
	ev1, obs := e.mustEvidence(t)
	ev2, _ := r2.mustEvidence(t)
	ctx := context.Background()
	id := reviewedIncident(t, e)
	body := []byte("2026-11-21T07:01:02Z DENY 203.0.113.7 -> 10.0.0.5:445\n")
	up := Upload{Actor: dicCoord, CommandID: "up-1", IncidentID: id, Name: "firewall.log", MediaType: "text/plain",
		SourceSystem: "Tường lửa biên", CollectedAt: time.Now().Add(-time.Hour), SHA256: hexSHA(body), Body: bytes.NewReader(body)}
	got, res, err := ev1.Upload(ctx, up)
	is.NoErr(err)
	is.Equal(got.SHA256, hexSHA(body))   // the hash of what arrived
	is.Equal(got.Size, int64(len(body))) // its size
	is.Equal(got.TLP, domain.TLPAmber)   // the incident's TLP by default
	is.Equal(got.Custodian, "dic/lan")   // the collector holds it first
	is.Equal(got.CollectedBy, dicCoord)  // who collected it
	is.Equal(got.SourceSystem, "Tường lửa biên")
	up.Body = bytes.NewReader(body)
	again, res2, err := ev1.Upload(ctx, up)
	is.NoErr(err)
	is.Equal(again.ID, got.ID)                     // a retry names the same evidence
	is.True(res2.Duplicate)                        // records nothing
	is.Equal(objects(t, obs), 1)                   // and stores nothing more
	is.Equal(e.countEvents(t, "EvidenceAdded"), 1) // once in the log
	is.True(res.Sequence > 0)

	r2.settle(t)
	meta, data, dl, err := ev2.Download(ctx, policeCoord, got.ID, "")
	is.NoErr(err)                    // another replica serves it
	is.True(bytes.Equal(data, body)) // byte for byte
	is.Equal(meta.SHA256, hexSHA(body))
	is.True(dl.Sequence > res.Sequence) // after recording the download
	e.settle(t)
	list, _ := e.proj.Incidents.Evidence(subReviewer, id)
	is.Equal(len(list[0].Downloads), 1)            // the download is on the record
	is.Equal(list[0].Downloads[0].By, policeCoord) // by whom

	e.do(t, id, dicCoord, domain.TransferCustody{EvidenceID: got.ID, To: "police/tuan", Reason: "điều tra hình sự"})
	list, _ = e.proj.Incidents.Evidence(subReviewer, id)
	is.Equal(list[0].Custodian, "police/tuan") // custody moved by an event
	is.Equal(list[0].Custody[0].Reason, "điều tra hình sự")

	_, _, _, err = ev1.Download(ctx, actor("vncert", "x", domain.RolePartner), got.ID, "")
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // a partner outside the audience: as if absent
	_, _, _, err = ev1.Download(ctx, policeCoord, "no-such-file", "")
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND)
	is.Equal(e.countEvents(t, "EvidenceDownloaded"), 1) // refused downloads are not recorded (nothing was read)
}

// TestBadUploadsStoreNothing: every refused upload has a coded error and leaves the bucket and the
// log as they were.
func TestBadUploadsStoreNothing(t *testing.T) {
	e := MustEnv(t, jetstream.MemoryStorage)
	svc, obs := e.mustEvidence(t)
	ctx := context.Background()
	id := reviewedIncident(t, e)
	hidden := eventstore.NewID()
	e.do(t, hidden, policeCoord, domain.OpenIncident{Title: "Của công an", Type: "DOS", Severity: domain.SeverityLow, TLP: domain.TLPAmber, DetectedAt: time.Now().Add(-time.Hour)})
	ok := func(m func(*Upload)) Upload {
		u := Upload{Actor: dicCoord, IncidentID: id, Name: "a.bin", SourceSystem: "HIS", Body: strings.NewReader("abc")}
		m(&u)
		return u
	}
	for _, c := range []struct {
		name string
		up   Upload
		code string
	}{
		{"too large", ok(func(u *Upload) { u.Body = io.LimitReader(zeros{}, domain.MaxEvidenceBytes+1) }), domain.ETOOLARGE},
		{"empty", ok(func(u *Upload) { u.Body = strings.NewReader("") }), domain.EINVALID},
		{"not the declared hash", ok(func(u *Upload) { u.SHA256 = hexSHA([]byte("abd")) }), domain.EINVALID},
		{"no file name", ok(func(u *Upload) { u.Name = "" }), domain.EINVALID},
		{"a path as name", ok(func(u *Upload) { u.Name = "../../etc/passwd" }), domain.EINVALID},
		{"no source system", ok(func(u *Upload) { u.SourceSystem = "" }), domain.EINVALID},
		{"less restricted than the incident", ok(func(u *Upload) { u.TLP = domain.TLPGreen }), domain.EINVALID},
		{"bad media type", ok(func(u *Upload) { u.MediaType = "not a type" }), domain.EINVALID},
		{"collected in the future", ok(func(u *Upload) { u.CollectedAt = time.Now().Add(time.Hour) }), domain.EINVALID},
		{"a reviewer", ok(func(u *Upload) { u.Actor = subReviewer }), domain.EFORBIDDEN},
		{"an incident the uploader may not read", ok(func(u *Upload) { u.IncidentID = hidden }), domain.ENOTFOUND},
		{"an incident that does not exist", ok(func(u *Upload) { u.IncidentID = eventstore.NewID() }), domain.ENOTFOUND},
	} {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			before, _ := e.store.LastSequence(ctx)
			_, _, err := svc.Upload(ctx, c.up)
			is.Equal(domain.ErrorCode(err), c.code) // the coded error
			is.True(domain.ErrorMessage(err) != "")
			is.Equal(objects(t, obs), 0) // nothing stored
			after, _ := e.store.LastSequence(ctx)
			is.Equal(after, before) // nothing recorded
		})
	}
}

// TestTamperedEvidence: a stored file replaced behind the service's back is never served (and no
// download is recorded), and VerifyEvidence names it; a missing one too.
func TestTamperedEvidence(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	svc, obs := e.mustEvidence(t)
	ctx := context.Background()
	id := reviewedIncident(t, e)
	good, _, err := svc.Upload(ctx, Upload{Actor: dicCoord, IncidentID: id, Name: "mau.bin", SourceSystem: "máy trạm 7", Body: strings.NewReader("MZ\x90\x00 sample")})
	is.NoErr(err)
	other, _, err := svc.Upload(ctx, Upload{Actor: dicCoord, IncidentID: id, Name: "anh.png", MediaType: "image/png", SourceSystem: "màn hình", Body: strings.NewReader("png")})
	is.NoErr(err)
	rep, err := VerifyEvidence(ctx, e.store, obs)
	is.NoErr(err)
	is.True(rep.OK())      // untouched: all well
	is.Equal(rep.Files, 2) // both checked

	// The attacker (with NATS rights the service does not have) rewrites one and deletes the other.
	_, err = obs.PutBytes(ctx, good.Object, []byte("MZ\x90\x00 other"))
	is.NoErr(err)
	is.NoErr(obs.Delete(ctx, other.Object))
	_, _, _, err = svc.Download(ctx, dicCoord, good.ID, "")
	is.Equal(domain.ErrorCode(err), domain.EINTERNAL)   // never served
	is.Equal(e.countEvents(t, "EvidenceDownloaded"), 0) // nor recorded as downloaded
	rep, err = VerifyEvidence(ctx, e.store, obs)
	is.NoErr(err)
	is.True(!rep.OK())                                  // flagged
	is.Equal(len(rep.Broken), 2)                        // both files
	is.True(strings.Contains(rep.Summary(), good.ID))   // named
	is.True(strings.Contains(rep.Summary(), "missing")) // the deleted one said so
	is.True(strings.Contains(rep.Summary(), "SHA-256")) // the rewritten one by its hash
}
