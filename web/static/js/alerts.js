// Alert triage: alerts the reader's organisation triages, with correlation proposals; promote
// to an incident, merge into one, dismiss, or suppress what repeats. Live through alertTriage.
import { html, useState, useEffect, useRef } from '../vendor/preact-htm/standalone.module.js';
import { t, tEnum, name, fmtNumber, fmtDateTime, localInputToISO, isoToLocalInput } from './i18n.js';
import { gql, live, newCommandId } from './api.js';
import { useCtx, Tlp, Sev, Org, ErrorText, Form, Action, ENUMS, enumOptions } from './ui.js';

const ALERTS = `query Alerts($filter: AlertFilter, $first: Int, $after: String, $min: Sequence) {
  alerts(filter: $filter, first: $first, after: $after, minSequence: $min) {
    totalCount alertSequence
    counts { new grouped suppressed dismissed promoted repeats }
    pageInfo { endCursor hasNextPage }
    nodes { id title status count firstSeen lastSeen source org severity asset tlp ruleId
      indicators { type value } incidentId proposedIncidents dismissReason }
  }
}`;

const bulk = (m) => `mutation($input: ${m[1]}!) { ${m[0]}(input: $input) { results { alertId ok error { code message } } incident { id } } }`;

export function Alerts() {
  const { meta } = useCtx();
  const [status, setStatus] = useState('NEW');
  const [pages, setPages] = useState([null]);
  const [data, setData] = useState(null);
  const [err, setErr] = useState(null);
  const [sel, setSel] = useState([]);
  const [result, setResult] = useState(null);
  const f = useRef({ busy: false, again: false, seq: 0 });
  const vars = { filter: status ? { status: [status] } : {}, first: 50, after: pages[pages.length - 1] };
  const varsRef = useRef(vars);
  varsRef.current = vars;
  const load = async (seq) => {
    const s = f.current;
    if (seq) s.seq = Math.max(s.seq, seq);
    if (s.busy) { s.again = true; return; }
    s.busy = true;
    try {
      do { s.again = false; const d = await gql(ALERTS, { ...varsRef.current, min: s.seq || null }); setData(d.alerts); setErr(null); } while (s.again);
    } catch (e) { setErr(e); } finally { s.busy = false; }
  };
  useEffect(() => { load(); setSel([]); }, [status, pages.length]);
  useEffect(() => {
    if (!data) return undefined;
    const sub = live.subscribe({
      query: 'subscription($since: Sequence) { alertTriage(since: $since) { alertSequence types } }',
      since: data.alertSequence,
      onNext: (d) => load(d.alertTriage.alertSequence),
      onError: () => load().then(() => sub.restart(f.current.seq || undefined)),
    });
    return () => sub.unsubscribe();
  }, [data === null]);

  const may = meta.commands.includes('MergeAlerts');
  const act = async (m, input) => {
    const d = await gql(bulk(m), { input: { commandId: newCommandId(), ...input } });
    const r = d[m[0]];
    setResult({ ok: r.results.filter((x) => x.ok).length, failed: r.results.filter((x) => !x.ok), incident: r.incident });
    setSel([]);
  };
  const c = data?.counts;
  const nodes = data?.nodes || [];
  const toggle = (id) => setSel(sel.includes(id) ? sel.filter((x) => x !== id) : [...sel, id]);
  return html`<section aria-labelledby="a-h" class="alerts"><h1 id="a-h">${t('alerts.title')}</h1>
    ${c ? html`<dl class="facts counts-row">${['new', 'grouped', 'suppressed', 'dismissed', 'promoted', 'repeats'].map((k) => html`<div><dt>${t('alerts.count.' + k)}</dt><dd>${fmtNumber(c[k])}</dd></div>`)}</dl>` : null}
    <div class="listbar"><div class="field inline"><label for="a-status">${t('alerts.status')}</label>
      <select id="a-status" value=${status} onChange=${(e) => { setStatus(e.target.value); setPages([null]); }}>
        <option value="">${t('common.all')}</option>${ENUMS.AlertStatus.map((s) => html`<option value=${s}>${tEnum('AlertStatus', s)}</option>`)}</select></div>
      <p class="total" role="status">${data ? t('alerts.total', { n: fmtNumber(data.totalCount) }) : t('common.loading')}</p></div>
    <${ErrorText} err=${err} />
    ${result ? html`<div class="notice" role="status">${t('alerts.result', { ok: fmtNumber(result.ok), failed: fmtNumber(result.failed.length) })}
      ${result.incident ? html` <a href=${'#/incident/' + result.incident.id}>${t('alerts.openIncident')}</a>` : null}
      ${result.failed.length ? html`<${ErrorText} err=${result.failed[0].error} />` : null}</div>` : null}
    ${may && sel.length ? html`<div class="bulk" aria-label=${t('alerts.bulk')}>
      <p>${t('alerts.selected', { n: fmtNumber(sel.length) })}</p>
      <${Action} title=${t('alerts.promote')} id="act-promote"><${Form} label=${t('alerts.promote')} submit=${(v) => act(['promoteAlerts', 'OpenIncidentInput'], {
        title: v.title, type: v.type, severity: v.severity, tlp: v.tlp, detectedAt: localInputToISO(v.detectedAt), drill: v.drill, alertIds: sel, source: 'ALERTS' })}
        fields=${[{ name: 'title', label: t('f.title'), required: true, value: nodes.find((n) => n.id === sel[0])?.title || '' },
          { name: 'type', label: t('incident.type'), type: 'select', required: true, options: meta.types.map((x) => ({ value: x.code, label: name(x) })) },
          { name: 'severity', label: t('incident.severity'), type: 'select', required: true, value: nodes.find((n) => n.id === sel[0])?.severity || '', options: enumOptions('Severity', ENUMS.Severity) },
          { name: 'tlp', label: t('f.tlp'), type: 'select', required: true, value: 'AMBER', options: enumOptions('TLP', ENUMS.TLP) },
          { name: 'detectedAt', label: t('incident.detectedAt'), type: 'datetime', required: true, value: isoToLocalInput(nodes.find((n) => n.id === sel[0])?.firstSeen || new Date().toISOString()) },
          { name: 'drill', label: t('f.drill'), type: 'checkbox' }]} /></${Action}>
      <${Action} title=${t('alerts.merge')}><${Form} label=${t('alerts.merge')} submit=${(v) => act(['mergeAlerts', 'MergeAlertsInput'], { incidentId: v.incidentId.trim(), alertIds: sel })}
        fields=${[{ name: 'incidentId', label: t('alerts.incidentId'), required: true, value: nodes.find((n) => n.id === sel[0])?.proposedIncidents[0] || '', hint: t('alerts.incidentIdHint') }]} /></${Action}>
      <${Action} title=${t('alerts.dismiss')} id="act-dismiss"><${Form} label=${t('alerts.dismiss')} danger=${true} submit=${(v) => act(['dismissAlerts', 'DismissAlertsInput'], { alertIds: sel, reason: v.reason })}
        fields=${[{ name: 'reason', label: t('f.reason'), type: 'textarea', required: true }]} /></${Action}>
    </div>` : null}
    <ul class="cards list">${nodes.map((a) => html`<li><article class="card" data-alert=${a.id}>
      <div class="alert-head">${may && a.status === 'NEW' ? html`<input type="checkbox" id=${'sel-' + a.id} checked=${sel.includes(a.id)} onChange=${() => toggle(a.id)} />` : null}
        <h2 class="h3">${may && a.status === 'NEW' ? html`<label for=${'sel-' + a.id} translate=${false}>${a.title}</label>` : html`<span translate=${false}>${a.title}</span>`}</h2></div>
      <div class="badges"><${Tlp} tlp=${a.tlp} /><${Sev} s=${a.severity} /><span class="tag">${tEnum('AlertStatus', a.status)}</span>
        ${a.count > 1 ? html`<span class="tag">${t('alerts.repeats', { n: fmtNumber(a.count) })}</span>` : null}</div>
      <dl class="facts">
        <div><dt>${t('alerts.source')}</dt><dd><span translate=${false}>${a.source}</span> (<${Org} slug=${a.org} />)</dd></div>
        ${a.asset ? html`<div><dt>${t('alerts.asset')}</dt><dd class="mono" translate=${false}>${a.asset}</dd></div>` : null}
        <div><dt>${t('alerts.seen')}</dt><dd>${fmtDateTime(a.firstSeen)} – ${fmtDateTime(a.lastSeen)}</dd></div>
        ${a.indicators.length ? html`<div><dt>${t('incident.indicators')}</dt><dd class="mono" translate=${false}>${a.indicators.map((i) => i.type + ' ' + i.value).join(', ')}</dd></div>` : null}
        ${a.incidentId ? html`<div><dt>${t('alerts.incident')}</dt><dd><a href=${'#/incident/' + a.incidentId}>${t('alerts.openIncident')}</a></dd></div>` : null}
        ${a.dismissReason ? html`<div><dt>${t('f.reason')}</dt><dd translate=${false}>${a.dismissReason}</dd></div>` : null}
      </dl>
      ${a.proposedIncidents.length && a.status === 'NEW' ? html`<div class="proposal"><p>${t('alerts.proposal')}</p>
        ${a.proposedIncidents.map((id) => html`<p><a href=${'#/incident/' + id}>${t('alerts.openIncident')}</a>
          ${may ? html`<${Form} compact=${true} fields=${[]} label=${t('alerts.mergeHere')} submit=${() => act(['mergeAlerts', 'MergeAlertsInput'], { incidentId: id, alertIds: [a.id] })} />` : null}</p>`)}</div>` : null}
      ${meta.role === 'coordinator' && a.status === 'NEW' ? html`<${Action} title=${t('alerts.suppress')}><${Form} label=${t('alerts.suppress')}
        submit=${(v) => gql('mutation($input: SetSuppressionInput!) { setSuppression(input: $input) { alertSequence } }', { input: { commandId: newCommandId(),
          source: a.source, asset: v.asset || null, ruleId: v.ruleId || null, until: localInputToISO(v.until), reason: v.reason } })}
        fields=${[{ name: 'asset', label: t('alerts.asset'), value: a.asset || '' }, { name: 'ruleId', label: t('alerts.ruleId'), value: a.ruleId || '' },
          { name: 'until', label: t('alerts.until'), type: 'datetime', required: true, value: isoToLocalInput(new Date(Date.now() + 86400000).toISOString()) },
          { name: 'reason', label: t('f.reason'), type: 'textarea', required: true }]} /></${Action}>` : null}
    </article></li>`)}</ul>
    <nav class="pager" aria-label=${t('board.pages')}>
      <button type="button" class="btn" disabled=${pages.length < 2} onClick=${() => setPages(pages.slice(0, -1))}>${t('board.prev')}</button>
      <button type="button" class="btn" disabled=${!data?.pageInfo.hasNextPage} onClick=${() => setPages([...pages, data.pageInfo.endCursor])}>${t('board.next')}</button>
    </nav>
  </section>`;
}
