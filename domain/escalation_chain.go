package domain

import (
	"slices"
	"time"
)

func init() {
	registerEvent[EscalationChainExhausted]("incident", 1, nil)
	registerEvent[EscalationChainBlocked]("incident", 1, nil)
	registerCommand((*Incident).AutoEscalate)
}

// EscalationChainExhausted records that the chain of an escalation has nobody left to ask.
// RuleID is set when it ends an automatic escalation that found no step to start with.
type EscalationChainExhausted struct {
	EscalationID string   `json:"escalationId"`
	RuleID       string   `json:"ruleId,omitempty"`
	Skipped      []string `json:"skipped,omitempty"` // steps passed over because they may not receive it
	Stamp
}

// EscalationChainBlocked records that the chain could not go on because the incident may not
// reach anybody new (TLP:AMBER+STRICT or TLP:RED). Pending lists the steps not taken.
type EscalationChainBlocked struct {
	EscalationID string   `json:"escalationId"`
	RuleID       string   `json:"ruleId,omitempty"`
	Reason       string   `json:"reason"`
	Pending      []string `json:"pending,omitempty"`
	Stamp
}

// EventType implements Event.
func (EscalationChainExhausted) EventType() string { return "EscalationChainExhausted" }

// EventType implements Event.
func (EscalationChainBlocked) EventType() string { return "EscalationChainBlocked" }

// orgsOf lists the organisations of chain steps.
func orgsOf(steps []ChainStep) []string {
	out := make([]string, len(steps))
	for k, s := range steps {
		out[k] = s.Org
	}
	return out
}

// manualChain is what a person's escalation to addressee carries: the rule's steps after the
// addressee when it is in the chain, else the whole chain, without the addressee, the escalating
// organisation and organisations the incident may not go to.
func (i *Incident) manualChain(cfg *Config, rule *PolicyRule, addressee, from string) []ChainStep {
	steps := rule.Chain
	if k := slices.Index(orgsOf(steps), addressee); k >= 0 {
		steps = steps[k+1:]
	}
	var out []ChainStep
	for _, s := range steps {
		if s.Org != addressee && s.Org != from && i.mayReceive(cfg, s.Org) {
			out = append(out, s)
		}
	}
	return out
}

// escalationStep describes the next escalation of a chain.
type escalationStep struct {
	id            func(org string) string
	from, reason  string
	policyVersion string
	ruleID        string
	remindBefore  Duration
	follows       string
}

// escalateAlong records the escalation to the first step of chain the incident may go to, or
// the event that says why there is none. Steps the incident may not go to are listed as skipped;
// the escalating and originating organisations and organisations already asked (a pending
// escalation) are passed over silently.
func (i *Incident) escalateAlong(in Invocation, s escalationStep, rootID string, chain []ChainStep) {
	now := in.Now.UTC()
	if len(chain) == 0 {
		i.record(EscalationChainExhausted{EscalationID: rootID, RuleID: s.ruleIDIfRoot(i, rootID), Stamp: Stamp{By: in.Actor, At: now}})
		return
	}
	if why := i.restricted(); why != "" {
		i.record(EscalationChainBlocked{
			EscalationID: rootID,
			RuleID:       s.ruleIDIfRoot(i, rootID),
			Reason:       why,
			Pending:      orgsOf(chain),
			Stamp:        Stamp{By: in.Actor, At: now},
		})
		return
	}
	var skipped []string
	for k, step := range chain {
		pending := slices.ContainsFunc(i.Escalations, func(x *Escalation) bool {
			return x.To == step.Org && x.Status == EscalationStatusPending
		})
		if !i.mayReceive(in.Config, step.Org) {
			skipped = append(skipped, step.Org) // recorded: the chain was shortened by a rule
			continue
		}
		if step.Org == s.from || step.Org == i.Origin || pending {
			continue // already holds the incident or is already asked: nothing to pass over
		}
		deadline := now.Add(time.Duration(step.AckWithin))
		var rest []ChainStep
		if k+1 < len(chain) {
			rest = slices.Clone(chain[k+1:])
		}
		i.record(IncidentEscalated{
			EscalationID:  s.id(step.Org),
			From:          s.from,
			To:            step.Org,
			Reason:        s.reason,
			Deadline:      deadline,
			PolicyVersion: s.policyVersion,
			RuleID:        s.ruleID,
			Chain:         rest,
			Auto:          true,
			RemindAt:      remindAt(deadline, now, s.remindBefore),
			RemindBefore:  s.remindBefore,
			Follows:       s.follows,
			Skipped:       skipped,
			Stamp:         Stamp{By: in.Actor, At: now},
		})
		return
	}
	i.record(EscalationChainExhausted{EscalationID: rootID, RuleID: s.ruleIDIfRoot(i, rootID), Skipped: skipped, Stamp: Stamp{By: in.Actor, At: now}})
}

