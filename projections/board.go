package projections

import (
	"container/heap"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/dieuphoi/dieuphoi/domain"
)

// boardRow holds what the board's scan reads, by value, so that a scan over 100,000 incidents
// walks memory in order instead of chasing pointers.
type boardRow struct {
	r0       uint64 // readers, first 64 organisations of the directory
	red      bool   // TLP:RED: ask the policy per person
	open     bool
	drill    bool
	sev      int8 // severity rank
	phase    int8 // index in domain.Phases
	tlp      domain.TLP
	updated  int64 // unix nanoseconds
	opened   int64
	deadline int64 // next pending deadline, or the largest int64 when none
	m        *incidentModel
}

func (x *Incidents) row(m *incidentModel) boardRow {
	i := m.inc
	r := boardRow{red: m.aud.TLP == domain.TLPRed, open: i.Status == domain.IncidentStatusOpen, drill: i.Drill,
		sev: int8(i.Severity.Rank()), phase: int8(slices.Index(domain.Phases, i.Phase)), tlp: i.TLP,
		updated: m.updatedAt.UnixNano(), opened: i.OpenedAt.UnixNano(), deadline: 1<<63 - 1, m: m}
	if len(m.readers) > 0 {
		r.r0 = m.readers[0]
	}
	if d := x.nextDeadline(i, time.Time{}); d != nil {
		r.deadline = d.At.UnixNano()
	}
	return r
}

// visible is sees() on a row: the bitset inline (small enough to be inlined in the scan); RED
// and directories of more than 64 organisations take canSee, the one visibility rule.
func (x *Incidents) visible(v *viewer, r *boardRow) bool {
	if r.red || v.org >= 64 {
		return x.canSee(*v, r.m.aud, r.m.readers)
	}
	return v.ok && r.r0&(1<<v.org) != 0
}

// BoardFilter narrows the board; empty fields do not filter.
type BoardFilter struct {
	Status   []domain.IncidentStatus
	Phase    []domain.Phase
	Severity []domain.Severity
	Type     []string
	Sector   []string
	TLP      []domain.TLP
	Org      string // originated, leads, owns, or was brought in
	Drill    *bool
	Text     string // in the title, case-insensitive
}

// BoardSort orders the board.
type BoardSort string

// Board orders.
const (
	SortUpdated  BoardSort = "UPDATED"  // most recently changed first (default)
	SortOpened   BoardSort = "OPENED"   // most recently opened first
	SortSeverity BoardSort = "SEVERITY" // most severe first, then most recently changed
	SortDeadline BoardSort = "DEADLINE" // nearest (and overdue) deadline first; none last
)

// BoardQuery is one page of the board.
type BoardQuery struct {
	Filter BoardFilter
	Sort   BoardSort
	First  int    // page size, 1..MaxPage (default 50)
	After  string // cursor from a previous page
	Now    time.Time
}

// MaxPage is the largest page of the board.
const MaxPage = 500

// Board is a page of the board with counts over everything the viewer may see that matches.
type Board struct {
	Nodes        []IncidentSummary
	TotalCount   int
	StatusCounts map[domain.IncidentStatus]int
	PhaseCounts  map[domain.Phase]int
	EndCursor    string
	HasNextPage  bool
	Sequence     uint64 // the read models' sequence the page was taken at
	AsOf         *time.Time
}

type sortKey struct {
	k  int64
	id string
}

func (a sortKey) less(b sortKey) bool { return a.k < b.k || a.k == b.k && a.id < b.id }

func (r *boardRow) key(s BoardSort) int64 {
	switch s {
	case SortOpened:
		return -r.opened
	case SortSeverity:
		// severity rank in the high bits, recency below: 4 ranks fit beside 2^60 ns (36 years)
		return -(int64(r.sev+1)<<60 | (r.updated >> 3))
	case SortDeadline:
		return r.deadline
	}
	return -r.updated
}

func encodeCursor(s BoardSort, k sortKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(string(s) + ":" + strconv.FormatInt(k.k, 10) + ":" + k.id))
}

