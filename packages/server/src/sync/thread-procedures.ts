import type { ProcedureContext } from '../db/sqlite-connection.js';
import { presentStored } from '../messages/present.js';
import { type CatchUpFrame, catchUpFrame, type PageQuery, readPage } from './service.js';

/** Procedures of the SQLite thread (db/sqlite-thread.ts) for sync. */
export const procedures = {
  /** A catch-up page read in one snapshot, presented and serialized on the thread. */
  async catchUpFrame({ trx }: ProcedureContext, query: PageQuery): Promise<CatchUpFrame> {
    return catchUpFrame(await readPage(trx, (rows) => presentStored(trx, 'sqlite', rows), query));
  },
};
