package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/ingest"
)

// ingestAlerts POSTs alerts to the node's ingest endpoint and returns the response.
func (n *node) ingestAlerts(tb testing.TB, token string, alerts ...map[string]any) ingest.Response {
	tb.Helper()
	body, _ := json.Marshal(alerts)
	req, _ := http.NewRequest(http.MethodPost, n.hs.URL+ingest.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("POST alerts: %v", err)
	}
	defer res.Body.Close()
	var r ingest.Response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || res.StatusCode != http.StatusOK {
		tb.Fatalf("POST alerts: %d %v", res.StatusCode, err)
	}
	return r
}

func socAlert(ref, asset string, tlp domain.TLP) map[string]any {
	return map[string]any{"source": "soc-dic", "sourceRef": ref, "title": "Cảnh báo " + ref, "severity": "HIGH",
		"observedAt": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano), "asset": asset, "tlp": string(tlp),
		"indicators": []map[string]any{{"type": "IPV4", "value": "203.0.113.9"}}}
}

type alertNode struct {
	ID                string   `json:"id"`
	Title             string   `json:"title"`
	Status            string   `json:"status"`
	Count             int      `json:"count"`
	LastSeen          string   `json:"lastSeen"`
	Source            string   `json:"source"`
	Asset             *string  `json:"asset"`
	SuppressedBy      *string  `json:"suppressedBy"`
	IncidentID        *string  `json:"incidentId"`
	ProposedIncidents []string `json:"proposedIncidents"`
}

const alertFields = `id title status count lastSeen source asset suppressedBy incidentId proposedIncidents`

type alertsPage struct {
	Alerts struct {
		Nodes      []alertNode `json:"nodes"`
		TotalCount int         `json:"totalCount"`
		Counts     struct {
			New, Grouped, Suppressed, Dismissed, Promoted, Repeats int
		} `json:"counts"`
		AlertSequence uint64 `json:"alertSequence"`
	} `json:"alerts"`
}

const alertsQuery = `query($f: AlertFilter, $min: Sequence) { alerts(filter: $f, minSequence: $min) { totalCount alertSequence
  counts { new grouped suppressed dismissed promoted repeats } nodes { ` + alertFields + ` } } }`

type bulkResult struct {
	Results []struct {
		AlertID string `json:"alertId"`
		Ok      bool   `json:"ok"`
		Error   *struct {
			Code string `json:"code"`
		} `json:"error"`
		Alert *alertNode `json:"alert"`
	} `json:"results"`
	Incident *struct {
		ID       string   `json:"id"`
		Source   string   `json:"source"`
		AlertIDs []string `json:"alertIds"`
	} `json:"incident"`
	Sequence      uint64 `json:"sequence"`
	AlertSequence uint64 `json:"alertSequence"`
}

const bulkFields = `results { alertId ok error { code } alert { ` + alertFields + ` } } incident { id source alertIds } sequence alertSequence`

func TestAlertsQueryAndVisibility(t *testing.T) {
	e := MustEnv(t, withMemoryStorage)
	soc := e.MustToken(t, "soc-dic", "wazuh", domain.RoleIngest)
	dic := e.MustToken(t, "dic", "binh", domain.RoleCoordinator)
	police := e.MustToken(t, "police", "tuan", domain.RoleCoordinator)
	socCoord := e.MustToken(t, "soc-dic", "lan", domain.RoleCoordinator)
	a := socAlert("q-1", "mail.example.gov.vn", domain.TLPAmber)
	again := socAlert("q-1", "mail.example.gov.vn", domain.TLPAmber)
	again["observedAt"] = time.Now().UTC().Format(time.RFC3339Nano)
	res := e.ingestAlerts(t, soc, a, again, socAlert("q-2", "www.example.gov.vn", domain.TLPAmberStrict))

	t.Run("recipient coordinator sees AMBER alerts with their counts", func(t *testing.T) {
		is := is.New(t)
		var p alertsPage
		e.MustPost(t, dic, alertsQuery, map[string]any{"min": res.Sequence}, &p)
		is.Equal(p.Alerts.TotalCount, 1)                       // the AMBER+STRICT one is the SOC's only
		is.Equal(p.Alerts.Nodes[0].ID, res.Results[0].AlertID) // the alert
		is.Equal(p.Alerts.Nodes[0].Count, 2)                   // with its repeat
		is.Equal(p.Alerts.Nodes[0].Status, "NEW")              // new
		is.Equal(p.Alerts.Counts.New, 1)                       // triage counts
		is.Equal(p.Alerts.Counts.Repeats, 1)                   // one repeat
	})
	t.Run("SOC coordinator sees both; another force sees none", func(t *testing.T) {
		is := is.New(t)
		var p alertsPage
		e.MustPost(t, socCoord, alertsQuery, map[string]any{"min": res.Sequence}, &p)
		is.Equal(p.Alerts.TotalCount, 2) // the SOC's own
		e.MustPost(t, police, alertsQuery, map[string]any{"min": res.Sequence}, &p)
		is.Equal(p.Alerts.TotalCount, 0) // not a recipient
		r := e.Post(t, police, `query($id: ID!) { alert(id: $id) { id } }`, map[string]any{"id": res.Results[0].AlertID})
		is.Equal(r.Code(), domain.ENOTFOUND) // looks like nothing
		r = e.Post(t, soc, alertsQuery, nil)
		is.Equal(r.Code(), "") // an ingest token reads nothing…
		var empty alertsPage
		r.Into(t, &empty)
		is.Equal(empty.Alerts.TotalCount, 0) // …not even counts
	})
}

