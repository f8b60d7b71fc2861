package domain

import (
	"encoding/base64"
	"slices"
	"strings"
	"time"
)

func init() {
	registerEvent[ReviewOpened]("review", 1, nil)
	registerEvent[ReviewSignedOff]("review", 1, nil)
	registerEvent[ReviewObjected]("review", 1, nil)
	registerEvent[ReviewFindingRecorded]("review", 1, nil)
	registerEvent[ReviewCompleted]("review", 1, nil)
	registerCommand((*Review).Open)
	registerCommand((*Review).SignOff)
	registerCommand((*Review).Object)
	registerCommand((*Review).RecordFinding)
}

// ReviewStatus says whether a review still waits for signatures.
type ReviewStatus string

// Review statuses.
const (
	ReviewStatusOpen      ReviewStatus = "OPEN"
	ReviewStatusCompleted ReviewStatus = "COMPLETED" // every required signer signed off
)

// Decisions a signer records.
const (
	DecisionSignedOff = "SIGNED_OFF"
	DecisionObjected  = "OBJECTED"
)

// Kinds of what a review records besides decisions.
const (
	FindingKindFinding = "FINDING" // what happened, what went wrong
	FindingKindLesson  = "LESSON"  // a lesson learned (rút kinh nghiệm)
)

// ReviewPin is the history a review is about: a signed checkpoint of the event log (so that every
// signer signs the same history, provably) and, for a review of one incident, the incident's last
// commit the checkpoint covers.
type ReviewPin struct {
	Origin     string `json:"origin"`
	TreeSize   int64  `json:"treeSize"`
	RootHash   string `json:"rootHash"`   // base64 of the tree's 32-byte root
	Checkpoint string `json:"checkpoint"` // the signed note, as served at /.well-known/dieuphoi/checkpoint
	// IncidentSequence and IncidentVersion: the incident's last commit within the checkpoint
	// and its version then (zero for a review of a period).
	IncidentSequence uint64 `json:"incidentSequence,omitempty"`
	IncidentVersion  int    `json:"incidentVersion,omitempty"`
}

// ReviewDecision is one signer's sign-off or objection.
type ReviewDecision struct {
	Org      string    `json:"org"`
	Decision string    `json:"decision"` // SIGNED_OFF or OBJECTED
	Comment  string    `json:"comment,omitempty"`
	By       Actor     `json:"by"`
	At       time.Time `json:"at"`
	TreeSize int64     `json:"treeSize"` // the pinned history the decision is about
	RootHash string    `json:"rootHash"`
}

// ReviewFinding is a finding or a lesson learned, with its own TLP.
type ReviewFinding struct {
	ID   string    `json:"id"`
	Kind string    `json:"kind"`
	Text string    `json:"text"`
	TLP  TLP       `json:"tlp"`
	By   Actor     `json:"by"`
	At   time.Time `json:"at"`
}

// Review is the subcommittee's review of one incident, or of the incidents of a period, signed by
// the required organisations. What is signed never changes: a later change to the incident only
// makes the review outdated (a read model shows by which sequence).
type Review struct {
	Recorder `json:"-"`

	ID          string       `json:"id"`
	Title       string       `json:"title"`
	IncidentID  string       `json:"incidentId,omitempty"` // "" for a period
	PeriodFrom  time.Time    `json:"periodFrom,omitzero"`
	PeriodTo    time.Time    `json:"periodTo,omitzero"`
	Pin         ReviewPin    `json:"pin"`
	Signers     []string     `json:"signers"` // required, from the configuration at the opening
	Status      ReviewStatus `json:"status"`
	OpenedBy    Actor        `json:"openedBy"`
	OpenedAt    time.Time    `json:"openedAt"`
	CompletedAt time.Time    `json:"completedAt,omitzero"`
	// Decisions holds every decision in order; Latest the one that counts per organisation.
	Decisions []ReviewDecision `json:"decisions,omitempty"`
	Findings  []ReviewFinding  `json:"findings,omitempty"`
}

// NewReview returns an unopened review with the given id.
func NewReview(id string) *Review { return &Review{ID: id} }

// AggregateType implements Aggregate.
func (*Review) AggregateType() string { return "review" }

