package domain

import (
	"slices"
	"strings"
)

func init() {
	registerEvent[IncidentAlertsMerged]("incident", 1, nil)
	registerEvent[IncidentAlertDetached]("incident", 1, nil)
	registerCommand((*Incident).MergeAlerts)
	registerCommand((*Incident).DetachAlert)
}

// MaxMergeAlerts bounds the alerts one command merges into an incident.
const MaxMergeAlerts = 1000

// MergeAlerts adds alerts to an existing incident.
type MergeAlerts struct{ AlertIDs []string }

// CommandName implements Command.
func (MergeAlerts) CommandName() string { return "MergeAlerts" }

// DetachAlert takes a wrongly merged alert out of the incident.
type DetachAlert struct {
	AlertID string
	Reason  string
}

// CommandName implements Command.
func (DetachAlert) CommandName() string { return "DetachAlert" }

// IncidentAlertsMerged records alerts joining the incident (on its timeline).
type IncidentAlertsMerged struct {
	Alerts []string `json:"alerts"`
	Stamp
}

// EventType implements Event.
func (IncidentAlertsMerged) EventType() string { return "IncidentAlertsMerged" }

// IncidentAlertDetached records an alert taken out of the incident (the undo of a merge).
type IncidentAlertDetached struct {
	Alert  string `json:"alert"`
	Reason string `json:"reason"`
	Stamp
}

// EventType implements Event.
func (IncidentAlertDetached) EventType() string { return "IncidentAlertDetached" }

// MergeAlerts records alerts joining the incident; alerts already part of it are skipped.
// Anyone who may work on the incident may merge.
func (i *Incident) MergeAlerts(in Invocation, c MergeAlerts) error {
	if err := i.guardWrite(in, CmdMergeAlerts, false); err != nil {
		return err
	}
	if len(c.AlertIDs) > MaxMergeAlerts {
		return Errorf(ETOOLARGE, "at most %d alerts may be merged at once, not %d", MaxMergeAlerts, len(c.AlertIDs))
	}
	var add []string
	for _, id := range c.AlertIDs {
		if id = strings.TrimSpace(id); id == "" {
			return Errorf(EINVALID, "alert ids must not be empty")
		}
		if !slices.Contains(i.AlertIDs, id) && !slices.Contains(add, id) {
			add = append(add, id)
		}
	}
	if len(add) == 0 {
		return nil
	}
	i.record(IncidentAlertsMerged{Alerts: add, Stamp: in.Stamp()})
	return nil
}

// DetachAlert takes an alert out of the incident.
func (i *Incident) DetachAlert(in Invocation, c DetachAlert) error {
	if err := i.guardWrite(in, CmdDetachAlert, true); err != nil {
		return err
	}
	if !slices.Contains(i.AlertIDs, c.AlertID) {
		return Errorf(ECONFLICT, "alert %q is not part of this incident", c.AlertID)
	}
	reason, err := textField("reason", c.Reason, 1000, true)
	if err != nil {
		return err
	}
	i.record(IncidentAlertDetached{Alert: c.AlertID, Reason: reason, Stamp: in.Stamp()})
	return nil
}

// unionKeepOrder appends the new values of more to a, keeping a's order.
func unionKeepOrder(a []string, more ...string) []string {
	out := slices.Clone(a)
	for _, x := range more {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
