package deploy

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// mustBinaries builds nats-server (the pinned version) and dieuphoi once per test binary.
func mustBinaries(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dieuphoi-deploy-bin")
		if err != nil {
			binErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		var out bytes.Buffer
		if binErr = Build(ctx, moduleRoot(tb), dir, &out); binErr != nil {
			binErr = &buildError{binErr, out.String()}
		}
		binDir = dir
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return binDir
}

// Every node's configuration passes `nats-server -t` (the server's own check, which also loads
// the certificates and the generated account) with the environment compose gives it.
func TestNATSConfigPassesTheServersCheck(t *testing.T) {
	is := is.New(t)
	bin := mustBinaries(t)
	dir := t.TempDir()
	is.NoErr(GenerateSecrets(SecretsOptions{Dir: filepath.Join(dir, "secrets")}))
	conf, err := os.ReadFile(filepath.Join(moduleRoot(t), "deploy", "nats", "nats.conf"))
	is.NoErr(err)
	is.NoErr(os.WriteFile(filepath.Join(dir, "nats.conf"), conf, 0o600))
	for _, node := range []string{"nats-1", "nats-2", "nats-3"} {
		cmd := exec.Command(filepath.Join(bin, "nats-server"), "-t", "-c", filepath.Join(dir, "nats.conf"))
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NATS_NAME="+node, "NATS_LISTEN=0.0.0.0:4222", "NATS_HTTP=0.0.0.0:8222",
			"NATS_CLUSTER_LISTEN=0.0.0.0:6222", "NATS_ROUTE_1=nats://nats-1:6222", "NATS_ROUTE_2=nats://nats-2:6222",
			"NATS_ROUTE_3=nats://nats-3:6222", "NATS_STORE_DIR="+filepath.Join(dir, node))
		out, err := cmd.CombinedOutput()
		is.NoErr(err)                                      // nats-server -t accepts the configuration
		is.True(strings.Contains(string(out), "is valid")) // and says so
	}
	// Without its environment a node refuses to start rather than run half-configured.
	cmd := exec.Command(filepath.Join(bin, "nats-server"), "-t", "-c", filepath.Join(dir, "nats.conf"))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	is.True(err != nil)                                 // refused
	is.True(strings.Contains(string(out), "NATS_NAME")) // naming what is missing
}

// The Kubernetes manifests decode strictly into the Kubernetes API's own types (an unknown or
// misspelt field, a wrong type, fails), and hang together: probes, selectors, Secrets and keys.
func TestKubernetesManifestsMatchTheAPI(t *testing.T) {
	is := is.New(t)
	docs := mustDocs(t, filepath.Join(moduleRoot(t), "deploy", "k8s", "dieuphoi.yaml"))
	var dep appsv1.Deployment
	var svc corev1.Service
	var pdb policyv1.PodDisruptionBudget
	for _, d := range docs {
		var kind struct{ Kind string }
		is.NoErr(yaml.Unmarshal(d, &kind))
		var into any
		switch kind.Kind {
		case "Deployment":
			into = &dep
		case "Service":
			into = &svc
		case "PodDisruptionBudget":
			into = &pdb
		default:
			t.Fatalf("unexpected kind %q", kind.Kind)
		}
		is.NoErr(yaml.UnmarshalStrict(d, into)) // every field is the API's
	}
	is.Equal(*dep.Spec.Replicas, int32(2))
	labels := dep.Spec.Template.Labels
	for k, v := range dep.Spec.Selector.MatchLabels {
		is.Equal(labels[k], v) // the Deployment selects its pods
	}
	for k, v := range pdb.Spec.Selector.MatchLabels {
		is.Equal(labels[k], v) // the budget covers them
	}
	for k, v := range svc.Spec.Selector {
		is.Equal(labels[k], v) // the Service reaches them
	}
	is.True(pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.IntValue() == 1)
	c := dep.Spec.Template.Spec.Containers[0]
	is.Equal(c.ReadinessProbe.HTTPGet.Path, "/healthz") // ready once the read models hold the log

	// The Secrets gen writes decode as Secrets, and hold every file the pods are told to read.
	dir := t.TempDir()
	is.NoErr(GenerateSecrets(SecretsOptions{Dir: dir}))
	secrets := map[string]corev1.Secret{}
	for _, d := range mustDocs(t, filepath.Join(dir, K8sSecrets)) {
		var s corev1.Secret
		is.NoErr(yaml.UnmarshalStrict(d, &s))
		secrets[s.Name] = s
	}
	mounts := map[string]string{} // mount path -> secret
	for _, v := range dep.Spec.Template.Spec.Volumes {
		for _, m := range c.VolumeMounts {
			if m.Name == v.Name && v.Secret != nil {
				mounts[m.MountPath] = v.Secret.SecretName
			}
		}
	}
	flags := serveFlags(t)
	for _, e := range c.Env {
		is.True(flags[e.Name]) // an environment variable `dieuphoi serve` reads
		if !strings.HasPrefix(e.Value, "/etc/") {
			continue
		}
		secret, ok := mounts[filepath.Dir(e.Value)]
		is.True(ok) // a file from a mounted Secret
		_, ok = secrets[secret].StringData[filepath.Base(e.Value)]
		is.True(ok) // that gen puts in that Secret
	}
	for _, name := range []string{"nats-tls", "nats-auth"} {
		_, ok := secrets[name]
		is.True(ok) // the Secrets the NATS chart's values name
	}
}