// AggregateID implements Aggregate.
func (r *Review) AggregateID() string { return r.ID }

// Replay implements Aggregate.
func (r *Review) Replay(e Event) { r.apply(e) }

func (r *Review) record(e Event) { r.apply(e); r.add(e) }

// Latest returns the decision that counts for org, or nil.
func (r *Review) Latest(org string) *ReviewDecision {
	for k := len(r.Decisions) - 1; k >= 0; k-- {
		if r.Decisions[k].Org == org {
			return &r.Decisions[k]
		}
	}
	return nil
}

// Pending lists the required signers whose latest decision is not a sign-off.
func (r *Review) Pending() []string {
	var out []string
	for _, org := range r.Signers {
		if d := r.Latest(org); d == nil || d.Decision != DecisionSignedOff {
			out = append(out, org)
		}
	}
	return out
}

func (r *Review) apply(e Event) bool {
	switch e := e.(type) {
	case ReviewOpened:
		r.Title, r.IncidentID, r.PeriodFrom, r.PeriodTo = e.Title, e.IncidentID, e.PeriodFrom, e.PeriodTo
		r.Pin, r.Signers, r.Status, r.OpenedBy, r.OpenedAt = e.Pin, slices.Clone(e.Signers), ReviewStatusOpen, e.By, e.At
	case ReviewSignedOff:
		r.Decisions = append(r.Decisions, ReviewDecision{Org: e.By.Org, Decision: DecisionSignedOff, Comment: e.Comment, By: e.By, At: e.At,
			TreeSize: e.TreeSize, RootHash: e.RootHash})
	case ReviewObjected:
		r.Decisions = append(r.Decisions, ReviewDecision{Org: e.By.Org, Decision: DecisionObjected, Comment: e.Comment, By: e.By, At: e.At,
			TreeSize: e.TreeSize, RootHash: e.RootHash})
	case ReviewFindingRecorded:
		r.Findings = append(r.Findings, ReviewFinding{ID: e.FindingID, Kind: e.Kind, Text: e.Text, TLP: e.TLP, By: e.By, At: e.At})
	case ReviewCompleted:
		r.Status, r.CompletedAt = ReviewStatusCompleted, e.At
	default:
		return false
	}
	return true
}

// OpenReview opens a review of one incident (IncidentID) or of the incidents opened in a period
// [PeriodFrom, PeriodTo), pinned to a signed checkpoint. Incident is the incident's audience now;
// the application fills it in from the log, never from a client.
type OpenReview struct {
	Title      string
	IncidentID string
	PeriodFrom time.Time
	PeriodTo   time.Time
	Pin        ReviewPin
	Incident   *Audience `json:"-"`
}

// CommandName implements Command.
func (OpenReview) CommandName() string { return "OpenReview" }

// SignOffReview signs the review off for the actor's organisation.
type SignOffReview struct {
	Comment  string
	Incident *Audience `json:"-"` // the reviewed incident's audience now (application-filled)
}

// CommandName implements Command.
func (SignOffReview) CommandName() string { return "SignOffReview" }

// ObjectToReview objects to the review for the actor's organisation; a comment says why.
type ObjectToReview struct {
	Comment  string
	Incident *Audience `json:"-"`
}

// CommandName implements Command.
func (ObjectToReview) CommandName() string { return "ObjectToReview" }

// RecordReviewFinding records a finding or a lesson learned; an empty TLP is the incident's (for
// a period, AMBER: the review's own circle).
type RecordReviewFinding struct {
	FindingID string
	Kind      string
	Text      string
	TLP       TLP
	Incident  *Audience `json:"-"`
}

// CommandName implements Command.
func (RecordReviewFinding) CommandName() string { return "RecordReviewFinding" }

// ReviewOpened records a new review and the required signers at the time.
type ReviewOpened struct {
	ReviewID   string    `json:"reviewId"`
	Title      string    `json:"title"`
	IncidentID string    `json:"incidentId,omitempty"`
	PeriodFrom time.Time `json:"periodFrom,omitzero"`
	PeriodTo   time.Time `json:"periodTo,omitzero"`
	Pin        ReviewPin `json:"pin"`
	Signers    []string  `json:"signers"`
	Stamp
}

