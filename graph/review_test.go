package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
)

const reviewFields = `id title incidentId status signers outdatedBy sequence
	pin { origin treeSize rootHash checkpoint incidentSequence incidentVersion }
	signatures { org decision comment by { user org } treeSize }
	findings { kind text tlp }
	history { type textVi textEn }
	evidence { id name sha256 custodian custody { from to reason } downloadPath }
	incidents { id }
	whoKnewWhat { sequence organisations { org nameVi firstAccess { via textEn } requests { kind lateSeconds textVi } } }`

type reviewJSON struct {
	ID         string   `json:"id"`
	IncidentID *string  `json:"incidentId"`
	Status     string   `json:"status"`
	Signers    []string `json:"signers"`
	OutdatedBy *uint64  `json:"outdatedBy"`
	Sequence   uint64   `json:"sequence"`
	Pin        struct {
		TreeSize         uint64 `json:"treeSize"`
		RootHash         string `json:"rootHash"`
		Checkpoint       string `json:"checkpoint"`
		IncidentSequence uint64 `json:"incidentSequence"`
	} `json:"pin"`
	Signatures []struct {
		Org      string  `json:"org"`
		Decision string  `json:"decision"`
		Comment  *string `json:"comment"`
		By       *struct {
			User string `json:"user"`
		} `json:"by"`
	} `json:"signatures"`
	Findings []struct {
		Kind string `json:"kind"`
		TLP  string `json:"tlp"`
	} `json:"findings"`
	History []struct {
		Type   string `json:"type"`
		TextVi string `json:"textVi"`
	} `json:"history"`
	Evidence []struct {
		ID           string `json:"id"`
		Custodian    string `json:"custodian"`
		DownloadPath string `json:"downloadPath"`
		Custody      []struct {
			To string `json:"to"`
		} `json:"custody"`
	} `json:"evidence"`
	Incidents []struct {
		ID string `json:"id"`
	} `json:"incidents"`
	WhoKnewWhat *struct {
		Sequence      uint64 `json:"sequence"`
		Organisations []struct {
			Org         string `json:"org"`
			NameVi      string `json:"nameVi"`
			FirstAccess *struct {
				Via    string `json:"via"`
				TextEn string `json:"textEn"`
			} `json:"firstAccess"`
			Requests []struct {
				Kind        string `json:"kind"`
				LateSeconds int    `json:"lateSeconds"`
				TextVi      string `json:"textVi"`
			} `json:"requests"`
		} `json:"organisations"`
	} `json:"whoKnewWhat"`
}

