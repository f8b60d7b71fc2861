package graph

import (
	"context"
	"time"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
	"github.com/dieuphoi/dieuphoi/projections"
)

// reviewAfter returns a review as the actor sees it after a command recorded at seq.
func (s *Server) reviewAfter(a domain.Actor, id string, seq uint64) (*model.ReviewPayload, error) {
	v, err := s.projector.Reviews.Review(a, id)
	if err != nil {
		return nil, domain.Errorf(domain.ENOTFOUND, "the change was recorded (sequence %d), but you can no longer see review %q", seq, id)
	}
	return &model.ReviewPayload{Review: &v, Sequence: seq}, nil
}

// reviewResult waits for this replica's read models after a review command (the application
// waited already, except for a retry answered from the log) and returns the review.
func (s *Server) reviewResult(ctx context.Context, a domain.Actor, id string, res app.Result, err error) (*model.ReviewPayload, error) {
	if err != nil {
		return nil, err
	}
	if err := s.waitApplied(ctx, res.Sequence); err != nil {
		return nil, err
	}
	return s.reviewAfter(a, id, res.Sequence)
}

func (s *Server) openReview(ctx context.Context, in model.OpenReviewInput) (*model.ReviewPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	req := app.OpenReviewRequest{Actor: a, CommandID: deref(in.CommandID), Title: in.Title, IncidentID: deref(in.IncidentID)}
	if in.PeriodFrom != nil {
		req.PeriodFrom = *in.PeriodFrom
	}
	if in.PeriodTo != nil {
		req.PeriodTo = *in.PeriodTo
	}
	res, id, err := s.reviews.Open(ctx, req)
	return s.reviewResult(ctx, a, id, res, err)
}

func (s *Server) decideReview(ctx context.Context, in model.ReviewDecisionInput, signOff bool) (*model.ReviewPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.reviews.Decide(ctx, a, in.ReviewID, deref(in.CommandID), signOff, deref(in.Comment))
	return s.reviewResult(ctx, a, in.ReviewID, res, err)
}

func (s *Server) recordReviewFinding(ctx context.Context, in model.RecordReviewFindingInput) (*model.ReviewPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	c := domain.RecordReviewFinding{Kind: string(in.Kind), Text: in.Text, TLP: deref(in.Tlp)}
	res, err := s.reviews.RecordFinding(ctx, a, in.ReviewID, deref(in.CommandID), c)
	return s.reviewResult(ctx, a, in.ReviewID, res, err)
}

