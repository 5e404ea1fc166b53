import { z } from 'zod';
import { ClientMsgId, Id, Timestamp } from '../ids.js';
import { Conversation, InboxStatus, LIMITS, Member, Message } from '../models.js';
import { LocalizedText, PreChatField } from './inbox.js';

/** `GET /api/v1/widget/:key`: what the widget needs before the visitor writes (public). */
export const WidgetConfig = z.object({
  inboxId: Id,
  name: z.string(),
  color: z.string(),
  greeting: LocalizedText,
  awayMessage: LocalizedText,
  replyTime: z.enum(['minutes', 'hours', 'day']),
  /** Within business hours now; outside, the widget shows the offline form. */
  open: z.boolean(),
  /** When the inbox opens next, if it is closed and has hours. */
  nextOpenAt: Timestamp.nullable(),
  preChatFields: z.array(PreChatField),
  privacyNotice: LocalizedText,
  privacyPolicyUrl: z.string().nullable(),
  csat: z.boolean(),
});
/** What the widget needs before the visitor writes. */
export type WidgetConfig = z.infer<typeof WidgetConfig>;

/**
 * `POST /api/v1/widget/:key/visitors`: the pre-chat form. `consent` must be true; `website` is a
 * honeypot field that people never see and so never fill. With `identity`, a visitor whom the
 * website verified (HMAC-SHA256 of `externalId` under the inbox's identity secret, hex) continues
 * as the same contact on every device.
 */
export const StartVisitorRequest = z
  .object({
    name: z.string().trim().min(1).max(100),
    email: z.email().max(254),
    fields: z.record(z.string().max(40), z.string().max(500)).default({}),
    consent: z.literal(true, { error: 'consent to the privacy notice is required' }),
    website: z.string().max(500).optional(),
    locale: z.enum(['de', 'en']).default('de'),
    identity: z
      .object({
        externalId: z.string().min(1).max(200),
        hash: z.string().regex(/^[0-9a-f]{64}$/, 'hex HMAC-SHA256'),
      })
      .optional(),
  })
  .strict();
/** Body of `POST /api/v1/widget/:key/visitors`. */
export type StartVisitorRequest = z.input<typeof StartVisitorRequest>;

/**
 * A visitor's session: `token` authenticates REST and the WebSocket like a staff session, but
 * only for the visitor's own conversations. The widget keeps it in localStorage.
 */
export const VisitorSession = z.object({
  token: z.string(),
  sessionId: Id,
  contactId: Id,
  name: z.string().nullable(),
});
/** A visitor's session. */
export type VisitorSession = z.infer<typeof VisitorSession>;

/** `POST /api/v1/widget/:key/conversations` (visitor): a new conversation with its first message. */
export const StartConversationRequest = z
  .object({ text: z.string().trim().min(1).max(LIMITS.textLength), clientMsgId: ClientMsgId })
  .strict();
/** Body of the start-conversation request. */
export type StartConversationRequest = z.infer<typeof StartConversationRequest>;

/** One of the visitor's conversations as the widget lists it. */
export const VisitorConversation = z.object({
  conversation: Conversation,
  members: z.array(Member),
  status: InboxStatus,
  lastMessage: Message.nullable(),
  /** Display names of the staff members, by user id (the visitor cannot look staff up). */
  staff: z.record(z.string(), z.string()),
  csatScore: z.number().int().nullable(),
});
/** One of the visitor's conversations. */
export type VisitorConversation = z.infer<typeof VisitorConversation>;

/** `GET /api/v1/widget/:key/conversations` (visitor). */
export const VisitorConversationList = z.object({ conversations: z.array(VisitorConversation) });

/** `POST /api/v1/widget/:key/conversations/:id/csat` (visitor): 1 (bad) to 5 (great), once. */
export const CsatRequest = z
  .object({ score: z.number().int().min(1).max(5), comment: z.string().trim().max(1000).optional() })
  .strict();
/** Body of the CSAT request. */
export type CsatRequest = z.infer<typeof CsatRequest>;
