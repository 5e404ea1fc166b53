import type { Message, SystemEvent } from '@kurier/protocol';
import type { Kysely } from 'kysely';
import type { Membership } from '../conversations/membership.js';
import { presentMember } from '../conversations/present.js';
import { allocateChangeIds } from '../db/change-clock.js';
import type { Dialect } from '../db/index.js';
import type { DB } from '../db/schema.js';
import type { Actor } from '../kernel/auth.js';
import type { Bus } from '../kernel/bus.js';
import { KurierError, type Result } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import type { Writer } from '../kernel/writer.js';
import { presentMessage, presentMessages } from './present.js';
import { type MessageRow, type MessagesStore, messagesStore } from './store.js';

/** One text send, as queued for group commit. */
export interface SendInput {
  conversationId: string;
  clientMsgId: string;
  text: string;
  replyToId?: string | undefined;
}

interface SendItem extends SendInput {
  senderId: string;
  at: number;
}

/** A receipt watermark move, as queued for group commit. */
export interface ReceiptInput {
  conversationId: string;
  kind: 'delivered' | 'read';
  seq: number;
}

interface ReceiptItem extends ReceiptInput {
  userId: string;
}

interface Deps {
  db: Kysely<DB>;
  dialect: Dialect;
  writer: Writer;
  bus: Bus;
  membership: Membership;
  now?: () => number;
}

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: KurierError): Result<T> => ({ ok: false, error });

