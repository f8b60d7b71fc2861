package domain

import (
	"fmt"
	"testing"

	"github.com/matryer/is"
)

// policyAudience is an incident police opened and holds, shared with dic (a force) and vncert (a
// CERT), escalated to the subcommittee, with police/an and military/dung named for TLP:RED.
func policyAudience(t TLP, secret bool) Audience {
	a := Audience{TLP: t, Origin: "police", Lead: "police", Owner: "police", Shared: []string{"dic", "vncert"},
		EscalatedTo: []string{"subcommittee"}, Recipients: []string{"military/dung", "police/an"}}
	if secret {
		a.InfoClass = InfoSecretConfident
	}
	return a
}

// access spells what CanRead, CanWrite and CanManage answer as "r", "w" and "m".
func access(a Actor, aud Audience, cfg *Config) string {
	s := ""
	if CanRead(a, aud, cfg) {
		s += "r"
	}
	if CanWrite(a, aud, cfg) {
		s += "w"
	}
	if CanManage(a, aud, cfg) {
		s += "m"
	}
	return s
}

var policyTLPs = []TLP{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}

func TestPolicyMatrix(t *testing.T) {
	cfg := testConfig(t)
	all := func(s string) [5]string { return [5]string{s, s, s, s, s} }
	// want lists access at CLEAR, GREEN, AMBER, AMBER_STRICT, RED.
	for _, tc := range []struct {
		name   string
		actor  Actor
		plain  [5]string
		secret [5]string
	}{
		{"originator coordinator, named", by.PoliceCoord, all("rwm"), all("rwm")},
		{"originator coordinator, not named", by.PoliceCoord2, [5]string{"rwm", "rwm", "rwm", "rwm", ""}, [5]string{"rwm", "rwm", "rwm", "rwm", ""}},
		{"originator responder", by.PoliceResp, [5]string{"rw", "rw", "rw", "rw", ""}, [5]string{"rw", "rw", "rw", "rw", ""}},
		{"originator reviewer", by.PoliceReviewer, [5]string{"r", "r", "r", "r", ""}, [5]string{"r", "r", "r", "r", ""}},
		{"shared force coordinator", by.DICCoord, [5]string{"rw", "rw", "rw", "", ""}, [5]string{"rw", "rw", "rw", "", ""}},
		{"shared force responder", by.DICResp, [5]string{"rw", "rw", "rw", "", ""}, [5]string{"rw", "rw", "rw", "", ""}},
		{"shared partner CERT", by.VNCERTPartner, [5]string{"rw", "rw", "rw", "", ""}, all("")},
		{"escalated subcommittee reviewer", by.SubReviewer, [5]string{"r", "r", "r", "", ""}, [5]string{"r", "r", "r", "", ""}},
		{"escalated subcommittee coordinator", by.SubCoord, [5]string{"rw", "rw", "rw", "", ""}, [5]string{"rw", "rw", "rw", "", ""}},
		{"other force, user named", by.MilitaryCoord, [5]string{"r", "r", "", "", "rw"}, [5]string{"", "", "", "", "rw"}},
		{"other force, user not named", Actor{User: "x", Org: "military", Role: RoleResponder}, [5]string{"r", "r", "", "", ""}, all("")},
		{"other force not involved", by.PropagandaCoord, [5]string{"r", "r", "", "", ""}, all("")},
		{"partner CERT not shared", by.CertPartner, [5]string{"r", "r", "", "", ""}, all("")},
		{"agency", by.AgencyCoord, [5]string{"r", "r", "", "", ""}, all("")},
		{"admin of the originator", by.PoliceAdmin, all(""), all("")},
		{"ingest", by.Ingest, all(""), all("")},
		{"organisation not in directory", by.Stranger, all(""), all("")},
		{"unknown role", Actor{User: "an", Org: "police", Role: "boss"}, all(""), all("")},
	} {
		for n, tlp := range policyTLPs {
			for _, secret := range []bool{false, true} {
				want := tc.plain[n]
				if secret {
					want = tc.secret[n]
				}
				t.Run(fmt.Sprintf("%s/%s/secret=%v", tc.name, tlp, secret), func(t *testing.T) {
					is := is.New(t)
					is.Equal(access(tc.actor, policyAudience(tlp, secret), cfg), want) // read, write, manage
				})
			}
		}
	}
}

