// The regulatory reports of Thông tư 20/2017, made by the server from the log: Mẫu 03 (initial)
// and Mẫu 04 (closing) of an incident, Mẫu 05 (periodic summary) of an organisation and period.
// Each is a PDF, a CSV or a printable page. A first CSV made on opening tells which fields the
// log does not know (missing); those are asked for here and sent with every file and submission.
// Submitting has the server generate the file again and record its SHA-256 in the log.
import { html, useState, useEffect } from '../vendor/preact-htm/standalone.module.js';
import { t, tEnum, has, fmtNumber, fmtDateTime } from './i18n.js';
import { gql, newCommandId } from './api.js';
import { useCtx, Tlp, Drill, ErrorText, Form, Action, orgOptions, typeName } from './ui.js';
import { base64Blob, saveBlob } from './files.js';
import { thisYear } from './deadlines.js';

const GEN = `form format filename contentType content sha256 asOf treeSize root signedTreeSize signedRoot missing { key label }
  lines { type count handledAlone domesticHelp foreignHelp nationalHelp } drills`;
const INCIDENT_REPORT = `query($id: ID!, $form: ReportForm!, $format: ReportFormat, $fields: [ReportFieldInput!]) {
  incidentReport(incidentId: $id, form: $form, format: $format, fields: $fields) { ${GEN} } }`;
const PERIODIC_REPORT = `query($org: String, $period: String!, $year: Int!, $format: ReportFormat, $fields: [ReportFieldInput!]) {
  periodicReport(org: $org, period: $period, year: $year, format: $format, fields: $fields) { ${GEN} } }`;
const SUBMIT = `mutation($input: SubmitReportInput!) { submitReport(input: $input) { sequence reportSha256 } }`;
const SUBMIT_PERIODIC = `mutation($input: SubmitPeriodicReportInput!) { submitPeriodicReport(input: $input) { sequence reportSha256 } }`;
const INCIDENT = `query($id: ID!) { incident(id: $id) { id title tlp drill status } }`;

const FORMATS = ['PDF', 'CSV', 'HTML'];

// fieldLabel names an asked field in the reader's language (the server's Vietnamese label for a
// key this board does not know).
function fieldLabel(meta, key, serverLabel) {
  if (key.startsWith('damage.')) return t('report.field.damage', { type: typeName(meta, key.slice(7)) });
  return has('report.field.' + key) ? t('report.field.' + key) : serverLabel || key;
}

function Basis({ g }) {
  return html`<dl class="facts basis">
    <div><dt>${t('report.asOf')}</dt><dd>${fmtDateTime(g.asOf, true)}</dd></div>
    <div><dt>${t('report.tree')}</dt><dd><span>${fmtNumber(g.treeSize)}</span> · <span class="mono" translate=${false}>${g.root}</span></dd></div>
    <div><dt>${t('report.signed')}</dt><dd><span>${fmtNumber(g.signedTreeSize)}</span> · <span class="mono" translate=${false}>${g.signedRoot}</span></dd></div>
  </dl>`;
}

function Lines({ g }) {
  const { meta } = useCtx();
  const cols = ['count', 'handledAlone', 'domesticHelp', 'foreignHelp', 'nationalHelp'];
  return html`<div class="tablewrap"><table class="lines"><thead><tr><th scope="col">${t('incident.type')}</th>
    ${cols.map((c) => html`<th scope="col">${t('report.col.' + c)}</th>`)}</tr></thead>
    <tbody>${g.lines.map((l) => html`<tr data-type=${l.type}><th scope="row">${typeName(meta, l.type)}</th>${cols.map((c) => html`<td>${fmtNumber(l[c])}</td>`)}</tr>`)}</tbody></table></div>
    <p data-drills=${g.drills}>${t('report.drills', { n: fmtNumber(g.drills) })}</p>`;
}

