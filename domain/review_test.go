package domain

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

var testRoot = base64.StdEncoding.EncodeToString(make([]byte, 32))

func testPin() ReviewPin {
	return ReviewPin{Origin: "dieuphoi/events", TreeSize: 40, RootHash: testRoot, Checkpoint: "dieuphoi/events\n40\n" + testRoot + "\n\n— sig\n",
		IncidentSequence: 37, IncidentVersion: 5}
}

// reviewedAudience is an incident the police opened at AMBER and shared with every signer.
func reviewedAudience(mods ...func(*Audience)) *Audience {
	i := NewIncident("inc-1")
	i.Replay(opened())
	i.Replay(shared("military", "dic", "propaganda", "subcommittee"))
	a := i.Audience()
	for _, m := range mods {
		m(&a)
	}
	return &a
}

func reviewOpened() ReviewOpened {
	return ReviewOpened{ReviewID: "r1", Title: "Rà soát sự cố mã độc", IncidentID: "inc-1", Pin: testPin(),
		Signers: []string{"police", "military", "dic", "propaganda", "subcommittee"}, Stamp: Stamp{By: by.SubReviewer, At: incEarlier}}
}

// reviewOpenedNow is reviewOpened as the command records it now.
func reviewOpenedNow(a Actor) ReviewOpened {
	e := reviewOpened()
	e.By, e.At = a, incNow
	return e
}

func signedOff(a Actor) ReviewSignedOff {
	return ReviewSignedOff{TreeSize: 40, RootHash: testRoot, Stamp: Stamp{By: a, At: incEarlier}}
}

type reviewCase struct {
	name  string
	given []Event
	by    Actor
	when  Command
	then  []Event
	code  string
	msg   string
	cfg   *Config
}

func runReviewCases(t *testing.T, cases []reviewCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			cfg := tc.cfg
			if cfg == nil {
				cfg = testConfig(t)
			}
			r := NewReview("r1")
			for _, e := range tc.given {
				r.Replay(e)
			}
			err := Execute(r, Invocation{Actor: tc.by, Now: incNow, Config: cfg}, tc.when)
			if tc.code != "" {
				is.Equal(ErrorCode(err), tc.code) // error code
				is.Equal(len(r.Changes()), 0)     // nothing recorded
				if !strings.Contains(ErrorMessage(err), tc.msg) {
					t.Errorf("message %q does not contain %q", ErrorMessage(err), tc.msg)
				}
				return
			}
			is.NoErr(err)                  // command succeeds
			is.Equal(r.Changes(), tc.then) // recorded events
			for _, e := range r.Changes() {
				typ, v, payload, err := EncodeEvent(e)
				is.NoErr(err) // encodes
				back, err := DecodeEvent(typ, v, payload)
				is.NoErr(err)     // decodes
				is.Equal(back, e) // survives the log
			}
		})
	}
}

