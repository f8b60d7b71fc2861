// Who knew what when about one incident: for each organisation, when it came to read the incident
// and through what, what it was asked to do and how late it answered, and what it recorded; as of
// now (live) or of the time-travel instant, through the reader's rights of today.
import { html } from '../vendor/preact-htm/standalone.module.js';
import { t, tEnum, getLang, name, fmtDateTime, fmtDuration } from './i18n.js';
import { gql } from './api.js';
import { useCtx, Tlp, Drill, Org, ErrorText } from './ui.js';
import { useLoad, useFeed } from './hooks.js';
import { hrefFor } from './routes.js';

export const KNOWLEDGE_FIELDS = `incidentId asOf sequence organisations { org nameVi nameEn
  access { sequence at gained via by { user org } textVi textEn }
  requests { kind id from at deadline acknowledgedAt answeredAt outcome lateSeconds overdueSeconds textVi textEn }
  recorded { sequence at type textVi textEn } }`;

const QUERY = `query Who($id: ID!, $asOf: Time, $min: Sequence) {
  incident(id: $id, asOf: $asOf, minSequence: $min) { id title tlp drill }
  whoKnewWhat(incidentId: $id, asOf: $asOf, minSequence: $min) { ${KNOWLEDGE_FIELDS} } }`;

const CHANGES = `subscription($since: Sequence) { incidentChanged(since: $since) { sequence incidentId removed } }`;

const text = (x) => (getLang() === 'vi' ? x.textVi : x.textEn);

// answer is the time of the answer a request's deadline is about: an escalation's
// acknowledgement, a handoff's acceptance or refusal.
const answer = (r) => (r.kind === 'ESCALATION' ? r.acknowledgedAt : r.answeredAt);

// Timeliness says how an answer came against its deadline, at the moment of the view. The API
// counts whole seconds; an answer less than a second late is still late.
function Timeliness({ r }) {
  const lateMs = answer(r) ? new Date(answer(r)).getTime() - new Date(r.deadline).getTime() : 0;
  if (r.lateSeconds > 0 || lateMs > 0) {
    return html`<span class="tag overdue" data-late=${r.lateSeconds}>${r.lateSeconds > 0 ? t('who.late', { d: fmtDuration(r.lateSeconds) }) : t('who.lateUnderSecond')}</span>`;
  }
  if (r.overdueSeconds > 0) return html`<span class="tag overdue" data-overdue=${r.overdueSeconds}>${t('who.overdue', { d: fmtDuration(r.overdueSeconds) })}</span>`;
  if (answer(r)) return html`<span class="tag ok-tag">${t('who.onTime')}</span>`;
  return html`<span class="tag">${t('who.notDue')}</span>`;
}

function OrgPart({ o }) {
  const first = o.access.find((a) => a.gained);
  return html`<section class="org-k card" data-org=${o.org} aria-labelledby=${'who-' + o.org}>
    <h2 id=${'who-' + o.org} class="h3">${name(o)}</h2>
    <p class="first">${first
      ? t('who.first', { at: fmtDateTime(first.at, true), via: tEnum('Via', first.via) })
      : t('who.never')}</p>
    ${o.access.length ? html`<h3 class="h4">${t('who.access')}</h3><ol class="tl">${o.access.map((a) => html`<li data-via=${a.via} data-gained=${a.gained}>
      <time datetime=${a.at}>${fmtDateTime(a.at, true)}</time>
      <span class=${'tag ' + (a.gained ? 'ok-tag' : 'lost-tag')}>${a.gained ? t('who.gained') : t('who.lost')}</span> <span>${text(a)}</span></li>`)}</ol>` : null}
    ${o.requests.length ? html`<h3 class="h4">${t('who.requests')}</h3><div class="tablewrap"><table>
      <thead><tr><th scope="col">${t('who.kind')}</th><th scope="col">${t('who.from')}</th><th scope="col">${t('who.asked')}</th>
        <th scope="col">${t('who.deadline')}</th><th scope="col">${t('who.ackAt')}</th><th scope="col">${t('who.answeredAt')}</th>
        <th scope="col">${t('who.outcome')}</th><th scope="col">${t('who.timeliness')}</th></tr></thead>
      <tbody>${o.requests.map((r) => html`<tr data-request=${r.id} data-kind=${r.kind}>
        <td>${tEnum('RequestKind', r.kind)}</td><td><${Org} slug=${r.from} /></td><td>${fmtDateTime(r.at, true)}</td><td>${fmtDateTime(r.deadline, true)}</td>
        <td>${r.acknowledgedAt ? fmtDateTime(r.acknowledgedAt, true) : t('common.none')}</td><td>${r.answeredAt ? fmtDateTime(r.answeredAt, true) : t('common.none')}</td>
        <td>${tEnum(r.kind === 'ESCALATION' ? 'EscalationStatus' : 'HandoffStatus', r.outcome)}</td><td><${Timeliness} r=${r} /></td></tr>`)}</tbody></table></div>` : null}
    ${o.recorded.length ? html`<h3 class="h4">${t('who.recorded')}</h3><ol class="tl">${o.recorded.map((e) => html`<li data-seq=${e.sequence} data-type=${e.type}>
      <time datetime=${e.at}>${fmtDateTime(e.at, true)}</time><span>${text(e)}</span></li>`)}</ol>` : null}
  </section>`;
}

// Knowledge renders a who-knew-what-when answer, one part per organisation.
export function Knowledge({ k }) {
  if (!k.organisations.length) return html`<p class="muted">${t('who.empty')}</p>`;
  return html`<p class="muted">${t('who.basis', { at: fmtDateTime(k.asOf, true), seq: k.sequence })}</p>
    <div class="who-orgs">${k.organisations.map((o) => html`<${OrgPart} o=${o} />`)}</div>`;
}

// WhoKnewWhat is the screen of one incident, with the board's time-travel picker.
export function WhoKnewWhat({ args }) {
  const id = args[0];
  const { asOf } = useCtx();
  const loaded = useLoad(async (min) => gql(QUERY, { id, asOf: asOf || null, min }), [id, asOf]);
  useFeed(!asOf && loaded.data !== null, loaded, CHANGES, {}, (c) => { if (c.incidentId === id) loaded.reload(c.sequence); });
  const { data, err } = loaded;
  if (err && !data) return html`<h1>${t('incident.notFound')}</h1><${ErrorText} err=${err} /><p><a href="#/">${t('nav.board')}</a></p>`;
  if (!data) return html`<p role="status">${t('common.loading')}</p>`;
  const inc = data.incident;
  return html`<section class="who-view" aria-labelledby="who-h" data-incident=${inc.id}>
    <p class="crumbs"><a href=${hrefFor('/incident/' + inc.id, asOf)}>${t('who.back')}</a></p>
    <h1 id="who-h">${t('who.title')}</h1>
    <p class="subject"><span translate=${false}>${inc.title}</span> <${Tlp} tlp=${inc.tlp} /> ${inc.drill ? html`<${Drill} />` : null}</p>
    <p>${t('who.intro')}</p>
    <${ErrorText} err=${err} />
    <${Knowledge} k=${data.whoKnewWhat} />
  </section>`;
}
