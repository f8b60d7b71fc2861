package graph_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
)

const registerWebhookMutation = `mutation($in: RegisterWebhookInput!) { registerWebhook(input: $in) { webhook { id url org description disabled fromSequence } sequence } }`

type registered struct {
	RegisterWebhook struct {
		Webhook struct {
			ID           string `json:"id"`
			URL          string `json:"url"`
			Org          string `json:"org"`
			Description  string `json:"description"`
			Disabled     bool   `json:"disabled"`
			FromSequence uint64 `json:"fromSequence"`
		} `json:"webhook"`
		Sequence uint64 `json:"sequence"`
	} `json:"registerWebhook"`
}

// TestRegisterWebhook: coordinators register https:// (or loopback http://) addresses for their
// organisation; bad addresses are INVALID, other roles FORBIDDEN; each organisation lists only
// its own webhooks.
func TestRegisterWebhook(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	coord := e.MustToken(t, "vncert", "giang", domain.RoleCoordinator)
	responder := e.MustToken(t, "vncert", "hoa", domain.RoleResponder)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)

	for _, c := range []struct {
		name, token, url, code string
	}{
		{"ftp", coord, "ftp://cert.example.vn/in", "INVALID"},
		{"http to another host", coord, "http://cert.example.vn/in", "INVALID"},
		{"not a URL", coord, "cert.example.vn", "INVALID"},
		{"too long", coord, "https://cert.example.vn/" + strings.Repeat("x", 2048), "INVALID"},
		{"credentials", coord, "https://u:p@cert.example.vn/in", "INVALID"},
		{"responder", responder, "https://cert.example.vn/in", "FORBIDDEN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			r := e.Post(t, c.token, registerWebhookMutation, map[string]any{"in": map[string]any{"url": c.url}})
			is.Equal(r.Code(), c.code) // refused with the code
		})
	}

	var reg registered
	e.MustPost(t, coord, registerWebhookMutation, map[string]any{"in": map[string]any{"url": "https://cert.example.vn/in", "description": "SOC"}}, &reg)
	w := reg.RegisterWebhook.Webhook
	is.True(w.ID != "")                                    // an id
	is.Equal(w.URL, "https://cert.example.vn/in")          // the address
	is.Equal(w.Org, "vncert")                              // of the caller's organisation
	is.True(!w.Disabled)                                   // enabled
	is.True(w.FromSequence < reg.RegisterWebhook.Sequence) // deliveries start with the changes after registering

	var list struct {
		Webhooks []struct {
			ID string `json:"id"`
		} `json:"webhooks"`
	}
	e.MustPost(t, coord, `{ webhooks { id } }`, nil, &list)
	is.Equal(len(list.Webhooks), 1)     // the organisation's webhook
	is.Equal(list.Webhooks[0].ID, w.ID) // this one
	e.MustPost(t, police, `{ webhooks { id } }`, nil, &list)
	is.Equal(len(list.Webhooks), 0)                                                // another organisation sees none
	is.Equal(e.Post(t, responder, `{ webhooks { id } }`, nil).Code(), "FORBIDDEN") // nor a responder
	r := e.Post(t, police, `mutation($in: DisableWebhookInput!) { disableWebhook(input: $in) { sequence } }`,
		map[string]any{"in": map[string]any{"webhookId": w.ID}})
	is.Equal(r.Code(), "NOT_FOUND") // another organisation cannot disable it
}

// TestWebhookDeadLettersQuery: a change that fails every allowed attempt is listed by
// webhookDeadLetters; disabling stops the webhook.
func TestWebhookDeadLettersQuery(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t, withMemoryStorage)
	coord := e.MustToken(t, "vncert", "giang", domain.RoleCoordinator)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	var mu sync.Mutex
	attempts := map[string]int{}
	ep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		attempts[r.Header.Get("Dieuphoi-Delivery")]++
		mu.Unlock()
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
	}))
	defer ep.Close()
	var reg registered
	e.MustPost(t, coord, registerWebhookMutation, map[string]any{"in": map[string]any{"url": ep.URL + "/dieuphoi"}}, &reg)
	hook := reg.RegisterWebhook.Webhook.ID

	hooks := app.NewWebhooks(e.app, e.store, e.proj, e.tokenKey, nil, nil)
	hooks.MaxDeliver, hooks.Backoff, hooks.FetchWait = 2, []time.Duration{5 * time.Millisecond}, 100*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- hooks.Run(ctx) }()
	defer func() { cancel(); is.NoErr(<-done) }()

	_, seq := e.MustOpen(t, police, "Lừa đảo trực tuyến", domain.TLPGreen)
	const q = `query($id: ID!) { webhookDeadLetters(webhookId: $id) { sequence attempts status error at } }`
	var dl struct {
		WebhookDeadLetters []struct {
			Sequence uint64 `json:"sequence"`
			Attempts int    `json:"attempts"`
			Status   int    `json:"status"`
			Error    string `json:"error"`
			At       string `json:"at"`
		} `json:"webhookDeadLetters"`
	}
	eventually(t, "the dead letter", 20*time.Second, func() bool {
		e.MustPost(t, coord, q, map[string]any{"id": hook}, &dl)
		return len(dl.WebhookDeadLetters) > 0
	})
	is.Equal(len(dl.WebhookDeadLetters), 1)                                    // one dead letter
	is.Equal(dl.WebhookDeadLetters[0].Sequence, seq)                           // the change
	is.Equal(dl.WebhookDeadLetters[0].Attempts, 2)                             // after MaxDeliver attempts
	is.Equal(dl.WebhookDeadLetters[0].Status, 500)                             // the endpoint's answer
	is.Equal(dl.WebhookDeadLetters[0].Error, "HTTP 500 Internal Server Error") // why
	is.True(dl.WebhookDeadLetters[0].At != "")                                 // when
	mu.Lock()
	is.Equal(attempts[itoa(seq)], 2) // tried twice, no more
	mu.Unlock()
	is.Equal(e.Post(t, police, q, map[string]any{"id": hook}).Code(), "NOT_FOUND") // not another organisation's business

	var off struct {
		DisableWebhook struct {
			Webhook struct {
				Disabled       bool   `json:"disabled"`
				DisabledReason string `json:"disabledReason"`
			} `json:"webhook"`
		} `json:"disableWebhook"`
	}
	e.MustPost(t, coord, `mutation($in: DisableWebhookInput!) { disableWebhook(input: $in) { webhook { disabled disabledReason } sequence } }`,
		map[string]any{"in": map[string]any{"webhookId": hook, "reason": "endpoint retired"}}, &off)
	is.True(off.DisableWebhook.Webhook.Disabled)                            // disabled
	is.Equal(off.DisableWebhook.Webhook.DisabledReason, "endpoint retired") // why
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
