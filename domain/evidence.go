package domain

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

func init() {
	registerEvent[EvidenceAdded]("incident", 1, nil)
	registerEvent[EvidenceCustodyTransferred]("incident", 1, nil)
	registerEvent[EvidenceDownloaded]("incident", 1, nil)
	registerCommand((*Incident).AddEvidence)
	registerCommand((*Incident).TransferCustody)
	registerCommand((*Incident).RecordEvidenceDownload)
	// Who may issue them at all; the incident's audience and the evidence's TLP then decide.
	read := []Role{RoleCoordinator, RoleResponder, RoleReviewer, RolePartner}
	incidentCommandRoles[CmdAddEvidence] = []Role{RoleCoordinator, RoleResponder, RolePartner}
	incidentCommandRoles[CmdTransferCustody] = read
	incidentCommandRoles[CmdRecordEvidenceDownload] = read
}

// Limits of evidence files. They are kept small enough that a file is checked whole in memory
// before anything is stored (an upload that fails a check stores nothing) and that a download is
// checked against its recorded hash before a byte is sent.
const (
	MaxEvidenceBytes         = 32 << 20  // one file
	MaxIncidentEvidenceBytes = 512 << 20 // every file of one incident
	MaxEvidencePerIncident   = 200       // files of one incident
)

// Command names of evidence, as RoleMay knows them.
const (
	CmdAddEvidence            = "AddEvidence"
	CmdTransferCustody        = "TransferCustody"
	CmdRecordEvidenceDownload = "RecordEvidenceDownload"
)

// Evidence is a file kept for the investigation (a log extract, a malware sample, a disk image's
// hashes, a screenshot): its bytes are in the evidence object store under Object, its hash, size
// and TLP in the log, with who collected it, when, from which system, who holds it now and who
// downloaded it.
type Evidence struct {
	ID           string             `json:"id"`
	Name         string             `json:"name"`
	MediaType    string             `json:"mediaType"`
	SHA256       string             `json:"sha256"` // lower-case hex
	Size         int64              `json:"size"`
	TLP          TLP                `json:"tlp"`
	SourceSystem string             `json:"sourceSystem"`
	Description  string             `json:"description,omitempty"`
	CollectedBy  Actor              `json:"collectedBy"`
	CollectedAt  time.Time          `json:"collectedAt"`
	AddedAt      time.Time          `json:"addedAt"`
	Object       string             `json:"object"`
	Custodian    string             `json:"custodian"` // "org/user"
	Custody      []CustodyTransfer  `json:"custody,omitempty"`
	Downloads    []EvidenceDownload `json:"downloads,omitempty"`
}

// CustodyTransfer is one link of an evidence's chain of custody after its collection.
type CustodyTransfer struct {
	From   string    `json:"from"` // "org/user"
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	By     Actor     `json:"by"`
	At     time.Time `json:"at"`
}

// EvidenceDownload records who downloaded an evidence file and when.
type EvidenceDownload struct {
	By Actor     `json:"by"`
	At time.Time `json:"at"`
}

// EvidenceItem returns the evidence with the given id, or nil.
func (i *Incident) EvidenceItem(id string) *Evidence {
	for _, ev := range i.Evidence {
		if ev.ID == id {
			return ev
		}
	}
	return nil
}

// CanReadEvidence reports whether a may see an evidence item of an incident with audience aud:
// the rule of notes, with the evidence's TLP and its collector as the author.
func CanReadEvidence(a Actor, aud Audience, ev *Evidence, cfg *Config) bool {
	return ev != nil && CanReadItem(a, aud, ev.TLP, ev.CollectedBy, cfg)
}

// AddEvidence records a file already stored in the evidence object store under Object. The
// adapter computes SHA256 and Size from the bytes; an empty TLP is the incident's.
type AddEvidence struct {
	EvidenceID   string
	Name         string
	MediaType    string
	SHA256       string
	Size         int64
	TLP          TLP
	CollectedAt  time.Time // zero: now
	SourceSystem string
	Description  string
	Object       string
}

// CommandName implements Command.
func (AddEvidence) CommandName() string { return "AddEvidence" }

// TransferCustody hands an evidence item to another person ("org/user"), with the reason.
type TransferCustody struct {
	EvidenceID string
	To         string
	Reason     string
}

// CommandName implements Command.
func (TransferCustody) CommandName() string { return "TransferCustody" }

// RecordEvidenceDownload records that the actor downloads an evidence file: every download is in
// the log before its first byte is sent.
type RecordEvidenceDownload struct{ EvidenceID string }

// CommandName implements Command.
func (RecordEvidenceDownload) CommandName() string { return "RecordEvidenceDownload" }

