import {
  type Change,
  type ChatPrefs,
  type Conversation,
  type ConversationDetail,
  type ConversationKind,
  type ConversationSummary,
  type CreateConversationRequest,
  CreateConversationRequest as CreateSchema,
  changeIdOf,
  LIMITS,
  type Member,
  type MemberRole,
  type SystemEvent,
  type UpdateChatPrefsRequest,
} from '@kurier/protocol';
import type { Kysely } from 'kysely';
import type { AccountsService } from '../accounts/service.js';
import { allocateChangeIds } from '../db/change-clock.js';
import type { DB } from '../db/schema.js';
import type { Actor } from '../kernel/auth.js';
import type { Bus } from '../kernel/bus.js';
import { KurierError } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import type { Writer } from '../kernel/writer.js';
import type { MessagesService } from '../messages/service.js';
import type { Audience, Membership } from './membership.js';
import { presentConversation, presentMember, presentPrefs } from './present.js';
import {
  type ChatPrefsRow,
  type ConversationRow,
  type ConversationsStore,
  conversationsStore,
  type MemberRow,
} from './store.js';

interface Deps {
  db: Kysely<DB>;
  /** Where `peersOf` reads, on every connection and disconnection (db/index.ts `reads`); `db` when absent. */
  reads?: Kysely<DB>;
  writer: Writer;
  bus: Bus;
  membership: Membership;
  accounts: AccountsService;
  messages: MessagesService;
  now?: () => number;
}

/** What one membership transaction produced, to publish after commit. */
interface Outcome {
  conversationId: string;
  changes: Change[];
  /** Users who are no longer members but must learn it (their own member row). */
  alsoNotify: string[];
}

