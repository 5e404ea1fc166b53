import { z } from 'zod';
import { Cursor, Id, Timestamp } from '../ids.js';
import { InboxStatus, Message } from '../models.js';
import { Tag } from './contacts.js';

/** Text the operator writes in both languages; the widget shows the visitor's. */
export const LocalizedText = z.object({ de: z.string().max(1000), en: z.string().max(1000) });
/** Text in German and English. */
export type LocalizedText = z.infer<typeof LocalizedText>;

/** An IANA time zone name such as `Europe/Berlin`. */
const TimeZoneName = z
  .string()
  .max(64)
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'an IANA time zone such as Europe/Berlin' },
  );

const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour');

/** Opening hours in the inbox's time zone: any number of windows per weekday (0 = Sunday). */
export const BusinessHours = z.object({
  timeZone: TimeZoneName,
  windows: z
    .array(z.object({ day: z.number().int().min(0).max(6), from: ClockTime, to: ClockTime }))
    .max(50)
    .refine((ws) => ws.every((w) => w.from < w.to), { message: 'each window must end after it starts' }),
});
/** Opening hours. */
export type BusinessHours = z.infer<typeof BusinessHours>;

/** An extra field of the widget's pre-chat form, stored as a contact attribute under `key`. */
export const PreChatField = z.object({
  key: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/),
  label: LocalizedText,
  type: z.enum(['text', 'email', 'tel']).default('text'),
  required: z.boolean().default(false),
});
/** An extra field of the pre-chat form. */
export type PreChatField = z.infer<typeof PreChatField>;

/** How an inbox and its widget behave. Every field has a default, so `{}` is a working inbox. */
export const InboxSettings = z.object({
  /** Shown above the widget's form and, with `greetingReply`, as the first automatic reply. */
  greeting: LocalizedText.default({
    de: 'Hallo! Wie können wir helfen?',
    en: 'Hello! How can we help?',
  }),
  /** The auto-reply outside business hours. */
  awayMessage: LocalizedText.default({
    de: 'Wir sind gerade nicht da und antworten, sobald wir wieder erreichbar sind.',
    en: 'We are away right now and will reply as soon as we are back.',
  }),
  /** "We usually reply within …" */
  replyTime: z.enum(['minutes', 'hours', 'day']).default('minutes'),
  /** Null: always open. */
  businessHours: BusinessHours.nullable().default(null),
  preChatFields: z.array(PreChatField).max(10).default([]),
  /** The label of the consent checkbox of the pre-chat form. */
  privacyNotice: LocalizedText.default({
    de: 'Ich bin einverstanden, dass meine Angaben zur Beantwortung meiner Anfrage gespeichert werden.',
    en: 'I agree that my details are stored to answer my request.',
  }),
  privacyPolicyUrl: z.url().max(500).nullable().default(null),
  /** Conversations are assigned round-robin to online agents with capacity left. */
  autoAssign: z.boolean().default(true),
  /** Greet a new conversation with `greeting` (within business hours). */
  greetingReply: z.boolean().default(true),
  /** Tell a waiting customer their place in the queue. */
  queueMessage: z.boolean().default(true),
  /** Ask for a rating when a conversation is resolved. */
  csat: z.boolean().default(true),
  /** Sites that may embed the widget (CSP frame-ancestors); empty allows any. */
  allowedOrigins: z.array(z.url().max(200)).max(20).default([]),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/)
    .default('#2563eb'),
});
/** How an inbox and its widget behave. */
export type InboxSettings = z.infer<typeof InboxSettings>;

/** A channel customers write in through (today: one web widget and its guest link). */
export const Inbox = z.object({
  id: Id,
  name: z.string(),
  /** Public: goes into the widget's script tag. */
  widgetKey: z.string(),
  /** The guest link is `/c/<slug>`. */
  slug: z.string(),
  teamIds: z.array(Id),
  settings: InboxSettings,
  createdAt: Timestamp,
});
/** A channel customers write in through. */
export type Inbox = z.infer<typeof Inbox>;

