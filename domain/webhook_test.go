package domain

import (
	"strings"
	"testing"
	"time"
)

var (
	hookTestNow       = time.Date(2025, 6, 2, 4, 0, 0, 0, time.UTC)
	hookTestCfg       = DefaultConfig()
	hookTestCoord     = Actor{User: "giang", Org: "vncert", Role: RoleCoordinator}
	hookTestAdmin     = Actor{User: "root", Org: "vncert", Role: RoleAdmin}
	hookTestResponder = Actor{User: "hoa", Org: "vncert", Role: RoleResponder}
	hookTestPartner   = Actor{User: "khoa", Org: "vncert", Role: RolePartner}
	hookTestOther     = Actor{User: "an", Org: "police", Role: RoleCoordinator}
	hookRegistered    = WebhookRegistered{
		WebhookID:    "wh-1",
		Org:          "vncert",
		URL:          "https://cert.example.vn/hook",
		Description:  "SOC relay",
		FromSequence: 41,
		Stamp:        Stamp{By: hookTestCoord, At: hookTestNow},
	}
)

func hookInv(a Actor) Invocation { return Invocation{Actor: a, Now: hookTestNow, Config: hookTestCfg} }

func TestWebhookRegister(t *testing.T) {
	register := func(a Actor, url string) func(*Webhook) error {
		return func(w *Webhook) error {
			return w.Register(hookInv(a), RegisterWebhook{URL: url, Description: " SOC relay ", FromSequence: 41})
		}
	}
	local := func(url string) WebhookRegistered { e := hookRegistered; e.URL = url; return e }
	runCommandCases(t, func() *Webhook { return NewWebhook("wh-1") }, []commandCase[*Webhook]{
		{name: "coordinator registers https", when: register(hookTestCoord, " https://cert.example.vn/hook "), then: []Event{hookRegistered}},
		{name: "admin registers", when: register(hookTestAdmin, "https://cert.example.vn/hook"),
			then: []Event{func() Event { e := hookRegistered; e.By = hookTestAdmin; return e }()}},
		{name: "http to 127.0.0.1", when: register(hookTestCoord, "http://127.0.0.1:8099/h"), then: []Event{local("http://127.0.0.1:8099/h")}},
		{name: "http to localhost", when: register(hookTestCoord, "http://localhost/h"), then: []Event{local("http://localhost/h")}},
		{name: "http to ::1", when: register(hookTestCoord, "http://[::1]:9/h"), then: []Event{local("http://[::1]:9/h")}},
		{name: "responder may not", when: register(hookTestResponder, "https://cert.example.vn/hook"), code: EFORBIDDEN},
		{name: "partner may not", when: register(hookTestPartner, "https://cert.example.vn/hook"), code: EFORBIDDEN},
		{name: "system has no organisation", when: register(SystemActor, "https://cert.example.vn/hook"), code: EFORBIDDEN},
		{name: "unknown organisation", when: register(Actor{User: "x", Org: "nosuch", Role: RoleCoordinator}, "https://a.vn/"), code: EFORBIDDEN},
		{name: "http elsewhere", when: register(hookTestCoord, "http://cert.example.vn/hook"), code: EINVALID, msg: "https://"},
		{name: "http to another loopback-looking name", when: register(hookTestCoord, "http://127.0.0.1.example.vn/"), code: EINVALID},
		{name: "ftp", when: register(hookTestCoord, "ftp://cert.example.vn/"), code: EINVALID},
		{name: "relative", when: register(hookTestCoord, "/hook"), code: EINVALID},
		{name: "empty", when: register(hookTestCoord, "  "), code: EINVALID, msg: "required"},
		{name: "no host", when: register(hookTestCoord, "https:///x"), code: EINVALID},
		{name: "credentials", when: register(hookTestCoord, "https://u:p@cert.example.vn/"), code: EINVALID, msg: "password"},
		{name: "fragment", when: register(hookTestCoord, "https://cert.example.vn/#x"), code: EINVALID},
		{name: "too long", when: register(hookTestCoord, "https://cert.example.vn/"+strings.Repeat("a", MaxWebhookURL)), code: EINVALID, msg: "2048"},
		{name: "twice", given: []Event{hookRegistered}, when: register(hookTestCoord, "https://cert.example.vn/hook"), code: ECONFLICT},
	})
}