/** Conversations: direct chats (one per pair), groups, members and their roles. */
export function conversationsService({
  db,
  reads = db,
  writer,
  bus,
  membership,
  accounts,
  messages,
  now = Date.now,
}: Deps) {
  const store = conversationsStore(db);
  const readStore = conversationsStore(reads);

  /** Sends committed changes live to every device of these users. */
  function deliver(userIds: readonly string[], changes: Change[]): void {
    const last = changes.at(-1);
    if (!last) return;
    bus.emit('deliver', {
      userIds,
      frame: { type: 'changes', changes, cursor: changeIdOf(last), live: true, done: true },
    });
  }

  async function publish(outcome: Outcome): Promise<void> {
    membership.invalidate(outcome.conversationId);
    const members = await membership.activeMemberIds(outcome.conversationId);
    deliver([...new Set([...members, ...outcome.alsoNotify])], outcome.changes);
  }

  async function requireUsers(ids: readonly string[]): Promise<void> {
    const found = await accounts.usersByIds(ids);
    const active = new Set(found.filter((u) => u.disabled_at === null && u.role !== 'contact').map((u) => u.id));
    const missing = ids.filter((id) => !active.has(id));
    if (missing.length > 0) throw new KurierError('USER_NOT_FOUND', { details: { userIds: missing } });
  }

  function memberRow(
    conversationId: string,
    userId: string,
    { role, at, changeId }: { role: MemberRole; at: number; changeId: number },
  ): MemberRow {
    return {
      conversation_id: conversationId,
      user_id: userId,
      role,
      joined_at: at,
      left_at: null,
      delivered_seq: 0,
      read_seq: 0,
      change_id: changeId,
    };
  }

  async function detail(s: ConversationsStore, row: ConversationRow): Promise<ConversationDetail> {
    return { conversation: presentConversation(row), members: (await s.members(row.id)).map(presentMember) };
  }

  /**
   * Runs a group change as one transaction: the membership writes, the system message that
   * announces them, and the conversation's new change id commit together.
   */
  function groupChange(
    actor: Actor,
    conversationId: string,
    change: (
      s: ConversationsStore,
      trx: Kysely<DB>,
      self: MemberRow,
    ) => Promise<{ event: SystemEvent; members: MemberRow[]; alsoNotify?: string[] } | null>,
  ): Promise<ConversationDetail> {
    return writer.transact(async (trx) => {
      const s = conversationsStore(trx);
      const self = await membership.requireMemberRow(s, actor.userId, conversationId);
      const conv = (await s.byId(conversationId)) as ConversationRow;
      if (conv.kind !== 'group')
        throw new KurierError('BAD_REQUEST', { message: 'Only groups have members to manage.' });
      const outcome = await change(s, trx, self);
      if (!outcome) return { result: await detail(s, conv) };
      const changeId = await allocateChangeIds(trx, outcome.members.length + 1);
      const changes: Change[] = [];
      for (const [i, m] of outcome.members.entries()) {
        m.change_id = changeId + i;
        await s.upsertMembers([m]);
        changes.push({ kind: 'member', member: presentMember(m) });
      }
      const message = await messages.appendSystem(trx, {
        conversationId,
        senderId: actor.userId,
        event: outcome.event,
        changeId: changeId + outcome.members.length,
      });
      changes.push({ kind: 'message', message });
      const updated = (await s.byId(conversationId)) as ConversationRow;
      return {
        result: await detail(s, updated),
        publish: () => publish({ conversationId, changes, alsoNotify: outcome.alsoNotify ?? [] }),
      };
    });
  }

  function requireAdmin(self: MemberRow): void {
    if (self.role !== 'admin') throw new KurierError('FORBIDDEN', { message: 'Only group admins can do this.' });
  }

  return {
    /** Creates a direct chat or a group; a direct chat that exists is returned as it is. */
    async create(actor: Actor, input: CreateConversationRequest): Promise<ConversationDetail> {
      const req = CreateSchema.parse(input);
      if (req.kind === 'direct') {
        if (req.userId === actor.userId)
          throw new KurierError('BAD_REQUEST', { message: 'A direct chat needs another person.' });
        await requireUsers([req.userId]);
        const directKey = [actor.userId, req.userId].sort().join(':');
        return writer.transact(async (trx) => {
          const s = conversationsStore(trx);
          const existing = await s.byDirectKey(directKey);
          if (existing) return { result: await detail(s, existing) };
          const changeId = await allocateChangeIds(trx, 3);
          const at = now();
          const row = conversationRow({ kind: 'direct', name: null, directKey, createdBy: actor.userId, at, changeId });
          const rows = [
            memberRow(row.id, actor.userId, { role: 'member', at, changeId: changeId + 1 }),
            memberRow(row.id, req.userId, { role: 'member', at, changeId: changeId + 2 }),
          ];
          await s.insert(row);
          await s.upsertMembers(rows);
          const changes: Change[] = [
            { kind: 'conversation', conversation: presentConversation(row) },
            ...rows.map((m) => ({ kind: 'member' as const, member: presentMember(m) })),
          ];
          return {
            result: await detail(s, row),
            publish: () => publish({ conversationId: row.id, changes, alsoNotify: [] }),
          };
        });
      }
      const memberIds = [...new Set(req.memberIds.filter((id) => id !== actor.userId))];
      await requireUsers(memberIds);
      return writer.transact(async (trx) => {
        const s = conversationsStore(trx);
        const at = now();
        const changeId = await allocateChangeIds(trx, memberIds.length + 3);
        const row = conversationRow({
          kind: 'group',
          name: req.name,
          directKey: null,
          createdBy: actor.userId,
          at,
          changeId,
        });
        const rows = [
          memberRow(row.id, actor.userId, { role: 'admin', at, changeId: changeId + 1 }),
          ...memberIds.map((id, i) => memberRow(row.id, id, { role: 'member', at, changeId: changeId + 2 + i })),
        ];
        await s.insert(row);
        await s.upsertMembers(rows);
        const message = await messages.appendSystem(trx, {
          conversationId: row.id,
          senderId: actor.userId,
          event: { event: 'created', name: req.name },
          changeId: changeId + rows.length + 1,
        });
        const changes: Change[] = [
          { kind: 'conversation', conversation: presentConversation(row) },
          ...rows.map((m) => ({ kind: 'member' as const, member: presentMember(m) })),
          { kind: 'message', message },
        ];
        const created = (await s.byId(row.id)) as ConversationRow;
        return {
          result: await detail(s, created),
          publish: () => publish({ conversationId: row.id, changes, alsoNotify: [] }),
        };
      });
    },

    /** The user's chat list: conversations with members, newest message and unread count. */
    async list(actor: Actor): Promise<ConversationSummary[]> {
      const rows = await store.forUser(actor.userId);
      const ids = rows.map((r) => r.id);
      const [members, summaries, prefs] = await Promise.all([
        store.membersOf(ids),
        messages.summaries(actor.userId, ids),
        store.prefsOf(actor.userId),
      ]);
      const prefsById = new Map(prefs.map((p) => [p.conversation_id, p]));
      const byConversation = new Map<string, MemberRow[]>();
      for (const m of members) {
        const list = byConversation.get(m.conversation_id);
        if (list) list.push(m);
        else byConversation.set(m.conversation_id, [m]);
      }
      return rows.map((r) => ({
        conversation: presentConversation(r),
        members: (byConversation.get(r.id) ?? []).map(presentMember),
        lastMessage: summaries.lastMessage.get(r.id) ?? null,
        unread: summaries.unread.get(r.id) ?? 0,
        prefs: presentPrefs(r.id, prefsById.get(r.id)),
      }));
    },

    async get(actor: Actor, conversationId: string): Promise<ConversationDetail> {
      await membership.requireReader(actor, conversationId);
      return detail(store, (await store.byId(conversationId)) as ConversationRow);
    },

    /** Renames a group (admins). */
    rename(actor: Actor, conversationId: string, name: string): Promise<ConversationDetail> {
      return writer.transact(async (trx) => {
        const s = conversationsStore(trx);
        const self = await membership.requireMemberRow(s, actor.userId, conversationId);
        const conv = (await s.byId(conversationId)) as ConversationRow;
        if (conv.kind !== 'group') throw new KurierError('BAD_REQUEST', { message: 'Only groups have a name.' });
        requireAdmin(self);
        const changeId = await allocateChangeIds(trx, 2);
        await s.update(conversationId, { name, change_id: changeId });
        const message = await messages.appendSystem(trx, {
          conversationId,
          senderId: actor.userId,
          event: { event: 'renamed', name },
          changeId: changeId + 1,
        });
        const updated = (await s.byId(conversationId)) as ConversationRow;
        const changes: Change[] = [
          { kind: 'conversation', conversation: presentConversation(updated) },
          { kind: 'message', message },
        ];
        return {
          result: await detail(s, updated),
          publish: () => publish({ conversationId, changes, alsoNotify: [] }),
        };
      });
    },

    /** Adds people to a group (admins); people already in it are skipped. */
    async addMembers(actor: Actor, conversationId: string, userIds: string[]): Promise<ConversationDetail> {
      await requireUsers(userIds);
      return groupChange(actor, conversationId, async (s, _trx, self) => {
        requireAdmin(self);
        const current = new Set(
          (await s.members(conversationId)).filter((m) => m.left_at === null).map((m) => m.user_id),
        );
        const added = [...new Set(userIds)].filter((id) => !current.has(id));
        if (added.length === 0) return null;
        const at = now();
        return {
          event: { event: 'member_added', userIds: added },
          members: added.map((id) => memberRow(conversationId, id, { role: 'member', at, changeId: 0 })),
        };
      });
    },

    /** Removes a member (admins), or leaves when the user is the actor. */
    removeMember(actor: Actor, conversationId: string, userId: string): Promise<ConversationDetail> {
      return groupChange(actor, conversationId, async (s, _trx, self) => {
        const leaving = userId === actor.userId;
        if (!leaving) requireAdmin(self);
        const all = await s.members(conversationId);
        const target = all.find((m) => m.user_id === userId && m.left_at === null);
        if (!target) throw new KurierError('NOT_FOUND', { message: 'This person is not in the group.' });
        const at = now();
        const changed: MemberRow[] = [{ ...target, left_at: at }];
        const remaining = all.filter((m) => m.left_at === null && m.user_id !== userId);
        // A group must keep an admin: the longest-standing member inherits the role.
        if (target.role === 'admin' && remaining.length > 0 && !remaining.some((m) => m.role === 'admin')) {
          const heir = [...remaining].sort((a, b) => a.joined_at - b.joined_at)[0] as MemberRow;
          changed.push({ ...heir, role: 'admin' });
        }
        return {
          event: leaving ? { event: 'member_left' } : { event: 'member_removed', userIds: [userId] },
          members: changed,
          alsoNotify: [userId],
        };
      });
    },

    /** Makes a member admin or member (admins). */
    setRole(
      actor: Actor,
      conversationId: string,
      { userId, role }: { userId: string; role: MemberRole },
    ): Promise<ConversationDetail> {
      return groupChange(actor, conversationId, async (s, _trx, self) => {
        requireAdmin(self);
        const target = await s.member(conversationId, userId);
        if (!target || target.left_at !== null)
          throw new KurierError('NOT_FOUND', { message: 'This person is not in the group.' });
        if (target.role === role) return null;
        return { event: { event: 'role_changed', userId, role }, members: [{ ...target, role }] };
      });
    },

    /**
     * Pins, mutes or archives a chat for the actor alone. The change goes to the actor's devices
     * only; the other members never learn of it.
     */
    setPrefs(actor: Actor, conversationId: string, patch: UpdateChatPrefsRequest): Promise<ChatPrefs> {
      return writer.transact(async (trx) => {
        const s = conversationsStore(trx);
        await membership.requireMemberRow(s, actor.userId, conversationId);
        const old = await s.prefs(actor.userId, conversationId);
        const at = now();
        const next: ChatPrefsRow = {
          user_id: actor.userId,
          conversation_id: conversationId,
          pinned_at: old?.pinned_at ?? null,
          muted_until: old?.muted_until ?? null,
          archived_at: old?.archived_at ?? null,
          change_id: 0,
        };
        if (patch.pinned !== undefined) next.pinned_at = patch.pinned ? (old?.pinned_at ?? at) : null;
        if (patch.archived !== undefined) next.archived_at = patch.archived ? (old?.archived_at ?? at) : null;
        // As in the messengers people know: a pinned chat leaves the archive, an archived one its pin.
        if (patch.pinned === true) next.archived_at = null;
        if (patch.archived === true) next.pinned_at = null;
        if (patch.mutedUntil !== undefined)
          next.muted_until = patch.mutedUntil !== null && patch.mutedUntil > at ? patch.mutedUntil : null;
        if (
          next.pinned_at !== null &&
          old?.pinned_at == null &&
          (await s.pinnedCount(actor.userId)) >= LIMITS.pinnedChats
        )
          throw new KurierError('PIN_LIMIT_REACHED', { details: { limit: LIMITS.pinnedChats } });
        next.change_id = await allocateChangeIds(trx, 1);
        await s.upsertPrefs(next);
        const prefs = presentPrefs(conversationId, next);
        return { result: prefs, publish: () => deliver([actor.userId], [{ kind: 'prefs', prefs }]) };
      });
    },

    /** Who sees the actor's live signals (typing), for someone who may read the conversation. */
    async audience(actor: Actor, conversationId: string): Promise<Audience> {
      await membership.requireReader(actor, conversationId);
      return membership.audience(conversationId);
    },

    /**
     * Opens a customer conversation with the contact as its only member, inside the inbox's
     * transaction (the inbox state and first message commit with it). Uses two change ids.
     */
    async createCustomer(
      trx: Kysely<DB>,
      { contactId, at, changeId }: { contactId: string; at: number; changeId: number },
    ): Promise<{ conversation: Conversation; member: Member }> {
      const s = conversationsStore(trx);
      const row = conversationRow({
        kind: 'customer',
        name: null,
        directKey: null,
        createdBy: contactId,
        at,
        changeId,
      });
      const member = memberRow(row.id, contactId, { role: 'member', at, changeId: changeId + 1 });
      await s.insert(row);
      await s.upsertMembers([member]);
      return { conversation: presentConversation(row), member: presentMember(member) };
    },

    /**
     * Lets a user join or leave a conversation inside a caller's transaction (an agent taking or
     * handing over a customer conversation). Returns the new member state, or null when nothing
     * changed. The caller invalidates membership and publishes after commit.
     */
    async setActiveMember(
      trx: Kysely<DB>,
      input: { conversationId: string; userId: string; active: boolean; at: number; changeId: () => Promise<number> },
    ): Promise<Member | null> {
      const s = conversationsStore(trx);
      const row = await s.member(input.conversationId, input.userId);
      const isActive = row !== undefined && row.left_at === null;
      if (isActive === input.active) return null;
      const changeId = await input.changeId();
      const next: MemberRow = row
        ? { ...row, left_at: input.active ? null : input.at, change_id: changeId }
        : memberRow(input.conversationId, input.userId, { role: 'member', at: input.at, changeId });
      if (input.active) next.joined_at = input.at;
      await s.upsertMembers([next]);
      return presentMember(next);
    },

    /** Ids of the conversations a user is in (search scope, sync). */
    async idsFor(userId: string): Promise<string[]> {
      return (await store.forUser(userId)).map((r) => r.id);
    },

    // Not on the SQLite thread: there it would go before the catch-up of the connection that
    // asked, as a round trip of its own (docs/benchmarks.md, 2026-12-06 afternoon).
    peersOf: (userId: string) => readStore.peersOf(userId),
  };
}

function conversationRow(c: {
  kind: ConversationKind;
  name: string | null;
  directKey: string | null;
  createdBy: string;
  at: number;
  changeId: number;
}): ConversationRow {
  return {
    id: newId('c'),
    kind: c.kind,
    name: c.name,
    direct_key: c.directKey,
    created_by: c.createdBy,
    created_at: c.at,
    last_seq: 0,
    last_message_at: null,
    change_id: c.changeId,
  };
}

/** The conversations service contract. */
export type ConversationsService = ReturnType<typeof conversationsService>;
