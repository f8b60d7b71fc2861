package app

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/projections"
)

// webhookDelivery is the JSON body of a delivery.
type webhookDelivery struct {
	Sequence   uint64                    `json:"sequence"`
	IncidentID string                    `json:"incidentId"`
	Types      []string                  `json:"types"`
	Drill      bool                      `json:"drill"`
	Reason     projections.PartnerReason `json:"reason"`
	Incident   webhookIncident           `json:"incident"`
	// Checkpoint is the latest signed checkpoint of the event log when the delivery was made:
	// keep it as a witness of what was received (see the README on transparency).
	Checkpoint *webhookCheckpoint `json:"checkpoint,omitempty"`
}

type webhookCheckpoint struct {
	Origin   string `json:"origin"`
	Size     int64  `json:"size"`
	RootHash string `json:"rootHash"`
	Text     string `json:"text"`
}

// webhookIncident is an incident's summary (the board's row) in a delivery.
type webhookIncident struct {
	ID              string                `json:"id"`
	Title           string                `json:"title"`
	Status          domain.IncidentStatus `json:"status"`
	Phase           domain.Phase          `json:"phase"`
	Severity        domain.Severity       `json:"severity"`
	Tier            domain.Tier           `json:"tier"`
	Type            string                `json:"type"`
	Sector          string                `json:"sector,omitempty"`
	TLP             domain.TLP            `json:"tlp"`
	Drill           bool                  `json:"drill"`
	Origin          string                `json:"origin"`
	Lead            string                `json:"lead"`
	Owner           string                `json:"owner"`
	OpenEscalations int                   `json:"openEscalations"`
	OpenHandoffs    int                   `json:"openHandoffs"`
	NextDeadline    *webhookDeadline      `json:"nextDeadline,omitempty"`
	OpenedAt        time.Time             `json:"openedAt"`
	UpdatedAt       time.Time             `json:"updatedAt"`
	Sequence        uint64                `json:"sequence"` // the incident's last change, perhaps after the delivered one
}

type webhookDeadline struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	OwedBy  string    `json:"owedBy"`
	RefID   string    `json:"refId"`
	Overdue bool      `json:"overdue"`
}

// webhookViewer is who a webhook reads as: a partner of its organisation that no TLP:RED list
// can name (":" is not allowed in logins), so RED incidents are never delivered.
func webhookViewer(h projections.WebhookInfo) domain.Actor {
	return domain.Actor{Org: h.Org, User: "webhook:" + h.ID, Role: domain.RolePartner}
}

// payload returns the body of a delivery, or ok=false when the organisation may not see the
// incident now, or nothing of the change (a note labelled stricter than it may read).
func (w *Webhooks) payload(h projections.WebhookInfo, seq uint64, c *eventstore.Commit, cp *eventstore.Checkpoint) ([]byte, bool) {
	if c.AggregateType != "incident" {
		return nil, false
	}
	s, why, types, ok := w.proj.Incidents.PartnerChange(webhookViewer(h), c.AggregateID, seq, w.Now())
	if !ok {
		return nil, false
	}
	inc := webhookIncident{ID: s.ID, Title: s.Title, Status: s.Status, Phase: s.Phase, Severity: s.Severity, Tier: s.Tier,
		Type: s.Type, Sector: s.Sector, TLP: s.TLP, Drill: s.Drill, Origin: s.Origin, Lead: s.Lead, Owner: s.Owner,
		OpenEscalations: s.OpenEscalations, OpenHandoffs: s.OpenHandoffs, OpenedAt: s.OpenedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
		Sequence: s.Sequence}
	if d := s.NextDeadline; d != nil {
		inc.NextDeadline = &webhookDeadline{At: d.At.UTC(), Kind: d.Kind, OwedBy: d.OwedBy, RefID: d.RefID, Overdue: d.Overdue}
	}
	d := webhookDelivery{Sequence: seq, IncidentID: c.AggregateID, Types: types, Drill: s.Drill, Reason: why, Incident: inc}
	if cp != nil {
		d.Checkpoint = &webhookCheckpoint{Origin: cp.Origin, Size: cp.Size, RootHash: cp.Root.String(), Text: cp.Text}
	}
	body, err := json.Marshal(d)
	if err != nil {
		return nil, false
	}
	return body, true
}

// post makes one attempt. It is not bound to the worker's context: a delivery under way when
// the worker stops is finished (within the client's timeout) and acknowledged, not repeated.
func (w *Webhooks) post(h projections.WebhookInfo, seq uint64, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("the webhook's URL is not usable: %w", unwrapURLError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dieuphoi-webhook/1")
	req.Header.Set(HeaderWebhookID, h.ID)
	req.Header.Set(HeaderWebhookDelivery, strconv.FormatUint(seq, 10))
	req.Header.Set(HeaderWebhookSignature, SignWebhook(w.key, w.Now(), body))
	res, err := w.client.Do(req)
	if err != nil {
		return 0, unwrapURLError(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // lets the connection be reused
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return res.StatusCode, nil
	}
	return res.StatusCode, fmt.Errorf("HTTP %s", res.Status)
}

// unwrapURLError drops the URL from a client error (it may carry a secret in its query).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return errors.New("no answer within the timeout")
		}
		return ue.Err
	}
	return err
}

// SignWebhook returns the Dieuphoi-Signature header of a delivery made at t:
// "t=<unix seconds>,ed25519=<base64 of the Ed25519 signature of
// "dieuphoi-webhook-v1\n" + t + "\n" + body>".
func SignWebhook(key ed25519.PrivateKey, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	sig := ed25519.Sign(key, webhookSigned(ts, body))
	return "t=" + ts + ",ed25519=" + base64.StdEncoding.EncodeToString(sig)
}

func webhookSigned(ts string, body []byte) []byte {
	msg := make([]byte, 0, len(WebhookSignaturePrefix)+len(ts)+2+len(body))
	msg = append(msg, WebhookSignaturePrefix+"\n"+ts+"\n"...)
	return append(msg, body...)
}

// VerifyWebhook checks a delivery's Dieuphoi-Signature header against its exact body with the
// server's public key (GET /.well-known/dieuphoi/keys, "webhookKey") and returns the signing
// time. Partners should also refuse old times (say, more than 5 minutes) to stop replays, and
// deduplicate by the Dieuphoi-Delivery header.
func VerifyWebhook(pub ed25519.PublicKey, header string, body []byte) (time.Time, error) {
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "ed25519":
			sig = v
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, errors.New("the signature header has no t=<unix seconds>")
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return time.Time{}, errors.New("the signature header has no ed25519=<base64 signature>")
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, webhookSigned(ts, body), raw) {
		return time.Time{}, errors.New("the signature does not verify")
	}
	return time.Unix(unix, 0).UTC(), nil
}

// WebhookKeysHandler serves GET /.well-known/dieuphoi/keys: {"webhookKey": "<base64 of the
// Ed25519 public key that verifies webhook deliveries>"}.
func WebhookKeysHandler(pub ed25519.PublicKey) http.HandlerFunc {
	body, _ := json.Marshal(map[string]string{"webhookKey": base64.StdEncoding.EncodeToString(pub)})
	body = append(body, '\n')
	return func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		rw.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = rw.Write(body)
	}
}
