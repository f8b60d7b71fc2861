// The board's screens. A later screen (the subcommittee review, who-knew-what-when, reports,
// STIX exports) is one more entry here: a path pattern, a nav label key (or none) and a view.
import { Board } from './board.js';
import { IncidentView } from './incident.js';
import { EscalationQueue, HandoffInbox } from './queues.js';
import { Alerts } from './alerts.js';

export const routes = [
  { path: /^\/?$/, nav: 'nav.board', href: '#/', view: Board, timeTravel: true },
  { path: /^\/incident\/([^/]+)$/, view: IncidentView, timeTravel: true },
  { path: /^\/queue$/, nav: 'nav.queue', href: '#/queue', view: EscalationQueue },
  { path: /^\/inbox$/, nav: 'nav.inbox', href: '#/inbox', view: HandoffInbox },
  { path: /^\/alerts$/, nav: 'nav.alerts', href: '#/alerts', view: Alerts },
];

// parseHash reads "#/incident/ID?asOf=..." into {path, params, route, args}.
export function parseHash() {
  const h = decodeURI(location.hash.replace(/^#/, '')) || '/';
  const [path, query = ''] = h.split('?');
  const params = Object.fromEntries(new URLSearchParams(query));
  for (const r of routes) {
    const m = path.match(r.path);
    if (m) return { path, params, route: r, args: m.slice(1) };
  }
  return { path, params, route: null, args: [] };
}

// hrefFor writes a hash link, keeping the time-travel instant where the screen supports it.
export function hrefFor(path, asOf) {
  return '#' + path + (asOf ? '?asOf=' + encodeURIComponent(asOf) : '');
}
