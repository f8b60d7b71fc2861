package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

func (c *Config) tokenKeyPath() string {
	if c.TokenKey != "" {
		return c.TokenKey
	}
	return filepath.Join(c.Data, "keys", "token.key")
}

// runToken mints a bearer token for the server that uses --data: the issuance is recorded in the
// log (so the token can be listed and revoked) and the token is signed with the token key.
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c Config
	var org, user, role string
	var ttl, linkTTL time.Duration
	var link bool
	var boardURL string
	err := toolFlags("token", args, getenv, stderr, &c, "regulatory configuration (the organisation directory)", func(f *flagSet) {
		f.str(&c.TokenKey, "token-key", "", "Ed25519 key that signs bearer tokens (hex seed); default DATA/keys/token.key, created if missing; shared by all replicas")
		f.StringVar(&org, "org", "", "organisation slug, for example dic")
		f.StringVar(&user, "user", "", "user login, for example lan.nguyen")
		f.StringVar(&role, "role", "", "coordinator, responder, reviewer, partner, admin or ingest")
		f.DurationVar(&ttl, "ttl", domain.DefaultTokenTTL, "lifetime of the token (at most 8784h)")
		f.BoolVar(&link, "link", false, "print a one-time sign-in link for the board instead of the token")
		f.DurationVar(&linkTTL, "link-ttl", domain.DefaultSignInLinkTTL, "how long the sign-in link works (with --link)")
		f.str(&boardURL, "url", "http://localhost:8080", "the board's address, for --link")
	})
	if err != nil {
		return err
	}
	if org == "" || user == "" || role == "" {
		return fmt.Errorf("--org, --user and --role are required")
	}
	key, err := eventstore.LoadOrCreateKey(c.tokenKeyPath())
	if err != nil {
		return err
	}
	dcfg, el, err := openTool(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer el.shutdown()
	tok, claims, err := issueToken(ctx, el.store, dcfg, key, domain.IssueToken{Org: org, User: user, Role: domain.Role(role), TTL: ttl})
	if err != nil {
		return err
	}
	if link {
		u, exp, err := issueSignInLink(ctx, el.store, dcfg, claims.TokenID, boardURL, linkTTL)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, u)
		fmt.Fprintf(stderr, "one-time sign-in link for %s/%s (%s): open it before %s; it works once\n", org, user, role, exp.Format(time.RFC3339))
		return nil
	}
	fmt.Fprintln(stdout, tok)
	fmt.Fprintf(stderr, "token %s for %s/%s (%s), valid until %s\n", claims.TokenID, org, user, role, claims.Expires().Format(time.RFC3339))
	return nil
}

// issueToken records a token's issuance as the system actor and returns it signed.
func issueToken(ctx context.Context, st *eventstore.Store, cfg *domain.Config, key ed25519.PrivateKey, c domain.IssueToken) (string, domain.Claims, error) {
	var claims domain.Claims
	id := eventstore.NewID()
	_, err := app.New(app.Deps{Events: st, Config: cfg}).Execute(ctx, app.Request{Actor: domain.SystemActor, AggregateID: id,
		Command: c, Key: id, NoWait: true,
		Inspect: func(agg domain.Aggregate, _ []domain.Event) { claims = agg.(*domain.Token).Claims() }})
	if err != nil {
		return "", claims, err
	}
	return domain.SignToken(key, claims), claims, nil
}

// issueSignInLink records a one-time sign-in link for an issued token and returns its URL. The
// code travels in the URL's fragment, which browsers never send to a server, so it reaches no
// access log; the board exchanges it once (POST) for the token and cleans the address bar.
func issueSignInLink(ctx context.Context, st *eventstore.Store, cfg *domain.Config, tokenID, board string, ttl time.Duration) (string, time.Time, error) {
	u, err := url.Parse(board)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", time.Time{}, fmt.Errorf("--url %q: give the board's address, such as http://localhost:8080", board)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	code := tokenID + "." + base64.RawURLEncoding.EncodeToString(secret)
	var exp time.Time
	_, err = app.New(app.Deps{Events: st, Config: cfg}).Execute(ctx, app.Request{Actor: domain.SystemActor, AggregateID: tokenID,
		Command: domain.IssueSignInLink{CodeHash: domain.SignInCodeHash(code), TTL: ttl}, Key: tokenID + "/link", NoWait: true,
		Inspect: func(agg domain.Aggregate, _ []domain.Event) { exp = agg.(*domain.Token).Link.ExpiresAt }})
	if err != nil {
		return "", time.Time{}, err
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	u.RawQuery, u.Fragment = "", ""
	return u.String() + "#signin=" + code, exp, nil
}
