import { z } from 'zod';
import { ClientMsgId, Cursor, Id, Seq } from '../ids.js';
import { LIMITS, SEND_CONTENT_RULE } from '../models.js';

/** A client-chosen request id; the server echoes it in `ack` or `error`. */
export const RequestId = z.string().min(1).max(64);

const Text = z.string().min(1).max(LIMITS.textLength);
const Emoji = z.string().min(1).max(32);

/** First frame on every connection: protocol version, session token and the sync position. */
export const HelloFrame = z.object({
  type: z.literal('hello'),
  protocolVersion: z.number().int(),
  token: z.string().min(1).max(256),
  /** Last cursor the client has fully applied; omit or null to skip catch-up. */
  cursor: Cursor.nullish(),
});

/**
 * Send a message: text, or a file uploaded before (`mediaId`) with an optional caption in `text`.
 * Retrying with the same `clientMsgId` returns the original message.
 */
export const SendFrame = z
  .object({
    type: z.literal('send'),
    id: RequestId,
    conversationId: Id,
    clientMsgId: ClientMsgId,
    text: Text.optional(),
    mediaId: Id.optional(),
    replyToId: Id.optional(),
    /** Staff in a customer conversation: a private note the customer never receives. */
    note: z.boolean().optional(),
  })
  .refine(...SEND_CONTENT_RULE);

/** Edit one's own text message. */
export const EditFrame = z.object({
  type: z.literal('edit'),
  id: RequestId,
  messageId: Id,
  text: Text,
});

/** Delete one's own message for everyone (admins may delete any message in a group). */
export const DeleteFrame = z.object({ type: z.literal('delete'), id: RequestId, messageId: Id });

/** Add or remove one reaction. */
export const ReactFrame = z.object({
  type: z.literal('react'),
  id: RequestId,
  messageId: Id,
  emoji: Emoji,
  remove: z.boolean().optional(),
});

/** Move the sender's delivered or read watermark forward (never back). */
export const ReceiptFrame = z.object({
  type: z.literal('receipt'),
  id: RequestId.optional(),
  kind: z.enum(['delivered', 'read']),
  conversationId: Id,
  seq: Seq,
});

/** Typing indicator; ephemeral, never stored. */
export const TypingFrame = z.object({
  type: z.literal('typing'),
  conversationId: Id,
  typing: z.boolean(),
  /** Typing a private note: only staff see it (the collision hint), never the customer. */
  note: z.boolean().optional(),
});

/** Ask for every change after `cursor` again (normally hello does this). */
export const SyncFrame = z.object({ type: z.literal('sync'), id: RequestId, cursor: Cursor });

/** Keepalive; answered with `pong`. */
export const PingFrame = z.object({ type: z.literal('ping'), id: RequestId.optional() });

/** Every frame a client may send, discriminated on `type`. */
export const ClientFrame = z.discriminatedUnion('type', [
  HelloFrame,
  SendFrame,
  EditFrame,
  DeleteFrame,
  ReactFrame,
  ReceiptFrame,
  TypingFrame,
  SyncFrame,
  PingFrame,
]);
/** Every frame a client may send. */
export type ClientFrame = z.infer<typeof ClientFrame>;
/** The `type` values a client may send. */
export type ClientFrameType = ClientFrame['type'];
/** One client frame by its `type`. */
export type ClientFrameOf<TType extends ClientFrameType> = Extract<ClientFrame, { type: TType }>;
