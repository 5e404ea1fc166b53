// Entry of the search indexer's thread (messages/search-index.ts). The server runs its
// TypeScript sources through tsx, and a worker thread starts without the parent's loader hooks.
import { register } from 'tsx/esm/api';

register();
await import('./search-worker.ts');
