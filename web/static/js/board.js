// The board: incidents the reader may see, by status and phase with counts; filters, sort,
// paging; live through incidentChanged (each change refetches the page, so counts, order and
// paging stay exact); or the board as it stood at asOf.
import { html, useState, useEffect, useRef } from '../vendor/preact-htm/standalone.module.js';
import { t, tEnum, name, fmtNumber, fmtDateTime } from './i18n.js';
import { gql, live } from './api.js';
import { useCtx, Tlp, Drill, Sev, Org, Countdown, ErrorText, ENUMS, orgOptions, typeName, sectorName } from './ui.js';
import { hrefFor } from './routes.js';
import { OpenIncident } from './incident-actions.js';

const PAGE = 50;

const BOARD = `query Board($filter: BoardFilter, $sort: BoardSort, $first: Int, $after: String, $asOf: Time, $minSequence: Sequence) {
  board(filter: $filter, sort: $sort, first: $first, after: $after, asOf: $asOf, minSequence: $minSequence) {
    totalCount sequence
    statusCounts { status count }
    phaseCounts { phase count }
    pageInfo { endCursor hasNextPage }
    nodes { id title status phase severity tier type sector tlp drill origin lead owner updatedAt openedAt
      openEscalations openHandoffs nextDeadline { at kind owedBy overdue } }
  }
}`;

const CHANGES = `subscription Changes($since: Sequence) { incidentChanged(since: $since) { sequence incidentId removed } }`;

const emptyFilter = () => ({ status: 'OPEN', phase: [], severity: [], type: '', sector: '', tlp: [], org: '', drill: '', text: '' });

function toInput(f) {
  const x = {};
  if (f.status) x.status = [f.status];
  if (f.phase.length) x.phase = f.phase;
  if (f.severity.length) x.severity = f.severity;
  if (f.type) x.type = [f.type];
  if (f.sector) x.sector = [f.sector];
  if (f.tlp.length) x.tlp = f.tlp;
  if (f.org) x.org = f.org;
  if (f.drill) x.drill = f.drill === 'only';
  if (f.text.trim()) x.text = f.text.trim();
  return x;
}

// Board state survives moving to an incident and back within the tab.
let saved = null;
// painted marks the first board painted with data, for the benchmark (performance timeline).
let painted = false;