func (s *Server) review(ctx context.Context, id string, minSeq *uint64) (*projections.ReviewView, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.minSequence(ctx, minSeq); err != nil {
		return nil, err
	}
	v, err := s.projector.Reviews.Review(a, id)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func (s *Server) reviewList(ctx context.Context, incidentID *string, minSeq *uint64) ([]*projections.ReviewView, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.minSequence(ctx, minSeq); err != nil {
		return nil, err
	}
	return orEmpty(pointers(s.projector.Reviews.List(a, deref(incidentID)))), nil
}

// maxReviewIncidents caps the incidents of a period review one request builds.
const maxReviewIncidents = 500

// reviewIncidents lists the incidents a review is about that the reader may read now: the
// first of a period's, in the order they were opened.
func (s *Server) reviewIncidents(ctx context.Context, v *projections.ReviewView, first *int) ([]*projections.IncidentDetail, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	n := 100
	if first != nil {
		if n = *first; n < 1 || n > maxReviewIncidents {
			return nil, domain.Errorf(domain.EINVALID, "first must be between 1 and %d", maxReviewIncidents)
		}
	}
	now := s.now()
	var out []*projections.IncidentDetail
	if v.IncidentID != "" {
		if d, err := s.projector.Incidents.Incident(a, v.IncidentID, now); err == nil {
			out = append(out, &d)
		}
		return orEmpty(out), nil
	}
	sums := s.projector.Incidents.PeriodIncidents(a, *v.PeriodFrom, *v.PeriodTo)
	for _, sum := range sums[:min(n, len(sums))] {
		if d, err := s.projector.Incidents.Incident(a, sum.ID, now); err == nil {
			out = append(out, &d)
		}
	}
	return orEmpty(out), nil
}

// reviewEvidence lists the reviewed incident's evidence with custody, as the reader may see it.
func (s *Server) reviewEvidence(ctx context.Context, v *projections.ReviewView) ([]*domain.Evidence, error) {
	if v.IncidentID == "" {
		return []*domain.Evidence{}, nil
	}
	return s.evidenceList(ctx, v.IncidentID, nil)
}

// reviewKnowledge is who knew what when over the history the review is pinned to.
func (s *Server) reviewKnowledge(ctx context.Context, v *projections.ReviewView) (*projections.Knowledge, error) {
	if v.IncidentID == "" {
		return nil, nil
	}
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	k, err := s.projector.Incidents.WhoKnewWhat(a, v.IncidentID, time.Time{}, v.Pin.IncidentSequence)
	if err != nil {
		return nil, nil // out of the reader's sight since: the review says nothing more
	}
	return &k, nil
}

func (s *Server) whoKnewWhat(ctx context.Context, incidentID string, asOf *time.Time, minSeq *uint64) (*projections.Knowledge, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.asOf(asOf); err != nil {
		return nil, err
	}
	if err := s.minSequence(ctx, minSeq); err != nil {
		return nil, err
	}
	k, err := s.projector.Incidents.WhoKnewWhat(a, incidentID, deref(asOf), 0)
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// reviewChanged feeds the changes to the reviews the caller may see.
func (s *Server) reviewChanged(ctx context.Context, reviewID *string, since *uint64) (<-chan *model.ReviewChange, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if ctx.Value(socketKey) == nil {
		return nil, domain.Errorf(domain.EINVALID, "subscriptions are served over a websocket (graphql-transport-ws) on /graphql")
	}
	sub, err := s.projector.Reviews.Subscribe(a, deref(reviewID), deref(since), s.subBuffer)
	if err != nil {
		return nil, err
	}
	return pump(ctx, s, sub, func(c *projections.ReviewChange) uint64 { return c.Sequence }, func(c *projections.ReviewChange) *model.ReviewChange {
		types := orEmpty(c.Types)
		if c.Outdated {
			types = []string{}
		}
		return &model.ReviewChange{Sequence: c.Sequence, ReviewID: c.ReviewID, Types: types, Outdated: c.Outdated}
	}), nil
}

// changeReview resolves the review of a feed message when selected: as the caller sees it now,
// null when it left the caller's sight.
func (s *Server) changeReview(ctx context.Context, id string) (*projections.ReviewView, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.projector.Reviews.Review(a, id)
	if err != nil {
		return nil, nil
	}
	return &v, nil
}

// evidenceList lists an incident's evidence files the caller may see.
func (s *Server) evidenceList(ctx context.Context, incidentID string, minSeq *uint64) ([]*domain.Evidence, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.minSequence(ctx, minSeq); err != nil {
		return nil, err
	}
	list, err := s.projector.Incidents.Evidence(a, incidentID)
	if err != nil {
		return nil, err
	}
	return orEmpty(pointers(list)), nil
}

// transferEvidenceCustody hands a file on; its incident is found among those the caller may read
// (catching up once with the log, for a file uploaded through another replica a moment ago).
func (s *Server) transferEvidenceCustody(ctx context.Context, in model.TransferEvidenceCustodyInput) (*model.EvidencePayload, error) {
	find := func(a domain.Actor, id string) (string, error) {
		_, inc, err := s.projector.Incidents.EvidenceFile(a, id)
		return inc, err
	}
	incID, err := s.incidentOf(ctx, find, in.EvidenceID)
	if err != nil {
		return nil, err
	}
	c := domain.TransferCustody{EvidenceID: in.EvidenceID, To: in.To, Reason: in.Reason}
	res, a, err := s.execute(ctx, command{id: incID, commandID: in.CommandID, cmd: c})
	if err != nil {
		return nil, err
	}
	ev, _, err := s.projector.Incidents.EvidenceFile(a, in.EvidenceID)
	if err != nil {
		return nil, domain.Errorf(domain.ENOTFOUND, "the hand-over was recorded (sequence %d), but you can no longer see evidence %q", res.Sequence, in.EvidenceID)
	}
	return &model.EvidencePayload{Evidence: &ev, Sequence: res.Sequence}, nil
}

// EvidencePath is where an evidence file is downloaded (GET, with the bearer token).
func EvidencePath(id string) string { return "/api/v1/evidence/" + id }

// optionalTime is nil for the zero time.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// orgName is an organisation's name in Vietnamese or English; the slug when unknown.
func (s *Server) orgName(slug string, vi bool) string {
	o, ok := s.cfg.Org(slug)
	switch {
	case !ok:
		return slug
	case vi:
		return o.NameVi
	}
	return o.NameEn
}

// setReviewComplexity gives the lists of reviews, evidence and who-knew-what their typical
// lengths, as setComplexity does for the incident's.
func setReviewComplexity(c *ComplexityRoot) {
	list := func(n int) func(int) int { return func(child int) int { return 1 + child*n } }
	c.Incident.Evidence = list(perIncidentList)
	c.Evidence.Custody, c.Evidence.Downloads = list(perIncidentList), list(perIncidentList)
	c.Review.History, c.Review.Decisions = list(perIncidentList), list(perIncidentList)
	c.Review.Findings, c.Review.Signatures = list(perIncidentList), list(perIncidentList)
	c.Review.Evidence = list(perIncidentList)
	c.Review.Incidents = func(child int, first *int) int { return 1 + child*((max(deref(first), 1)+9)/10) } // as board(first:)
	c.WhoKnewWhat.Orgs = list(perIncidentList)
	c.OrgKnowledge.Access, c.OrgKnowledge.Requests = list(perIncidentList), list(perIncidentList)
	c.OrgKnowledge.Recorded = list(perLongList)
	c.Query.Reviews = func(child int, _ *string, _ *uint64) int { return 1 + child*perLongList }
	c.Query.Evidence = func(child int, _ string, _ *uint64) int { return 1 + child*perIncidentList }
}
