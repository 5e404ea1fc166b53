/**
 * @kurier/protocol — every wire shape of Kurier: zod schemas, inferred types, error codes.
 *
 * @example
 * import { ClientFrame, PROTOCOL_VERSION } from '@kurier/protocol';
 * const frame = ClientFrame.parse(JSON.parse(raw));
 */

/** The realtime protocol version; `hello` carries it and the server refuses others. */
export const PROTOCOL_VERSION = 1;

export * from './errors.js';
export * from './http/accounts.js';
export * from './http/contacts.js';
export * from './http/conversations.js';
export * from './http/inbox.js';
export * from './http/media.js';
export * from './http/widget.js';
export * from './ids.js';
export * from './models.js';
export * from './ws/client-frames.js';
export * from './ws/server-frames.js';
