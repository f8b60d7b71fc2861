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
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// incidentModel is one incident as the read side keeps it: the domain state replayed from its
// events, what the policy needs, and its timeline.
type incidentModel struct {
	inc        *domain.Incident
	aud        domain.Audience
	readers    readers
	seq        uint64    // last stream sequence that touched it
	updatedAt  time.Time // when that commit was recorded
	titleLower string
	timeline   []entry
	row        int // index in Projector.rows
}

func sameAudience(a, b domain.Audience) bool {
	return a.TLP == b.TLP && a.InfoClass == b.InfoClass && a.Origin == b.Origin && a.Lead == b.Lead && a.Owner == b.Owner &&
		a.Drill == b.Drill && a.OriginReleased == b.OriginReleased && slices.Equal(a.Shared, b.Shared) && slices.Equal(a.Recipients, b.Recipients) &&
		slices.Equal(a.EscalatedTo, b.EscalatedTo) && slices.Equal(a.HandoffTo, b.HandoffTo)
}

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

func (p *Projector) row(m *incidentModel) boardRow {
	i := m.inc
	r := boardRow{red: m.aud.TLP == domain.TLPRed, open: i.Status == domain.IncidentStatusOpen, drill: i.Drill,
		sev: int8(i.Severity.Rank()), phase: int8(slices.Index(domain.Phases, i.Phase)), tlp: i.TLP,
		updated: m.updatedAt.UnixNano(), opened: i.OpenedAt.UnixNano(), deadline: 1<<63 - 1, m: m}
	if len(m.readers) > 0 {
		r.r0 = m.readers[0]
	}
	if d := nextDeadline(i, time.Time{}); d != nil {
		r.deadline = d.At.UnixNano()
	}
	return r
}

// visible is sees() on a row: the bitset inline (small enough to be inlined in the scan); RED
// and directories of more than 64 organisations take canSee, the one visibility rule.
func (p *Projector) visible(v *viewer, r *boardRow) bool {
	if r.red || v.org >= 64 {
		return p.canSee(*v, r.m.aud, r.m.readers)
	}
	return v.ok && r.r0&(1<<v.org) != 0
}

// entry is one event of a timeline; sentences are made when read.
type entry struct {
	seq        uint64
	index      int
	recordedAt time.Time
	occurredAt time.Time
	actor      domain.Actor
	event      domain.Event
	item       bool // a note or indicator with its own TLP
	itemTLP    domain.TLP
}

func (p *Projector) applyIncident(c *eventstore.Commit, envs []eventstore.Envelope) *Change {
	m, ok := p.incidents[c.AggregateID]
	if !ok {
		m = &incidentModel{inc: domain.NewIncident(c.AggregateID), row: len(p.rows)}
		p.incidents[c.AggregateID] = m
		p.rows = append(p.rows, boardRow{})
	}
	before, beforeReaders := m.aud, m.readers
	for _, e := range envs {
		m.inc.Replay(e.Event)
		en := entry{seq: c.Sequence, index: e.Index, recordedAt: c.RecordedAt, occurredAt: c.OccurredAt, actor: c.Actor, event: e.Event}
		switch ev := e.Event.(type) {
		case domain.NoteAdded:
			en.item, en.itemTLP = true, ev.TLP
		case domain.IndicatorAdded:
			en.item, en.itemTLP = true, ev.TLP
			p.correlate(indicatorKey(ev.Type, ev.Value), c.AggregateID)
		case domain.IncidentEscalated:
			p.escalations[ev.EscalationID] = c.AggregateID
		case domain.HandoffOffered:
			p.handoffs[ev.HandoffID] = c.AggregateID
		}
		m.timeline = append(m.timeline, en)
	}
	m.seq, m.updatedAt = c.Sequence, c.RecordedAt
	if m.titleLower == "" && m.inc.Title != "" { // titles do not change after opening
		m.titleLower = strings.ToLower(m.inc.Title)
		for _, w := range titleWords(m.titleLower) {
			if l := p.words[w]; len(l) == 0 || l[len(l)-1] != int32(m.row) {
				p.words[w] = append(l, int32(m.row))
			}
		}
	}
	if as := m.inc.AffectedSystem; as != nil && as.Name != "" {
		p.correlate(assetKey(as.Name), c.AggregateID)
	}
	if aud := m.inc.Audience(); m.readers == nil || !sameAudience(aud, m.aud) {
		m.aud, m.readers = aud, p.computeReaders(aud) // only when who may read can have changed
	}
	p.rows[m.row] = p.row(m)
	if !p.snapshot {
		p.deadlines.set(c.AggregateID, m.inc.PendingDeadlines(p.cfg))
	}
	ch := &Change{Sequence: c.Sequence, IncidentID: c.AggregateID, aud: m.aud, readers: m.readers, before: before, beforeReaders: beforeReaders,
		Types: make([]string, len(envs))}
	for i, e := range envs {
		ch.Types[i] = e.Type
		switch ev := e.Event.(type) {
		case domain.IncidentEscalated:
			ch.QueueOrgs = append(ch.QueueOrgs, ev.To)
		case domain.EscalationAcknowledged, domain.EscalationResolved:
			if x := m.inc.Escalation(escalationID(ev)); x != nil {
				ch.QueueOrgs = append(ch.QueueOrgs, x.To)
			}
		case domain.HandoffOffered:
			ch.InboxOrgs = append(ch.InboxOrgs, ev.To)
		case domain.HandoffAcknowledged, domain.HandoffAccepted, domain.HandoffDeclined, domain.HandoffWithdrawn, domain.HandoffReturned:
			if h := m.inc.Handoff(handoffID(ev)); h != nil {
				ch.InboxOrgs = append(ch.InboxOrgs, h.To)
			}
		}
	}
	return ch
}

