// The actions on an incident, each a small form: shown when the reader's role may issue the
// command at all (the server's policy, from /board/api/meta) and the incident's state allows it.
// The server decides the rest; its coded errors are shown in words. Every command carries a
// command id (a retry records once) and, on incidents, the version read (a stale write is refused).
import { html } from '../vendor/preact-htm/standalone.module.js';
import { t, tEnum, name, localInputToISO, isoToLocalInput } from './i18n.js';
import { gql, newCommandId } from './api.js';
import { useCtx, Form, Action, enumOptions, ENUMS, orgOptions } from './ui.js';

const may = (meta, cmd) => meta.commands.includes(cmd);

const WITHIN = ['15m', '30m', '1h', '4h', '24h', '72h'];
const withinOptions = () => WITHIN.map((v) => ({ value: v, label: t('within.' + v) }));

async function run(mutation, input) {
  return gql(mutation, { input: { commandId: newCommandId(), ...input } });
}

const M = {
  open: 'mutation($input: OpenIncidentInput!) { openIncident(input: $input) { incident { id } sequence } }',
  classify: 'mutation($input: ClassifyIncidentInput!) { classifyIncident(input: $input) { sequence } }',
  phase: 'mutation($input: ChangePhaseInput!) { changePhase(input: $input) { sequence } }',
  note: 'mutation($input: AddNoteInput!) { addNote(input: $input) { sequence } }',
  indicator: 'mutation($input: AddIndicatorInput!) { addIndicator(input: $input) { sequence } }',
  share: 'mutation($input: ShareIncidentInput!) { shareIncident(input: $input) { sequence } }',
  recipients: 'mutation($input: NameRecipientsInput!) { nameRecipients(input: $input) { sequence } }',
  tlp: 'mutation($input: ChangeTLPInput!) { changeTLP(input: $input) { sequence } }',
  escalate: 'mutation($input: EscalateIncidentInput!) { escalateIncident(input: $input) { sequence } }',
  ack: 'mutation($input: AcknowledgeEscalationInput!) { acknowledgeEscalation(input: $input) { sequence } }',
  resolve: 'mutation($input: ResolveEscalationInput!) { resolveEscalation(input: $input) { sequence } }',
  offer: 'mutation($input: OfferHandoffInput!) { offerHandoff(input: $input) { sequence } }',
  hoAck: 'mutation($input: AcknowledgeHandoffInput!) { acknowledgeHandoff(input: $input) { sequence } }',
  accept: 'mutation($input: AcceptHandoffInput!) { acceptHandoff(input: $input) { sequence } }',
  decline: 'mutation($input: DeclineHandoffInput!) { declineHandoff(input: $input) { sequence } }',
  ret: 'mutation($input: ReturnHandoffInput!) { returnHandoff(input: $input) { sequence } }',
  withdraw: 'mutation($input: WithdrawHandoffInput!) { withdrawHandoff(input: $input) { sequence } }',
  close: 'mutation($input: CloseIncidentInput!) { closeIncident(input: $input) { sequence } }',
  reopen: 'mutation($input: ReopenIncidentInput!) { reopenIncident(input: $input) { sequence } }',
};

// OpenIncident is the board's "new incident" form.
export function OpenIncident() {
  const { meta } = useCtx();
  const fields = [
    { name: 'title', label: t('f.title'), required: true, maxLength: 300 },
    { name: 'description', label: t('f.description'), type: 'textarea' },
    { name: 'type', label: t('incident.type'), type: 'select', required: true, options: meta.types.map((x) => ({ value: x.code, label: name(x) })) },
    { name: 'sector', label: t('incident.sector'), type: 'select', options: meta.sectors.map((x) => ({ value: x.code, label: name(x) })) },
    { name: 'severity', label: t('incident.severity'), type: 'select', required: true, options: enumOptions('Severity', ENUMS.Severity) },
    { name: 'tier', label: t('incident.tier'), type: 'select', options: enumOptions('Tier', ENUMS.Tier) },
    { name: 'tlp', label: t('f.tlp'), type: 'select', required: true, value: 'AMBER', options: enumOptions('TLP', ENUMS.TLP) },
    { name: 'detectedAt', label: t('incident.detectedAt'), type: 'datetime', required: true, value: isoToLocalInput(new Date().toISOString()), hint: t('f.localTime') },
    { name: 'drill', label: t('f.drill'), type: 'checkbox' },
  ];
  const submit = async (v) => {
    const d = await run(M.open, {
      title: v.title, description: v.description, type: v.type, sector: v.sector || null, severity: v.severity,
      tier: v.tier || 'ORDINARY', tlp: v.tlp, detectedAt: localInputToISO(v.detectedAt), drill: v.drill,
    });
    location.hash = '#/incident/' + d.openIncident.incident.id;
  };
  return html`<${Action} title=${t('action.open')} id="act-open"><${Form} fields=${fields} submit=${submit} label=${t('action.open')} /></${Action}>`;
}

