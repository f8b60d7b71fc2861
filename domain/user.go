package domain

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

func init() {
	registerEvent[UserRegistered]("user", 1, nil)
	registerEvent[RoleGranted]("user", 1, nil)
	registerEvent[RoleRevoked]("user", 1, nil)
	registerEvent[UserDisabled]("user", 1, nil)
	registerCommand((*User).Register)
	registerCommand((*User).GrantRole)
	registerCommand((*User).RevokeRole)
	registerCommand((*User).Disable)
}

var loginRe = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)

// UserID returns the aggregate id of a user: "org/login". Logins are unique within an
// organisation only.
func UserID(org, user string) string { return org + "/" + user }

// User is a person or machine account of an organisation, with the roles it may take.
type User struct {
	Recorder
	ID          string
	Org         string
	Name        string // login
	DisplayName string
	Roles       []Role
	Registered  bool
	Disabled    bool
	// DisabledReason says why the account was disabled.
	DisabledReason string
	RegisteredAt   time.Time
}

// NewUser returns the not yet registered user with the given id (see UserID).
func NewUser(id string) *User { return &User{ID: id} }

// AggregateType implements Aggregate.
func (*User) AggregateType() string { return "user" }

// AggregateID implements Aggregate: "org/login".
func (u *User) AggregateID() string { return u.ID }

// HasRole reports whether the user is active and holds r. A disabled user holds no role.
func (u *User) HasRole(r Role) bool {
	return u.Registered && !u.Disabled && slices.Contains(u.Roles, r)
}

// Replay implements Aggregate.
func (u *User) Replay(e Event) { u.apply(e) }

// apply changes state from an event and reports whether it knew the event.
func (u *User) apply(e Event) bool {
	switch e := e.(type) {
	case UserRegistered:
		u.ID = e.User
		u.Org, u.Name, u.DisplayName = e.Org, e.Name, e.DisplayName
		u.Roles = slices.Clone(e.Roles)
		u.Registered, u.RegisteredAt = true, e.At
	case RoleGranted:
		if !slices.Contains(u.Roles, e.Role) {
			u.Roles = append(u.Roles, e.Role)
		}
	case RoleRevoked:
		u.Roles = slices.DeleteFunc(u.Roles, func(r Role) bool { return r == e.Role })
	case UserDisabled:
		u.Disabled, u.DisabledReason = true, e.Reason
	default:
		return false
	}
	return true
}

func (u *User) record(e Event) {
	u.apply(e)
	u.add(e)
}

