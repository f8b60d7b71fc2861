package domain

import (
	"encoding/json"
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
	alertTestPolice = Actor{User: "tuan", Org: "police", Role: RoleCoordinator}
)

func alertInvAt(a Actor, now time.Time) Invocation {
	return Invocation{Actor: a, Now: now, Config: alertTestCfg}
}

// alertTestInput is a valid alert of source soc-dic.
func alertTestInput() ReceiveAlert {
	return ReceiveAlert{
		Source: " soc-dic ", SourceRef: "wazuh-88121", Title: "Kết nối tới máy chủ C2 đã biết ",
		Severity: SeverityHigh, ObservedAt: alertTestNow.Add(-time.Hour), Asset: "mail.example.gov.vn",
		Indicators: []AlertIndicator{
			{Type: IndicatorIPv4, Value: "203.0.113.7"},
			{Type: IndicatorDomain, Value: "C2.Example.com."},
			{Type: IndicatorIPv4, Value: " 203.0.113.7 "},
		},
		Raw: json.RawMessage("{\n  \"rule\": {\"id\": 88121, \"level\": 12}\n}"),
	}
}

func TestNormaliseAlert(t *testing.T) {
	t.Run("valid alert is trimmed and normalised", func(t *testing.T) {
		is := is.New(t)
		n, src, err := NormaliseAlert(alertInvAt(alertTestIngest, alertTestNow), alertTestInput())
		is.NoErr(err)                                                                             // valid alert
		is.Equal(src.ID, "soc-dic")                                                               // source found
		is.Equal(n.Source, "soc-dic")                                                             // trimmed source
		is.Equal(n.TLP, TLPAmber)                                                                 // TLP defaults to AMBER
		is.Equal(len(n.Indicators), 2)                                                            // repeated indicator dropped
		is.Equal(n.Indicators[1], AlertIndicator{Type: IndicatorDomain, Value: "c2.example.com"}) // domain normalised
		is.Equal(string(n.Raw), `{"rule":{"id":88121,"level":12}}`)                               // raw compacted
	})
	cases := []struct {
		name  string
		actor Actor
		edit  func(*ReceiveAlert)
		code  string
		says  string
	}{
		{"coordinator token", alertTestCoord, func(*ReceiveAlert) {}, EFORBIDDEN, "ingest"},
		{"unknown source", alertTestIngest, func(a *ReceiveAlert) { a.Source = "nobody" }, EINVALID, "unknown source"},
		{"another SOC's source", Actor{User: "x", Org: "dic", Role: RoleIngest}, func(*ReceiveAlert) {}, EFORBIDDEN, "belongs to soc-dic"},
		{"no sourceRef for the default fingerprint", alertTestIngest, func(a *ReceiveAlert) { a.SourceRef = "" }, EINVALID, "sourceRef"},
		{"observed far in the future", alertTestIngest, func(a *ReceiveAlert) { a.ObservedAt = alertTestNow.Add(time.Hour) }, EINVALID, "future"},
		{"observed before 2000", alertTestIngest, func(a *ReceiveAlert) { a.ObservedAt = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) }, EINVALID, "2000"},
		{"no observation time", alertTestIngest, func(a *ReceiveAlert) { a.ObservedAt = time.Time{} }, EINVALID, "observedAt"},
		{"oversized raw", alertTestIngest, func(a *ReceiveAlert) { a.Raw = json.RawMessage(`"` + strings.Repeat("x", MaxAlertRaw) + `"`) }, ETOOLARGE, "raw"},
		{"raw not JSON", alertTestIngest, func(a *ReceiveAlert) { a.Raw = json.RawMessage(`{nope`) }, EINVALID, "not valid JSON"},
		{"bad severity", alertTestIngest, func(a *ReceiveAlert) { a.Severity = "SEVERE" }, EINVALID, "severity"},
		{"bad TLP", alertTestIngest, func(a *ReceiveAlert) { a.TLP = "PINK" }, EINVALID, "TLP"},
		{"no title", alertTestIngest, func(a *ReceiveAlert) { a.Title = " " }, EINVALID, "title"},
		{"bad indicator", alertTestIngest, func(a *ReceiveAlert) { a.Indicators = []AlertIndicator{{Type: IndicatorIPv4, Value: "999.1.1.1"}} }, EINVALID, "indicators[0]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			a := alertTestInput()
			c.edit(&a)
			_, _, err := NormaliseAlert(alertInvAt(c.actor, alertTestNow), a)
			is.Equal(ErrorCode(err), c.code)                     // error code
			is.True(strings.Contains(ErrorMessage(err), c.says)) // message names the problem
		})
	}
}

