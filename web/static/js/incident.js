// One incident: details, classification, affected system, indicators, notes, sharing,
// escalations and handoffs with their deadlines, the timeline, and every action the reader's role
// allows. Live through incidentChanged (the change carries the incident as it is now), or as it
// stood at asOf.
import { html, useState, useEffect, useRef } from '../vendor/preact-htm/standalone.module.js';
import { t, tEnum, getLang, fmtDateTime } from './i18n.js';
import { gql, live } from './api.js';
import { useCtx, Tlp, Drill, Sev, Org, Countdown, ErrorText, typeName, sectorName } from './ui.js';
import { IncidentActions, EscalationActions, HandoffActions } from './incident-actions.js';
import { IncidentMore } from './incident-more.js';

export const INCIDENT_FIELDS = `id title description status phase severity tier type rsitClass rsitType sector tlp pap drill source
  origin lead owner detectedAt openedAt updatedAt closedAt resolution closeSummary version sequence
  affectedSystem { name ownerOrg securityLevel infoClass protectionLayers }
  notes { id text tlp at author { user org role } }
  indicators { id type value tlp at author { user org role } }
  sharedWith recipients openEscalations openHandoffs
  escalations { id from to reason deadline status acknowledgedAt late acknowledgedBy { user org } }
  handoffs { id from to summary requestedAction tlp releaseOnAccept deadline status reason acknowledgedAt acknowledgedBy { user org } }
  nextDeadline { at kind owedBy overdue }`;

const QUERY = `query Incident($id: ID!, $asOf: Time, $minSequence: Sequence) {
  incident(id: $id, asOf: $asOf, minSequence: $minSequence) { ${INCIDENT_FIELDS} }
  timeline(incidentId: $id, asOf: $asOf, minSequence: $minSequence) { sequence at type actor org textVi textEn }
}`;

const TIMELINE = `query Timeline($id: ID!, $minSequence: Sequence) {
  timeline(incidentId: $id, minSequence: $minSequence) { sequence at type actor org textVi textEn } }`;

const CHANGES = `subscription Changes($since: Sequence) {
  incidentChanged(since: $since) { sequence incidentId removed incident { ${INCIDENT_FIELDS} } } }`;

const BOARD_SEQ = `{ board(first: 1) { sequence } }`;

export function IncidentView({ args }) {
  const id = args[0];
  const { asOf } = useCtx();
  const [inc, setInc] = useState(null);
  const [timeline, setTimeline] = useState([]);
  const [err, setErr] = useState(null);
  const [gone, setGone] = useState(false);
  const seq = useRef(0);
  const tl = useRef({ busy: false, again: false });

  const loadTimeline = async () => {
    const f = tl.current;
    if (f.busy) { f.again = true; return; }
    f.busy = true;
    try {
      do {
        f.again = false;
        const d = await gql(TIMELINE, { id, minSequence: seq.current || null });
        setTimeline(d.timeline);
      } while (f.again);
    } catch { /* the incident view shows the error */ } finally { f.busy = false; }
  };

  const load = async (minSequence) => {
    try {
      // The read models' sequence first, so the subscription resumes from where the query read.
      if (!asOf && !minSequence) seq.current = (await gql(BOARD_SEQ)).board.sequence;
      const d = await gql(QUERY, { id, asOf: asOf || null, minSequence: minSequence || null });
      setInc(d.incident);
      setTimeline(d.timeline);
      setErr(null);
      setGone(false);
    } catch (e) {
      setErr(e);
    }
  };

  useEffect(() => { load(); }, [id, asOf]);

  useEffect(() => {
    if (asOf || !inc) return undefined;
    const sub = live.subscribe({
      query: CHANGES, since: seq.current,
      onNext: (d) => {
        const c = d.incidentChanged;
        seq.current = Math.max(seq.current, c.sequence);
        if (c.incidentId !== id) return;
        if (c.removed || !c.incident) { setGone(true); return; }
        setInc(c.incident);
        loadTimeline();
      },
      onError: () => load().then(() => sub.restart(seq.current)),
    });
    return () => sub.unsubscribe();
  }, [id, asOf, inc === null]);

  if (gone) return html`<h1>${t('incident.gone')}</h1><p><a href="#/">${t('nav.board')}</a></p>`;
  if (err && !inc) return html`<h1>${t('incident.notFound')}</h1><${ErrorText} err=${err} /><p><a href="#/">${t('nav.board')}</a></p>`;
  if (!inc) return html`<p role="status">${t('common.loading')}</p>`;
  return html`<${Incident} inc=${inc} timeline=${timeline} />`;
}

