// Package deploy generates what a dieuphoi deployment on a NATS cluster needs and no repository
// may hold (TLS certificates, NATS users, the service's keys), and runs the real topology on one
// machine: three nats-server processes and two `dieuphoi serve` replicas (make cluster, the
// fault test and the write-gap benchmark). The configuration files beside it (nats/, compose.yaml,
// k8s/) are the deployment's; README.md, "Deploying on a cluster", tells how they fit.
package deploy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/natsperm"
)

// Account is the NATS account dieuphoi's users and streams live in.
const Account = "DIEUPHOI"

// Files in a secrets directory.
const (
	CACert     = "ca.pem"
	caKey      = "ca-key.pem"
	ServerCert = "server.pem"
	ServerKey  = "server-key.pem"
	ServiceNK  = "service.nk"
	OperatorNK = "operator.nk"
	AdminNK    = "admin.nk"
	SOCDir     = "soc"
	TokenKey   = "token.key"
	SigningKey = "signing.key"
	AuthConf   = "auth.conf"
	K8sSecrets = "k8s-secrets.yaml"
)

// SecretsOptions say what to generate.
type SecretsOptions struct {
	Dir string // where; created with mode 0700
	// Hosts are extra names and addresses the NATS servers' certificate is valid for, besides
	// localhost, 127.0.0.1, ::1, the compose names (nats-1..3) and the Kubernetes names of the
	// chart in Namespace.
	Hosts     []string
	Namespace string         // Kubernetes namespace of the Secrets and the servers' names
	Config    *domain.Config // regulatory configuration: one NATS user per SOC with an alert source
	Validity  time.Duration  // of the certificates; default a year
}

// GenerateSecrets creates, in opts.Dir, whatever is missing of: a CA and the NATS servers'
// certificate (for clients and, mutually, between nodes), the nkeys of the NATS users (service,
// operator, admin, one per SOC), the service's token and signing keys; then writes auth.conf
// (the account block every node includes) and k8s-secrets.yaml (the same as Kubernetes Secrets)
// from them. What exists is kept, so running it again changes no key.
func GenerateSecrets(opts SecretsOptions) error {
	if opts.Namespace == "" {
		opts.Namespace = "dieuphoi"
	}
	if opts.Config == nil {
		opts.Config = domain.DefaultConfig()
	}
	if opts.Validity <= 0 {
		opts.Validity = 365 * 24 * time.Hour
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, SOCDir), 0o700); err != nil {
		return err
	}
	if err := ensureCerts(opts); err != nil {
		return err
	}
	type userFile struct {
		file string
		user natsperm.User
	}
	users := []userFile{
		{ServiceNK, natsperm.User{Name: "service: dieuphoi serve and its tools", Permissions: natsperm.Service()}},
		{OperatorNK, natsperm.User{Name: "operator: the nats CLI, read-only", Permissions: natsperm.Operator()}},
		{AdminNK, natsperm.User{Name: "admin: everything, for maintenance"}},
	}
	for _, org := range natsperm.SOCOrgs(opts.Config) {
		users = append(users, userFile{filepath.Join(SOCDir, org+".nk"),
			natsperm.User{Name: "SOC " + org + ": its own ingest subjects", Permissions: natsperm.SOC(org, opts.Config)}})
	}
	var nu []natsperm.User
	for _, u := range users {
		pub, err := ensureNkey(filepath.Join(opts.Dir, u.file))
		if err != nil {
			return err
		}
		u.user.Name += " (" + u.file + ")"
		u.user.Nkey = pub
		nu = append(nu, u.user)
	}
	for _, k := range []string{TokenKey, SigningKey} {
		if _, err := eventstore.LoadOrCreateKey(filepath.Join(opts.Dir, k)); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(opts.Dir, AuthConf), natsperm.AccountConf(Account, nu), 0o600); err != nil {
		return err
	}
	return writeK8sSecrets(opts.Dir, opts.Namespace)
}

// serverNames are the names the NATS servers' certificate covers.
func serverNames(opts SecretsOptions) []string {
	ns := opts.Namespace
	names := []string{"localhost", "127.0.0.1", "::1", "nats-1", "nats-2", "nats-3",
		// the official Helm chart's release "nats": its service and the pods of its headless service
		"nats", "nats." + ns, "nats." + ns + ".svc", "nats." + ns + ".svc.cluster.local",
		"*.nats-headless", "*.nats-headless." + ns, "*.nats-headless." + ns + ".svc", "*.nats-headless." + ns + ".svc.cluster.local"}
	return append(names, opts.Hosts...)
}