// ReportPanel is one form: the fields the log does not know, a button per format, what was made
// (file name, SHA-256, basis), and the submission when the reader may submit.
function ReportPanel({ id, title, intro, generate, submit, periodic }) {
  const { meta } = useCtx();
  const [preview, setPreview] = useState(null);
  const [values, setValues] = useState({});
  const [busy, setBusy] = useState(null);
  const [made, setMade] = useState(null);
  const [err, setErr] = useState(null);
  const [submitted, setSubmitted] = useState(null);
  useEffect(() => {
    let gone = false;
    generate('CSV', []).then((g) => { if (!gone) { setPreview(g); setErr(null); } }, (e) => { if (!gone) setErr(e); });
    return () => { gone = true; };
  }, []);
  const keys = preview ? preview.missing.map((m) => ({ key: m.key, label: fieldLabel(meta, m.key, m.label) })) : [];
  if (preview && periodic) {
    for (const l of preview.lines) if (l.count > 0) keys.push({ key: 'damage.' + l.type, label: fieldLabel(meta, 'damage.' + l.type) });
  }
  const fields = () => Object.entries(values).filter(([, v]) => v.trim()).map(([key, value]) => ({ key, value: value.trim() }));
  const make = async (format) => {
    setBusy(format); setErr(null);
    try {
      const g = await generate(format, fields());
      const blob = base64Blob(g.content, g.contentType);
      if (made?.url) URL.revokeObjectURL(made.url);
      const url = URL.createObjectURL(blob);
      if (format !== 'HTML') saveBlob(blob, g.filename);
      setMade({ ...g, url });
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(null);
    }
  };
  return html`<section class="report card" aria-labelledby=${id + '-h'} data-form=${id}>
    <h2 id=${id + '-h'}>${title}</h2>
    <p>${intro}</p>
    ${!preview && !err ? html`<p role="status">${t('report.preparing')}</p>` : null}
    ${preview ? html`<${Basis} g=${preview} />${periodic ? html`<${Lines} g=${preview} />` : null}` : null}
    ${keys.length ? html`<fieldset class="report-fields"><legend>${t('report.fieldsTitle')}</legend>
      <p class="hint">${t('report.fieldsHint')}</p>
      <div class="filter-grid">${keys.map((k) => html`<div class="field"><label for=${id + '-' + k.key}>${k.label}</label>
        <input id=${id + '-' + k.key} name=${k.key} maxlength="2000" value=${values[k.key] || ''} onInput=${(e) => setValues({ ...values, [k.key]: e.target.value })} /></div>`)}</div>
    </fieldset>` : null}
    ${preview ? html`<div class="form-actions formats">${FORMATS.map((f) => html`<button type="button" class=${f === 'PDF' ? 'btn primary' : 'btn'} data-format=${f}
      disabled=${busy !== null} onClick=${() => make(f)}>${busy === f ? t('form.sending') : t('report.make.' + f)}</button>`)}</div>` : null}
    <${ErrorText} err=${err} />
    ${made ? html`<div class="notice made" role="status" data-made=${made.format} data-sha256=${made.sha256}>
      <p>${t('report.made')} <a href=${made.url} download=${made.format === 'HTML' ? undefined : made.filename} target=${made.format === 'HTML' ? '_blank' : undefined}
        rel="noopener">${made.format === 'HTML' ? t('report.openPrintable') : t('report.saveAgain')}</a> <span translate=${false}>(${made.filename})</span></p>
      <p>${t('evidence.sha256')}: <span class="mono" translate=${false}>${made.sha256}</span></p>
      <${Basis} g=${made} />
      <p class="hint">${t('report.verifyHint', { n: made.treeSize })} <code translate=${false}>dieuphoi verify --report-root ${made.treeSize}:${made.root}</code></p>
    </div>` : null}
    ${submit && preview ? html`<${Action} title=${t('report.submit')} id=${'act-submit-' + id}><${Form} label=${t('report.submit')} action="submit"
      submit=${async (v) => setSubmitted(await submit({ reference: v.reference, format: v.format || 'PDF', fields: fields() }))}
      fields=${[{ name: 'reference', label: t('report.reference'), required: true, maxLength: 200, hint: t('report.referenceHint') },
        { name: 'format', label: t('report.format'), type: 'select', value: 'PDF', options: FORMATS.map((f) => ({ value: f, label: t('report.formatName.' + f) })) }]} />
      ${submitted ? html`<p class="notice" role="status" data-submitted=${submitted}>${t('report.submitted')} <span class="mono" translate=${false}>${submitted}</span></p>` : null}
    </${Action}>` : null}
  </section>`;
}