func TestSuppressionMutations(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	soc := e.MustToken(t, "soc-dic", "wazuh", domain.RoleIngest)
	dic := e.MustToken(t, "dic", "binh", domain.RoleCoordinator)
	resp := e.MustToken(t, "dic", "chi", domain.RoleResponder)
	const set = `mutation($in: SetSuppressionInput!) { setSuppression(input: $in) { alertSequence suppression { id source asset reason active suppressed setBy { user org } } } }`
	in := map[string]any{"source": "soc-dic", "asset": "scanner.example.gov.vn", "until": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "reason": "máy quét lỗ hổng của đơn vị"}
	r := e.Post(t, resp, set, map[string]any{"in": in})
	is.Equal(r.Code(), domain.EFORBIDDEN) // responders do not suppress
	var s struct {
		SetSuppression struct {
			AlertSequence uint64 `json:"alertSequence"`
			Suppression   struct {
				ID         string `json:"id"`
				Active     bool   `json:"active"`
				Suppressed int    `json:"suppressed"`
				SetBy      struct{ User, Org string }
			} `json:"suppression"`
		} `json:"setSuppression"`
	}
	e.MustPost(t, dic, set, map[string]any{"in": in}, &s)
	rule := s.SetSuppression.Suppression
	is.True(rule.Active)              // active
	is.Equal(rule.SetBy.User, "binh") // who set it
	res := e.ingestAlerts(t, soc, socAlert("s-1", "scanner.example.gov.vn", domain.TLPAmber), socAlert("s-2", "scanner.example.gov.vn", domain.TLPAmber))
	is.Equal(res.Results[0].Status, domain.IngestSuppressed) // suppressed
	is.Equal(res.Results[1].SuppressedBy, rule.ID)           // by the rule
	var list struct {
		Suppressions []struct {
			ID         string `json:"id"`
			Suppressed int    `json:"suppressed"`
		} `json:"suppressions"`
	}
	e.MustPost(t, dic, `query($min: Sequence) { suppressions(minSequence: $min) { id suppressed } }`, map[string]any{"min": res.Sequence}, &list)
	is.Equal(len(list.Suppressions), 1)          // the rule
	is.Equal(list.Suppressions[0].Suppressed, 2) // counted
	var p alertsPage
	e.MustPost(t, dic, alertsQuery, map[string]any{"min": res.Sequence}, &p)
	is.Equal(p.Alerts.TotalCount, 0)        // no alert raised
	is.Equal(p.Alerts.Counts.Suppressed, 2) // but counted
	e.MustPost(t, dic, `mutation($in: RemoveSuppressionInput!) { removeSuppression(input: $in) { suppression { active } } }`,
		map[string]any{"in": map[string]any{"id": rule.ID, "reason": "đã xong đợt quét"}}, nil)
	res = e.ingestAlerts(t, soc, socAlert("s-3", "scanner.example.gov.vn", domain.TLPAmber))
	is.Equal(res.Results[0].Status, domain.IngestAccepted) // no longer suppressed
}