// The Helm values enable what dieuphoi relies on: three nodes, JetStream on volumes, TLS for
// clients and mutual TLS between nodes from gen's Secret, and the generated account included
// from where its Secret is mounted.
func TestNATSChartValues(t *testing.T) {
	is := is.New(t)
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "deploy", "k8s", "nats-values.yaml"))
	is.NoErr(err)
	var v struct {
		Config struct {
			Cluster struct {
				Enabled  bool
				Replicas int
				TLS      struct {
					Enabled    bool
					SecretName string `json:"secretName"`
					Merge      map[string]any
				} `json:"tls"`
			}
			Jetstream struct{ Enabled bool }
			Nats      struct {
				TLS struct {
					Enabled    bool
					SecretName string `json:"secretName"`
				} `json:"tls"`
			}
			Merge map[string]any
		}
		TLSCA struct {
			Enabled    bool
			SecretName string `json:"secretName"`
		} `json:"tlsCA"`
		Container struct {
			Patch []struct {
				Value struct{ Name, MountPath string } `json:"value"`
			}
		}
		PodTemplate struct {
			Patch []struct {
				Value corev1.Volume `json:"value"`
			}
		} `json:"podTemplate"`
	}
	is.NoErr(yaml.Unmarshal(b, &v))
	is.True(v.Config.Cluster.Enabled && v.Config.Cluster.Replicas == 3) // three nodes
	is.True(v.Config.Jetstream.Enabled)                                 // JetStream
	is.True(v.Config.Nats.TLS.Enabled && v.Config.Nats.TLS.SecretName == "nats-tls")
	is.True(v.Config.Cluster.TLS.Enabled && v.Config.Cluster.TLS.SecretName == "nats-tls" && v.Config.Cluster.TLS.Merge["verify"] == true)
	is.True(v.TLSCA.Enabled && v.TLSCA.SecretName == "nats-tls")
	include, _ := v.Config.Merge["$include"].(string)
	mount := v.Container.Patch[0].Value
	is.Equal(filepath.Join("/etc/nats-config", include), filepath.Join(mount.MountPath, AuthConf)) // the account is included from its mount
	is.Equal(v.PodTemplate.Patch[0].Value.Name, mount.Name)
	is.Equal(v.PodTemplate.Patch[0].Value.Secret.SecretName, "nats-auth")
}

// The compose file names only flags `dieuphoi serve` has, and `docker compose config` accepts it
// where a Docker client with compose is installed (CI has none: then it is skipped).
func TestComposeFile(t *testing.T) {
	is := is.New(t)
	path := filepath.Join(moduleRoot(t), "deploy", "compose.yaml")
	b, err := os.ReadFile(path)
	is.NoErr(err)
	var c struct {
		Services map[string]struct {
			Environment map[string]string
		}
	}
	is.NoErr(yaml.Unmarshal(b, &c))
	flags := serveFlags(t)
	var nats, replicas int
	for name, s := range c.Services {
		switch {
		case strings.HasPrefix(name, "nats-"):
			nats++
			is.Equal(s.Environment["NATS_NAME"], name) // each node named as its host
		case strings.HasPrefix(name, "dieuphoi-"):
			replicas++
			for k := range s.Environment {
				is.True(flags[k]) // an environment variable `dieuphoi serve` reads
			}
		}
	}
	is.Equal(nats, 3)
	is.Equal(replicas, 2)
	if exec.Command("docker", "compose", "version").Run() != nil {
		t.Skip("no docker compose here: `docker compose config` not run")
	}
	out, err := exec.Command("docker", "compose", "-f", path, "config", "-q").CombinedOutput()
	is.NoErr(err) // docker compose config
	is.Equal(string(out), "")
}

// serveFlags are the environment variables of `dieuphoi serve`'s flags, from its -h.
func serveFlags(tb testing.TB) map[string]bool {
	tb.Helper()
	out, _ := exec.Command(filepath.Join(mustBinaries(tb), "dieuphoi"), "serve", "-h").CombinedOutput()
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`\(env (DIEUPHOI_[A-Z_]+)\)`).FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	if !flags["DIEUPHOI_NATS_URL"] {
		tb.Fatalf("dieuphoi serve -h did not list its flags:\n%s", out)
	}
	return flags
}

// mustDocs splits a YAML file into its documents.
func mustDocs(tb testing.TB, path string) [][]byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(d, "")) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
