package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/mod/sumdb/note"

	"github.com/dieuphoi/dieuphoi/domain"
)

const partnerFeedQuery = `subscription($since: Sequence) { partnerFeed(since: $since) { sequence incidentId removed reason drill types incident { id tlp drill } } }`

// partnerChange is a partnerFeed event as tests select it.
type partnerChange struct {
	Sequence   uint64   `json:"sequence"`
	IncidentID string   `json:"incidentId"`
	Removed    bool     `json:"removed"`
	Reason     string   `json:"reason"`
	Drill      bool     `json:"drill"`
	Types      []string `json:"types"`
	Incident   *struct {
		ID    string `json:"id"`
		TLP   string `json:"tlp"`
		Drill bool   `json:"drill"`
	} `json:"incident"`
}

// NextPartnerChange reads the next partnerFeed event of operation id.
func (w *wsClient) NextPartnerChange(ctx context.Context, id string) (partnerChange, error) {
	m, err := w.Next(ctx)
	if err != nil {
		return partnerChange{}, err
	}
	if m.Type != "next" || m.ID != id {
		return partnerChange{}, fmt.Errorf("expected next on %s, got %s %s %s", id, m.Type, m.ID, m.Payload)
	}
	var p struct {
		Data struct {
			PartnerFeed partnerChange `json:"partnerFeed"`
		} `json:"data"`
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return partnerChange{}, err
	}
	if len(p.Errors) > 0 {
		return partnerChange{}, fmt.Errorf("errors: %+v", p.Errors)
	}
	return p.Data.PartnerFeed, nil
}

// want is an expected partnerFeed event.
type want struct {
	seq    uint64
	reason string
	drill  bool
}

// TestPartnerFeed: a partner CERT's feed carries exactly the changes its organisation may see —
// a handoff to it, a share with it, GREEN community updates (a drill marked as one) — and not
// another organisation's AMBER incident; it resumes with since without gap or duplicate.
func TestPartnerFeed(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	cert := e.MustToken(t, "vncert", "giang", domain.RolePartner)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	share := func(id string) uint64 {
		var r struct {
			ShareIncident struct {
				Sequence uint64 `json:"sequence"`
			} `json:"shareIncident"`
		}
		e.MustPost(t, police, `mutation($in: ShareIncidentInput!) { shareIncident(input: $in) { sequence } }`,
			map[string]any{"in": map[string]any{"incidentId": id, "orgs": []string{"vncert"}}}, &r)
		return r.ShareIncident.Sequence
	}
	offer := func(id string) uint64 {
		var r struct {
			OfferHandoff struct {
				Sequence uint64 `json:"sequence"`
			} `json:"offerHandoff"`
		}
		e.MustPost(t, police, `mutation($in: OfferHandoffInput!) { offerHandoff(input: $in) { sequence } }`,
			map[string]any{"in": map[string]any{"incidentId": id, "toOrg": "vncert", "summary": "chuyển giao điều phối"}}, &r)
		return r.OfferHandoff.Sequence
	}
	openDrill := func() uint64 {
		in := openInput("Diễn tập mã độc", domain.TLPGreen)
		in["drill"] = true
		var o opened
		e.MustPost(t, police, openMutation, map[string]any{"in": in}, &o)
		return o.OpenIncident.Sequence
	}
	expect := func(w *wsClient, op string, wants ...want) uint64 {
		t.Helper()
		var last uint64
		for _, wt := range wants {
			c, err := w.NextPartnerChange(ctx, op)
			if err != nil {
				t.Fatalf("waiting for sequence %d: %v", wt.seq, err)
			}
			if c.Sequence != wt.seq || c.Reason != wt.reason || c.Drill != wt.drill || c.Removed || c.Incident == nil ||
				c.Incident.ID != c.IncidentID || c.Incident.Drill != wt.drill {
				t.Fatalf("got %+v (incident %+v), want sequence %d reason %s drill %v", c, c.Incident, wt.seq, wt.reason, wt.drill)
			}
			last = c.Sequence
		}
		return last
	}

	w := e.MustDial(t, cert)
	is.NoErr(w.Subscribe(ctx, "p", partnerFeedQuery, nil)) // subscribe
	eventually(t, "the subscription", 5*time.Second, func() bool { return e.proj.Incidents.Subscribers() == 1 })

	amber, _ := e.MustOpen(t, police, "Tấn công nội bộ công an", domain.TLPAmber) // never visible to vncert
	_, green := e.MustOpen(t, police, "Lừa đảo trực tuyến", domain.TLPGreen)
	shared, _ := e.MustOpen(t, police, "Rò rỉ dữ liệu", domain.TLPAmber)
	sharedSeq := share(shared)
	handed, _ := e.MustOpen(t, police, "Mã độc tống tiền", domain.TLPAmber)
	offerSeq := offer(handed)
	drill := openDrill()
	e.MustNote(t, police, amber, "không chia sẻ")
	_, sentinel := e.MustOpen(t, police, "Quét cổng", domain.TLPClear)
	expect(w, "p", want{green, "COMMUNITY", false}, want{sharedSeq, "SHARED", false}, want{offerSeq, "HANDOFF", false},
		want{drill, "COMMUNITY", true}, want{sentinel, "COMMUNITY", false}) // and nothing between: not the AMBER one

	// Disconnect; changes go on; resume from the handoff.
	w.c.CloseNow()
	eventually(t, "the subscription to end", 5*time.Second, func() bool { return e.proj.Incidents.Subscribers() == 0 })
	noteSeq := e.MustNote(t, police, shared, "đã cô lập")
	e.MustNote(t, police, amber, "vẫn không chia sẻ")
	_, later := e.MustOpen(t, police, "Tấn công từ chối dịch vụ", domain.TLPGreen)
	w2 := e.MustDial(t, cert)
	is.NoErr(w2.Subscribe(ctx, "q", partnerFeedQuery, map[string]any{"since": offerSeq})) // resume
	expect(w2, "q", want{drill, "COMMUNITY", true}, want{sentinel, "COMMUNITY", false}, want{noteSeq, "SHARED", false},
		want{later, "COMMUNITY", false})
	_, live := e.MustOpen(t, police, "Thay đổi giao diện", domain.TLPGreen)
	expect(w2, "q", want{live, "COMMUNITY", false}) // then live, with nothing repeated in between
}

