package domain

// closable refuses to close an incident while somebody else still works on it: an organisation
// that accepted a handoff owns the incident until it returns it, so only it may close it (the
// originator may not close over its head); an offer still waiting for an answer must be answered
// or withdrawn; an escalation still waiting for acknowledgement, or acknowledged and not
// resolved, must be resolved (by the escalating or the addressed organisation).
func (i *Incident) closable(in Invocation) error {
	if i.Owner != i.Origin && in.Actor.Org != i.Owner {
		h := i.acceptedBy(i.Owner)
		return Errorf(EFORBIDDEN, "%s accepted handoff %q and owns the incident: only it may close it, or it returns the incident to you first", i.Owner, h)
	}
	if h := i.offered(); h != nil {
		return Errorf(ECONFLICT, "answer or withdraw handoff %q to %s first", h.ID, h.To)
	}
	for _, x := range i.Escalations {
		switch x.Status {
		case EscalationStatusPending:
			return Errorf(ECONFLICT, "escalation %q to %s is still waiting for acknowledgement: resolve it first (resolveEscalation), or wait for the answer", x.ID, x.To)
		case EscalationStatusAcknowledged:
			return Errorf(ECONFLICT, "escalation %q to %s is acknowledged but still open: resolve it first (resolveEscalation)", x.ID, x.To)
		}
	}
	return nil
}

// acceptedBy returns the id of the last handoff org accepted, or "".
func (i *Incident) acceptedBy(org string) string {
	for k := len(i.Handoffs) - 1; k >= 0; k-- {
		if h := i.Handoffs[k]; h.To == org && h.Status == HandoffStatusAccepted {
			return h.ID
		}
	}
	return ""
}
