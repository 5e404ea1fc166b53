import { z } from 'zod';
import { ClientMsgId, Id, Seq, Timestamp } from '../ids.js';
import { ChatPrefs, Conversation, LIMITS, Member, MemberRole, Message, SEND_CONTENT_RULE } from '../models.js';

const GroupName = z.string().trim().min(1).max(LIMITS.groupNameLength);

/** `POST /api/v1/conversations`: a direct chat is unique per pair and returned if it exists. */
export const CreateConversationRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('direct'), userId: Id }),
  z.object({
    kind: z.literal('group'),
    name: GroupName,
    memberIds: z.array(Id).max(LIMITS.groupMembers).default([]),
  }),
]);
/** Body of `POST /api/v1/conversations`. */
export type CreateConversationRequest = z.input<typeof CreateConversationRequest>;

/** A conversation with its members, as REST returns it. */
export const ConversationDetail = z.object({
  conversation: Conversation,
  members: z.array(Member),
});
/** A conversation with its members. */
export type ConversationDetail = z.infer<typeof ConversationDetail>;

/**
 * A conversation in the requester's chat list: its newest message (for the preview), how
 * many messages from others arrived after the requester's read watermark, and how the requester
 * keeps it (pinned, muted, archived).
 */
export const ConversationSummary = ConversationDetail.extend({
  lastMessage: Message.nullable(),
  unread: z.number().int().nonnegative(),
  prefs: ChatPrefs,
});
/** A conversation in the requester's chat list. */
export type ConversationSummary = z.infer<typeof ConversationSummary>;

/** `GET /api/v1/conversations`. */
export const ConversationList = z.object({ conversations: z.array(ConversationSummary) });
/** `GET /api/v1/conversations`. */
export type ConversationList = z.infer<typeof ConversationList>;

/** `PATCH /api/v1/conversations/:id`. */
export const RenameConversationRequest = z.object({ name: GroupName });

/**
 * `PATCH /api/v1/conversations/:id/prefs`: pin, mute or archive a chat for yourself. Fields left
 * out stay as they are. Pinning unarchives and archiving unpins, as in the messengers people know.
 */
export const UpdateChatPrefsRequest = z
  .object({
    pinned: z.boolean().optional(),
    archived: z.boolean().optional(),
    /** A time in the future, `MUTED_FOREVER`, or null to unmute. */
    mutedUntil: Timestamp.nullable().optional(),
  })
  .strict()
  .refine((b) => b.pinned !== undefined || b.archived !== undefined || b.mutedUntil !== undefined, {
    message: 'set at least one of pinned, archived, mutedUntil',
  })
  .refine((b) => !(b.pinned === true && b.archived === true), {
    message: 'a chat cannot be pinned and archived at once',
    path: ['archived'],
  });
/** Body of `PATCH /api/v1/conversations/:id/prefs`. */
export type UpdateChatPrefsRequest = z.infer<typeof UpdateChatPrefsRequest>;

/** `POST /api/v1/conversations/:id/members`. */
export const AddMembersRequest = z.object({
  userIds: z.array(Id).min(1).max(LIMITS.groupMembers),
});

/** `PATCH /api/v1/conversations/:id/members/:userId`. */
export const SetMemberRoleRequest = z.object({ role: MemberRole });

/** `GET /api/v1/conversations/:id/messages?before=&limit=`: newest first below `before`. */
export const HistoryQuery = z.object({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.historyPage).default(50),
});

/** A page of history, oldest first; `hasMore` says whether older messages exist. */
export const HistoryPage = z.object({ messages: z.array(Message), hasMore: z.boolean() });
/** A page of history. */
export type HistoryPage = z.infer<typeof HistoryPage>;

/**
 * `POST /api/v1/conversations/:id/messages`: the REST twin of the WS `send` frame. With `mediaId`
 * (from `POST /api/v1/media`) it sends a file message and `text` becomes an optional caption.
 */
export const SendMessageRequest = z
  .object({
    clientMsgId: ClientMsgId,
    text: z.string().min(1).max(LIMITS.textLength).optional(),
    mediaId: Id.optional(),
    replyToId: Id.optional(),
    /** Staff in a customer conversation: a private note the customer never receives. */
    note: z.boolean().optional(),
  })
  .refine(...SEND_CONTENT_RULE);
/** Body of `POST /api/v1/conversations/:id/messages`. */
export type SendMessageRequest = z.infer<typeof SendMessageRequest>;

/** `GET /api/v1/search?q=&conversationId=&limit=`. */
export const SearchQuery = z.object({
  q: z.string().trim().min(1).max(200),
  conversationId: Id.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** Search hits, best first. */
export const SearchResult = z.object({ messages: z.array(Message) });
/** Search hits. */
export type SearchResult = z.infer<typeof SearchResult>;

/** Receipt positions accepted over REST and WS. */
export const ReceiptPosition = z.object({ conversationId: Id, seq: Seq });
