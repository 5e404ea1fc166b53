import { z } from 'zod';
import { Cursor, Id, Seq, Timestamp } from './ids.js';

/**
 * Staff roles. Agents answer customers in the team inbox (admins and owners may too); `marketer`
 * arrives with broadcasts.
 */
export const Role = z.enum(['owner', 'admin', 'agent', 'member']);
/** A staff role. */
export type Role = z.infer<typeof Role>;

/** A user as other users see them. */
export const User = z.object({
  id: Id,
  username: z.string(),
  displayName: z.string(),
  role: Role,
  createdAt: Timestamp,
  lastSeenAt: Timestamp.nullable(),
});
/** A user as other users see them. */
export type User = z.infer<typeof User>;

/** One logged-in device. */
export const Session = z.object({
  id: Id,
  deviceName: z.string(),
  createdAt: Timestamp,
  lastUsedAt: Timestamp,
  expiresAt: Timestamp,
  current: z.boolean(),
});
/** One logged-in device. */
export type Session = z.infer<typeof Session>;

/** `customer` is reserved for the team inbox; the core creates `direct` and `group`. */
export const ConversationKind = z.enum(['direct', 'group', 'customer']);
/** The kind of a conversation. */
export type ConversationKind = z.infer<typeof ConversationKind>;

/** A conversation as its members see it. */
export const Conversation = z.object({
  id: Id,
  kind: ConversationKind,
  name: z.string().nullable(),
  createdBy: Id,
  createdAt: Timestamp,
  lastSeq: Seq,
  lastMessageAt: Timestamp.nullable(),
  changeId: Cursor,
});
/** A conversation as its members see it. */
export type Conversation = z.infer<typeof Conversation>;

/** Per-conversation member role. */
export const MemberRole = z.enum(['admin', 'member']);
/** Per-conversation member role. */
export type MemberRole = z.infer<typeof MemberRole>;

/** A member with their receipt watermarks. `leftAt` is set once they left or were removed. */
export const Member = z.object({
  conversationId: Id,
  userId: Id,
  role: MemberRole,
  joinedAt: Timestamp,
  leftAt: Timestamp.nullable(),
  deliveredSeq: Seq,
  readSeq: Seq,
  changeId: Cursor,
});
/** A member with their receipt watermarks. */
export type Member = z.infer<typeof Member>;

/**
 * How one user keeps one chat: pinned to the top, muted until a time, archived. Private to that
 * user (other members never see it) and synced to all of their devices.
 */
export const ChatPrefs = z.object({
  conversationId: Id,
  pinnedAt: Timestamp.nullable(),
  /** Notifications are silenced until this time; `MUTED_FOREVER` means until unmuted. */
  mutedUntil: Timestamp.nullable(),
  archivedAt: Timestamp.nullable(),
  changeId: Cursor,
});
/** How one user keeps one chat. */
export type ChatPrefs = z.infer<typeof ChatPrefs>;

/** `mutedUntil` for "until I unmute it" (the last millisecond of the year 9999). */
export const MUTED_FOREVER = 253_402_300_799_999;

/**
 * Message types the core knows; `template` and `interactive` come with later features. A `note`
 * is a private remark of staff in a customer conversation: the customer never receives it.
 */
export const MessageType = z.enum(['text', 'file', 'system', 'note']);
/** The type of a message. */
export type MessageType = z.infer<typeof MessageType>;

/**
 * Where a customer conversation stands in the team inbox: `open` waits for the team, `pending`
 * waits for the customer, `snoozed` is hidden until a time, `resolved` is done (a new customer
 * message reopens it).
 */
export const InboxStatus = z.enum(['open', 'pending', 'snoozed', 'resolved']);
/** Where a customer conversation stands in the team inbox. */
export type InboxStatus = z.infer<typeof InboxStatus>;