export function Board() {
  const { asOf, meta, orgs } = useCtx();
  const [filter, setFilter] = useState(saved?.filter || emptyFilter());
  const [sort, setSort] = useState(saved?.sort || 'DEADLINE');
  const [view, setView] = useState(saved?.view || 'list');
  const [pages, setPages] = useState([null]); // cursors of the pages visited
  const [data, setData] = useState(null);
  const [err, setErr] = useState(null);
  const fetching = useRef({ busy: false, again: false, seq: 0 });
  const vars = () => ({ filter: toInput(filter), sort, first: PAGE, after: pages[pages.length - 1], asOf: asOf || null });
  const varsRef = useRef(vars());
  varsRef.current = vars();
  saved = { filter, sort, view };

  // load fetches the page; a change arriving meanwhile fetches once more afterwards.
  const load = async (minSequence) => {
    const f = fetching.current;
    if (minSequence) f.seq = Math.max(f.seq, minSequence);
    if (f.busy) { f.again = true; return; }
    f.busy = true;
    try {
      do {
        f.again = false;
        const d = await gql(BOARD, { ...varsRef.current, minSequence: f.seq || null });
        setData(d.board);
        setErr(null);
      } while (f.again);
    } catch (e) {
      setErr(e);
    } finally {
      f.busy = false;
    }
  };

  useEffect(() => { load(); }, [JSON.stringify(vars())]);
  useEffect(() => {
    if (data && !painted) { painted = true; performance.mark('dieuphoi:board-painted'); }
  }, [data]);

  // Live: any change to an incident the reader may see refreshes the page.
  useEffect(() => {
    if (asOf || !data) return undefined;
    const sub = live.subscribe({
      query: CHANGES, since: data.sequence,
      onNext: (d) => load(d.incidentChanged.sequence),
      onError: () => load().then(() => sub.restart(fetching.current.seq || undefined)),
    });
    return () => sub.unsubscribe();
  }, [asOf, data === null]);

  const setF = (k, v) => { setFilter({ ...filter, [k]: v }); setPages([null]); };
  const toggle = (k, v) => setF(k, filter[k].includes(v) ? filter[k].filter((x) => x !== v) : [...filter[k], v]);
  const count = (arr, key, v) => (arr || []).find((c) => c[key] === v)?.count || 0;
  const nodes = data?.nodes || [];
  const first = (pages.length - 1) * PAGE;

  return html`<section class="board" aria-labelledby="board-h">
    <div class="head"><h1 id="board-h">${asOf ? t('board.titlePast') : t('board.title')}</h1>
      ${!asOf && meta.commands.includes('OpenIncident') ? html`<${OpenIncident} />` : null}</div>
    <div class="counts" aria-label=${t('board.counts')}>
      <div class="chips" role="group" aria-label=${t('board.byStatus')}>
        ${['OPEN', 'CLOSED', ''].map((s) => html`<button type="button" class="chip" aria-pressed=${filter.status === s ? 'true' : 'false'} onClick=${() => setF('status', s)}>
          ${s ? tEnum('IncidentStatus', s) : t('board.allStatuses')}${s ? html` <b>${fmtNumber(count(data?.statusCounts, 'status', s))}</b>` : null}</button>`)}
      </div>
      <div class="chips" role="group" aria-label=${t('board.byPhase')}>
        ${ENUMS.Phase.map((p) => html`<button type="button" class="chip" aria-pressed=${filter.phase.includes(p) ? 'true' : 'false'} onClick=${() => toggle('phase', p)}>
          ${tEnum('Phase', p)} <b>${fmtNumber(count(data?.phaseCounts, 'phase', p))}</b></button>`)}
      </div>
    </div>
    <details class="filters">
      <summary>${t('board.filters')}</summary>
      <form class="filter-grid" onSubmit=${(e) => e.preventDefault()}>
        <div class="field"><label for="f-text">${t('board.f.text')}</label>
          <input id="f-text" type="search" value=${filter.text} onInput=${(e) => setF('text', e.target.value)} /></div>
        <fieldset class="field multi"><legend>${t('board.f.severity')}</legend><div class="checks">
          ${ENUMS.Severity.map((s) => html`<label class="check"><input type="checkbox" checked=${filter.severity.includes(s)} onChange=${() => toggle('severity', s)} /> ${tEnum('Severity', s)}</label>`)}</div></fieldset>
        <fieldset class="field multi"><legend>${t('board.f.tlp')}</legend><div class="checks">
          ${ENUMS.TLP.map((s) => html`<label class="check"><input type="checkbox" checked=${filter.tlp.includes(s)} onChange=${() => toggle('tlp', s)} /> ${tEnum('TLP', s)}</label>`)}</div></fieldset>
        <div class="field"><label for="f-type">${t('board.f.type')}</label>
          <select id="f-type" value=${filter.type} onChange=${(e) => setF('type', e.target.value)}><option value="">${t('common.all')}</option>
          ${meta.types.map((x) => html`<option value=${x.code}>${name(x)}</option>`)}</select></div>
        <div class="field"><label for="f-sector">${t('board.f.sector')}</label>
          <select id="f-sector" value=${filter.sector} onChange=${(e) => setF('sector', e.target.value)}><option value="">${t('common.all')}</option>
          ${meta.sectors.map((x) => html`<option value=${x.code}>${name(x)}</option>`)}</select></div>
        <div class="field"><label for="f-org">${t('board.f.org')}</label>
          <select id="f-org" value=${filter.org} onChange=${(e) => setF('org', e.target.value)}><option value="">${t('common.all')}</option>
          ${orgOptions(orgs).map((o) => html`<option value=${o.value}>${o.label}</option>`)}</select></div>
        <div class="field"><label for="f-drill">${t('board.f.drill')}</label>
          <select id="f-drill" value=${filter.drill} onChange=${(e) => setF('drill', e.target.value)}>
            <option value="">${t('board.drill.all')}</option><option value="only">${t('board.drill.only')}</option><option value="none">${t('board.drill.none')}</option></select></div>
        <div class="form-actions"><button type="button" class="btn ghost" onClick=${() => { setFilter(emptyFilter()); setPages([null]); }}>${t('board.f.reset')}</button></div>
      </form>
    </details>
    <div class="listbar">
      <div class="field inline"><label for="sort">${t('board.sort')}</label>
        <select id="sort" value=${sort} onChange=${(e) => { setSort(e.target.value); setPages([null]); }}>
          ${ENUMS.BoardSort.map((s) => html`<option value=${s}>${tEnum('BoardSort', s)}</option>`)}</select></div>
      <div class="chips" role="group" aria-label=${t('board.view')}>
        <button type="button" class="chip" aria-pressed=${view === 'list' ? 'true' : 'false'} onClick=${() => setView('list')}>${t('board.viewList')}</button>
        <button type="button" class="chip" aria-pressed=${view === 'columns' ? 'true' : 'false'} onClick=${() => setView('columns')}>${t('board.viewColumns')}</button>
      </div>
      <p class="total" role="status">${data ? (data.totalCount === 0 ? t('board.empty') : t('board.showing', {
        from: fmtNumber(first + 1), to: fmtNumber(first + nodes.length), total: fmtNumber(data.totalCount) })) : t('common.loading')}</p>
    </div>
    <${ErrorText} err=${err} />
    ${view === 'columns'
      ? html`<div class="columns">${ENUMS.Phase.map((p) => html`<section class="column" aria-label=${tEnum('Phase', p)}>
          <h2>${tEnum('Phase', p)} <span class="n">${fmtNumber(nodes.filter((n) => n.phase === p).length)}</span></h2>
          <ul class="cards">${nodes.filter((n) => n.phase === p).map((n) => html`<li><${Card} n=${n} asOf=${asOf} /></li>`)}</ul></section>`)}</div>`
      : html`<ul class="cards list">${nodes.map((n) => html`<li><${Card} n=${n} asOf=${asOf} /></li>`)}</ul>`}
    <nav class="pager" aria-label=${t('board.pages')}>
      <button type="button" class="btn" disabled=${pages.length < 2} onClick=${() => setPages(pages.slice(0, -1))}>${t('board.prev')}</button>
      <button type="button" class="btn" disabled=${!data?.pageInfo.hasNextPage} onClick=${() => setPages([...pages, data.pageInfo.endCursor])}>${t('board.next')}</button>
    </nav>
  </section>`;
}