// computeReaders asks the domain policy, once per organisation, who may read at this audience.
// It does not depend on the person except at TLP:RED, which sees() asks separately.
func (p *Projector) computeReaders(aud domain.Audience) readers {
	r := make(readers, (len(p.cfg.Organisations)+63)/64)
	for i, o := range p.cfg.Organisations {
		if domain.CanRead(domain.Actor{Org: o.Slug, Role: domain.RoleCoordinator}, aud, p.cfg) {
			r[i/64] |= 1 << (i % 64)
		}
	}
	return r
}

// IncidentSummary is an incident as a board row shows it.
type IncidentSummary struct {
	ID              string
	Title           string
	Status          domain.IncidentStatus
	Phase           domain.Phase
	Severity        domain.Severity
	Tier            domain.Tier
	Type            string
	Sector          string
	TLP             domain.TLP
	Drill           bool
	Origin          string
	Lead            string
	Owner           string
	OpenEscalations int
	OpenHandoffs    int
	NextDeadline    *Deadline
	OpenedAt        time.Time
	UpdatedAt       time.Time
	Sequence        uint64
}

// Deadline is the next thing somebody owes on an incident.
type Deadline struct {
	At      time.Time
	Kind    string // "ESCALATION_ACK" or "HANDOFF_ANSWER"
	OwedBy  string // organisation slug
	RefID   string // escalation or handoff id
	Overdue bool
}

func (p *Projector) summary(m *incidentModel, now time.Time) IncidentSummary {
	i := m.inc
	s := IncidentSummary{ID: i.ID, Title: i.Title, Status: i.Status, Phase: i.Phase, Severity: i.Severity, Tier: i.Tier,
		Type: i.Type, Sector: i.Sector, TLP: i.TLP, Drill: i.Drill, Origin: i.Origin, Lead: i.Lead, Owner: i.Owner,
		OpenedAt: i.OpenedAt, UpdatedAt: m.updatedAt, Sequence: m.seq}
	s.NextDeadline = nextDeadline(i, now)
	for _, x := range i.Escalations {
		if x.Status == domain.EscalationStatusPending || x.Status == domain.EscalationStatusAcknowledged {
			s.OpenEscalations++
		}
	}
	for _, h := range i.Handoffs {
		if h.Status == domain.HandoffStatusOffered {
			s.OpenHandoffs++
		}
	}
	return s
}

func nextDeadline(i *domain.Incident, now time.Time) *Deadline {
	var d *Deadline
	consider := func(at time.Time, kind, owed, ref string) {
		if d == nil || at.Before(d.At) {
			d = &Deadline{At: at, Kind: kind, OwedBy: owed, RefID: ref, Overdue: !now.IsZero() && now.After(at)}
		}
	}
	if i.Status == domain.IncidentStatusClosed {
		return nil
	}
	for _, x := range i.Escalations {
		if x.Status == domain.EscalationStatusPending {
			consider(x.Deadline, "ESCALATION_ACK", x.To, x.ID)
		}
	}
	for _, h := range i.Handoffs {
		if h.Status == domain.HandoffStatusOffered {
			consider(h.Deadline, "HANDOFF_ANSWER", h.To, h.ID)
		}
	}
	return d
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
func (p *Projector) candidates(words []string) (rows []int32, ok bool) {
	if len(words) == 0 {
		return nil, false
	}
	lists := make([][]int32, len(words))
	for i, w := range words {
		lists[i] = p.words[w]
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
func (p *Projector) Board(viewer domain.Actor, q BoardQuery) (Board, error) {
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
	v := p.viewer(viewer)
	pf := q.Filter.prepare()
	p.mu.RLock()
	defer p.mu.RUnlock()
	b := Board{Sequence: p.applied.Load()}
	var statusN [2]int
	var phaseN [8]int
	limit := q.First + 1 // one more tells whether a next page exists
	h := &topK{keys: make([]sortKey, 0, limit), rows: make([]*boardRow, 0, limit)}
	// Newest rows last: scanning backwards, the page fills with recent incidents first and
	// older ones are mostly refused by one comparison instead of reshuffling the heap. With
	// words, only the rows whose titles hold them all are looked at.
	cand, indexed := p.candidates(pf.words)
	count := len(p.rows)
	if indexed {
		count = len(cand)
	}
	for c := count - 1; c >= 0; c-- {
		n := c
		if indexed {
			n = int(cand[c])
		}
		r := &p.rows[n]
		if r.m == nil || !p.visible(&v, r) || !pf.matches(r) {
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
		b.Nodes = append(b.Nodes, p.summary(h.rows[i].m, q.Now))
		b.EndCursor = encodeCursor(q.Sort, h.keys[i])
	}
	return b, nil
}

// Escalation ids and handoff ids of events, for the change feed.
func escalationID(e domain.Event) string {
	switch ev := e.(type) {
	case domain.EscalationAcknowledged:
		return ev.EscalationID
	case domain.EscalationResolved:
		return ev.EscalationID
	}
	return ""
}

func handoffID(e domain.Event) string {
	switch ev := e.(type) {
	case domain.HandoffAcknowledged:
		return ev.HandoffID
	case domain.HandoffAccepted:
		return ev.HandoffID
	case domain.HandoffDeclined:
		return ev.HandoffID
	case domain.HandoffWithdrawn:
		return ev.HandoffID
	case domain.HandoffReturned:
		return ev.HandoffID
	}
	return ""
}