// ReviewSignedOff records a signer's sign-off of the pinned history (TreeSize, RootHash).
type ReviewSignedOff struct {
	Comment  string `json:"comment,omitempty"`
	TreeSize int64  `json:"treeSize"`
	RootHash string `json:"rootHash"`
	Stamp
}

// ReviewObjected records a signer's objection to the pinned history.
type ReviewObjected struct {
	Comment  string `json:"comment"`
	TreeSize int64  `json:"treeSize"`
	RootHash string `json:"rootHash"`
	Stamp
}

// ReviewFindingRecorded records a finding or lesson learned.
type ReviewFindingRecorded struct {
	FindingID string `json:"findingId"`
	Kind      string `json:"kind"`
	Text      string `json:"text"`
	TLP       TLP    `json:"tlp"`
	Stamp
}

// ReviewCompleted records that every required signer signed off; it is recorded with the last
// sign-off, in the same commit.
type ReviewCompleted struct {
	Signers []string `json:"signers"`
	Stamp
}

// EventType implements Event.
func (ReviewOpened) EventType() string { return "ReviewOpened" }

// EventType implements Event.
func (ReviewSignedOff) EventType() string { return "ReviewSignedOff" }

// EventType implements Event.
func (ReviewObjected) EventType() string { return "ReviewObjected" }

// EventType implements Event.
func (ReviewFindingRecorded) EventType() string { return "ReviewFindingRecorded" }

// EventType implements Event.
func (ReviewCompleted) EventType() string { return "ReviewCompleted" }

// reviewRoles may open, sign and record findings; other roles of the same organisations read.
func reviewRole(r Role) bool { return r == RoleReviewer || r == RoleCoordinator }

// maxPeriod bounds a period review.
const maxPeriod = 366 * 24 * time.Hour

// Open opens the review. Every required signer must be able to read what it signs: a review of an
// incident that a signer may not read could never be completed, so it is refused until the
// incident is shared with it.
func (r *Review) Open(in Invocation, c OpenReview) error {
	if in.Config == nil {
		return Errorf(EINTERNAL, "no configuration in effect")
	}
	cfg, now := in.Config, in.Now.UTC()
	if !reviewRole(in.Actor.Role) || !cfg.IsReviewOpener(in.Actor.Org) {
		return Errorf(EFORBIDDEN, "only a reviewer or coordinator of the subcommittee may open a review")
	}
	if r.Status != "" {
		return Errorf(ECONFLICT, "review %q is already open; use another id", r.ID)
	}
	e := ReviewOpened{ReviewID: r.ID, Pin: c.Pin, Signers: cfg.ReviewSigners(), Stamp: Stamp{By: in.Actor, At: now}}
	var err error
	if e.Title, err = textField("title", c.Title, 1200, true); err != nil {
		return err
	}
	if len(e.Signers) == 0 {
		return Errorf(EINTERNAL, "the configuration names no review signers")
	}
	if err := checkPin(c.Pin); err != nil {
		return err
	}
	switch {
	case c.IncidentID != "" && (!c.PeriodFrom.IsZero() || !c.PeriodTo.IsZero()):
		return Errorf(EINVALID, "review either one incident or a period, not both")
	case c.IncidentID != "":
		if err := r.openIncident(in, c, &e); err != nil {
			return err
		}
	default:
		e.PeriodFrom, e.PeriodTo = c.PeriodFrom.UTC(), c.PeriodTo.UTC()
		e.Pin.IncidentSequence, e.Pin.IncidentVersion = 0, 0
		switch {
		case c.PeriodFrom.IsZero() || c.PeriodTo.IsZero():
			return Errorf(EINVALID, "name the incident to review, or the period (from and to)")
		case !e.PeriodFrom.Before(e.PeriodTo):
			return Errorf(EINVALID, "the period must end after it starts")
		case e.PeriodFrom.Before(earliestDetection):
			return Errorf(EINVALID, "the period starts before 2000; check the date")
		case e.PeriodTo.After(now):
			return Errorf(EINVALID, "review a period that has ended; it ends at %s", e.PeriodTo.Format(time.RFC3339))
		case e.PeriodTo.Sub(e.PeriodFrom) > maxPeriod:
			return Errorf(EINVALID, "a period review covers at most 366 days")
		}
	}
	r.record(e)
	return nil
}

