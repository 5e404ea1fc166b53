import { parentPort, workerData } from 'node:worker_threads';
import { SqliteConnection } from '../db/sqlite-connection.js';
import { checkIndex, indexStep } from './search-index.js';

// The search indexer's thread (messages/search-index.ts): its own connection to the main
// database, which it only reads, with the search database attached, which only it writes.
const { main, search } = workerData as { main: string; search: string };
const port = parentPort;
if (!port) throw new Error('the search indexer runs in a worker');

const connection = new SqliteConnection(main, { autocheckpoint: 16_000, attach: { search } });
checkIndex(connection.cached);
port.postMessage('ready');

// One request at a time; each catches up with every commit made before it arrived.
port.on('message', (m: { id: number } | 'close') => {
  if (m === 'close') {
    void connection.close().then(() => process.exit(0));
    return;
  }
  try {
    let more = true;
    while (more) more = indexStep(connection.cached).more;
    port.postMessage({ id: m.id });
  } catch (err) {
    port.postMessage({ id: m.id, error: String((err as Error)?.message ?? err) });
  }
});
