import type { InboxStatus, Message, SystemEvent, TranscriptQuery } from '@kurier/protocol';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { AccountsService } from '../accounts/service.js';
import type { DB } from '../db/schema.js';
import type { Actor } from '../kernel/auth.js';
import { KurierError } from '../kernel/errors.js';
import type { MessagesService } from '../messages/service.js';
import type { InboxAccess } from './access.js';
import { settingsOf } from './present.js';
import { type InboxRow, inboxStore, type StateRow } from './store.js';

/** Language and time zone of a transcript (defaults filled in). */
export type TranscriptOptions = z.output<typeof TranscriptQuery>;
/** Who reads a transcript: staff see internal notes, the customer never does. */
export type Audience = 'staff' | 'customer';

/** What a transcript shows. */
export interface TranscriptInput extends TranscriptOptions {
  audience: Audience;
  inboxName: string;
  /** The inbox's away message in `lang` (the `away` auto-reply says it). */
  awayMessage: string;
  contactId: string;
  createdAt: number;
  exportedAt: number;
  /** Display names by user id (staff and the contact). */
  names: ReadonlyMap<string, string>;
  /** Oldest first. */
  messages: readonly Message[];
}

const DE = {
  title: 'Gesprächsverlauf',
  started: 'Begonnen',
  exported: 'Exportiert',
  timeZone: 'Zeitzone',
  note: 'Interne Notiz',
  customer: 'Kunde',
  unknown: 'Unbekannt',
  file: 'Datei',
  deleted: 'Diese Nachricht wurde gelöscht.',
  edited: 'bearbeitet',
  assigned: (name: string) => `${name} hat das Gespräch übernommen.`,
  unassigned: 'Das Gespräch wartet auf die nächste freie Person.',
  queue: (n: number | null) => `Automatische Antwort: Platz ${n ?? '–'} in der Warteschlange.`,
  status: {
    open: 'Das Gespräch wurde wieder geöffnet.',
    pending: 'Das Gespräch wartet auf eine Rückmeldung.',
    snoozed: 'Das Gespräch wurde zurückgestellt.',
    resolved: 'Das Gespräch wurde abgeschlossen.',
  } satisfies Record<InboxStatus, string>,
};
type Strings = typeof DE;

