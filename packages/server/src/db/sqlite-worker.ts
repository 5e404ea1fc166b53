import { parentPort, workerData } from 'node:worker_threads';
import { loadProcedures, ProcedureConnection } from './sqlite-procedures.js';
import type { ThreadReply, ThreadRequest } from './sqlite-thread.js';

const {
  path,
  autocheckpoint,
  procedures: modules,
  attach,
} = workerData as {
  path: string;
  autocheckpoint: number;
  procedures: string[];
  attach: Record<string, string>;
};
const port = parentPort;
if (!port) throw new Error('the SQLite thread runs in a worker');

const connection = new ProcedureConnection(path, { autocheckpoint, attach });
const registry = await loadProcedures(modules);

port.postMessage('ready');

function statement(m: Extract<ThreadRequest, { sql: string }>): ThreadReply {
  if (m.begin) connection.sqlite.exec('begin');
  const stmt = connection.prepare(m.sql);
  if (stmt.reader) return { id: m.id, rows: stmt.all(m.params) };
  const r = stmt.run(m.params);
  return { id: m.id, changes: r.changes, insertId: r.lastInsertRowid };
}

async function procedure(m: Extract<ThreadRequest, { procedure: string }>): Promise<ThreadReply> {
  const run = registry.get(m.procedure);
  if (!run) throw new Error(`no procedure ${m.procedure}`);
  const { output, synced } = await connection.run(run, m.input, m.sync);
  return { id: m.id, output, ...(m.sync ? { synced } : {}) };
}

/**
 * The byte arrays of a procedure's output that own their memory: they move to the event loop
 * instead of being copied (a catch-up page is hundreds of KB). Views into a shared pool stay.
 */
function transferable(reply: ThreadReply): ArrayBuffer[] {
  const out = reply.output;
  if (typeof out !== 'object' || out === null) return [];
  return Object.values(out).flatMap((v) =>
    v instanceof Uint8Array &&
    v.byteOffset === 0 &&
    v.byteLength === v.buffer.byteLength &&
    v.buffer instanceof ArrayBuffer
      ? [v.buffer]
      : [],
  );
}

const failure = (id: number, err: unknown): ThreadReply => {
  const e = err as { message?: string; code?: string; name?: string };
  return { id, error: { message: String(e?.message ?? err), code: e?.code, name: e?.name } };
};

// Requests are handled strictly one after another: a procedure's awaits only wait for
// Kysely's already-settled promises, but a statement must never run inside its transaction.
let chain = Promise.resolve();
port.on('message', (m: ThreadRequest | 'close') => {
  chain = chain.then(async () => {
    if (m === 'close') {
      await connection.close();
      process.exit(0);
    }
    try {
      const reply = 'sql' in m ? statement(m) : await procedure(m);
      port.postMessage(reply, transferable(reply));
    } catch (err) {
      // Also what cannot be cloned for the answer: the caller must hear back either way.
      port.postMessage(failure(m.id, err));
    }
  });
});
