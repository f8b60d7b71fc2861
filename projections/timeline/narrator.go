package timeline

import (
	"strconv"

	"github.com/dieuphoi/dieuphoi/domain"
)

// narrator writes the sentences of one event: it knows who acted and how organisations are
// named.
type narrator struct {
	cfg   *domain.Config
	actor domain.Actor // who recorded the event
	who   Text         // the actor as sentences name it
}

func newNarrator(cfg *domain.Config, actor domain.Actor) narrator {
	n := narrator{cfg: cfg, actor: actor}
	n.who = n.name(actor)
	return n
}

// says starts a sentence with the actor, followed by vi or en.
func (n narrator) says(vi, en string) Text { return cat(n.who, bi(vi, en)) }

// name is "<user> (<organisation>)", or what is known of it; "Hệ thống" for nobody or the
// operator acting through the command line (domain.SystemActor).
func (n narrator) name(a domain.Actor) Text {
	user := clip(a.User, shortExcerpt)
	switch {
	case a.Org == "" && (user == "" || user == "system"):
		return bi("Hệ thống", "The system")
	case user != "" && a.Org != "":
		return cat(same(user+" ("), n.org(a.Org), same(")"))
	case user != "":
		return same(user)
	}
	return n.org(a.Org)
}

// org is an organisation's display name in each language; the slug when unknown.
func (n narrator) org(slug string) Text {
	name := same(orgSlug(slug))
	if n.cfg == nil {
		return name
	}
	if o, ok := n.cfg.Org(slug); ok {
		if o.NameVi != "" {
			name.Vi = o.NameVi
		}
		if o.NameEn != "" {
			name.En = o.NameEn
		}
	}
	return name
}

func orgSlug(slug string) string {
	if s := clip(slug, shortExcerpt); s != "" {
		return s
	}
	return "?"
}

// orgs names organisations: "A và B", "A; B và C" (names contain commas, so items are
// separated by semicolons); beyond maxListed, the rest are counted.
func (n narrator) orgs(slugs []string) Text {
	if len(slugs) == 0 {
		return bi("(không có tổ chức nào)", "(no organisation)")
	}
	shown := slugs[:min(len(slugs), maxListed)]
	names := make([]Text, 0, len(shown)+1)
	for _, s := range shown {
		names = append(names, n.org(s))
	}
	if rest := len(slugs) - len(shown); rest > 0 {
		names = append(names, bi(strconv.Itoa(rest)+" tổ chức khác", count(rest, "other organisation", "other organisations")))
	}
	if len(names) == 1 {
		return names[0]
	}
	last := len(names) - 1
	return cat(join(names[:last], "; "), bi(" và ", " and "), names[last])
}

// listed is the opening words, the organisations, then closing; nothing when there are none.
func (n narrator) listed(openVi, openEn string, slugs []string, closing string) Text {
	if len(slugs) == 0 {
		return Text{}
	}
	return cat(bi(openVi, openEn), n.orgs(slugs), same(closing))
}

// onBehalf names the organisation acted for when it is not the actor's own.
func (n narrator) onBehalf(org string) Text {
	if org == "" || org == n.actor.Org {
		return Text{}
	}
	return cat(bi(" thay mặt ", " on behalf of "), n.org(org))
}

// skipped names the chain steps passed over because the incident may not reach them.
func (n narrator) skipped(slugs []string) Text {
	if len(slugs) == 0 {
		return Text{}
	}
	return cat(bi(" (bỏ qua ", " (passed over "), n.orgs(slugs),
		bi(", không được phép tiếp nhận sự cố)", ", not allowed to receive the incident)"))
}

// keeps says that owner keeps the incident, when a chain ends without a new owner.
func (n narrator) keeps(owner string) Text {
	if owner == "" {
		return Text{}
	}
	return cat(same("; "), n.org(owner), bi(" tiếp tục chủ quản sự cố", " keeps ownership"))
}