func decodeCursor(s BoardSort, c string) (sortKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	parts := strings.SplitN(string(b), ":", 3)
	if err != nil || len(parts) != 3 {
		return sortKey{}, domain.Errorf(domain.EINVALID, "cursor %q is not one this board gave out", trim(c))
	}
	if BoardSort(parts[0]) != s {
		return sortKey{}, domain.Errorf(domain.EINVALID, "the cursor belongs to a board sorted by %s, not %s", parts[0], s)
	}
	k, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return sortKey{}, domain.Errorf(domain.EINVALID, "cursor %q is not one this board gave out", trim(c))
	}
	return sortKey{k, parts[2]}, nil
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// titleWords splits a lower-cased title into words (letters and digits).
func titleWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// candidates returns the rows whose titles hold every word, ascending, or ok=false when the
// filter has no words.
func (x *Incidents) candidates(words []string) (rows []int32, ok bool) {
	if len(words) == 0 {
		return nil, false
	}
	lists := make([][]int32, len(words))
	for i, w := range words {
		lists[i] = x.words[w]
		if len(lists[i]) == 0 {
			return nil, true
		}
	}
	slices.SortFunc(lists, func(a, b []int32) int { return len(a) - len(b) })
	out := slices.Clone(lists[0])
	for _, l := range lists[1:] {
		keep := out[:0]
		j := 0
		for _, x := range out {
			for j < len(l) && l[j] < x {
				j++
			}
			if j < len(l) && l[j] == x {
				keep = append(keep, x)
			}
		}
		out = keep
	}
	return out, true
}

// prepared is a filter turned into what the scan compares cheaply.
type prepared struct {
	f        *BoardFilter
	status   [2]bool // open, closed
	anyState bool
	phase    [8]bool
	anyPhase bool
	sev      [4]bool
	anySev   bool
	words    []string
	deep     bool // type, sector, TLP or org: needs the incident itself
}

func (f *BoardFilter) prepare() prepared {
	pf := prepared{f: f, anyState: len(f.Status) == 0, anyPhase: len(f.Phase) == 0, anySev: len(f.Severity) == 0,
		words: titleWords(strings.ToLower(f.Text))}
	for _, s := range f.Status {
		if s == domain.IncidentStatusOpen {
			pf.status[0] = true
		} else {
			pf.status[1] = true
		}
	}
	for _, ph := range f.Phase {
		if i := slices.Index(domain.Phases, ph); i >= 0 && i < len(pf.phase) {
			pf.phase[i] = true
		}
	}
	for _, sv := range f.Severity {
		if r := sv.Rank(); r >= 0 {
			pf.sev[r] = true
		}
	}
	pf.deep = len(f.Type) > 0 || len(f.Sector) > 0 || len(f.TLP) > 0 || f.Org != ""
	return pf
}

func (pf *prepared) matches(r *boardRow) bool {
	if !pf.anyState && !(r.open && pf.status[0] || !r.open && pf.status[1]) ||
		!pf.anyPhase && (r.phase < 0 || !pf.phase[r.phase]) ||
		!pf.anySev && (r.sev < 0 || !pf.sev[r.sev]) ||
		pf.f.Drill != nil && *pf.f.Drill != r.drill {
		return false
	}
	if pf.deep {
		return pf.f.matches(r.m)
	}
	return true
}

// matches applies the filter's fields that need the incident itself; words are matched by the
// title index.
func (f *BoardFilter) matches(m *incidentModel) bool {
	i := m.inc
	if len(f.Status) > 0 && !slices.Contains(f.Status, i.Status) ||
		len(f.Phase) > 0 && !slices.Contains(f.Phase, i.Phase) ||
		len(f.Severity) > 0 && !slices.Contains(f.Severity, i.Severity) ||
		len(f.Type) > 0 && !slices.Contains(f.Type, i.Type) ||
		len(f.Sector) > 0 && !slices.Contains(f.Sector, i.Sector) ||
		len(f.TLP) > 0 && !slices.Contains(f.TLP, i.TLP) ||
		f.Drill != nil && *f.Drill != i.Drill {
		return false
	}
	if f.Org != "" && !(f.Org == i.Origin || f.Org == i.Lead || f.Org == i.Owner || slices.Contains(i.Shared, f.Org) ||
		slices.Contains(m.aud.EscalatedTo, f.Org) || slices.Contains(m.aud.HandoffTo, f.Org)) {
		return false
	}
	return true
}

// validate checks the query and fills defaults.
func (q *BoardQuery) validate() error {
	switch q.Sort {
	case "":
		q.Sort = SortUpdated
	case SortUpdated, SortOpened, SortSeverity, SortDeadline:
	default:
		return domain.Errorf(domain.EINVALID, "unknown board order %q", q.Sort)
	}
	if q.First == 0 {
		q.First = 50
	}
	if q.First < 1 || q.First > MaxPage {
		return domain.Errorf(domain.EINVALID, "first must be between 1 and %d", MaxPage)
	}
	if len(q.Filter.Text) > 200 {
		return domain.Errorf(domain.EINVALID, "the search text is limited to 200 bytes")
	}
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	return nil
}

// topK keeps the k smallest keys seen (a max-heap of size k).
type topK struct {
	keys []sortKey
	rows []*boardRow
}