/** An inbox as admins see it: with the secret of the identity-verification HMAC. */
export const InboxAdmin = Inbox.extend({ identitySecret: z.string() });
/** An inbox as admins see it. */
export type InboxAdmin = z.infer<typeof InboxAdmin>;

const InboxName = z.string().trim().min(1).max(100);
const Slug = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, 'lower-case letters, digits and dashes');

/** `POST /api/v1/inboxes` (admins). */
export const CreateInboxRequest = z
  .object({
    name: InboxName,
    slug: Slug.optional(),
    teamIds: z.array(Id).max(50).default([]),
    settings: InboxSettings.partial().default({}),
  })
  .strict();
/** Body of `POST /api/v1/inboxes`. */
export type CreateInboxRequest = z.input<typeof CreateInboxRequest>;

/** `PATCH /api/v1/inboxes/:id` (admins): settings are merged field by field. */
export const UpdateInboxRequest = z
  .object({ name: InboxName, slug: Slug, teamIds: z.array(Id).max(50), settings: InboxSettings.partial() })
  .partial()
  .strict();
/** Body of `PATCH /api/v1/inboxes/:id`. */
export type UpdateInboxRequest = z.input<typeof UpdateInboxRequest>;

/** A team of staff; inboxes are served by teams. */
export const Team = z.object({ id: Id, name: z.string(), memberIds: z.array(Id), createdAt: Timestamp });
/** A team of staff. */
export type Team = z.infer<typeof Team>;

/** `POST /api/v1/teams`, `PATCH /api/v1/teams/:id` (admins). */
export const TeamRequest = z
  .object({ name: z.string().trim().min(1).max(100), memberIds: z.array(Id).max(500).default([]) })
  .strict();
/** Body of `POST /api/v1/teams`. */
export type TeamRequest = z.input<typeof TeamRequest>;

/** `PATCH /api/v1/agents/:id` (admins): how many open conversations routing gives the agent. */
export const AgentSettingsRequest = z.object({ capacity: z.number().int().min(0).max(100) }).strict();

/** An agent as the inbox shows them: online state and load. */
export const Agent = z.object({
  userId: Id,
  displayName: z.string(),
  online: z.boolean(),
  capacity: z.number().int(),
  open: z.number().int(),
  teamIds: z.array(Id),
});
/** An agent as the inbox shows them. */
export type Agent = z.infer<typeof Agent>;

/** The customer side of an inbox item. */
export const ContactBrief = z.object({ id: Id, name: z.string().nullable(), email: z.string().nullable() });

/** The inbox state of one customer conversation. */
export const InboxItem = z.object({
  conversationId: Id,
  inboxId: Id,
  contact: ContactBrief,
  status: InboxStatus,
  /** The one agent who owns the conversation; never two. */
  assigneeId: Id.nullable(),
  teamId: Id.nullable(),
  labels: z.array(z.string()),
  snoozedUntil: Timestamp.nullable(),
  /** Since when the customer waits for a first answer from the team (queue order); null once answered. */
  waitingSince: Timestamp.nullable(),
  firstResponseAt: Timestamp.nullable(),
  resolvedAt: Timestamp.nullable(),
  createdAt: Timestamp,
  /** The newest message, note or state change; views are ordered by it. */
  lastActivityAt: Timestamp,
  /** The customer's rating after it was resolved (1–5), if they gave one. */
  csatScore: z.number().int().min(1).max(5).nullable(),
  csatComment: z.string().nullable(),
  changeId: Cursor,
});
/** The inbox state of one customer conversation. */
export type InboxItem = z.infer<typeof InboxItem>;

/** The agent's views: their own, nobody's, and everything they may see. */
export const InboxView = z.enum(['mine', 'unassigned', 'all']);
/** One of the agent's views. */
export type InboxView = z.infer<typeof InboxView>;

/** `GET /api/v1/inbox/conversations`: a view, narrowed by status, inbox, team, label or contact. */
export const InboxQuery = z
  .object({
    view: InboxView.default('all'),
    status: InboxStatus.default('open'),
    inboxId: Id.optional(),
    teamId: Id.optional(),
    label: Tag.optional(),
    contactId: Id.optional(),
    /** `nextBefore` of the previous page. */
    before: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
  })
  .strict();
