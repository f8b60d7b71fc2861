// The board's only ways to the service: GraphQL over HTTP with the bearer token, the board's two
// small endpoints, and one graphql-transport-ws websocket for every live subscription. The token
// lives in sessionStorage (this tab only) and in memory; it never goes into a URL.
const TOKEN_KEY = 'dieuphoi.session';

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code || 'INTERNAL';
    this.status = status;
  }
}

let session = null; // {token, via: 'link' | 'paste'}
const sessionListeners = new Set();
export let endedReason = null; // why the last session ended: 'expired', 'revoked', 'signedOut', ...

export function loadSession() {
  try { session = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || 'null'); } catch { session = null; }
  return session;
}

export function getSession() { return session; }

export function startSession(token, via) {
  session = { token: token.trim(), via };
  endedReason = null;
  try { sessionStorage.setItem(TOKEN_KEY, JSON.stringify(session)); } catch { /* memory only */ }
  sessionListeners.forEach((f) => f(session));
}

// endSession forgets the token; reason says why, for the sign-in screen to tell.
export function endSession(reason) {
  if (!session) return;
  session = null;
  endedReason = reason || null;
  try { sessionStorage.removeItem(TOKEN_KEY); } catch { /* nothing kept */ }
  live.close();
  sessionListeners.forEach((f) => f(null));
}

export function onSession(f) { sessionListeners.add(f); return () => sessionListeners.delete(f); }

function authHeaders() {
  return session ? { Authorization: 'Bearer ' + session.token } : {};
}

function firstError(body) {
  const e = body && Array.isArray(body.errors) && body.errors[0];
  return e ? new ApiError(e.extensions?.code || 'INTERNAL', e.message) : null;
}

// unauthenticated ends the session when the server no longer takes the token.
function unauthenticated(err) {
  if (err && err.code === 'UNAUTHENTICATED') {
    endSession(/revoked/.test(err.message) ? 'revoked' : /expired/.test(err.message) ? 'expired' : 'rejected');
  }
}

// gql runs a query or mutation and returns data; any error is thrown as an ApiError with the
// server's code.
export async function gql(query, variables = {}) {
  let res;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authHeaders() },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('NETWORK', 'network');
  }
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const err = firstError(body) || (res.ok ? null : new ApiError(res.status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL', '', res.status));
  if (err) {
    unauthenticated(err);
    throw err;
  }
  return body.data;
}

async function postJSON(path, payload, method = 'POST') {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: method === 'POST' ? { 'Content-Type': 'application/json', ...authHeaders() } : authHeaders(),
      body: method === 'POST' ? JSON.stringify(payload) : undefined,
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('NETWORK', 'network');
  }
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const err = firstError(body) || (res.ok ? null : new ApiError('INTERNAL', '', res.status));
  if (err) throw err;
  return body;
}

// redeemLink exchanges a sign-in link's code for a token, once (the code is then spent).
export async function redeemLink(code) {
  const body = await postJSON('/board/api/signin', { code });
  return body.token;
}

export async function fetchMeta() {
  try {
    return await postJSON('/board/api/meta', null, 'GET');
  } catch (e) {
    unauthenticated(e);
    throw e;
  }
}

export function newCommandId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// Live is one graphql-transport-ws connection shared by every subscription on screen. After a
// disconnect it reconnects with backoff and subscribes again from the last sequence each
// subscription received (since), so no change is lost or repeated. A close with 4403 (token
// expired or revoked) ends the session.
class Live {
  constructor() {
    this.subs = new Map();
    this.ws = null;
    this.acked = false;
    this.status = 'idle'; // idle | connecting | live | reconnecting
    this.attempt = 0;
    this.timer = null;
    this.nextId = 1;
    this.listeners = new Set();
  }

  onStatus(f) { this.listeners.add(f); return () => this.listeners.delete(f); }

  setStatus(s) {
    if (this.status === s) return;
    this.status = s;
    this.listeners.forEach((f) => f(s));
  }

