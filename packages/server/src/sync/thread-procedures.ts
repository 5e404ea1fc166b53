import type { ProcedureContext } from '../db/sqlite-connection.js';
import { type CatchUpFrame, type PageQuery, readFrameSqlite } from './service.js';

/** Procedures of the SQLite thread (db/sqlite-thread.ts) for sync. */
export const procedures = {
  /** A catch-up page read in one snapshot and serialized on the thread, its messages by SQLite itself. */
  catchUpFrame: ({ sqlite }: ProcedureContext, query: PageQuery): Promise<CatchUpFrame> =>
    readFrameSqlite(sqlite, query),
};
