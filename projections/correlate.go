package projections

import (
	"slices"
	"strings"
	"sync"

	"github.com/dieuphoi/dieuphoi/domain"
)

// maxCorrelated bounds the incidents one alert is correlated with.
const maxCorrelated = 10

func indicatorKey(t domain.IndicatorType, v string) string { return "i\x00" + string(t) + "\x00" + v }

func assetKey(a string) string { return "a\x00" + strings.ToLower(strings.TrimSpace(a)) }

// Correlation indexes incidents by their indicators and affected system, for the correlation
// of incoming alerts (Alerts.Correlate). The Projector keeps it from the incidents' state after
// each commit.
type Correlation struct {
	mu      sync.RWMutex
	keys    map[string][]string // indicatorKey or assetKey -> incident ids
	open    map[string]bool     // incident id -> open
	indexed map[string]int      // incident id -> how many of its indicators are indexed
}

func newCorrelation() *Correlation {
	return &Correlation{keys: map[string][]string{}, open: map[string]bool{}, indexed: map[string]int{}}
}

// update indexes what the incident newly carries and whether it is open.
func (c *Correlation) update(i *domain.Incident) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range i.Indicators[c.indexed[i.ID]:] {
		c.add(indicatorKey(x.Type, x.Value), i.ID)
	}
	c.indexed[i.ID] = len(i.Indicators)
	if as := i.AffectedSystem; as != nil && as.Name != "" {
		c.add(assetKey(as.Name), i.ID)
	}
	c.open[i.ID] = i.Status == domain.IncidentStatusOpen
}

func (c *Correlation) add(key, id string) {
	if l := c.keys[key]; !slices.Contains(l, id) {
		c.keys[key] = append(l, id)
	}
}

// OpenIncidentsMatching returns the open incidents (drills included) whose affected system is
// named asset or that carry one of the indicators, at most 10, with the reason: "asset",
// "indicator" or "asset+indicator". It applies no access policy: it feeds proposals recorded on
// alerts, which readers see only through their own access to the incident.
func (c *Correlation) OpenIncidentsMatching(asset string, inds []domain.AlertIndicator) ([]string, string) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	byAsset, byInd := false, false
	add := func(key string) bool {
		found := false
		for _, id := range c.keys[key] {
			if c.open[id] && len(out) < maxCorrelated {
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
func (c *Correlation) IncidentOpen(id string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.open[id]
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