func ensureCerts(opts SecretsOptions) error {
	caPath, caKeyPath := filepath.Join(opts.Dir, CACert), filepath.Join(opts.Dir, caKey)
	ca, caPriv, err := loadCert(caPath, caKeyPath)
	if errors.Is(err, fs.ErrNotExist) {
		tmpl := &x509.Certificate{
			Subject:               pkix.Name{CommonName: "dieuphoi NATS CA", Organization: []string{"dieuphoi"}},
			IsCA:                  true,
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			BasicConstraintsValid: true,
		}
		if ca, caPriv, err = issue(tmpl, nil, nil, caPath, caKeyPath, opts.Validity); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	certPath, keyPath := filepath.Join(opts.Dir, ServerCert), filepath.Join(opts.Dir, ServerKey)
	if _, _, err := loadCert(certPath, keyPath); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmpl := &x509.Certificate{
		Subject:  pkix.Name{CommonName: "nats", Organization: []string{"dieuphoi"}},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		// ClientAuth too: the nodes present it to one another on their routes (mutual TLS).
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, n := range serverNames(opts) {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	_, _, err = issue(tmpl, ca, caPriv, certPath, keyPath, opts.Validity)
	return err
}

// issue signs tmpl with the CA (itself when ca is nil) and writes the certificate and its key.
func issue(tmpl, ca *x509.Certificate, caPriv *ecdsa.PrivateKey, certPath, keyPath string, validity time.Duration) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(validity)
	if ca == nil {
		ca, caPriv = tmpl, priv
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &priv.PublicKey, caPriv)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, priv, err
}

func loadCert(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	cp, _ := pem.Decode(cb)
	kp, _ := pem.Decode(kb)
	if cp == nil || kp == nil {
		return nil, nil, fmt.Errorf("%s or %s is not PEM: remove both to generate new ones", certPath, keyPath)
	}
	cert, err := x509.ParseCertificate(cp.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", certPath, err)
	}
	key, err := x509.ParseECPrivateKey(kp.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	return cert, key, nil
}

// ensureNkey returns the public key of the user seed at path, creating the seed if missing.
func ensureNkey(path string) (string, error) {
	seed, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return "", err
		}
		if seed, err = kp.Seed(); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, append(seed, '\n'), 0o600); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(seed))))
	if err != nil {
		return "", fmt.Errorf("%s is not an nkey seed: %w", path, err)
	}
	return kp.PublicKey()
}

// writeK8sSecrets writes the generated files as the Secrets the Kubernetes manifests use:
// nats-tls (the chart's TLS and CA), nats-auth (the account block), dieuphoi-keys (the
// service's keys, its NATS user and the CA) and nats-soc-users (the SOCs' nkeys, to hand over).
func writeK8sSecrets(dir, ns string) error {
	file := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }
	type secret struct {
		name string
		data map[string]string // key in the Secret -> file in dir
	}
	socs, _ := filepath.Glob(filepath.Join(dir, SOCDir, "*.nk"))
	socData := map[string]string{}
	for _, s := range socs {
		socData[filepath.Base(s)] = filepath.Join(SOCDir, filepath.Base(s))
	}
	secrets := []secret{
		{"nats-tls", map[string]string{"tls.crt": ServerCert, "tls.key": ServerKey, "ca.crt": CACert}},
		{"nats-auth", map[string]string{AuthConf: AuthConf}},
		{"dieuphoi-keys", map[string]string{TokenKey: TokenKey, SigningKey: SigningKey, ServiceNK: ServiceNK, CACert: CACert}},
		{"nats-users", map[string]string{OperatorNK: OperatorNK, AdminNK: AdminNK}},
		{"nats-soc-users", socData},
	}
	var b strings.Builder
	b.WriteString("# Generated by `go run ./deploy/gen`: secrets, never commit. kubectl apply -f this file.\n")
	for _, s := range secrets {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\ntype: Opaque\nstringData:\n", s.name, ns)
		keys := make([]string, 0, len(s.data))
		for k := range s.data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, err := file(s.data[k])
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "  %s: |\n", k)
			for _, line := range strings.Split(strings.TrimRight(string(v), "\n"), "\n") {
				fmt.Fprintf(&b, "    %s\n", line)
			}
		}
	}
	return os.WriteFile(filepath.Join(dir, K8sSecrets), []byte(b.String()), 0o600)
}
