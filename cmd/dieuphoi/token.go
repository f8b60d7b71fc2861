package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"path/filepath"
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
	var ttl time.Duration
	f := newFlagSet("token", getenv, stderr)
	storeFlags(f, &c)
	f.str(&c.TokenKey, "token-key", "", "Ed25519 key that signs bearer tokens (hex seed); default DATA/keys/token.key, created if missing; shared by all replicas")
	f.str(&c.Config, "config", "", "regulatory configuration (the organisation directory)")
	f.StringVar(&org, "org", "", "organisation slug, for example dic")
	f.StringVar(&user, "user", "", "user login, for example lan.nguyen")
	f.StringVar(&role, "role", "", "coordinator, responder, reviewer, partner, admin or ingest")
	f.DurationVar(&ttl, "ttl", domain.DefaultTokenTTL, "lifetime of the token (at most 8784h)")
	if err := f.parse(args); err != nil {
		return err
	}
	if org == "" || user == "" || role == "" {
		return fmt.Errorf("--org, --user and --role are required")
	}
	dcfg, err := loadDomainConfig(c.Config, time.Now())
	if err != nil {
		return err
	}
	key, err := eventstore.LoadOrCreateKey(c.tokenKeyPath())
	if err != nil {
		return err
	}
	el, err := openToolLog(ctx, c)
	if err != nil {
		return err
	}
	defer el.shutdown()
	tok, claims, err := issueToken(ctx, el.store, dcfg, key, domain.IssueToken{Org: org, User: user, Role: domain.Role(role), TTL: ttl})
	if err != nil {
		return err
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
