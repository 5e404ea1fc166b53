import { createHmac, timingSafeEqual } from 'node:crypto';
import type {
  CsatRequest,
  StartConversationRequest,
  StartVisitorRequest as StartVisitorSchema,
  VisitorConversation,
  VisitorSession,
  WidgetConfig,
} from '@kurier/protocol';
import type { AccountsService } from '../accounts/service.js';
import type { Actor } from '../kernel/auth.js';
import { KurierError } from '../kernel/errors.js';
import { isContactId } from '../kernel/ids.js';
import type { Writer } from '../kernel/writer.js';
import { isOpen, nextOpening } from './business-hours.js';
import { settingsOf } from './present.js';
import type { InboxRouter } from './router.js';
import { type InboxRow, inboxStore, type StateRow } from './store.js';
import { type InboxDeps, InboxTx } from './tx.js';

type VisitorInput = ReturnType<(typeof StartVisitorSchema)['parse']>;

/** The customer's side of an inbox: the widget's configuration, visitors, their conversations. */
export function widgetService(deps: InboxDeps & { writer: Writer; router: InboxRouter; accounts: AccountsService }) {
  const { writer, contacts, conversations, messages, access, router, accounts, now } = deps;
  const store = inboxStore(deps.db);

  async function inboxByKey(key: string): Promise<InboxRow> {
    const row = await store.inboxByKey(key);
    if (!row) throw new KurierError('WIDGET_KEY_INVALID');
    return row;
  }

  /** Customers only, and not blocked ones. */
  async function requireVisitor(actor: Actor): Promise<void> {
    if (actor.role !== 'contact' || !isContactId(actor.userId)) throw new KurierError('FORBIDDEN');
    if ((await contacts.byId(actor.userId))?.blocked_at != null) throw new KurierError('CONTACT_BLOCKED');
  }

  function verifyIdentity(secret: string, identity: NonNullable<VisitorInput['identity']>): void {
    const expected = createHmac('sha256', secret).update(identity.externalId).digest();
    const given = Buffer.from(identity.hash, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new KurierError('IDENTITY_INVALID');
  }

  async function present(actor: Actor, row: StateRow): Promise<VisitorConversation> {
    const detail = await conversations.get(actor, row.conversation_id);
    const { messages: newest } = await messages.history(actor, row.conversation_id, { limit: 1 });
    const staffIds = detail.members.map((m) => m.userId).filter((id) => !isContactId(id));
    const staff = await accounts.usersByIds(staffIds);
    return {
      conversation: detail.conversation,
      members: detail.members,
      status: row.status as VisitorConversation['status'],
      lastMessage: newest.at(-1) ?? null,
      staff: Object.fromEntries(staff.map((u) => [u.id, u.display_name])),
      csatScore: row.csat_score,
    };
  }

  return {
    async config(key: string): Promise<WidgetConfig> {
      const row = await inboxByKey(key);
      const s = settingsOf(row);
      const at = now();
      const open = isOpen(s.businessHours, at);
      return {
        inboxId: row.id,
        name: row.name,
        color: s.color,
        greeting: s.greeting,
        awayMessage: s.awayMessage,
        replyTime: s.replyTime,
        open,
        nextOpenAt: open ? null : nextOpening(s.businessHours, at),
        preChatFields: s.preChatFields,
        privacyNotice: s.privacyNotice,
        privacyPolicyUrl: s.privacyPolicyUrl,
        csat: s.csat,
      };
    },

    /** The widget key of a guest link's inbox (public, like the key itself). */
    async keyForSlug(slug: string): Promise<string> {
      const row = await store.inboxBySlug(slug);
      if (!row) throw new KurierError('WIDGET_KEY_INVALID');
      return row.widget_key;
    },

    /** The embedding sites (CSP frame-ancestors of the widget page); empty means any. */
    async allowedOrigins(key: string): Promise<string[]> {
      return settingsOf(await inboxByKey(key)).allowedOrigins;
    },

    /**
     * The pre-chat form: a new contact with its consent record and a session, or, with a valid
     * identity hash, a new session of the contact the website already verified.
     */
    async startVisitor(key: string, input: VisitorInput, source = 'widget'): Promise<VisitorSession> {
      const row = await inboxByKey(key);
      // Checked after the key so a bad key still says so; before anything is stored.
      if (input.website) throw new KurierError('SPAM_SUSPECTED');
      const s = settingsOf(row);
      const missing = s.preChatFields.filter((f) => f.required && !input.fields[f.key]?.trim()).map((f) => f.key);
      if (missing.length > 0)
        throw new KurierError('VALIDATION_FAILED', {
          details: missing.map((k) => ({ path: `fields.${k}`, message: 'required' })),
        });
      const known = new Set(s.preChatFields.map((f) => f.key));
      const attributes = Object.fromEntries(Object.entries(input.fields).filter(([k, v]) => known.has(k) && v.trim()));
      const consent = { purpose: 'chat', text: s.privacyNotice[input.locale], source: `${source}:${row.id}` };

      let contactId: string;
      const verified = input.identity;
      if (verified) verifyIdentity(row.identity_secret, verified);
      const existing = verified ? await contacts.byExternalId(verified.externalId) : undefined;
      if (existing) {
        if (existing.blocked_at !== null) throw new KurierError('CONTACT_BLOCKED');
        await contacts.recordConsent(existing.id, consent);
        contactId = existing.id;
      } else {
        const created = await contacts.create({
          name: input.name,
          email: input.email,
          attributes,
          externalId: verified?.externalId,
          consent,
        });
        contactId = created.id;
      }
      const session = await accounts.issueSession(contactId, source === 'widget' ? 'Web widget' : 'Guest link');
      const contact = await contacts.byId(contactId);
      return { token: session.token, sessionId: session.sessionId, contactId, name: contact?.name ?? null };
    },

    /**
     * A new customer conversation with its first message, committed together with its inbox
     * state and (when an agent is free) its assignment; otherwise the customer learns their
     * place in the queue. A retry with the same clientMsgId returns the same conversation.
     */
    async startConversation(actor: Actor, key: string, input: StartConversationRequest): Promise<VisitorConversation> {
      await requireVisitor(actor);
      const inbox = await inboxByKey(key);
      const s = settingsOf(inbox);
      const conversationId = await writer.transact(async (trx) => {
        const prior = await messages.bySender(trx, actor.userId, input.clientMsgId);
        if (prior) return { result: prior.conversation_id };
        const tx = new InboxTx(trx, deps);
        const at = tx.at;
        const first = await tx.nextChangeId();
        await tx.nextChangeId();
        const { conversation, member } = await conversations.createCustomer(trx, {
          contactId: actor.userId,
          at,
          changeId: first,
        });
        const row: StateRow = {
          conversation_id: conversation.id,
          inbox_id: inbox.id,
          contact_id: actor.userId,
          status: 'open',
          assignee_id: null,
          team_id: null,
          snoozed_until: null,
          waiting_since: at,
          first_response_at: null,
          resolved_at: null,
          created_at: at,
          last_activity_at: at,
          change_id: await tx.nextChangeId(),
          csat_score: null,
          csat_comment: null,
        };
        await tx.store.insertState(row);
        access.remember(conversation.id, inbox.id);
        tx.emit(conversation.id, { kind: 'conversation', conversation });
        tx.emit(conversation.id, { kind: 'member', member });
        const message = await messages.appendText(trx, {
          conversationId: conversation.id,
          senderId: actor.userId,
          text: input.text,
          clientMsgId: input.clientMsgId,
          changeId: await tx.nextChangeId(),
        });
        tx.emit(conversation.id, { kind: 'message', message });
        const open = isOpen(s.businessHours, at);
        const reply = open ? (s.greetingReply ? 'greeting' : null) : 'away';
        if (reply) await tx.announce(conversation.id, actor.userId, { event: 'auto_reply', reply, position: null });
        const assigned = s.autoAssign && (await router.routeOne(tx, row));
        if (!assigned && open && s.queueMessage) {
          const position = (await tx.store.queueAhead(inbox.id, at)) + 1;
          await tx.announce(conversation.id, actor.userId, { event: 'auto_reply', reply: 'queue', position });
        }
        if (!assigned) await tx.save(row, {});
        return { result: conversation.id, publish: () => tx.publish() };
      });
      const row = await store.stateById(conversationId);
      if (!row || row.contact_id !== actor.userId) throw new KurierError('CONVERSATION_NOT_FOUND');
      return present(actor, row);
    },

    /** The visitor's conversations in this inbox, newest first. */
    async list(actor: Actor, key: string): Promise<VisitorConversation[]> {
      await requireVisitor(actor);
      const inbox = await inboxByKey(key);
      const rows = await store.byContact(actor.userId, inbox.id);
      return Promise.all(rows.map((r) => present(actor, r)));
    },

    /** The customer's rating of a resolved conversation; once. */
    async csat(
      actor: Actor,
      { key, conversationId }: { key: string; conversationId: string },
      input: CsatRequest,
    ): Promise<VisitorConversation> {
      await requireVisitor(actor);
      const inbox = await inboxByKey(key);
      if (!settingsOf(inbox).csat) throw new KurierError('FORBIDDEN', { message: 'This inbox asks for no rating.' });
      await writer.transact(async (trx) => {
        const tx = new InboxTx(trx, deps);
        const row = await tx.store.stateById(conversationId);
        if (!row || row.contact_id !== actor.userId || row.inbox_id !== inbox.id)
          throw new KurierError('CONVERSATION_NOT_FOUND');
        if (row.status !== 'resolved')
          throw new KurierError('CONFLICT', { message: 'Rate a conversation once it is resolved.' });
        if (row.csat_score !== null)
          throw new KurierError('CONFLICT', { message: 'This conversation was rated already.' });
        await tx.save(row, { csat_score: input.score, csat_comment: input.comment ?? null });
        return { result: undefined, publish: () => tx.publish() };
      });
      const row = (await store.stateById(conversationId)) as StateRow;
      return present(actor, row);
    },
  };
}

/** The widget service contract. */
export type WidgetService = ReturnType<typeof widgetService>;
