// The incident page's parts that came with the subcommittee's review: the incident's regulatory
// deadlines, its evidence files, its reviews, and the ways to who-knew-what-when and the reports.
// They follow the incident live: each change to it (its sequence) reads them again.
import { html, useEffect, useRef } from '../vendor/preact-htm/standalone.module.js';
import { t } from './i18n.js';
import { gql } from './api.js';
import { useCtx, ErrorText } from './ui.js';
import { useLoad } from './hooks.js';
import { hrefFor } from './routes.js';
import { OBLIGATION_FIELDS, ObligationTable } from './deadlines.js';
import { EVIDENCE_FIELDS, EvidenceList, EvidenceUpload } from './evidence.js';
import { IncidentReviews } from './review.js';

const QUERY = `query($id: ID!, $min: Sequence) {
  incidentDeadlines(incidentId: $id, minSequence: $min) { ${OBLIGATION_FIELDS} }
  evidence(incidentId: $id, minSequence: $min) { ${EVIDENCE_FIELDS} } }`;

function Links({ inc, asOf }) {
  return html`<nav class="more-links" aria-label=${t('more.label')}><ul>
    <li><a href=${hrefFor('/incident/' + inc.id + '/who', asOf)} data-link="who">${t('more.who')}</a></li>
    ${asOf ? null : html`<li><a href=${'#/incident/' + inc.id + '/reports'} data-link="reports">${t('more.reports')}</a></li>`}
  </ul></nav>`;
}

// IncidentMore renders the parts; in the past (asOf) only the way to who-knew-what-when then.
export function IncidentMore({ inc }) {
  const { asOf, meta } = useCtx();
  if (asOf) return html`<${Links} inc=${inc} asOf=${asOf} />`;
  return html`<${Links} inc=${inc} /><${Current} inc=${inc} meta=${meta} />`;
}

function Current({ inc, meta }) {
  const loaded = useLoad(async (min) => gql(QUERY, { id: inc.id, min }), [inc.id]);
  // A change to the incident reads them again at least that far, keeping what is on screen meanwhile.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) { first.current = false; return; }
    loaded.reload(inc.sequence);
  }, [inc.sequence]);
  const d = loaded.data;
  return html`<section aria-labelledby="s-deadlines"><h2 id="s-deadlines">${t('deadlines.ofIncident')}</h2>
      <${ErrorText} err=${loaded.err} />
      ${d ? html`<${ObligationTable} items=${d.incidentDeadlines} />` : html`<p role="status">${t('common.loading')}</p>`}</section>
    <section aria-labelledby="s-evidence"><h2 id="s-evidence">${t('evidence.title')}</h2>
      ${d ? html`<${EvidenceList} items=${d.evidence} actions=${true} />` : null}
      ${meta.commands.includes('AddEvidence') ? html`<${EvidenceUpload} inc=${inc} />` : null}</section>
    <${IncidentReviews} inc=${inc} />`;
}
