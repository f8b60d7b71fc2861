// Package evidence serves evidence files over HTTP, authenticated with the bearer token:
//
//	POST /api/v1/incidents/{incidentId}/evidence   upload one file (the body), metadata in the query
//	GET  /api/v1/evidence/{evidenceId}              download one file; the download is recorded first
//
// Metadata, custody and downloads are read and changed over GraphQL (Evidence, incident.evidence,
// transferEvidenceCustody); the bytes travel here, so that GraphQL requests stay small.
package evidence

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
)

// Paths of the evidence endpoints (patterns of net/http's ServeMux).
const (
	UploadPattern   = "POST /api/v1/incidents/{incidentId}/evidence"
	DownloadPattern = "GET /api/v1/evidence/{evidenceId}"
)

// Handler serves uploads and downloads.
type Handler struct {
	svc  *app.Evidence
	auth func(ctx context.Context, header string) (domain.Actor, error)
	log  *slog.Logger
}

// New returns the handler; auth checks an "Authorization: Bearer <token>" value
// (graph.Server.Authenticate).
func New(svc *app.Evidence, auth func(ctx context.Context, header string) (domain.Actor, error), log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{svc: svc, auth: auth, log: log}
}

// Register adds the endpoints to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc(UploadPattern, h.upload)
	mux.HandleFunc(DownloadPattern, h.download)
}

// Metadata is what an upload answers: the evidence as recorded, and the sequence to read it with.
type Metadata struct {
	ID           string       `json:"id"`
	IncidentID   string       `json:"incidentId"`
	Name         string       `json:"name"`
	MediaType    string       `json:"mediaType"`
	SHA256       string       `json:"sha256"`
	Size         int64        `json:"size"`
	TLP          domain.TLP   `json:"tlp"`
	SourceSystem string       `json:"sourceSystem"`
	Description  string       `json:"description,omitempty"`
	CollectedBy  domain.Actor `json:"collectedBy"`
	CollectedAt  time.Time    `json:"collectedAt"`
	Custodian    string       `json:"custodian"`
	DownloadPath string       `json:"downloadPath"`
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (h *Handler) fail(w http.ResponseWriter, err error) {
	code := domain.ErrorCode(err)
	status := map[string]int{domain.EINVALID: 400, domain.EUNAUTHENTICATED: 401, domain.EFORBIDDEN: 403, domain.ENOTFOUND: 404,
		domain.ECONFLICT: 409, domain.ETOOLARGE: 413, app.ELAGGING: 409}[code]
	if status == 0 {
		status = http.StatusInternalServerError
		h.log.Error("evidence: request failed", "err", err)
	}
	var b errorBody
	b.Error.Code, b.Error.Message = code, domain.ErrorMessage(err)
	if status == 401 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="dieuphoi"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(b)
}

func (h *Handler) actor(r *http.Request) (domain.Actor, error) {
	if r.Header.Get("Authorization") == "" {
		return domain.Actor{}, domain.Errorf(domain.EUNAUTHENTICATED, "send Authorization: Bearer <token>")
	}
	return h.auth(r.Context(), r.Header.Get("Authorization"))
}

// contentDigest reads an RFC 9530 Content-Digest header's sha-256 value as hex; "" when absent.
func contentDigest(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	for _, part := range strings.Split(v, ",") {
		alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(alg, "sha-256") {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.Trim(val, ":"))
		if err != nil || len(b) != 32 {
			return "", domain.Errorf(domain.EINVALID, "Content-Digest sha-256 must be :base64 of 32 bytes:")
		}
		return hex.EncodeToString(b), nil
	}
	return "", domain.Errorf(domain.EINVALID, "Content-Digest names no sha-256 value; send sha-256=:<base64>:")
}

// upload stores the body as one evidence file of the incident. Query: name and system
// (required), tlp, collectedAt (RFC 3339), description, commandId; Content-Type is the file's
// media type; an optional Content-Digest (sha-256) is checked against what arrived.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request) {
	a, err := h.actor(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	if r.ContentLength > domain.MaxEvidenceBytes {
		h.fail(w, domain.Errorf(domain.ETOOLARGE, "the file is %d bytes; one evidence file may have at most %d", r.ContentLength, domain.MaxEvidenceBytes))
		return
	}
	q := r.URL.Query()
	u := app.Upload{Actor: a, IncidentID: r.PathValue("incidentId"), CommandID: q.Get("commandId"), Name: q.Get("name"),
		TLP: domain.TLP(strings.ToUpper(q.Get("tlp"))), SourceSystem: q.Get("system"), Description: q.Get("description"),
		Body: http.MaxBytesReader(w, r.Body, domain.MaxEvidenceBytes+1), Size: r.ContentLength}
	if u.CommandID == "" {
		u.CommandID = r.Header.Get("Idempotency-Key")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			h.fail(w, domain.Errorf(domain.EINVALID, "Content-Type %q is not a media type; send the file's, such as text/plain or application/octet-stream", ct))
			return
		}
		u.MediaType = mt
	}
	if v := q.Get("collectedAt"); v != "" {
		if u.CollectedAt, err = time.Parse(time.RFC3339, v); err != nil {
			h.fail(w, domain.Errorf(domain.EINVALID, "collectedAt %q must be RFC 3339, such as 2026-11-21T14:30:00+07:00", v))
			return
		}
	}
	if u.SHA256, err = contentDigest(r.Header.Get("Content-Digest")); err != nil {
		h.fail(w, err)
		return
	}
	ev, res, err := h.svc.Upload(r.Context(), u)
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Location", "/api/v1/evidence/"+url.PathEscape(ev.ID))
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(struct {
		Evidence Metadata `json:"evidence"`
		Sequence uint64   `json:"sequence"`
	}{metadata(ev, u.IncidentID), res.Sequence})
}

func metadata(ev domain.Evidence, incident string) Metadata {
	return Metadata{ID: ev.ID, IncidentID: incident, Name: ev.Name, MediaType: ev.MediaType, SHA256: ev.SHA256, Size: ev.Size, TLP: ev.TLP,
		SourceSystem: ev.SourceSystem, Description: ev.Description, CollectedBy: ev.CollectedBy, CollectedAt: ev.CollectedAt,
		Custodian: ev.Custodian, DownloadPath: "/api/v1/evidence/" + url.PathEscape(ev.ID)}
}

// download sends a file the caller may read, as an attachment that no browser renders in the
// service's origin. The query's commandId (or Idempotency-Key) makes a retried download record once.
func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	a, err := h.actor(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	cid := r.URL.Query().Get("commandId")
	if cid == "" {
		cid = r.Header.Get("Idempotency-Key")
	}
	ev, data, res, err := h.svc.Download(r.Context(), a, r.PathValue("evidenceId"), cid)
	if err != nil {
		h.fail(w, err)
		return
	}
	sum, _ := hex.DecodeString(ev.SHA256)
	hd := w.Header()
	hd.Set("Content-Type", ev.MediaType)
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": ev.Name}))
	hd.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	hd.Set("Dieuphoi-Evidence-Tlp", string(ev.TLP))
	hd.Set("Dieuphoi-Sequence", fmt.Sprint(res.Sequence))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Cache-Control", "no-store")
	_, _ = w.Write(data)
}