func TestWebhookDisable(t *testing.T) {
	disable := func(a Actor) func(*Webhook) error {
		return func(w *Webhook) error { return w.Disable(hookInv(a), DisableWebhook{Reason: "moved"}) }
	}
	disabled := func(a Actor) WebhookDisabled {
		return WebhookDisabled{WebhookID: "wh-1", Reason: "moved", Stamp: Stamp{By: a, At: hookTestNow}}
	}
	runCommandCases(t, func() *Webhook { return NewWebhook("wh-1") }, []commandCase[*Webhook]{
		{name: "coordinator", given: []Event{hookRegistered}, when: disable(hookTestCoord), then: []Event{disabled(hookTestCoord)}},
		{name: "admin", given: []Event{hookRegistered}, when: disable(hookTestAdmin), then: []Event{disabled(hookTestAdmin)}},
		{name: "system", given: []Event{hookRegistered}, when: disable(SystemActor), then: []Event{disabled(SystemActor)}},
		{name: "responder of the org", given: []Event{hookRegistered}, when: disable(hookTestResponder), code: EFORBIDDEN},
		{name: "another org does not see it", given: []Event{hookRegistered}, when: disable(hookTestOther), code: ENOTFOUND},
		{name: "not registered", when: disable(hookTestCoord), code: ENOTFOUND},
		{name: "twice", given: []Event{hookRegistered, disabled(hookTestCoord)}, when: disable(hookTestCoord), code: ECONFLICT},
	})
}

func TestWebhookRecordFailure(t *testing.T) {
	fail := func(a Actor, c RecordDeliveryFailure) func(*Webhook) error {
		return func(w *Webhook) error { return w.RecordFailure(hookInv(a), c) }
	}
	c := RecordDeliveryFailure{Sequence: 57, Attempts: 10, Status: 503, Error: "HTTP 503 Service Unavailable"}
	failed := WebhookDeliveryFailed{
		WebhookID: "wh-1",
		Sequence:  57,
		Attempts:  10,
		Status:    503,
		Error:     "HTTP 503 Service Unavailable",
		Stamp:     Stamp{By: SystemActor, At: hookTestNow},
	}
	long := c
	long.Error = strings.Repeat("ố", 1000)
	runCommandCases(t, func() *Webhook { return NewWebhook("wh-1") }, []commandCase[*Webhook]{
		{name: "system records", given: []Event{hookRegistered}, when: fail(SystemActor, c), then: []Event{failed}},
		{name: "same sequence again records nothing", given: []Event{hookRegistered, failed}, when: fail(SystemActor, c)},
		{name: "a user may not", given: []Event{hookRegistered}, when: fail(hookTestAdmin, c), code: EFORBIDDEN},
		{name: "not registered", when: fail(SystemActor, c), code: ENOTFOUND},
		{name: "no sequence", given: []Event{hookRegistered}, when: fail(SystemActor, RecordDeliveryFailure{Attempts: 1}), code: EINVALID},
		{name: "long error is cut on a rune boundary", given: []Event{hookRegistered}, when: func(w *Webhook) error {
			if err := w.RecordFailure(hookInv(SystemActor), long); err != nil {
				return err
			}
			e := w.Changes()[0].(WebhookDeliveryFailed)
			if len(e.Error) > maxDeliveryError+len("…") || !strings.HasSuffix(e.Error, "…") || !strings.HasPrefix(e.Error, "ố") {
				t.Errorf("error not cut: %d bytes", len(e.Error))
			}
			w.ClearChanges()
			return nil
		}},
	})
}