/** Query of `GET /api/v1/inbox/conversations`. */
export type InboxQuery = z.input<typeof InboxQuery>;

/** One row of an inbox view: the state plus the newest message for the preview. */
export const InboxEntry = InboxItem.extend({ lastMessage: Message.nullable() });
/** One row of an inbox view. */
export type InboxEntry = z.infer<typeof InboxEntry>;

/** A page of an inbox view, newest activity first. */
export const InboxPage = z.object({ items: z.array(InboxEntry), nextBefore: z.string().nullable() });
/** A page of an inbox view. */
export type InboxPage = z.infer<typeof InboxPage>;

/** `GET /api/v1/inbox/counts`: open conversations per view, team and label; all per status. */
export const InboxCounts = z.object({
  mine: z.number().int(),
  unassigned: z.number().int(),
  all: z.number().int(),
  byStatus: z.record(InboxStatus, z.number().int()),
  byTeam: z.record(z.string(), z.number().int()),
  byLabel: z.record(z.string(), z.number().int()),
});
/** Counts for the inbox's navigation. */
export type InboxCounts = z.infer<typeof InboxCounts>;

/** `POST /api/v1/inbox/conversations/:id/assign`: an agent, or null to put it back in the queue. */
export const AssignRequest = z.object({ assigneeId: Id.nullable() }).strict();
/** Body of the assign request. */
export type AssignRequest = z.infer<typeof AssignRequest>;

/** `POST /api/v1/inbox/conversations/:id/transfer`: hand over to a team's queue. */
export const TransferRequest = z.object({ teamId: Id }).strict();

/** `POST /api/v1/inbox/conversations/:id/status`; `snoozedUntil` is required for `snoozed`. */
export const StatusRequest = z
  .object({ status: InboxStatus, snoozedUntil: Timestamp.optional() })
  .strict()
  .refine((b) => (b.status === 'snoozed') === (b.snoozedUntil !== undefined), {
    message: 'snoozedUntil is required with status snoozed, and only then',
    path: ['snoozedUntil'],
  });
/** Body of the status request. */
export type StatusRequest = z.infer<typeof StatusRequest>;

/** `PUT /api/v1/inbox/conversations/:id/labels`: the whole set. */
export const LabelsRequest = z.object({ labels: z.array(Tag).max(20) }).strict();

/** A prepared answer, inserted with `/shortcut`; `{{contact.name}}` and friends are filled in. */
export const CannedReply = z.object({
  id: Id,
  shortcut: z.string(),
  text: z.string(),
  createdAt: Timestamp,
});
/** A prepared answer. */
export type CannedReply = z.infer<typeof CannedReply>;

/** `POST /api/v1/canned-replies`. */
export const CannedReplyRequest = z
  .object({
    shortcut: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,29}$/, 'lower-case letters, digits, _ and -'),
    text: z.string().trim().min(1).max(4096),
  })
  .strict();
/** Body of `POST /api/v1/canned-replies`. */
export type CannedReplyRequest = z.infer<typeof CannedReplyRequest>;

/** Values a canned reply may use. */
export interface CannedReplyContext {
  contact: { name: string | null; email: string | null };
  agent: { name: string };
}

/**
 * Fills `{{contact.name}}`, `{{contact.email}}`, `{{contact.first_name}}` and `{{agent.name}}`;
 * unknown or empty variables become an empty string, so a reply never shows raw braces.
 *
 * @example
 * fillCannedReply('Hallo {{contact.first_name}}!', { contact: { name: 'Eva Ott', email: null }, agent: { name: 'Ana' } });
 * // 'Hallo Eva!'
 */
export function fillCannedReply(text: string, ctx: CannedReplyContext): string {
  const values: Record<string, string> = {
    'contact.name': ctx.contact.name ?? '',
    'contact.first_name': (ctx.contact.name ?? '').split(/\s+/)[0] ?? '',
    'contact.email': ctx.contact.email ?? '',
    'agent.name': ctx.agent.name,
  };
  return text.replace(/\{\{\s*([a-z_.]+)\s*\}\}/g, (_m, key: string) => values[key] ?? '');
}

