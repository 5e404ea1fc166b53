import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Writer } from '../kernel/writer.js';
import type { MessagesStore } from './store.js';

// Large enough that one FTS5 segment covers many commits, small enough that an indexing
// transaction holds the writer (and the event loop: SQLite is synchronous) for about a
// millisecond; 2,000 rows once a second showed up as 2–4 ms stalls in the latency benchmark.
const CHUNK = 1_000;

interface Deps {
  writer: Writer;
  storeOf: (trx: Kysely<DB>) => MessagesStore;
  intervalMs: number;
  onError: (err: unknown) => void;
}

/** The background full-text indexer (SQLite); see migrations/0002-fts-in-background.ts. */
export interface SearchIndexer {
  /** Notes that messages were committed; the next tick indexes them. */
  touch(): void;
  /** Resolves once every message committed before the call is searchable. */
  flush(): Promise<void>;
  /** Stops the timer; a running batch finishes through the writer (its drain waits for it). */
  stop(): void;
}

/** Indexes new message text in batches through the writer, at most once per interval. */
export function searchIndexer({ writer, storeOf, intervalMs, onError }: Deps): SearchIndexer {
  let dirty = false;
  // Each flush chains behind the previous one, so its catch-up starts after the call and sees
  // every commit made before it.
  let tail: Promise<void> = Promise.resolve();

  const catchUp = async () => {
    for (;;) {
      const { more } = await writer.transact(async (trx) => ({ result: await storeOf(trx).indexPendingText(CHUNK) }));
      if (!more) return;
    }
  };
  const flush = () => {
    const next = tail.then(catchUp);
    tail = next.catch(() => {});
    return next;
  };
  const timer = setInterval(() => {
    if (!dirty) return;
    dirty = false;
    flush().catch(onError);
  }, intervalMs);
  timer.unref();

  return {
    touch: () => {
      dirty = true;
    },
    flush,
    stop: () => clearInterval(timer),
  };
}