  // subscribe starts a subscription. opts: {query, variables, since, onNext(data), onError(err)}.
  // It returns an object with unsubscribe() and setSince(seq).
  subscribe(opts) {
    const sub = { id: String(this.nextId++), ...opts };
    this.subs.set(sub.id, sub);
    if (this.acked) this.send(sub);
    else this.connect();
    return {
      unsubscribe: () => {
        if (!this.subs.delete(sub.id)) return;
        if (this.acked) this.raw({ id: sub.id, type: 'complete' });
        if (this.subs.size === 0) this.idleClose();
      },
      restart: (since) => {
        sub.since = since;
        if (this.acked) { this.raw({ id: sub.id, type: 'complete' }); this.send(sub); }
      },
    };
  }

  send(sub) {
    const variables = { ...(sub.variables || {}) };
    if (sub.since !== undefined && sub.since !== null) variables.since = sub.since;
    this.raw({ id: sub.id, type: 'subscribe', payload: { query: sub.query, variables } });
  }

  raw(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  connect() {
    if (this.ws || !session) return;
    clearTimeout(this.timer);
    this.setStatus(this.attempt > 0 ? 'reconnecting' : 'connecting');
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';
    const ws = new WebSocket(url, 'graphql-transport-ws');
    this.ws = ws;
    this.acked = false;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer ' + session.token } }));
    ws.onmessage = (ev) => this.message(ev);
    ws.onclose = (ev) => this.closed(ws, ev);
  }

  message(ev) {
    let m;
    try { m = JSON.parse(ev.data); } catch { return; }
    switch (m.type) {
      case 'connection_ack':
        this.acked = true;
        this.attempt = 0;
        this.setStatus('live');
        this.subs.forEach((s) => this.send(s));
        break;
      case 'ping':
        this.raw({ type: 'pong' });
        break;
      case 'next': {
        const sub = this.subs.get(m.id);
        if (!sub) return;
        const data = m.payload && m.payload.data;
        if (m.payload && m.payload.errors && m.payload.errors.length) {
          const e = m.payload.errors[0];
          sub.onError && sub.onError(new ApiError(e.extensions?.code || 'INTERNAL', e.message));
          return;
        }
        if (data) {
          const v = Object.values(data)[0];
          const seq = v && (v.sequence ?? v.alertSequence);
          if (seq !== undefined && seq !== null) sub.since = seq;
          sub.onNext(data);
        }
        break;
      }
      case 'error': {
        const sub = this.subs.get(m.id);
        const e = Array.isArray(m.payload) ? m.payload[0] : m.payload;
        if (sub && sub.onError) sub.onError(new ApiError(e?.extensions?.code || 'INTERNAL', e?.message));
        break;
      }
      case 'complete':
        // The server ended the subscription (it was cut off): subscribe again from since.
        if (this.subs.has(m.id) && this.acked) this.send(this.subs.get(m.id));
        break;
    }
  }

  closed(ws, ev) {
    if (this.ws !== ws) return;
    this.ws = null;
    this.acked = false;
    if (ev.code === 4403) {
      // connection_init refused, or the token expired or was revoked while connected.
      this.setStatus('idle');
      endSession(/revoked/.test(ev.reason) ? 'revoked' : /expired/.test(ev.reason) ? 'expired' : 'rejected');
      return;
    }
    if (!session || this.subs.size === 0) { this.setStatus('idle'); return; }
    this.attempt++;
    this.setStatus('reconnecting');
    const delay = Math.min(5000, 250 * 2 ** Math.min(this.attempt - 1, 5)) * (0.75 + Math.random() / 2);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  idleClose() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { if (this.subs.size === 0) this.close(); }, 3000);
  }

  close() {
    clearTimeout(this.timer);
    this.subs.clear();
    this.attempt = 0;
    const ws = this.ws;
    this.ws = null;
    this.acked = false;
    if (ws) ws.close(1000, 'bye');
    this.setStatus('idle');
  }

  // drop closes the socket as a network failure would (for tests of the reconnecting state).
  drop() { if (this.ws) this.ws.close(4000, 'dropped'); }
}

export const live = new Live();