export function IncidentActions({ inc }) {
  const { meta, orgs, me } = useCtx();
  const base = { incidentId: inc.id, expectedVersion: inc.version };
  const open = inc.status === 'OPEN';
  const others = orgOptions(orgs, (o) => o.slug !== me.org.slug);
  const list = [];
  if (open && may(meta, 'AddNote')) {
    list.push(html`<${Action} title=${t('action.note')} id="act-note"><${Form} label=${t('action.note')} submit=${(v) => run(M.note, { ...base, text: v.text, tlp: v.tlp || null })}
      fields=${[{ name: 'text', label: t('f.note'), type: 'textarea', required: true },
        { name: 'tlp', label: t('f.tlp'), type: 'select', options: enumOptions('TLP', ENUMS.TLP), hint: t('f.noteTlpHint') }]} /></${Action}>`);
  }
  if (open && may(meta, 'Escalate')) {
    list.push(html`<${Action} title=${t('action.escalate')} id="act-escalate"><${Form} label=${t('action.escalate')}
      submit=${(v) => run(M.escalate, { ...base, toOrg: v.toOrg, reason: v.reason, ackWithin: v.ackWithin || null })}
      fields=${[{ name: 'toOrg', label: t('f.toOrg'), type: 'select', required: true, options: others },
        { name: 'reason', label: t('f.reason'), type: 'textarea', required: true },
        { name: 'ackWithin', label: t('f.ackWithin'), type: 'select', options: withinOptions(), hint: t('f.defaultPolicy') }]} /></${Action}>`);
  }
  if (open && may(meta, 'ChangePhase')) {
    list.push(html`<${Action} title=${t('action.phase')} id="act-phase"><${Form} label=${t('action.phase')} submit=${(v) => run(M.phase, { ...base, phase: v.phase, reason: v.reason || null })}
      fields=${[{ name: 'phase', label: t('incident.phase'), type: 'select', required: true, options: enumOptions('Phase', ENUMS.Phase.filter((p) => p !== inc.phase)) },
        { name: 'reason', label: t('f.reason'), type: 'text' }]} /></${Action}>`);
  }
  if (open && may(meta, 'Classify')) {
    const s = inc.affectedSystem || {};
    list.push(html`<${Action} title=${t('action.classify')} id="act-classify"><${Form} label=${t('action.classify')}
      submit=${(v) => run(M.classify, { ...base, type: v.type || null, severity: v.severity || null, tier: v.tier || null, sector: v.sector || null,
        affectedSystem: v.systemName ? { name: v.systemName, ownerOrg: v.ownerOrg || null, securityLevel: Number(v.securityLevel || 0), infoClass: v.infoClass || null } : null })}
      fields=${[{ name: 'type', label: t('incident.type'), type: 'select', value: inc.type, options: meta.types.map((x) => ({ value: x.code, label: name(x) })) },
        { name: 'severity', label: t('incident.severity'), type: 'select', value: inc.severity, options: enumOptions('Severity', ENUMS.Severity) },
        { name: 'tier', label: t('incident.tier'), type: 'select', value: inc.tier, options: enumOptions('Tier', ENUMS.Tier) },
        { name: 'sector', label: t('incident.sector'), type: 'select', value: inc.sector || '', options: meta.sectors.map((x) => ({ value: x.code, label: name(x) })) },
        { name: 'systemName', label: t('incident.systemName'), value: s.name || '' },
        { name: 'ownerOrg', label: t('incident.systemOwner'), type: 'select', value: s.ownerOrg || '', options: orgOptions(orgs) },
        { name: 'securityLevel', label: t('incident.securityLevel'), type: 'select', value: s.securityLevel ? String(s.securityLevel) : '', options: [1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: t('f.level', { n }) })) },
        { name: 'infoClass', label: t('incident.infoClass'), type: 'select', value: s.infoClass || '', options: enumOptions('InfoClass', ENUMS.InfoClass) }]} /></${Action}>`);
  }
  if (open && may(meta, 'AddIndicator')) {
    list.push(html`<${Action} title=${t('action.indicator')} id="act-indicator"><${Form} label=${t('action.indicator')}
      submit=${(v) => run(M.indicator, { ...base, type: v.type, value: v.value, tlp: v.tlp || null })}
      fields=${[{ name: 'type', label: t('incident.indicatorType'), type: 'select', required: true, options: enumOptions('IndicatorType', ENUMS.IndicatorType) },
        { name: 'value', label: t('incident.indicatorValue'), required: true, maxLength: 2048 },
        { name: 'tlp', label: t('f.tlp'), type: 'select', options: enumOptions('TLP', ENUMS.TLP) }]} /></${Action}>`);
  }
  if (open && may(meta, 'Share')) {
    list.push(html`<${Action} title=${t('action.share')} id="act-share"><${Form} label=${t('action.share')} submit=${(v) => run(M.share, { ...base, orgs: v.orgs })}
      fields=${[{ name: 'orgs', label: t('f.orgs'), type: 'multi', required: true, options: others.filter((o) => !inc.sharedWith.includes(o.value)) }]} /></${Action}>`);
  }
  if (open && may(meta, 'NameRecipients') && inc.tlp === 'RED') {
    list.push(html`<${Action} title=${t('action.recipients')} id="act-recipients"><${Form} label=${t('action.recipients')}
      submit=${(v) => run(M.recipients, { ...base, users: v.users.split(/[\s,;]+/).filter(Boolean) })}
      fields=${[{ name: 'users', label: t('f.users'), type: 'textarea', required: true, hint: t('f.usersHint') }]} /></${Action}>`);
  }
  if (open && may(meta, 'ChangeTLP')) {
    list.push(html`<${Action} title=${t('action.tlp')} id="act-tlp"><${Form} label=${t('action.tlp')} submit=${(v) => run(M.tlp, { ...base, tlp: v.tlp, reason: v.reason || null })}
      fields=${[{ name: 'tlp', label: t('f.tlp'), type: 'select', required: true, options: enumOptions('TLP', ENUMS.TLP.filter((x) => x !== inc.tlp)), hint: t('f.tlpHint') },
        { name: 'reason', label: t('f.reason'), type: 'text' }]} /></${Action}>`);
  }
  if (open && may(meta, 'OfferHandoff')) {
    list.push(html`<${Action} title=${t('action.offer')} id="act-offer"><${Form} label=${t('action.offer')}
      submit=${(v) => run(M.offer, { ...base, toOrg: v.toOrg, summary: v.summary, requestedAction: v.requestedAction || null, tlp: v.tlp || null,
        answerWithin: v.answerWithin || null, releaseOnAccept: v.releaseOnAccept })}
      fields=${[{ name: 'toOrg', label: t('f.toOrg'), type: 'select', required: true, options: orgOptions(orgs, (o) => o.slug !== me.org.slug && o.cert).concat(others.filter((o) => !orgs[o.value].cert)) },
        { name: 'summary', label: t('f.summary'), type: 'textarea', required: true },
        { name: 'requestedAction', label: t('incident.requestedAction'), type: 'text' },
        { name: 'tlp', label: t('f.tlp'), type: 'select', options: enumOptions('TLP', ENUMS.TLP), hint: t('f.handoffTlpHint') },
        { name: 'answerWithin', label: t('f.answerWithin'), type: 'select', options: withinOptions(), hint: t('f.defaultPolicy') },
        { name: 'releaseOnAccept', label: t('f.releaseOnAccept'), type: 'checkbox' }]} /></${Action}>`);
  }
  if (open && may(meta, 'CloseIncident')) {
    list.push(html`<${Action} title=${t('action.close')} id="act-close"><${Form} label=${t('action.close')} danger=${true}
      submit=${(v) => run(M.close, { ...base, resolution: v.resolution, summary: v.summary })}
      fields=${[{ name: 'resolution', label: t('incident.resolution'), type: 'select', required: true, options: enumOptions('Resolution', ENUMS.Resolution) },
        { name: 'summary', label: t('f.summary'), type: 'textarea', required: true }]} /></${Action}>`);
  }
  if (!open && may(meta, 'ReopenIncident')) {
    list.push(html`<${Action} title=${t('action.reopen')} id="act-reopen"><${Form} label=${t('action.reopen')} submit=${(v) => run(M.reopen, { ...base, reason: v.reason })}
      fields=${[{ name: 'reason', label: t('f.reason'), type: 'textarea', required: true }]} /></${Action}>`);
  }
  if (list.length === 0) return html`<p class="muted">${t('incident.noActions')}</p>`;
  return html`<div class="actions">${list}</div>`;
}

