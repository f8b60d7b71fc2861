package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/projections"
)

// The leak matrix's review and evidence paths: evidence metadata (list and lookup), downloads,
// who-knew-what-when, reviews (detail, list, findings, live feed) and period reviews. On the
// probe, the police alone open and sign reviews (so that a review exists at every TLP), and its
// opener adds two files: one at the incident's TLP, one labelled RED.
type leakReviewPaths struct {
	evidence *Evidence
	reviews  *Reviews
}

// leakReviewSetup makes the police the reviewers and only signer of the leak matrix's reviews and
// opens the evidence bucket.
func leakReviewSetup(t *testing.T, e *env) *leakReviewPaths {
	e.cfg.Review = domain.ReviewSettings{Openers: []string{"police"}, Signers: []string{"police"}}
	svc, _ := e.mustEvidence(t)
	return &leakReviewPaths{evidence: svc, reviews: NewReviews(e.app, e.store)}
}

// leakReviewProbe holds what was made on one probe.
type leakReviewProbe struct {
	paths            *leakReviewPaths
	incident, review string
	file, redFile    string
	redFileSeq       uint64 // the RED file's commit, which only the named may see
	from             time.Time
	feeds            map[domain.Actor]*projections.ReviewSubscription
}

// leakEvidence adds the probe's files, before its TLP changes.
func (p *leakReviewPaths) leakEvidence(t *testing.T, id string) *leakReviewProbe {
	is := is.New(t)
	ctx := context.Background()
	f, _, err := p.evidence.Upload(ctx, Upload{Actor: leakOpener, IncidentID: id, Name: "nhat-ky.log", SourceSystem: "máy chủ thư", Body: strings.NewReader("log " + id)})
	is.NoErr(err) // a file at the incident's TLP
	red, res, err := p.evidence.Upload(ctx, Upload{Actor: leakOpener, IncidentID: id, Name: "nguon.txt", SourceSystem: "nguồn mật", TLP: domain.TLPRed,
		Body: strings.NewReader("red " + id)})
	is.NoErr(err) // a file labelled RED
	return &leakReviewProbe{paths: p, incident: id, file: f.ID, redFile: red.ID, redFileSeq: res.Sequence, from: time.Now().Add(-time.Hour)}
}

// leakReview opens a review of the probe with a RED finding and subscribes every reader to the
// review feed; the sign-off that completes it comes after, so that the feeds receive it.
func (lp *leakReviewProbe) leakReview(t *testing.T, e *env) uint64 {
	is := is.New(t)
	ctx := context.Background()
	_, rid, err := lp.paths.reviews.Open(ctx, OpenReviewRequest{Actor: leakOpener, Title: "Rà soát " + lp.incident, IncidentID: lp.incident})
	is.NoErr(err) // the police open a review at every TLP
	lp.review = rid
	_, err = lp.paths.reviews.RecordFinding(ctx, leakOpener, rid, "", domain.RecordReviewFinding{Kind: domain.FindingKindFinding, Text: "nguồn tin mật", TLP: domain.TLPRed})
	is.NoErr(err)
	lp.feeds = map[domain.Actor]*projections.ReviewSubscription{}
	for _, r := range leakReaders {
		if s, err := e.proj.Reviews.Subscribe(r, "", 0, 64); err == nil {
			lp.feeds[r] = s
			t.Cleanup(s.Close)
		}
	}
	res, err := lp.paths.reviews.Decide(ctx, leakOpener, rid, "", true, "đồng ý")
	is.NoErr(err)
	return res.Sequence
}

// check runs the review and evidence paths for one reader: each answers iff the reader may see.
func (lp *leakReviewProbe) check(t *testing.T, e *env, r domain.Actor, want bool, hidden []uint64, signed uint64) {
	is := is.New(t)
	hidden = append(hidden, lp.redFileSeq)
	ctx := context.Background()

	// Evidence metadata: the list and the lookup, the RED file only for the named.
	list, err := e.proj.Incidents.Evidence(r, lp.incident)
	is.Equal(err == nil, want) // the list iff readable
	if err != nil {
		is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // as if absent
	}
	is.Equal(slices.ContainsFunc(list, func(x domain.Evidence) bool { return x.ID == lp.redFile }), want && named(r)) // RED file for the named
	if d, err := e.proj.Incidents.Incident(r, lp.incident, time.Now()); err == nil {
		is.Equal(slices.ContainsFunc(d.Evidence, func(x domain.Evidence) bool { return x.ID == lp.redFile }), named(r)) // the incident's evidence field likewise
		is.True(slices.ContainsFunc(d.Evidence, func(x domain.Evidence) bool { return x.ID == lp.file }))               // with the file at its TLP
	}
	_, _, err = e.proj.Incidents.EvidenceFile(r, lp.file)
	is.Equal(err == nil, want) // lookup iff readable
	_, _, err = e.proj.Incidents.EvidenceFile(r, lp.redFile)
	is.Equal(err == nil, want && named(r))

	// Downloads: served iff readable, the RED one to the named only; refused as NOT_FOUND.
	_, data, _, err := lp.paths.evidence.Download(ctx, r, lp.file, "")
	is.Equal(err == nil, want) // a download iff readable
	is.True(err != nil || strings.HasPrefix(string(data), "log "))
	if err != nil {
		is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // and nothing says it exists
	}
	_, _, _, err = lp.paths.evidence.Download(ctx, r, lp.redFile, "")
	is.Equal(err == nil, want && named(r))

	// Who knew what when: iff readable; nothing recorded out of the reader's sight.
	k, err := e.proj.Incidents.WhoKnewWhat(r, lp.incident, time.Time{}, 0)
	is.Equal(err == nil, want) // the view iff readable
	if err != nil {
		is.Equal(domain.ErrorCode(err), domain.ENOTFOUND)
	}
	for _, o := range k.Orgs {
		for _, en := range o.Recorded {
			is.True(named(r) || !slices.Contains(hidden, en.Sequence)) // no RED item for who may not read it
		}
	}

	// Reviews: the police's, iff it may read the incident too; the RED finding for the named.
	reviewer := r.Org == "police" && want
	v, err := e.proj.Reviews.Review(r, lp.review)
	is.Equal(err == nil, reviewer) // the review iff a reviewer or signer who reads the incident
	if err != nil {
		is.Equal(domain.ErrorCode(err), domain.ENOTFOUND)
	}
	is.Equal(len(v.Findings) == 1, reviewer && named(r))                                                                                  // the RED finding for the named only
	is.Equal(slices.ContainsFunc(e.proj.Reviews.List(r, ""), func(x projections.ReviewView) bool { return x.ID == lp.review }), reviewer) // listed likewise
	if s, ok := lp.feeds[r]; ok {
		var got []uint64
		for len(s.C) > 0 {
			c := <-s.C
			if c.ReviewID == lp.review {
				got = append(got, c.Sequence)
			}
		}
		is.Equal(slices.Contains(got, signed), reviewer) // the sign-off arrives live iff visible
	}
	_, err = lp.paths.reviews.Decide(ctx, r, lp.review, "", false, "x")
	is.True(err != nil) // complete, or not the reader's
	if !reviewer {
		is.Equal(domain.ErrorCode(err), domain.ENOTFOUND) // and for who may not see it, not found
	}

	// A period review's incidents: the probe iff readable.
	inPeriod := slices.ContainsFunc(e.proj.Incidents.PeriodIncidents(r, lp.from, time.Now()), func(s projections.IncidentSummary) bool { return s.ID == lp.incident })
	is.Equal(inPeriod, want) // listed in a period iff readable
}