func TestReviewOpen(t *testing.T) {
	open := OpenReview{Title: " Rà soát sự cố mã độc ", IncidentID: "inc-1", Pin: testPin(), Incident: reviewedAudience()}
	with := func(m func(*OpenReview)) OpenReview { c := open; m(&c); return c }
	period := OpenReview{Title: "Rà soát quý 2", PeriodFrom: incNow.Add(-90 * 24 * time.Hour), PeriodTo: incNow.Add(-time.Hour), Pin: testPin()}
	periodPin := testPin()
	periodPin.IncidentSequence, periodPin.IncidentVersion = 0, 0
	noSigners := testConfig(t)
	noSigners.Review.Signers = []string{"police", "subcommittee"}
	runReviewCases(t, []reviewCase{
		{name: "subcommittee reviewer opens a review of an incident", by: by.SubReviewer, when: open, then: []Event{reviewOpenedNow(by.SubReviewer)}},
		{name: "signers come from the configuration", by: by.SubCoord, when: open, cfg: noSigners,
			then: []Event{func() Event {
				e := reviewOpenedNow(by.SubCoord)
				e.Signers = []string{"police", "subcommittee"}
				return e
			}()}},
		{name: "a period", by: by.SubReviewer, when: period, then: []Event{ReviewOpened{ReviewID: "r1", Title: "Rà soát quý 2",
			PeriodFrom: period.PeriodFrom, PeriodTo: period.PeriodTo, Pin: periodPin,
			Signers: []string{"police", "military", "dic", "propaganda", "subcommittee"}, Stamp: Stamp{By: by.SubReviewer, At: incNow}}}},
		{name: "a force's coordinator may not open", by: by.PoliceCoord, when: open, code: EFORBIDDEN, msg: "subcommittee"},
		{name: "a subcommittee responder may not open", by: Actor{User: "x", Org: "subcommittee", Role: RoleResponder}, when: open, code: EFORBIDDEN},
		{name: "already open", given: []Event{reviewOpened()}, by: by.SubReviewer, when: open, code: ECONFLICT},
		{name: "no title", by: by.SubReviewer, when: with(func(c *OpenReview) { c.Title = " " }), code: EINVALID, msg: "title"},
		{name: "incident and period", by: by.SubReviewer, when: with(func(c *OpenReview) { c.PeriodFrom = incEarlier }), code: EINVALID, msg: "not both"},
		{name: "neither", by: by.SubReviewer, when: with(func(c *OpenReview) { c.IncidentID = "" }), code: EINVALID, msg: "period"},
		{name: "bad root", by: by.SubReviewer, when: with(func(c *OpenReview) { c.Pin.RootHash = "abc" }), code: EINVALID, msg: "32 bytes"},
		{name: "no checkpoint text", by: by.SubReviewer, when: with(func(c *OpenReview) { c.Pin.Checkpoint = "" }), code: EINVALID},
		{name: "incident commit beyond the checkpoint", by: by.SubReviewer, when: with(func(c *OpenReview) { c.Pin.IncidentSequence = 41 }), code: EINVALID},
		{name: "incident the reviewer may not read", by: by.SubReviewer,
			when: with(func(c *OpenReview) {
				c.Incident = reviewedAudience(func(a *Audience) { a.Shared = []string{"military"} })
			}), code: ENOTFOUND},
		{name: "incident that does not exist", by: by.SubReviewer, when: with(func(c *OpenReview) { c.Incident = &Audience{} }), code: ENOTFOUND},
		{name: "a signer cannot read it", by: by.SubReviewer,
			when: with(func(c *OpenReview) {
				c.Incident = reviewedAudience(func(a *Audience) { a.Shared = []string{"military", "dic", "subcommittee"} })
			}), code: ECONFLICT, msg: "propaganda"},
		{name: "TLP:RED with every signer named", by: by.SubReviewer,
			when: with(func(c *OpenReview) {
				c.Incident = reviewedAudience(func(a *Audience) {
					a.TLP, a.Recipients = TLPRed, []string{"police/an", "military/dung", "dic/giang", "propaganda/khoa", "subcommittee/hai"}
				})
			}), then: []Event{reviewOpenedNow(by.SubReviewer)}},
		{name: "TLP:RED with a signer unnamed", by: by.SubReviewer,
			when: with(func(c *OpenReview) {
				c.Incident = reviewedAudience(func(a *Audience) {
					a.TLP, a.Recipients = TLPRed, []string{"police/an", "dic/giang", "propaganda/khoa", "subcommittee/hai"}
				})
			}), code: ECONFLICT, msg: "military"},
		{name: "period not over", by: by.SubReviewer, when: func() OpenReview { c := period; c.PeriodTo = incNow.Add(time.Hour); return c }(), code: EINVALID, msg: "ended"},
		{name: "period backwards", by: by.SubReviewer, when: func() OpenReview { c := period; c.PeriodFrom = c.PeriodTo; return c }(), code: EINVALID},
		{name: "period too long", by: by.SubReviewer, when: func() OpenReview { c := period; c.PeriodFrom = c.PeriodTo.Add(-400 * 24 * time.Hour); return c }(), code: EINVALID},
	})
}