func (r *Review) openIncident(in Invocation, c OpenReview, e *ReviewOpened) error {
	aud := c.Incident
	if aud == nil {
		return Errorf(EINTERNAL, "the incident's audience was not given")
	}
	id, err := textField("incident id", c.IncidentID, 200, true)
	if err != nil {
		return err
	}
	if aud.Origin == "" || !CanRead(in.Actor, *aud, in.Config) {
		return Errorf(ENOTFOUND, "incident %q not found", id)
	}
	if c.Pin.IncidentSequence == 0 || c.Pin.IncidentSequence > uint64(c.Pin.TreeSize) || c.Pin.IncidentVersion <= 0 {
		return Errorf(EINVALID, "the pin must name the incident's last commit within the checkpoint")
	}
	var blind []string
	for _, org := range e.Signers {
		if !OrgMayRead(org, *aud, in.Config) {
			blind = append(blind, org)
		}
	}
	if len(blind) > 0 {
		return Errorf(ECONFLICT, "the required signers %s cannot read this incident (TLP:%s), so they could never sign it; share it with them (or name them at TLP:RED) first",
			strings.Join(blind, ", "), aud.TLP)
	}
	e.IncidentID = id
	return nil
}

// checkPin checks the form of a pin; the application took it from a verified checkpoint.
func checkPin(p ReviewPin) error {
	root, err := base64.StdEncoding.DecodeString(p.RootHash)
	switch {
	case strings.TrimSpace(p.Origin) == "" || p.TreeSize <= 0:
		return Errorf(EINVALID, "the pin must name a signed checkpoint (origin and tree size)")
	case err != nil || len(root) != 32:
		return Errorf(EINVALID, "the pin's root hash must be base64 of 32 bytes")
	case p.Checkpoint == "" || len(p.Checkpoint) > 8192:
		return Errorf(EINVALID, "the pin must carry the signed checkpoint text (at most 8 KiB)")
	}
	return nil
}

// OrgMayRead reports whether some reader of org may read an incident with audience aud: at
// TLP:RED, one of its named people; otherwise any coordinator of it.
func OrgMayRead(org string, aud Audience, cfg *Config) bool {
	if aud.TLP != TLPRed {
		return CanRead(Actor{Org: org, Role: RoleCoordinator}, aud, cfg)
	}
	for _, k := range aud.Recipients {
		if o, u, _ := strings.Cut(k, "/"); o == org && CanRead(Actor{Org: org, User: u, Role: RoleCoordinator}, aud, cfg) {
			return true
		}
	}
	return false
}

// CanReadReview reports whether a may see a review: a reader of the subcommittee or of a
// required signer who, for a review of an incident, may read the incident now (incident: its
// audience now; nil for a period review).
func CanReadReview(a Actor, signers []string, incident *Audience, cfg *Config) bool {
	if cfg == nil || !a.Role.Valid() || a.Role == RoleAdmin || a.Role == RoleIngest {
		return false
	}
	if _, ok := cfg.Org(a.Org); !ok || !cfg.IsReviewOpener(a.Org) && !slices.Contains(signers, a.Org) {
		return false
	}
	return incident == nil || CanRead(a, *incident, cfg)
}

// CanReadFinding reports whether a reader of the review may read a finding: at the finding's
// TLP over the incident (the rule of notes); a period review's findings are for its readers.
func CanReadFinding(a Actor, incident *Audience, f ReviewFinding, cfg *Config) bool {
	return incident == nil || CanReadItem(a, *incident, f.TLP, f.By, cfg)
}

// guard starts every command on an opened review: the same answer for a review that does not
// exist and one the actor may not read.
func (r *Review) guard(in Invocation, incident *Audience) error {
	if in.Config == nil {
		return Errorf(EINTERNAL, "no configuration in effect")
	}
	if r.IncidentID != "" && incident == nil {
		return Errorf(EINTERNAL, "the incident's audience was not given")
	}
	aud := incident
	if r.IncidentID == "" {
		aud = nil
	}
	if r.Status == "" || !CanReadReview(in.Actor, r.Signers, aud, in.Config) {
		return Errorf(ENOTFOUND, "review %q not found", r.ID)
	}
	if !reviewRole(in.Actor.Role) {
		return Errorf(EFORBIDDEN, "the %s role may not act on reviews; a reviewer or coordinator may", in.Actor.Role)
	}
	if r.Status == ReviewStatusCompleted {
		return Errorf(ECONFLICT, "the review is complete: every required signer signed it; open a new review for what changed since")
	}
	return nil
}