// UserRegistered records a new account.
type UserRegistered struct {
	User        string `json:"user"` // UserID(org, name)
	Org         string `json:"org"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Roles       []Role `json:"roles"`
	Stamp
}

// EventType implements Event.
func (UserRegistered) EventType() string { return "UserRegistered" }

// RoleGranted records that a user may now take a role.
type RoleGranted struct {
	Role Role `json:"role"`
	Stamp
}

// EventType implements Event.
func (RoleGranted) EventType() string { return "RoleGranted" }

// RoleRevoked records that a user may no longer take a role.
type RoleRevoked struct {
	Role Role `json:"role"`
	Stamp
}

// EventType implements Event.
func (RoleRevoked) EventType() string { return "RoleRevoked" }

// UserDisabled records that an account may no longer sign in or act. It is final.
type UserDisabled struct {
	Reason string `json:"reason"`
	Stamp
}

// EventType implements Event.
func (UserDisabled) EventType() string { return "UserDisabled" }

// RegisterUser creates an account in an organisation of the directory.
type RegisterUser struct {
	Org         string
	Name        string // login: lower-case letters, digits, '.', '_' and '-', at most 64
	DisplayName string
	Roles       []Role
}

// CommandName implements Command.
func (RegisterUser) CommandName() string { return "RegisterUser" }

// GrantRole gives a user one more role.
type GrantRole struct{ Role Role }

// CommandName implements Command.
func (GrantRole) CommandName() string { return "GrantRole" }

// RevokeRole takes a role from a user.
type RevokeRole struct{ Role Role }

// CommandName implements Command.
func (RevokeRole) CommandName() string { return "RevokeRole" }

// DisableUser closes an account for good; Reason is kept for the audit trail.
type DisableUser struct{ Reason string }

// CommandName implements Command.
func (DisableUser) CommandName() string { return "DisableUser" }

// Register registers the user. Only an admin of the same organisation may do it.
func (u *User) Register(in Invocation, c RegisterUser) error {
	if _, ok := in.Config.Org(c.Org); !ok {
		return Errorf(ENOTFOUND, "organisation %q is not in the directory", c.Org)
	}
	if in.Actor.Role != RoleAdmin || in.Actor.Org != c.Org {
		return Errorf(EFORBIDDEN, "only an admin of %s may register its users", c.Org)
	}
	if !loginRe.MatchString(c.Name) {
		return Errorf(EINVALID, "login %q must be 1 to 64 lower-case letters, digits, '.', '_' or '-'", trimForMessage(c.Name))
	}
	id := UserID(c.Org, c.Name)
	if u.ID != "" && u.ID != id {
		return Errorf(EINVALID, "user %s cannot be registered as %s; use the matching id", u.ID, id)
	}
	if u.Registered {
		return Errorf(ECONFLICT, "user %s is already registered", id)
	}
	display := strings.TrimSpace(c.DisplayName)
	if utf8.RuneCountInString(display) > 200 {
		return Errorf(EINVALID, "the display name is longer than 200 characters")
	}
	if err := checkText("the display name", display, false); err != nil {
		return err
	}
	if len(c.Roles) == 0 {
		return Errorf(EINVALID, "give the user at least one role (%s)", rolesList())
	}
	var roles []Role
	for _, r := range c.Roles {
		if !r.Valid() {
			return Errorf(EINVALID, "unknown role %q; use one of %s", trimForMessage(string(r)), rolesList())
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	u.record(UserRegistered{User: id, Org: c.Org, Name: c.Name, DisplayName: display, Roles: roles, Stamp: Stamp{By: in.Actor, At: in.Now}})
	return nil
}

// GrantRole grants a role. Only an admin of the user's organisation may do it.
func (u *User) GrantRole(in Invocation, c GrantRole) error {
	if err := u.checkAdmin(in); err != nil {
		return err
	}
	if !c.Role.Valid() {
		return Errorf(EINVALID, "unknown role %q; use one of %s", trimForMessage(string(c.Role)), rolesList())
	}
	if slices.Contains(u.Roles, c.Role) {
		return Errorf(ECONFLICT, "user %s already holds role %s", u.ID, c.Role)
	}
	u.record(RoleGranted{Role: c.Role, Stamp: Stamp{By: in.Actor, At: in.Now}})
	return nil
}

// RevokeRole revokes a role. Only an admin of the user's organisation may do it.
func (u *User) RevokeRole(in Invocation, c RevokeRole) error {
	if err := u.checkAdmin(in); err != nil {
		return err
	}
	if !c.Role.Valid() {
		return Errorf(EINVALID, "unknown role %q; use one of %s", trimForMessage(string(c.Role)), rolesList())
	}
	if !slices.Contains(u.Roles, c.Role) {
		return Errorf(ECONFLICT, "user %s does not hold role %s", u.ID, c.Role)
	}
	u.record(RoleRevoked{Role: c.Role, Stamp: Stamp{By: in.Actor, At: in.Now}})
	return nil
}

// Disable disables the account. Only an admin of the user's organisation may do it.
func (u *User) Disable(in Invocation, c DisableUser) error {
	if err := u.checkAdmin(in); err != nil {
		return err
	}
	reason := strings.TrimSpace(c.Reason)
	if reason == "" {
		return Errorf(EINVALID, "give the reason for disabling the account")
	}
	if utf8.RuneCountInString(reason) > 1000 {
		return Errorf(EINVALID, "the reason is longer than 1000 characters")
	}
	u.record(UserDisabled{Reason: reason, Stamp: Stamp{By: in.Actor, At: in.Now}})
	return nil
}

// checkAdmin is the common guard of the commands on an existing, active account.
func (u *User) checkAdmin(in Invocation) error {
	if !u.Registered {
		return Errorf(ENOTFOUND, "user %s is not registered", u.ID)
	}
	if in.Actor.Role != RoleAdmin || in.Actor.Org != u.Org {
		return Errorf(EFORBIDDEN, "only an admin of %s may manage its users", u.Org)
	}
	if u.Disabled {
		return Errorf(ECONFLICT, "user %s is disabled; register a new account with another login instead", u.ID)
	}
	return nil
}

func rolesList() string {
	s := make([]string, len(Roles))
	for i, r := range Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
