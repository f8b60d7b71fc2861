package domain

import (
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

func init() {
	registerEvent[FocalPointsSet]("org", 1, nil)
	registerCommand((*OrgProfile).SetFocalPoints)
}

// FocalPoint is a unit's named contact (đầu mối). It is personal data: shown to coordinators who
// need it, never exported to partners, never logged.
type FocalPoint struct {
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

// LogValue keeps focal points out of structured logs even when one is passed by mistake.
func (FocalPoint) LogValue() slog.Value { return slog.StringValue("[focal point redacted]") }

// OrgProfile is what an organisation of the directory maintains about itself: its focal points.
// The organisation itself (name, kind, sector) comes from the configuration.
type OrgProfile struct {
	Recorder
	Slug    string
	Primary *FocalPoint
	Backup  *FocalPoint
	// UpdatedAt and UpdatedBy describe the last change.
	UpdatedAt time.Time
	UpdatedBy Actor
}

// NewOrgProfile returns the empty profile of the organisation with the given directory slug.
func NewOrgProfile(slug string) *OrgProfile { return &OrgProfile{Slug: slug} }

// AggregateType implements Aggregate.
func (*OrgProfile) AggregateType() string { return "org" }

// AggregateID implements Aggregate: the organisation's slug.
func (p *OrgProfile) AggregateID() string { return p.Slug }

// Replay implements Aggregate.
func (p *OrgProfile) Replay(e Event) { p.apply(e) }

// apply changes state from an event and reports whether it knew the event.
func (p *OrgProfile) apply(e Event) bool {
	switch e := e.(type) {
	case FocalPointsSet:
		p.Primary, p.Backup = cloneFocalPoint(e.Primary), cloneFocalPoint(e.Backup)
		p.UpdatedAt, p.UpdatedBy = e.At, e.By
	default:
		return false
	}
	return true
}

func (p *OrgProfile) record(e Event) {
	p.apply(e)
	p.add(e)
}

// FocalPointsSet records an organisation's focal points; Backup is nil when it has none.
type FocalPointsSet struct {
	Org     string      `json:"org"`
	Primary *FocalPoint `json:"primary"`
	Backup  *FocalPoint `json:"backup,omitempty"`
	Stamp
}

// EventType implements Event.
func (FocalPointsSet) EventType() string { return "FocalPointsSet" }

// SetFocalPoints replaces an organisation's focal points. Primary is required; a nil Backup
// removes the backup.
type SetFocalPoints struct {
	Primary *FocalPoint
	Backup  *FocalPoint
}

// CommandName implements Command.
func (SetFocalPoints) CommandName() string { return "SetFocalPoints" }

// SetFocalPoints sets the focal points. Only an admin or a coordinator of the organisation itself
// may do it.
func (p *OrgProfile) SetFocalPoints(in Invocation, c SetFocalPoints) error {
	if _, ok := in.Config.Org(p.Slug); !ok {
		return Errorf(ENOTFOUND, "organisation %q is not in the directory (configuration %s)", p.Slug, in.Config.Version)
	}
	if in.Actor.Org != p.Slug || (in.Actor.Role != RoleAdmin && in.Actor.Role != RoleCoordinator) {
		return Errorf(EFORBIDDEN, "only an admin or coordinator of %s may set its focal points", p.Slug)
	}
	if c.Primary == nil {
		return Errorf(EINVALID, "give a primary focal point")
	}
	primary, err := normaliseFocalPoint("primary focal point", *c.Primary)
	if err != nil {
		return err
	}
	var backup *FocalPoint
	if c.Backup != nil {
		b, err := normaliseFocalPoint("backup focal point", *c.Backup)
		if err != nil {
			return err
		}
		if strings.EqualFold(b.Email, primary.Email) {
			return Errorf(EINVALID, "the backup focal point must be a different person from the primary; give another email address")
		}
		backup = &b
	}
	if equalFocalPoint(p.Primary, &primary) && equalFocalPoint(p.Backup, backup) {
		return Errorf(EINVALID, "the focal points are already set to these values; nothing to change")
	}
	p.record(FocalPointsSet{Org: p.Slug, Primary: &primary, Backup: backup, Stamp: Stamp{By: in.Actor, At: in.Now}})
	return nil
}

// normaliseFocalPoint trims the fields and checks them; what names the focal point in messages.
func normaliseFocalPoint(what string, f FocalPoint) (FocalPoint, error) {
	f = FocalPoint{
		Name:  strings.TrimSpace(f.Name),
		Title: strings.TrimSpace(f.Title),
		Phone: strings.TrimSpace(f.Phone),
		Email: strings.TrimSpace(f.Email),
	}
	switch {
	case f.Name == "":
		return f, Errorf(EINVALID, "give the name of the %s", what)
	case utf8.RuneCountInString(f.Name) > 200:
		return f, Errorf(EINVALID, "the name of the %s is longer than 200 characters", what)
	case utf8.RuneCountInString(f.Title) > 200:
		return f, Errorf(EINVALID, "the title of the %s is longer than 200 characters", what)
	case f.Phone == "":
		return f, Errorf(EINVALID, "give the phone number of the %s", what)
	case !validPhone(f.Phone):
		return f, Errorf(EINVALID, "the phone number of the %s must have 6 to 20 digits and only digits, spaces, +, - and parentheses", what)
	case f.Email == "":
		return f, Errorf(EINVALID, "give the email address of the %s", what)
	}
	if a, err := mail.ParseAddress(f.Email); err != nil || a.Address != f.Email || len(f.Email) > 254 {
		return f, Errorf(EINVALID, "the email address of the %s is not valid; write it as name@example.gov.vn", what)
	}
	return f, nil
}

func validPhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ' || r == '+' || r == '-' || r == '(' || r == ')':
		default:
			return false
		}
	}
	return digits >= 6 && digits <= 20
}

func equalFocalPoint(a, b *FocalPoint) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func cloneFocalPoint(f *FocalPoint) *FocalPoint {
	if f == nil {
		return nil
	}
	c := *f
	return &c
}
