// Evidence files of an incident with their chain of custody: hash, size, TLP, who collected them,
// when and from which system, who holds them now, every hand-over and download. Files go up and
// down over HTTP with the bearer token (files.js); a hand-over is a GraphQL command.
import { html, useState } from '../vendor/preact-htm/standalone.module.js';
import { t, locale, fmtNumber, fmtDateTime, localInputToISO, isoToLocalInput } from './i18n.js';
import { gql, newCommandId } from './api.js';
import { useCtx, Tlp, Org, Form, Action, ENUMS, enumOptions } from './ui.js';
import { uploadEvidence, downloadEvidence } from './files.js';

export const EVIDENCE_FIELDS = `id name mediaType sha256 size tlp sourceSystem description collectedAt addedAt custodian downloadPath
  collectedBy { user org } custody { from to reason at by { user org } } downloads { at }`;

const TRANSFER = `mutation($input: TransferEvidenceCustodyInput!) { transferEvidenceCustody(input: $input) { sequence } }`;

// fmtSize writes a size in bytes, KiB or MiB, in the reader's number conventions.
export function fmtSize(n) {
  if (n < 1024) return t('size.bytes', { n: fmtNumber(n) });
  const f = new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 });
  return n < 1024 * 1024 ? t('size.kib', { n: f.format(n / 1024) }) : t('size.mib', { n: f.format(n / 1024 / 1024) });
}

// Person shows "org/user" as the organisation's name and the account.
export function Person({ who }) {
  const [org, user] = who.split('/');
  return html`<span class="person"><span translate=${false}>${user}</span> (<${Org} slug=${org} />)</span>`;
}

function mayTransfer(meta, me, e) {
  if (!meta.commands.includes('TransferCustody')) return false;
  const [org] = e.custodian.split('/');
  return e.custodian === me.org.slug + '/' + me.user || (meta.role === 'coordinator' && org === me.org.slug);
}

// EvidenceList lists files; with actions (now, not in the past) each has a download button and,
// for its custodian, a hand-over form.
export function EvidenceList({ items, actions }) {
  const { meta, me } = useCtx();
  if (!items.length) return html`<p class="muted">${t('evidence.none')}</p>`;
  return html`<ul class="items evidence">${items.map((e) => html`<li class="item" data-evidence=${e.id}>
    <p><strong translate=${false}>${e.name}</strong> <${Tlp} tlp=${e.tlp} /> <span class="tag">${fmtSize(e.size)}</span></p>
    <dl class="facts">
      <div><dt>${t('evidence.sha256')}</dt><dd class="mono" translate=${false} data-sha256=${e.sha256}>${e.sha256}</dd></div>
      <div><dt>${t('evidence.mediaType')}</dt><dd class="mono" translate=${false}>${e.mediaType}</dd></div>
      <div><dt>${t('evidence.system')}</dt><dd translate=${false}>${e.sourceSystem}</dd></div>
      <div><dt>${t('evidence.collected')}</dt><dd><span translate=${false}>${e.collectedBy.user}</span> (<${Org} slug=${e.collectedBy.org} />), ${fmtDateTime(e.collectedAt)}</dd></div>
      ${e.description ? html`<div><dt>${t('f.description')}</dt><dd translate=${false}>${e.description}</dd></div>` : null}
      <div><dt>${t('evidence.custodian')}</dt><dd data-custodian=${e.custodian}><${Person} who=${e.custodian} /></dd></div>
      <div><dt>${t('evidence.downloads')}</dt><dd>${e.downloads.length
        ? t('evidence.downloadCount', { n: fmtNumber(e.downloads.length), at: fmtDateTime(e.downloads[e.downloads.length - 1].at) })
        : t('evidence.neverDownloaded')}</dd></div>
    </dl>
    ${e.custody.length ? html`<details class="custody"><summary>${t('evidence.custody', { n: fmtNumber(e.custody.length) })}</summary>
      <ol class="tl">${e.custody.map((c) => html`<li><time datetime=${c.at}>${fmtDateTime(c.at, true)}</time>
        <span><${Person} who=${c.from} /> → <${Person} who=${c.to} />: <span translate=${false}>${c.reason}</span></span></li>`)}</ol></details>` : null}
    ${actions ? html`<div class="row-actions">
      <${Form} compact=${true} fields=${[]} action="download" label=${t('evidence.download')} submit=${() => downloadEvidence(e.downloadPath, e.name)} />
      ${mayTransfer(meta, me, e) ? html`<${Action} title=${t('evidence.transfer')}><${Form} label=${t('evidence.transfer')} action="transfer"
        submit=${(v) => gql(TRANSFER, { input: { commandId: newCommandId(), evidenceId: e.id, to: v.to.trim(), reason: v.reason } })}
        fields=${[{ name: 'to', label: t('evidence.to'), required: true, hint: t('evidence.toHint'), maxLength: 200 },
          { name: 'reason', label: t('f.reason'), type: 'textarea', required: true }]} /></${Action}>` : null}
    </div>` : null}
  </li>`)}</ul>`;
}

// EvidenceUpload stores a file of the incident: never less restrictive than the incident.
export function EvidenceUpload({ inc }) {
  const [round, setRound] = useState(0);
  const levels = ENUMS.TLP.slice(ENUMS.TLP.indexOf(inc.tlp));
  const fields = [
    { name: 'file', label: t('evidence.file'), type: 'file', required: true, hint: t('evidence.fileHint') },
    { name: 'system', label: t('evidence.system'), required: true, maxLength: 300 },
    { name: 'tlp', label: t('f.tlp'), type: 'select', required: true, value: inc.tlp, options: enumOptions('TLP', levels), hint: t('evidence.tlpHint') },
    { name: 'collectedAt', label: t('evidence.collectedAt'), type: 'datetime', required: true, value: isoToLocalInput(new Date().toISOString()), hint: t('f.localTime') },
    { name: 'description', label: t('f.description'), type: 'textarea' },
  ];
  const submit = (v) => uploadEvidence(inc.id, v.file, { system: v.system, tlp: v.tlp, collectedAt: localInputToISO(v.collectedAt), description: v.description });
  return html`<${Action} title=${t('evidence.upload')} id="act-evidence"><${Form} key=${round} label=${t('evidence.upload')} action="upload"
    fields=${fields} submit=${submit} onDone=${() => setRound(round + 1)} /></${Action}>`;
}
