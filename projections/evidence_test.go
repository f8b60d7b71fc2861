package projections

import (
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
)

func addEvidence(id string, tlp domain.TLP) func(*domain.Incident, domain.Invocation) error {
	return func(i *domain.Incident, in domain.Invocation) error {
		return i.AddEvidence(in, domain.AddEvidence{EvidenceID: id, Name: id + ".bin", Size: 3, TLP: tlp, SourceSystem: "HIS", Object: id,
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"})
	}
}

// TestEvidenceReadModel: evidence events are items under the evidence's TLP, its collector their
// author: the custody and download events of a file a reader may not see stay out of its
// timeline, its feeds and the evidence list, and looking the file up answers NOT_FOUND.
func TestEvidenceReadModel(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	police := actor("police", "tuan", domain.RoleCoordinator)
	id := e.open(t, dicCoord, "Chứng cứ")
	e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.Share(in, domain.Share{Orgs: []string{"police"}})
	})
	feed, err := e.proj.Incidents.Subscribe(police, FeedIncidents, nil, 0, 64)
	is.NoErr(err)
	defer feed.Close()
	e.do(t, id, dicCoord, addEvidence("open", ""))
	e.do(t, id, dicCoord, addEvidence("red", domain.TLPRed))
	e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.NameRecipients(in, domain.NameRecipients{Users: []string{"dic/duc"}})
	})
	hidden := e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.TransferCustody(in, domain.TransferCustody{EvidenceID: "red", To: "dic/duc", Reason: "phân tích"})
	})
	visible := e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.TransferCustody(in, domain.TransferCustody{EvidenceID: "open", To: "police/tuan", Reason: "điều tra"})
	})

	list, err := e.proj.Incidents.Evidence(police, id)
	is.NoErr(err)
	is.Equal(len(list), 1)                     // only the AMBER file
	is.Equal(list[0].Custodian, "police/tuan") // with its custody
	is.Equal(len(list[0].Custody), 1)
	all, _ := e.proj.Incidents.Evidence(dicCoord, id)
	is.Equal(len(all), 2) // its collector sees both
	_, _, err = e.proj.Incidents.EvidenceFile(police, "red")
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // a hidden file looks absent
	ev, inc, err := e.proj.Incidents.EvidenceFile(police, "open")
	is.NoErr(err)
	is.Equal(inc, id) // and a visible one names its incident
	is.Equal(ev.SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
	_, _, err = e.proj.Incidents.EvidenceFile(actor("military", "x", domain.RoleCoordinator), "open")
	is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // nor for who may not read the incident

	tl, err := e.proj.Incidents.Timeline(police, id)
	is.NoErr(err)
	for _, en := range tl {
		is.True(en.Sequence != hidden) // the hidden file's custody is not on the timeline
	}
	var got []uint64
	for len(got) == 0 || got[len(got)-1] < visible {
		select {
		case c := <-feed.C:
			got = append(got, c.Sequence)
		case <-time.After(10 * time.Second):
			t.Fatal("no change arrived")
		}
	}
	for _, s := range got {
		is.True(s != hidden) // nor in the feed
	}
}

// TestFormerOwnerReadsThroughReadModels: a CERT that returned a handoff still finds the incident
// on its board, in its detail and timeline, with its own note.
func TestFormerOwnerReadsThroughReadModels(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	cert := actor("cert-health", "minh", domain.RolePartner)
	id := e.open(t, dicCoord, "Trả lại sự cố")
	e.do(t, id, dicCoord, func(i *domain.Incident, in domain.Invocation) error {
		return i.OfferHandoff(in, domain.OfferHandoff{HandoffID: "h1", ToOrg: "cert-health", Summary: "xử lý"})
	})
	e.do(t, id, cert, func(i *domain.Incident, in domain.Invocation) error {
		return i.AcceptHandoff(in, domain.AcceptHandoff{HandoffID: "h1"})
	})
	e.do(t, id, cert, func(i *domain.Incident, in domain.Invocation) error {
		return i.AddNote(in, domain.AddNote{NoteID: "cert-note", Text: "phân tích xong", TLP: domain.TLPAmberStrict})
	})
	e.do(t, id, cert, func(i *domain.Incident, in domain.Invocation) error {
		return i.ReturnHandoff(in, domain.ReturnHandoff{HandoffID: "h1", Reason: "xong"})
	})
	d, err := e.proj.Incidents.Incident(cert, id, time.Now())
	is.NoErr(err) // still readable
	found := false
	for _, n := range d.Notes {
		found = found || n.ID == "cert-note"
	}
	is.True(found) // its own note included
	b, err := e.proj.Incidents.Board(cert, BoardQuery{First: 10})
	is.NoErr(err)
	is.Equal(b.TotalCount, 1) // on its board
	_, err = e.proj.Incidents.Timeline(cert, id)
	is.NoErr(err) // and its timeline
	aud, _ := e.proj.Incidents.audience(id)
	is.Equal(ReasonFor(cert, aud), ReasonHandoff) // partner feeds say why: the handoff it worked on
}
