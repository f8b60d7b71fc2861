// The subcommittee's reviews: the list a reader may see, one review (the signed checkpoint it is
// pinned to, each required signer's decision, findings and lessons with their TLP, the evidence
// and its custody, who knew what when over the pinned history, the review's history), signing off
// or objecting, and opening a review from an incident. Live through reviewChanged: a signer who
// waits on the others sees each decision arrive.
import { html } from '../vendor/preact-htm/standalone.module.js';
import { t, tEnum, getLang, fmtNumber, fmtDateTime } from './i18n.js';
import { gql, newCommandId } from './api.js';
import { useCtx, Tlp, Drill, Org, ErrorText, Form, Action, ENUMS, enumOptions } from './ui.js';
import { useLoad, useFeed } from './hooks.js';
import { EVIDENCE_FIELDS, EvidenceList } from './evidence.js';
import { KNOWLEDGE_FIELDS, Knowledge } from './knowledge.js';

const LIST_FIELDS = `id title incidentId periodFrom periodTo status signers openedAt completedAt outdatedBy sequence
  signatures { org decision } incidents(first: 1) { id title tlp drill }`;
const REVIEW_FIELDS = `id title incidentId periodFrom periodTo status signers openedAt completedAt outdatedBy outdatedAt sequence
  openedBy { user org }
  pin { origin treeSize rootHash checkpoint incidentSequence incidentVersion }
  signatures { org decision comment at treeSize rootHash by { user org } }
  findings { id kind text tlp at by { user org } }
  history { sequence at type textVi textEn }
  incidents(first: 20) { id title tlp drill }
  evidence { ${EVIDENCE_FIELDS} }`;

const LIST = `query($incidentId: ID, $min: Sequence) { reviews(incidentId: $incidentId, minSequence: $min) { ${LIST_FIELDS} } }`;
const ONE = `query($id: ID!, $min: Sequence) { review(id: $id, minSequence: $min) { ${REVIEW_FIELDS} } }`;
const WHO = `query($id: ID!) { review(id: $id) { whoKnewWhat { ${KNOWLEDGE_FIELDS} } } }`;
const LIST_CHANGES = `subscription($since: Sequence) { reviewChanged(since: $since) { sequence reviewId } }`;
const CHANGES = `subscription($id: ID, $since: Sequence) { reviewChanged(reviewId: $id, since: $since) { sequence reviewId types outdated review { ${REVIEW_FIELDS} } } }`;

const M = {
  open: 'mutation($input: OpenReviewInput!) { openReview(input: $input) { review { id } sequence } }',
  signOff: 'mutation($input: ReviewDecisionInput!) { signOffReview(input: $input) { sequence } }',
  object: 'mutation($input: ReviewDecisionInput!) { objectToReview(input: $input) { sequence } }',
  finding: 'mutation($input: RecordReviewFindingInput!) { recordReviewFinding(input: $input) { sequence } }',
};
const run = (m, input) => gql(m, { input: { commandId: newCommandId(), ...input } });

const signedCount = (r) => r.signatures.filter((s) => s.decision === 'SIGNED_OFF').length;

function StatusBadges({ r }) {
  return html`<span class=${'tag' + (r.status === 'COMPLETED' ? ' ok-tag' : '')} data-status=${r.status}>${tEnum('ReviewStatus', r.status)}</span>
    <span class="tag">${t('review.signedCount', { n: fmtNumber(signedCount(r)), of: fmtNumber(r.signers.length) })}</span>
    ${r.outdatedBy ? html`<span class="tag overdue" data-outdated=${r.outdatedBy}>${t('review.outdatedShort', { n: r.outdatedBy })}</span>` : null}`;
}

function Subject({ r }) {
  if (r.incidentId) {
    const inc = r.incidents[0];
    return inc ? html`<a href=${'#/incident/' + inc.id} translate=${false}>${inc.title}</a> <${Tlp} tlp=${inc.tlp} /> ${inc.drill ? html`<${Drill} />` : null}` : null;
  }
  return html`<span>${t('review.period', { from: fmtDateTime(r.periodFrom), to: fmtDateTime(r.periodTo) })}</span>`;
}

// ReviewCards lists reviews as cards.
function ReviewCards({ items }) {
  if (!items.length) return html`<p class="muted">${t('review.none')}</p>`;
  return html`<ul class="cards list">${items.map((r) => html`<li><article class="card" data-review=${r.id}>
    <h2 class="h3"><a href=${'#/review/' + r.id} translate=${false}>${r.title}</a></h2>
    <div class="badges"><${StatusBadges} r=${r} /></div>
    <p><${Subject} r=${r} /></p>
    <p class="muted">${t('review.openedAt', { at: fmtDateTime(r.openedAt) })}</p>
  </article></li>`)}</ul>`;
}

