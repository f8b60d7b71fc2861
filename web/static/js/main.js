// The coordination board: bootstraps the catalogues and the session (a pasted token, or a
// one-time sign-in link whose code is exchanged once), then renders the screens.
import { html, render, useState, useEffect, useRef } from '../vendor/preact-htm/standalone.module.js';
import { loadCatalogues, t, getLang, setLang, onLang, name, fmtDateTime, localInputToISO, isoToLocalInput } from './i18n.js';
import { gql, live, loadSession, getSession, startSession, endSession, onSession, redeemLink, fetchMeta, endedReason, ApiError } from './api.js';
import { Ctx, ErrorText } from './ui.js';
import { routes, parseHash, hrefFor } from './routes.js';

// A sign-in link's code arrives in the fragment (#signin=...), which no server ever sees. It is
// taken out of the address bar before anything else happens, then exchanged once.
let linkCode = null;
if (location.hash.startsWith('#signin=')) {
  linkCode = location.hash.slice('#signin='.length);
  history.replaceState(null, '', location.pathname + location.search);
}

// prefetched is the signed-in tab's first who-am-I, asked while the catalogues load.
let prefetched = null;

const ME = `{ me { user role tokenId expiresAt org { slug nameVi nameEn kind force cert sector } }
  organisations { slug kind nameVi nameEn sector force cert } }`;

function SignIn({ error }) {
  const [token, setToken] = useState('');
  const [err, setErr] = useState(error || null);
  const [busy, setBusy] = useState(false);
  const reason = endedReason;
  const submit = async (e) => {
    e.preventDefault();
    if (!token.trim()) { setErr({ code: 'REQUIRED' }); return; }
    setBusy(true);
    startSession(token, 'paste');
  };
  return html`<main id="main" class="signin" tabindex="-1">
    <h1>${t('signin.title')}</h1>
    <p>${t('signin.intro')}</p>
    ${reason ? html`<p class="notice" role="status">${t('signin.ended.' + reason)}</p>` : null}
    <form onSubmit=${submit} class="form" novalidate>
      <div class="field"><label for="token">${t('signin.token')}</label>
        <textarea id="token" name="token" rows="4" autocomplete="off" spellcheck="false" aria-describedby="token-hint"
          value=${token} onInput=${(e) => setToken(e.target.value)}></textarea>
        <small id="token-hint" class="hint">${t('signin.tokenHint')}</small></div>
      <div class="form-actions"><button class="btn primary" type="submit" disabled=${busy}>${t('signin.submit')}</button></div>
      ${err ? (err.code === 'REQUIRED' ? html`<div class="error" role="alert"><strong>${t('signin.empty')}</strong></div>` : html`<${ErrorText} err=${err} />`) : null}
    </form>
    <h2>${t('signin.linkTitle')}</h2>
    <p>${t('signin.linkHelp')}</p>
    <pre class="cmd" translate=${false}>dieuphoi token --link --org dic --user lan --role coordinator</pre>
  </main>`;
}

function LangSwitch() {
  const other = getLang() === 'vi' ? 'en' : 'vi';
  return html`<button type="button" class="btn ghost lang" lang=${other} onClick=${() => setLang(other)}
    aria-label=${t('lang.switchLabel')}>${t('lang.other')}</button>`;
}

function ConnStatus({ status, asOf }) {
  if (asOf) return html`<span class="conn conn-past" role="status">${t('conn.past')}</span>`;
  return html`<span class=${'conn conn-' + status} role="status" aria-live="polite" data-conn=${status}>${t('conn.' + status)}</span>`;
}

function TimeTravel({ asOf, route }) {
  const [v, setV] = useState(isoToLocalInput(asOf));
  useEffect(() => setV(isoToLocalInput(asOf)), [asOf]);
  if (!route || !route.route || !route.route.timeTravel) return null;
  const go = (iso) => { location.hash = hrefFor(route.path, iso); };
  return html`<form class="timetravel" onSubmit=${(e) => { e.preventDefault(); if (v) go(localInputToISO(v)); }}>
    <label for="asof">${t('travel.label')}</label>
    <input id="asof" type="datetime-local" step="1" value=${v} onInput=${(e) => setV(e.target.value)} />
    <button class="btn" type="submit">${t('travel.go')}</button>
    ${asOf ? html`<button class="btn ghost" type="button" onClick=${() => go(null)}>${t('travel.now')}</button>` : null}
  </form>`;
}

