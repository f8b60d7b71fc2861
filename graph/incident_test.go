package graph_test

import (
	"testing"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
)

// TestIncidentFlow walks one incident through the API with the schema's fixed names: open,
// escalate, acknowledge, note, share, hand off, accept, close; every event records the actor of
// the token that asked.
func TestIncidentFlow(t *testing.T) {
	for _, storage := range []struct {
		name string
		opt  func(*envOptions)
	}{{"file", func(*envOptions) {}}, {"memory", withMemoryStorage}} {
		t.Run(storage.name, func(t *testing.T) {
			is := is.New(t)
			e := MustEnv(t, storage.opt)
			police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
			dic := e.MustToken(t, "dic", "binh", domain.RoleCoordinator)
			vncert := e.MustToken(t, "vncert", "chi", domain.RolePartner)

			var me struct {
				Me struct {
					User string `json:"user"`
					Role string `json:"role"`
					Org  struct {
						Slug  string `json:"slug"`
						Force bool   `json:"force"`
					} `json:"org"`
				} `json:"me"`
				Organisations []struct {
					Slug string `json:"slug"`
					Cert bool   `json:"cert"`
				} `json:"organisations"`
			}
			e.MustPost(t, police, `{ me { user role org { slug force } } organisations { slug cert } }`, nil, &me)
			is.Equal(me.Me.User, "an")                                // me.user
			is.Equal(me.Me.Role, "COORDINATOR")                       // role is upper-case in GraphQL
			is.Equal(me.Me.Org.Slug, "police")                        // me.org
			is.True(me.Me.Org.Force)                                  // police is a force
			is.Equal(len(me.Organisations), len(e.cfg.Organisations)) // the directory

			// Open, with a command id: a retry returns the same incident and records nothing.
			in := openInput("Mã độc tại Sở Y tế", domain.TLPAmber)
			in["commandId"] = "open-1"
			in["affectedSystem"] = map[string]any{"name": "HIS", "securityLevel": 3}
			var o opened
			e.MustPost(t, police, openMutation, map[string]any{"in": in}, &o)
			id := o.OpenIncident.Incident.ID
			is.Equal(o.OpenIncident.Incident.Status, "OPEN")   // opened
			is.Equal(o.OpenIncident.Incident.Origin, "police") // the token's organisation
			last := e.MustLast(t)
			var again opened
			e.MustPost(t, police, openMutation, map[string]any{"in": in}, &again)
			is.Equal(again.OpenIncident.Incident.ID, id)                   // same incident
			is.Equal(again.OpenIncident.Sequence, o.OpenIncident.Sequence) // same write
			is.Equal(e.MustLast(t), last)                                  // nothing new recorded

			// Escalate to the DIC, which sees it in its queue and acknowledges.
			var esc struct {
				EscalateIncident struct {
					Sequence   uint64 `json:"sequence"`
					Escalation struct {
						ID     string `json:"id"`
						To     string `json:"to"`
						Status string `json:"status"`
					} `json:"escalation"`
				} `json:"escalateIncident"`
			}
			e.MustPost(t, police, `mutation($in: EscalateIncidentInput!) { escalateIncident(input: $in) { sequence escalation { id to status } } }`,
				map[string]any{"in": map[string]any{"incidentId": id, "toOrg": "dic", "reason": "cần hỗ trợ phân tích", "ackWithin": "30m"}}, &esc)
			is.Equal(esc.EscalateIncident.Escalation.To, "dic")         // addressee
			is.Equal(esc.EscalateIncident.Escalation.Status, "PENDING") // waiting
			var queue struct {
				EscalationQueue []struct {
					ID          string `json:"id"`
					IncidentID  string `json:"incidentId"`
					SecondsLeft int    `json:"secondsLeft"`
				} `json:"escalationQueue"`
			}
			e.MustPost(t, dic, `query($s: Sequence) { escalationQueue(minSequence: $s) { id incidentId secondsLeft } }`,
				map[string]any{"s": esc.EscalateIncident.Sequence}, &queue)
			is.Equal(len(queue.EscalationQueue), 1)               // one escalation waits
			is.Equal(queue.EscalationQueue[0].IncidentID, id)     // on this incident
			is.True(queue.EscalationQueue[0].SecondsLeft > 29*60) // 30 minutes to answer
			var ack struct {
				AcknowledgeEscalation struct {
					Escalation struct {
						Status         string `json:"status"`
						AcknowledgedBy struct {
							User string `json:"user"`
							Org  string `json:"org"`
						} `json:"acknowledgedBy"`
					} `json:"escalation"`
				} `json:"acknowledgeEscalation"`
			}
			e.MustPost(t, dic, `mutation($in: AcknowledgeEscalationInput!) { acknowledgeEscalation(input: $in) { escalation { status acknowledgedBy { user org } } } }`,
				map[string]any{"in": map[string]any{"escalationId": esc.EscalateIncident.Escalation.ID}}, &ack)
			is.Equal(ack.AcknowledgeEscalation.Escalation.Status, "ACKNOWLEDGED")      // acknowledged
			is.Equal(ack.AcknowledgeEscalation.Escalation.AcknowledgedBy.User, "binh") // by the token's user
			is.Equal(ack.AcknowledgeEscalation.Escalation.AcknowledgedBy.Org, "dic")

			// The DIC adds a note; the police shares with the provincial CERT.
			var note struct {
				AddNote struct {
					Note struct {
						Text   string `json:"text"`
						TLP    string `json:"tlp"`
						Author struct {
							User string `json:"user"`
						} `json:"author"`
					} `json:"note"`
				} `json:"addNote"`
			}
			e.MustPost(t, dic, `mutation($in: AddNoteInput!) { addNote(input: $in) { note { text tlp author { user } } } }`,
				map[string]any{"in": map[string]any{"incidentId": id, "text": "Đã cô lập máy chủ"}}, &note)
			is.Equal(note.AddNote.Note.Author.User, "binh") // the author is the token's user
			is.Equal(note.AddNote.Note.TLP, "AMBER")        // the incident's TLP by default
			var shared struct {
				ShareIncident struct {
					Incident struct {
						SharedWith []string `json:"sharedWith"`
					} `json:"incident"`
				} `json:"shareIncident"`
			}
			e.MustPost(t, police, `mutation($in: ShareIncidentInput!) { shareIncident(input: $in) { incident { sharedWith } } }`,
				map[string]any{"in": map[string]any{"incidentId": id, "orgs": []string{"provincial-cert"}}}, &shared)
			is.Equal(shared.ShareIncident.Incident.SharedWith, []string{"provincial-cert"}) // shared

			// Hand off to VNCERT/CC, which finds it in its inbox and accepts.
			var offer struct {
				OfferHandoff struct {
					Handoff struct {
						ID     string `json:"id"`
						Status string `json:"status"`
					} `json:"handoff"`
				} `json:"offerHandoff"`
			}
			e.MustPost(t, police, `mutation($in: OfferHandoffInput!) { offerHandoff(input: $in) { handoff { id status } } }`,
				map[string]any{"in": map[string]any{"incidentId": id, "toOrg": "vncert", "summary": "chuyển giao điều phối", "answerWithin": "4h"}}, &offer)
			is.Equal(offer.OfferHandoff.Handoff.Status, "OFFERED") // offered
			var inbox struct {
				HandoffInbox []struct {
					ID string `json:"id"`
				} `json:"handoffInbox"`
			}
			e.MustPost(t, vncert, `{ handoffInbox { id } }`, nil, &inbox)
			is.Equal(len(inbox.HandoffInbox), 1)                              // in VNCERT's inbox
			is.Equal(inbox.HandoffInbox[0].ID, offer.OfferHandoff.Handoff.ID) // the offer
			var accept struct {
				AcceptHandoff struct {
					Handoff struct {
						Status string `json:"status"`
					} `json:"handoff"`
					Incident struct {
						Owner string `json:"owner"`
					} `json:"incident"`
				} `json:"acceptHandoff"`
			}
			e.MustPost(t, vncert, `mutation($in: AcceptHandoffInput!) { acceptHandoff(input: $in) { handoff { status } incident { owner } } }`,
				map[string]any{"in": map[string]any{"handoffId": offer.OfferHandoff.Handoff.ID}}, &accept)
			is.Equal(accept.AcceptHandoff.Handoff.Status, "ACCEPTED") // accepted
			is.Equal(accept.AcceptHandoff.Incident.Owner, "vncert")   // VNCERT owns it now

			// The originating police may not close it over VNCERT's head, nor while the
			// escalation to the DIC is open; once VNCERT returns it and the DIC resolves the
			// escalation, it closes it. Refusals write nothing.
			closeIn := map[string]any{"in": map[string]any{"incidentId": id, "resolution": "RESOLVED", "summary": "Đã khắc phục"}}
			before := e.MustLast(t)
			is.Equal(e.Post(t, police, `mutation($in: CloseIncidentInput!) { closeIncident(input: $in) { sequence } }`, closeIn).Code(), "FORBIDDEN") // VNCERT owns it
			e.MustPost(t, vncert, `mutation($in: ReturnHandoffInput!) { returnHandoff(input: $in) { handoff { status } } }`,
				map[string]any{"in": map[string]any{"handoffId": offer.OfferHandoff.Handoff.ID, "reason": "đã điều phối xong"}}, nil)
			mid := e.MustLast(t)
			is.Equal(mid, before+1)                                                                                                                  // only the return was written
			is.Equal(e.Post(t, police, `mutation($in: CloseIncidentInput!) { closeIncident(input: $in) { sequence } }`, closeIn).Code(), "CONFLICT") // the escalation is open
			is.Equal(e.MustLast(t), mid)
			e.MustPost(t, dic, `mutation($in: ResolveEscalationInput!) { resolveEscalation(input: $in) { escalation { status } } }`,
				map[string]any{"in": map[string]any{"escalationId": esc.EscalateIncident.Escalation.ID, "resolution": "đã hỗ trợ"}}, nil)

			var closed struct {
				CloseIncident struct {
					Sequence uint64 `json:"sequence"`
					Incident struct {
						Status       string  `json:"status"`
						Resolution   string  `json:"resolution"`
						CloseSummary *string `json:"closeSummary"`
						ClosedAt     *string `json:"closedAt"`
					} `json:"incident"`
				} `json:"closeIncident"`
			}
			e.MustPost(t, police, `mutation($in: CloseIncidentInput!) { closeIncident(input: $in) { sequence incident { status resolution closeSummary closedAt } } }`,
				closeIn, &closed)
			is.Equal(closed.CloseIncident.Incident.Status, "CLOSED")       // closed
			is.Equal(closed.CloseIncident.Incident.Resolution, "RESOLVED") // with its resolution
			is.True(closed.CloseIncident.Incident.ClosedAt != nil)         // and a time

			// The timeline names the real actor of every event.
			var tl struct {
				Timeline []struct {
					Type    string `json:"type"`
					Actor   string `json:"actor"`
					Org     string `json:"org"`
					AtLocal string `json:"atLocal"`
					TextEn  string `json:"textEn"`
				} `json:"timeline"`
			}
			e.MustPost(t, dic, `query($id: ID!) { timeline(incidentId: $id) { type actor org atLocal textEn } }`, map[string]any{"id": id}, &tl)
			want := []struct{ typ, actor, org string }{
				{"IncidentOpened", "an", "police"}, {"IncidentEscalated", "an", "police"},
				{"EscalationAcknowledged", "binh", "dic"}, {"NoteAdded", "binh", "dic"},
				{"IncidentShared", "an", "police"}, {"HandoffOffered", "an", "police"},
				{"HandoffAccepted", "chi", "vncert"}, {"HandoffReturned", "chi", "vncert"}, {"EscalationResolved", "binh", "dic"},
				{"IncidentClosed", "an", "police"},
			}
			is.Equal(len(tl.Timeline), len(want)) // one entry per event
			for i, w := range want {
				is.Equal(tl.Timeline[i].Type, w.typ)                                                                           // event type
				is.Equal(tl.Timeline[i].Actor, w.actor)                                                                        // the token's user
				is.Equal(tl.Timeline[i].Org, w.org)                                                                            // the token's organisation
				is.True(len(tl.Timeline[i].AtLocal) > 0 && tl.Timeline[i].AtLocal[len(tl.Timeline[i].AtLocal)-6:] == "+07:00") // local time
			}

			// The board shows it closed, counted.
			var board struct {
				Board struct {
					TotalCount int `json:"totalCount"`
					Nodes      []struct {
						ID     string `json:"id"`
						Status string `json:"status"`
					} `json:"nodes"`
					StatusCounts []struct {
						Status string `json:"status"`
						Count  int    `json:"count"`
					} `json:"statusCounts"`
					Sequence uint64 `json:"sequence"`
				} `json:"board"`
			}
			e.MustPost(t, police, `query($s: Sequence) { board(minSequence: $s) { totalCount nodes { id status } statusCounts { status count } sequence } }`,
				map[string]any{"s": closed.CloseIncident.Sequence}, &board)
			is.Equal(board.Board.TotalCount, 1)                            // one incident
			is.Equal(board.Board.Nodes[0].ID, id)                          // this one
			is.Equal(board.Board.Nodes[0].Status, "CLOSED")                // closed
			is.True(board.Board.Sequence >= closed.CloseIncident.Sequence) // taken after the close
		})
	}
}

