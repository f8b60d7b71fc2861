package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Websocket close codes. graphql-transport-ws asks for 4403 when connection_init is refused;
// the same code ends a socket whose token expired or was revoked, with the reason as the close
// message (at most 123 bytes). 1001 is a shutdown: reconnect (to another replica) and resume.
const (
	closeGoingAway   = 1001
	closeForbidden   = 4403
	closeInitTimeout = 4408
	// graphql-transport-ws's codes for a client that breaks the order of the protocol: a
	// subscribe before connection_ack, a second connection_init.
	closeUnauthorized = 4401
	closeTooManyInits = 4429
)

// socket is one websocket connection as the server tracks it, so that it can be ended with a
// code and a reason: when its token expires or is revoked, or at shutdown.
type socket struct {
	mu     sync.Mutex
	conn   transport.WebsocketConn // the library's connection, once accepted
	cancel context.CancelFunc      // ends the context everything on the socket runs in
	stop   context.CancelFunc      // releases the token-lifetime context
	ended  bool
	code   int
	reason string
}

// end closes the socket with code and reason, once: it starts the close handshake, which ends
// gqlgen's read loop, and cancels the socket's context, which ends its subscriptions.
func (st *socket) end(code int, reason string) {
	reason = closeReason(reason)
	st.mu.Lock()
	if st.ended {
		st.mu.Unlock()
		return
	}
	st.ended, st.code, st.reason = true, code, reason
	conn, cancel := st.conn, st.cancel
	st.mu.Unlock()
	if conn != nil {
		_ = conn.WriteClose(code, reason)
	}
	if cancel != nil {
		cancel()
	}
}

// cause returns why the server ended the socket, if it did.
func (st *socket) cause() (int, string, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.code, st.reason, st.ended
}

func (st *socket) attach(conn transport.WebsocketConn) {
	st.mu.Lock()
	st.conn = conn
	ended, code, reason := st.ended, st.code, st.reason
	st.mu.Unlock()
	if ended { // ended (shutdown) while the upgrade was under way
		_ = conn.WriteClose(code, reason)
	}
}

func (st *socket) setStop(stop context.CancelFunc) {
	st.mu.Lock()
	st.stop = stop
	st.mu.Unlock()
}

