// Regulatory deadlines a coordinator sees before they are missed: an incident's obligations with
// their status, the reader's organisation's open obligations soonest first (live), and compliance
// figures per organisation and period (drills counted apart, never in a figure).
import { html, useState } from '../vendor/preact-htm/standalone.module.js';
import { t, tEnum, fmtNumber, fmtDateTime, fmtDuration } from './i18n.js';
import { gql } from './api.js';
import { useCtx, Org, Drill, Countdown, ErrorText, orgOptions } from './ui.js';
import { useLoad, useFeed } from './hooks.js';

export const OBLIGATION_FIELDS = 'kind refId incidentId incidentTitle drill owedBy due status settledAt secondsLeft';

const MINE = `query($min: Sequence) { deadlines(first: 50, minSequence: $min) { ${OBLIGATION_FIELDS} } }`;
const COMPLIANCE = `query($org: String, $period: String, $year: Int) { compliance(org: $org, period: $period, year: $year) {
  org from to incidents drills kinds { kind met late missed pending overdue }
  acknowledge { count medianSeconds maxSeconds } handOff { count medianSeconds maxSeconds } close { count medianSeconds maxSeconds } } }`;
const CHANGES = `subscription($since: Sequence) { incidentChanged(since: $since) { sequence incidentId } }`;

const open = (s) => s === 'PENDING' || s === 'OVERDUE';
const bad = (s) => s === 'OVERDUE' || s === 'MISSED' || s === 'LATE';

// thisYear is the current year in Vietnam.
export const thisYear = () => new Date(Date.now() + 7 * 3600 * 1000).getUTCFullYear();

// ObligationTable lists obligations; withIncident adds the incident each is about.
export function ObligationTable({ items, withIncident }) {
  if (!items.length) return html`<p class="muted">${t('deadlines.none')}</p>`;
  return html`<div class="tablewrap"><table class="obligations">
    <thead><tr><th scope="col">${t('deadlines.kind')}</th>${withIncident ? html`<th scope="col">${t('deadlines.about')}</th>` : null}
      <th scope="col">${t('deadlines.owedBy')}</th><th scope="col">${t('deadlines.due')}</th><th scope="col">${t('deadlines.status')}</th></tr></thead>
    <tbody>${items.map((o) => html`<tr data-obligation=${o.kind} data-incident=${o.incidentId} data-status=${o.status} class=${bad(o.status) ? 'is-overdue' : ''}>
      <td>${tEnum('DeadlineKind', o.kind)}</td>
      ${withIncident ? html`<td>${o.incidentId
        ? html`<a href=${'#/incident/' + o.incidentId} translate=${false}>${o.incidentTitle}</a> ${o.drill ? html`<${Drill} />` : null}`
        : t('deadlines.periodic', { ref: o.refId.split('/').slice(1).join('/') })}</td>` : null}
      <td><${Org} slug=${o.owedBy} /></td>
      <td>${open(o.status) ? html`<${Countdown} at=${o.due} />` : fmtDateTime(o.due)}</td>
      <td><span class=${'tag' + (bad(o.status) ? ' overdue' : '')}>${tEnum('ObligationStatus', o.status)}</span>
        ${o.settledAt ? html` <small>${t('deadlines.settledAt', { at: fmtDateTime(o.settledAt) })}</small>` : null}</td></tr>`)}</tbody></table></div>`;
}

function Durations({ c }) {
  const row = (key, d) => html`<tr><th scope="row">${t('compliance.' + key)}</th><td>${fmtNumber(d.count)}</td>
    <td>${d.medianSeconds === null ? t('common.none') : fmtDuration(d.medianSeconds)}</td><td>${d.maxSeconds === null ? t('common.none') : fmtDuration(d.maxSeconds)}</td></tr>`;
  return html`<div class="tablewrap"><table><thead><tr><th scope="col">${t('compliance.measure')}</th><th scope="col">${t('compliance.count')}</th>
    <th scope="col">${t('compliance.median')}</th><th scope="col">${t('compliance.max')}</th></tr></thead>
    <tbody>${row('acknowledge', c.acknowledge)}${row('handOff', c.handOff)}${row('close', c.close)}</tbody></table></div>`;
}

