// Command gen creates the secrets of a dieuphoi deployment on a NATS cluster, which no
// repository may hold: a CA and the NATS servers' TLS certificate, the nkeys of the NATS users
// (service, operator, admin, one per SOC), the service's token and signing keys, the account
// block every NATS node includes (auth.conf) and the same as Kubernetes Secrets
// (k8s-secrets.yaml). What exists is kept: running it again changes no key.
//
//	go run ./deploy/gen                       # into deploy/secrets (ignored by git)
//	go run ./deploy/gen -out DIR -hosts nats.example.gov.vn,10.0.0.5 -namespace dieuphoi
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/deploy"
	"github.com/dieuphoi/dieuphoi/domain"
)

func main() {
	out := flag.String("out", "deploy/secrets", "directory to write into (created, mode 0700)")
	hosts := flag.String("hosts", "", "comma-separated extra DNS names or IP addresses of the NATS servers")
	ns := flag.String("namespace", "dieuphoi", "Kubernetes namespace of the Secrets and of the NATS chart's release \"nats\"")
	config := flag.String("config", "", "regulatory configuration file (its alert sources' SOCs get NATS users); default: the embedded one")
	validity := flag.Duration("validity", 365*24*time.Hour, "validity of the certificates")
	flag.Parse()
	if err := run(*out, *hosts, *ns, *config, *validity); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out, hosts, ns, config string, validity time.Duration) error {
	cfg := domain.DefaultConfig()
	if config != "" {
		b, err := os.ReadFile(config)
		if err != nil {
			return err
		}
		if cfg, err = domain.ParseConfig(config, b); err != nil {
			return err
		}
	}
	var hs []string
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hs = append(hs, h)
		}
	}
	if err := deploy.GenerateSecrets(deploy.SecretsOptions{Dir: out, Hosts: hs, Namespace: ns, Config: cfg, Validity: validity}); err != nil {
		return err
	}
	fmt.Printf("secrets in %s: %s, %s (NATS TLS), %s and %s/ (NATS users), %s, %s, %s (NATS account), %s (Kubernetes)\n",
		out, deploy.CACert, deploy.ServerCert, deploy.ServiceNK+", "+deploy.OperatorNK+", "+deploy.AdminNK, deploy.SOCDir,
		deploy.TokenKey, deploy.SigningKey, deploy.AuthConf, deploy.K8sSecrets)
	return nil
}
