package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
	"github.com/dieuphoi/dieuphoi/projections"
)

func init() {
	// Operations refused before they run are protocol errors: HTTP 422, like validation
	// failures, and an error message (not next) on a websocket. The kind applies to errors
	// returned before execution only: a resolver's INVALID still answers 200 with data.
	for _, code := range []string{codeTooDeep, codeTooComplex, domain.ETOOLARGE, domain.EINVALID} {
		errcode.RegisterErrorType(code, errcode.KindProtocol)
	}
}

// complexityLimit is gqlgen's FixedComplexityLimit with the API's own error code.
type complexityLimit struct{ *extension.ComplexityLimit }

func (c complexityLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	err := c.ComplexityLimit.MutateOperationContext(ctx, opCtx)
	if err != nil {
		err.Message = "the query is too complex (" + err.Message + "): ask for fewer fields or a smaller page"
		errcode.Set(err, codeTooComplex)
	}
	return err
}

// Complexity of list fields: a list costs its elements' fields times a typical length, so that
// a page of the board or a long timeline with everything in it is refused while ordinary
// queries pass. Other fields cost 1 plus their children (gqlgen's default).
const (
	perIncidentList = 5  // notes, indicators, escalations, handoffs of one incident
	perLongList     = 10 // timeline entries, queue items
)

func setComplexity(c *ComplexityRoot) {
	list := func(n int) func(int) int { return func(child int) int { return 1 + child*n } }
	c.Incident.Notes = list(perIncidentList)
	c.Incident.Indicators = list(perIncidentList)
	c.Incident.Escalations = list(perIncidentList)
	c.Incident.Handoffs = list(perIncidentList)
	c.QueueChange.Items = list(perLongList)
	c.Query.Board = func(child int, _ *model.BoardFilter, _ *projections.BoardSort, first *int, _ *string, _ *time.Time, _ *uint64) int {
		n := 50
		if first != nil {
			n = max(*first, 1)
		}
		return 1 + child*((n+9)/10) // a tenth of the page: 50 summaries are cheap, 500 full incidents are not
	}
	c.Query.Timeline = func(child int, _ string, _ *time.Time, _ *uint64) int { return 1 + child*perLongList }
	c.Query.EscalationQueue = func(child int, _ *bool, _ *uint64) int { return 1 + child*perLongList }
	c.Query.HandoffInbox = func(child int, _ *uint64) int { return 1 + child*perLongList }
	setReviewComplexity(c)
}

// Time travel (asOf) rebuilds read models from the log: board(asOf:) reads the whole log
// through an ordered consumer, incident(asOf:) and timeline(asOf:) read one incident's commits
// by direct get. Aliases made each one a rebuild, so a request may ask for a few only, and one
// token may run only a few such requests at once on a replica.
const (
	maxLogRebuilds      = 1  // board(asOf:) fields in one request
	maxIncidentRebuilds = 10 // incident(asOf:) and timeline(asOf:) fields in one request
	// maxTimeTravelPerToken is how many requests with asOf one token may run at once on one
	// replica; more answer TOO_MANY_REQUESTS (HTTP 429 with Retry-After).
	maxTimeTravelPerToken = 2
)

const timeTravelExtension = "TimeTravel"

// timeTravelStats counts the asOf fields of an operation, as executed (aliases apart, fields
// merged by response name, @skip and @include applied).
type timeTravelStats struct{ log, incident int }

// timeTravelLimit refuses operations with more asOf fields than a request may run, before
// anything runs; it leaves the count in the operation's stats for limitTimeTravel.
type timeTravelLimit struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = timeTravelLimit{}

func (timeTravelLimit) ExtensionName() string                          { return timeTravelExtension }
func (timeTravelLimit) Validate(schema graphql.ExecutableSchema) error { return nil }

func (timeTravelLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return nil
	}
	var tt timeTravelStats
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
		switch f.Name { // reports rebuild as of an instant whether asOf is given or not (report.go)
		case "periodicReport":
			tt.log++
			continue
		case "incidentReport":
			tt.incident++
			continue
		}
		if f.ArgumentMap(oc.Variables)["asOf"] == nil {
			continue
		}
		switch f.Name {
		case "board":
			tt.log++
		case "incident", "timeline":
			tt.incident++
		}
	}
	switch {
	case tt.log > maxLogRebuilds:
		return budgetError(codeTooComplex, "the query asks for board(asOf:) %d times; a request may rebuild the whole log once: send one request per instant", tt.log)
	case tt.incident > maxIncidentRebuilds:
		return budgetError(codeTooComplex, "the query asks for incident(asOf:) or timeline(asOf:) %d times; the limit is %d a request", tt.incident, maxIncidentRebuilds)
	}
	if tt.log+tt.incident > 0 {
		oc.Stats.SetExtension(timeTravelExtension, &tt)
	}
	return nil
}

// tokenSlots counts the expensive requests each token runs on this replica.
type tokenSlots struct {
	mu      sync.Mutex
	running map[string]int
}

// acquire takes one of a token's max slots; release gives it back (once, however often it is
// called).
func (t *tokenSlots) acquire(token string, max int) (release func(), ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running == nil {
		t.running = map[string]int{}
	}
	if t.running[token] >= max {
		return nil, false
	}
	t.running[token]++
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			if t.running[token]--; t.running[token] <= 0 {
				delete(t.running, token)
			}
		})
	}, true
}

// limitTimeTravel is the operation middleware that holds one of the token's time-travel slots
// while an operation with asOf fields runs, or answers TOO_MANY_REQUESTS when all are taken.
// The count is per replica: it keeps one token from filling a replica's CPU and the stream's
// consumers, it is not a rate limit across the cluster.
func (s *Server) limitTimeTravel(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if _, ok := oc.Stats.GetExtension(timeTravelExtension).(*timeTravelStats); !ok {
		return next(ctx)
	}
	sess, err := sessionFrom(ctx)
	if err != nil {
		return next(ctx) // the resolvers answer UNAUTHENTICATED
	}
	release, ok := s.timeTravel.acquire(sess.claims.TokenID, maxTimeTravelPerToken)
	if !ok {
		setHTTPStatus(ctx, http.StatusTooManyRequests, "Retry-After", "1")
		s.metrics.count(codeTooManyRequests)
		err := budgetError(codeTooManyRequests, "this token already runs %d queries with asOf on this server: wait for one to finish, then try again", maxTimeTravelPerToken)
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{err}})
	}
	stop := context.AfterFunc(ctx, release) // a response never asked for still frees the slot
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		defer func() { stop(); release() }()
		return h(ctx)
	}
}

// A response carries at most maxErrors errors and maxErrorBytes of them: the rest are replaced
// by one TOO_LARGE error that says how many were left out.
const (
	maxErrors     = 100
	maxErrorBytes = 1 << 20
)

// boundErrors is the response middleware that enforces that bound.
func boundErrors(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || len(resp.Errors) == 0 {
		return resp
	}
	size, keep := 0, 0
	for _, e := range resp.Errors {
		if keep == maxErrors-1 && len(resp.Errors) > maxErrors {
			break
		}
		b, _ := json.Marshal(e)
		if size+len(b) > maxErrorBytes-512 { // room for the closing error
			break
		}
		size += len(b)
		keep++
	}
	if keep == len(resp.Errors) {
		return resp
	}
	left := len(resp.Errors) - keep
	errs := append(resp.Errors[:keep:keep], budgetError(domain.ETOOLARGE,
		"%d more errors were left out: a response carries at most %d errors and %d bytes of them", left, maxErrors, maxErrorBytes))
	out := *resp
	out.Errors = errs
	return &out
}
