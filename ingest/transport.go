package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Path is where the HTTP ingest endpoint is served.
const Path = "/api/v1/alerts"

// SubjectPrefix is the prefix of the NATS ingest subjects: a SOC publishes the alerts of source
// S as a request to SubjectPrefix + "." + S.
const SubjectPrefix = "dieuphoi.ingest"

// QueueGroup is the queue group every replica subscribes in, so that each message is handled
// by one replica.
const QueueGroup = "dieuphoi-ingest"

// maxInflightMessages bounds the NATS messages one replica handles at once.
const maxInflightMessages = 256

// ServeHTTP serves POST /api/v1/alerts.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeJSON(w, http.StatusMethodNotAllowed, Response{Error: &Error{domain.EINVALID, "use POST to send alerts"}})
		return
	}
	actor, err := s.auth(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="dieuphoi"`)
		writeJSON(w, http.StatusUnauthorized, Response{Error: &Error{domain.ErrorCode(err), domain.ErrorMessage(err)}})
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	ndjson := false
	switch mt {
	case "application/json":
	case "application/x-ndjson", "application/ndjson", "application/jsonl":
		ndjson = true
	default:
		writeJSON(w, http.StatusUnsupportedMediaType, Response{Error: &Error{domain.EINVALID, "send Content-Type: application/json (an array of alerts) or application/x-ndjson (one alert a line)"}})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeJSON(w, http.StatusRequestEntityTooLarge, Response{Error: &Error{domain.ETOOLARGE, "the request body is larger than 8 MiB; send smaller batches"}})
			return
		}
		writeJSON(w, http.StatusBadRequest, Response{Error: &Error{domain.EINVALID, "the request body could not be read"}})
		return
	}
	items, err := split(body, ndjson)
	if err != nil {
		status := http.StatusBadRequest
		if domain.ErrorCode(err) == domain.ETOOLARGE {
			status = http.StatusRequestEntityTooLarge
		}
		writeJSON(w, status, Response{Error: &Error{domain.ErrorCode(err), domain.ErrorMessage(err)}})
		return
	}
	if err := checkRole(actor); err != nil {
		writeJSON(w, http.StatusForbidden, s.forbidden(items, err))
		return
	}
	writeJSON(w, http.StatusOK, s.ingest(r.Context(), actor, items, ""))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if r, ok := v.(Response); ok && r.Results == nil {
		r.Results = []Result{}
		v = r
	}
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// Run subscribes to dieuphoi.ingest.* in the queue group and handles requests until ctx ends;
// then it stops taking messages and waits for those under way. Each message is a request with
// the header "Authorization: Bearer <ingest token>" and a body as for HTTP (a JSON array, one
// JSON object, or NDJSON when the header Content-Type says application/x-ndjson or the body is
// not an array); the reply is the same JSON Response. Alerts may leave out source: the
// subject's is used.
func (s *Service) Run(ctx context.Context, nc *nats.Conn) error {
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxInflightMessages)
	work := context.WithoutCancel(ctx) // messages under way at shutdown are finished, not failed
	ch := make(chan *nats.Msg, 4*maxInflightMessages)
	sub, err := nc.ChanQueueSubscribe(SubjectPrefix+".*", QueueGroup, ch)
	if err != nil {
		return err
	}
	handle := func(m *nats.Msg) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.handleMsg(work, m)
		}()
	}
	for {
		select {
		case m := <-ch:
			handle(m)
		case <-ctx.Done():
			err := sub.Unsubscribe()
			for { // what was delivered before the unsubscription is still answered
				select {
				case m := <-ch:
					handle(m)
					continue
				default:
				}
				break
			}
			wg.Wait()
			return err
		}
	}
}

func (s *Service) handleMsg(ctx context.Context, m *nats.Msg) {
	source := strings.TrimPrefix(m.Subject, SubjectPrefix+".")
	reply := func(r Response) {
		if m.Reply == "" {
			return
		}
		if r.Results == nil {
			r.Results = []Result{}
		}
		b, _ := json.Marshal(r)
		if err := m.Respond(b); err != nil {
			s.log.Warn("ingest: reply failed", "subject", m.Subject, "err", err)
		}
	}
	actor, err := s.auth(ctx, m.Header.Get("Authorization"))
	if err != nil {
		reply(Response{Error: &Error{domain.ErrorCode(err), domain.ErrorMessage(err)}})
		return
	}
	mt, _, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	body := m.Data
	trimmed := strings.TrimSpace(string(body[:min(len(body), 64)]))
	ndjson := mt == "application/x-ndjson" || mt == "application/ndjson" ||
		(mt == "" && !strings.HasPrefix(trimmed, "[") && strings.Count(strings.TrimSpace(string(body)), "\n") > 0)
	items, err := split(body, ndjson)
	if err != nil {
		reply(Response{Error: &Error{domain.ErrorCode(err), domain.ErrorMessage(err)}})
		return
	}
	if err := checkRole(actor); err != nil {
		reply(s.forbidden(items, err))
		return
	}
	reply(s.ingest(ctx, actor, items, source))
}
