package natsperm

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/matryer/is"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/dieuphoi/dieuphoi/domain"
)

// The account block deploy/ generates grants, once parsed by nats-server, exactly the
// permissions the embedded server gives the same users.
func TestAccountConfGrantsWhatTheEmbeddedServerGrants(t *testing.T) {
	is := is.New(t)
	cfg := domain.DefaultConfig()
	is.True(len(SOCOrgs(cfg)) > 0) // the default configuration has SOCs
	want := map[string]*server.Permissions{}
	var users []User
	add := func(name string, p *server.Permissions) {
		kp, err := nkeys.CreateUser()
		is.NoErr(err)
		pub, _ := kp.PublicKey()
		users = append(users, User{Name: name, Nkey: pub, Permissions: p})
		want[pub] = p
	}
	add("service", Service())
	add("operator", Operator())
	add("admin", nil)
	for _, org := range SOCOrgs(cfg) {
		add("soc "+org, SOC(org, cfg))
	}
	path := filepath.Join(t.TempDir(), "auth.conf")
	is.NoErr(os.WriteFile(path, AccountConf("DIEUPHOI", users), 0o600))

	opts, err := server.ProcessConfigFile(path)
	is.NoErr(err) // nats-server accepts the generated block
	is.Equal(len(opts.Nkeys), len(users))
	for _, u := range opts.Nkeys {
		is.Equal(u.Account.Name, "DIEUPHOI")                    // every user in the account
		is.True(reflect.DeepEqual(u.Permissions, want[u.Nkey])) // the embedded server's permissions, exactly
	}
}

func TestSOCMayOnlyPublishItsOwnSources(t *testing.T) {
	is := is.New(t)
	cfg := &domain.Config{AlertSources: []domain.AlertSource{{ID: "ids-a", Org: "soc-a"}, {ID: "fw-a", Org: "soc-a"}, {ID: "ids-b", Org: "soc-b"}}}
	is.Equal(SOCOrgs(cfg), []string{"soc-a", "soc-b"})
	is.Equal(SOC("soc-a", cfg).Publish.Allow, []string{"dieuphoi.ingest.ids-a", "dieuphoi.ingest.fw-a"})
	is.Equal(SOC("soc-a", cfg).Subscribe.Allow, []string{"_INBOX_soc-a.>"})
	is.Equal(SOC("nobody", cfg).Publish.Allow, []string{"dieuphoi.ingest.$none"}) // no source, nothing
}
