// The escalation queue (escalations waiting on the reader's organisation) and the handoff inbox
// (offers to it not answered yet): overdue first, counting down, live through their subscriptions
// (each message carries the whole queue after the change).
import { html, useState, useEffect, useRef } from '../vendor/preact-htm/standalone.module.js';
import { t, tEnum, fmtNumber } from './i18n.js';
import { gql, live } from './api.js';
import { useCtx, Tlp, Drill, Sev, Org, Countdown, ErrorText, Form, Action } from './ui.js';
import { mutations as M, runCommand as run } from './incident-actions.js';

const ITEM = 'incidentId incidentTitle severity tlp handoffTlp drill id from to reason deadline status overdue secondsLeft acknowledgedAt';

function useQueue(field) {
  const [items, setItems] = useState(null);
  const [err, setErr] = useState(null);
  const seq = useRef(0);
  const load = async () => {
    try {
      seq.current = (await gql('{ board(first: 1) { sequence } }')).board.sequence;
      const d = await gql(`query($min: Sequence) { ${field}(minSequence: $min) { ${ITEM} } }`, { min: seq.current });
      setItems(d[field]);
      setErr(null);
    } catch (e) { setErr(e); }
  };
  useEffect(() => { load(); }, []);
  useEffect(() => {
    if (items === null) return undefined;
    const sub = live.subscribe({
      query: `subscription($since: Sequence) { ${field}(since: $since) { sequence incidentId items { ${ITEM} } } }`,
      since: seq.current,
      onNext: (d) => { seq.current = d[field].sequence; setItems(d[field].items); },
      onError: () => load().then(() => sub.restart(seq.current)),
    });
    return () => sub.unsubscribe();
  }, [items === null]);
  return [items, err];
}

function QueueList({ items, kind }) {
  const { meta } = useCtx();
  if (items.length === 0) return html`<p class="muted" role="status">${t(kind === 'esc' ? 'queue.empty' : 'inbox.empty')}</p>`;
  return html`<ul class="cards list queue">${items.map((q) => html`<li>
    <article class=${'card' + (q.drill ? ' is-drill' : '') + (q.overdue ? ' is-overdue' : '')} data-item=${q.id} data-incident=${q.incidentId}>
      ${q.drill ? html`<${Drill} />` : null}
      <h2 class="h3"><a href=${'#/incident/' + q.incidentId} translate=${false}>${q.incidentTitle}</a></h2>
      <div class="badges"><${Tlp} tlp=${q.tlp} /><${Sev} s=${q.severity} /><span class="tag">${tEnum(kind === 'esc' ? 'EscalationStatus' : 'HandoffStatus', q.status)}</span>
        ${q.acknowledgedAt ? html`<span class="tag">${t(kind === 'esc' ? 'queue.acknowledged' : 'inbox.received')}</span>` : null}</div>
      <p><${Org} slug=${q.from} /> → <${Org} slug=${q.to} /></p>
      ${q.reason ? html`<p translate=${false}>${q.reason}</p>` : null}
      <p class=${'next' + (q.overdue ? ' overdue' : '')}>${t(kind === 'esc' ? 'incident.ackDeadline' : 'incident.answerDeadline')}: <${Countdown} at=${q.deadline} /></p>
      <div class="row-actions">
        ${kind === 'esc' && !q.acknowledgedAt && meta.commands.includes('AcknowledgeEscalation')
          ? html`<${Form} compact=${true} fields=${[]} action="ack" label=${t('action.ack')} submit=${() => run(M.ack, { escalationId: q.id })} />` : null}
        ${kind === 'ho' && !q.acknowledgedAt && meta.commands.includes('AcknowledgeHandoff')
          ? html`<${Form} compact=${true} fields=${[]} action="hoAck" label=${t('action.hoAck')} submit=${() => run(M.hoAck, { handoffId: q.id })} />` : null}
        ${kind === 'ho' && meta.commands.includes('AcceptHandoff')
          ? html`<${Form} compact=${true} fields=${[]} action="accept" label=${t('action.accept')} submit=${() => run(M.accept, { handoffId: q.id })} />` : null}
        ${kind === 'ho' && meta.commands.includes('DeclineHandoff')
          ? html`<${Action} title=${t('action.decline')}><${Form} label=${t('action.decline')} danger=${true} submit=${(v) => run(M.decline, { handoffId: q.id, reason: v.reason })}
              fields=${[{ name: 'reason', label: t('f.reason'), type: 'textarea', required: true }]} /></${Action}>` : null}
      </div>
    </article></li>`)}</ul>`;
}

export function EscalationQueue() {
  const [items, err] = useQueue('escalationQueue');
  return html`<section aria-labelledby="q-h"><h1 id="q-h">${t('queue.title')}</h1>
    <p class="total" role="status">${items ? t('queue.count', { n: fmtNumber(items.length), overdue: fmtNumber(items.filter((q) => q.overdue).length) }) : t('common.loading')}</p>
    <${ErrorText} err=${err} />
    ${items ? html`<${QueueList} items=${items} kind="esc" />` : null}</section>`;
}

export function HandoffInbox() {
  const [items, err] = useQueue('handoffInbox');
  return html`<section aria-labelledby="i-h"><h1 id="i-h">${t('inbox.title')}</h1>
    <p class="total" role="status">${items ? t('queue.count', { n: fmtNumber(items.length), overdue: fmtNumber(items.filter((q) => q.overdue).length) }) : t('common.loading')}</p>
    <${ErrorText} err=${err} />
    ${items ? html`<${QueueList} items=${items} kind="ho" />` : null}</section>`;
}
