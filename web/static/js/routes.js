// The board's screens: a path pattern, a nav label key (or none) and a view each. A later screen
// (STIX exports) is one more entry here.
import { Board } from './board.js';
import { IncidentView } from './incident.js';
import { EscalationQueue, HandoffInbox } from './queues.js';
import { Alerts } from './alerts.js';
import { ReviewList, ReviewView } from './review.js';
import { WhoKnewWhat } from './knowledge.js';
import { Deadlines } from './deadlines.js';
import { IncidentReports, PeriodicReports } from './reports.js';

export const routes = [
  { path: /^\/?$/, nav: 'nav.board', href: '#/', view: Board, timeTravel: true },
  { path: /^\/incident\/([^/]+)$/, view: IncidentView, timeTravel: true },
  { path: /^\/queue$/, nav: 'nav.queue', href: '#/queue', view: EscalationQueue },
  { path: /^\/inbox$/, nav: 'nav.inbox', href: '#/inbox', view: HandoffInbox },
  { path: /^\/alerts$/, nav: 'nav.alerts', href: '#/alerts', view: Alerts },
  { path: /^\/reviews$/, nav: 'nav.reviews', href: '#/reviews', view: ReviewList },
  { path: /^\/review\/([^/]+)$/, view: ReviewView },
  { path: /^\/incident\/([^/]+)\/who$/, view: WhoKnewWhat, timeTravel: true },
  { path: /^\/incident\/([^/]+)\/reports$/, view: IncidentReports },
  { path: /^\/deadlines$/, nav: 'nav.deadlines', href: '#/deadlines', view: Deadlines },
  { path: /^\/reports$/, nav: 'nav.reports', href: '#/reports', view: PeriodicReports },
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