// IncidentReports is Mẫu 03 and Mẫu 04 of one incident.
export function IncidentReports({ args }) {
  const id = args[0];
  const { meta } = useCtx();
  const [inc, setInc] = useState(null);
  const [err, setErr] = useState(null);
  useEffect(() => { gql(INCIDENT, { id }).then((d) => setInc(d.incident), setErr); }, [id]);
  if (err) return html`<h1>${t('incident.notFound')}</h1><${ErrorText} err=${err} /><p><a href="#/">${t('nav.board')}</a></p>`;
  if (!inc) return html`<p role="status">${t('common.loading')}</p>`;
  const gen = (form) => async (format, fields) => (await gql(INCIDENT_REPORT, { id, form, format, fields })).incidentReport;
  const sub = (form) => (meta.commands.includes('SubmitReport')
    ? async ({ reference, format, fields }) => (await gql(SUBMIT, { input: { commandId: newCommandId(), incidentId: id, form, reference, generate: { format, fields } } })).submitReport.reportSha256
    : null);
  return html`<section class="reports" aria-labelledby="rep-h" data-incident=${inc.id}>
    <p class="crumbs"><a href=${'#/incident/' + inc.id}>${t('who.back')}</a></p>
    <h1 id="rep-h">${t('report.incidentTitle')}</h1>
    <p class="subject"><span translate=${false}>${inc.title}</span> <${Tlp} tlp=${inc.tlp} /> ${inc.drill ? html`<${Drill} />` : null}</p>
    <p class="hint">${t('report.tlpHint')}</p>
    <${ReportPanel} id="MAU_03" title=${t('report.mau03')} intro=${t('report.mau03Intro')} generate=${gen('MAU_03')} submit=${sub('MAU_03')} />
    ${inc.status === 'CLOSED'
      ? html`<${ReportPanel} id="MAU_04" title=${t('report.mau04')} intro=${t('report.mau04Intro')} generate=${gen('MAU_04')} submit=${sub('MAU_04')} />`
      : html`<section class="report card" aria-labelledby="MAU_04-h"><h2 id="MAU_04-h">${t('report.mau04')}</h2><p class="muted">${t('report.mau04Open')}</p></section>`}
  </section>`;
}

// PeriodicReports is Mẫu 05 of the reader's organisation (any organisation for the subcommittee).
export function PeriodicReports() {
  const { me, meta, orgs } = useCtx();
  const sub = me.org.kind === 'SUBCOMMITTEE';
  const [q, setQ] = useState({ org: me.org.slug, period: meta.periods[0] || 'H1', year: String(thisYear()) });
  const set = (k) => (e) => setQ({ ...q, [k]: e.target.value });
  const gen = async (format, fields) => (await gql(PERIODIC_REPORT, { org: q.org, period: q.period, year: Number(q.year), format, fields })).periodicReport;
  const submit = q.org === me.org.slug && meta.commands.includes('SubmitReport')
    ? async ({ reference, format, fields }) => (await gql(SUBMIT_PERIODIC, { input: { commandId: newCommandId(), period: q.period, year: Number(q.year), reference,
      generate: { format, fields } } })).submitPeriodicReport.reportSha256
    : null;
  return html`<section class="reports" aria-labelledby="rep5-h"><h1 id="rep5-h">${t('report.periodicTitle')}</h1>
    <p>${t('report.mau05Intro')}</p>
    <form class="filter-grid" onSubmit=${(e) => e.preventDefault()}>
      ${sub ? html`<div class="field"><label for="rep-org">${t('board.f.org')}</label>
        <select id="rep-org" value=${q.org} onChange=${set('org')}>${orgOptions(orgs).map((o) => html`<option value=${o.value}>${o.label}</option>`)}</select></div>` : null}
      <div class="field"><label for="rep-period">${t('period.label')}</label>
        <select id="rep-period" value=${q.period} onChange=${set('period')}>${meta.periods.map((p) => html`<option value=${p}>${tEnum('Period', p)}</option>`)}</select></div>
      <div class="field"><label for="rep-year">${t('period.year')}</label>
        <input id="rep-year" type="number" min="2000" max="2100" value=${q.year} onChange=${set('year')} /></div>
    </form>
    <${ReportPanel} key=${q.org + '|' + q.period + '|' + q.year} id="MAU_05" periodic=${true} title=${t('report.mau05')}
      intro=${t('report.mau05For', { period: tEnum('Period', q.period), year: q.year })} generate=${gen} submit=${submit} />
  </section>`;
}
