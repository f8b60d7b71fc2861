package domain

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

var (
	alertTestNow    = time.Date(2025, 6, 2, 4, 0, 0, 0, time.UTC)
	alertTestCfg    = DefaultConfig()
	alertTestIngest = Actor{User: "sensor-1", Org: "soc-dic", Role: RoleIngest}
	alertTestCoord  = Actor{User: "binh", Org: "dic", Role: RoleCoordinator}
	alertTestResp   = Actor{User: "chi", Org: "provincial-cert", Role: RoleResponder}
	alertTestAdmin  = Actor{User: "an", Org: "dic", Role: RoleAdmin}
)

func alertInv(a Actor) Invocation {
	return Invocation{Actor: a, Now: alertTestNow, Config: alertTestCfg}
}

// alertTestReceived is the event recorded for alertTestCommand().
func alertTestReceived() AlertReceived {
	return AlertReceived{
		Alert: "a-1", Org: "soc-dic", Source: "SOC Sở KH&CN", SourceRef: "wazuh-88121",
		Title: "Kết nối tới máy chủ C2 đã biết", Severity: SeverityHigh, ObservedAt: alertTestNow.Add(-time.Hour),
		Asset: "mail.example.gov.vn",
		Indicators: []AlertIndicator{
			{Type: IndicatorIPv4, Value: "203.0.113.7"},
			{Type: IndicatorDomain, Value: "c2.example.com"},
		},
		TLP: TLPAmber, Raw: json.RawMessage(`{"rule":{"id":88121,"level":12}}`),
		At: alertTestNow, By: alertTestIngest,
	}
}

// alertTestCommand is a valid ReceiveAlert; the indicators need normalising and one repeats.
func alertTestCommand() ReceiveAlert {
	return ReceiveAlert{
		Source: " SOC Sở KH&CN ", SourceRef: "wazuh-88121", Title: "Kết nối tới máy chủ C2 đã biết ",
		Severity: SeverityHigh, ObservedAt: alertTestNow.Add(-time.Hour), Asset: "mail.example.gov.vn",
		Indicators: []AlertIndicator{
			{Type: IndicatorIPv4, Value: "203.0.113.7"},
			{Type: IndicatorDomain, Value: "C2.Example.com."},
			{Type: IndicatorIPv4, Value: " 203.0.113.7 "},
		},
		Raw: json.RawMessage("{\n  \"rule\": {\"id\": 88121, \"level\": 12}\n}"),
	}
}

