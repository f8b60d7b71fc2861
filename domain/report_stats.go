package domain

import "slices"

// Assistance is how an incident was handled, as the periodic summary (Mẫu 05) counts it for
// one organisation. An organisation helped when, other than the reporting one, it acknowledged
// an escalation or accepted a handoff; foreign help is help from an organisation whose kind is
// marked foreign in the configuration. National is set when the national coordinator's help
// was requested: an escalation or handoff to an organisation of kind NATIONAL_CERT.
type Assistance struct {
	Alone    bool
	Domestic bool
	Foreign  bool
	National bool
}

// Assistance says how the incident was handled, seen from org.
func (i *Incident) Assistance(org string, cfg *Config) Assistance {
	var a Assistance
	helped := func(by string) {
		if by == "" || by == org {
			return
		}
		if cfg.IsForeign(by) {
			a.Foreign = true
		} else {
			a.Domestic = true
		}
	}
	national := cfg.NationalCERTs()
	for _, x := range i.Escalations {
		if !x.AckAt.IsZero() {
			helped(x.To)
		}
		a.National = a.National || x.To != org && slices.Contains(national, x.To)
	}
	for _, h := range i.Handoffs {
		if h.Status == HandoffStatusAccepted || h.Status == HandoffStatusReturned {
			helped(h.To)
		}
		a.National = a.National || h.To != org && slices.Contains(national, h.To)
	}
	a.Alone = !a.Domestic && !a.Foreign
	return a
}

// ReportedBy reports whether the incident belongs in org's periodic summary: org opened it,
// leads or owns it, or owns the affected system.
func (i *Incident) ReportedBy(org string) bool {
	return org != "" && (i.Origin == org || i.Lead == org || i.Owner == org ||
		i.AffectedSystem != nil && i.AffectedSystem.OwnerOrg == org)
}

// IsForeign reports whether the organisation's kind is marked foreign (help from abroad).
func (c *Config) IsForeign(slug string) bool {
	if o, ok := c.orgs[slug]; ok {
		if k, ok := c.kinds[o.Kind]; ok {
			return k.Foreign
		}
	}
	return false
}

// CanReadPeriodicReports reports whether a may see where org's periodic reports (Mẫu 05) stand:
// a member of org, or of a subcommittee organisation, which receives them; never an admin or an
// ingest machine, like every read of incidents.
func CanReadPeriodicReports(a Actor, org string, cfg *Config) bool {
	if cfg == nil || !a.Role.Valid() || a.Role == RoleAdmin || a.Role == RoleIngest {
		return false
	}
	if a.Org == org {
		_, ok := cfg.Org(org)
		return ok
	}
	o, ok := cfg.Org(a.Org)
	return ok && o.Kind == "SUBCOMMITTEE"
}
