package app

import (
	"context"
	"errors"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// pinWait bounds how long opening a review waits for a signed checkpoint covering the incident's
// last change (the checkpointer signs one within a second of a commit).
const pinWait = 5 * time.Second

// Reviews opens reviews pinned to a signed checkpoint of the event log and records decisions and
// findings. The incident's audience, which the domain decides access with, comes from the log,
// never from the client.
type Reviews struct {
	app   *App
	store *eventstore.Store
}

// NewReviews returns the reviews over the event log.
func NewReviews(a *App, events *eventstore.Store) *Reviews { return &Reviews{app: a, store: events} }

// OpenReviewRequest is a review to open: of one incident, or of the incidents opened in a period.
type OpenReviewRequest struct {
	Actor      domain.Actor
	CommandID  string
	Title      string
	IncidentID string
	PeriodFrom time.Time
	PeriodTo   time.Time
}

// Open opens a review and returns its id. A review of an incident is pinned to the latest signed
// checkpoint once it covers the incident's last change (ECONFLICT if none does within a few
// seconds); a review of a period to the latest checkpoint.
func (r *Reviews) Open(ctx context.Context, req OpenReviewRequest) (Result, string, error) {
	id := DerivedID(req.Actor, req.CommandID, "review")
	cmd := domain.OpenReview{Title: req.Title, IncidentID: req.IncidentID, PeriodFrom: req.PeriodFrom, PeriodTo: req.PeriodTo}
	var err error
	if req.IncidentID != "" {
		cmd.Pin, cmd.Incident, err = r.pinIncident(ctx, req.Actor, req.IncidentID)
	} else {
		cmd.Pin, err = r.pin(ctx, 0)
	}
	if err != nil {
		return Result{}, "", err
	}
	res, err := r.app.Execute(ctx, Request{Actor: req.Actor, AggregateID: id, Command: cmd, CommandID: req.CommandID})
	return res, id, err
}

// pin waits for a signed checkpoint covering the log up to seq and returns it as a pin.
func (r *Reviews) pin(ctx context.Context, seq uint64) (domain.ReviewPin, error) {
	wctx, cancel := context.WithTimeout(ctx, pinWait)
	defer cancel()
	for {
		cp, err := r.store.LatestCheckpoint(wctx)
		if err == nil && uint64(cp.Size) >= seq && cp.Size > 0 {
			return domain.ReviewPin{Origin: cp.Origin, TreeSize: cp.Size, RootHash: cp.Root.String(), Checkpoint: cp.Text}, nil
		}
		if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
			return domain.ReviewPin{}, err
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return domain.ReviewPin{}, ctx.Err()
			}
			return domain.ReviewPin{}, domain.Errorf(domain.ECONFLICT, "no signed checkpoint covers the log up to sequence %d yet; try again in a few seconds", seq)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// pinIncident pins a review of an incident: the latest checkpoint covering its last change, and
// its last commit within that checkpoint; with the incident's audience now. For an incident the
// actor may not read (or that does not exist) nothing is awaited: any checkpoint will do, since
// the domain refuses the command the same way for both.
func (r *Reviews) pinIncident(ctx context.Context, a domain.Actor, id string) (domain.ReviewPin, *domain.Audience, error) {
	aud, err := r.audience(ctx, id)
	if err != nil {
		return domain.ReviewPin{}, nil, err
	}
	if !domain.CanRead(a, *aud, r.app.Config()) {
		p, err := r.pin(ctx, 0)
		p.IncidentSequence, p.IncidentVersion = 1, 1
		return p, aud, err
	}
	commits, err := r.store.LoadCommits(ctx, "incident", id, 1, 0)
	if err != nil {
		return domain.ReviewPin{}, nil, err
	}
	last := commits[len(commits)-1]
	p, err := r.pin(ctx, last.Sequence)
	if err != nil {
		return p, nil, err
	}
	// The incident may have moved on while the checkpoint was awaited: its commits up to the
	// checkpoint are what is pinned.
	if more, err := r.store.LoadCommits(ctx, "incident", id, last.Sequence+1, uint64(p.TreeSize)); err == nil && len(more) > 0 {
		last = more[len(more)-1]
	}
	p.IncidentSequence, p.IncidentVersion = last.Sequence, int(last.Version)
	return p, aud, nil
}

// audience is an incident's audience now, from the log; an empty one when it does not exist.
func (r *Reviews) audience(ctx context.Context, id string) (*domain.Audience, error) {
	agg, err := r.app.Load(ctx, "incident", id, 0)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND || domain.ErrorCode(err) == domain.EINVALID {
			return &domain.Audience{}, nil
		}
		return nil, err
	}
	inc, ok := agg.(*domain.Incident)
	if !ok || inc.Status == "" {
		return &domain.Audience{}, nil
	}
	aud := inc.Audience()
	return &aud, nil
}

// reviewAudience loads a review and, for a review of an incident, the incident's audience now.
func (r *Reviews) reviewAudience(ctx context.Context, reviewID string) (*domain.Audience, error) {
	agg, err := r.app.Load(ctx, "review", reviewID, 0)
	if err != nil {
		if c := domain.ErrorCode(err); c == domain.ENOTFOUND || c == domain.EINVALID {
			return nil, domain.Errorf(domain.ENOTFOUND, "review %q not found", reviewID)
		}
		return nil, err
	}
	rev, ok := agg.(*domain.Review)
	if !ok {
		return nil, errors.New("review: wrong aggregate type")
	}
	if rev.IncidentID == "" {
		return nil, nil
	}
	return r.audience(ctx, rev.IncidentID)
}

// Decide records a sign-off (signOff) or an objection of the actor's organisation.
func (r *Reviews) Decide(ctx context.Context, a domain.Actor, reviewID, commandID string, signOff bool, comment string) (Result, error) {
	aud, err := r.reviewAudience(ctx, reviewID)
	if err != nil {
		return Result{}, err
	}
	var cmd domain.Command = domain.ObjectToReview{Comment: comment, Incident: aud}
	if signOff {
		cmd = domain.SignOffReview{Comment: comment, Incident: aud}
	}
	return r.app.Execute(ctx, Request{Actor: a, AggregateID: reviewID, Command: cmd, CommandID: commandID})
}

// RecordFinding records a finding or lesson learned on a review.
func (r *Reviews) RecordFinding(ctx context.Context, a domain.Actor, reviewID, commandID string, c domain.RecordReviewFinding) (Result, error) {
	aud, err := r.reviewAudience(ctx, reviewID)
	if err != nil {
		return Result{}, err
	}
	c.Incident = aud
	if c.FindingID == "" {
		c.FindingID = DerivedID(a, commandID, "finding")
	}
	return r.app.Execute(ctx, Request{Actor: a, AggregateID: reviewID, Command: c, CommandID: commandID})
}