func TestPolicyHolders(t *testing.T) {
	cfg := testConfig(t)
	for _, tc := range []struct {
		name  string
		actor Actor
		aud   Audience
		want  string
	}{
		{"lead manages at AMBER_STRICT", by.DICCoord, Audience{TLP: TLPAmberStrict, Origin: "police", Lead: "dic", Owner: "police"}, "rwm"},
		{"owner CERT manages at AMBER_STRICT", by.CertCoord, Audience{TLP: TLPAmberStrict, Origin: "police", Lead: "police", Owner: "provincial-cert"}, "rwm"},
		{"non-force owner still holds a state secret", by.CertPartner,
			Audience{TLP: TLPAmber, InfoClass: InfoSecretTop, Origin: "police", Lead: "police", Owner: "provincial-cert"}, "rw"},
		{"non-force origin still holds a state secret", by.AgencyCoord,
			Audience{TLP: TLPAmber, InfoClass: InfoSecretSecret, Origin: "dept-health", Lead: "police", Owner: "police"}, "rwm"},
		{"offered handoff at AMBER", by.HealthCERTPartner, Audience{TLP: TLPAmber, Origin: "police", Lead: "police", Owner: "police", HandoffTo: []string{"cert-health"}}, "rw"},
		{"offered handoff at AMBER_STRICT", by.HealthCERTPartner, Audience{TLP: TLPAmberStrict, Origin: "police", Lead: "police", Owner: "police", HandoffTo: []string{"cert-health"}}, ""},
		{"escalated force at AMBER_STRICT", by.SubCoord, Audience{TLP: TLPAmberStrict, Origin: "police", Lead: "police", Owner: "police", EscalatedTo: []string{"subcommittee"}}, ""},
		// The origin released on a handoff's acceptance: it holds nothing as originator.
		{"released origin at AMBER", by.PoliceCoord, released(TLPAmber), ""},
		{"released origin at AMBER_STRICT", by.PoliceCoord, released(TLPAmberStrict), ""},
		{"released origin at GREEN reads as anyone", by.PoliceCoord, released(TLPGreen), "r"},
		{"released origin escalated to at AMBER", by.PoliceCoord, func() Audience { a := released(TLPAmber); a.EscalatedTo = []string{"police"}; return a }(), "rw"},
		{"released origin shared with at AMBER", by.PoliceResp, func() Audience { a := released(TLPAmber); a.Shared = []string{"police"}; return a }(), "rw"},
		{"released origin that leads again", by.PoliceCoord, func() Audience { a := released(TLPAmberStrict); a.Lead = "police"; return a }(), "rwm"},
		{"released origin that owns again", by.PoliceCoord, func() Audience { a := released(TLPAmberStrict); a.Owner = "police"; return a }(), "rwm"},
		{"released non-force origin of a state secret at GREEN", by.AgencyCoord,
			Audience{TLP: TLPGreen, InfoClass: InfoSecretSecret, Origin: "dept-health", Lead: "police", Owner: "military", OriginReleased: true}, ""},
		{"not released: origin holds", by.PoliceCoord, func() Audience { a := released(TLPAmberStrict); a.OriginReleased = false; return a }(), "rwm"},
		{"new owner of a released incident", by.CertCoord, released(TLPAmberStrict), "rwm"},
		{"unknown TLP reads as nothing", by.PoliceCoord, Audience{TLP: "PINK", Origin: "police", Lead: "police", Owner: "police"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(access(tc.actor, tc.aud, cfg), tc.want) // read, write, manage
		})
	}
	t.Run("no configuration", func(t *testing.T) {
		is := is.New(t)
		is.True(!CanRead(by.PoliceCoord, policyAudience(TLPClear, false), nil)) // nothing without a directory
	})
}

// released is an incident police opened and handed to the provincial CERT with ReleaseOnAccept,
// the DIC leading.
func released(t TLP) Audience {
	return Audience{TLP: t, Origin: "police", Lead: "dic", Owner: "provincial-cert", HandoffTo: []string{"provincial-cert"}, OriginReleased: true}
}