// ruleIDIfRoot names the rule on a chain event that stands for an automatic escalation never
// started, so that replaying it marks the rule done.
func (s escalationStep) ruleIDIfRoot(i *Incident, rootID string) string {
	if i.Escalation(rootID) == nil {
		return s.ruleID
	}
	return ""
}

// AutoEscalationID is the deterministic id of the automatic escalation of an incident under a
// policy rule; the steps that follow it append "/<org>".
func AutoEscalationID(incidentID, ruleID string) string { return "auto:" + incidentID + ":" + ruleID }

// autoDone reports whether a policy escalation was already started under rule: automatically,
// or by a person escalating to one of the rule's chain.
func (i *Incident) autoDone(rule *PolicyRule) bool {
	if slices.Contains(i.AutoRules, rule.ID) {
		return true
	}
	chain := orgsOf(rule.Chain)
	return slices.ContainsFunc(i.Escalations, func(x *Escalation) bool {
		return x.RuleID == rule.ID && (x.Auto || slices.Contains(chain, x.To))
	})
}

// autoRule returns the rule AutoEscalate would act on, or why it would not.
func (i *Incident) autoRule(cfg *Config) (*PolicyRule, error) {
	if i.Status == IncidentStatusClosed {
		return nil, Errorf(ECONFLICT, "incident is closed; nothing to escalate")
	}
	rule := cfg.PolicyFor(i)
	switch {
	case rule == nil:
		return nil, Errorf(ECONFLICT, "configuration %s has no escalation policy for this incident", cfg.Version)
	case !rule.AutoEscalate:
		return nil, Errorf(EINVALID, "policy rule %s (configuration %s) does not escalate automatically", rule.ID, cfg.Version)
	case len(rule.Chain) == 0:
		return nil, Errorf(EINVALID, "policy rule %s (configuration %s) has an empty chain", rule.ID, cfg.Version)
	case i.autoDone(rule):
		return nil, Errorf(ECONFLICT, "the escalation under policy rule %s was already started", rule.ID)
	}
	return rule, nil
}

// AutoEscalate is the deadline scheduler's command that starts an automatic escalation.
type AutoEscalate struct{}

// CommandName implements Command.
func (AutoEscalate) CommandName() string { return "AutoEscalate" }

// AutoEscalate starts the policy escalation of an open incident whose rule escalates
// automatically, once per rule: to the first step of the rule's chain the incident may go to
// (not the origin, not a non-force for a state secret), carrying the rest of the chain.
func (i *Incident) AutoEscalate(in Invocation, _ AutoEscalate) error {
	if err := i.systemGuard(in, "an automatic escalation"); err != nil {
		return err
	}
	rule, err := i.autoRule(in.Config)
	if err != nil {
		return err
	}
	root := AutoEscalationID(i.ID, rule.ID)
	i.escalateAlong(in, escalationStep{
		id:            func(string) string { return root },
		from:          i.Owner,
		reason:        "policy " + in.Config.Version + ", rule " + rule.ID,
		policyVersion: in.Config.Version,
		ruleID:        rule.ID,
		remindBefore:  in.Config.EscalationPolicy.RemindBefore,
	}, root, rule.Chain)
	return nil
}