/** Messages: durable, idempotent sends with gapless seqs; edits, deletes, reactions, receipts. */
export function messagesService({ db, dialect, writer, bus, membership, now = Date.now }: Deps) {
  const store = messagesStore(db, dialect);
  const storeOf = (trx: Kysely<DB>) => messagesStore(trx, dialect);

  /** Sends each message's new state to every active member (all their devices). */
  async function publishMessages(messages: readonly Message[]): Promise<void> {
    for (const message of messages) {
      const userIds = await membership.activeMemberIds(message.conversationId);
      bus.emit('deliver', {
        userIds,
        frame: {
          type: 'changes',
          changes: [{ kind: 'message', message }],
          cursor: message.changeId,
          live: true,
          done: true,
        },
      });
    }
  }

  writer.register<SendItem, Message>('send', async (trx, items) => commitSends(storeOf(trx), trx, items));
  writer.register<ReceiptItem, void>('receipt', async (trx, items) => commitReceipts(storeOf(trx), trx, items));

  async function commitSends(s: MessagesStore, trx: Kysely<DB>, items: SendItem[]) {
    const results: Result<Message>[] = new Array(items.length);
    const conversationIds = [...new Set(items.map((i) => i.conversationId))];
    const senderIds = [...new Set(items.map((i) => i.senderId))];

    const memberships = await s.activeMemberships(conversationIds, senderIds);
    const isMember = new Set(memberships.map((m) => `${m.conversation_id}\u0000${m.user_id}`));

    // Idempotency: a clientMsgId already stored (or earlier in this batch) returns that message.
    const existing = new Map<string, MessageRow>();
    for (const row of await s.byClientIds(senderIds, [...new Set(items.map((i) => i.clientMsgId))])) {
      existing.set(`${row.sender_id}\u0000${row.client_msg_id}`, row);
    }
    const replyIds = [...new Set(items.flatMap((i) => (i.replyToId ? [i.replyToId] : [])))];
    const replyTargets = new Map((await s.byIds(replyIds)).map((r) => [r.id, r.conversation_id]));

    const seqs = new Map((await s.lastSeqs(conversationIds)).map((c) => [c.id, c.last_seq]));
    const fresh: { index: number; row: MessageRow }[] = [];
    const firstInBatch = new Map<string, number>();

    for (const [index, item] of items.entries()) {
      const key = `${item.senderId}\u0000${item.clientMsgId}`;
      const prior = existing.get(key);
      if (prior) {
        results[index] =
          prior.conversation_id === item.conversationId && prior.text === item.text
            ? ok(presentMessage(prior))
            : fail(new KurierError('CLIENT_MSG_ID_REUSED'));
        continue;
      }
      const twin = firstInBatch.get(key);
      if (twin !== undefined) {
        results[index] = { ok: false, error: new KurierError('INTERNAL') }; // resolved below
        continue;
      }
      if (!seqs.has(item.conversationId)) {
        results[index] = fail(new KurierError('CONVERSATION_NOT_FOUND'));
        continue;
      }
      if (!isMember.has(`${item.conversationId}\u0000${item.senderId}`)) {
        results[index] = fail(new KurierError('NOT_A_MEMBER'));
        continue;
      }
      if (item.replyToId && replyTargets.get(item.replyToId) !== item.conversationId) {
        results[index] = fail(
          new KurierError('MESSAGE_NOT_FOUND', { message: 'The quoted message is not in this conversation.' }),
        );
        continue;
      }
      const seq = (seqs.get(item.conversationId) ?? 0) + 1;
      seqs.set(item.conversationId, seq);
      firstInBatch.set(key, index);
      fresh.push({
        index,
        row: {
          id: newId('m'),
          conversation_id: item.conversationId,
          seq,
          sender_id: item.senderId,
          client_msg_id: item.clientMsgId,
          type: 'text',
          text: item.text,
          system: null,
          reply_to_id: item.replyToId ?? null,
          created_at: item.at,
          edited_at: null,
          deleted_at: null,
          change_id: 0,
        },
      });
    }

    if (fresh.length > 0) {
      let changeId = await allocateChangeIds(trx, fresh.length);
      for (const f of fresh) f.row.change_id = changeId++;
      await s.insertMany(fresh.map((f) => f.row));
      const touched = new Map<string, { seq: number; at: number }>();
      for (const { row } of fresh) touched.set(row.conversation_id, { seq: row.seq, at: row.created_at });
      for (const [id, t] of touched) await s.advanceConversation(id, t.seq, t.at);
    }

    const created = fresh.map((f) => presentMessage(f.row));
    fresh.forEach((f, i) => {
      results[f.index] = ok(created[i] as Message);
    });
    // A duplicate inside one batch gets the same answer as its first occurrence.
    for (const [index, item] of items.entries()) {
      const first = firstInBatch.get(`${item.senderId}\u0000${item.clientMsgId}`);
      if (first !== undefined && first !== index) {
        const original = results[first];
        results[index] =
          original?.ok && original.value.conversationId === item.conversationId && original.value.text === item.text
            ? original
            : fail(new KurierError('CLIENT_MSG_ID_REUSED'));
      }
    }
    return { results, publish: () => publishMessages(created) };
  }

  async function commitReceipts(s: MessagesStore, trx: Kysely<DB>, items: ReceiptItem[]) {
    const results: Result<void>[] = [];
    // Coalesce: per member only the highest positions matter.
    const wanted = new Map<string, { conversationId: string; userId: string; delivered: number; read: number }>();
    for (const item of items) {
      const key = `${item.conversationId}\u0000${item.userId}`;
      const w = wanted.get(key) ?? { conversationId: item.conversationId, userId: item.userId, delivered: 0, read: 0 };
      if (item.kind === 'read') w.read = Math.max(w.read, item.seq);
      w.delivered = Math.max(w.delivered, item.seq);
      wanted.set(key, w);
    }
    const conversationIds = [...new Set(items.map((i) => i.conversationId))];
    const userIds = [...new Set(items.map((i) => i.userId))];
    const rows = await s.activeMemberships(conversationIds, userIds);
    const current = new Map(rows.map((r) => [`${r.conversation_id}\u0000${r.user_id}`, r]));
    const lastSeq = new Map((await s.lastSeqs(conversationIds)).map((c) => [c.id, c.last_seq]));

    const updates: { conversationId: string; userId: string; delivered: number; read: number }[] = [];
    for (const [key, w] of wanted) {
      const row = current.get(key);
      if (!row) continue;
      const cap = lastSeq.get(w.conversationId) ?? 0;
      const read = Math.max(row.read_seq, Math.min(w.read, cap));
      const delivered = Math.max(row.delivered_seq, read, Math.min(w.delivered, cap));
      if (read !== row.read_seq || delivered !== row.delivered_seq) updates.push({ ...w, delivered, read });
    }
    for (const item of items) {
      const key = `${item.conversationId}\u0000${item.userId}`;
      results.push(current.has(key) ? ok(undefined) : fail(new KurierError('NOT_A_MEMBER')));
    }
    if (updates.length === 0) return { results };

    let changeId = await allocateChangeIds(trx, updates.length);
    const changed: { conversationId: string; userId: string }[] = [];
    for (const u of updates) {
      await s.updateReceipt(u.conversationId, u.userId, {
        delivered_seq: u.delivered,
        read_seq: u.read,
        change_id: changeId++,
      });
      changed.push(u);
    }
    const fresh = await Promise.all(changed.map((c) => s.memberRows(c.conversationId, [c.userId])));
    return {
      results,
      publish: async () => {
        for (const [row] of fresh) {
          if (!row) continue;
          const member = presentMember(row);
          bus.emit('deliver', {
            userIds: await membership.activeMemberIds(row.conversation_id),
            frame: {
              type: 'changes',
              changes: [{ kind: 'member', member }],
              cursor: member.changeId,
              live: true,
              done: true,
            },
          });
        }
      },
    };
  }

  /** Loads a message the actor may see, or throws. */
  async function visibleMessage(actor: Actor, messageId: string, s: MessagesStore = store): Promise<MessageRow> {
    const row = await s.byId(messageId);
    if (!row) throw new KurierError('MESSAGE_NOT_FOUND');
    await membership.requireMember(actor.userId, row.conversation_id);
    return row;
  }

  /** Applies a change to one message in its own transaction and republishes its state. */
  function mutateMessage(
    actor: Actor,
    messageId: string,
    apply: (s: MessagesStore, row: MessageRow, changeId: number) => Promise<void>,
  ) {
    return writer.transact(async (trx) => {
      const s = storeOf(trx);
      const row = await visibleMessage(actor, messageId, s);
      const changeId = await allocateChangeIds(trx, 1);
      await apply(s, row, changeId);
      const updated = (await s.byId(messageId)) as MessageRow;
      const message = presentMessage(updated, await s.reactionsFor([messageId]));
      return { result: message, publish: () => publishMessages([message]) };
    });
  }

  return {
    /** Sends a text message; resolves with the stored message after the durable commit. */
    async send(actor: Actor, input: SendInput): Promise<Message> {
      await membership.requireMember(actor.userId, input.conversationId);
      return writer.submit<Message>('send', { ...input, senderId: actor.userId, at: now() } satisfies SendItem);
    },

    /** Edits one's own, not deleted text message. */
    edit(actor: Actor, messageId: string, text: string): Promise<Message> {
      return mutateMessage(actor, messageId, async (s, row, changeId) => {
        if (row.sender_id !== actor.userId || row.type !== 'text')
          throw new KurierError('FORBIDDEN', { message: 'Only the sender can edit a text message.' });
        if (row.deleted_at !== null) throw new KurierError('CONFLICT', { message: 'The message was deleted.' });
        await s.updateMessage(messageId, { text, edited_at: now(), change_id: changeId });
      });
    },

    /** Deletes for everyone: the sender always, group admins for any message. */
    delete(actor: Actor, messageId: string): Promise<Message> {
      return mutateMessage(actor, messageId, async (s, row, changeId) => {
        if (row.type === 'system') throw new KurierError('FORBIDDEN');
        if (row.sender_id !== actor.userId) {
          const [member] = await s.activeMemberships([row.conversation_id], [actor.userId]);
          if (member?.role !== 'admin')
            throw new KurierError('FORBIDDEN', { message: 'Only the sender or a group admin can delete this.' });
        }
        if (row.deleted_at !== null) return;
        await s.updateMessage(messageId, { text: null, deleted_at: now(), change_id: changeId });
      });
    },

    /** Adds or removes one reaction of the actor. */
    react(
      actor: Actor,
      messageId: string,
      { emoji, remove = false }: { emoji: string; remove?: boolean | undefined },
    ): Promise<Message> {
      return mutateMessage(actor, messageId, async (s, row, changeId) => {
        if (row.deleted_at !== null) throw new KurierError('CONFLICT', { message: 'The message was deleted.' });
        if (remove) await s.removeReaction(messageId, actor.userId, emoji);
        else await s.addReaction({ message_id: messageId, user_id: actor.userId, emoji, created_at: now() });
        await s.updateMessage(messageId, { change_id: changeId });
      });
    },

    /** Moves the actor's delivered/read watermark forward; older positions are ignored. */
    async receipt(actor: Actor, input: ReceiptInput): Promise<void> {
      await membership.requireMember(actor.userId, input.conversationId);
      await writer.submit<void>('receipt', { ...input, userId: actor.userId } satisfies ReceiptItem);
    },

    /**
     * Appends a system message inside a caller's transaction (membership changes, renames) so the
     * change and its announcement commit together. The caller publishes the returned message.
     */
    async appendSystem(
      trx: Kysely<DB>,
      input: { conversationId: string; senderId: string; event: SystemEvent; changeId: number },
    ): Promise<Message> {
      const s = storeOf(trx);
      const [conv] = await s.lastSeqs([input.conversationId]);
      if (!conv) throw new KurierError('CONVERSATION_NOT_FOUND');
      const at = now();
      const row: MessageRow = {
        id: newId('m'),
        conversation_id: input.conversationId,
        seq: conv.last_seq + 1,
        sender_id: input.senderId,
        client_msg_id: null,
        type: 'system',
        text: null,
        system: JSON.stringify(input.event),
        reply_to_id: null,
        created_at: at,
        edited_at: null,
        deleted_at: null,
        change_id: input.changeId,
      };
      await s.insertMany([row]);
      await s.advanceConversation(input.conversationId, row.seq, at);
      return presentMessage(row);
    },

    publishMessages,

    /** A page of history, oldest first. */
    async history(
      actor: Actor,
      conversationId: string,
      { before, limit }: { before?: number | undefined; limit: number },
    ) {
      await membership.requireMember(actor.userId, conversationId);
      const rows = await store.history(conversationId, before, limit + 1);
      const hasMore = rows.length > limit;
      const page = hasMore ? rows.slice(1) : rows;
      return { messages: presentMessages(page, await store.reactionsFor(page.map((r) => r.id))), hasMore };
    },

    /** Full-text search over the conversations the actor is in (or one of them). */
    async search({
      query,
      conversationIds,
      limit,
    }: {
      query: string;
      conversationIds: readonly string[];
      limit: number;
    }) {
      const rows = await store.search(conversationIds, query, limit);
      return { messages: presentMessages(rows, await store.reactionsFor(rows.map((r) => r.id))) };
    },

    /** Messages with their reactions, for sync. */
    async present(rows: readonly MessageRow[]): Promise<Message[]> {
      return presentMessages(rows, await store.reactionsFor(rows.map((r) => r.id)));
    },
  };
}

/** The messages service contract. */
export type MessagesService = ReturnType<typeof messagesService>;
