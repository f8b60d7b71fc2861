package graph_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph"
)

// TestReadYourWritesAcrossReplicas writes on one replica and reads on another with the
// mutation's sequence; a token issued a moment ago elsewhere is accepted.
func TestReadYourWritesAcrossReplicas(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t)
	other := e.MustReplica(t, nil)
	// Issued through the other replica's store, as the CLI in another process would.
	police := other.MustToken(t, "police", "an", domain.RoleCoordinator)

	id, seq := e.MustOpen(t, police, "DDoS cổng dịch vụ công", domain.TLPGreen)
	var got struct {
		Incident struct {
			ID       string `json:"id"`
			Sequence uint64 `json:"sequence"`
		} `json:"incident"`
	}
	other.MustPost(t, police, `query($id: ID!, $s: Sequence) { incident(id: $id, minSequence: $s) { id sequence } }`,
		map[string]any{"id": id, "s": seq}, &got)
	is.Equal(got.Incident.ID, id)        // the other replica has the write
	is.Equal(got.Incident.Sequence, seq) // as of the write

	// A numeric string is a Sequence too.
	var board struct {
		Board struct {
			TotalCount int `json:"totalCount"`
		} `json:"board"`
	}
	other.MustPost(t, police, `query($s: Sequence) { board(minSequence: $s) { totalCount } }`, map[string]any{"s": "1"}, &board)
	is.Equal(board.Board.TotalCount, 1) // the board has it

	r := other.Post(t, police, `query($s: Sequence) { board(minSequence: $s) { totalCount } }`, map[string]any{"s": seq + 1000})
	is.Equal(r.Code(), "INVALID") // a sequence beyond the log

	// Mutations take minSequence too: the escalation written on one replica is acknowledged on
	// the other, which waits for it; a sequence beyond the log is refused and writes nothing.
	dic := e.MustToken(t, "dic", "binh", domain.RoleCoordinator)
	var esc struct {
		EscalateIncident struct {
			Sequence   uint64              `json:"sequence"`
			Escalation struct{ ID string } `json:"escalation"`
		} `json:"escalateIncident"`
	}
	e.MustPost(t, police, `mutation($in: EscalateIncidentInput!) { escalateIncident(input: $in) { sequence escalation { id } } }`,
		map[string]any{"in": map[string]any{"incidentId": id, "toOrg": "dic", "reason": "cần hỗ trợ"}}, &esc)
	ack := `mutation($in: AcknowledgeEscalationInput!) { acknowledgeEscalation(input: $in) { sequence } }`
	last := e.MustLast(t)
	r = other.Post(t, dic, ack, map[string]any{"in": map[string]any{"escalationId": esc.EscalateIncident.Escalation.ID, "minSequence": last + 1000}})
	is.Equal(r.Code(), "INVALID") // beyond the log
	is.Equal(e.MustLast(t), last) // nothing written
	r = other.Post(t, dic, `mutation($in: DismissAlertsInput!) { dismissAlerts(input: $in) { alertSequence } }`,
		map[string]any{"in": map[string]any{"alertIds": []string{"x"}, "reason": "nhiễu", "minAlertSequence": 1 << 40}})
	is.Equal(r.Code(), "INVALID") // the alerts stream's too
	var acked struct {
		AcknowledgeEscalation struct{ Sequence uint64 } `json:"acknowledgeEscalation"`
	}
	other.MustPost(t, dic, ack, map[string]any{"in": map[string]any{"escalationId": esc.EscalateIncident.Escalation.ID, "minSequence": esc.EscalateIncident.Sequence}}, &acked)
	is.True(acked.AcknowledgeEscalation.Sequence > esc.EscalateIncident.Sequence) // acknowledged on the other replica
}

// TestStaleExpectedVersion refuses a write based on an old read and records nothing.
func TestStaleExpectedVersion(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	id, _ := e.MustOpen(t, police, "Lừa đảo qua email", domain.TLPAmber)
	phase := `mutation($in: ChangePhaseInput!) { changePhase(input: $in) { sequence incident { phase version } } }`
	var r struct {
		ChangePhase struct {
			Incident struct {
				Phase   string `json:"phase"`
				Version int    `json:"version"`
			} `json:"incident"`
		} `json:"changePhase"`
	}
	e.MustPost(t, police, phase, map[string]any{"in": map[string]any{"incidentId": id, "phase": "TRIAGE", "expectedVersion": 1}}, &r)
	is.Equal(r.ChangePhase.Incident.Version, 2) // two events now
	last := e.MustLast(t)
	res := e.Post(t, police, phase, map[string]any{"in": map[string]any{"incidentId": id, "phase": "CONTAINMENT", "expectedVersion": 1}})
	is.Equal(res.Code(), "CONFLICT")                              // the incident moved on since version 1
	is.Equal(e.MustLast(t), last)                                 // nothing recorded
	is.True(strings.Contains(res.Errors[0].Message, "version 2")) // says where it is
}

