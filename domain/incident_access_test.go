package domain

import (
	"fmt"
	"testing"

	"github.com/matryer/is"
)

func TestIncidentShare(t *testing.T) {
	many := make([]string, 101)
	for n := range many {
		many[n] = "dic"
	}
	runIncidentCases(t, []incidentCase{
		{name: "only new organisations, sorted", given: []Event{opened(), shared("dic")}, by: by.PoliceCoord,
			when:  Share{Orgs: []string{"vncert", "dic", "police", "military", "vncert"}},
			then:  []Event{IncidentShared{Orgs: []string{"military", "vncert"}, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) { is.Equal(i.Shared, []string{"dic", "military", "vncert"}) }}, // sorted union
		{name: "GREEN incident", given: []Event{opened(atTLP(TLPGreen))}, by: by.PoliceCoord, when: Share{Orgs: []string{"dept-health"}},
			then: []Event{IncidentShared{Orgs: []string{"dept-health"}, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "state secret with forces", given: []Event{opened(stateSecret)}, by: by.PoliceCoord, when: Share{Orgs: []string{"military", "subcommittee"}},
			then: []Event{IncidentShared{Orgs: []string{"military", "subcommittee"}, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "nothing new", given: []Event{opened(), shared("dic")}, by: by.PoliceCoord, when: Share{Orgs: []string{"dic", "police"}}, code: EINVALID},
		{name: "no organisation", given: []Event{opened()}, by: by.PoliceCoord, when: Share{}, code: EINVALID},
		{name: "more than 100", given: []Event{opened()}, by: by.PoliceCoord, when: Share{Orgs: many}, code: ETOOLARGE},
		{name: "unknown organisation", given: []Event{opened()}, by: by.PoliceCoord, when: Share{Orgs: []string{"dic", "nowhere"}}, code: ENOTFOUND, msg: "nowhere"},
		{name: "TLP:RED", given: []Event{opened(atTLP(TLPRed))}, by: by.PoliceCoord, when: Share{Orgs: []string{"dic"}}, code: EFORBIDDEN, msg: "NameRecipients"},
		{name: "TLP:AMBER_STRICT", given: []Event{opened(atTLP(TLPAmberStrict))}, by: by.PoliceCoord, when: Share{Orgs: []string{"dic"}}, code: EFORBIDDEN, msg: "lower to AMBER"},
		{name: "state secret with a CERT", given: []Event{opened(stateSecret)}, by: by.PoliceCoord, when: Share{Orgs: []string{"military", "vncert"}}, code: EFORBIDDEN, msg: "vncert"},
		{name: "shared coordinator may not reshare", given: []Event{opened(), shared("dic")}, by: by.DICCoord, when: Share{Orgs: []string{"vncert"}}, code: EFORBIDDEN},
		{name: "responder may not", given: []Event{opened()}, by: by.PoliceResp, when: Share{Orgs: []string{"dic"}}, code: EFORBIDDEN},
		{name: "closed", given: []Event{opened(), closed()}, by: by.PoliceCoord, when: Share{Orgs: []string{"dic"}}, code: ECONFLICT},
	})
}

func TestIncidentNameRecipients(t *testing.T) {
	many := make([]string, 101)
	for n := range many {
		many[n] = fmt.Sprintf("dic/u%d", n)
	}
	runIncidentCases(t, []incidentCase{
		{name: "only new users, sorted", given: []Event{opened()}, by: by.PoliceCoord,
			when: NameRecipients{Users: []string{"military/dung", "dic/giang", "police/an"}},
			then: []Event{RecipientsNamed{Users: []string{"dic/giang", "military/dung"}, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Recipients, []string{"dic/giang", "military/dung", "police/an"}) // sorted union
			}},
		{name: "state secret, force users", given: []Event{opened(stateSecret)}, by: by.PoliceCoord,
			when: NameRecipients{Users: []string{"military/dung"}},
			then: []Event{RecipientsNamed{Users: []string{"military/dung"}, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "not org/user", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{Users: []string{"giang"}}, code: EINVALID, msg: "org/user"},
		{name: "user missing", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{Users: []string{"dic/"}}, code: EINVALID},
		{name: "user with a slash", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{Users: []string{"dic/a/b"}}, code: EINVALID},
		{name: "unknown organisation", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{Users: []string{"nowhere/x"}}, code: ENOTFOUND},
		{name: "nothing new", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{Users: []string{"police/an"}}, code: EINVALID},
		{name: "nobody", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{}, code: EINVALID},
		{name: "more than 100", given: []Event{opened()}, by: by.PoliceCoord, when: NameRecipients{Users: many}, code: ETOOLARGE},
		{name: "state secret, CERT user", given: []Event{opened(stateSecret)}, by: by.PoliceCoord,
			when: NameRecipients{Users: []string{"vncert/minh"}}, code: EFORBIDDEN, msg: "vncert"},
		{name: "responder may not", given: []Event{opened()}, by: by.PoliceResp, when: NameRecipients{Users: []string{"dic/giang"}}, code: EFORBIDDEN},
	})
}

func TestIncidentChangeTLP(t *testing.T) {
	runIncidentCases(t, []incidentCase{
		{name: "responder raises to RED and becomes a recipient", given: []Event{opened()}, by: by.PoliceResp,
			when: ChangeTLP{TLP: TLPRed, Reason: "named suspects"},
			then: []Event{TLPChanged{From: TLPAmber, To: TLPRed, Reason: "named suspects", Stamp: Stamp{By: by.PoliceResp, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				is.Equal(i.Recipients, []string{"police/an", "police/binh"})    // raiser keeps access
				is.True(!CanRead(by.PoliceCoord2, i.Audience(), testConfig(t))) // other colleagues lose it
			}},
		{name: "shared responder raises", given: []Event{opened(), shared("dic")}, by: by.DICResp, when: ChangeTLP{TLP: TLPAmberStrict},
			then: []Event{TLPChanged{From: TLPAmber, To: TLPAmberStrict, Stamp: Stamp{By: by.DICResp, At: incNow}}}},
		{name: "origin coordinator lowers", given: []Event{opened()}, by: by.PoliceCoord2, when: ChangeTLP{TLP: TLPGreen, Reason: "published"},
			then: []Event{TLPChanged{From: TLPAmber, To: TLPGreen, Reason: "published", Stamp: Stamp{By: by.PoliceCoord2, At: incNow}}}},
		{name: "responder may not lower", given: []Event{opened()}, by: by.PoliceResp, when: ChangeTLP{TLP: TLPGreen}, code: EFORBIDDEN, msg: "originating organisation"},
		{name: "lead coordinator may not lower", given: []Event{opened(), LeadAssigned{Org: "dic", Previous: "police"}}, by: by.DICCoord,
			when: ChangeTLP{TLP: TLPGreen}, code: EFORBIDDEN, msg: "originating organisation"},
		{name: "origin colleague not named at RED", given: []Event{opened(atTLP(TLPRed))}, by: by.PoliceCoord2, when: ChangeTLP{TLP: TLPAmber}, code: ENOTFOUND},
		{name: "same TLP", given: []Event{opened()}, by: by.PoliceResp, when: ChangeTLP{TLP: TLPAmber}, code: EINVALID},
		{name: "unknown TLP", given: []Event{opened()}, by: by.PoliceResp, when: ChangeTLP{TLP: "WHITE"}, code: EINVALID},
		{name: "reader who does not take part may not raise", given: []Event{opened(atTLP(TLPGreen))}, by: by.PropagandaCoord,
			when: ChangeTLP{TLP: TLPAmber}, code: EFORBIDDEN},
		{name: "reviewer may not", given: []Event{opened()}, by: by.PoliceReviewer, when: ChangeTLP{TLP: TLPRed}, code: EFORBIDDEN},
		{name: "closed", given: []Event{opened(), closed()}, by: by.PoliceCoord, when: ChangeTLP{TLP: TLPRed}, code: ECONFLICT},
	})
}