function Card({ n, asOf }) {
  const { meta } = useCtx();
  const d = n.nextDeadline;
  return html`<article class=${'card' + (n.drill ? ' is-drill' : '') + (d?.overdue ? ' is-overdue' : '')} data-incident=${n.id}>
    ${n.drill ? html`<${Drill} />` : null}
    <h3><a href=${hrefFor('/incident/' + n.id, asOf)} translate=${false}>${n.title}</a></h3>
    <div class="badges"><${Tlp} tlp=${n.tlp} /><${Sev} s=${n.severity} />
      <span class="tag">${tEnum('IncidentStatus', n.status)}</span><span class="tag">${tEnum('Phase', n.phase)}</span>
      ${n.tier === 'SERIOUS' ? html`<span class="tag strong">${tEnum('Tier', n.tier)}</span>` : null}</div>
    <dl class="facts">
      <div><dt>${t('incident.type')}</dt><dd>${typeName(meta, n.type)}</dd></div>
      ${n.sector ? html`<div><dt>${t('incident.sector')}</dt><dd>${sectorName(meta, n.sector)}</dd></div>` : null}
      <div><dt>${t('incident.lead')}</dt><dd><${Org} slug=${n.lead} /></dd></div>
      <div><dt>${t('incident.updatedAt')}</dt><dd>${fmtDateTime(n.updatedAt)}</dd></div>
    </dl>
    ${d ? html`<p class=${'next' + (d.overdue ? ' overdue' : '')}>${tEnum('DeadlineKind', d.kind)} · <${Org} slug=${d.owedBy} />: <${Countdown} at=${d.at} /></p>` : null}
  </article>`;
}
