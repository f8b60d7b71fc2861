package web

import (
	"net/http"

	"github.com/dieuphoi/dieuphoi/domain"
)

// incidentCommands are the commands the board offers, named as domain.RoleMay knows them.
var incidentCommands = []string{
	domain.CmdOpenIncident, domain.CmdClassify, domain.CmdAssignLead, domain.CmdChangePhase, domain.CmdAddNote,
	domain.CmdAddIndicator, domain.CmdShare, domain.CmdNameRecipients, domain.CmdChangeTLP, domain.CmdEscalate,
	domain.CmdAcknowledgeEscalation, domain.CmdResolveEscalation, domain.CmdOfferHandoff, domain.CmdAcknowledgeHandoff,
	domain.CmdAcceptHandoff, domain.CmdDeclineHandoff, domain.CmdReturnHandoff, domain.CmdWithdrawHandoff,
	domain.CmdCloseIncident, domain.CmdReopenIncident, domain.CmdMergeAlerts, domain.CmdDetachAlert,
	domain.CmdAddEvidence, domain.CmdTransferCustody, domain.CmdSubmitReport, domain.CmdRecordNotification,
}

type named struct {
	Code   string `json:"code"`
	NameVi string `json:"nameVi"`
	NameEn string `json:"nameEn"`
}

// meta tells the signed-in board which commands its role may issue at all (the domain's own
// rule: the incident's audience still decides, and the server's answer is the last word) and the
// names of the configuration's incident types and sectors.
func (b *Board) meta(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		apiError(w, http.StatusMethodNotAllowed, domain.Errorf(domain.EINVALID, "use GET"))
		return
	}
	if b.d.Authenticate == nil || b.d.Config == nil {
		apiError(w, http.StatusServiceUnavailable, domain.Errorf(domain.EINTERNAL, "the board is not wired to the API"))
		return
	}
	actor, err := b.d.Authenticate(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="dieuphoi"`)
		apiError(w, statusOf(err), err)
		return
	}
	commands := []string{}
	for _, c := range incidentCommands {
		if domain.RoleMay(actor.Role, c) {
			commands = append(commands, c)
		}
	}
	types := make([]named, 0, len(b.d.Config.IncidentTypes))
	for _, t := range b.d.Config.IncidentTypes {
		types = append(types, named{t.Code, t.NameVi, t.NameEn})
	}
	sectors := make([]named, 0, len(b.d.Config.Sectors))
	for _, s := range b.d.Config.Sectors {
		sectors = append(sectors, named{s.Code, s.NameVi, s.NameEn})
	}
	periods := []string{}
	for _, p := range b.d.Config.PeriodicReports.Periods {
		periods = append(periods, p.ID)
	}
	// What the board offers on reviews: whether the caller's organisation opens them (the
	// subcommittee) and whether its role acts on them at all; each review then names its signers.
	review := map[string]bool{"acts": domain.ActsOnReviews(actor.Role),
		"opener": domain.ActsOnReviews(actor.Role) && b.d.Config.IsReviewOpener(actor.Org)}
	writeJSON(w, http.StatusOK, map[string]any{"role": actor.Role, "commands": commands, "types": types, "sectors": sectors,
		"periods": periods, "review": review})
}