func ingestAt(t *testing.T, s *AlertSeries, a ReceiveAlert, rule string, now time.Time) IngestOutcome {
	t.Helper()
	n, src, err := NormaliseAlert(alertInvAt(alertTestIngest, now), a)
	if err != nil {
		t.Fatalf("normalise: %v", err)
	}
	if s.ID == "" {
		s.ID = FingerprintAlert(src, n)
	}
	if err := Execute(s, alertInvAt(alertTestIngest, now), IngestAlert{Alert: n, SuppressedBy: rule}); err != nil {
		t.Fatalf("ingest: %v", err)
	}
	out := OutcomeOf(s.Changes())
	s.ClearChanges()
	return out
}

func TestAlertDedupWindow(t *testing.T) {
	src, _ := alertTestCfg.AlertSource("soc-dic")
	w := src.WindowDuration()
	t.Run("just inside the window is a repeat", func(t *testing.T) {
		is := is.New(t)
		s := NewAlertSeries("")
		first := ingestAt(t, s, alertTestInput(), "", alertTestNow)
		is.Equal(first.Status, IngestAccepted)    // first report is a new alert
		is.Equal(first.AlertID, AlertID(s.ID, 1)) // alert id names the fingerprint
		again := ingestAt(t, s, alertTestInput(), "", alertTestNow.Add(w-time.Nanosecond))
		is.Equal(again.Status, IngestDuplicate)                                   // inside the window
		is.Equal(again.DuplicateOf, first.AlertID)                                // duplicate of the first
		is.Equal(len(s.Alerts), 1)                                                // no new alert
		is.Equal(s.Current().Count, 2)                                            // count incremented
		is.Equal(s.Current().LastReceivedAt, alertTestNow.Add(w-time.Nanosecond)) // last seen moved
	})
	t.Run("just outside the window is a new alert", func(t *testing.T) {
		is := is.New(t)
		s := NewAlertSeries("")
		first := ingestAt(t, s, alertTestInput(), "", alertTestNow)
		ingestAt(t, s, alertTestInput(), "", alertTestNow.Add(w/2)) // a repeat does not extend the window
		next := ingestAt(t, s, alertTestInput(), "", alertTestNow.Add(w))
		is.Equal(next.Status, IngestAccepted)    // window counts from first-seen
		is.True(next.AlertID != first.AlertID)   // a new alert
		is.Equal(next.AlertID, AlertID(s.ID, 2)) // second alert of the fingerprint
		is.Equal(s.Alerts[0].Count, 2)           // the first keeps its count
		is.Equal(s.Current().Count, 1)           // the new one starts at 1
	})
	t.Run("configured fingerprint: rule id and asset", func(t *testing.T) {
		is := is.New(t)
		ids, _ := alertTestCfg.AlertSource("ids-dic")
		a, b := alertTestInput(), alertTestInput()
		a.Source, b.Source = "ids-dic", "ids-dic"
		a.RuleID, b.RuleID = "ET-2024-1", "ET-2024-1"
		b.SourceRef = "another-event-id"
		na, _, err := NormaliseAlert(alertInvAt(alertTestIngest, alertTestNow), a)
		is.NoErr(err) // alert a
		nb, _, err := NormaliseAlert(alertInvAt(alertTestIngest, alertTestNow), b)
		is.NoErr(err)                                                  // alert b
		is.Equal(FingerprintAlert(ids, na), FingerprintAlert(ids, nb)) // same rule and asset: same fingerprint
		b.Asset = "www.example.gov.vn"
		nb, _, _ = NormaliseAlert(alertInvAt(alertTestIngest, alertTestNow), b)
		is.True(FingerprintAlert(ids, na) != FingerprintAlert(ids, nb)) // another asset: another fingerprint
		c := alertTestInput()
		c.SourceRef = "another-event-id"
		nc, soc, _ := NormaliseAlert(alertInvAt(alertTestIngest, alertTestNow), c)
		is.True(FingerprintAlert(soc, na) != FingerprintAlert(soc, nc)) // default: sourceRef decides
	})
	t.Run("retransmission has the same command id", func(t *testing.T) {
		is := is.New(t)
		a, _, _ := NormaliseAlert(alertInvAt(alertTestIngest, alertTestNow), alertTestInput())
		b := a
		is.Equal(AlertCommandID("soc-dic", a), AlertCommandID("soc-dic", b)) // same report
		b.ObservedAt = b.ObservedAt.Add(time.Second)
		is.True(AlertCommandID("soc-dic", a) != AlertCommandID("soc-dic", b)) // a new observation is a new report
	})
}