func (st *socket) release() {
	st.mu.Lock()
	stop := st.stop
	st.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// closeReason fits a sentence into a close frame (123 bytes), cutting at a character boundary.
func closeReason(s string) string {
	const max = 123
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request) {
	if !s.originAllowed(r) {
		s.httpError(w, http.StatusForbidden, domain.Errorf(domain.EFORBIDDEN, "websocket connections from origin %q are not allowed", trimText(r.Header.Get("Origin"))))
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	st := &socket{cancel: cancel}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"errors":[{"message":"the service is shutting down","extensions":{"code":"UNAVAILABLE"}}]}`))
		return
	}
	s.sockets[st] = struct{}{}
	s.running.Add(1)
	s.mu.Unlock()
	s.metrics.sockets.Add(1)
	defer func() {
		st.release()
		s.mu.Lock()
		delete(s.sockets, st)
		s.mu.Unlock()
		s.metrics.sockets.Add(-1)
		s.running.Done()
	}()
	s.gql.ServeHTTP(w, r.WithContext(context.WithValue(ctx, socketKey, st)))
}

// originAllowed applies Deps.AllowedOrigins: a browser's Origin must be listed (as an origin,
// "https://board.example.vn", or a host pattern, "*.example.vn"), or, with no list, be the
// host served. Clients that send no Origin (not browsers) are allowed: they carry a token.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if len(s.origins) == 0 {
		return strings.EqualFold(u.Host, r.Host)
	}
	for _, o := range s.origins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
		if ok, _ := path.Match(strings.ToLower(o), strings.ToLower(u.Host)); ok {
			return true
		}
	}
	return false
}

// wsImplementation accepts websockets with coder/websocket (gqlgen's own adapter) and wraps
// the connection so that the server's close code and reason win over gqlgen's defaults.
type wsImplementation struct{ s *Server }

func (i wsImplementation) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	// The origin was checked by serveWebsocket against AllowedOrigins.
	impl := transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{InsecureSkipVerify: true}}
	conn, err := impl.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	st, _ := r.Context().Value(socketKey).(*socket)
	if st != nil {
		st.attach(conn)
	}
	return &wsConn{WebsocketConn: conn, st: st}, nil
}

type wsConn struct {
	transport.WebsocketConn
	st *socket
	// initialised is set once connection_init was read (gqlgen reads one message at a time,
	// and answers connection_init before it reads the next).
	initialised bool
}

// NextReader holds graphql-transport-ws clients to the protocol's order, with its close codes
// (gqlgen closes with 1002 "unexpected message" for both): a subscribe before connection_init
// and its acknowledgement closes with 4401 Unauthorized, a second connection_init with 4429
// Too many initialisation requests.
func (c *wsConn) NextReader() (int, io.Reader, error) {
	typ, r, err := c.WebsocketConn.NextReader()
	if err != nil || c.Subprotocol() != graphqlTransportWS {
		return typ, r, err
	}
	b, err := io.ReadAll(r) // bounded by the read limit gqlgen sets (PayloadReadLimit)
	if err != nil {
		return typ, nil, err
	}
	var m struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(b, &m) // gqlgen answers a message that does not decode
	switch {
	case m.Type == "connection_init" && c.initialised:
		c.end(closeTooManyInits, "Too many initialisation requests")
		return 0, nil, transport.ErrWebsocketClosed
	case m.Type == "connection_init":
		c.initialised = true
	case m.Type == "subscribe" && !c.initialised:
		c.end(closeUnauthorized, "Unauthorized")
		return 0, nil, transport.ErrWebsocketClosed
	}
	return typ, bytes.NewReader(b), nil
}

const graphqlTransportWS = "graphql-transport-ws"

// end closes the connection with code and reason: through the tracked socket, so that its
// context ends too and gqlgen's own close afterwards keeps this code.
func (c *wsConn) end(code int, reason string) {
	if c.st != nil {
		c.st.end(code, reason)
		return
	}
	_ = c.WebsocketConn.WriteClose(code, reason)
}

// WriteClose uses the server's reason when it ended the socket (gqlgen closes a cancelled
// connection with 1000 "terminated").
func (c *wsConn) WriteClose(code int, reason string) error {
	if c.st != nil {
		if cc, r, ok := c.st.cause(); ok {
			code, reason = cc, r
		}
	}
	if code == transport.WebsocketCloseProtocolError && reason == "connection initialisation timeout" {
		code = closeInitTimeout // graphql-transport-ws's code for it
	}
	return c.WebsocketConn.WriteClose(code, reason)
}

func (c *wsConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

func (c *wsConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// wsInit authenticates connection_init's {"authorization": "Bearer <token>"}. A refusal closes
// the socket with 4403 and the reason. Once in, the socket lives no longer than its token: a
// context deadline at its expiry (by the injectable clock) and a watcher that also ends it when
// the token is revoked.
func (s *Server) wsInit(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	st, _ := ctx.Value(socketKey).(*socket)
	sess, err := s.authenticate(ctx, p.Authorization())
	if err == nil && st == nil {
		err = errors.New("graph: websocket without a tracked socket")
	}
	if err != nil {
		s.metrics.count(domain.ErrorCode(err))
		ctx = transport.WithWebsocketCloseCode(ctx, closeForbidden)
		ctx = transport.AppendCloseReason(ctx, closeReason(domain.ErrorMessage(err)))
		return ctx, nil, errors.New(domain.ErrorMessage(err))
	}
	ctx = withSession(ctx, sess)
	ctx, stop := context.WithDeadline(ctx, time.Now().Add(sess.claims.Expires().Sub(s.now())))
	st.setStop(stop)
	go s.watchToken(ctx, st, sess.claims)
	return ctx, nil, nil
}

// watchToken ends the socket when its token expires or is revoked; it returns when the socket's
// context ends, so it never outlives the connection.
func (s *Server) watchToken(ctx context.Context, st *socket, c domain.Claims) {
	expired := "the token expired at " + c.Expires().Format(time.RFC3339) + "; ask for a new one"
	t := time.NewTicker(s.tokenCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				st.end(closeForbidden, expired)
			}
			return
		case <-t.C:
			if !s.now().Before(c.Expires()) {
				st.end(closeForbidden, expired)
				return
			}
			if info, ok := s.projector.Tokens.Get(c.TokenID); ok && info.Revoked {
				st.end(closeForbidden, "the token was revoked; ask for a new one")
				return
			}
		}
	}
}

func trimText(s string) string {
	if len(s) > 60 {
		s = s[:60]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		return s + "…"
	}
	return s
}
