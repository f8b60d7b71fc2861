package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/natsperm"
)

// The embedded NATS server accepts only its users, each an nkey whose seed is kept in
// DATA/keys/nats (created on first start, readable by the service's OS user only):
//
//   - service.nk: the service and the command-line tools. Everything the service does, but
//     never deleting or purging a stream or a message.
//   - operator.nk: for operators' `nats` CLI, read-only: stream and consumer information,
//     reading messages through consumers and direct gets; no publishing to the log.
//   - admin.nk: full rights, for maintenance an operator decides on (deleting a stream).
//   - soc/<org>.nk: one per organisation with an alert source in the configuration, which may
//     only publish to the ingest subjects of its own sources and receive the replies on
//     _INBOX_<org>.> (`dieuphoi nats-user --org ORG` prints what to hand the SOC).
const (
	natsService  = "service.nk"
	natsOperator = "operator.nk"
	natsAdmin    = "admin.nk"
	natsSOCDir   = "soc"
)

func (c *Config) natsKeysDir() string { return filepath.Join(c.Data, "keys", "nats") }

// natsSeed returns the public key of the user whose seed is at path, creating the seed when
// create is set and it does not exist.
func natsSeed(path string, create bool) (string, error) {
	seed, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return "", err
		}
		if seed, err = kp.Seed(); err != nil {
			return "", err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return "", fmt.Errorf("NATS keys: %w", err)
		}
		if err := os.WriteFile(path, append(seed, '\n'), 0o600); err != nil {
			return "", fmt.Errorf("NATS keys: %w", err)
		}
	} else if err != nil {
		return "", fmt.Errorf("NATS user key %s: %w", path, err)
	}
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(seed))))
	if err != nil {
		return "", fmt.Errorf("NATS user key %s is not an nkey seed: %w", path, err)
	}
	return kp.PublicKey()
}

// natsUsers are the embedded server's users, from DATA/keys/nats.
func natsUsers(c Config, cfg *domain.Config) ([]*server.NkeyUser, error) {
	dir := c.natsKeysDir()
	service, err := natsSeed(filepath.Join(dir, natsService), true)
	if err != nil {
		return nil, err
	}
	operator, err := natsSeed(filepath.Join(dir, natsOperator), true)
	if err != nil {
		return nil, err
	}
	admin, err := natsSeed(filepath.Join(dir, natsAdmin), true)
	if err != nil {
		return nil, err
	}
	users := []*server.NkeyUser{
		{Nkey: service, Permissions: servicePermissions()},
		{Nkey: operator, Permissions: operatorPermissions()},
		{Nkey: admin}, // no permissions given: everything
	}
	// One user per SOC organisation with an alert source, its seed created on first start.
	for _, org := range socOrgs(cfg) {
		pub, err := natsSeed(filepath.Join(dir, natsSOCDir, org+".nk"), true)
		if err != nil {
			return nil, err
		}
		users = append(users, &server.NkeyUser{Nkey: pub, Permissions: socPermissions(org, cfg)})
	}
	return users, nil
}

func socOrgs(cfg *domain.Config) []string { return natsperm.SOCOrgs(cfg) }

func servicePermissions() *server.Permissions  { return natsperm.Service() }
func operatorPermissions() *server.Permissions { return natsperm.Operator() }
func socPermissions(org string, cfg *domain.Config) *server.Permissions {
	return natsperm.SOC(org, cfg)
}

// SOCInbox is the inbox prefix a SOC's NATS client uses for replies.
func SOCInbox(org string) string { return natsperm.SOCInbox(org) }

// serviceNATSOption connects as the embedded server's service user.
func serviceNATSOption(c Config) (nats.Option, error) {
	return nats.NkeyOptionFromSeed(filepath.Join(c.natsKeysDir(), natsService))
}

// natsCredentials reads --nats-creds: a NATS credentials file (user JWT and seed, from nsc) or
// an nkey seed file, such as the service.nk of an embedded server.
func natsCredentials(path string) (nats.Option, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--nats-creds: %w", err)
	}
	if strings.HasPrefix(strings.TrimSpace(string(b)), "SU") {
		return nats.NkeyOptionFromSeed(path)
	}
	return nats.UserCredentials(path), nil
}

// runNATSUser prints what a SOC needs to publish alerts to the embedded server: its nkey seed
// (with --seed, alone, for a file handed over), or the key file, subjects and inbox prefix.
func runNATSUser(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c Config
	var org string
	var seedOnly bool
	f := newFlagSet("nats-user", getenv, stderr)
	f.str(&c.Data, "data", "./data", "data directory of the service")
	f.str(&c.Config, "config", "", "regulatory configuration (the alert sources)")
	f.StringVar(&org, "org", "", "the SOC's organisation, which has an alert source in the configuration")
	f.BoolVar(&seedOnly, "seed", false, "print only the nkey seed (a secret: hand it over as a file, mode 0600)")
	if err := f.parse(args); err != nil {
		return err
	}
	dcfg, err := loadDomainConfig(c.Config, time.Now())
	if err != nil {
		return err
	}
	if !slices.Contains(socOrgs(dcfg), org) {
		return fmt.Errorf("--org %q has no alert source in the configuration; organisations with one: %s", org, strings.Join(socOrgs(dcfg), ", "))
	}
	path := filepath.Join(c.natsKeysDir(), natsSOCDir, org+".nk")
	_, statErr := os.Stat(path)
	pub, err := natsSeed(path, true)
	if err != nil {
		return err
	}
	if seedOnly {
		seed, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, err = stdout.Write(seed)
		return err
	}
	fmt.Fprintf(stdout, "NATS user for %s\n  public key:    %s\n  seed file:     %s\n  may publish:   %s\n  inbox prefix:  %s\n",
		org, pub, path, strings.Join(socPermissions(org, dcfg).Publish.Allow, " "), SOCInbox(org))
	fmt.Fprintf(stdout, "  with the nats CLI: nats --nkey %s.nk --inbox-prefix %s request %s '<alert JSON>'\n",
		org, SOCInbox(org), socPermissions(org, dcfg).Publish.Allow[0])
	if errors.Is(statErr, fs.ErrNotExist) {
		fmt.Fprintln(stderr, "the key was created now: restart `dieuphoi serve` on this data directory for the server to accept it")
	}
	return nil
}