// ReviewList is the screen of every review the reader may see, newest first, live.
export function ReviewList() {
  const loaded = useLoad(async (min) => (await gql(LIST, { min })).reviews, []);
  useFeed(loaded.data !== null, loaded, LIST_CHANGES, {});
  const items = loaded.data;
  return html`<section aria-labelledby="rv-h"><h1 id="rv-h">${t('review.listTitle')}</h1>
    <p>${t('review.listIntro')}</p>
    <p class="total" role="status">${items ? t('review.count', { n: fmtNumber(items.length) }) : t('common.loading')}</p>
    <${ErrorText} err=${loaded.err} />
    ${items ? html`<${ReviewCards} items=${items} />` : null}</section>`;
}

// IncidentReviews is the incident page's part: its reviews, and opening one (the subcommittee).
export function IncidentReviews({ inc }) {
  const { meta } = useCtx();
  const loaded = useLoad(async (min) => (await gql(LIST, { incidentId: inc.id, min })).reviews, [inc.id]);
  useFeed(loaded.data !== null, loaded, LIST_CHANGES, {});
  const open = async (v) => {
    const d = await run(M.open, { title: v.title, incidentId: inc.id });
    location.hash = '#/review/' + d.openReview.review.id;
  };
  return html`<section aria-labelledby="s-reviews" data-reviews-loaded=${loaded.data ? 'yes' : undefined}><h2 id="s-reviews">${t('review.ofIncident')}</h2>
    <${ErrorText} err=${loaded.err} />
    ${loaded.data ? html`<${ReviewCards} items=${loaded.data} />` : null}
    ${meta.review.opener ? html`<${Action} title=${t('review.open')} id="act-review"><${Form} label=${t('review.open')} submit=${open}
      fields=${[{ name: 'title', label: t('f.title'), required: true, maxLength: 300, value: t('review.defaultTitle', { title: inc.title }), hint: t('review.openHint') }]} /></${Action}>` : null}
  </section>`;
}

function Pin({ r }) {
  const p = r.pin;
  return html`<section aria-labelledby="s-pin"><h2 id="s-pin">${t('review.pin')}</h2>
    <p>${t('review.pinIntro')}</p>
    <dl class="facts grid" data-tree-size=${p.treeSize}>
      <div><dt>${t('review.origin')}</dt><dd class="mono" translate=${false}>${p.origin}</dd></div>
      <div><dt>${t('review.treeSize')}</dt><dd>${fmtNumber(p.treeSize)}</dd></div>
      <div><dt>${t('review.rootHash')}</dt><dd class="mono" translate=${false}>${p.rootHash}</dd></div>
      ${r.incidentId ? html`<div><dt>${t('review.incidentCommit')}</dt><dd>${t('review.incidentCommitValue', { seq: p.incidentSequence, v: p.incidentVersion })}</dd></div>` : null}
    </dl>
    <details><summary>${t('review.checkpoint')}</summary><pre class="cmd" translate=${false}>${p.checkpoint}</pre>
      <p class="hint">${t('review.checkpointHint')}</p></details>
  </section>`;
}

function Signers({ r }) {
  return html`<section aria-labelledby="s-signers"><h2 id="s-signers">${t('review.signers')}</h2>
    <div class="tablewrap"><table class="signers"><thead><tr><th scope="col">${t('review.signer')}</th><th scope="col">${t('review.decision')}</th>
      <th scope="col">${t('review.comment')}</th><th scope="col">${t('review.by')}</th></tr></thead>
      <tbody>${r.signatures.map((s) => html`<tr data-signer=${s.org} data-decision=${s.decision}>
        <th scope="row"><${Org} slug=${s.org} /></th>
        <td><span class=${'tag' + (s.decision === 'SIGNED_OFF' ? ' ok-tag' : s.decision === 'OBJECTED' ? ' overdue' : '')}>${tEnum('Decision', s.decision)}</span></td>
        <td>${s.comment ? html`<span translate=${false}>${s.comment}</span>` : t('common.none')}</td>
        <td>${s.by ? html`<span translate=${false}>${s.by.user}</span>, ${fmtDateTime(s.at, true)}${s.treeSize ? html` · ${t('review.aboutTree', { n: fmtNumber(s.treeSize) })}` : null}` : t('common.none')}</td>
      </tr>`)}</tbody></table></div>
  </section>`;
}

function Decide({ r }) {
  const { me, meta } = useCtx();
  if (r.status !== 'OPEN' || !meta.review.acts || !r.signers.includes(me.org.slug)) return null;
  const mine = r.signatures.find((s) => s.org === me.org.slug);
  return html`<div class="actions">
    ${mine?.decision !== 'SIGNED_OFF' ? html`<${Action} title=${t('review.signOff')} id="act-signoff"><${Form} label=${t('review.signOff')} action="signoff"
      submit=${(v) => run(M.signOff, { reviewId: r.id, comment: v.comment || null })}
      fields=${[{ name: 'comment', label: t('review.comment'), type: 'textarea', hint: t('review.signOffHint', { n: fmtNumber(r.pin.treeSize) }) }]} /></${Action}>` : null}
    ${mine?.decision !== 'OBJECTED' ? html`<${Action} title=${t('review.object')} id="act-object"><${Form} label=${t('review.object')} danger=${true} action="object"
      submit=${(v) => run(M.object, { reviewId: r.id, comment: v.comment })}
      fields=${[{ name: 'comment', label: t('review.objectReason'), type: 'textarea', required: true }]} /></${Action}>` : null}
  </div>`;
}

