package projections

import (
	"slices"

	"github.com/dieuphoi/dieuphoi/domain"
)

// access applies the domain's one access rule (domain.CanRead) on the read side, fast: for
// every TLP but RED the answer does not depend on the person, so it is computed once per
// organisation of the directory into a bitset when an incident's audience changes; at RED the
// policy is asked per person. Every read path of the incident read models goes through it.
type access struct {
	cfg *domain.Config
	// orgs numbers the directory's organisations for the readers bitsets.
	orgs map[string]int
}

func newAccess(cfg *domain.Config) access {
	a := access{cfg: cfg, orgs: map[string]int{}}
	for i, o := range cfg.Organisations {
		a.orgs[o.Slug] = i
	}
	return a
}

// readers is a bitset over the directory's organisations.
type readers []uint64

func (r readers) has(i int) bool { return i >= 0 && i/64 < len(r) && r[i/64]&(1<<(i%64)) != 0 }

// viewer is an actor prepared for fast visibility checks.
type viewer struct {
	actor domain.Actor
	key   string // "org/user", as TLP:RED recipients are named
	org   int    // index in the directory, -1 if unknown
	ok    bool
}

func (x access) viewer(a domain.Actor) viewer {
	i, known := x.orgs[a.Org]
	if !known {
		i = -1
	}
	return viewer{actor: a, key: domain.UserKey(a.Org, a.User), org: i,
		ok: known && a.Role.Valid() && a.Role != domain.RoleAdmin && a.Role != domain.RoleIngest}
}

// canSee decides visibility with the domain policy's own answer: precomputed per organisation
// for every TLP but RED, asked directly for RED, where only a named recipient can pass.
func (x access) canSee(v viewer, aud domain.Audience, r readers) bool {
	if !v.ok {
		return false
	}
	if aud.TLP == domain.TLPRed {
		return slices.Contains(aud.Recipients, v.key) && domain.CanRead(v.actor, aud, x.cfg)
	}
	return r.has(v.org)
}

// readers asks the domain policy, once per organisation, who may read at this audience. It does
// not depend on the person except at TLP:RED, which canSee asks separately.
func (x access) readers(aud domain.Audience) readers {
	r := make(readers, (len(x.cfg.Organisations)+63)/64)
	for i, o := range x.cfg.Organisations {
		if domain.CanRead(domain.Actor{Org: o.Slug, Role: domain.RoleCoordinator}, aud, x.cfg) {
			r[i/64] |= 1 << (i % 64)
		}
	}
	return r
}
