package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Limits of one operation.
const (
	maxComplexity = 1000
	maxDepth      = 12
	// pingInterval is how often a graphql-transport-ws socket is pinged; a client that does not
	// answer within two intervals is disconnected.
	pingInterval = 10 * time.Second
	// readYourWrites bounds how long a mutation or a minSequence query waits for the read models.
	readYourWrites = 5 * time.Second
)

func (s *Server) newHandler() *handler.Server {
	cfg := Config{Resolvers: &Resolver{s: s}}
	setComplexity(&cfg.Complexity)
	h := handler.New(NewExecutableSchema(cfg))
	readLimit := s.maxBody
	h.AddTransport(transport.Websocket{
		Implementation:   wsImplementation{s: s},
		InitFunc:         s.wsInit,
		InitTimeout:      10 * time.Second,
		PingPongInterval: pingInterval,
		// Used by gqlgen only for the legacy graphql-ws protocol (a client naming no
		// subprotocol); graphql-transport-ws uses PingPongInterval.
		KeepAlivePingInterval: pingInterval,
		PayloadReadLimit:      &readLimit,
		ErrorFunc: func(_ context.Context, err error) {
			s.log.Debug("websocket", "err", err)
		},
	})
	h.AddTransport(transport.GET{})
	h.AddTransport(transport.POST{})
	queries := smallOnly[*ast.QueryDocument]{lru.New[*ast.QueryDocument](1000)}
	h.SetQueryCache(queries)
	h.SetParserTokenLimit(maxTokens)
	// The request budget (budget.go) measures the document before anything else looks at it:
	// before a persisted query is stored and before gqlgen validates it.
	h.Use(documentBudget{cache: queries})
	h.Use(extension.Introspection{})
	h.Use(persistedQueries{extension.AutomaticPersistedQuery{Cache: smallOnly[string]{lru.New[string](100)}}})
	h.Use(getReadsOnly{})
	h.Use(complexityLimit{extension.FixedComplexityLimit(maxComplexity)})
	h.Use(timeTravelLimit{})
	h.AroundOperations(s.limitTimeTravel)
	h.AroundFields(s.mutationMinSequence)
	h.SetErrorPresenter(s.presentError)
	h.SetRecoverFunc(s.recoverPanic)
	h.AroundResponses(s.observe)
	h.AroundResponses(boundErrors)
	return h
}

// maxCachedQuery is the longest query the query cache and the persisted-query cache keep: a
// parsed document costs many times its text, and a thousand of the largest would hold
// gigabytes. Longer queries still run; they are parsed each time.
const maxCachedQuery = 16 << 10

// smallOnly is a cache that does not keep long queries.
type smallOnly[T any] struct{ graphql.Cache[T] }

func (c smallOnly[T]) Add(ctx context.Context, query string, v T) {
	if len(query) <= maxCachedQuery {
		c.Cache.Add(ctx, query, v)
	}
}

// persistedQueries is gqlgen's automatic persisted queries with coded errors: a client that
// sends a malformed persistedQuery extension gets INVALID and a sentence, and nothing is
// logged (gqlgen gives those errors no code, which the presenter would take for INTERNAL).
type persistedQueries struct {
	extension.AutomaticPersistedQuery
}

func (p persistedQueries) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	err := p.AutomaticPersistedQuery.MutateOperationParameters(ctx, raw)
	if err != nil {
		if code, _ := err.Extensions["code"].(string); code == "" {
			err.Message = "persisted query: " + err.Message + `; send extensions.persistedQuery as {"version": 1, "sha256Hash": "<hex SHA-256 of the query>"}`
			errcode.Set(err, domain.EINVALID)
		}
	}
	return err
}

// getReadsOnly refuses mutations and subscriptions sent with GET, which may only read (GraphQL
// over HTTP): INVALID, HTTP 405 with Allow: POST. gqlgen would refuse them too, with no code.
type getReadsOnly struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = getReadsOnly{}

func (getReadsOnly) ExtensionName() string                          { return "GetReadsOnly" }
func (getReadsOnly) Validate(schema graphql.ExecutableSchema) error { return nil }