const EN: Strings = {
  title: 'Conversation transcript',
  started: 'Started',
  exported: 'Exported',
  timeZone: 'Time zone',
  note: 'Internal note',
  customer: 'Customer',
  unknown: 'Unknown',
  file: 'File',
  deleted: 'This message was deleted.',
  edited: 'edited',
  assigned: (name) => `${name} took over the conversation.`,
  unassigned: 'The conversation is waiting for the next available person.',
  queue: (n) => `Automatic reply: number ${n ?? '–'} in the queue.`,
  status: {
    open: 'The conversation was reopened.',
    pending: 'The conversation is waiting for a reply.',
    snoozed: 'The conversation was put on hold.',
    resolved: 'The conversation was closed.',
  },
};

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#111}
header{border-bottom:1px solid #ddd;margin-bottom:1rem}dl{display:grid;grid-template-columns:auto 1fr;gap:0 1rem}
dt{color:#555}dd{margin:0}ol{list-style:none;padding:0}li{margin:.6rem 0}.day{text-align:center;color:#555;
font-weight:600;margin-top:1.5rem}.meta{margin:0;color:#555;font-size:.85em}.who{font-weight:600;color:#111}
.text{margin:.1rem 0 0;white-space:pre-wrap;overflow-wrap:anywhere}.system{color:#555;font-style:italic}
.note{background:#fff7d6;border-left:3px solid #e0b400;padding:.3rem .6rem}.tag{font-weight:600;color:#8a6d00}`;

/** A system message of a customer conversation in plain words; null for others. */
function systemText(event: SystemEvent, s: Strings, input: TranscriptInput): string | null {
  const name = (id: string) => input.names.get(id) ?? s.unknown;
  switch (event.event) {
    case 'assigned':
      return event.userId === null ? s.unassigned : s.assigned(event.displayName ?? name(event.userId));
    case 'auto_reply':
      return event.reply === 'away' ? input.awayMessage : s.queue(event.position);
    case 'status_changed':
      return s.status[event.status];
    default:
      // Group events (members, names, roles) do not occur in customer conversations.
      return null;
  }
}

/**
 * A self-contained HTML document of a customer conversation: every message with its sender and
 * local time; internal notes only for staff. All text is escaped, and the document's own CSP
 * forbids scripts, so a message can never run code when the file is opened.
 */
export function renderTranscript(input: TranscriptInput): string {
  const s = input.lang === 'de' ? DE : EN;
  const locale = input.lang === 'de' ? 'de-DE' : 'en-GB';
  const tz = input.timeZone;
  const day = new Intl.DateTimeFormat(locale, { timeZone: tz, dateStyle: 'full' });
  const time = new Intl.DateTimeFormat(locale, { timeZone: tz, timeStyle: 'short' });
  const stamp = new Intl.DateTimeFormat(locale, { timeZone: tz, dateStyle: 'long', timeStyle: 'short' });
  const at = (ms: number) => `<time datetime="${new Date(ms).toISOString()}">${escapeHtml(time.format(ms))}</time>`;
  const sender = (id: string) => input.names.get(id) || (id === input.contactId ? s.customer : s.unknown);

  const items: string[] = [];
  let lastDay = '';
  for (const m of input.messages) {
    if (m.type === 'note' && input.audience !== 'staff') continue;
    const today = day.format(m.createdAt);
    if (today !== lastDay) items.push(`<li class="day">${escapeHtml(today)}</li>`);
    lastDay = today;
    if (m.type === 'system') {
      const text = m.system ? systemText(m.system, s, input) : null;
      if (text !== null)
        items.push(`<li class="system"><p class="text">${escapeHtml(text)} · ${at(m.createdAt)}</p></li>`);
      continue;
    }
    const tag = m.type === 'note' ? `<span class="tag">${escapeHtml(s.note)}</span> · ` : '';
    const edited = m.editedAt !== null && m.deletedAt === null ? ` · ${escapeHtml(s.edited)}` : '';
    const body: string[] = [];
    if (m.deletedAt !== null) body.push(`<p class="text system">${escapeHtml(s.deleted)}</p>`);
    if (m.media) body.push(`<p class="text">${escapeHtml(`${s.file}: ${m.media.name}`)}</p>`);
    if (m.text !== null) body.push(`<p class="text">${escapeHtml(m.text)}</p>`);
    const who = m.senderId === input.contactId ? 'customer' : 'staff';
    items.push(
      `<li class="${m.type === 'note' ? 'note' : who}"><p class="meta">${tag}<span class="who">${escapeHtml(sender(m.senderId))}</span> · ${at(m.createdAt)}${edited}</p>${body.join('')}</li>`,
    );
  }

  const title = `${s.title} – ${input.inboxName}`;
  return `<!doctype html>
<html lang="${input.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(s.title)}</h1>
<p>${escapeHtml(input.inboxName)}</p>
<dl>
<dt>${escapeHtml(s.started)}</dt><dd>${escapeHtml(stamp.format(input.createdAt))}</dd>
<dt>${escapeHtml(s.exported)}</dt><dd>${escapeHtml(stamp.format(input.exportedAt))}</dd>
<dt>${escapeHtml(s.timeZone)}</dt><dd>${escapeHtml(tz)}</dd>
</dl>
</header>
<ol>
${items.join('\n')}
</ol>
</body>
</html>
`;
}

// Messages per history page while collecting a whole conversation.
const PAGE = 500;

/**
 * Transcript downloads: staff with access to the conversation's inbox (notes included), and the
 * customer for their own conversations (notes left out by the messages service already).
 */
export function inboxTranscripts(deps: {
  db: Kysely<DB>;
  access: InboxAccess;
  accounts: AccountsService;
  messages: MessagesService;
  now: () => number;
}) {
  const { access, accounts, messages } = deps;
  const store = inboxStore(deps.db);

  async function build(
    actor: Actor,
    { row, inbox }: { row: StateRow; inbox: InboxRow },
    options: TranscriptOptions & { audience: Audience },
  ) {
    const pages: Message[][] = [];
    let before: number | undefined;
    for (;;) {
      const page = await messages.history(actor, row.conversation_id, { before, limit: PAGE });
      pages.push(page.messages);
      const oldest = page.messages[0];
      if (!page.hasMore || !oldest) break;
      before = oldest.seq;
    }
    const all = pages.reverse().flat();
    const ids = new Set([row.contact_id, ...all.map((m) => m.senderId)]);
    const users = await accounts.usersByIds([...ids]);
    return {
      filename: `transcript-${row.conversation_id}.html`,
      html: renderTranscript({
        ...options,
        inboxName: inbox.name,
        awayMessage: settingsOf(inbox).awayMessage[options.lang],
        contactId: row.contact_id,
        createdAt: row.created_at,
        exportedAt: deps.now(),
        names: new Map(users.map((u) => [u.id, u.display_name])),
        messages: all,
      }),
    };
  }

  return {
    /** Staff's transcript; CONVERSATION_NOT_FOUND without access to its inbox. */
    async forStaff(actor: Actor, conversationId: string, options: TranscriptOptions) {
      if (actor.role === 'contact') throw new KurierError('FORBIDDEN');
      const inboxId = await access.requireConversation(actor, conversationId);
      const [row, inbox] = await Promise.all([store.stateById(conversationId), store.inboxById(inboxId)]);
      if (!row || !inbox) throw new KurierError('CONVERSATION_NOT_FOUND');
      return build(actor, { row, inbox }, { ...options, audience: 'staff' });
    },

    /** The customer's transcript of their own conversation in this widget's inbox. */
    async forCustomer(
      actor: Actor,
      { key, conversationId }: { key: string; conversationId: string },
      options: TranscriptOptions,
    ) {
      if (actor.role !== 'contact') throw new KurierError('FORBIDDEN');
      const inbox = await store.inboxByKey(key);
      if (!inbox) throw new KurierError('WIDGET_KEY_INVALID');
      const row = await store.stateById(conversationId);
      if (!row || row.contact_id !== actor.userId || row.inbox_id !== inbox.id)
        throw new KurierError('CONVERSATION_NOT_FOUND');
      return build(actor, { row, inbox }, { ...options, audience: 'customer' });
    },
  };
}

/** The transcripts contract. */
export type InboxTranscripts = ReturnType<typeof inboxTranscripts>;
