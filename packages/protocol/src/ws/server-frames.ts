import { z } from 'zod';
import { ERROR_CODES } from '../errors.js';
import { InboxChange } from '../http/inbox.js';
import { Cursor, Id, Timestamp } from '../ids.js';
import { ChatPrefs, Conversation, Member, Message } from '../models.js';
import { RequestId } from './client-frames.js';

/** One durable change in a user's stream; clients upsert by id. */
export const Change = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('message'), message: Message }),
  z.object({ kind: z.literal('member'), member: Member }),
  z.object({ kind: z.literal('conversation'), conversation: Conversation }),
  /** The user's own pin, mute or archive state of a chat; only their devices receive it. */
  z.object({ kind: z.literal('prefs'), prefs: ChatPrefs }),
  /**
   * The inbox state of a customer conversation, for staff who may see it. Live only: it is not
   * part of the sync stream, so inbox views reload after a reconnect.
   */
  InboxChange,
]);
/** One durable change in a user's stream. */
export type Change = z.infer<typeof Change>;

/**
 * The change id of a change, whatever its kind.
 *
 * @example
 * const cursor = changeIdOf(frame.changes.at(-1));
 */
export function changeIdOf(change: Change): number {
  switch (change.kind) {
    case 'message':
      return change.message.changeId;
    case 'member':
      return change.member.changeId;
    case 'conversation':
      return change.conversation.changeId;
    case 'prefs':
      return change.prefs.changeId;
    case 'inbox':
      return change.item.changeId;
  }
}

/** Answer to `hello`. `cursor` is the server's current head. */
export const WelcomeFrame = z.object({
  type: z.literal('welcome'),
  protocolVersion: z.number().int(),
  userId: Id,
  sessionId: Id,
  cursor: Cursor,
  serverTime: Timestamp,
});

/**
 * Success for a request; `message` is the resulting message state where there is one. The ack of
 * a send that created its message stands in the change stream in that change's place and carries
 * its `cursor` (rule M12): the sending connection gets no `changes` frame for it. Apply the
 * message, then store `cursor`, as for a `changes` frame.
 */
export const AckFrame = z.object({
  type: z.literal('ack'),
  id: RequestId,
  message: Message.optional(),
  cursor: Cursor.optional(),
});

/** A typed failure; `id` names the request it answers, if any. The connection stays open. */
export const ErrorFrame = z.object({
  type: z.literal('error'),
  id: RequestId.nullable(),
  code: z.enum(ERROR_CODES as [string, ...string[]]),
  message: z.string(),
});

/**
 * Durable changes in commit order. After `hello` with a cursor the server sends catch-up pages
 * (`live: false`) ending with `done: true`, then live frames (`live: true`). Apply the changes,
 * then store `cursor`.
 */
export const ChangesFrame = z.object({
  type: z.literal('changes'),
  changes: z.array(Change),
  cursor: Cursor,
  live: z.boolean(),
  done: z.boolean(),
});

/** Another member is typing (or stopped). */
export const TypingEventFrame = z.object({
  type: z.literal('typing'),
  conversationId: Id,
  userId: Id,
  typing: z.boolean(),
});

/** A user you share a conversation with came online or went offline. */
export const PresenceFrame = z.object({
  type: z.literal('presence'),
  userId: Id,
  online: z.boolean(),
  lastSeenAt: Timestamp.nullable(),
});

/** Answer to `ping`. */
export const PongFrame = z.object({
  type: z.literal('pong'),
  id: RequestId.optional(),
  serverTime: Timestamp,
});

/** Every frame the server may send, discriminated on `type`. */
export const ServerFrame = z.discriminatedUnion('type', [
  WelcomeFrame,
  AckFrame,
  ErrorFrame,
  ChangesFrame,
  TypingEventFrame,
  PresenceFrame,
  PongFrame,
]);
/** Every frame the server may send. */
export type ServerFrame = z.infer<typeof ServerFrame>;
/** One server frame by its `type`. */
export type ServerFrameOf<TType extends ServerFrame['type']> = Extract<ServerFrame, { type: TType }>;