// TestReviewOverGraphQL: the subcommittee opens a review pinned to a signed checkpoint; signers
// sign over GraphQL while a signer watches live; findings and evidence with custody show; the
// review completes, then a later change outdates it; TLP takes it from a signer who can no
// longer read the incident; coded errors for those who may not act.
func TestReviewOverGraphQL(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	dic := e.MustToken(t, "dic", "lan", domain.RoleCoordinator)
	sub := e.MustToken(t, "subcommittee", "hoa", domain.RoleReviewer)
	police := e.MustToken(t, "police", "tuan", domain.RoleCoordinator)
	military := e.MustToken(t, "military", "an", domain.RoleCoordinator)
	prop := e.MustToken(t, "propaganda", "linh", domain.RoleReviewer)
	cert := e.MustToken(t, "cert-health", "minh", domain.RolePartner)
	id, _ := e.MustOpen(t, dic, "Tấn công vào cổng dịch vụ công", domain.TLPAmber)
	e.MustPost(t, dic, `mutation($in: ShareIncidentInput!) { shareIncident(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"incidentId": id, "orgs": []string{"police", "military", "propaganda", "subcommittee", "cert-health"}}}, nil)
	var esc struct {
		EscalateIncident struct {
			Escalation struct {
				ID string `json:"id"`
			} `json:"escalation"`
		} `json:"escalateIncident"`
	}
	e.MustPost(t, dic, `mutation($in: EscalateIncidentInput!) { escalateIncident(input: $in) { escalation { id } } }`,
		map[string]any{"in": map[string]any{"incidentId": id, "toOrg": "police", "reason": "cần điều tra"}}, &esc)
	e.MustPost(t, police, `mutation($in: AcknowledgeEscalationInput!) { acknowledgeEscalation(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"escalationId": esc.EscalateIncident.Escalation.ID}}, nil)
	evSvc := app.NewEvidence(e.app, e.proj, mustBucket(t, e), nil)
	file, _, err := evSvc.Upload(context.Background(), app.Upload{Actor: domain.Actor{Org: "dic", User: "lan", Role: domain.RoleCoordinator},
		IncidentID: id, Name: "access.log", MediaType: "text/plain", SourceSystem: "máy chủ cổng", Body: strings.NewReader("GET /admin 200")})
	is.NoErr(err)
	var moved struct {
		TransferEvidenceCustody struct {
			Evidence struct {
				Custodian string `json:"custodian"`
			} `json:"evidence"`
		} `json:"transferEvidenceCustody"`
	}
	e.MustPost(t, dic, `mutation($in: TransferEvidenceCustodyInput!) { transferEvidenceCustody(input: $in) { evidence { custodian } sequence } }`,
		map[string]any{"in": map[string]any{"evidenceId": file.ID, "to": "police/tuan", "reason": "điều tra"}}, &moved)
	is.Equal(moved.TransferEvidenceCustody.Evidence.Custodian, "police/tuan") // custody moved over GraphQL
	res := e.Post(t, military, `mutation($in: TransferEvidenceCustodyInput!) { transferEvidenceCustody(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"evidenceId": file.ID, "to": "military/an", "reason": "x"}})
	is.Equal(res.Code(), "FORBIDDEN") // not the custodian

	// Open; the police watch the review live.
	var opened struct {
		OpenReview struct {
			Review   reviewJSON `json:"review"`
			Sequence uint64     `json:"sequence"`
		} `json:"openReview"`
	}
	e.MustPost(t, sub, `mutation($in: OpenReviewInput!) { openReview(input: $in) { sequence review { `+reviewFields+` } } }`,
		map[string]any{"in": map[string]any{"commandId": "rv-1", "title": "Rà soát sự cố cổng DVC", "incidentId": id}}, &opened)
	rv := opened.OpenReview.Review
	is.Equal(rv.Status, "OPEN")
	is.Equal(rv.Signers, []string{"police", "military", "dic", "propaganda", "subcommittee"}) // from the configuration
	is.True(rv.Pin.TreeSize >= rv.Pin.IncidentSequence && rv.Pin.Checkpoint != "")            // pinned to a signed checkpoint
	is.Equal(len(rv.Evidence), 1)                                                             // the evidence, with its custody
	is.Equal(rv.Evidence[0].Custodian, "police/tuan")
	is.Equal(rv.Evidence[0].DownloadPath, "/api/v1/evidence/"+file.ID)
	is.True(rv.WhoKnewWhat != nil && len(rv.WhoKnewWhat.Organisations) >= 5) // who knew what over the pinned history
	for _, o := range rv.WhoKnewWhat.Organisations {
		if o.Org == "police" {
			is.Equal(o.FirstAccess.Via, "SHARED")                       // police came in through the share
			is.Equal(len(o.Requests), 1)                                // and was asked to acknowledge once
			is.True(strings.Contains(o.Requests[0].TextVi, "đúng hạn")) // on time
		}
	}
	is.Equal(len(rv.Incidents), 1)
	for _, s := range rv.Signatures {
		is.Equal(s.Decision, "PENDING") // nobody signed yet
		is.True(s.By == nil)
	}
	ws := e.MustDial(t, police)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Subscribing since the opening: whatever happens before the subscription is registered is
	// delivered from what the replica retains, with no gap.
	is.NoErr(ws.Subscribe(ctx, "rv", `subscription($id: ID, $since: Sequence) { reviewChanged(reviewId: $id, since: $since) { sequence reviewId types outdated review { status } } }`,
		map[string]any{"id": rv.ID, "since": opened.OpenReview.Sequence}))

	decide := func(token, mutation, comment string) reviewJSON {
		var out map[string]struct {
			Review reviewJSON `json:"review"`
		}
		e.MustPost(t, token, `mutation($in: ReviewDecisionInput!) { `+mutation+`(input: $in) { sequence review { `+reviewFields+` } } }`,
			map[string]any{"in": map[string]any{"reviewId": rv.ID, "comment": comment}}, &out)
		return out[mutation].Review
	}
	decide(police, "signOffReview", "Đồng ý")
	decide(prop, "objectToReview", "Thiếu nhật ký tường lửa")
	e.MustPost(t, sub, `mutation($in: RecordReviewFindingInput!) { recordReviewFinding(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"reviewId": rv.ID, "kind": "LESSON", "text": "Cần rút ngắn thời gian chia sẻ"}}, nil)
	decide(prop, "signOffReview", "Đã bổ sung")
	decide(military, "signOffReview", "")
	decide(sub, "signOffReview", "")
	done := decide(dic, "signOffReview", "")
	is.Equal(done.Status, "COMPLETED") // the last signature completes it
	is.Equal(len(done.Findings), 1)
	is.Equal(done.Findings[0].Kind, "LESSON")
	is.Equal(done.Signatures[3].Decision, "SIGNED_OFF") // propaganda's sign-off replaced its objection
	res = e.Post(t, police, `mutation($in: ReviewDecisionInput!) { objectToReview(input: $in) { sequence } }`, map[string]any{"in": map[string]any{"reviewId": rv.ID, "comment": "x"}})
	is.Equal(res.Code(), "CONFLICT") // complete

	// Every decision arrived live, in order, ending with the completion.
	var types [][]string
	for len(types) < 7 {
		m, err := ws.Next(ctx)
		is.NoErr(err)
		var p struct {
			Data struct {
				ReviewChanged struct {
					Types  []string `json:"types"`
					Review struct {
						Status string `json:"status"`
					} `json:"review"`
				} `json:"reviewChanged"`
			} `json:"data"`
		}
		is.NoErr(json.Unmarshal(m.Payload, &p))
		types = append(types, p.Data.ReviewChanged.Types)
	}
	is.Equal(types[6], []string{"ReviewSignedOff", "ReviewCompleted"}) // the last sign-off and the completion, one change
	is.Equal(types[2], []string{"ReviewFindingRecorded"})              // a finding the police may read

	// A later change outdates it, live too; what was signed stays.
	note := e.MustNote(t, dic, id, "bổ sung sau rà soát")
	m, err := ws.Next(ctx)
	is.NoErr(err)
	is.True(strings.Contains(string(m.Payload), `"outdated":true`)) // said live
	var after struct {
		Review reviewJSON `json:"review"`
	}
	e.MustPost(t, military, `query($id: ID!) { review(id: $id) { `+reviewFields+` } }`, map[string]any{"id": rv.ID}, &after)
	is.Equal(*after.Review.OutdatedBy, note)                             // outdated by the note's sequence
	is.Equal(after.Review.Pin.IncidentSequence, rv.Pin.IncidentSequence) // the pin does not move

	// Who may not see it: a reader of the incident that is not a signer; a signer once the TLP
	// takes the incident away from it.
	res = e.Post(t, cert, `query($id: ID!) { review(id: $id) { id } }`, map[string]any{"id": rv.ID})
	is.Equal(res.Code(), "NOT_FOUND")
	e.MustPost(t, dic, `mutation($in: ChangeTLPInput!) { changeTLP(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"incidentId": id, "tlp": "AMBER_STRICT"}}, nil)
	res = e.Post(t, military, `query($id: ID!) { review(id: $id) { id } }`, map[string]any{"id": rv.ID})
	is.Equal(res.Code(), "NOT_FOUND") // TLP decides
	var list struct {
		Reviews []struct {
			ID string `json:"id"`
		} `json:"reviews"`
	}
	e.MustPost(t, military, `{ reviews { id } }`, nil, &list)
	is.Equal(len(list.Reviews), 0) // and the list says nothing

	res = e.Post(t, police, `mutation($in: OpenReviewInput!) { openReview(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"title": "x", "incidentId": id}})
	is.Equal(res.Code(), "FORBIDDEN") // only the subcommittee opens reviews
}