// TestPartnerFeedRefusesAdmin: a role that reads no incidents has no partner feed.
func TestPartnerFeedRefusesAdmin(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	admin := e.MustToken(t, "vncert", "root", domain.RoleAdmin)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w := e.MustDial(t, admin)
	is.NoErr(w.Subscribe(ctx, "p", partnerFeedQuery, nil)) // subscribe
	m, err := w.Next(ctx)
	is.NoErr(err) // an answer
	var p struct {
		Data   map[string]any `json:"data"`
		Errors []gqlError     `json:"errors"`
	}
	is.NoErr(json.Unmarshal(m.Payload, &p))
	is.Equal(m.Type, "next")                              // the operation's result (gqlgen's shape for a resolver error)
	is.Equal(p.Data["partnerFeed"], nil)                  // no feed
	is.Equal(len(p.Errors), 1)                            // refused
	is.Equal(p.Errors[0].Extensions["code"], "FORBIDDEN") // why
}

// TestPartnerFeedCarriesCheckpoints: the partner feed carries the latest signed checkpoint of
// the event log, which verifies with the note package and covers what was received.
func TestPartnerFeedCarriesCheckpoints(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	cert := e.MustToken(t, "vncert", "giang", domain.RolePartner)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := e.MustDial(t, cert)
	is.NoErr(w.Subscribe(ctx, "p", `subscription { partnerFeed { sequence checkpoint { origin size text } } }`, nil))
	eventually(t, "the subscription", 5*time.Second, func() bool { return e.proj.Incidents.Subscribers() == 1 })
	key, err := e.store.VerifierKey()
	is.NoErr(err)
	verifier, err := note.NewVerifier(key)
	is.NoErr(err)
	for covered := false; !covered; {
		_, seq := e.MustOpen(t, police, "Lừa đảo trực tuyến", domain.TLPGreen)
		m, err := w.Next(ctx)
		is.NoErr(err) // the change arrives
		var p struct {
			Data struct {
				PartnerFeed struct {
					Sequence   uint64
					Checkpoint *struct {
						Origin string
						Size   uint64
						Text   string
					}
				} `json:"partnerFeed"`
			} `json:"data"`
		}
		is.NoErr(json.Unmarshal(m.Payload, &p))
		is.Equal(p.Data.PartnerFeed.Sequence, seq)
		if cp := p.Data.PartnerFeed.Checkpoint; cp != nil {
			_, err := note.Open([]byte(cp.Text), note.VerifierList(verifier))
			is.NoErr(err)              // signed by the service
			covered = cp.Size >= seq-2 // a checkpoint covers the earlier changes (they come a second apart at most)
		}
	}
}