function Incident({ inc, timeline }) {
  const { meta, asOf } = useCtx();
  const lang = getLang();
  const sys = inc.affectedSystem;
  return html`<article class=${'incident' + (inc.drill ? ' is-drill' : '')} data-incident=${inc.id} data-version=${inc.version}>
    ${inc.drill ? html`<p class="drillbanner" role="note"><${Drill} long=${true} /></p>` : null}
    <p class="crumbs"><a href=${asOf ? '#/?asOf=' + encodeURIComponent(asOf) : '#/'}>${t('nav.board')}</a></p>
    <h1 translate=${false}>${inc.title}</h1>
    <div class="badges"><${Tlp} tlp=${inc.tlp} /><${Sev} s=${inc.severity} /><span class="tag">${tEnum('Tier', inc.tier)}</span>
      <span class="tag" data-status=${inc.status}>${tEnum('IncidentStatus', inc.status)}</span><span class="tag" data-phase=${inc.phase}>${tEnum('Phase', inc.phase)}</span>
      ${inc.nextDeadline ? html`<span class=${'tag' + (inc.nextDeadline.overdue ? ' overdue' : '')}>${tEnum('DeadlineKind', inc.nextDeadline.kind)}: <${Countdown} at=${inc.nextDeadline.at} /></span>` : null}</div>

    <div class="cols">
      <div class="main-col">
        <section aria-labelledby="s-details"><h2 id="s-details">${t('incident.details')}</h2>
          ${inc.description ? html`<p class="desc" translate=${false}>${inc.description}</p>` : null}
          <dl class="facts grid">
            <div><dt>${t('incident.type')}</dt><dd>${typeName(meta, inc.type)}</dd></div>
            <div><dt>${t('incident.rsit')}</dt><dd translate=${false}>${inc.rsitClass}${inc.rsitType ? ' / ' + inc.rsitType : ''}</dd></div>
            <div><dt>${t('incident.sector')}</dt><dd>${inc.sector ? sectorName(meta, inc.sector) : t('common.none')}</dd></div>
            <div><dt>${t('incident.pap')}</dt><dd translate=${false}>PAP:${inc.pap}</dd></div>
            <div><dt>${t('incident.source')}</dt><dd>${tEnum('IncidentSource', inc.source)}</dd></div>
            <div><dt>${t('incident.origin')}</dt><dd><${Org} slug=${inc.origin} /></dd></div>
            <div><dt>${t('incident.lead')}</dt><dd><${Org} slug=${inc.lead} /></dd></div>
            <div><dt>${t('incident.owner')}</dt><dd><${Org} slug=${inc.owner} /></dd></div>
            <div><dt>${t('incident.detectedAt')}</dt><dd>${fmtDateTime(inc.detectedAt)}</dd></div>
            <div><dt>${t('incident.openedAt')}</dt><dd>${fmtDateTime(inc.openedAt)}</dd></div>
            <div><dt>${t('incident.updatedAt')}</dt><dd>${fmtDateTime(inc.updatedAt)}</dd></div>
            ${inc.closedAt ? html`<div><dt>${t('incident.closedAt')}</dt><dd>${fmtDateTime(inc.closedAt)}</dd></div>
              <div><dt>${t('incident.resolution')}</dt><dd>${tEnum('Resolution', inc.resolution)}${inc.closeSummary ? ': ' + inc.closeSummary : ''}</dd></div>` : null}
          </dl>
        </section>

        <section aria-labelledby="s-system"><h2 id="s-system">${t('incident.system')}</h2>
          ${sys ? html`<dl class="facts grid">
            <div><dt>${t('incident.systemName')}</dt><dd translate=${false}>${sys.name}</dd></div>
            <div><dt>${t('incident.systemOwner')}</dt><dd>${sys.ownerOrg ? html`<${Org} slug=${sys.ownerOrg} />` : t('common.none')}</dd></div>
            <div><dt>${t('incident.securityLevel')}</dt><dd>${sys.securityLevel || t('common.none')}</dd></div>
            <div><dt>${t('incident.infoClass')}</dt><dd>${sys.infoClass ? tEnum('InfoClass', sys.infoClass) : t('common.none')}</dd></div>
          </dl>` : html`<p class="muted">${t('incident.noSystem')}</p>`}
        </section>

        <section aria-labelledby="s-esc"><h2 id="s-esc">${t('incident.escalations')}</h2>
          ${inc.escalations.length === 0 ? html`<p class="muted">${t('incident.noEscalations')}</p>` : html`<ul class="items">
            ${inc.escalations.map((e) => html`<li class="item" data-escalation=${e.id} data-status=${e.status}>
              <p><${Org} slug=${e.from} /> → <${Org} slug=${e.to} /> · <span class="tag">${tEnum('EscalationStatus', e.status)}</span>
                ${e.late ? html`<span class="tag overdue">${t('incident.late')}</span>` : null}</p>
              <p translate=${false}>${e.reason}</p>
              <p>${t('incident.ackDeadline')}: <${Countdown} at=${e.deadline} done=${e.status !== 'PENDING'} />
                ${e.acknowledgedAt ? html` · ${t('incident.acknowledgedBy', { who: e.acknowledgedBy ? e.acknowledgedBy.user : '', at: fmtDateTime(e.acknowledgedAt) })}` : null}</p>
              ${!asOf ? html`<${EscalationActions} inc=${inc} e=${e} />` : null}
            </li>`)}</ul>`}
        </section>

        <section aria-labelledby="s-ho"><h2 id="s-ho">${t('incident.handoffs')}</h2>
          ${inc.handoffs.length === 0 ? html`<p class="muted">${t('incident.noHandoffs')}</p>` : html`<ul class="items">
            ${inc.handoffs.map((h) => html`<li class="item" data-handoff=${h.id} data-status=${h.status}>
              <p><${Org} slug=${h.from} /> → <${Org} slug=${h.to} /> · <span class="tag">${tEnum('HandoffStatus', h.status)}</span> <${Tlp} tlp=${h.tlp} /></p>
              ${h.summary ? html`<p translate=${false}>${h.summary}</p>` : null}
              ${h.requestedAction ? html`<p>${t('incident.requestedAction')}: <span translate=${false}>${h.requestedAction}</span></p>` : null}
              ${h.reason ? html`<p>${t('incident.reason')}: <span translate=${false}>${h.reason}</span></p>` : null}
              <p>${t('incident.answerDeadline')}: <${Countdown} at=${h.deadline} done=${h.status !== 'OFFERED'} />
                ${h.acknowledgedAt ? html` · ${t('incident.receivedBy', { who: h.acknowledgedBy ? h.acknowledgedBy.user : '', at: fmtDateTime(h.acknowledgedAt) })}` : null}</p>
              ${!asOf ? html`<${HandoffActions} inc=${inc} h=${h} />` : null}
            </li>`)}</ul>`}
        </section>

        <section aria-labelledby="s-ind"><h2 id="s-ind">${t('incident.indicators')}</h2>
          ${inc.indicators.length === 0 ? html`<p class="muted">${t('incident.noIndicators')}</p>` : html`<div class="tablewrap"><table>
            <thead><tr><th scope="col">${t('incident.indicatorType')}</th><th scope="col">${t('incident.indicatorValue')}</th><th scope="col">${t('f.tlp')}</th><th scope="col">${t('incident.addedBy')}</th></tr></thead>
            <tbody>${inc.indicators.map((i) => html`<tr><td>${tEnum('IndicatorType', i.type)}</td><td class="mono" translate=${false}>${i.value}</td><td><${Tlp} tlp=${i.tlp} /></td>
              <td><span translate=${false}>${i.author.user}</span> (<${Org} slug=${i.author.org} />), ${fmtDateTime(i.at)}</td></tr>`)}</tbody></table></div>`}
        </section>

        <section aria-labelledby="s-notes"><h2 id="s-notes">${t('incident.notes')}</h2>
          ${inc.notes.length === 0 ? html`<p class="muted">${t('incident.noNotes')}</p>` : html`<ul class="items notes">
            ${inc.notes.map((n) => html`<li class="item" data-note=${n.id}><p class="meta"><${Tlp} tlp=${n.tlp} /> <span translate=${false}>${n.author.user}</span> (<${Org} slug=${n.author.org} />) · ${fmtDateTime(n.at)}</p>
              <p class="note-text" translate=${false}>${n.text}</p></li>`)}</ul>`}
        </section>

        <section aria-labelledby="s-share"><h2 id="s-share">${t('incident.sharing')}</h2>
          <dl class="facts">
            <div><dt>${t('incident.sharedWith')}</dt><dd>${inc.sharedWith.length ? inc.sharedWith.map((s, i) => html`${i ? ', ' : ''}<${Org} slug=${s} />`) : t('common.none')}</dd></div>
            ${inc.tlp === 'RED' ? html`<div><dt>${t('incident.recipients')}</dt><dd translate=${inc.recipients.length ? false : undefined}>${inc.recipients.length ? inc.recipients.join(', ') : t('common.none')}</dd></div>` : null}
          </dl>
        </section>
        <${IncidentMore} inc=${inc} />
      </div>

      <aside class="side-col" aria-labelledby="s-actions">
        ${!asOf ? html`<h2 id="s-actions">${t('incident.actions')}</h2><${IncidentActions} inc=${inc} />` : html`<h2 id="s-actions">${t('incident.actions')}</h2><p class="muted">${t('travel.noActions')}</p>`}
      </aside>
    </div>

    <section aria-labelledby="s-tl" class="timeline"><h2 id="s-tl">${t('incident.timeline')}</h2>
      <ol class="tl">${timeline.map((e) => html`<li data-seq=${e.sequence} data-type=${e.type}>
        <time datetime=${e.at}>${fmtDateTime(e.at, true)}</time><span>${lang === 'vi' ? e.textVi : e.textEn}</span></li>`)}</ol>
    </section>
  </article>`;
}