// TestWhoKnewWhatOverGraphQL: the view as of now and as of a past instant, in both languages;
// NOT_FOUND for who may not read the incident.
func TestWhoKnewWhatOverGraphQL(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	dic := e.MustToken(t, "dic", "lan", domain.RoleCoordinator)
	vncert := e.MustToken(t, "vncert", "x", domain.RolePartner)
	id, _ := e.MustOpen(t, dic, "Lừa đảo qua thư", domain.TLPAmber)
	before := time.Now()
	e.MustPost(t, dic, `mutation($in: ShareIncidentInput!) { shareIncident(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"incidentId": id, "orgs": []string{"police"}}}, nil)
	type orgs struct {
		WhoKnewWhat struct {
			Organisations []struct {
				Org         string `json:"org"`
				NameEn      string `json:"nameEn"`
				FirstAccess struct {
					Via     string `json:"via"`
					AtLocal string `json:"atLocal"`
					TextVi  string `json:"textVi"`
					TextEn  string `json:"textEn"`
				} `json:"firstAccess"`
			} `json:"organisations"`
		} `json:"whoKnewWhat"`
	}
	q := `query($id: ID!, $at: Time) { whoKnewWhat(incidentId: $id, asOf: $at) { organisations { org nameEn firstAccess { via atLocal textVi textEn } } } }`
	var now orgs
	e.MustPost(t, dic, q, map[string]any{"id": id}, &now)
	is.Equal(len(now.WhoKnewWhat.Organisations), 2) // the DIC and the police
	p := now.WhoKnewWhat.Organisations[1]
	is.Equal(p.Org, "police")
	is.Equal(p.FirstAccess.Via, "SHARED")
	is.True(strings.HasSuffix(p.FirstAccess.AtLocal, "+07:00"))           // Vietnam time
	is.True(strings.Contains(p.FirstAccess.TextVi, "được chia sẻ"))       // Vietnamese
	is.True(strings.Contains(p.FirstAccess.TextEn, "was shared with it")) // English
	var then orgs
	e.MustPost(t, dic, q, map[string]any{"id": id, "at": before.UTC().Format(time.RFC3339Nano)}, &then)
	is.Equal(len(then.WhoKnewWhat.Organisations), 1) // before the share: the DIC alone
	res := e.Post(t, vncert, q, map[string]any{"id": id})
	is.Equal(res.Code(), "NOT_FOUND") // as if it did not exist
	res = e.Post(t, dic, q, map[string]any{"id": id, "at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	is.Equal(res.Code(), "INVALID") // not in the future
}

// mustBucket opens the evidence bucket on the replica's NATS.
func mustBucket(t *testing.T, e *env) jetstream.ObjectStore {
	t.Helper()
	obs, err := app.OpenEvidenceBucket(context.Background(), e.store.JetStream(), app.EvidenceBucketConfig{Storage: jetstream.MemoryStorage, Manage: true})
	if err != nil {
		t.Fatal(fmt.Errorf("evidence bucket: %w", err))
	}
	return obs
}

// TestPeriodReviewOverGraphQL: a review of the incidents opened in a period lists, for each
// reader, those it may read; first is bounded.
func TestPeriodReviewOverGraphQL(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	dic := e.MustToken(t, "dic", "lan", domain.RoleCoordinator)
	sub := e.MustToken(t, "subcommittee", "hoa", domain.RoleReviewer)
	military := e.MustToken(t, "military", "an", domain.RoleCoordinator)
	from := time.Now().Add(-time.Minute).UTC()
	amber, _ := e.MustOpen(t, dic, "Sự cố AMBER", domain.TLPAmber)
	green, _ := e.MustOpen(t, dic, "Sự cố GREEN", domain.TLPGreen)
	to := time.Now().UTC()
	var opened struct {
		OpenReview struct {
			Review struct {
				ID         string  `json:"id"`
				IncidentID *string `json:"incidentId"`
				Incidents  []struct {
					ID string `json:"id"`
				} `json:"incidents"`
			} `json:"review"`
		} `json:"openReview"`
	}
	e.MustPost(t, sub, `mutation($in: OpenReviewInput!) { openReview(input: $in) { review { id incidentId incidents { id } } } }`,
		map[string]any{"in": map[string]any{"title": "Rà soát quý", "periodFrom": from.Format(time.RFC3339Nano), "periodTo": to.Format(time.RFC3339Nano)}}, &opened)
	rv := opened.OpenReview.Review
	is.True(rv.IncidentID == nil)  // a period, not an incident
	is.Equal(len(rv.Incidents), 1) // the subcommittee reads the GREEN one; the AMBER one was not shared with it
	var seen struct {
		Review struct {
			Incidents []struct {
				ID string `json:"id"`
			} `json:"incidents"`
		} `json:"review"`
	}
	e.MustPost(t, military, `query($id: ID!) { review(id: $id) { incidents { id } } }`, map[string]any{"id": rv.ID}, &seen)
	is.Equal(len(seen.Review.Incidents), 1)       // a signer sees the GREEN one only
	is.Equal(seen.Review.Incidents[0].ID, green)  // through TLP
	is.True(seen.Review.Incidents[0].ID != amber) // never the AMBER one
	res := e.Post(t, military, `query($id: ID!) { review(id: $id) { incidents(first: 0) { id } } }`, map[string]any{"id": rv.ID})
	is.Equal(res.Code(), "INVALID") // bounded
}
