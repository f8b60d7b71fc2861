// Small shared components: labels for TLP, drills, severity; deadlines counting down; coded
// errors in words; and one form component every action uses.
import { html, useState, useEffect, useContext, createContext, useRef } from '../vendor/preact-htm/standalone.module.js';
import { t, tEnum, name, fmtDuration, fmtDateTime } from './i18n.js';

export { html };

// Ctx carries what every screen needs: me, meta, organisations by slug, asOf, navigate.
export const Ctx = createContext(null);
export const useCtx = () => useContext(Ctx);

// One ticking clock for every countdown on screen.
let now = Date.now();
const tickers = new Set();
setInterval(() => { now = Date.now(); tickers.forEach((f) => f(now)); }, 1000);
export function useNow() {
  const [n, setN] = useState(now);
  useEffect(() => { tickers.add(setN); return () => tickers.delete(setN); }, []);
  return n;
}

const tlpClass = { CLEAR: 'clear', GREEN: 'green', AMBER: 'amber', AMBER_STRICT: 'amber', RED: 'red' };

// TLP shows a label in FIRST's TLP 2.0 colours: coloured text on black.
export function Tlp({ tlp }) {
  if (!tlp) return null;
  return html`<span class=${'tlp tlp-' + tlpClass[tlp]} data-tlp=${tlp} translate=${false}>${tEnum('TLP', tlp)}</span>`;
}

export function Drill({ long }) {
  return html`<span class="drill" data-drill="true">${long ? t('drill.long') : t('drill.short')}</span>`;
}

export function Sev({ s }) {
  return s ? html`<span class=${'sev sev-' + s.toLowerCase()}>${tEnum('Severity', s)}</span>` : null;
}

export function Org({ slug }) {
  const { orgs } = useCtx();
  if (!slug) return html`<span>${t('common.none')}</span>`;
  const o = orgs[slug];
  return html`<span class="org" title=${slug}>${o ? name(o) : slug}</span>`;
}

// Countdown counts to a deadline each second; overdue ones say so in red.
export function Countdown({ at, done }) {
  const n = useNow();
  if (!at) return null;
  const secs = Math.round((new Date(at).getTime() - n) / 1000);
  if (done) return html`<time class="deadline" datetime=${at}>${fmtDateTime(at)}</time>`;
  const overdue = secs < 0;
  return html`<time class=${overdue ? 'deadline overdue' : 'deadline'} datetime=${at} title=${fmtDateTime(at)}>
    ${overdue ? t('countdown.overdue', { d: fmtDuration(-secs) }) : t('countdown.left', { d: fmtDuration(secs) })}</time>`;
}

// ErrorText says what a coded error means in words; the server's sentence is kept under
// "details" for whoever needs it.
export function ErrorText({ err }) {
  if (!err) return null;
  const code = err.code || 'INTERNAL';
  const words = t('error.' + code) === 'error.' + code ? t('error.INTERNAL') : t('error.' + code);
  return html`<div class="error" role="alert"><strong>${words}</strong>
    ${err.message && err.message !== code && err.message !== 'network'
      ? html`<details><summary>${t('error.details')}</summary><p>${err.message}</p></details>` : null}</div>`;
}

let fieldSeq = 0;