/** The inbox's change for staff: a conversation's new inbox state (live only; views reload on reconnect). */
export const InboxChange = z.object({ kind: z.literal('inbox'), item: InboxItem });

const DAY_MS = 86_400_000;
/** The longest span one report covers. */
export const REPORT_MAX_DAYS = 366;

/**
 * `GET /api/v1/inbox/reports` (owners and admins): conversations created in `[from, to)`, by
 * default the last 7 days; at most 366 days. `format=csv` answers one row per conversation.
 *
 * @example
 * ReportQuery.parse({ from: '1767225600000', to: '1767830400000', timeZone: 'Europe/Berlin' });
 */
export const ReportQuery = z
  .object({
    from: z.coerce.number().int().nonnegative().optional(),
    to: z.coerce.number().int().positive().optional(),
    inboxId: Id.optional(),
    teamId: Id.optional(),
    /** Hours of `volumeByHour` are hours of the day in this zone. */
    timeZone: TimeZoneName.default('Europe/Berlin'),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict()
  .transform((q) => {
    const to = q.to ?? Date.now();
    return { ...q, from: q.from ?? to - 7 * DAY_MS, to };
  })
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['from'] })
  .refine((q) => q.to - q.from <= REPORT_MAX_DAYS * DAY_MS, {
    message: `a report covers at most ${REPORT_MAX_DAYS} days`,
    path: ['to'],
  });
/** Query of `GET /api/v1/inbox/reports`. */
export type ReportQuery = z.input<typeof ReportQuery>;

/** Median and 90th percentile (nearest rank) of durations in ms, over `count` conversations. */
export const DurationStats = z.object({
  median: z.number().nullable(),
  p90: z.number().nullable(),
  count: z.number().int(),
});
/** Median and 90th percentile of durations. */
export type DurationStats = z.infer<typeof DurationStats>;

const ReportGroup = z.object({
  conversations: z.number().int(),
  resolved: z.number().int(),
  /** Median time to the first staff answer, ms. */
  firstResponseMedianMs: z.number().nullable(),
  csatAverage: z.number().nullable(),
});

/** Totals, volume by hour and breakdowns of the conversations created in a report's range. */
export const InboxReport = z.object({
  from: Timestamp,
  to: Timestamp,
  timeZone: z.string(),
  totals: z.object({
    conversations: z.number().int(),
    /** Of those, resolved now. */
    resolved: z.number().int(),
    /** First staff answer minus creation, over the answered ones. */
    firstResponseMs: DurationStats,
    /** Resolution minus creation, over the resolved ones. */
    resolutionMs: DurationStats,
    csat: z.object({
      average: z.number().nullable(),
      count: z.number().int(),
      distribution: z.record(z.enum(['1', '2', '3', '4', '5']), z.number().int()),
    }),
  }),
  /** 24 counts: conversations created in each hour of the day (in `timeZone`). */
  volumeByHour: z.array(z.number().int()).length(24),
  /** By current assignee; unassigned conversations are in no row. */
  perAgent: z.array(ReportGroup.extend({ userId: Id, displayName: z.string() })),
  /** By team: the one a conversation was transferred to, else the only team serving its inbox. */
  perTeam: z.array(ReportGroup.extend({ teamId: Id, name: z.string() })),
});
/** An inbox report. */
export type InboxReport = z.infer<typeof InboxReport>;

/**
 * `GET /api/v1/inbox/conversations/:id/transcript` and
 * `GET /api/v1/widget/:key/conversations/:id/transcript`: an HTML download in German or English,
 * times shown in `timeZone`.
 */
export const TranscriptQuery = z
  .object({ lang: z.enum(['de', 'en']).default('de'), timeZone: TimeZoneName.default('Europe/Berlin') })
  .strict();
/** Query of the transcript downloads. */
export type TranscriptQuery = z.input<typeof TranscriptQuery>;