func TestAlertSuppression(t *testing.T) {
	set := func(t *testing.T, c SetSuppression) *Suppression {
		t.Helper()
		r := NewSuppression("sup-1")
		if err := r.Set(alertInvAt(alertTestCoord, alertTestNow), c); err != nil {
			t.Fatalf("set: %v", err)
		}
		return r
	}
	t.Run("rule matches by source, asset, indicator and rule id inside its window", func(t *testing.T) {
		is := is.New(t)
		r := set(t, SetSuppression{Source: "soc-dic", Asset: "MAIL.example.gov.vn", Indicator: &AlertIndicator{Type: IndicatorIPv4, Value: "203.0.113.7"},
			Until: alertTestNow.Add(time.Hour), Reason: "pentest được cấp phép"})
		n, _, _ := NormaliseAlert(alertInvAt(alertTestIngest, alertTestNow), alertTestInput())
		is.True(r.Matches(n, alertTestNow))                    // matches
		is.True(!r.Matches(n, alertTestNow.Add(time.Hour)))    // ended
		is.True(!r.Matches(n, alertTestNow.Add(-time.Second))) // not started
		other := n
		other.Asset = "www.example.gov.vn"
		is.True(!r.Matches(other, alertTestNow)) // another asset
		other = n
		other.Indicators = nil
		is.True(!r.Matches(other, alertTestNow)) // without the indicator
		r.Replay(SuppressionRemoved{Reason: "xong", Stamp: Stamp{By: alertTestCoord, At: alertTestNow}})
		is.True(!r.Matches(n, alertTestNow)) // removed
	})
	t.Run("suppressed report is counted on the current alert, not as a repeat", func(t *testing.T) {
		is := is.New(t)
		s := NewAlertSeries("")
		first := ingestAt(t, s, alertTestInput(), "", alertTestNow)
		out := ingestAt(t, s, alertTestInput(), "sup-1", alertTestNow.Add(time.Minute))
		is.Equal(out.Status, IngestSuppressed) // suppressed
		is.Equal(out.SuppressedBy, "sup-1")    // by the rule
		is.Equal(out.AlertID, first.AlertID)   // the current alert
		is.Equal(s.Current().Count, 1)         // not counted as a repeat
		is.Equal(s.Current().Suppressed, 1)    // counted as suppressed
		is.Equal(s.Suppressed, 1)              // on the series
		fresh := NewAlertSeries("")
		out = ingestAt(t, fresh, alertTestInput(), "sup-1", alertTestNow)
		is.Equal(out.Status, IngestSuppressed) // suppressed
		is.Equal(len(fresh.Alerts), 0)         // no alert raised
		is.Equal(fresh.Suppressed, 1)          // but counted
	})
	bad := []struct {
		name  string
		actor Actor
		c     SetSuppression
		code  string
	}{
		{"responder", alertTestResp, SetSuppression{Source: "soc-dic", Until: alertTestNow.Add(time.Hour), Reason: "x"}, EFORBIDDEN},
		{"organisation that does not triage the source", alertTestPolice, SetSuppression{Source: "soc-dic", Until: alertTestNow.Add(time.Hour), Reason: "x"}, ENOTFOUND},
		{"unknown source", alertTestCoord, SetSuppression{Source: "nope", Until: alertTestNow.Add(time.Hour), Reason: "x"}, ENOTFOUND},
		{"no reason", alertTestCoord, SetSuppression{Source: "soc-dic", Until: alertTestNow.Add(time.Hour)}, EINVALID},
		{"in the past", alertTestCoord, SetSuppression{Source: "soc-dic", Until: alertTestNow.Add(-time.Hour), Reason: "x"}, EINVALID},
		{"too long", alertTestCoord, SetSuppression{Source: "soc-dic", Until: alertTestNow.Add(MaxSuppression + time.Hour), Reason: "x"}, EINVALID},
	}
	for _, c := range bad {
		t.Run("refused: "+c.name, func(t *testing.T) {
			is := is.New(t)
			r := NewSuppression("sup-x")
			err := r.Set(alertInvAt(c.actor, alertTestNow), c.c)
			is.Equal(ErrorCode(err), c.code) // error code
			is.Equal(len(r.Changes()), 0)    // nothing recorded
		})
	}
}