// EscalationActions: the addressee acknowledges; then anyone involved may resolve.
export function EscalationActions({ e }) {
  const { meta, me } = useCtx();
  const mine = e.to === me.org.slug;
  const out = [];
  if (mine && (e.status === 'PENDING' || e.status === 'MISSED') && !e.acknowledgedAt && may(meta, 'AcknowledgeEscalation')) {
    out.push(html`<${Form} compact=${true} fields=${[]} action="ack" label=${t('action.ack')} submit=${() => run(M.ack, { escalationId: e.id })} />`);
  }
  if ((mine || e.from === me.org.slug) && e.status === 'ACKNOWLEDGED' && may(meta, 'ResolveEscalation')) {
    out.push(html`<${Action} title=${t('action.resolve')}><${Form} label=${t('action.resolve')} submit=${(v) => run(M.resolve, { escalationId: e.id, resolution: v.resolution })}
      fields=${[{ name: 'resolution', label: t('f.resolution'), type: 'textarea', required: true }]} /></${Action}>`);
  }
  return out.length ? html`<div class="row-actions">${out}</div>` : null;
}

// HandoffActions: the addressee confirms receipt, accepts or declines an offer, returns an
// accepted one; the offering organisation withdraws.
export function HandoffActions({ h }) {
  const { meta, me } = useCtx();
  const to = h.to === me.org.slug;
  const from = h.from === me.org.slug;
  const out = [];
  const reasonForm = (cmd, m, label) => html`<${Action} title=${label}><${Form} label=${label} danger=${true}
    submit=${(v) => run(m, { handoffId: h.id, reason: v.reason })} fields=${[{ name: 'reason', label: t('f.reason'), type: 'textarea', required: true }]} /></${Action}>`;
  if (to && h.status === 'OFFERED') {
    if (!h.acknowledgedAt && may(meta, 'AcknowledgeHandoff')) out.push(html`<${Form} compact=${true} fields=${[]} action="hoAck" label=${t('action.hoAck')} submit=${() => run(M.hoAck, { handoffId: h.id })} />`);
    if (may(meta, 'AcceptHandoff')) out.push(html`<${Form} compact=${true} fields=${[]} action="accept" label=${t('action.accept')} submit=${() => run(M.accept, { handoffId: h.id })} />`);
    if (may(meta, 'DeclineHandoff')) out.push(reasonForm('DeclineHandoff', M.decline, t('action.decline')));
  }
  if (to && h.status === 'ACCEPTED' && may(meta, 'ReturnHandoff')) out.push(reasonForm('ReturnHandoff', M.ret, t('action.return')));
  if (from && h.status === 'OFFERED' && may(meta, 'WithdrawHandoff')) out.push(reasonForm('WithdrawHandoff', M.withdraw, t('action.withdraw')));
  return out.length ? html`<div class="row-actions">${out}</div>` : null;
}

export { M as mutations, run as runCommand };