func TestReviewSignOff(t *testing.T) {
	aud := reviewedAudience()
	sign := SignOffReview{Comment: "Đồng ý", Incident: aud}
	object := ObjectToReview{Comment: "Thiếu nhật ký tường lửa", Incident: aud}
	allBut := func(last Actor) []Event {
		es := []Event{reviewOpened()}
		for _, a := range []Actor{by.PoliceCoord, by.MilitaryCoord, by.DICCoord, by.PropagandaReviewer, by.SubReviewer} {
			if a.Org != last.Org {
				es = append(es, signedOff(a))
			}
		}
		return es
	}
	runReviewCases(t, []reviewCase{
		{name: "a signer signs off", given: []Event{reviewOpened()}, by: by.PoliceCoord, when: sign,
			then: []Event{ReviewSignedOff{Comment: "Đồng ý", TreeSize: 40, RootHash: testRoot, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "the last signature completes it in the same commit", given: allBut(by.DICCoord), by: by.DICCoord, when: SignOffReview{Incident: aud},
			then: []Event{ReviewSignedOff{TreeSize: 40, RootHash: testRoot, Stamp: Stamp{By: by.DICCoord, At: incNow}},
				ReviewCompleted{Signers: []string{"police", "military", "dic", "propaganda", "subcommittee"}, Stamp: Stamp{By: by.DICCoord, At: incNow}}}},
		{name: "an objection does not count as signed", given: append(allBut(by.DICCoord)[:4], ReviewObjected{Comment: "x", Stamp: Stamp{By: by.PropagandaReviewer}}),
			by: by.DICCoord, when: SignOffReview{Incident: aud},
			then: []Event{ReviewSignedOff{TreeSize: 40, RootHash: testRoot, Stamp: Stamp{By: by.DICCoord, At: incNow}}}},
		{name: "a signer objects with a reason", given: []Event{reviewOpened()}, by: by.PropagandaReviewer, when: object,
			then: []Event{ReviewObjected{Comment: "Thiếu nhật ký tường lửa", TreeSize: 40, RootHash: testRoot, Stamp: Stamp{By: by.PropagandaReviewer, At: incNow}}}},
		{name: "an objection needs a reason", given: []Event{reviewOpened()}, by: by.PropagandaReviewer, when: ObjectToReview{Incident: aud}, code: EINVALID},
		{name: "signing after objecting replaces the objection", given: []Event{reviewOpened(), ReviewObjected{Comment: "x", Stamp: Stamp{By: by.PoliceCoord}}},
			by: by.PoliceCoord2, when: SignOffReview{Incident: aud},
			then: []Event{ReviewSignedOff{TreeSize: 40, RootHash: testRoot, Stamp: Stamp{By: by.PoliceCoord2, At: incNow}}}},
		{name: "signing twice", given: []Event{reviewOpened(), signedOff(by.PoliceCoord)}, by: by.PoliceCoord2, when: sign, code: ECONFLICT, msg: "already"},
		{name: "not a required signer", given: []Event{reviewOpened()}, by: by.CertCoord, when: sign, code: ENOTFOUND},
		{name: "a signer's responder may not sign", given: []Event{reviewOpened()}, by: by.PoliceResp, when: sign, code: EFORBIDDEN},
		{name: "the subcommittee opener signs as a signer", given: []Event{reviewOpened()}, by: by.SubCoord, when: sign,
			then: []Event{ReviewSignedOff{Comment: "Đồng ý", TreeSize: 40, RootHash: testRoot, Stamp: Stamp{By: by.SubCoord, At: incNow}}}},
		{name: "a signer who can no longer read the incident", given: []Event{reviewOpened()}, by: by.MilitaryCoord,
			when: SignOffReview{Incident: reviewedAudience(func(a *Audience) { a.TLP = TLPAmberStrict })}, code: ENOTFOUND},
		{name: "admin", given: []Event{reviewOpened()}, by: by.PoliceAdmin, when: sign, code: ENOTFOUND},
		{name: "unopened", by: by.PoliceCoord, when: sign, code: ENOTFOUND},
		{name: "completed", given: append(allBut(Actor{}), ReviewCompleted{}), by: by.PoliceCoord, when: object, code: ECONFLICT, msg: "complete"},
	})
}

func TestReviewFindings(t *testing.T) {
	aud := reviewedAudience()
	finding := RecordReviewFinding{FindingID: "f1", Kind: FindingKindLesson, Text: "Rút ngắn thời gian xác nhận", Incident: aud}
	with := func(m func(*RecordReviewFinding)) RecordReviewFinding { c := finding; m(&c); return c }
	period := ReviewOpened{ReviewID: "r1", Title: "Quý 2", PeriodFrom: incEarlier.Add(-time.Hour), PeriodTo: incEarlier, Pin: testPin(),
		Signers: []string{"police", "subcommittee"}, Stamp: Stamp{By: by.SubReviewer, At: incEarlier}}
	runReviewCases(t, []reviewCase{
		{name: "a lesson at the incident's TLP", given: []Event{reviewOpened()}, by: by.SubReviewer, when: finding,
			then: []Event{ReviewFindingRecorded{FindingID: "f1", Kind: FindingKindLesson, Text: "Rút ngắn thời gian xác nhận", TLP: TLPAmber, Stamp: Stamp{By: by.SubReviewer, At: incNow}}}},
		{name: "a stricter finding", given: []Event{reviewOpened()}, by: by.PoliceCoord, when: with(func(c *RecordReviewFinding) { c.Kind, c.TLP = FindingKindFinding, TLPRed }),
			then: []Event{ReviewFindingRecorded{FindingID: "f1", Kind: FindingKindFinding, Text: "Rút ngắn thời gian xác nhận", TLP: TLPRed, Stamp: Stamp{By: by.PoliceCoord, At: incNow}}}},
		{name: "less restricted than the incident", given: []Event{reviewOpened()}, by: by.SubReviewer, when: with(func(c *RecordReviewFinding) { c.TLP = TLPGreen }), code: EINVALID},
		{name: "unknown kind", given: []Event{reviewOpened()}, by: by.SubReviewer, when: with(func(c *RecordReviewFinding) { c.Kind = "GOSSIP" }), code: EINVALID},
		{name: "no text", given: []Event{reviewOpened()}, by: by.SubReviewer, when: with(func(c *RecordReviewFinding) { c.Text = "" }), code: EINVALID},
		{name: "text too long", given: []Event{reviewOpened()}, by: by.SubReviewer, when: with(func(c *RecordReviewFinding) { c.Text = strings.Repeat("x", 20001) }), code: ETOOLARGE},
		{name: "twice", given: []Event{reviewOpened(), ReviewFindingRecorded{FindingID: "f1"}}, by: by.SubReviewer, when: finding, code: ECONFLICT},
		{name: "outsider", given: []Event{reviewOpened()}, by: by.VNCERTPartner, when: finding, code: ENOTFOUND},
		{name: "period review: AMBER by default", given: []Event{period}, by: by.SubReviewer, when: with(func(c *RecordReviewFinding) { c.Incident = nil }),
			then: []Event{ReviewFindingRecorded{FindingID: "f1", Kind: FindingKindLesson, Text: "Rút ngắn thời gian xác nhận", TLP: TLPAmber, Stamp: Stamp{By: by.SubReviewer, At: incNow}}}},
		{name: "period review: no RED", given: []Event{period}, by: by.SubReviewer, when: with(func(c *RecordReviewFinding) { c.Incident, c.TLP = nil, TLPRed }), code: EINVALID},
		{name: "period review: a non-signer force", given: []Event{period}, by: by.MilitaryCoord, when: with(func(c *RecordReviewFinding) { c.Incident = nil }), code: ENOTFOUND},
	})
}

func TestReviewAccess(t *testing.T) {
	is := is.New(t)
	cfg := testConfig(t)
	signers := cfg.ReviewSigners()
	is.Equal(signers, []string{"police", "military", "dic", "propaganda", "subcommittee"}) // the default signers
	aud := reviewedAudience()
	is.True(CanReadReview(by.SubReviewer, signers, aud, cfg))                                                         // the subcommittee
	is.True(CanReadReview(by.PoliceResp, signers, aud, cfg))                                                          // a signer's responder reads
	is.True(!CanReadReview(by.CertCoord, signers, aud, cfg))                                                          // not a signer
	is.True(!CanReadReview(by.PoliceAdmin, signers, aud, cfg))                                                        // admins read no review
	is.True(!CanReadReview(by.PropagandaCoord, signers, reviewedAudience(func(a *Audience) { a.Shared = nil }), cfg)) // TLP: a signer outside the AMBER audience
	is.True(CanReadReview(by.PropagandaCoord, signers, nil, cfg))                                                     // a period review is for the review's circle
	red := reviewedAudience(func(a *Audience) { a.TLP, a.Recipients = TLPRed, []string{"subcommittee/hai"} })
	is.True(CanReadReview(by.SubReviewer, signers, red, cfg))                                         // named at RED
	is.True(!CanReadReview(by.SubCoord, signers, red, cfg))                                           // not named at RED
	is.True(!CanReadFinding(by.PoliceResp, aud, ReviewFinding{TLP: TLPRed, By: by.PoliceCoord}, cfg)) // a RED finding for the named
	is.True(CanReadFinding(by.PoliceCoord, aud, ReviewFinding{TLP: TLPRed, By: by.PoliceCoord}, cfg)) // and its author
	cfg.Review.Openers = []string{"police"}
	is.True(cfg.IsReviewOpener("police") && !cfg.IsReviewOpener("subcommittee")) // openers from the configuration
}

func TestReviewConfigProblems(t *testing.T) {
	is := is.New(t)
	cfg := testConfig(t)
	cfg.Review = ReviewSettings{Signers: []string{"police", "nowhere", "police"}, Openers: []string{"ghost"}}
	err := cfg.Validate()
	is.Equal(ErrorCode(err), EINVALID) // refused
	for _, want := range []string{`review.openers[0]: unknown organisation "ghost"`, `review.signers[1]: unknown organisation "nowhere"`, `review.signers[2]: "police" is listed twice`} {
		is.True(strings.Contains(ErrorMessage(err), want)) // names the field
	}
}