// EvidenceAdded records a collected file; By collected it and holds it first.
type EvidenceAdded struct {
	EvidenceID   string    `json:"evidenceId"`
	Name         string    `json:"name"`
	MediaType    string    `json:"mediaType"`
	SHA256       string    `json:"sha256"`
	Size         int64     `json:"size"`
	TLP          TLP       `json:"tlp"`
	SourceSystem string    `json:"sourceSystem"`
	Description  string    `json:"description,omitempty"`
	CollectedAt  time.Time `json:"collectedAt"`
	Object       string    `json:"object"`
	Stamp
}

// EvidenceCustodyTransferred records a link of the chain of custody.
type EvidenceCustodyTransferred struct {
	EvidenceID string `json:"evidenceId"`
	From       string `json:"from"`
	To         string `json:"to"`
	Reason     string `json:"reason"`
	Stamp
}

// EvidenceDownloaded records a download; SHA256 is the hash the file was checked against.
type EvidenceDownloaded struct {
	EvidenceID string `json:"evidenceId"`
	SHA256     string `json:"sha256"`
	Stamp
}

// EventType implements Event.
func (EvidenceAdded) EventType() string { return "EvidenceAdded" }

// EventType implements Event.
func (EvidenceCustodyTransferred) EventType() string { return "EvidenceCustodyTransferred" }

// EventType implements Event.
func (EvidenceDownloaded) EventType() string { return "EvidenceDownloaded" }

// applyEvidence applies the evidence events; false for any other event.
func (i *Incident) applyEvidence(e Event) bool {
	switch e := e.(type) {
	case EvidenceAdded:
		i.Evidence = append(i.Evidence, &Evidence{ID: e.EvidenceID, Name: e.Name, MediaType: e.MediaType, SHA256: e.SHA256,
			Size: e.Size, TLP: e.TLP, SourceSystem: e.SourceSystem, Description: e.Description, CollectedBy: e.By,
			CollectedAt: e.CollectedAt, AddedAt: e.At, Object: e.Object, Custodian: UserKey(e.By.Org, e.By.User)})
	case EvidenceCustodyTransferred:
		if ev := i.EvidenceItem(e.EvidenceID); ev != nil {
			ev.Custody = append(ev.Custody, CustodyTransfer{From: e.From, To: e.To, Reason: e.Reason, By: e.By, At: e.At})
			ev.Custodian = e.To
		}
	case EvidenceDownloaded:
		if ev := i.EvidenceItem(e.EvidenceID); ev != nil {
			ev.Downloads = append(ev.Downloads, EvidenceDownload{By: e.By, At: e.At})
		}
	default:
		return false
	}
	return true
}