func TestPolicyItems(t *testing.T) {
	cfg := testConfig(t)
	for _, tc := range []struct {
		name    string
		actor   Actor
		aud     Audience
		itemTLP TLP
		author  Actor
		want    bool
	}{
		{"RED item: author", by.DICResp, policyAudience(TLPAmber, false), TLPRed, by.DICResp, true},
		{"RED item: incident recipient", by.PoliceCoord, policyAudience(TLPAmber, false), TLPRed, by.DICResp, true},
		{"RED item: originator not named", by.PoliceResp, policyAudience(TLPAmber, false), TLPRed, by.DICResp, false},
		{"RED item: author's colleague", by.DICCoord, policyAudience(TLPAmber, false), TLPRed, by.DICResp, false},
		{"RED item: shared CERT", by.VNCERTPartner, policyAudience(TLPAmber, false), TLPRed, by.DICResp, false},
		{"AMBER_STRICT item: holder", by.PoliceResp, policyAudience(TLPAmber, false), TLPAmberStrict, by.DICResp, true},
		{"AMBER_STRICT item: shared force", by.DICCoord, policyAudience(TLPAmber, false), TLPAmberStrict, by.DICResp, false},
		{"AMBER_STRICT item: its author", by.DICResp, policyAudience(TLPAmber, false), TLPAmberStrict, by.DICResp, true},
		{"AMBER item in a GREEN incident: shared CERT", by.VNCERTPartner, policyAudience(TLPGreen, false), TLPAmber, by.PoliceResp, true},
		{"AMBER item in a GREEN incident: agency", by.AgencyCoord, policyAudience(TLPGreen, false), TLPAmber, by.PoliceResp, false},
		{"GREEN item in an AMBER incident: incident decides", by.AgencyCoord, policyAudience(TLPAmber, false), TLPGreen, by.PoliceResp, false},
		{"same user name in another organisation is not the author", Actor{User: "ha", Org: "vncert", Role: RolePartner},
			policyAudience(TLPAmber, false), TLPRed, by.DICResp, false},
		{"author who lost access to the incident", by.VNCERTPartner, policyAudience(TLPAmber, true), TLPAmber, by.VNCERTPartner, false},
		{"author who is admin now", Actor{User: "ha", Org: "dic", Role: RoleAdmin}, policyAudience(TLPAmber, false), TLPRed, by.DICResp, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(CanReadItem(tc.actor, tc.aud, tc.itemTLP, tc.author, cfg), tc.want) // item visibility
		})
	}
}

func TestRoleMay(t *testing.T) {
	is := is.New(t)
	commands := []string{CmdOpenIncident, CmdClassify, CmdAssignLead, CmdChangePhase, CmdAddNote, CmdAddIndicator,
		CmdShare, CmdNameRecipients, CmdChangeTLP, CmdEscalate, CmdAcknowledgeEscalation, CmdResolveEscalation,
		CmdOfferHandoff, CmdAcknowledgeHandoff, CmdAcceptHandoff, CmdDeclineHandoff, CmdReturnHandoff, CmdWithdrawHandoff, CmdCloseIncident,
		CmdReopenIncident}
	for _, c := range commands {
		is.True(RoleMay(RoleCoordinator, c))                       // coordinators may issue every command
		is.True(!RoleMay(RoleAdmin, c) && !RoleMay(RoleIngest, c)) // admin and ingest none
		is.True(!RoleMay("boss", c))                               // unknown role none
	}
	for _, tc := range []struct {
		role Role
		may  []string
	}{
		{RoleResponder, []string{CmdOpenIncident, CmdChangePhase, CmdAddNote, CmdAddIndicator, CmdChangeTLP, CmdEscalate,
			CmdAcknowledgeEscalation, CmdResolveEscalation, CmdAcknowledgeHandoff}},
		{RoleReviewer, []string{CmdAddNote, CmdAcknowledgeEscalation, CmdResolveEscalation}},
		{RolePartner, []string{CmdChangePhase, CmdAddNote, CmdAddIndicator, CmdChangeTLP, CmdEscalate,
			CmdAcknowledgeEscalation, CmdResolveEscalation, CmdAcknowledgeHandoff, CmdAcceptHandoff, CmdDeclineHandoff, CmdReturnHandoff}},
	} {
		for _, c := range commands {
			want := false
			for _, m := range tc.may {
				want = want || m == c
			}
			if RoleMay(tc.role, c) != want {
				t.Errorf("RoleMay(%s, %s) = %v, want %v", tc.role, c, !want, want)
			}
		}
	}
	is.True(!RoleMay(RoleCoordinator, "LaunchMissiles")) // unknown command
}

func TestIncidentAudience(t *testing.T) {
	is := is.New(t)
	i := MustReplay(t, opened(stateSecret), shared("military"), escalated("e1", "subcommittee"),
		acknowledged("e1", by.SubCoord), escalated("e2", "subcommittee"), escalated("e3", "dic"),
		EscalationResolved{EscalationID: "e3", Resolution: "x"},
		offered("h1", "border-guard"), HandoffDeclined{HandoffID: "h1", Reason: "x"},
		offered("h2", "provincial-cert"), accepted("h2", by.CertCoord),
		offered("h3", "vncert"), HandoffWithdrawn{HandoffID: "h3", Reason: "x"},
		LeadAssigned{Org: "propaganda", Previous: "police"})
	a := i.Audience()
	is.Equal(a, Audience{TLP: TLPAmber, InfoClass: InfoSecretSecret, Origin: "police", Lead: "propaganda", Owner: "provincial-cert",
		Shared: []string{"military"}, Recipients: []string{"police/an"}, EscalatedTo: []string{"dic", "subcommittee"},
		HandoffTo: []string{"provincial-cert"}}) // audience of the incident
	a.Shared[0] = "changed"
	is.Equal(i.Shared, []string{"military"})       // the audience is a copy
	is.Equal(UserKey("police", "an"), "police/an") // user key
}