func TestAlertTriageMutations(t *testing.T) {
	e := MustEnv(t, withMemoryStorage)
	soc := e.MustToken(t, "soc-dic", "wazuh", domain.RoleIngest)
	dic := e.MustToken(t, "dic", "binh", domain.RoleCoordinator)
	police := e.MustToken(t, "police", "tuan", domain.RoleCoordinator)
	res := e.ingestAlerts(t, soc, socAlert("t-1", "a1.example.gov.vn", domain.TLPAmber), socAlert("t-2", "a2.example.gov.vn", domain.TLPAmber),
		socAlert("t-3", "a3.example.gov.vn", domain.TLPAmber), socAlert("t-4", "a4.example.gov.vn", domain.TLPAmber))
	ids := make([]string, len(res.Results))
	for i, r := range res.Results {
		ids[i] = r.AlertID
	}

	t.Run("bulk dismiss reports each alert's outcome", func(t *testing.T) {
		is := is.New(t)
		var out struct{ DismissAlerts bulkResult }
		e.MustPost(t, dic, `mutation($in: DismissAlertsInput!) { dismissAlerts(input: $in) { `+bulkFields+` } }`,
			map[string]any{"in": map[string]any{"alertIds": []string{ids[3], "0123456789abcdef0123456789abcdef-1", ids[3]}, "reason": "quét định kỳ"}}, &out)
		is.Equal(len(out.DismissAlerts.Results), 2)                         // duplicates folded
		is.True(out.DismissAlerts.Results[0].Ok)                            // dismissed
		is.Equal(out.DismissAlerts.Results[0].Alert.Status, "DISMISSED")    // as it now is
		is.Equal(out.DismissAlerts.Results[1].Error.Code, domain.ENOTFOUND) // unknown alert
		e.MustPost(t, dic, `mutation($in: DismissAlertsInput!) { dismissAlerts(input: $in) { `+bulkFields+` } }`,
			map[string]any{"in": map[string]any{"alertIds": []string{ids[3]}, "reason": "again"}}, &out)
		is.Equal(out.DismissAlerts.Results[0].Error.Code, domain.ECONFLICT) // already dismissed
		e.MustPost(t, police, `mutation($in: DismissAlertsInput!) { dismissAlerts(input: $in) { `+bulkFields+` } }`,
			map[string]any{"in": map[string]any{"alertIds": []string{ids[2]}, "reason": "x"}}, &out)
		is.Equal(out.DismissAlerts.Results[0].Error.Code, domain.ENOTFOUND) // not visible to police
	})

	var incident string
	t.Run("promote alerts to a new incident", func(t *testing.T) {
		is := is.New(t)
		in := openInput("Tấn công có chủ đích vào máy chủ thư", domain.TLPAmber)
		in["alertIds"] = []string{ids[0], ids[3]} // ids[3] was dismissed
		var out struct{ PromoteAlerts bulkResult }
		e.MustPost(t, dic, `mutation($in: OpenIncidentInput!) { promoteAlerts(input: $in) { `+bulkFields+` } }`, map[string]any{"in": in}, &out)
		p := out.PromoteAlerts
		is.True(p.Results[0].Ok)                                // promoted
		is.Equal(p.Results[1].Error.Code, domain.ECONFLICT)     // dismissed one refused
		is.True(p.Incident != nil)                              // incident opened
		is.Equal(p.Incident.Source, "ALERTS")                   // from alerts
		is.Equal(p.Incident.AlertIDs, []string{ids[0]})         // only the promoted alert
		is.Equal(*p.Results[0].Alert.IncidentID, p.Incident.ID) // alert points to it
		is.Equal(p.Results[0].Alert.Status, "PROMOTED")         // promoted
		incident = p.Incident.ID
	})

	t.Run("merge into an existing incident, then detach (undo)", func(t *testing.T) {
		is := is.New(t)
		var out struct{ MergeAlerts bulkResult }
		e.MustPost(t, dic, `mutation($in: MergeAlertsInput!) { mergeAlerts(input: $in) { `+bulkFields+` } }`,
			map[string]any{"in": map[string]any{"incidentId": incident, "alertIds": []string{ids[1], ids[2]}}}, &out)
		is.True(out.MergeAlerts.Results[0].Ok && out.MergeAlerts.Results[1].Ok)       // both merged
		is.Equal(out.MergeAlerts.Incident.AlertIDs, []string{ids[0], ids[1], ids[2]}) // on the incident
		var det struct{ DetachAlert bulkResult }
		e.MustPost(t, dic, `mutation($in: DetachAlertInput!) { detachAlert(input: $in) { `+bulkFields+` } }`,
			map[string]any{"in": map[string]any{"incidentId": incident, "alertId": ids[2], "reason": "tài sản khác, gộp nhầm"}}, &det)
		is.True(det.DetachAlert.Results[0].Ok)                                // detached
		is.Equal(det.DetachAlert.Results[0].Alert.Status, "NEW")              // new again
		is.Equal(det.DetachAlert.Incident.AlertIDs, []string{ids[0], ids[1]}) // off the incident
		var tl struct {
			Timeline []struct{ Type, TextEn string } `json:"timeline"`
		}
		e.MustPost(t, dic, `query($id: ID!) { timeline(incidentId: $id) { type textEn } }`, map[string]any{"id": incident}, &tl)
		var types []string
		for _, x := range tl.Timeline {
			types = append(types, x.Type)
		}
		is.Equal(types, []string{"IncidentOpened", "IncidentAlertsMerged", "IncidentAlertDetached"}) // all on the timeline
		is.True(strings.Contains(tl.Timeline[2].TextEn, "gộp nhầm"))                                 // with the reason
		r := e.Post(t, police, `mutation($in: DetachAlertInput!) { detachAlert(input: $in) { sequence } }`,
			map[string]any{"in": map[string]any{"incidentId": incident, "alertId": ids[1], "reason": "x"}})
		is.Equal(r.Code(), domain.ENOTFOUND) // police cannot see the incident
	})

	t.Run("a new alert on the merged asset is proposed for the incident", func(t *testing.T) {
		is := is.New(t)
		res := e.ingestAlerts(t, soc, socAlert("t-5", "a2.example.gov.vn", domain.TLPAmber))
		var p alertsPage
		e.MustPost(t, dic, alertsQuery, map[string]any{"min": res.Sequence, "f": map[string]any{"grouped": true}}, &p)
		is.Equal(p.Alerts.TotalCount, 1)                                  // grouped
		is.Equal(p.Alerts.Nodes[0].ProposedIncidents, []string{incident}) // proposal
	})
}

