import type { ProcedureContext } from '../db/sqlite-procedures.js';
import {
  type CatchUpFrame,
  type ChainedPage,
  type ChainedPageQuery,
  type PageQuery,
  readFrameSqlite,
} from './service.js';

// Where each catch-up chain's latest page ended, until the page asked for behind it takes it.
// A chain whose connection closed leaves its last entry: the oldest go beyond a bound, and a
// page that finds its entry gone answers `lost` (the event loop then asks with the cursor).
const ends = new Map<number, { cursor: number; done: boolean }>();
const CHAINS = 4096;

/** Procedures of the SQLite thread (db/sqlite-thread.ts) for sync. */
export const procedures = {
  /** A catch-up page read in one snapshot and serialized on the thread, its messages by SQLite itself. */
  catchUpFrame: ({ sqlite }: ProcedureContext, query: PageQuery): Promise<CatchUpFrame> =>
    readFrameSqlite(sqlite, query),

  /** The same, as a page of a chain: `after: null` continues where the chain's page before ended. */
  async catchUpChained({ sqlite }: ProcedureContext, query: ChainedPageQuery): Promise<ChainedPage> {
    let after = query.after;
    if (after === null) {
      const end = ends.get(query.chain);
      ends.delete(query.chain);
      if (!end) return 'lost';
      if (end.done) return 'ended';
      after = end.cursor;
    }
    const frame = await readFrameSqlite(sqlite, { userId: query.userId, limit: query.limit, after });
    ends.delete(query.chain);
    ends.set(query.chain, { cursor: frame.cursor, done: frame.done });
    if (ends.size > CHAINS) ends.delete(ends.keys().next().value as number);
    return frame;
  },
};
