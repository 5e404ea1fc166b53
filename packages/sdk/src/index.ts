/**
 * @kurier/sdk — the typed Kurier client for Node and browsers.
 *
 * @example
 * import { KurierClient } from '@kurier/sdk';
 * import WebSocket from 'ws'; // Node 20 only; browsers and Node 22+ have a global WebSocket
 * const client = new KurierClient({ baseUrl: 'http://localhost:3000', WebSocket });
 */
export { type ClientEvents, KurierClient, newClientMsgId } from './client.js';
export type { ConnectionState } from './connection.js';
export { Emitter } from './emitter.js';
export { KurierApiError } from './errors.js';
export { InboxApi } from './inbox.js';
export type { UploadOptions } from './media.js';
export {
  type ClientOptions,
  type ClientStorage,
  MemoryStorage,
  type WebSocketConstructor,
  type WebSocketLike,
} from './options.js';
export type { OutboxEntry } from './outbox.js';
export { WidgetApi } from './widget.js';