// Form renders fields, checks what the browser can (required, lengths), calls submit(values)
// and shows the server's coded error in words, or that it was recorded.
// fields: [{name, label, type: text|textarea|select|multi|checkbox|datetime|number|file, options: [{value,label}],
//           required, value, maxLength, placeholder, hint}]
export function Form({ fields, submit, label, danger, onDone, compact, action }) {
  const idBase = useRef('f' + (++fieldSeq)).current;
  const init = () => Object.fromEntries(fields.map((f) => [f.name, f.value ?? (f.type === 'multi' ? [] : f.type === 'checkbox' ? false : '')]));
  const [values, setValues] = useState(init);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState(null);
  const [ok, setOk] = useState(false);
  const set = (k, v) => { setValues({ ...values, [k]: v }); setOk(false); };
  const onSubmit = async (ev) => {
    ev.preventDefault();
    setErr(null); setOk(false);
    for (const f of fields) {
      const v = values[f.name];
      if (f.required && (v === '' || v === null || (Array.isArray(v) && v.length === 0))) {
        setErr({ code: 'REQUIRED', message: '' });
        document.getElementById(idBase + f.name)?.focus();
        return;
      }
    }
    setBusy(true);
    try {
      await submit(values);
      setOk(true);
      setValues(init());
      onDone && onDone();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class=${compact ? 'form compact' : 'form'} data-action=${action} onSubmit=${onSubmit} novalidate>
    ${fields.map((f) => html`<${Field} f=${f} id=${idBase + f.name} value=${values[f.name]} set=${(v) => set(f.name, v)} />`)}
    <div class="form-actions">
      <button type="submit" class=${danger ? 'btn danger' : 'btn primary'} disabled=${busy}>${busy ? t('form.sending') : label}</button>
      ${ok ? html`<span class="ok" role="status">${t('form.done')}</span>` : null}
    </div>
    ${err ? (err.code === 'REQUIRED' ? html`<div class="error" role="alert"><strong>${t('form.required')}</strong></div>` : html`<${ErrorText} err=${err} />`) : null}
  </form>`;
}

function Field({ f, id, value, set }) {
  const req = f.required ? html`<span class="req" aria-hidden="true"> *</span>` : null;
  const hint = f.hint ? html`<small id=${id + '-hint'} class="hint">${f.hint}</small>` : null;
  const described = f.hint ? id + '-hint' : undefined;
  switch (f.type) {
    case 'textarea':
      return html`<div class="field"><label for=${id}>${f.label}${req}</label>
        <textarea id=${id} name=${f.name} rows="3" maxlength=${f.maxLength} required=${f.required} aria-describedby=${described}
          value=${value} onInput=${(e) => set(e.target.value)}></textarea>${hint}</div>`;
    case 'select':
      return html`<div class="field"><label for=${id}>${f.label}${req}</label>
        <select id=${id} name=${f.name} required=${f.required} aria-describedby=${described} value=${value} onChange=${(e) => set(e.target.value)}>
          ${f.required ? html`<option value="">${t('form.choose')}</option>` : html`<option value="">${t('common.none')}</option>`}
          ${f.options.map((o) => html`<option value=${o.value} selected=${o.value === value}>${o.label}</option>`)}
        </select>${hint}</div>`;
    case 'multi':
      return html`<fieldset class="field multi"><legend>${f.label}${req}</legend>
        <div class="checks">${f.options.map((o, i) => html`<label class="check"><input type="checkbox" id=${i === 0 ? id : undefined} name=${f.name} value=${o.value}
          checked=${value.includes(o.value)} onChange=${(e) => set(e.target.checked ? [...value, o.value] : value.filter((x) => x !== o.value))} /> ${o.label}</label>`)}</div>${hint}</fieldset>`;
    case 'file':
      return html`<div class="field"><label for=${id}>${f.label}${req}</label>
        <input id=${id} name=${f.name} type="file" required=${f.required} aria-describedby=${described} onChange=${(e) => set(e.target.files[0] || '')} />${hint}</div>`;
    case 'checkbox':
      return html`<div class="field"><label class="check"><input type="checkbox" id=${id} name=${f.name} checked=${value} onChange=${(e) => set(e.target.checked)} /> ${f.label}</label></div>`;
    default:
      return html`<div class="field"><label for=${id}>${f.label}${req}</label>
        <input id=${id} name=${f.name} type=${f.type === 'datetime' ? 'datetime-local' : f.type === 'number' ? 'number' : 'text'}
          required=${f.required} maxlength=${f.maxLength} placeholder=${f.placeholder} aria-describedby=${described}
          min=${f.min} max=${f.max} value=${value} onInput=${(e) => set(e.target.value)} />${hint}</div>`;
  }
}

// Action is a disclosure holding a form: keyboard- and phone-friendly.
export function Action({ title, children, id }) {
  return html`<details class="action" id=${id}><summary>${title}</summary><div class="action-body">${children}</div></details>`;
}

// Options of enumerations, from the catalogue.
export const enumOptions = (enumName, values) => values.map((v) => ({ value: v, label: tEnum(enumName, v) }));

export const ENUMS = {
  TLP: ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'],
  Severity: ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
  Tier: ['ORDINARY', 'SERIOUS'],
  IncidentStatus: ['OPEN', 'CLOSED'],
  Phase: ['DETECTED', 'TRIAGE', 'CONTAINMENT', 'ERADICATION', 'RECOVERY', 'REVIEW'],
  InfoClass: ['PUBLIC', 'PRIVATE', 'PERSONAL', 'STATE_SECRET_CONFIDENTIAL', 'STATE_SECRET_SECRET', 'STATE_SECRET_TOP_SECRET'],
  IndicatorType: ['IPV4', 'IPV6', 'DOMAIN', 'URL', 'EMAIL', 'MD5', 'SHA1', 'SHA256', 'CVE'],
  Resolution: ['RESOLVED', 'FALSE_POSITIVE', 'DUPLICATE', 'NO_ACTION'],
  BoardSort: ['DEADLINE', 'UPDATED', 'OPENED', 'SEVERITY'],
  AlertStatus: ['NEW', 'DISMISSED', 'PROMOTED'],
};

// orgOptions lists the directory for a select, in the current language.
export function orgOptions(orgs, filter = () => true) {
  return Object.values(orgs).filter(filter).map((o) => ({ value: o.slug, label: name(o) }));
}

// typeName and sectorName name configuration codes in the current language.
export const typeName = (meta, code) => (code ? name(meta.types.find((x) => x.code === code)) || code : '');
export const sectorName = (meta, code) => (code ? name(meta.sectors.find((x) => x.code === code)) || code : '');
