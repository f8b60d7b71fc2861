// The offline GraphQL explorer (GraphiQL, served by the binary) for partner engineers wiring a
// feed. Queries and mutations go over POST /graphql; subscriptions over graphql-transport-ws.
// The Authorization header comes from the headers editor, prefilled with the board's token when
// this tab is signed in to the board.
(function () {
  'use strict';
  var session = null;
  try { session = JSON.parse(sessionStorage.getItem('dieuphoi.session') || 'null'); } catch (e) { session = null; }
  var defaultHeaders = JSON.stringify({ Authorization: 'Bearer ' + (session && session.token ? session.token : '<token from `dieuphoi token`>') }, null, 2);

  function isSubscription(params) {
    var q = (params.query || '').replace(/#[^\n]*/g, '');
    if (params.operationName) {
      return new RegExp('subscription\\s+' + params.operationName + '\\b').test(q);
    }
    return /^\s*subscription\b/.test(q);
  }

  // subscribe returns an async iterator over a graphql-transport-ws subscription.
  function subscribe(params, authorization) {
    var queue = [];
    var waiting = null;
    var done = false;
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';
    var ws = new WebSocket(url, 'graphql-transport-ws');
    function push(v) {
      if (waiting) { var w = waiting; waiting = null; w(v); } else { queue.push(v); }
    }
    function finish(v) { if (!done) { done = true; push(v || { done: true, value: undefined }); } }
    ws.onopen = function () { ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: authorization || '' } })); };
    ws.onmessage = function (ev) {
      var m = JSON.parse(ev.data);
      if (m.type === 'connection_ack') {
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: params.query, variables: params.variables || {}, operationName: params.operationName } }));
      } else if (m.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong' }));
      } else if (m.type === 'next') {
        push({ done: false, value: m.payload });
      } else if (m.type === 'error') {
        push({ done: false, value: { errors: m.payload } });
        finish();
      } else if (m.type === 'complete') {
        finish();
      }
    };
    ws.onclose = function (ev) {
      if (!done) push({ done: false, value: { errors: [{ message: 'websocket closed: ' + ev.code + ' ' + ev.reason }] } });
      finish();
    };
    var it = {
      next: function () {
        if (queue.length) return Promise.resolve(queue.shift());
        if (done) return Promise.resolve({ done: true, value: undefined });
        return new Promise(function (resolve) { waiting = resolve; });
      },
      return: function () {
        if (ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify({ id: '1', type: 'complete' })); ws.close(1000, 'done'); }
        finish();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
    it[Symbol.asyncIterator] = function () { return it; };
    return it;
  }

  function fetcher(params, opts) {
    var headers = { 'Content-Type': 'application/json' };
    var extra = (opts && opts.headers) || {};
    Object.keys(extra).forEach(function (k) { headers[k] = extra[k]; });
    var auth = headers.Authorization || headers.authorization;
    if (isSubscription(params)) return subscribe(params, auth);
    return fetch('/graphql', { method: 'POST', headers: headers, body: JSON.stringify(params) }).then(function (r) { return r.json(); });
  }

  var root = ReactDOM.createRoot(document.getElementById('explorer'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultHeaders: defaultHeaders,
    headers: defaultHeaders,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    defaultQuery: '# dieuphoi GraphQL API: the schema is in the Docs panel.\n# Put your token in the Headers tab as {"Authorization": "Bearer <token>"}.\n\nquery Board {\n  board(first: 10) {\n    totalCount\n    nodes { id title status phase tlp drill }\n  }\n}\n',
  }));
})();
