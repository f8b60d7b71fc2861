package projections

import (
	"testing"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
)

func TestReasonFor(t *testing.T) {
	cert := actor("vncert", "giang", domain.RolePartner)
	for _, c := range []struct {
		name string
		aud  domain.Audience
		want PartnerReason
	}{
		{"originated", domain.Audience{TLP: domain.TLPAmber, Origin: "vncert", Owner: "vncert"}, ReasonOwn},
		{"leads", domain.Audience{TLP: domain.TLPAmber, Origin: "police", Lead: "vncert", Owner: "police"}, ReasonOwn},
		{"handoff offered", domain.Audience{TLP: domain.TLPAmber, Origin: "police", Owner: "police", HandoffTo: []string{"vncert"}}, ReasonHandoff},
		{"handoff accepted: owner", domain.Audience{TLP: domain.TLPAmber, Origin: "police", Owner: "vncert", HandoffTo: []string{"vncert"}}, ReasonHandoff},
		{"escalated", domain.Audience{TLP: domain.TLPAmber, Origin: "police", Owner: "police", EscalatedTo: []string{"vncert"}}, ReasonEscalated},
		{"shared", domain.Audience{TLP: domain.TLPAmber, Origin: "police", Owner: "police", Shared: []string{"dic", "vncert"}}, ReasonShared},
		{"named at RED", domain.Audience{TLP: domain.TLPRed, Origin: "police", Owner: "police", Recipients: []string{"vncert/giang"}}, ReasonShared},
		{"escalated beats shared", domain.Audience{TLP: domain.TLPAmber, Origin: "police", Owner: "police", Shared: []string{"vncert"}, EscalatedTo: []string{"vncert"}}, ReasonEscalated},
		{"green, not involved", domain.Audience{TLP: domain.TLPGreen, Origin: "police", Owner: "police"}, ReasonCommunity},
		{"originated, released on a handoff, escalated to", domain.Audience{TLP: domain.TLPAmber, Origin: "vncert", Lead: "police", Owner: "police",
			OriginReleased: true, EscalatedTo: []string{"vncert"}}, ReasonEscalated},
		{"originated, released on a handoff, green", domain.Audience{TLP: domain.TLPGreen, Origin: "vncert", Lead: "police", Owner: "police",
			OriginReleased: true}, ReasonCommunity},
	} {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(ReasonFor(cert, c.aud), c.want) // reason
		})
	}
}

// TestPartnerFeedRemoved: when an incident leaves the partner's sight (TLP raised above what
// it was shared at), the partner feed says removed, with the reason it could see it, and
// nothing else.
func TestPartnerFeedRemoved(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	cert := actor("vncert", "giang", domain.RolePartner)
	sub, err := e.proj.Incidents.Subscribe(cert, FeedPartner, nil, 0, 0)
	is.NoErr(err) // subscribe
	defer sub.Close()
	id := e.open(t, opener, "Lừa đảo", func(c *domain.OpenIncident) { c.TLP = domain.TLPGreen; c.Drill = true })
	raised := e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
		return i.ChangeTLP(in, domain.ChangeTLP{TLP: domain.TLPAmber})
	})
	c := <-sub.C
	is.Equal(c.Reason, ReasonCommunity) // GREEN: community
	is.True(c.Drill && !c.Removed)      // a drill, visible
	c = <-sub.C
	is.Equal(c.Sequence, raised)        // the TLP change
	is.True(c.Removed)                  // removes it
	is.Equal(c.Reason, ReasonCommunity) // the reason it could see it
	is.Equal(len(c.Types), 0)           // and says nothing else
	is.True(c.Drill)                    // but that it was a drill
}
