package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// transparencyRoutes are the plain HTTP endpoints of the transparency logs (names fixed by the
// product): the latest signed checkpoint, the key that verifies it, and inclusion and
// consistency proofs as base64 hashes, one a line. ?log=alerts asks about the alerts stream.
// The key is public; the rest needs a token (a checkpoint's size tells how much is written),
// and an inclusion proof is only given for a commit the caller received.
func transparencyRoutes(mux *http.ServeMux, t *app.Transparency, auth func(context.Context, string) (domain.Actor, error)) {
	text := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, body)
	}
	authed := func(h func(http.ResponseWriter, *http.Request, domain.Actor) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			a, err := auth(r.Context(), r.Header.Get("Authorization"))
			if err == nil {
				err = h(w, r, a)
			}
			if err != nil {
				httpError(w, err)
			}
		}
	}
	mux.HandleFunc("GET /.well-known/dieuphoi/checkpoint-key", func(w http.ResponseWriter, r *http.Request) {
		key, err := t.VerifierKey(r.URL.Query().Get("log"))
		if err != nil {
			httpError(w, err)
			return
		}
		text(w, key+"\n")
	})
	mux.HandleFunc("GET /.well-known/dieuphoi/checkpoint", authed(func(w http.ResponseWriter, r *http.Request, _ domain.Actor) error {
		cp, err := t.Checkpoint(r.Context(), r.URL.Query().Get("log"))
		if err == nil {
			text(w, cp.Text)
		}
		return err
	}))
	mux.HandleFunc("GET /.well-known/dieuphoi/proof/inclusion", authed(func(w http.ResponseWriter, r *http.Request, a domain.Actor) error {
		q := r.URL.Query()
		if log := q.Get("log"); log != "" && log != app.LogEvents {
			return domain.Errorf(domain.EINVALID, "inclusion proofs are given for the events log, of commits you received")
		}
		index, err := queryInt(q.Get("index"), "index", true)
		if err != nil {
			return err
		}
		size, err := queryInt(q.Get("size"), "size", false)
		if err != nil {
			return err
		}
		in, err := t.InclusionProof(r.Context(), a, uint64(index)+1, size)
		if err == nil {
			text(w, eventstore.ProofText(in.Hashes))
		}
		return err
	}))
	mux.HandleFunc("GET /.well-known/dieuphoi/proof/consistency", authed(func(w http.ResponseWriter, r *http.Request, _ domain.Actor) error {
		q := r.URL.Query()
		old, err := queryInt(q.Get("old"), "old", true)
		if err != nil {
			return err
		}
		size, err := queryInt(q.Get("new"), "new", false)
		if err != nil {
			return err
		}
		proof, _, err := t.ConsistencyProof(r.Context(), q.Get("log"), old, size)
		if err == nil {
			text(w, eventstore.ProofText(proof))
		}
		return err
	}))
}

// queryInt reads a non-negative whole number from a query parameter (required or 0 when absent).
func queryInt(v, name string, required bool) (int64, error) {
	if v == "" && !required {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, domain.Errorf(domain.EINVALID, "%s must be a whole number of 0 or more", name)
	}
	return n, nil
}

// httpError answers a coded error as a plain sentence with its HTTP status.
func httpError(w http.ResponseWriter, err error) {
	status := map[string]int{domain.EINVALID: 400, domain.EUNAUTHENTICATED: 401, domain.EFORBIDDEN: 403, domain.ENOTFOUND: 404,
		domain.ECONFLICT: 409, domain.ETOOLARGE: 413}[domain.ErrorCode(err)]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s: %s\n", domain.ErrorCode(err), domain.ErrorMessage(err))
}