// TestHandoffTLPAcknowledgeAndRelease offers a handoff labelled with its own TLP that releases the
// originating organisation on acceptance; the addressee acknowledges receipt once, then accepts,
// and the origin no longer sees the incident. Refused commands record nothing.
func TestHandoffTLPAcknowledgeAndRelease(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	certResp := e.MustToken(t, "provincial-cert", "long", domain.RoleResponder)
	certCoord := e.MustToken(t, "provincial-cert", "khanh", domain.RoleCoordinator)
	id, _ := e.MustOpen(t, police, "Lộ lọt dữ liệu bệnh nhân", domain.TLPAmber)
	e.MustPost(t, police, `mutation($in: AssignLeadInput!) { assignLead(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"incidentId": id, "org": "dic"}}, nil)

	// A handoff may not be labelled less restrictive than the incident.
	offer := `mutation($in: OfferHandoffInput!) { offerHandoff(input: $in) { sequence handoff { id tlp releaseOnAccept acknowledgedAt } } }`
	in := map[string]any{"incidentId": id, "toOrg": "provincial-cert", "summary": "dữ liệu đã bị rao bán", "tlp": "GREEN", "releaseOnAccept": true}
	last := e.MustLast(t)
	r := e.Post(t, police, offer, map[string]any{"in": in})
	is.Equal(r.Code(), "INVALID") // TLP lower than the incident's
	is.Equal(e.MustLast(t), last) // nothing recorded

	in["tlp"] = "AMBER_STRICT"
	var off struct {
		OfferHandoff struct {
			Handoff struct {
				ID              string  `json:"id"`
				TLP             string  `json:"tlp"`
				ReleaseOnAccept bool    `json:"releaseOnAccept"`
				AcknowledgedAt  *string `json:"acknowledgedAt"`
			} `json:"handoff"`
		} `json:"offerHandoff"`
	}
	e.MustPost(t, police, offer, map[string]any{"in": in}, &off)
	h := off.OfferHandoff.Handoff
	is.Equal(h.TLP, "AMBER_STRICT")  // its own TLP
	is.True(h.ReleaseOnAccept)       // the origin lets go on acceptance
	is.True(h.AcknowledgedAt == nil) // not acknowledged yet

	type inbox struct {
		HandoffInbox []struct {
			ID             string  `json:"id"`
			TLP            string  `json:"tlp"`
			HandoffTLP     *string `json:"handoffTlp"`
			AcknowledgedAt *string `json:"acknowledgedAt"`
		} `json:"handoffInbox"`
	}
	var box inbox
	e.MustPost(t, certResp, `{ handoffInbox { id tlp handoffTlp acknowledgedAt } }`, nil, &box)
	is.Equal(len(box.HandoffInbox), 1)                        // offered to the CERT
	is.Equal(box.HandoffInbox[0].TLP, "AMBER")                // the incident's TLP
	is.Equal(*box.HandoffInbox[0].HandoffTLP, "AMBER_STRICT") // and the handoff's
	is.True(box.HandoffInbox[0].AcknowledgedAt == nil)        // not acknowledged

	// Only the addressee acknowledges, once.
	ack := `mutation($in: AcknowledgeHandoffInput!) { acknowledgeHandoff(input: $in) { sequence handoff { status acknowledgedAt acknowledgedBy { user org } } } }`
	ackIn := map[string]any{"in": map[string]any{"handoffId": h.ID}}
	last = e.MustLast(t)
	r = e.Post(t, police, ack, ackIn)
	is.Equal(r.Code(), "FORBIDDEN") // the offering organisation may not
	is.Equal(e.MustLast(t), last)   // nothing recorded
	var acked struct {
		AcknowledgeHandoff struct {
			Handoff struct {
				Status         string  `json:"status"`
				AcknowledgedAt *string `json:"acknowledgedAt"`
				AcknowledgedBy struct {
					User string `json:"user"`
					Org  string `json:"org"`
				} `json:"acknowledgedBy"`
			} `json:"handoff"`
		} `json:"acknowledgeHandoff"`
	}
	e.MustPost(t, certResp, ack, ackIn, &acked)
	is.Equal(acked.AcknowledgeHandoff.Handoff.Status, "OFFERED")           // still waiting for an answer
	is.True(acked.AcknowledgeHandoff.Handoff.AcknowledgedAt != nil)        // acknowledged
	is.Equal(acked.AcknowledgeHandoff.Handoff.AcknowledgedBy.User, "long") // by the token's user
	is.Equal(acked.AcknowledgeHandoff.Handoff.AcknowledgedBy.Org, "provincial-cert")
	last = e.MustLast(t)
	r = e.Post(t, certResp, ack, ackIn)
	is.Equal(r.Code(), "CONFLICT") // twice
	is.Equal(e.MustLast(t), last)  // nothing recorded
	box = inbox{}
	e.MustPost(t, certResp, `{ handoffInbox { id tlp handoffTlp acknowledgedAt } }`, nil, &box)
	is.True(box.HandoffInbox[0].AcknowledgedAt != nil) // the inbox shows it

	// Accepted: the police, which asked to be released, no longer sees the incident.
	var accepted struct {
		AcceptHandoff struct {
			Sequence uint64 `json:"sequence"`
			Incident struct {
				Owner string `json:"owner"`
			} `json:"incident"`
		} `json:"acceptHandoff"`
	}
	e.MustPost(t, certCoord, `mutation($in: AcceptHandoffInput!) { acceptHandoff(input: $in) { sequence incident { owner } } }`, ackIn, &accepted)
	is.Equal(accepted.AcceptHandoff.Incident.Owner, "provincial-cert") // ownership moved
	var board struct {
		Board struct {
			TotalCount int `json:"totalCount"`
		} `json:"board"`
	}
	e.MustPost(t, police, `query($s: Sequence) { board(minSequence: $s) { totalCount } }`,
		map[string]any{"s": accepted.AcceptHandoff.Sequence}, &board)
	is.Equal(board.Board.TotalCount, 0) // gone from the origin's board
	e.MustPost(t, certCoord, `query($s: Sequence) { board(minSequence: $s) { totalCount } }`,
		map[string]any{"s": accepted.AcceptHandoff.Sequence}, &board)
	is.Equal(board.Board.TotalCount, 1) // on the new owner's
}
