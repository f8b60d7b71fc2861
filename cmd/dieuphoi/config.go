package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Config is everything `dieuphoi serve` needs, with working defaults: no flags runs an embedded
// NATS server with JetStream storing in ./data and serves HTTP on :8080.
type Config struct {
	Data       string // --data: JetStream storage (embedded), keys
	HTTP       string // --http: listen address of the API
	Metrics    string // --metrics: listen address of /metrics and the detailed /healthz; empty: none
	NATSURL    string // --nats-url: external NATS server or cluster; empty starts an embedded one
	NATSListen string // --nats-listen: client address of the embedded server
	NATSCreds  string // --nats-creds: credentials or nkey seed file for --nats-url
	NATSCA     string // --nats-ca: CA certificate of the NATS servers' TLS certificates
	Replicas   int    // --replicas: stream replicas on a cluster
	// ReplicasGiven: --replicas (or DIEUPHOI_REPLICAS) was given, so serve may rescale the streams.
	ReplicasGiven bool
	Storage       string // --storage: file or memory
	Config        string // --config: regulatory configuration file or directory of versions
	SigningKey    string // --signing-key: Ed25519 seed that signs checkpoints, shared by the replicas of one deployment
	Origin        string // --origin: the deployment's name in its checkpoints
	TokenKey      string // --token-key: Ed25519 seed that signs bearer tokens
	Origins       string // --allowed-origins: websocket origins allowed besides the service's own host
	LogLevel      string // --log-level: debug, info, warn, error
	Shutdown      time.Duration
}

// flagSet declares the flags of a subcommand with their environment fallbacks: a flag given on
// the command line wins over DIEUPHOI_<NAME>, which wins over the default.
type flagSet struct {
	*flag.FlagSet
	getenv func(string) string
	envErr []error
}

func newFlagSet(name string, getenv func(string) string, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &flagSet{FlagSet: fs, getenv: getenv}
}

func envName(flagName string) string {
	return "DIEUPHOI_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f *flagSet) str(p *string, name, def, help string) {
	if v := f.getenv(envName(name)); v != "" {
		def = v
	}
	f.StringVar(p, name, def, help+" (env "+envName(name)+")")
}

func (f *flagSet) int(p *int, name string, def int, help string) {
	if v := f.getenv(envName(name)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.envErr = append(f.envErr, fmt.Errorf("%s=%q: not a number", envName(name), v))
		} else {
			def = n
		}
	}
	f.IntVar(p, name, def, help+" (env "+envName(name)+")")
}

func (f *flagSet) duration(p *time.Duration, name string, def time.Duration, help string) {
	if v := f.getenv(envName(name)); v != "" {
		d, err := domain.ParseDuration(v)
		if err != nil {
			f.envErr = append(f.envErr, fmt.Errorf("%s: %v", envName(name), err))
		} else {
			def = d
		}
	}
	f.DurationVar(p, name, def, help+" (env "+envName(name)+")")
}

// given reports whether a flag was set on the command line or through its environment variable.
func (f *flagSet) given(name string) bool {
	set := f.getenv(envName(name)) != ""
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

func (f *flagSet) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", f.Arg(0))
	}
	return errors.Join(f.envErr...)
}

// storeFlags declares the flags shared by every subcommand that opens the log.
func storeFlags(f *flagSet, c *Config) {
	f.str(&c.Data, "data", "./data", "data directory: embedded JetStream storage and the signing key")
	f.str(&c.NATSURL, "nats-url", "", "comma-separated URLs of an external NATS server or cluster; empty starts an embedded server")
	f.str(&c.NATSListen, "nats-listen", "127.0.0.1:4222", "client address of the embedded NATS server, for the nats CLI")
	f.str(&c.NATSCreds, "nats-creds", "", "NATS user for --nats-url: a credentials file (JWT and seed) or an nkey seed file")
	f.str(&c.NATSCA, "nats-ca", "", "CA certificate (PEM) that signed the NATS servers' TLS certificates, for --nats-url; default: the system's")
	f.int(&c.Replicas, "replicas", 1, "stream replicas (3 on a 3-node cluster)")
	f.str(&c.Storage, "storage", "file", "JetStream storage: file or memory (memory loses everything at exit)")
	f.str(&c.SigningKey, "signing-key", "", "Ed25519 key file (hex seed) that signs the log's checkpoints, shared by all replicas; default DATA/keys/signing.key, created if missing")
	f.str(&c.Origin, "origin", "dieuphoi", "the deployment's name in its signed checkpoints (e.g. cert.province.gov.vn/dieuphoi): the events log is ORIGIN/events, the alerts log ORIGIN/alerts")
}

func (c *Config) storageType() (jetstream.StorageType, error) {
	switch c.Storage {
	case "file", "":
		return jetstream.FileStorage, nil
	case "memory":
		return jetstream.MemoryStorage, nil
	}
	return 0, fmt.Errorf("--storage %q: use file or memory", c.Storage)
}

func (c *Config) signingKeyPath() string {
	if c.SigningKey != "" {
		return c.SigningKey
	}
	return filepath.Join(c.Data, "keys", "signing.key")
}

func (c *Config) validate() error {
	var errs []error
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("--replicas %d: use 1 to 5", c.Replicas))
	}
	if c.Replicas > 1 && c.NATSURL == "" {
		errs = append(errs, fmt.Errorf("--replicas %d needs a cluster: give --nats-url", c.Replicas))
	}
	if _, err := c.storageType(); err != nil {
		errs = append(errs, err)
	}
	if c.Data == "" {
		errs = append(errs, errors.New("--data must not be empty"))
	}
	return errors.Join(errs...)
}

// loadDomainConfig reads the regulatory configuration: the embedded default, or every version in
// a file or directory, choosing the one in effect now.
func loadDomainConfig(path string, now time.Time) (*domain.Config, error) {
	if path == "" {
		return domain.DefaultConfig(), nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	files := []string{path}
	if info.IsDir() {
		files, _ = filepath.Glob(filepath.Join(path, "*.json"))
		if len(files) == 0 {
			return nil, fmt.Errorf("--config %s: no *.json files in the directory", path)
		}
	}
	var versions []*domain.Config
	var errs []error
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c, err := domain.ParseConfig(filepath.Base(f), b)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		versions = append(versions, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return domain.SelectConfig(versions, now)
}

func runConfig(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlagSet("config", getenv, stderr)
	var check string
	f.StringVar(&check, "check", "", "check a configuration file or directory and print the version in effect")
	if err := f.parse(args); err != nil {
		return err
	}
	if check == "" {
		_, err := stdout.Write(domain.DefaultConfigJSON())
		return err
	}
	c, err := loadDomainConfig(check, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "OK: version %s in effect since %s (%d organisations, %d sectors, %d incident types)\n",
		c.Version, c.EffectiveFrom.Format(time.RFC3339), len(c.Organisations), len(c.Sectors), len(c.IncidentTypes))
	return nil
}
