// Large enough that one FTS5 segment covers many commits, small enough that an indexing
// transaction holds the writer (and SQLite's connection) for about a millisecond; 2,000 rows
// once a second showed up as 2–4 ms stalls in the latency benchmark.
const CHUNK = 1_000;

interface Deps {
  /** Indexes up to `chunk` pending messages in one write job; `more` when others wait. */
  indexChunk: (chunk: number) => Promise<{ more: boolean }>;
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
export function searchIndexer({ indexChunk, intervalMs, onError }: Deps): SearchIndexer {
  let dirty = false;
  // Each flush chains behind the previous one, so its catch-up starts after the call and sees
  // every commit made before it.
  let tail: Promise<void> = Promise.resolve();

  const catchUp = async () => {
    for (;;) {
      const { more } = await indexChunk(CHUNK);
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