/** What a system message reports; the client renders it in the reader's language. */
export const SystemEvent = z.discriminatedUnion('event', [
  z.object({ event: z.literal('created'), name: z.string().nullable() }),
  z.object({ event: z.literal('member_added'), userIds: z.array(Id) }),
  z.object({ event: z.literal('member_removed'), userIds: z.array(Id) }),
  z.object({ event: z.literal('member_left') }),
  z.object({ event: z.literal('renamed'), name: z.string() }),
  z.object({ event: z.literal('role_changed'), userId: Id, role: MemberRole }),
  /** A customer conversation got an owner (or lost it: `userId` null). The name is a snapshot. */
  z.object({ event: z.literal('assigned'), userId: Id.nullable(), displayName: z.string().nullable() }),
  /**
   * An automatic answer to the customer: `greeting` for a new conversation, `away` outside
   * business hours, `queue` with their place in the queue. The widget words it in the customer's
   * language from the inbox's settings.
   */
  z.object({
    event: z.literal('auto_reply'),
    reply: z.enum(['greeting', 'away', 'queue']),
    position: z.number().int().positive().nullable(),
  }),
  /** A customer conversation was resolved, reopened, set pending or snoozed. */
  z.object({ event: z.literal('status_changed'), status: InboxStatus }),
]);
/** What a system message reports. */
export type SystemEvent = z.infer<typeof SystemEvent>;

/** One emoji reaction and who gave it. */
export const Reaction = z.object({ emoji: z.string(), userIds: z.array(Id) });
/** One emoji reaction and who gave it. */
export type Reaction = z.infer<typeof Reaction>;

/**
 * A stored file as a message references it. The bytes are served by `GET /api/v1/media/:id`
 * (and `/thumbnail` when `hasThumbnail`); `mime` is sniffed from the bytes, never taken from the
 * uploading client. `width`/`height` are set for images, `pageCount` for PDFs whose page tree
 * could be read.
 */
export const MediaRef = z.object({
  id: Id,
  name: z.string(),
  mime: z.string(),
  size: z.number().int().nonnegative(),
  width: z.number().int().positive().nullable(),
  height: z.number().int().positive().nullable(),
  pageCount: z.number().int().nonnegative().nullable(),
  hasThumbnail: z.boolean(),
});
/** A stored file as a message references it. */
export type MediaRef = z.infer<typeof MediaRef>;

/**
 * A message in its current state. Edits, deletion and reactions change the state and its
 * `changeId`; `seq` never changes.
 */
export const Message = z.object({
  id: Id,
  conversationId: Id,
  seq: Seq,
  senderId: Id,
  clientMsgId: z.string().nullable(),
  type: MessageType,
  /** The text, or for `file` messages the optional caption. */
  text: z.string().nullable(),
  system: SystemEvent.nullable(),
  /** The attached file of a `file` message; null otherwise and once the message is deleted. */
  media: MediaRef.nullable(),
  replyToId: Id.nullable(),
  createdAt: Timestamp,
  editedAt: Timestamp.nullable(),
  deletedAt: Timestamp.nullable(),
  reactions: z.array(Reaction),
  changeId: Cursor,
});
/** A message in its current state. */
export type Message = z.infer<typeof Message>;

/**
 * The rule every send (WS `send`, REST send) keeps: text, a file (`mediaId`), or both, in which
 * case the text is the file's caption. Use with `.refine(...SEND_CONTENT_RULE)`.
 */
export const SEND_CONTENT_RULE: [
  check: (body: { text?: string | undefined; mediaId?: string | undefined }) => boolean,
  params: { message: string; path: string[] },
] = [
  (body) => body.text !== undefined || body.mediaId !== undefined,
  { message: 'text is required unless mediaId is set', path: ['text'] },
];

/** Limits shared by client and server. */
export const LIMITS = {
  textLength: 4096,
  groupNameLength: 100,
  groupMembers: 1024,
  /** Frames larger than this get FRAME_TOO_LARGE and are ignored. */
  frameBytes: 64 * 1024,
  historyPage: 200,
  syncPage: 500,
  /** Longer original file names are shortened on upload. */
  fileNameLength: 255,
  /** Chats one user may pin at a time. */
  pinnedChats: 5,
} as const;