func TestAlertTriage(t *testing.T) {
	newSeries := func(t *testing.T, tlp TLP) (*AlertSeries, string) {
		s := NewAlertSeries("")
		a := alertTestInput()
		a.TLP = tlp
		return s, ingestAt(t, s, a, "", alertTestNow).AlertID
	}
	t.Run("dismiss, promote, detach", func(t *testing.T) {
		is := is.New(t)
		s, id := newSeries(t, TLPAmber)
		is.NoErr(s.Promote(alertInvAt(alertTestResp, alertTestNow), PromoteAlert{AlertID: id, IncidentID: "inc-1", Merged: true}))                                     // recipient org merges
		is.Equal(s.Current().Status, AlertStatusPromoted)                                                                                                              // promoted
		is.Equal(ErrorCode(s.Dismiss(alertInvAt(alertTestCoord, alertTestNow), DismissAlert{AlertID: id, Reason: "noise"})), ECONFLICT)                                // already merged
		is.Equal(ErrorCode(s.Detach(alertInvAt(alertTestCoord, alertTestNow), DetachAlertFromIncident{AlertID: id, IncidentID: "inc-2", Reason: "wrong"})), ECONFLICT) // not in inc-2
		is.NoErr(s.Detach(alertInvAt(alertTestCoord, alertTestNow), DetachAlertFromIncident{AlertID: id, IncidentID: "inc-1", Reason: "wrong asset"}))                 // undo
		is.Equal(s.Current().Status, AlertStatusNew)                                                                                                                   // new again
		is.NoErr(s.Dismiss(alertInvAt(alertTestCoord, alertTestNow), DismissAlert{AlertID: id, Reason: "noise"}))                                                      // dismissed
		is.Equal(s.Current().Status, AlertStatusDismissed)                                                                                                             // dismissed
	})
	t.Run("visibility", func(t *testing.T) {
		is := is.New(t)
		s, id := newSeries(t, TLPAmber)
		is.Equal(ErrorCode(s.Dismiss(alertInvAt(alertTestPolice, alertTestNow), DismissAlert{AlertID: id, Reason: "x"})), ENOTFOUND)  // not a recipient
		is.Equal(ErrorCode(s.Dismiss(alertInvAt(alertTestIngest, alertTestNow), DismissAlert{AlertID: id, Reason: "x"})), EFORBIDDEN) // ingest does not triage
		strict, sid := newSeries(t, TLPAmberStrict)
		is.Equal(ErrorCode(strict.Dismiss(alertInvAt(alertTestCoord, alertTestNow), DismissAlert{AlertID: sid, Reason: "x"})), ENOTFOUND) // AMBER+STRICT: SOC only
		soc := Actor{User: "lan", Org: "soc-dic", Role: RoleCoordinator}
		is.NoErr(strict.Dismiss(alertInvAt(soc, alertTestNow), DismissAlert{AlertID: sid, Reason: "x"})) // the SOC's own coordinator
		green, gid := newSeries(t, TLPGreen)
		is.NoErr(green.Dismiss(alertInvAt(alertTestPolice, alertTestNow), DismissAlert{AlertID: gid, Reason: "x"})) // GREEN: community
	})
}

func TestAlertSourceConfig(t *testing.T) {
	is := is.New(t)
	c := DefaultConfig()
	c.AlertSources = append(c.AlertSources, AlertSource{ID: "Bad ID", Org: "nowhere", Fingerprint: []string{"colour"}, Recipients: []string{"nobody"}})
	err := c.Validate()
	is.True(err != nil) // refused
	for _, want := range []string{"alertSources[2].id", "alertSources[2].org", "alertSources[2].fingerprint[0]", "alertSources[2].recipients[0]"} {
		is.True(strings.Contains(ErrorMessage(err), want)) // each problem named
	}
}