func (h *topK) Len() int           { return len(h.keys) }
func (h *topK) Less(i, j int) bool { return h.keys[j].less(h.keys[i]) }
func (h *topK) Swap(i, j int) {
	h.keys[i], h.keys[j] = h.keys[j], h.keys[i]
	h.rows[i], h.rows[j] = h.rows[j], h.rows[i]
}
func (h *topK) Push(x any) { panic("unused") }
func (h *topK) Pop() any {
	n := len(h.keys) - 1
	h.keys, h.rows = h.keys[:n], h.rows[:n]
	return nil
}

// Board returns one page of the incidents the viewer may see. One pass over the incidents
// filters, counts and keeps the page's rows; counts never include what the viewer may not see.
func (x *Incidents) Board(viewer domain.Actor, q BoardQuery) (Board, error) {
	if err := q.validate(); err != nil {
		return Board{}, err
	}
	var after *sortKey
	if q.After != "" {
		k, err := decodeCursor(q.Sort, q.After)
		if err != nil {
			return Board{}, err
		}
		after = &k
	}
	v := x.viewer(viewer)
	pf := q.Filter.prepare()
	x.mu.RLock()
	defer x.mu.RUnlock()
	b := Board{Sequence: x.progress.Applied()}
	var statusN [2]int
	var phaseN [8]int
	limit := q.First + 1 // one more tells whether a next page exists
	h := &topK{keys: make([]sortKey, 0, limit), rows: make([]*boardRow, 0, limit)}
	// Newest rows last: scanning backwards, the page fills with recent incidents first and
	// older ones are mostly refused by one comparison instead of reshuffling the heap. With
	// words, only the rows whose titles hold them all are looked at.
	cand, indexed := x.candidates(pf.words)
	count := len(x.rows)
	if indexed {
		count = len(cand)
	}
	for c := count - 1; c >= 0; c-- {
		n := c
		if indexed {
			n = int(cand[c])
		}
		r := &x.rows[n]
		if r.m == nil || !x.visible(&v, r) || !pf.matches(r) {
			continue
		}
		b.TotalCount++
		if r.open {
			statusN[0]++
		} else {
			statusN[1]++
		}
		if r.phase >= 0 && int(r.phase) < len(phaseN) {
			phaseN[r.phase]++
		}
		k := r.key(q.Sort)
		if after != nil && (k < after.k || k == after.k && r.m.inc.ID <= after.id) {
			continue
		}
		if len(h.keys) < limit {
			h.keys, h.rows = append(h.keys, sortKey{k, r.m.inc.ID}), append(h.rows, r)
			if len(h.keys) == limit { // full: from now on the largest kept key sits on top
				heap.Init(h)
			}
		} else if top := h.keys[0]; k < top.k || k == top.k && r.m.inc.ID < top.id {
			h.keys[0], h.rows[0] = sortKey{k, r.m.inc.ID}, r
			heap.Fix(h, 0)
		}
	}
	b.StatusCounts = map[domain.IncidentStatus]int{}
	if statusN[0] > 0 {
		b.StatusCounts[domain.IncidentStatusOpen] = statusN[0]
	}
	if statusN[1] > 0 {
		b.StatusCounts[domain.IncidentStatusClosed] = statusN[1]
	}
	b.PhaseCounts = map[domain.Phase]int{}
	for i, n := range phaseN {
		if n > 0 && i < len(domain.Phases) {
			b.PhaseCounts[domain.Phases[i]] = n
		}
	}
	// Sort the kept rows ascending by key.
	idx := make([]int, len(h.keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if h.keys[a].less(h.keys[b]) {
			return -1
		}
		return 1
	})
	for n, i := range idx {
		if n == q.First {
			b.HasNextPage = true
			break
		}
		b.Nodes = append(b.Nodes, x.summary(viewer, h.rows[i].m, q.Now))
		b.EndCursor = encodeCursor(q.Sort, h.keys[i])
	}
	return b, nil
}

// Matches reports whether an incident passes the filter's status, phase, severity, type,
// sector, TLP, drill and title-word parts exactly as the board applies them (the organisation
// part needs the audience and is applied by the change feed).
func (f *BoardFilter) Matches(s IncidentSummary) bool {
	if len(f.Status) > 0 && !slices.Contains(f.Status, s.Status) ||
		len(f.Phase) > 0 && !slices.Contains(f.Phase, s.Phase) ||
		len(f.Severity) > 0 && !slices.Contains(f.Severity, s.Severity) ||
		len(f.Type) > 0 && !slices.Contains(f.Type, s.Type) ||
		len(f.Sector) > 0 && !slices.Contains(f.Sector, s.Sector) ||
		len(f.TLP) > 0 && !slices.Contains(f.TLP, s.TLP) ||
		f.Drill != nil && *f.Drill != s.Drill {
		return false
	}
	if f.Text == "" {
		return true
	}
	have := titleWords(strings.ToLower(s.Title))
	for _, w := range titleWords(strings.ToLower(f.Text)) {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
