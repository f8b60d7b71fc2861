package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

const testSHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func evidenceAdded(id string, mods ...func(*EvidenceAdded)) EvidenceAdded {
	e := EvidenceAdded{EvidenceID: id, Name: "firewall.log", MediaType: "text/plain", SHA256: testSHA, Size: 1024, TLP: TLPAmber,
		SourceSystem: "Tường lửa biên", CollectedAt: incEarlier, Object: id, Stamp: Stamp{By: by.PoliceResp, At: incEarlier}}
	for _, m := range mods {
		m(&e)
	}
	return e
}

func TestEvidenceAdd(t *testing.T) {
	add := AddEvidence{EvidenceID: "ev1", Name: " firewall.log ", MediaType: "Text/Plain", SHA256: testSHA, Size: 1024,
		CollectedAt: incEarlier, SourceSystem: " Tường lửa biên ", Object: "ev1"}
	with := func(m func(*AddEvidence)) AddEvidence { c := add; m(&c); return c }
	many := []Event{opened()}
	for n := range MaxEvidencePerIncident {
		many = append(many, evidenceAdded("e"+string(rune('a'+n%26))+strings.Repeat("x", n/26)))
	}
	runIncidentCases(t, []incidentCase{
		{name: "a responder adds a log extract", given: []Event{opened()}, by: by.PoliceResp, when: add,
			then: []Event{evidenceAdded("ev1", func(e *EvidenceAdded) { e.At = incNow })},
			check: func(is *is.I, i *Incident) {
				ev := i.EvidenceItem("ev1")
				is.Equal(ev.Custodian, "police/binh")   // the collector holds it first
				is.Equal(ev.CollectedBy, by.PoliceResp) // who collected it
			}},
		{name: "defaults: now, octet-stream, the incident's TLP", given: []Event{opened(atTLP(TLPGreen))}, by: by.PoliceResp,
			when: with(func(c *AddEvidence) { c.CollectedAt, c.MediaType = time.Time{}, "" }),
			then: []Event{evidenceAdded("ev1", func(e *EvidenceAdded) {
				e.At, e.CollectedAt, e.MediaType, e.TLP = incNow, incNow, "application/octet-stream", TLPGreen
			})}},
		{name: "after closing", given: []Event{opened(), closed()}, by: by.PoliceResp, when: add,
			then: []Event{evidenceAdded("ev1", func(e *EvidenceAdded) { e.At = incNow })}},
		{name: "a reviewer may not", given: []Event{opened()}, by: by.PoliceReviewer, when: add, code: EFORBIDDEN},
		{name: "a reader who does not take part", given: []Event{opened(atTLP(TLPGreen))}, by: by.DICResp, when: add, code: EFORBIDDEN},
		{name: "outside the audience", given: []Event{opened()}, by: by.DICResp, when: add, code: ENOTFOUND},
		{name: "same id", given: []Event{opened(), evidenceAdded("ev1")}, by: by.PoliceResp, when: add, code: ECONFLICT},
		{name: "a path", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *AddEvidence) { c.Name = "../etc/passwd" }), code: EINVALID, msg: "path"},
		{name: "no name", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *AddEvidence) { c.Name = "" }), code: EINVALID},
		{name: "a control character in the name", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *AddEvidence) { c.Name = "a\x00b" }), code: EINVALID},
		{name: "bad media type", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *AddEvidence) { c.MediaType = "text" }), code: EINVALID},
		{name: "bad hash", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *AddEvidence) { c.SHA256 = "abc" }), code: EINVALID, msg: "SHA-256"},
		{name: "empty file", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *AddEvidence) { c.Size = 0 }), code: EINVALID, msg: "empty"},
		{name: "file too large", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *AddEvidence) { c.Size = MaxEvidenceBytes + 1 }), code: ETOOLARGE},
		{name: "incident full (bytes)", given: []Event{opened(), evidenceAdded("big", func(e *EvidenceAdded) { e.Size = MaxIncidentEvidenceBytes - 10 })},
			by: by.PoliceResp, when: add, code: ETOOLARGE, msg: "in all"},
		{name: "incident full (files)", given: many, by: by.PoliceResp, when: add, code: ETOOLARGE},
		{name: "less restricted than the incident", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *AddEvidence) { c.TLP = TLPGreen }), code: EINVALID},
		{name: "no source system", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *AddEvidence) { c.SourceSystem = "" }), code: EINVALID},
		{name: "collected in the future", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *AddEvidence) { c.CollectedAt = incNow.Add(time.Hour) }), code: EINVALID},
		{name: "collected before 2000", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *AddEvidence) { c.CollectedAt = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) }), code: EINVALID},
		{name: "no object", given: []Event{opened()}, by: by.PoliceResp, when: with(func(c *AddEvidence) { c.Object = "" }), code: EINVALID},
	})
}