func TestAlertReceive(t *testing.T) {
	receive := func(a Actor, f func(*ReceiveAlert)) func(*Alert) error {
		return func(x *Alert) error {
			c := alertTestCommand()
			f(&c)
			return x.Receive(alertInv(a), c)
		}
	}
	same := func(*ReceiveAlert) {}
	received := alertTestReceived()
	green := alertTestReceived()
	green.TLP = TLPGreen
	bare := AlertReceived{Alert: "a-1", Org: "soc-dic", Source: "IDS", Title: "Quét cổng", Severity: SeverityLow,
		ObservedAt: alertTestNow.Add(4 * time.Minute), TLP: TLPAmber, At: alertTestNow, By: alertTestIngest}
	manyIndicators := make([]AlertIndicator, MaxAlertIndicators+1)
	for i := range manyIndicators {
		manyIndicators[i] = AlertIndicator{Type: IndicatorIPv4, Value: fmt.Sprintf("198.51.100.%d", i)}
	}

	runCommandCases(t, func() *Alert { return NewAlert("a-1") }, []commandCase[*Alert]{
		{name: "receive: trimmed, indicators normalised and deduplicated, raw compacted, TLP AMBER by default",
			when: receive(alertTestIngest, same), then: []Event{received}},
		{name: "receive with TLP", when: receive(alertTestIngest, func(c *ReceiveAlert) { c.TLP = TLPGreen }), then: []Event{green}},
		{name: "receive the minimum, observed within the clock skew",
			when: func(x *Alert) error {
				return x.Receive(alertInv(alertTestIngest), ReceiveAlert{Source: "IDS", Title: "Quét cổng", Severity: SeverityLow, ObservedAt: alertTestNow.Add(4 * time.Minute)})
			},
			then: []Event{bare}},
		{name: "title of 300 Vietnamese characters", when: receive(alertTestIngest, func(c *ReceiveAlert) { c.Title = strings.Repeat("ệ", 300) }),
			then: []Event{func() AlertReceived { e := alertTestReceived(); e.Title = strings.Repeat("ệ", 300); return e }()}},

		{name: "coordinator may not send alerts", when: receive(alertTestCoord, same), code: EFORBIDDEN},
		{name: "ingest of an unknown org", when: receive(Actor{User: "s", Org: "nosuch", Role: RoleIngest}, same), code: ENOTFOUND},
		{name: "received twice", given: []Event{received}, when: receive(alertTestIngest, same), code: ECONFLICT},
		{name: "source missing", when: receive(alertTestIngest, func(c *ReceiveAlert) { c.Source = " " }), code: EINVALID, msg: "source"},
		{name: "title missing", when: receive(alertTestIngest, func(c *ReceiveAlert) { c.Title = "" }), code: EINVALID, msg: "title"},
		{name: "title too long", when: receive(alertTestIngest, func(c *ReceiveAlert) { c.Title = strings.Repeat("ệ", 301) }), code: EINVALID, msg: "300"},
		{name: "severity missing", when: receive(alertTestIngest, func(c *ReceiveAlert) { c.Severity = "" }), code: EINVALID, msg: "severity"},
		{name: "severity unknown", when: receive(alertTestIngest, func(c *ReceiveAlert) { c.Severity = "URGENT" }), code: EINVALID, msg: "URGENT"},
		{name: "TLP unknown", when: receive(alertTestIngest, func(c *ReceiveAlert) { c.TLP = "WHITE" }), code: EINVALID, msg: "WHITE"},
		{name: "observedAt missing", when: receive(alertTestIngest, func(c *ReceiveAlert) { c.ObservedAt = time.Time{} }), code: EINVALID, msg: "observedAt"},
		{name: "observedAt before 2000", when: receive(alertTestIngest, func(c *ReceiveAlert) { c.ObservedAt = time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC) }), code: EINVALID, msg: "2000"},
		{name: "observedAt in the future", when: receive(alertTestIngest, func(c *ReceiveAlert) { c.ObservedAt = alertTestNow.Add(6 * time.Minute) }), code: EINVALID, msg: "future"},
		{name: "too many indicators", when: receive(alertTestIngest, func(c *ReceiveAlert) { c.Indicators = manyIndicators }), code: ETOOLARGE},
		{name: "invalid indicator", code: EINVALID, msg: "indicators[1]",
			when: receive(alertTestIngest, func(c *ReceiveAlert) {
				c.Indicators = []AlertIndicator{{Type: IndicatorIPv4, Value: "203.0.113.7"}, {Type: IndicatorIPv4, Value: "203.0.113.300"}}
			})},
		{name: "unknown indicator type", code: EINVALID, msg: "indicators[0]",
			when: receive(alertTestIngest, func(c *ReceiveAlert) { c.Indicators = []AlertIndicator{{Type: "YARA", Value: "rule x {}"}} })},
		{name: "raw too large", code: ETOOLARGE,
			when: receive(alertTestIngest, func(c *ReceiveAlert) { c.Raw = json.RawMessage(`"` + strings.Repeat("x", MaxAlertRaw) + `"`) })},
		{name: "raw not JSON", when: receive(alertTestIngest, func(c *ReceiveAlert) { c.Raw = json.RawMessage(`{"rule":`) }), code: EINVALID, msg: "JSON"},
	})
}