// TestBadInput: every bad request gets a clear error with a code and changes nothing.
func TestBadInput(t *testing.T) {
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	reviewer := e.MustToken(t, "police", "tu", domain.RoleReviewer)
	health := e.MustToken(t, "dept-health", "lan", domain.RoleResponder)
	id, _ := e.MustOpen(t, police, "Xâm nhập trái phép", domain.TLPAmber)
	revoked, revokedClaims := e.MustTokenAt(t, "police", "old", domain.RoleCoordinator, e.clock.Now(), 0)
	e.MustPost(t, revoked, `mutation($id: ID!) { revokeToken(input: {tokenId: $id, reason: "lost laptop"}) { sequence } }`,
		map[string]any{"id": revokedClaims.TokenID}, nil)
	expired, _ := e.MustTokenAt(t, "police", "late", domain.RoleCoordinator, e.clock.Now().Add(-2*time.Hour), time.Hour)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	forged := domain.SignToken(otherKey, domain.Claims{TokenID: "x", Org: "police", User: "an", Role: domain.RoleCoordinator,
		IssuedAt: time.Now().Unix(), ExpiresAt: time.Now().Add(time.Hour).Unix()})
	unknown := domain.SignToken(e.key, domain.Claims{TokenID: "never-issued", Org: "police", User: "an", Role: domain.RoleCoordinator,
		IssuedAt: time.Now().Unix(), ExpiresAt: time.Now().Add(time.Hour).Unix()})
	// An issued token re-signed with a longer life: the key signs it, the log says otherwise.
	_, shortClaims := e.MustTokenAt(t, "police", "short", domain.RoleCoordinator, e.clock.Now(), time.Hour)
	longer := shortClaims
	longer.ExpiresAt += int64(365 * 24 * time.Hour / time.Second)
	extended := domain.SignToken(e.key, longer)

	openQ := `mutation($in: OpenIncidentInput!) { openIncident(input: $in) { sequence } }`
	// 13 deep below __type (ofType chains do not count: see TestIntrospectionStandard).
	deep := `{ __type(name: "Incident") { ` + strings.Repeat("fields { type { ", 6) + "name" + strings.Repeat(" }", 14)
	deepFragments := `query { __type(name: "Incident") { ...F } }
		fragment F on __Type { fields { type { fields { type { ...T } } } } }
		fragment T on __Type { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } }`
	complex := `{ board(first: 500) { nodes { id title notes { id text author { user org role } } indicators { id value author { user } }
		escalations { id reason acknowledgedBy { user } } handoffs { id summary } } } }`
	withField := func(k string, v any) map[string]any {
		in := openInput("x", domain.TLPGreen)
		in[k] = v
		return map[string]any{"in": in}
	}
	big := append([]byte(`{"query": "{ me { user } }", "pad": "`), bytes.Repeat([]byte("a"), 1<<20)...)
	big = append(big, `"}`...)

	for _, c := range []struct {
		name   string
		token  string
		query  string
		vars   map[string]any
		raw    []byte // sent as is instead of query and vars
		status int
		code   string
	}{
		{name: "malformed JSON body", token: police, raw: []byte(`{"query": "{ me { user } }"`), status: 400, code: "INVALID"},
		{name: "body is not an object", token: police, raw: []byte(`["query"]`), status: 400, code: "INVALID"},
		{name: "parse error", token: police, query: `{ me { user }`, status: 422, code: "GRAPHQL_PARSE_FAILED"},
		{name: "unknown field", token: police, query: `{ me { user password } }`, status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "unknown input field", token: police, query: openQ, vars: withField("priority", 1), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "wrong enum value", token: police, query: openQ, vars: withField("severity", "HUGE"), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "wrong enum literal", token: police, query: `{ board(sort: BIGGEST) { totalCount } }`, status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "bad duration", token: police, query: `mutation($id: ID!) { escalateIncident(input: {incidentId: $id, toOrg: "dic", reason: "r", ackWithin: "soon"}) { sequence } }`,
			vars: map[string]any{"id": id}, status: 200, code: "INVALID"},
		{name: "bad time", token: police, query: openQ, vars: withField("detectedAt", "yesterday"), status: 200, code: "INVALID"},
		{name: "domain validation", token: police, query: openQ, vars: withField("type", "NO_SUCH_TYPE"), status: 200, code: "INVALID"},
		{name: "oversized body", token: police, raw: big, status: 413, code: "TOO_LARGE"},
		{name: "too deep", token: police, query: deep, status: 422, code: "QUERY_TOO_DEEP"},
		{name: "too deep through fragments", token: police, query: deepFragments, status: 422, code: "QUERY_TOO_DEEP"},
		{name: "too complex", token: police, query: complex, status: 422, code: "QUERY_TOO_COMPLEX"},
		{name: "missing token", query: `{ me { user } }`, status: 401, code: "UNAUTHENTICATED"},
		{name: "expired token", token: expired, query: `{ me { user } }`, status: 401, code: "UNAUTHENTICATED"},
		{name: "revoked token", token: revoked, query: `{ me { user } }`, status: 401, code: "UNAUTHENTICATED"},
		{name: "forged token", token: forged, query: `{ me { user } }`, status: 401, code: "UNAUTHENTICATED"},
		{name: "token never issued", token: unknown, query: `{ me { user } }`, status: 401, code: "UNAUTHENTICATED"},
		{name: "token with a life the log did not give it", token: extended, query: `{ me { user } }`, status: 401, code: "UNAUTHENTICATED"},
		{name: "title of NULs", token: police, query: openQ, vars: withField("title", "\u0000\u0000"), status: 200, code: "INVALID"},
		{name: "title of zero-width spaces", token: police, query: openQ, vars: withField("title", "\u200b\u200b"), status: 200, code: "INVALID"},
		{name: "role may not open", token: reviewer, query: openQ, vars: withField("title", "x"), status: 200, code: "FORBIDDEN"},
		{name: "incident the org cannot see", token: health, query: `mutation($id: ID!) { changePhase(input: {incidentId: $id, phase: TRIAGE}) { sequence } }`,
			vars: map[string]any{"id": id}, status: 200, code: "NOT_FOUND"},
		{name: "note on an incident the org cannot see", token: health, query: `mutation($id: ID!) { addNote(input: {incidentId: $id, text: "hi"}) { sequence } }`,
			vars: map[string]any{"id": id}, status: 200, code: "NOT_FOUND"},
		{name: "read an incident the org cannot see", token: health, query: `query($id: ID!) { incident(id: $id) { id } }`,
			vars: map[string]any{"id": id}, status: 200, code: "NOT_FOUND"},
		{name: "acknowledge an unknown escalation", token: police, query: `mutation { acknowledgeEscalation(input: {escalationId: "nope"}) { sequence } }`,
			status: 200, code: "NOT_FOUND"},
		{name: "asOf in the future", token: police, query: `query($t: Time) { board(asOf: $t) { totalCount } }`,
			vars: map[string]any{"t": time.Now().Add(time.Hour).Format(time.RFC3339)}, status: 200, code: "INVALID"},
		{name: "bad commandId", token: police, query: openQ, vars: withField("commandId", "has spaces"), status: 200, code: "INVALID"},
	} {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			last := e.MustLast(t)
			var r response
			if c.raw != nil {
				r = e.PostRaw(t, c.token, "application/json", c.raw)
			} else {
				r = e.Post(t, c.token, c.query, c.vars)
			}
			is.Equal(r.Status, c.status)                                                             // HTTP status
			is.Equal(r.Code(), c.code)                                                               // extensions.code
			is.True(r.Errors[0].Message != "" && !strings.Contains(r.Errors[0].Message, "Internal")) // a sentence
			is.Equal(e.MustLast(t), last)                                                            // nothing recorded
		})
	}

	t.Run("incident not found is null", func(t *testing.T) {
		is := is.New(t)
		r := e.Post(t, health, `query($id: ID!) { incident(id: $id) { id } }`, map[string]any{"id": id})
		is.Equal(string(r.Data), `{"incident":null}`) // null, with the NOT_FOUND error
	})
	t.Run("wrong content type", func(t *testing.T) {
		is := is.New(t)
		r := e.PostRaw(t, police, "text/plain", []byte(`{"query": "{ me { user } }"}`))
		is.Equal(r.Status, http.StatusUnsupportedMediaType) // JSON only
		is.Equal(r.Code(), "INVALID")
	})
	t.Run("GET query", func(t *testing.T) {
		is := is.New(t)
		req, _ := http.NewRequest(http.MethodGet, e.url+"?query=%7B%20me%20%7B%20user%20%7D%20%7D", nil)
		req.Header.Set("Authorization", "Bearer "+police)
		res, err := http.DefaultClient.Do(req)
		is.NoErr(err) // GET
		res.Body.Close()
		is.Equal(res.StatusCode, http.StatusOK) // queries may use GET
	})
	t.Run("metrics", func(t *testing.T) {
		is := is.New(t)
		var b strings.Builder
		e.gs.WriteMetrics(&b)
		m := b.String()
		for _, want := range []string{`dieuphoi_graphql_request_duration_seconds_bucket{operation="mutation",le="+Inf"}`,
			`dieuphoi_graphql_requests_total{code="UNAUTHENTICATED"}`, `dieuphoi_graphql_requests_total{code="QUERY_TOO_DEEP"}`,
			`dieuphoi_graphql_requests_total{code="OK"}`, "dieuphoi_websocket_connections 0", "dieuphoi_subscriptions_open 0"} {
			is.True(strings.Contains(m, want)) // metric present
		}
	})
}