func TestEvidenceCustody(t *testing.T) {
	give := TransferCustody{EvidenceID: "ev1", To: "dic/giang", Reason: "phân tích mẫu"}
	with := func(m func(*TransferCustody)) TransferCustody { c := give; m(&c); return c }
	base := []Event{opened(), shared("dic"), evidenceAdded("ev1")}
	runIncidentCases(t, []incidentCase{
		{name: "the custodian hands it on", given: base, by: by.PoliceResp, when: give,
			then: []Event{EvidenceCustodyTransferred{EvidenceID: "ev1", From: "police/binh", To: "dic/giang", Reason: "phân tích mẫu", Stamp: Stamp{By: by.PoliceResp, At: incNow}}},
			check: func(is *is.I, i *Incident) {
				ev := i.EvidenceItem("ev1")
				is.Equal(ev.Custodian, "dic/giang") // new custodian
				is.Equal(len(ev.Custody), 1)        // one link
			}},
		{name: "a coordinator of the custodian's organisation", given: base, by: by.PoliceCoord, when: give,
			then: []Event{EvidenceCustodyTransferred{EvidenceID: "ev1", From: "police/binh", To: "dic/giang", Reason: "phân tích mẫu", Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "the new custodian hands it on again", given: append(base, EvidenceCustodyTransferred{EvidenceID: "ev1", From: "police/binh", To: "dic/giang"}),
			by: by.DICCoord, when: with(func(c *TransferCustody) { c.To = "police/an" }),
			then: []Event{EvidenceCustodyTransferred{EvidenceID: "ev1", From: "dic/giang", To: "police/an", Reason: "phân tích mẫu", Stamp: Stamp{By: by.DICCoord, At: incNow}}}},
		{name: "someone else of the organisation", given: base, by: by.PoliceReviewer, when: give, code: EFORBIDDEN, msg: "custodian"},
		{name: "someone who is not the custodian", given: base, by: by.DICCoord, when: give, code: EFORBIDDEN},
		{name: "to someone who may not read it", given: base, by: by.PoliceResp, when: with(func(c *TransferCustody) { c.To = "vncert/minh" }), code: EFORBIDDEN, msg: "may not read"},
		{name: "a RED item to someone not named", given: []Event{opened(), shared("dic"), evidenceAdded("ev1", func(e *EvidenceAdded) { e.TLP = TLPRed })},
			by: by.PoliceResp, when: with(func(c *TransferCustody) { c.To = "police/chi" }), code: EFORBIDDEN},
		{name: "to the custodian", given: base, by: by.PoliceResp, when: with(func(c *TransferCustody) { c.To = "police/binh" }), code: EINVALID},
		{name: "not org/user", given: base, by: by.PoliceResp, when: with(func(c *TransferCustody) { c.To = "giang" }), code: EINVALID},
		{name: "unknown organisation", given: base, by: by.PoliceResp, when: with(func(c *TransferCustody) { c.To = "nowhere/x" }), code: ENOTFOUND},
		{name: "no reason", given: base, by: by.PoliceResp, when: with(func(c *TransferCustody) { c.Reason = "" }), code: EINVALID},
		{name: "no such evidence", given: base, by: by.PoliceResp, when: with(func(c *TransferCustody) { c.EvidenceID = "ev9" }), code: ENOTFOUND},
		{name: "evidence the actor may not see looks absent", given: []Event{opened(), shared("dic"), evidenceAdded("ev1", func(e *EvidenceAdded) { e.TLP = TLPRed })},
			by: by.DICCoord, when: give, code: ENOTFOUND},
	})
}

func TestEvidenceDownload(t *testing.T) {
	dl := RecordEvidenceDownload{EvidenceID: "ev1"}
	base := []Event{opened(), escalated("e1", "subcommittee"), evidenceAdded("ev1")}
	runIncidentCases(t, []incidentCase{
		{name: "a reviewer of a reader downloads", given: base, by: by.SubReviewer, when: dl,
			then:  []Event{EvidenceDownloaded{EvidenceID: "ev1", SHA256: testSHA, Stamp: Stamp{By: by.SubReviewer, At: incNow}}},
			check: func(is *is.I, i *Incident) { is.Equal(len(i.EvidenceItem("ev1").Downloads), 1) }}, // recorded on the item
		{name: "after closing", given: append(base, closed()), by: by.PoliceCoord, when: dl,
			then: []Event{EvidenceDownloaded{EvidenceID: "ev1", SHA256: testSHA, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "outside the audience", given: base, by: by.DICCoord, when: dl, code: ENOTFOUND},
		{name: "stricter than the reader", given: []Event{opened(), escalated("e1", "subcommittee"), evidenceAdded("ev1", func(e *EvidenceAdded) { e.TLP = TLPAmberStrict })},
			by: by.SubReviewer, when: dl, code: ENOTFOUND},
		{name: "its collector always", given: []Event{opened(), evidenceAdded("ev1", func(e *EvidenceAdded) { e.TLP = TLPRed })}, by: by.PoliceResp, when: dl,
			then: []Event{EvidenceDownloaded{EvidenceID: "ev1", SHA256: testSHA, Stamp: Stamp{By: by.PoliceResp, At: incNow}}}},
		{name: "admin", given: base, by: by.PoliceAdmin, when: dl, code: EFORBIDDEN},
		{name: "no such evidence", given: base, by: by.PoliceCoord, when: RecordEvidenceDownload{EvidenceID: "x"}, code: ENOTFOUND},
	})
}

func TestVisibleEvidence(t *testing.T) {
	is := is.New(t)
	i := MustReplay(t, opened(), shared("dic"), evidenceAdded("a"), evidenceAdded("b", func(e *EvidenceAdded) { e.TLP = TLPRed }))
	cfg := testConfig(t)
	is.Equal(len(i.VisibleEvidence(by.DICCoord, i.Audience(), cfg)), 1)      // only the AMBER file for a reader
	is.Equal(len(i.VisibleEvidence(by.PoliceResp, i.Audience(), cfg)), 2)    // both for their collector
	is.Equal(len(i.VisibleEvidence(by.MilitaryCoord, i.Audience(), cfg)), 0) // none outside the audience
}
