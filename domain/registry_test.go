package domain

import (
	"slices"
	"testing"

	"github.com/matryer/is"
)

// applier is what every aggregate's single apply looks like.
type applier interface{ apply(Event) bool }

// newAggregates builds an empty aggregate of each type; a registered event of a type missing
// here fails TestEveryEventIsApplied.
var newAggregates = map[string]func() applier{
	"incident":    func() applier { return NewIncident("i1") },
	"alertfp":     func() applier { return NewAlertSeries("fp") },
	"suppression": func() applier { return NewSuppression("s1") },
	"org":         func() applier { return NewOrgProfile("dic") },
	"report":      func() applier { return NewPeriodicReport("dic/H1/2026") },
	"review":      func() applier { return NewReview("r1") },
	"token":       func() applier { return NewToken("t1") },
	"user":        func() applier { return NewUser("dic/lan") },
	"webhook":     func() applier { return NewWebhook("w1") },
}

func TestEveryEventIsApplied(t *testing.T) {
	for name, k := range eventKinds {
		if k.aggregate == "" {
			continue // an adapter's test event
		}
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			mk, ok := newAggregates[k.aggregate]
			is.True(ok)                 // the event's aggregate type is known to this test
			is.True(mk().apply(k.zero)) // its aggregate's apply handles it: no silent default
		})
	}
}

func TestEveryCommandIsRegisteredOnce(t *testing.T) {
	is := is.New(t)
	for name, spec := range commands {
		_, ok := newAggregates[spec.aggregate]
		is.True(ok) // the command changes a known aggregate type
		c, err := DecodeCommand(name, []byte(`{}`))
		is.NoErr(err)                   // every command decodes from JSON
		is.Equal(c.CommandName(), name) // and is the command registered under that name
	}
	// Every incident command a person may issue has its roles in the policy, and the policy
	// names no command that does not exist.
	for _, name := range CommandNames("incident") {
		switch name {
		case "MissEscalationDeadline", "RemindEscalation", "MissHandoffDeadline", "RemindHandoff",
			"MissNotificationDeadline", "MissClosingReport", "AutoEscalate":
			continue // the deadline scheduler's, as the system
		}
		is.True(len(incidentCommandRoles[name]) > 0) // roles given for the command
	}
	for name := range incidentCommandRoles {
		is.True(slices.Contains(CommandNames("incident"), name)) // a role rule for a registered command
	}
}

func TestEveryDeadlineKindHasACommand(t *testing.T) {
	is := is.New(t)
	for kind := range deadlineCommands {
		c, err := PendingDeadline{Kind: kind, RefID: "x"}.Command()
		is.NoErr(err)                             // a command for the kind
		is.Equal(CommandAggregate(c), "incident") // registered, on incidents
	}
	_, err := PendingDeadline{Kind: "ASTEROID"}.Command()
	is.Equal(ErrorCode(err), EINVALID) // unknown kinds are refused
}