var (
	sha256Re    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	mediaTypeRe = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$`)
)

// evidenceName checks a file name: one line, no path, at most 255 bytes.
func evidenceName(name string) (string, error) {
	n, err := textField("file name", name, 255, true)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(n, `/\`) || n == "." || n == ".." {
		return "", Errorf(EINVALID, "file name %q must be a name without a path (no / or \\)", trimForMessage(n))
	}
	return n, nil
}

// AddEvidence records a collected file on the incident; writers may add evidence, also after
// closing (forensics goes on).
func (i *Incident) AddEvidence(in Invocation, c AddEvidence) error {
	if err := i.guardWrite(in, CmdAddEvidence, true); err != nil {
		return err
	}
	now := in.Now.UTC()
	e := EvidenceAdded{Stamp: Stamp{By: in.Actor, At: now}, Size: c.Size, CollectedAt: c.CollectedAt.UTC()}
	var err error
	if e.EvidenceID, err = textField("evidence id", c.EvidenceID, 200, true); err != nil {
		return err
	}
	if i.EvidenceItem(e.EvidenceID) != nil {
		return Errorf(ECONFLICT, "evidence %q already exists", e.EvidenceID)
	}
	if e.Name, err = evidenceName(c.Name); err != nil {
		return err
	}
	if e.MediaType = strings.ToLower(strings.TrimSpace(c.MediaType)); e.MediaType == "" {
		e.MediaType = "application/octet-stream"
	} else if !mediaTypeRe.MatchString(e.MediaType) {
		return Errorf(EINVALID, "media type %q must be type/subtype, such as text/plain or image/png", trimForMessage(c.MediaType))
	}
	if !sha256Re.MatchString(c.SHA256) {
		return Errorf(EINVALID, "the SHA-256 must be 64 lower-case hexadecimal digits")
	}
	e.SHA256 = c.SHA256
	switch {
	case c.Size <= 0:
		return Errorf(EINVALID, "the file is empty; evidence must have content")
	case c.Size > MaxEvidenceBytes:
		return Errorf(ETOOLARGE, "the file is %d bytes; one evidence file may have at most %d", c.Size, MaxEvidenceBytes)
	case len(i.Evidence) >= MaxEvidencePerIncident:
		return Errorf(ETOOLARGE, "the incident already has %d evidence files, the limit", MaxEvidencePerIncident)
	case i.evidenceBytes()+c.Size > MaxIncidentEvidenceBytes:
		return Errorf(ETOOLARGE, "the incident's evidence would exceed %d bytes in all; keep larger material outside and record its hash", MaxIncidentEvidenceBytes)
	}
	if e.TLP, err = i.itemTLP(c.TLP, "evidence file"); err != nil {
		return err
	}
	if e.SourceSystem, err = textField("source system", c.SourceSystem, 300, true); err != nil {
		return err
	}
	if e.Description, err = textField("description", c.Description, 5000, false); err != nil {
		return err
	}
	switch {
	case c.CollectedAt.IsZero():
		e.CollectedAt = now
	case e.CollectedAt.Before(earliestDetection):
		return Errorf(EINVALID, "collection time %s is before 2000; check the date", e.CollectedAt.Format(time.RFC3339))
	case e.CollectedAt.After(now.Add(5 * time.Minute)):
		return Errorf(EINVALID, "collection time %s is in the future; check the date and time zone", e.CollectedAt.Format(time.RFC3339))
	}
	if e.Object, err = textField("object name", c.Object, 200, true); err != nil {
		return err
	}
	i.record(e)
	return nil
}

func (i *Incident) evidenceBytes() int64 {
	var n int64
	for _, ev := range i.Evidence {
		n += ev.Size
	}
	return n
}

// visibleEvidence finds an evidence item the actor may see; ENOTFOUND, as for a missing one,
// otherwise.
func (i *Incident) visibleEvidence(in Invocation, id string) (*Evidence, error) {
	ev := i.EvidenceItem(id)
	if !CanReadEvidence(in.Actor, i.Audience(), ev, in.Config) {
		return nil, Errorf(ENOTFOUND, "evidence %q not found", id)
	}
	return ev, nil
}

// TransferCustody hands an evidence item on. Its custodian, or a coordinator of the custodian's
// organisation, may; the recipient must be allowed to read the evidence.
func (i *Incident) TransferCustody(in Invocation, c TransferCustody) error {
	if err := i.guard(in, CmdTransferCustody, true); err != nil {
		return err
	}
	ev, err := i.visibleEvidence(in, c.EvidenceID)
	if err != nil {
		return err
	}
	custOrg, _, _ := strings.Cut(ev.Custodian, "/")
	self := UserKey(in.Actor.Org, in.Actor.User)
	if self != ev.Custodian && !(in.Actor.Org == custOrg && in.Actor.Role == RoleCoordinator) {
		return Errorf(EFORBIDDEN, "only the custodian of evidence %q (%s) or a coordinator of %s may hand it on", ev.ID, ev.Custodian, custOrg)
	}
	to := strings.TrimSpace(c.To)
	org, user, ok := strings.Cut(to, "/")
	if !ok || org == "" || user == "" || strings.Contains(user, "/") || strings.ContainsAny(to, " \t") {
		return Errorf(EINVALID, "the new custodian %q must be written org/user, for example police/an", trimForMessage(to))
	}
	if err := knownOrg(in.Config, org); err != nil {
		return err
	}
	if to == ev.Custodian {
		return Errorf(EINVALID, "%s already holds evidence %q", to, ev.ID)
	}
	if !CanReadEvidence(Actor{Org: org, User: user, Role: RoleCoordinator}, i.Audience(), ev, in.Config) {
		return Errorf(EFORBIDDEN, "%s may not read this evidence (TLP:%s); share the incident with %s, or name the person, first", to, ev.TLP, org)
	}
	reason, err := textField("reason", c.Reason, 2000, true)
	if err != nil {
		return err
	}
	i.record(EvidenceCustodyTransferred{EvidenceID: ev.ID, From: ev.Custodian, To: to, Reason: reason, Stamp: in.Stamp()})
	return nil
}

// RecordEvidenceDownload records a download by a reader of the evidence.
func (i *Incident) RecordEvidenceDownload(in Invocation, c RecordEvidenceDownload) error {
	if err := i.guard(in, CmdRecordEvidenceDownload, true); err != nil {
		return err
	}
	ev, err := i.visibleEvidence(in, c.EvidenceID)
	if err != nil {
		return err
	}
	i.record(EvidenceDownloaded{EvidenceID: ev.ID, SHA256: ev.SHA256, Stamp: in.Stamp()})
	return nil
}

// VisibleEvidence returns copies of the evidence items a may see, in the order they were added.
func (i *Incident) VisibleEvidence(a Actor, aud Audience, cfg *Config) []Evidence {
	var out []Evidence
	for _, ev := range i.Evidence {
		if CanReadEvidence(a, aud, ev, cfg) {
			c := *ev
			c.Custody, c.Downloads = slices.Clone(ev.Custody), slices.Clone(ev.Downloads)
			out = append(out, c)
		}
	}
	return out
}
