// Message catalogues and the conventions of each language. Every string the board shows comes
// from i18n/<lang>.json: t(KEY, {param}) fills {param} placeholders. Times are always shown in
// Asia/Ho_Chi_Minh, whatever the browser's time zone; Vietnamese uses 24-hour time, day/month/year
// and '.' between thousands.
export const LANGS = ['vi', 'en'];
export const TIME_ZONE = 'Asia/Ho_Chi_Minh';
const LOCALES = { vi: 'vi-VN', en: 'en-GB' };
const STORAGE_KEY = 'dieuphoi.lang';

const catalogues = {};
let lang = 'vi';
const listeners = new Set();

export async function loadCatalogues() {
  await Promise.all(LANGS.map(async (l) => {
    const res = await fetch(`/assets/i18n/${l}.json`);
    catalogues[l] = await res.json();
  }));
  let saved = null;
  try { saved = localStorage.getItem(STORAGE_KEY); } catch { /* storage off */ }
  setLang(LANGS.includes(saved) ? saved : 'vi', false);
}

export function getLang() { return lang; }

export function setLang(l, remember = true) {
  if (!LANGS.includes(l)) return;
  lang = l;
  document.documentElement.lang = l;
  document.title = t('app.title');
  if (remember) {
    try { localStorage.setItem(STORAGE_KEY, l); } catch { /* storage off */ }
  }
  listeners.forEach((f) => f(l));
}

export function onLang(f) { listeners.add(f); return () => listeners.delete(f); }

// t looks a key up in the current catalogue (then in Vietnamese); a missing key shows itself,
// so that a test and a reader notice it.
export function t(key, params) {
  let s = catalogues[lang]?.[key] ?? catalogues.vi?.[key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
  return s;
}

// has tells whether the catalogue has a key (for values that may have no translation, such as
// event types an older board does not know).
export function has(key) { return catalogues[lang]?.[key] !== undefined; }

// tEnum names an enumeration value: enum.<Enum>.<VALUE>.
export function tEnum(name, value) {
  if (value === null || value === undefined || value === '') return '';
  const key = `enum.${name}.${value}`;
  return has(key) ? t(key) : String(value);
}

// name picks the Vietnamese or English name of a thing that has both (organisations, sectors,
// incident types).
export function name(x) {
  if (!x) return '';
  return lang === 'vi' ? (x.nameVi || x.nameEn || x.code || x.slug) : (x.nameEn || x.nameVi || x.code || x.slug);
}

export function locale() { return LOCALES[lang]; }

export function fmtNumber(n) { return new Intl.NumberFormat(locale()).format(n); }

const dtCache = new Map();
function dtf(opts) {
  const k = lang + JSON.stringify(opts);
  if (!dtCache.has(k)) dtCache.set(k, new Intl.DateTimeFormat(locale(), { timeZone: TIME_ZONE, hourCycle: 'h23', ...opts }));
  return dtCache.get(k);
}

// fmtDateTime: "14:30 21/11/2026" in Vietnamese, "21/11/2026, 14:30" in English.
export function fmtDateTime(iso, seconds = false) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return dtf({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) }).format(d);
}

export function fmtTime(iso) {
  if (!iso) return '';
  return dtf({ hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
}

// fmtDuration writes seconds as "2 ngày 03:04:05" / "2 days 03:04:05", or "04:05" under an hour.
export function fmtDuration(secs) {
  secs = Math.max(0, Math.floor(Math.abs(secs)));
  const d = Math.floor(secs / 86400);
  const h = Math.floor((secs % 86400) / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  const two = (x) => String(x).padStart(2, '0');
  const clock = h > 0 || d > 0 ? `${two(h)}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
  return d > 0 ? `${t('duration.days', { n: fmtNumber(d) })} ${clock}` : clock;
}

// Ho Chi Minh City keeps UTC+7 all year: a datetime-local value ("2026-11-21T14:30") is read in
// that zone, and an instant is written back as one.
export function localInputToISO(v) {
  if (!v) return null;
  const s = v.length === 16 ? v + ':00' : v;
  return s + '+07:00';
}

export function isoToLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(new Date(iso).getTime() + 7 * 3600 * 1000);
  return d.toISOString().slice(0, 16);
}