// introspectionQuery is graphql-js's getIntrospectionQuery(), the deepest query a tool sends.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

// TestIntrospection: introspection stays on, within the depth and complexity limits.
func TestIntrospection(t *testing.T) {
	is := is.New(t)
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	var r struct {
		Schema struct {
			Types []struct {
				Name string `json:"name"`
			} `json:"types"`
		} `json:"__schema"`
	}
	e.MustPost(t, police, introspectionQuery, nil, &r)
	is.True(len(r.Schema.Types) > 30) // the schema's types
}

// TestGetMutation: GET may only read. A mutation or subscription sent with GET is refused with
// 405, Allow: POST and INVALID, and records nothing.
func TestGetMutation(t *testing.T) {
	e := MustEnv(t)
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	for _, q := range []string{
		`mutation { openIncident(input: {title: "qua GET", type: "MALWARE", severity: HIGH, tlp: GREEN, detectedAt: "2024-01-01T00:00:00Z"}) { sequence } }`,
		incidentChangedQuery,
	} {
		t.Run(strings.Fields(q)[0], func(t *testing.T) {
			is := is.New(t)
			last := e.MustLast(t)
			a := e.Send(t, http.MethodGet, police, map[string]any{"query": q})
			is.Equal(a.Status, http.StatusMethodNotAllowed)                           // 405
			is.Equal(a.Header.Get("Allow"), "POST")                                   // says what to use
			is.Equal(a.Code(), "INVALID")                                             // coded
			is.True(strings.Contains(a.Errors[0].Message, "cannot be sent with GET")) // a sentence
			is.Equal(e.MustLast(t), last)                                             // nothing recorded
		})
	}
	t.Run("query", func(t *testing.T) {
		is := is.New(t)
		a := e.Send(t, http.MethodGet, police, map[string]any{"query": "{ me { user } }"})
		is.Equal(a.Status, http.StatusOK) // GET reads
		is.Equal(string(a.Data), `{"me":{"user":"an"}}`)
	})
}

