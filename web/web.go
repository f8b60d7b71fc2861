// Package web serves the coordination board: a Vietnamese-first single-page application written
// as plain ES modules (no build step), its message catalogues, fonts and the offline GraphQL
// explorer, all embedded in the binary. No page loads anything from another host: government
// networks are air-gapped, and the Content-Security-Policy says so to the browser too.
//
// Besides files, it answers two small JSON endpoints the GraphQL API has no place for: the
// exchange of a one-time sign-in link's code for its token, and what the signed-in role may do.
package web

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
)

//go:embed static
var static embed.FS

// Paths of the board.
const (
	// AssetsPrefix is where every embedded file is served (static/x is /assets/x).
	AssetsPrefix = "/assets/"
	// SignInPath exchanges a one-time sign-in link's code for the token (POST {"code": ...}).
	SignInPath = "/board/api/signin"
	// MetaPath tells the signed-in board what its role may do and the configuration's names.
	MetaPath = "/board/api/meta"
)

// contentSecurityPolicy lets pages load and connect only to the service itself. Styles may be
// inline: the explorer's editor sets them.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Deps are what the board's endpoints use.
type Deps struct {
	// App redeems sign-in links (a command on the token aggregate, recorded in the log).
	App *app.App
	// TokenKey signs the token a redeemed link hands over (the same key `dieuphoi token` uses).
	TokenKey ed25519.PrivateKey
	Config   *domain.Config
	// Authenticate checks an "Authorization: Bearer <token>" value as the GraphQL API does.
	Authenticate func(ctx context.Context, header string) (domain.Actor, error)
	Log          *slog.Logger
}

// Board is the HTTP handler of the board: GET / and /assets/..., and its two endpoints.
type Board struct {
	d     Deps
	files map[string]file // by path under static/
}

type file struct {
	body        []byte
	etag        string
	contentType string
}

// New returns the board over the embedded files.
func New(d Deps) *Board {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	b := &Board{d: d, files: map[string]file{}}
	sub, _ := fs.Sub(static, "static")
	_ = fs.WalkDir(sub, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		body, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) {
		case ".js", ".mjs":
			ct = "text/javascript; charset=utf-8"
		case ".woff2":
			ct = "font/woff2"
		case ".json":
			ct = "application/json; charset=utf-8"
		case "":
			ct = "text/plain; charset=utf-8" // licence files
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		b.files[p] = file{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, contentType: ct}
		return nil
	})
	return b
}

// ServeHTTP serves the board.
func (b *Board) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == SignInPath:
		b.signIn(w, r)
	case r.URL.Path == MetaPath:
		b.meta(w, r)
	case r.URL.Path == "/" || r.URL.Path == "/index.html":
		b.serveFile(w, r, "index.html")
	case strings.HasPrefix(r.URL.Path, AssetsPrefix):
		b.serveFile(w, r, strings.TrimPrefix(r.URL.Path, AssetsPrefix))
	default:
		http.NotFound(w, r)
	}
}

// Explorer serves the offline GraphQL explorer to a browser that opens /graphql (a GET asking for
// HTML, with no query and no websocket upgrade) and hands every other request to api.
func (b *Board) Explorer(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.Header.Get("Upgrade") == "" && r.URL.RawQuery == "" &&
			strings.Contains(r.Header.Get("Accept"), "text/html") {
			b.serveFile(w, r, "explorer.html")
			return
		}
		api.ServeHTTP(w, r)
	})
}

// serveFile answers with an embedded file. Every answer is revalidated (no-cache with an ETag):
// after an upgrade a browser never mixes old and new modules.
func (b *Board) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, ok := b.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if strings.HasSuffix(name, ".html") {
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && match == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	w.Write(f.body)
}

// apiError answers in GraphQL's error shape, so the board reads every error the same way.
func apiError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{
		"message": domain.ErrorMessage(err), "extensions": map[string]any{"code": domain.ErrorCode(err)}}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// statusOf maps an error code to an HTTP status.
func statusOf(err error) int {
	switch domain.ErrorCode(err) {
	case domain.EINVALID:
		return http.StatusBadRequest
	case domain.EUNAUTHENTICATED:
		return http.StatusUnauthorized
	case domain.EFORBIDDEN:
		return http.StatusForbidden
	case domain.ENOTFOUND:
		return http.StatusNotFound
	case domain.ECONFLICT:
		return http.StatusConflict
	case domain.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// now is the board's clock (the application's, so tests agree with the log).
func (b *Board) now() time.Time {
	if b.d.App != nil {
		return b.d.App.Now()
	}
	return time.Now()
}
