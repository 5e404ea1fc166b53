import { type Change, changeIdOf, type InboxItem, type InboxStatus, type SystemEvent } from '@kurier/protocol';
import type { Kysely } from 'kysely';
import type { ContactsService } from '../contacts/service.js';
import type { Membership } from '../conversations/membership.js';
import type { ConversationsService } from '../conversations/service.js';
import { allocateChangeIds } from '../db/change-clock.js';
import type { DB } from '../db/schema.js';
import type { Bus } from '../kernel/bus.js';
import type { MessagesService } from '../messages/service.js';
import type { InboxAccess } from './access.js';
import { presentItem } from './present.js';
import { type InboxStore, inboxStore, type StateRow } from './store.js';

/** Default number of open conversations routing gives an agent who has no capacity set. */
export const DEFAULT_CAPACITY = 10;

/** What the inbox's transactions need from the rest of the server. */
export interface InboxDeps {
  db: Kysely<DB>;
  bus: Bus;
  membership: Membership;
  conversations: ConversationsService;
  messages: MessagesService;
  contacts: ContactsService;
  access: InboxAccess;
  now: () => number;
}

interface Published {
  conversationId: string;
  change: Change;
  /** Inbox state and notes: staff only. */
  staffOnly: boolean;
  /** A user who just left and must still learn it (their own member row). */
  alsoNotify?: string;
}

/**
 * One inbox transaction: change ids in order, the changes to publish once it is durable, and the
 * primitives every inbox operation is made of (assign, set status, save state).
 */
export class InboxTx {
  readonly store: InboxStore;
  readonly at: number;
  readonly #trx: Kysely<DB>;
  readonly #deps: InboxDeps;
  readonly #out: Published[] = [];
  readonly #touched = new Set<string>();

  constructor(trx: Kysely<DB>, deps: InboxDeps) {
    this.#trx = trx;
    this.#deps = deps;
    this.store = inboxStore(trx);
    this.at = deps.now();
  }

  get trx(): Kysely<DB> {
    return this.#trx;
  }

  /** The next change id. The first call also takes the counter's row lock (PostgreSQL). */
  nextChangeId = (): Promise<number> => allocateChangeIds(this.#trx, 1);

  emit(conversationId: string, change: Change, opts: { staffOnly?: boolean; alsoNotify?: string } = {}): void {
    this.#out.push({ conversationId, change, staffOnly: opts.staffOnly ?? false, ...opts });
    if (change.kind === 'member') this.#touched.add(conversationId);
  }

  /** Appends a system message to a customer conversation. */
  async announce(conversationId: string, senderId: string, event: SystemEvent): Promise<void> {
    const message = await this.#deps.messages.appendSystem(this.#trx, {
      conversationId,
      senderId,
      event,
      changeId: await this.nextChangeId(),
    });
    this.emit(conversationId, { kind: 'message', message });
  }

  /** Writes the state with a new change id and queues its item for staff. */
  async save(row: StateRow, patch: Partial<StateRow>): Promise<InboxItem> {
    Object.assign(row, patch, { change_id: await this.nextChangeId(), last_activity_at: this.at });
    const { conversation_id: _id, ...rest } = row;
    await this.store.updateState(row.conversation_id, rest);
    const item = await this.present(row);
    this.emit(row.conversation_id, { kind: 'inbox', item }, { staffOnly: true });
    return item;
  }

  async present(row: StateRow): Promise<InboxItem> {
    const [contact, labels] = await Promise.all([
      this.#deps.contacts.byId(row.contact_id, this.#trx),
      this.store.labelsOf([row.conversation_id]),
    ]);
    return presentItem(
      row,
      contact,
      labels.map((l) => l.label),
    );
  }

  /**
   * Gives the conversation to `assigneeId` (or back to the queue with null): the old owner leaves
   * it, the new one joins, a system message says so. `byUserId` is who did it (the new owner
   * when routing assigned it).
   */
  async assign(row: StateRow, assigneeId: string | null, byUserId: string): Promise<void> {
    if (row.assignee_id === assigneeId) return;
    const { conversations } = this.#deps;
    const old = row.assignee_id;
    const base = { conversationId: row.conversation_id, at: this.at, changeId: this.nextChangeId };
    if (old) {
      const left = await conversations.setActiveMember(this.#trx, { ...base, userId: old, active: false });
      if (left) this.emit(row.conversation_id, { kind: 'member', member: left }, { alsoNotify: old });
    }
    if (assigneeId) {
      const joined = await conversations.setActiveMember(this.#trx, { ...base, userId: assigneeId, active: true });
      if (joined) this.emit(row.conversation_id, { kind: 'member', member: joined });
      await this.store.touchAssigned(assigneeId, this.at, DEFAULT_CAPACITY);
    }
    await this.announce(row.conversation_id, byUserId, {
      event: 'assigned',
      userId: assigneeId,
      displayName: assigneeId ? await this.#deps.access.displayName(this.#trx, assigneeId) : null,
    });
    await this.save(row, { assignee_id: assigneeId });
  }

  /** Moves the status; resolving stops the waiting clock and stamps the time. */
  async setStatus(
    row: StateRow,
    byUserId: string,
    { status, snoozedUntil = null }: { status: InboxStatus; snoozedUntil?: number | null },
  ) {
    if (row.status === status && row.snoozed_until === snoozedUntil) return;
    await this.announce(row.conversation_id, byUserId, { event: 'status_changed', status });
    await this.save(row, {
      status,
      snoozed_until: status === 'snoozed' ? snoozedUntil : null,
      resolved_at: status === 'resolved' ? this.at : null,
      waiting_since: status === 'resolved' ? null : row.waiting_since,
    });
  }

  /**
   * Sends every queued change to its audience, in change-id order; call after the commit.
   * Consecutive changes for the same audience travel in one frame (one routed conversation is
   * half a dozen changes for every watching colleague).
   */
  async publish(): Promise<void> {
    const { membership, bus } = this.#deps;
    for (const id of this.#touched) membership.invalidate(id);
    const sameAudience = (a: Published, b: Published) =>
      a.conversationId === b.conversationId && a.staffOnly === b.staffOnly && a.alsoNotify === b.alsoNotify;
    const runs: Published[][] = [];
    for (const p of this.#out.sort((a, b) => changeIdOf(a.change) - changeIdOf(b.change))) {
      const run = runs.at(-1);
      if (run?.[0] && sameAudience(run[0], p)) run.push(p);
      else runs.push([p]);
    }
    for (const run of runs) {
      const [p] = run as [Published];
      const audience = await membership.audience(p.conversationId);
      const userIds = p.staffOnly ? audience.staff : audience.all;
      const changes = run.map((r) => r.change);
      bus.emit('deliver', {
        userIds: p.alsoNotify ? [...userIds, p.alsoNotify] : userIds,
        frame: { type: 'changes', changes, cursor: changeIdOf(changes.at(-1) as Change), live: true, done: true },
      });
    }
  }
}