func TestAlertRepeatDismissPromote(t *testing.T) {
	received := alertTestReceived() // observed an hour before alertTestNow
	dismissed := AlertDismissed{Reason: "máy quét nội bộ", At: alertTestNow, By: alertTestCoord}
	promoted := AlertPromoted{Incident: "inc-42", At: alertTestNow, By: alertTestResp}
	given := []Event{received}
	repeat := func(a Actor, at time.Time) func(*Alert) error {
		return func(x *Alert) error { return x.Repeat(alertInv(a), at) }
	}
	dismiss := func(a Actor, reason string) func(*Alert) error {
		return func(x *Alert) error { return x.Dismiss(alertInv(a), DismissAlert{Reason: reason}) }
	}
	promote := func(a Actor, id string) func(*Alert) error {
		return func(x *Alert) error { return x.Promote(alertInv(a), PromoteAlert{IncidentID: id}) }
	}
	later := alertTestNow.Add(-time.Minute)

	runCommandCases(t, func() *Alert { return NewAlert("a-1") }, []commandCase[*Alert]{
		{name: "repeat", given: given, when: repeat(alertTestIngest, later),
			then: []Event{AlertRepeated{At: later, Count: 2, By: alertTestIngest}}},
		{name: "repeat counts on", given: []Event{received, AlertRepeated{At: later, Count: 2}}, when: repeat(alertTestIngest, alertTestNow),
			then: []Event{AlertRepeated{At: alertTestNow, Count: 3, By: alertTestIngest}}},
		{name: "repeat after dismissal still counts", given: []Event{received, dismissed}, when: repeat(alertTestIngest, later),
			then: []Event{AlertRepeated{At: later, Count: 2, By: alertTestIngest}}},
		{name: "repeat of an unknown alert", when: repeat(alertTestIngest, later), code: ENOTFOUND},
		{name: "repeat by a coordinator", given: given, when: repeat(alertTestCoord, later), code: EFORBIDDEN},
		{name: "repeat without time", given: given, when: repeat(alertTestIngest, time.Time{}), code: EINVALID},
		{name: "repeat in the future", given: given, when: repeat(alertTestIngest, alertTestNow.Add(time.Hour)), code: EINVALID, msg: "future"},
		{name: "repeat before 2000", given: given, when: repeat(alertTestIngest, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)), code: EINVALID},

		{name: "coordinator dismisses", given: given, when: dismiss(alertTestCoord, " máy quét nội bộ "), then: []Event{dismissed}},
		{name: "responder dismisses", given: given, when: dismiss(alertTestResp, "máy quét nội bộ"),
			then: []Event{AlertDismissed{Reason: "máy quét nội bộ", At: alertTestNow, By: alertTestResp}}},
		{name: "dismiss without reason", given: given, when: dismiss(alertTestCoord, ""), code: EINVALID, msg: "reason"},
		{name: "dismiss by ingest", given: given, when: dismiss(alertTestIngest, "noise"), code: EFORBIDDEN},
		{name: "dismiss by admin", given: given, when: dismiss(alertTestAdmin, "noise"), code: EFORBIDDEN},
		{name: "dismiss unknown alert", when: dismiss(alertTestCoord, "noise"), code: ENOTFOUND},
		{name: "dismiss twice", given: []Event{received, dismissed}, when: dismiss(alertTestCoord, "noise"), code: ECONFLICT},
		{name: "dismiss promoted", given: []Event{received, promoted}, when: dismiss(alertTestCoord, "noise"), code: ECONFLICT, msg: "inc-42"},

		{name: "responder promotes", given: given, when: promote(alertTestResp, "inc-42"), then: []Event{promoted}},
		{name: "coordinator promotes", given: given, when: promote(alertTestCoord, " inc-42 "),
			then: []Event{AlertPromoted{Incident: "inc-42", At: alertTestNow, By: alertTestCoord}}},
		{name: "promote without incident", given: given, when: promote(alertTestCoord, " "), code: EINVALID, msg: "incident"},
		{name: "promote by ingest", given: given, when: promote(alertTestIngest, "inc-42"), code: EFORBIDDEN},
		{name: "promote unknown alert", when: promote(alertTestCoord, "inc-42"), code: ENOTFOUND},
		{name: "promote dismissed", given: []Event{received, dismissed}, when: promote(alertTestCoord, "inc-42"), code: ECONFLICT},
		{name: "promote twice", given: []Event{received, promoted}, when: promote(alertTestCoord, "inc-43"), code: ECONFLICT},
	})
}

func TestAlertState(t *testing.T) {
	is := is.New(t)
	a := NewAlert("a-1")
	is.Equal(a.AggregateType(), "alert") // aggregate type
	is.Equal(a.AggregateID(), "a-1")     // aggregate id
	var _ Aggregate = a

	is.NoErr(a.Receive(alertInv(alertTestIngest), alertTestCommand())) // receive
	is.Equal(a.Status, AlertStatusNew)                                 // new
	is.Equal(a.Count, 1)                                               // counted once
	observed := alertTestNow.Add(-time.Hour)
	is.Equal(a.FirstSeen, observed) // first seen
	is.Equal(a.LastSeen, observed)  // last seen

	earlier, later := observed.Add(-time.Hour), alertTestNow
	is.NoErr(a.Repeat(alertInv(alertTestIngest), later))   // repeat later
	is.NoErr(a.Repeat(alertInv(alertTestIngest), earlier)) // a late report of an earlier sighting
	is.Equal(a.Count, 3)                                   // counted three times
	is.Equal(a.FirstSeen, earlier)                         // first seen moves back
	is.Equal(a.LastSeen, later)                            // last seen stays at the latest

	is.NoErr(a.Promote(alertInv(alertTestCoord), PromoteAlert{IncidentID: "inc-42"})) // promote
	is.Equal(a.Status, AlertStatusPromoted)                                           // promoted
	is.Equal(a.Incident, "inc-42")                                                    // incident

	// The same state comes back from the log.
	r := NewAlert("a-1")
	for _, e := range a.Changes() {
		typ, v, payload, err := EncodeEvent(e)
		is.NoErr(err) // encode
		back, err := DecodeEvent(typ, v, payload)
		is.NoErr(err) // decode
		r.Replay(back)
	}
	a.ClearChanges()
	is.Equal(r, a) // replayed state
}

func TestAlertEventsRegistered(t *testing.T) {
	is := is.New(t)
	all := strings.Join(EventTypes(), " ")
	for _, name := range []string{"AlertReceived@v1", "AlertRepeated@v1", "AlertDismissed@v1", "AlertPromoted@v1",
		"UserRegistered@v1", "RoleGranted@v1", "RoleRevoked@v1", "UserDisabled@v1", "FocalPointsSet@v1"} {
		is.True(strings.Contains(all, name)) // event type registered
	}
}
