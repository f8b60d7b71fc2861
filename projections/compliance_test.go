package projections

import (
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
)

func TestOwedByAndCompliance(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, jetstream.MemoryStorage)
	sub := actor("subcommittee", "mai", domain.RoleCoordinator)
	var ids []string
	for k, within := range []time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour} {
		id := e.open(t, opener, "sự cố", func(c *domain.OpenIncident) { c.TLP = domain.TLPGreen; c.Drill = k == 2 })
		e.do(t, id, opener, func(i *domain.Incident, in domain.Invocation) error {
			return i.Escalate(in, domain.Escalate{EscalationID: id + "-e", ToOrg: "subcommittee", Reason: "x", AckWithin: within})
		})
		ids = append(ids, id)
	}
	now := time.Now()
	two := e.proj.Incidents.OwedBy(sub, "subcommittee", now, 2)
	is.Equal(len(two), 2)               // the limit
	is.Equal(two[0].IncidentID, ids[1]) // soonest first: 1 h
	is.Equal(two[1].IncidentID, ids[2]) // then 2 h
	all := e.proj.Incidents.OwedBy(sub, "subcommittee", now, 0)
	is.Equal(len(all), 3)               // all of them
	is.Equal(all[2].IncidentID, ids[0]) // 3 h last
	stranger := actor("military", "x", domain.RoleCoordinator)
	e.do(t, ids[0], opener, func(i *domain.Incident, in domain.Invocation) error {
		return i.ChangeTLP(in, domain.ChangeTLP{TLP: domain.TLPAmberStrict})
	})
	is.Equal(len(e.proj.Incidents.OwedBy(stranger, "subcommittee", now, 0)), 2) // only what the reader may read

	e.do(t, ids[1], sub, func(i *domain.Incident, in domain.Invocation) error {
		return i.AcknowledgeEscalation(in, domain.AcknowledgeEscalation{EscalationID: ids[1] + "-e"})
	})
	c := e.proj.Compliance(sub, "subcommittee", now.Add(-time.Hour), now.Add(time.Hour), time.Now())
	is.Equal(c.Drills, 1)    // the drill apart
	is.Equal(c.Incidents, 1) // the one it may still read, not a drill (the first went AMBER+STRICT)
	is.Equal(c.Acknowledge.Count, 1)
	for _, k := range c.Kinds {
		if k.Kind == domain.DeadlineEscalationAck {
			is.Equal(k.Met, 1) // acknowledged in time
			is.Equal(k.Pending, 0)
		}
	}
}