// lockedBuffer is a log destination tests read while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPersistedQueryErrors: a client's mistakes with automatic persisted queries are coded
// client errors (INVALID, with a sentence), not INTERNAL errors logged at ERROR; the protocol
// itself still works.
func TestPersistedQueryErrors(t *testing.T) {
	var logs lockedBuffer
	e := MustEnv(t, withDeps(func(d *graph.Deps) { d.Log = slog.New(slog.NewTextHandler(&logs, nil)) }))
	police := e.MustToken(t, "police", "an", domain.RoleCoordinator)
	q := "{ me { user } }"
	sum := sha256.Sum256([]byte(q))
	hash := hex.EncodeToString(sum[:])
	for _, c := range []struct {
		name string
		req  map[string]any
		code string
	}{
		{"wrong version", map[string]any{"query": q, "extensions": map[string]any{"persistedQuery": map[string]any{"version": 2, "sha256Hash": hash}}}, "INVALID"},
		{"hash does not match", map[string]any{"query": q, "extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": "00"}}}, "INVALID"},
		{"not an object", map[string]any{"query": q, "extensions": map[string]any{"persistedQuery": "yes"}}, "INVALID"},
		{"unknown hash", map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}}, "PERSISTED_QUERY_NOT_FOUND"},
	} {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			a := e.Send(t, http.MethodPost, police, c.req)
			is.Equal(a.Code(), c.code)                                  // coded
			is.True(!strings.Contains(a.Errors[0].Message, "Internal")) // a sentence
			is.True(!strings.Contains(logs.String(), "level=ERROR"))    // nothing logged as a fault
		})
	}
	t.Run("round trip", func(t *testing.T) {
		is := is.New(t)
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
		a := e.Send(t, http.MethodPost, police, map[string]any{"query": q, "extensions": ext})
		is.Equal(len(a.Errors), 0) // stored
		a = e.Send(t, http.MethodPost, police, map[string]any{"extensions": ext})
		is.Equal(len(a.Errors), 0)                       // found by its hash
		is.Equal(string(a.Data), `{"me":{"user":"an"}}`) // and run
	})
}
