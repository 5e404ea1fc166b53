import { parentPort, workerData } from 'node:worker_threads';
import { SqliteConnection } from '../db/sqlite-connection.js';
import { yieldToForeground } from '../kernel/foreground.js';
import { checkIndex, indexStep } from './search-index.js';

// The search indexer's thread (messages/search-index.ts): its own connection to the main
// database, which it only reads, with the search database attached, which only it writes.
const { main, search, foreground } = workerData as { main: string; search: string; foreground?: Int32Array };
const port = parentPort;
if (!port) throw new Error('the search indexer runs in a worker');

const connection = new SqliteConnection(main, { autocheckpoint: 16_000, attach: { search } });
checkIndex(connection.cached);

const FOREGROUND_WAIT_MS = 50;
let closing = false;
// One request at a time; each catches up with every commit made before it arrived. Between
// steps the thread looks at its port, so a shutdown does not wait for a long rebuild.
let chain = Promise.resolve();
port.on('message', (m: { id: number } | 'close') => {
  if (m === 'close') closing = true;
  chain = chain.then(async () => {
    if (m === 'close') {
      await connection.close();
      process.exit(0);
    }
    try {
      let more = true;
      while (more && !closing) {
        more = indexStep(connection.cached).more;
        // Between steps the index waits for catch-ups under way (kernel/foreground.ts), briefly.
        if (more && foreground) yieldToForeground(foreground, FOREGROUND_WAIT_MS);
        if (more) await new Promise((r) => setImmediate(r));
      }
      // Cut short by the shutdown: not caught up, so no search may take it as done.
      port.postMessage(more ? { id: m.id, error: 'the search indexer is shutting down' } : { id: m.id });
    } catch (err) {
      port.postMessage({ id: m.id, error: String((err as Error)?.message ?? err) });
    }
  });
});
