package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
)

// tokenIDRe is what token ids look like (UUIDs); anything else is not a code of ours.
var tokenIDRe = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// signIn exchanges a one-time sign-in link's code ("<token id>.<secret>", from the link's
// fragment) for the token, once: the redemption is a command on the token aggregate, recorded
// in the log, so the code is spent on every replica. Neither the code nor the token is logged.
func (b *Board) signIn(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		apiError(w, http.StatusMethodNotAllowed, domain.Errorf(domain.EINVALID, "use POST with {\"code\": ...}"))
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		apiError(w, http.StatusUnsupportedMediaType, domain.Errorf(domain.EINVALID, "send the code as Content-Type: application/json"))
		return
	}
	var in struct {
		Code string `json:"code"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4096))
	if err != nil || json.Unmarshal(body, &in) != nil {
		apiError(w, http.StatusBadRequest, domain.Errorf(domain.EINVALID, "send {\"code\": \"...\"}: the code the sign-in link carried"))
		return
	}
	invalid := domain.Errorf(domain.EUNAUTHENTICATED, "this sign-in link is not valid; ask for a new one")
	tokenID, _, ok := strings.Cut(strings.TrimSpace(in.Code), ".")
	if !ok || !tokenIDRe.MatchString(tokenID) || len(in.Code) > 512 || b.d.App == nil {
		apiError(w, http.StatusUnauthorized, invalid)
		return
	}
	agg, err := b.d.App.Load(r.Context(), "token", tokenID, 0)
	if err != nil {
		if domain.ErrorCode(err) == domain.EINVALID || domain.ErrorCode(err) == domain.ENOTFOUND {
			apiError(w, http.StatusUnauthorized, invalid)
			return
		}
		b.d.Log.Error("sign-in link: loading the token", "err", err)
		apiError(w, http.StatusInternalServerError, domain.Errorf(domain.EINTERNAL, "the sign-in link could not be checked; try again"))
		return
	}
	tok, isToken := agg.(*domain.Token)
	if !isToken || tok.IssuedAt.IsZero() {
		apiError(w, http.StatusUnauthorized, invalid)
		return
	}
	holder := domain.Actor{User: tok.User, Org: tok.Org, Role: tok.Role}
	var claims domain.Claims
	_, err = b.d.App.Execute(r.Context(), app.Request{Actor: holder, AggregateID: tokenID,
		Command: domain.RedeemSignInLink{CodeHash: domain.SignInCodeHash(strings.TrimSpace(in.Code))},
		Inspect: func(a domain.Aggregate, _ []domain.Event) { claims = a.(*domain.Token).Claims() }})
	if err != nil {
		var de *domain.Error
		if !errors.As(err, &de) || de.Code == domain.EINTERNAL {
			b.d.Log.Error("sign-in link: redeeming", "err", err)
		}
		apiError(w, statusOf(err), err)
		return
	}
	if claims.TokenID == "" { // the same command id twice: never, each request is a new command
		apiError(w, http.StatusUnauthorized, invalid)
		return
	}
	b.d.Log.Info("signed in with a one-time link", "org", claims.Org, "role", claims.Role)
	writeJSON(w, http.StatusOK, map[string]any{"token": domain.SignToken(b.d.TokenKey, claims),
		"expiresAt": claims.Expires().Format(time.RFC3339)})
}
