package projections

import (
	"slices"
	"strings"

	"github.com/dieuphoi/dieuphoi/domain"
)

// maxCorrelated bounds the incidents one alert is correlated with.
const maxCorrelated = 10

func indicatorKey(t domain.IndicatorType, v string) string { return "i\x00" + string(t) + "\x00" + v }

func assetKey(a string) string { return "a\x00" + strings.ToLower(strings.TrimSpace(a)) }

// correlate indexes incident id under key; p.mu is held for writing.
func (p *Projector) correlate(key, id string) {
	if l := p.corr[key]; !slices.Contains(l, id) {
		p.corr[key] = append(l, id)
	}
}

// OpenIncidentsMatching returns the open incidents (drills included) whose affected system is
// named asset or that carry one of the indicators, at most 10, with the reason: "asset",
// "indicator" or "asset+indicator". It applies no access policy: it feeds proposals recorded on
// alerts, which readers see only through their own access to the incident.
func (p *Projector) OpenIncidentsMatching(asset string, inds []domain.AlertIndicator) ([]string, string) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []string
	byAsset, byInd := false, false
	add := func(key string) bool {
		found := false
		for _, id := range p.corr[key] {
			if m, ok := p.incidents[id]; ok && m.inc.Status == domain.IncidentStatusOpen && len(out) < maxCorrelated {
				found = true
				if !slices.Contains(out, id) {
					out = append(out, id)
				}
			}
		}
		return found
	}
	if asset != "" {
		byAsset = add(assetKey(asset))
	}
	for _, x := range inds {
		if add(indicatorKey(x.Type, x.Value)) {
			byInd = true
		}
	}
	return out, reasonOf(byAsset, byInd)
}

// IncidentOpen reports whether the incident exists and is open.
func (p *Projector) IncidentOpen(id string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	m, ok := p.incidents[id]
	return ok && m.inc.Status == domain.IncidentStatusOpen
}

func reasonOf(asset, ind bool) string {
	switch {
	case asset && ind:
		return "asset+indicator"
	case asset:
		return "asset"
	case ind:
		return "indicator"
	}
	return ""
}