function Shell({ ctx, route, conn }) {
  const mainRef = useRef(null);
  const asOf = route.params.asOf || null;
  useEffect(() => { mainRef.current && mainRef.current.focus({ preventScroll: true }); }, [route.path]);
  const signOut = async () => {
    // A link's token exists only for this board session: end it on the server too.
    if (getSession()?.via === 'link') {
      try { await gql('mutation($id: ID!) { revokeToken(input: {tokenId: $id, reason: "signed out"}) { sequence } }', { id: ctx.me.tokenId }); } catch { /* already over */ }
    }
    endSession('signedOut');
  };
  const View = route.route ? route.route.view : null;
  const c = { ...ctx, asOf, route };
  return html`<${Ctx.Provider} value=${c}>
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); mainRef.current?.focus(); }}>${t('nav.skip')}</a>
    <header class="top">
      <div class="brand"><a href="#/">${t('app.name')}</a><span class="sub">${t('app.tagline')}</span></div>
      <nav aria-label=${t('nav.label')}>
        <ul>${routes.filter((r) => r.nav).map((r) => html`<li><a href=${r.href} aria-current=${route.route === r ? 'page' : undefined}>${t(r.nav)}</a></li>`)}
        <li><a href="/graphql">${t('nav.explorer')}</a></li></ul>
      </nav>
      <div class="tools">
        <${ConnStatus} status=${conn} asOf=${asOf} />
        <${LangSwitch} />
        <span class="who"><span translate=${false}>${ctx.me.user}</span> · ${name(ctx.me.org)} · ${t('enum.Role.' + ctx.me.role)}</span>
        <button type="button" class="btn ghost" onClick=${signOut}>${t('signin.signOut')}</button>
      </div>
    </header>
    ${(route.route && route.route.timeTravel) || (conn === 'reconnecting' && !asOf) ? html`<div class="bar">
      <${TimeTravel} asOf=${asOf} route=${route} />
      ${conn === 'reconnecting' && !asOf ? html`<p class="reconnecting" role="alert">${t('conn.reconnectingLong')}</p>` : null}
    </div>` : null}
    ${asOf ? html`<p class="pastbanner" role="status">${t('travel.banner', { at: fmtDateTime(asOf, true) })}</p>` : null}
    <main id="main" ref=${mainRef} tabindex="-1">
      ${View ? html`<${View} key=${route.path + '|' + (asOf || '')} args=${route.args} />` : html`<h1>${t('notFound.title')}</h1><p><a href="#/">${t('nav.board')}</a></p>`}
    </main>
  </${Ctx.Provider}>`;
}

function App() {
  const [sess, setSess] = useState(getSession());
  const [, setLangState] = useState(getLang());
  const [ctx, setCtx] = useState(null);
  const [err, setErr] = useState(null);
  const [route, setRoute] = useState(parseHash());
  const [conn, setConn] = useState(live.status);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => onSession((s) => { setSess(s); if (!s) setCtx(null); }), []);
  useEffect(() => onLang(setLangState), []);
  useEffect(() => live.onStatus(setConn), []);
  useEffect(() => {
    const f = () => setRoute(parseHash());
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  useEffect(() => {
    if (!sess) return undefined;
    let timer;
    (async () => {
      try {
        const first = prefetched;
        prefetched = null;
        const [d, meta] = await (first || Promise.all([gql(ME), fetchMeta()]));
        const orgs = Object.fromEntries(d.organisations.map((o) => [o.slug, o]));
        setErr(null);
        setCtx({ me: d.me, meta, orgs });
        // The session ends with the token; the server also closes the websocket then.
        const left = new Date(d.me.expiresAt).getTime() - Date.now();
        if (left < 2 ** 31 - 1) timer = setTimeout(() => endSession('expired'), Math.max(0, left));
      } catch (e) {
        setErr(e); // UNAUTHENTICATED already ended the session
      }
    })();
    return () => clearTimeout(timer);
  }, [sess, attempt]);
  if (!sess) return html`<${SignIn} error=${err} />`;
  if (!ctx && err) {
    return html`<main id="main" class="signin" tabindex="-1"><h1>${t('common.loadFailed')}</h1><${ErrorText} err=${err} />
      <p><button class="btn primary" type="button" onClick=${() => { setErr(null); setAttempt(attempt + 1); }}>${t('common.retry')}</button>
      <button class="btn ghost" type="button" onClick=${() => endSession('signedOut')}>${t('signin.signOut')}</button></p></main>`;
  }
  if (!ctx) return html`<main id="main" class="loading" tabindex="-1"><p role="status">${t('common.loading')}</p></main>`;
  return html`<${Shell} ctx=${ctx} route=${route} conn=${conn} />`;
}

async function boot() {
  loadSession();
  if (getSession() && !linkCode) {
    prefetched = Promise.all([gql(ME), fetchMeta()]);
    prefetched.catch(() => {}); // the App reports it
  }
  await loadCatalogues();
  let linkErr = null;
  if (linkCode) {
    try {
      startSession(await redeemLink(linkCode), 'link');
    } catch (e) {
      linkErr = e instanceof ApiError ? e : new ApiError('INTERNAL', String(e));
    }
    linkCode = null;
  }
  const root = document.getElementById('app');
  root.textContent = '';
  render(linkErr ? html`<${LinkFailed} err=${linkErr} />` : html`<${App} />`, root);
}

function LinkFailed({ err }) {
  const [gone, setGone] = useState(false);
  if (gone || getSession()) return html`<${App} />`;
  return html`<main id="main" class="signin" tabindex="-1"><h1>${t('signin.linkFailed')}</h1><${ErrorText} err=${err} />
    <p><button class="btn" type="button" onClick=${() => setGone(true)}>${t('signin.title')}</button></p></main>`;
}

boot();