func (getReadsOnly) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	w, _ := ctx.Value(responseKey{}).(*statusWriter)
	if w == nil || w.method != http.MethodGet || oc.Operation == nil || oc.Operation.Operation == ast.Query {
		return nil
	}
	setHTTPStatus(ctx, http.StatusMethodNotAllowed, "Allow", "POST")
	return budgetError(domain.EINVALID, "a %s cannot be sent with GET: send it with POST (subscriptions over the websocket)", oc.Operation.Operation)
}

// statusWriter lets the limits that run inside gqlgen choose the HTTP status of the answer
// (429 with Retry-After, 405 with Allow), where gqlgen's transports would write 200 or 422.
type statusWriter struct {
	http.ResponseWriter
	method      string
	status      int // chosen by setHTTPStatus; 0 = gqlgen's
	wroteHeader bool
}

type responseKey struct{}

func (w *statusWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if w.status != 0 {
		code = w.status
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// setHTTPStatus makes an HTTP request's answer carry status and one header; it does nothing on
// a websocket.
func setHTTPStatus(ctx context.Context, status int, header, value string) {
	if w, _ := ctx.Value(responseKey{}).(*statusWriter); w != nil {
		w.status = status
		w.Header().Set(header, value)
	}
}

// ServeHTTP serves /graphql: POST and GET queries with a bearer token, and websocket upgrades
// (graphql-transport-ws) that authenticate in connection_init.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") != "" {
		s.serveWebsocket(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST")
		s.httpError(w, http.StatusMethodNotAllowed, domain.Errorf(domain.EINVALID, "use POST (or GET for queries) on /graphql"))
		return
	}
	sess, err := s.authenticate(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="dieuphoi"`)
		s.httpError(w, http.StatusUnauthorized, err)
		return
	}
	if r.Method == http.MethodPost {
		if status, err := s.readBody(r); err != nil {
			s.httpError(w, status, err)
			return
		}
	}
	sw := &statusWriter{ResponseWriter: w, method: r.Method}
	ctx := context.WithValue(withSession(r.Context(), sess), responseKey{}, sw)
	s.gql.ServeHTTP(sw, r.WithContext(ctx))
}

// readBody reads a POST body under the size cap and checks that it is a GraphQL request in
// JSON, so that gqlgen never echoes a broken body back; r.Body is replaced by what was read.
func (s *Server) readBody(r *http.Request) (int, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return http.StatusUnsupportedMediaType, domain.Errorf(domain.EINVALID, "send the request as Content-Type: application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return http.StatusRequestEntityTooLarge, domain.Errorf(domain.ETOOLARGE, "the request body is larger than %d bytes", s.maxBody)
		}
		return http.StatusBadRequest, domain.Errorf(domain.EINVALID, "the request body could not be read")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
		Extensions    map[string]any `json:"extensions"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return http.StatusBadRequest, domain.Errorf(domain.EINVALID, "the request body is not a GraphQL request in JSON ({\"query\": ..., \"variables\": {...}}): %s", jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return http.StatusBadRequest, domain.Errorf(domain.EINVALID, "the request body has data after the JSON object")
	}
	return 0, nil
}

func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "malformed JSON at byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.As(err, &typ):
		return "field \"" + typ.Field + "\" must not be a JSON " + typ.Value
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the document is empty or cut short"
	}
	return "it does not decode"
}

// httpError answers a request that never reached GraphQL execution, in GraphQL's error shape.
func (s *Server) httpError(w http.ResponseWriter, status int, err error) {
	code := domain.ErrorCode(err)
	s.metrics.count(code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{{
		Message: domain.ErrorMessage(err), Extensions: map[string]any{"code": code}}}})
	w.Write(b)
}

// Close ends every websocket and so every subscription (shutdown): clients are told with close
// code 1001 and resume elsewhere with since. It waits a little for the handlers to finish.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	socks := make([]*socket, 0, len(s.sockets))
	for st := range s.sockets {
		socks = append(socks, st)
	}
	s.mu.Unlock()
	for _, st := range socks {
		st.end(closeGoingAway, "the service is shutting down; reconnect and resume with since")
	}
	done := make(chan struct{})
	go func() { s.running.Wait(); close(done) }()
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Warn("graph: websockets still closing at shutdown")
	}
}