func TestAlertTriageSubscription(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	soc := e.MustToken(t, "soc-dic", "wazuh", domain.RoleIngest)
	dic := e.MustToken(t, "dic", "binh", domain.RoleCoordinator)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := e.MustDial(t, dic)
	is.NoErr(ws.Subscribe(ctx, "1", `subscription { alertTriage { alertSequence types alert { id count } counts { new repeats } } }`, nil)) // subscribe
	eventually(t, "subscription registered", 5*time.Second, func() bool { return e.alerts.TriageSubscribers() == 1 })
	strict := socAlert("w-0", "x.example.gov.vn", domain.TLPAmberStrict) // invisible to the DIC: never delivered
	a := socAlert("w-1", "y.example.gov.vn", domain.TLPAmber)
	again := socAlert("w-1", "y.example.gov.vn", domain.TLPAmber)
	again["observedAt"] = time.Now().UTC().Format(time.RFC3339Nano)
	res := e.ingestAlerts(t, soc, strict, a)
	e.ingestAlerts(t, soc, again)
	var got []string
	for range 2 {
		m, err := ws.Next(ctx)
		is.NoErr(err)            // message
		is.Equal(m.Type, "next") // a change
		var p struct {
			Data struct {
				AlertTriage struct {
					Types []string
					Alert struct {
						ID    string
						Count int
					}
					Counts struct{ New, Repeats int }
				} `json:"alertTriage"`
			} `json:"data"`
		}
		is.NoErr(json.Unmarshal(m.Payload, &p)) // payload
		c := p.Data.AlertTriage
		is.Equal(c.Alert.ID, res.Results[1].AlertID) // only the visible alert
		got = append(got, fmt.Sprint(c.Types))
	}
	is.Equal(got, []string{"[AlertReceived]", "[AlertRepeated]"}) // received, then repeated
	is.NoErr(ws.Complete(ctx, "1"))                               // unsubscribe
	eventually(t, "subscription closed", 5*time.Second, func() bool { return e.alerts.TriageSubscribers() == 0 })
}
