// Loading a screen's data and keeping it live, as the board, queues and incident do it: read the
// read models' sequence first, query at least that far (minSequence), subscribe from it (since),
// and on each change query again at least as far as the change; a change arriving during a query
// queries once more afterwards, so the last one is never missed. After a feed error the screen
// reloads and the subscription resumes from the sequence it reached.
import { useState, useEffect, useRef } from '../vendor/preact-htm/standalone.module.js';
import { gql, live } from './api.js';

// readSequence returns the sequence the read models have applied.
export async function readSequence() {
  return (await gql('{ board(first: 1) { sequence } }')).board.sequence;
}

// useLoad runs fetcher(minSequence) whenever deps change (minSequence: the read models' sequence
// at the first load, then that of the last change); it returns {data, err, reload, set, seq}.
// reload(seq) fetches again at least as far as seq; set(data) replaces the data (a change that
// carries it); seq is a ref to the sequence the data is current with.
export function useLoad(fetcher, deps) {
  const [data, setData] = useState(null);
  const [err, setErr] = useState(null);
  const state = useRef({ busy: false, again: false });
  const seq = useRef(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const reload = async (at) => {
    const s = state.current;
    if (at) seq.current = Math.max(seq.current, at);
    if (s.busy) { s.again = true; return; }
    s.busy = true;
    try {
      do {
        s.again = false;
        if (!seq.current) seq.current = await readSequence();
        const d = await fetcherRef.current(seq.current || null);
        setData(d);
        setErr(null);
      } while (s.again);
    } catch (e) {
      setErr(e);
    } finally {
      s.busy = false;
    }
  };
  useEffect(() => {
    seq.current = 0;
    setData(null);
    reload();
  }, deps);
  return { data, err, reload, set: setData, seq };
}

// useFeed keeps a loaded screen live while on: query is a subscription taking $since (and
// variables); onChange(payload) receives each message's first field, whose sequence the feed
// resumes from. By default a change reloads the screen at least as far as it.
export function useFeed(on, loaded, query, variables, onChange) {
  const cb = useRef(onChange);
  cb.current = onChange;
  useEffect(() => {
    if (!on) return undefined;
    const since = loaded.seq.current || undefined;
    const sub = live.subscribe({
      query, variables, since,
      onNext: (d) => {
        const c = Object.values(d)[0];
        if (cb.current) {
          loaded.seq.current = Math.max(loaded.seq.current, c.sequence || 0);
          cb.current(c);
        }
        else loaded.reload(c.sequence);
      },
      onError: () => loaded.reload().then(() => sub.restart(loaded.seq.current || undefined)),
    });
    return () => sub.unsubscribe();
  }, [on, JSON.stringify(variables)]);
}