function Compliance() {
  const { me, meta, orgs } = useCtx();
  const [q, setQ] = useState({ org: me.org.slug, period: meta.periods[meta.periods.length - 1] || 'YEAR', year: String(thisYear()) });
  const loaded = useLoad(async () => (await gql(COMPLIANCE, { org: q.org, period: q.period, year: Number(q.year) })).compliance, [JSON.stringify(q)]);
  const c = loaded.data;
  const set = (k) => (e) => setQ({ ...q, [k]: e.target.value });
  return html`<section aria-labelledby="comp-h"><h2 id="comp-h">${t('compliance.title')}</h2>
    <form class="filter-grid inline-grid" onSubmit=${(e) => e.preventDefault()}>
      <div class="field"><label for="comp-org">${t('board.f.org')}</label>
        <select id="comp-org" value=${q.org} onChange=${set('org')}>${orgOptions(orgs).map((o) => html`<option value=${o.value}>${o.label}</option>`)}</select></div>
      <div class="field"><label for="comp-period">${t('period.label')}</label>
        <select id="comp-period" value=${q.period} onChange=${set('period')}>${meta.periods.map((p) => html`<option value=${p}>${tEnum('Period', p)}</option>`)}</select></div>
      <div class="field"><label for="comp-year">${t('period.year')}</label>
        <input id="comp-year" type="number" min="2000" max="2100" value=${q.year} onChange=${set('year')} /></div>
    </form>
    <${ErrorText} err=${loaded.err} />
    ${c ? html`<div data-compliance=${c.org}>
      <p>${t('compliance.window', { from: fmtDateTime(c.from), to: fmtDateTime(c.to) })}</p>
      <dl class="facts counts-row"><div><dt>${t('compliance.incidents')}</dt><dd data-count="incidents">${fmtNumber(c.incidents)}</dd></div>
        <div><dt>${t('compliance.drills')}</dt><dd data-count="drills">${fmtNumber(c.drills)}</dd></div></dl>
      ${c.kinds.length ? html`<div class="tablewrap"><table><thead><tr><th scope="col">${t('deadlines.kind')}</th>
        ${['met', 'late', 'missed', 'pending', 'overdue'].map((k) => html`<th scope="col">${tEnum('ObligationStatus', k.toUpperCase())}</th>`)}</tr></thead>
        <tbody>${c.kinds.map((k) => html`<tr data-kind=${k.kind}><th scope="row">${tEnum('DeadlineKind', k.kind)}</th>
          ${['met', 'late', 'missed', 'pending', 'overdue'].map((x) => html`<td>${fmtNumber(k[x])}</td>`)}</tr>`)}</tbody></table></div>`
        : html`<p class="muted">${t('compliance.noneOwed')}</p>`}
      <${Durations} c=${c} />
      <p class="hint">${t('compliance.drillsApart')}</p>
    </div>` : html`<p role="status">${t('common.loading')}</p>`}
  </section>`;
}

// Deadlines is the screen: what the reader's organisation owes, soonest first, and compliance.
export function Deadlines() {
  const { me } = useCtx();
  const loaded = useLoad(async (min) => (await gql(MINE, { min })).deadlines, []);
  useFeed(loaded.data !== null, loaded, CHANGES, {});
  const items = loaded.data;
  return html`<section aria-labelledby="dl-h"><h1 id="dl-h">${t('deadlines.title')}</h1>
    <p>${t('deadlines.intro')} <${Org} slug=${me.org.slug} /></p>
    <p class="total" role="status">${items ? t('deadlines.count', { n: fmtNumber(items.length), overdue: fmtNumber(items.filter((o) => o.status === 'OVERDUE').length) }) : t('common.loading')}</p>
    <${ErrorText} err=${loaded.err} />
    ${items ? html`<${ObligationTable} items=${items} withIncident=${true} />` : null}
  </section>
  <${Compliance} />`;
}
