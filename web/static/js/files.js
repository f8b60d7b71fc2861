// Files the board moves: evidence up and down over HTTP with the bearer token in a header (never
// in a URL), and reports, which GraphQL returns as base64, handed to the browser as downloads.
// Nothing leaves the page for another host: a download is a blob: URL of bytes already here.
import { getSession, ApiError, newCommandId } from './api.js';

function authHeaders() {
  const s = getSession();
  return s ? { Authorization: 'Bearer ' + s.token } : {};
}

// failure reads the evidence endpoints' coded error ({"error": {code, message}}).
async function failure(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const e = body && (body.error || (Array.isArray(body.errors) && body.errors[0]));
  const code = (e && (e.code || e.extensions?.code)) || (res.status === 401 ? 'UNAUTHENTICATED' : res.status === 413 ? 'TOO_LARGE' : 'INTERNAL');
  return new ApiError(code, (e && e.message) || '', res.status);
}

async function send(url, init) {
  try {
    return await fetch(url, { cache: 'no-store', ...init });
  } catch {
    throw new ApiError('NETWORK', 'network');
  }
}

// saveBlob hands bytes to the browser as a download named name.
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// base64Blob turns a report's base64 content into a Blob of its content type.
export function base64Blob(b64, type) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}

// sha256Base64 computes a file's SHA-256 where the browser offers it (a secure context:
// https or the loopback address); null elsewhere, and the server computes it anyway.
async function sha256Base64(file) {
  if (!globalThis.crypto || !crypto.subtle) return null;
  const sum = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
  let s = '';
  sum.forEach((b) => { s += String.fromCharCode(b); });
  return btoa(s);
}

// uploadEvidence sends one file to an incident; meta: {system, tlp, collectedAt, description}.
// The file's SHA-256 goes along as Content-Digest, so a file damaged on the way is refused.
export async function uploadEvidence(incidentId, file, meta) {
  const q = new URLSearchParams({ name: file.name, system: meta.system, commandId: newCommandId() });
  if (meta.tlp) q.set('tlp', meta.tlp);
  if (meta.collectedAt) q.set('collectedAt', meta.collectedAt);
  if (meta.description) q.set('description', meta.description);
  const headers = { ...authHeaders(), 'Content-Type': file.type || 'application/octet-stream' };
  const digest = await sha256Base64(file);
  if (digest) headers['Content-Digest'] = 'sha-256=:' + digest + ':';
  const res = await send('/api/v1/incidents/' + encodeURIComponent(incidentId) + '/evidence?' + q, { method: 'POST', headers, body: file });
  if (!res.ok) throw await failure(res);
  return res.json();
}

// downloadEvidence fetches a file with the token (the download is recorded) and saves it.
export async function downloadEvidence(path, name) {
  const res = await send(path + '?' + new URLSearchParams({ commandId: newCommandId() }), { headers: authHeaders() });
  if (!res.ok) throw await failure(res);
  saveBlob(await res.blob(), name);
}
