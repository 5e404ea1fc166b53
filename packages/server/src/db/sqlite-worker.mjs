// Entry of the SQLite thread (db/sqlite-thread.ts). The server runs its TypeScript sources
// through tsx, and a worker thread starts without the parent's loader hooks.
import { register } from 'tsx/esm/api';

register();
await import('./sqlite-worker.ts');