function Findings({ r }) {
  const { meta } = useCtx();
  const floor = r.incidents[0]?.tlp || 'CLEAR';
  return html`<section aria-labelledby="s-findings"><h2 id="s-findings">${t('review.findings')}</h2>
    ${r.findings.length === 0 ? html`<p class="muted">${t('review.noFindings')}</p>` : html`<ul class="items">${r.findings.map((f) => html`<li class="item" data-finding=${f.id} data-kind=${f.kind}>
      <p class="meta"><span class="tag">${tEnum('FindingKind', f.kind)}</span> <${Tlp} tlp=${f.tlp} /> <span translate=${false}>${f.by.user}</span> (<${Org} slug=${f.by.org} />) · ${fmtDateTime(f.at)}</p>
      <p class="note-text" translate=${false}>${f.text}</p></li>`)}</ul>`}
    ${r.status === 'OPEN' && meta.review.acts ? html`<${Action} title=${t('review.addFinding')} id="act-finding"><${Form} label=${t('review.addFinding')}
      submit=${(v) => run(M.finding, { reviewId: r.id, kind: v.kind, text: v.text, tlp: v.tlp || null })}
      fields=${[{ name: 'kind', label: t('review.kind'), type: 'select', required: true, value: 'FINDING', options: enumOptions('FindingKind', ['FINDING', 'LESSON']) },
        { name: 'text', label: t('review.findingText'), type: 'textarea', required: true },
        { name: 'tlp', label: t('f.tlp'), type: 'select', options: enumOptions('TLP', ENUMS.TLP.slice(ENUMS.TLP.indexOf(floor))), hint: t('review.findingTlpHint') }]} /></${Action}>` : null}
  </section>`;
}

function PinnedKnowledge({ id }) {
  const loaded = useLoad(async () => (await gql(WHO, { id })).review, [id]);
  const k = loaded.data?.whoKnewWhat;
  return html`<section aria-labelledby="s-who" class="pinned-who"><h2 id="s-who">${t('review.who')}</h2>
    <${ErrorText} err=${loaded.err} />
    ${k ? html`<${Knowledge} k=${k} />` : loaded.data ? null : html`<p role="status">${t('common.loading')}</p>`}</section>`;
}

// ReviewView is one review, live.
export function ReviewView({ args }) {
  const id = args[0];
  const loaded = useLoad(async (min) => (await gql(ONE, { id, min })).review, [id]);
  useFeed(loaded.data !== null, loaded, CHANGES, { id }, (c) => { if (c.reviewId === id) loaded.set(c.review || false); });
  const r = loaded.data;
  if (r === false) return html`<h1>${t('review.gone')}</h1><p><a href="#/reviews">${t('nav.reviews')}</a></p>`;
  if (loaded.err && !r) return html`<h1>${t('review.notFound')}</h1><${ErrorText} err=${loaded.err} /><p><a href="#/reviews">${t('nav.reviews')}</a></p>`;
  if (!r) return html`<p role="status">${t('common.loading')}</p>`;
  const lang = getLang();
  return html`<article class="review" data-review=${r.id} data-status=${r.status}>
    <p class="crumbs"><a href="#/reviews">${t('nav.reviews')}</a></p>
    <h1 translate=${false}>${r.title}</h1>
    <div class="badges"><${StatusBadges} r=${r} /></div>
    ${r.outdatedBy ? html`<p class="outdated" role="note">${t('review.outdated', { n: r.outdatedBy, at: fmtDateTime(r.outdatedAt, true) })}</p>` : null}
    ${r.status === 'COMPLETED' ? html`<p class="notice" role="status">${t('review.completed', { at: fmtDateTime(r.completedAt, true) })}</p>` : null}
    <p>${t('review.subject')}: <${Subject} r=${r} /></p>
    <p class="muted">${t('review.openedBy', { who: r.openedBy.user, at: fmtDateTime(r.openedAt, true) })} (<${Org} slug=${r.openedBy.org} />)</p>
    <div class="cols">
      <div class="main-col">
        <${Signers} r=${r} />
        <${Decide} r=${r} />
        <${Pin} r=${r} />
        <${Findings} r=${r} />
        ${r.incidentId ? html`<section aria-labelledby="s-rev-evidence"><h2 id="s-rev-evidence">${t('evidence.title')}</h2><${EvidenceList} items=${r.evidence} /></section>` : null}
      </div>
      <aside class="side-col" aria-labelledby="s-rev-history"><h2 id="s-rev-history">${t('review.history')}</h2>
        <ol class="tl">${r.history.map((e) => html`<li data-seq=${e.sequence} data-type=${e.type}>
          <time datetime=${e.at}>${fmtDateTime(e.at, true)}</time><span>${lang === 'vi' ? e.textVi : e.textEn}</span></li>`)}</ol></aside>
    </div>
    ${r.incidentId ? html`<${PinnedKnowledge} id=${r.id} />` : null}
  </article>`;
}
