import type {
  AssignRequest,
  InboxCounts,
  InboxEntry,
  InboxItem,
  InboxPage,
  InboxQuery,
  InboxStatus,
  Message,
  StatusRequest,
} from '@kurier/protocol';
import { InboxStatus as InboxStatusSchema } from '@kurier/protocol';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Actor } from '../kernel/auth.js';
import { KurierError } from '../kernel/errors.js';
import { pageCursor, parsePageCursor } from '../kernel/paging.js';
import type { Writer } from '../kernel/writer.js';
import { presentItem } from './present.js';
import type { InboxRouter } from './router.js';
import { inboxStore, type StateRow } from './store.js';
import { type InboxDeps, InboxTx } from './tx.js';

const SNOOZE_CHECK_MS = 15_000;

/**
 * The team inbox's work on customer conversations: views and counts, assignment, transfer,
 * status, labels, and the state that follows messages (waiting time, first response, reopen).
 */
export function inboxService(
  deps: InboxDeps & { writer: Writer; router: InboxRouter; onError: (err: unknown) => void },
) {
  const { writer, access, router, messages, now } = deps;
  const store = inboxStore(deps.db);

  /** Runs an operation on one conversation the actor may work on, in one inbox transaction. */
  async function operate<T>(
    actor: Actor,
    conversationId: string,
    op: (tx: InboxTx, row: StateRow) => Promise<T>,
  ): Promise<InboxItem> {
    access.requireStaff(actor);
    await access.requireConversation(actor, conversationId);
    const item = await writer.transact(async (trx) => {
      const tx = new InboxTx(trx, deps);
      const row = await tx.store.stateById(conversationId);
      if (!row) throw new KurierError('CONVERSATION_NOT_FOUND');
      await op(tx, row);
      return { result: await tx.present(row), publish: () => tx.publish() };
    });
    // Freed capacity or a conversation back in the queue: let routing look again.
    void router.kick();
    return item;
  }

  async function entries(rows: readonly StateRow[], userId: string): Promise<InboxEntry[]> {
    const ids = rows.map((r) => r.conversation_id);
    const [labels, contacts, summaries] = await Promise.all([
      store.labelsOf(ids),
      deps.contacts.briefs(rows.map((r) => r.contact_id)),
      messages.summaries(userId, ids),
    ]);
    return rows.map((row) => ({
      ...presentItem(
        row,
        contacts.get(row.contact_id),
        labels.filter((l) => l.conversation_id === row.conversation_id).map((l) => l.label),
      ),
      lastMessage: summaries.lastMessage.get(row.conversation_id) ?? null,
    }));
  }

  /** Inside a send batch: customer messages start the waiting clock and reopen; staff replies stop it. */
  async function followMessages(trx: Kysely<DB>, created: readonly Message[]): Promise<(() => void) | null> {
    const tx = new InboxTx(trx, deps);
    const states = await tx.store.statesByIds([...new Set(created.map((m) => m.conversationId))]);
    if (states.length === 0) return null;
    let requeued = false;
    for (const row of states) {
      const patch: Partial<StateRow> = {};
      let waiting = row.waiting_since;
      for (const m of created) {
        if (m.conversationId !== row.conversation_id || (m.type !== 'text' && m.type !== 'file')) continue;
        if (m.senderId === row.contact_id) {
          waiting ??= m.createdAt;
          if (row.status !== 'open') {
            // A customer writing again reopens the conversation, with its owner if it has one.
            Object.assign(patch, { status: 'open', snoozed_until: null, resolved_at: null });
            requeued ||= row.assignee_id === null;
          }
        } else {
          waiting = null;
          if (row.first_response_at === null && patch.first_response_at === undefined)
            patch.first_response_at = m.createdAt;
        }
      }
      patch.waiting_since = waiting;
      await tx.save(row, patch);
    }
    return () => {
      void tx.publish().then(() => (requeued ? router.kick() : undefined));
    };
  }
  messages.onCommitted(followMessages);

  /** Snoozed conversations whose time has come go back to open. */
  async function wakeSnoozed(): Promise<void> {
    // A plain read first: most checks find nothing, and a transaction would cost an fsync.
    if ((await store.dueSnoozes(now())).length === 0) return;
    const woke = await writer.transact(async (trx) => {
      const tx = new InboxTx(trx, deps);
      const due = await tx.store.dueSnoozes(now());
      for (const row of due) await tx.setStatus(row, row.assignee_id ?? row.contact_id, { status: 'open' });
      return { result: due.length, publish: () => tx.publish() };
    });
    if (woke > 0) void router.kick();
  }
  const snoozeTimer = setInterval(() => void wakeSnoozed().catch(deps.onError), SNOOZE_CHECK_MS);
  snoozeTimer.unref();

  return {
    /** One page of a view, limited to the inboxes the actor may see. */
    async view(actor: Actor, query: InboxQuery & { limit: number }): Promise<InboxPage> {
      access.requireStaff(actor);
      const inboxIds = await access.visibleInboxIds(actor);
      const before = parsePageCursor(query.before);
      const rows = await store.view({
        view: query.view ?? 'all',
        status: InboxStatusSchema.parse(query.status ?? 'open'),
        userId: actor.userId,
        inboxIds,
        inboxId: query.inboxId,
        teamId: query.teamId,
        label: query.label,
        contactId: query.contactId,
        ...(before ? { before } : {}),
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: await entries(page, actor.userId),
        nextBefore: rows.length > query.limit && last ? pageCursor(last.last_activity_at, last.conversation_id) : null,
      };
    },

    /** Counts for the navigation. */
    async counts(actor: Actor): Promise<InboxCounts> {
      access.requireStaff(actor);
      const c = await store.counts(actor.userId, await access.visibleInboxIds(actor));
      const byStatus: Record<InboxStatus, number> = { open: 0, pending: 0, snoozed: 0, resolved: 0 };
      for (const r of c.byStatus) byStatus[r.status as InboxStatus] = Number(r.n);
      return {
        mine: Number(c.open.mine ?? 0),
        unassigned: Number(c.open.unassigned ?? 0),
        all: Number(c.open.all ?? 0),
        byStatus,
        byTeam: Object.fromEntries(c.byTeam.map((r) => [r.team_id as string, Number(r.n)])),
        byLabel: Object.fromEntries(c.byLabel.map((r) => [r.label, Number(r.n)])),
      };
    },

    /** The inbox state of one conversation. */
    async get(actor: Actor, conversationId: string): Promise<InboxEntry> {
      access.requireStaff(actor);
      await access.requireConversation(actor, conversationId);
      const row = await store.stateById(conversationId);
      if (!row) throw new KurierError('CONVERSATION_NOT_FOUND');
      return (await entries([row], actor.userId))[0] as InboxEntry;
    },

    /**
     * Assigns to someone who may own the inbox's conversations, or back to the queue (null).
     * Taking one that another agent owns is for admins and the owner themself (ALREADY_ASSIGNED
     * otherwise), so two agents racing for one conversation cannot both get it.
     */
    assign(actor: Actor, conversationId: string, { assigneeId }: AssignRequest): Promise<InboxItem> {
      return operate(actor, conversationId, async (tx, row) => {
        const admin = actor.role === 'owner' || actor.role === 'admin';
        if (row.assignee_id !== null && row.assignee_id !== assigneeId && row.assignee_id !== actor.userId && !admin)
          throw new KurierError('ALREADY_ASSIGNED', { details: { assigneeId: row.assignee_id } });
        if (assigneeId !== null && !(await access.mayOwn(tx.trx, assigneeId, row.inbox_id)))
          throw new KurierError('USER_NOT_FOUND', { message: 'This person does not serve this inbox.' });
        await tx.assign(row, assigneeId, actor.userId);
      });
    },

    /** Hands the conversation to a team's queue (unassigned; routing picks among that team). */
    transfer(actor: Actor, conversationId: string, teamId: string): Promise<InboxItem> {
      return operate(actor, conversationId, async (tx, row) => {
        const serves = (await tx.store.inboxTeams()).some((l) => l.inbox_id === row.inbox_id && l.team_id === teamId);
        if (!serves) throw new KurierError('TEAM_NOT_FOUND', { message: 'This team does not serve this inbox.' });
        await tx.assign(row, null, actor.userId);
        await tx.save(row, { team_id: teamId });
      });
    },

    setStatus(actor: Actor, conversationId: string, body: StatusRequest): Promise<InboxItem> {
      if (body.status === 'snoozed' && (body.snoozedUntil ?? 0) <= now())
        throw new KurierError('VALIDATION_FAILED', { message: 'snoozedUntil must be in the future.' });
      return operate(actor, conversationId, (tx, row) =>
        tx.setStatus(row, actor.userId, { status: body.status, snoozedUntil: body.snoozedUntil ?? null }),
      );
    },

    setLabels(actor: Actor, conversationId: string, labels: readonly string[]): Promise<InboxItem> {
      return operate(actor, conversationId, async (tx, row) => {
        await tx.store.setLabels(conversationId, [...new Set(labels)]);
        await tx.save(row, {});
      });
    },

    /** Joins without taking ownership (to reply alongside the owner, e.g. an admin stepping in). */
    join(actor: Actor, conversationId: string): Promise<InboxItem> {
      return operate(actor, conversationId, async (tx, row) => {
        const member = await deps.conversations.setActiveMember(tx.trx, {
          conversationId,
          userId: actor.userId,
          active: true,
          at: tx.at,
          changeId: tx.nextChangeId,
        });
        if (member) tx.emit(conversationId, { kind: 'member', member });
        await tx.save(row, {});
      });
    },

    /** Stops the snooze timer (shutdown). */
    stop(): void {
      clearInterval(snoozeTimer);
    },
  };
}

/** The inbox service contract. */
export type InboxService = ReturnType<typeof inboxService>;