// decide checks a sign-off or objection by the actor's organisation.
func (r *Review) decide(in Invocation, incident *Audience, decision, comment string, required bool) (string, error) {
	if err := r.guard(in, incident); err != nil {
		return "", err
	}
	if !slices.Contains(r.Signers, in.Actor.Org) {
		return "", Errorf(EFORBIDDEN, "only the required signers (%s) sign this review", strings.Join(r.Signers, ", "))
	}
	if d := r.Latest(in.Actor.Org); d != nil && d.Decision == decision {
		return "", Errorf(ECONFLICT, "%s already recorded %s on this review (by %s); record a finding to add to it", in.Actor.Org, strings.ToLower(strings.ReplaceAll(decision, "_", " ")), d.By.User)
	}
	return textField("comment", comment, 5000, required)
}

// SignOff signs the pinned history off for the actor's organisation; when it is the last required
// signature the review completes in the same commit.
func (r *Review) SignOff(in Invocation, c SignOffReview) error {
	comment, err := r.decide(in, c.Incident, DecisionSignedOff, c.Comment, false)
	if err != nil {
		return err
	}
	r.record(ReviewSignedOff{Comment: comment, TreeSize: r.Pin.TreeSize, RootHash: r.Pin.RootHash, Stamp: in.Stamp()})
	if len(r.Pending()) == 0 {
		r.record(ReviewCompleted{Signers: slices.Clone(r.Signers), Stamp: in.Stamp()})
	}
	return nil
}

// Object records the actor's organisation's objection, with the reason; a later sign-off by the
// same organisation replaces it.
func (r *Review) Object(in Invocation, c ObjectToReview) error {
	comment, err := r.decide(in, c.Incident, DecisionObjected, c.Comment, true)
	if err != nil {
		return err
	}
	r.record(ReviewObjected{Comment: comment, TreeSize: r.Pin.TreeSize, RootHash: r.Pin.RootHash, Stamp: in.Stamp()})
	return nil
}

// RecordFinding records a finding or lesson learned by a reviewer or coordinator of the
// subcommittee or of a signer.
func (r *Review) RecordFinding(in Invocation, c RecordReviewFinding) error {
	if err := r.guard(in, c.Incident); err != nil {
		return err
	}
	e := ReviewFindingRecorded{Stamp: in.Stamp()}
	var err error
	if e.FindingID, err = textField("finding id", c.FindingID, 200, true); err != nil {
		return err
	}
	if slices.ContainsFunc(r.Findings, func(f ReviewFinding) bool { return f.ID == e.FindingID }) {
		return Errorf(ECONFLICT, "finding %q already exists", e.FindingID)
	}
	switch e.Kind = c.Kind; e.Kind {
	case FindingKindFinding, FindingKindLesson:
	default:
		return Errorf(EINVALID, "kind must be FINDING or LESSON")
	}
	if e.Text, err = textField("text", c.Text, 20000, true); err != nil {
		return err
	}
	switch {
	case r.IncidentID != "":
		if c.TLP == "" {
			e.TLP = c.Incident.TLP
		} else if e.TLP = c.TLP; !c.TLP.Valid() {
			return Errorf(EINVALID, "TLP must be CLEAR, GREEN, AMBER, AMBER_STRICT or RED")
		} else if c.TLP.Rank() < c.Incident.TLP.Rank() {
			return Errorf(EINVALID, "a finding cannot be less restricted than the incident: use TLP:%s or stricter", c.Incident.TLP)
		}
	case c.TLP == "":
		e.TLP = TLPAmber
	case c.TLP == TLPClear || c.TLP == TLPGreen || c.TLP == TLPAmber:
		e.TLP = c.TLP
	default:
		return Errorf(EINVALID, "a period review's findings are CLEAR, GREEN or AMBER (for the review's readers); put what is stricter on the incident")
	}
	r.record(e)
	return nil
}
