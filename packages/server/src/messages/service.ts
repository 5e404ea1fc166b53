import type { Member, Message, SystemEvent } from '@kurier/protocol';
import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Membership } from '../conversations/membership.js';
import { allocateChangeIds } from '../db/change-clock.js';
import type { Dialect } from '../db/index.js';
import type { DB } from '../db/schema.js';
import type { SqliteThread } from '../db/sqlite-thread.js';
import type { Actor } from '../kernel/auth.js';
import type { Bus } from '../kernel/bus.js';
import { KurierError } from '../kernel/errors.js';
import type { Foreground } from '../kernel/foreground.js';
import { newId } from '../kernel/ids.js';
import type { Writer } from '../kernel/writer.js';
import type { MediaService } from '../media/service.js';
import { commitReceipts, commitSends, type ReceiptItem, type SendItem } from './batches.js';
import { presentMessage, presentMessages, presentStored } from './present.js';
import { indexStep, type SearchIndexer, searchIndexer, startSearchWorker } from './search-index.js';
import { type MessageRow, type MessagesStore, messagesStore } from './store.js';
import { fromThread, fromThreadSend, type ThreadReceiptOutput, type ThreadSendOutput } from './thread-procedures.js';

/** One send: text, or a file uploaded before (`mediaId`) with an optional caption. */
export interface SendInput {
  conversationId: string;
  clientMsgId: string;
  text?: string | undefined;
  mediaId?: string | undefined;
  replyToId?: string | undefined;
  note?: boolean | undefined;
}

/**
 * Runs inside a send batch's transaction with the messages it created, so state that follows
 * messages (the inbox: reopen, waiting time, first response) commits with them. Returns what to
 * publish after the messages, or null.
 */
export type CommittedHook = (trx: Kysely<DB>, created: readonly Message[]) => Promise<(() => void) | null>;

/** A receipt watermark move, as queued for group commit. */
export interface ReceiptInput {
  conversationId: string;
  kind: 'delivered' | 'read';
  seq: number;
}

interface Deps {
  db: Kysely<DB>;
  dialect: Dialect;
  writer: Writer;
  bus: Bus;
  membership: Membership;
  /** Attached files: checked on the send path, presented with their messages. */
  media: Pick<MediaService, 'lookup'>;
  now?: () => number;
  /** How often committed messages are added to the SQLite full-text index. */
  searchIndexIntervalMs?: number;
  onBackgroundError?: (err: unknown) => void;
  /**
   * SQLite's thread: plain sends and receipts run there as one procedure per batch
   * (messages/thread-procedures.ts).
   */
  thread?: SqliteThread | null;
  /**
   * SQLite's full-text index: its files (indexed by a thread of its own), or for an in-memory
   * database the connection itself. Absent on PostgreSQL.
   */
  search?: { files: { main: string; search: string } } | { memory: SQLite.Database } | null;
  /** Catch-ups under way, which the search index yields to (kernel/foreground.ts). */
  foreground?: Foreground;
  /** Whether a user has a live connection now (realtime/hub.ts): who will need a catch-up. */
  isOnline?: (userId: string) => boolean;
}

/** The full-text indexer that fits the database (messages/search-index.ts); PostgreSQL needs none. */
function searchIndexFor({
  dialect,
  search,
  writer,
  foreground,
  intervalMs,
  onBackgroundError,
}: Pick<Deps, 'dialect' | 'search' | 'writer' | 'foreground'> & {
  intervalMs: number;
  onBackgroundError: (err: unknown) => void;
}): SearchIndexer {
  if (dialect === 'postgres' || !search) return { touch() {}, flush: async () => {}, start() {}, stop: async () => {} };
  if ('files' in search) {
    const worker = startSearchWorker(search.files, foreground?.counter);
    return searchIndexer({
      catchUp: worker.catchUp,
      close: worker.close,
      intervalMs,
      ...(foreground ? { busy: () => foreground.busy } : {}),
      onError: onBackgroundError,
    });
  }
  // In memory there is one connection: index in the writer's order, inside its transaction.
  const catchUp = () =>
    writer.transact(async () => {
      let more = true;
      while (more) more = indexStep(search.memory).more;
      return { result: undefined };
    });
  return searchIndexer({ catchUp, intervalMs, onError: onBackgroundError });
}

/**
 * Whether the SQLite thread fsyncs right after a batch's commit. Below saturation (small batches)
 * it saves two thread wake-ups per batch, the larger cost on a small machine. At saturation
 * batches are large, and the writer's fsync on the libuv pool lets the next batch's transaction
 * run meanwhile, which the thread could not (docs/benchmarks.md, 2026-12-02).
 */
const syncOnThread = (items: readonly unknown[]) => items.length < 64;

const SEARCH_PRUNE_MS = 10 * 60_000;

/** Messages: durable, idempotent sends with gapless seqs; edits, deletes, reactions, receipts. */
export function messagesService({
  db,
  dialect,
  writer,
  bus,
  membership,
  media,
  now = Date.now,
  searchIndexIntervalMs = 250,
  onBackgroundError = () => {},
  isOnline = () => true,
  thread = null,
  search = null,
  foreground,
}: Deps) {
  const store = messagesStore(db, dialect);
  const storeOf = (trx: Kysely<DB>) => messagesStore(trx, dialect);
  const searchIndex = searchIndexFor({
    dialect,
    search,
    writer,
    foreground,
    intervalMs: searchIndexIntervalMs,
    onBackgroundError,
  });

  let committedHook: CommittedHook = async () => null;

  // Edits and deletes queue their message for the search index (`search_edits`, SQLite); what it
  // has applied is dropped now and then, in the writer's order.
  let editedSincePrune = false;
  const pruneSearchEdits = () => writer.transact(async (trx) => ({ result: await storeOf(trx).pruneSearchEdits() }));
  const pruning =
    dialect === 'sqlite'
      ? setInterval(() => {
          if (!editedSincePrune) return;
          editedSincePrune = false;
          pruneSearchEdits().catch(onBackgroundError);
        }, SEARCH_PRUNE_MS).unref()
      : undefined;

  /**
   * Sends each message's new state to its audience (all their devices); notes skip customers.
   * `created`: the messages are new, and the connection that sent each gets its ack instead (M12).
   */
  async function publishMessages(messages: readonly Message[], created = false): Promise<void> {
    for (const message of messages) {
      const audience = await membership.audience(message.conversationId);
      bus.emit('deliver', {
        // One shape for every event: a spread would allocate and slow the hub's reads of it.
        created: created ? message : undefined,
        userIds: message.type === 'note' ? audience.staff : audience.all,
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

  /** Rows → messages with reactions and media, read through `trx` when inside one. */
  const presentRows = (rows: readonly MessageRow[], trx: Kysely<DB> = db): Promise<Message[]> =>
    presentStored(trx, dialect, rows);

  /** Commits sends in a transaction on the event loop's connection, with the inbox's hook. */
  async function commitOnLoop(trx: Kysely<DB>, items: SendItem[]) {
    const s = { ...storeOf(trx), allocateChangeIds: (count: number) => allocateChangeIds(trx, count) };
    const { results, created } = await commitSends(s, { trx, items, media: media.lookup });
    if (created.length === 0) return { results };
    searchIndex.touch();
    const after = await committedHook(trx, created);
    return {
      results,
      publish: async () => {
        await publishMessages(created, true);
        after?.();
      },
    };
  }

  if (thread) {
    // SQLite: sends and receipts commit as procedures on the SQLite thread, pipelined. Sends to
    // customer conversations follow in a transaction of their own (the fallback), where the
    // inbox service takes part.
    const onThread = <T>(procedure: string, items: readonly unknown[]) =>
      thread.run<T>(procedure, items, { sync: syncOnThread(items), pipelined: true });
    writer.registerOwn<SendItem, Message>(
      'send',
      async (items) => {
        const { output, synced } = await onThread<ThreadSendOutput>('send', items);
        const { results, created } = fromThreadSend(items, output);
        if (created.length > 0) searchIndex.touch();
        return { results, synced, publish: () => publishMessages(created, true) };
      },
      { fallback: commitOnLoop, pipelined: true },
    );
    // Two statements per moved watermark: on the thread they cost no round trips.
    writer.registerOwn<ReceiptItem, void>(
      'receipt',
      async (items) => {
        const { output, synced } = await onThread<ThreadReceiptOutput>('receipt', items);
        return { results: output.results.map(fromThread), synced, publish: () => publishMembers(output.changed) };
      },
      { pipelined: true },
    );
  } else {
    writer.register<SendItem, Message>('send', commitOnLoop);
    writer.register<ReceiptItem, void>('receipt', async (trx, items) => {
      const { results, changed } = await commitReceipts(storeOf(trx), { trx, items });
      return { results, publish: () => publishMembers(changed) };
    });
  }

  /**
   * Sends the members' new receipt states to every active member of their conversations: one
   * frame per conversation and batch, not one per receipt. In a group where everyone reads, a
   * frame per receipt made every message cost members² frames. `members` comes grouped by
   * conversation in change order (commitReceipts), so the frames keep that order too.
   */
  async function publishMembers(members: readonly Member[]): Promise<void> {
    let run: Member[] = [];
    for (const [i, member] of members.entries()) {
      run.push(member);
      if (members[i + 1]?.conversationId === member.conversationId) continue;
      bus.emit('deliver', {
        userIds: (await membership.audience(member.conversationId)).all,
        frame: {
          type: 'changes',
          changes: run.map((m) => ({ kind: 'member', member: m })),
          cursor: member.changeId,
          live: true,
          done: true,
        },
      });
      run = [];
    }
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
    editedSincePrune = true;
    return writer.transact(async (trx) => {
      const s = storeOf(trx);
      const row = await visibleMessage(actor, messageId, s);
      const changeId = await allocateChangeIds(trx, 1);
      await apply(s, row, changeId);
      const [message] = (await presentRows([(await s.byId(messageId)) as MessageRow], trx)) as [Message];
      return { result: message, publish: () => publishMessages([message]) };
    });
  }

  /** One message appended in a caller's transaction, after the conversation's last seq. */
  async function append(
    trx: Kysely<DB>,
    input: Pick<MessageRow, 'type' | 'text' | 'system'> & {
      conversationId: string;
      senderId: string;
      changeId: number;
      clientMsgId?: string;
    },
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
      client_msg_id: input.clientMsgId ?? null,
      type: input.type,
      text: input.text,
      system: input.system,
      reply_to_id: null,
      created_at: at,
      edited_at: null,
      deleted_at: null,
      change_id: input.changeId,
      created_change_id: input.changeId,
      media_id: null,
    };
    await s.insertMany([row]);
    await s.advanceConversations([{ id: input.conversationId, seq: row.seq, at }]);
    if (row.text !== null) searchIndex.touch();
    return presentMessage(row);
  }

  return {
    /**
     * Sends a text or file message; resolves with the stored message after the durable commit.
     * Whether the actor uploaded the attached file is checked in the batch (MEDIA_NOT_FOUND).
     */
    async send(actor: Actor, input: SendInput): Promise<Message> {
      if (input.text === undefined && input.mediaId === undefined) {
        throw new KurierError('VALIDATION_FAILED', { message: 'A message needs text or a file.' });
      }
      if (input.note && actor.role === 'contact') throw new KurierError('FORBIDDEN');
      const members = await membership.requireMember(actor.userId, input.conversationId);
      // Spelled out, not spread: a spread of the parsed frame carried its `type` and `id` along,
      // through the writer and across to the SQLite thread.
      const item: SendItem = {
        conversationId: input.conversationId,
        clientMsgId: input.clientMsgId,
        text: input.text,
        mediaId: input.mediaId,
        replyToId: input.replyToId,
        note: input.note,
        senderId: actor.userId,
        at: now(),
        // Only SQLite's thread keeps JSON for catch-ups; elsewhere there is nothing to decide.
        keep: thread !== null && !members.every(isOnline),
      };
      return writer.submit<Message>('send', item);
    },

    /** Edits one's own, not deleted text message or file caption. */
    edit(actor: Actor, messageId: string, text: string): Promise<Message> {
      return mutateMessage(actor, messageId, async (s, row, changeId) => {
        if (row.sender_id !== actor.userId || row.type === 'system')
          throw new KurierError('FORBIDDEN', { message: 'Only the sender can edit a message.' });
        if (row.deleted_at !== null) throw new KurierError('CONFLICT', { message: 'The message was deleted.' });
        await s.updateMessage(messageId, { text, edited_at: now(), change_id: changeId });
      });
    },

    /** Deletes for everyone: the sender always, group admins for any message. */
    delete(actor: Actor, messageId: string): Promise<Message> {
      return mutateMessage(actor, messageId, async (s, row, changeId) => {
        if (row.type === 'system') throw new KurierError('FORBIDDEN');
        if (row.sender_id !== actor.userId) {
          const [member] = await s.activeMembers([{ conversationId: row.conversation_id, userId: actor.userId }]);
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
      // Staff watching a customer conversation have no watermark to move; their SDK still says
      // "delivered" for what it receives, which is not an error.
      if (!(await membership.activeMemberIds(input.conversationId)).includes(actor.userId)) {
        if (await membership.canRead(actor, input.conversationId)) return;
      }
      await membership.requireMember(actor.userId, input.conversationId);
      const item: ReceiptItem = {
        conversationId: input.conversationId,
        kind: input.kind,
        seq: input.seq,
        userId: actor.userId,
      };
      await writer.submit<void>('receipt', item);
    },

    /**
     * Appends a system message inside a caller's transaction (membership changes, renames) so the
     * change and its announcement commit together. The caller publishes the returned message.
     */
    appendSystem(
      trx: Kysely<DB>,
      input: { conversationId: string; senderId: string; event: SystemEvent; changeId: number },
    ): Promise<Message> {
      return append(trx, { ...input, type: 'system', text: null, system: JSON.stringify(input.event) });
    },

    /**
     * Appends a text message inside a caller's transaction (a conversation opened together with
     * its first message). Membership and idempotency are the caller's to check.
     */
    appendText(
      trx: Kysely<DB>,
      input: { conversationId: string; senderId: string; text: string; clientMsgId: string; changeId: number },
    ): Promise<Message> {
      return append(trx, { ...input, type: 'text', system: null });
    },

    /** A sender's message by its clientMsgId (idempotent operations that send as their first step). */
    async bySender(trx: Kysely<DB>, senderId: string, clientMsgId: string): Promise<MessageRow | undefined> {
      return (await storeOf(trx).byClientIds([clientMsgId])).find((r) => r.sender_id === senderId);
    },

    /** Binds the hook that runs in every send batch's transaction (the inbox; once, at startup). */
    onCommitted(hook: CommittedHook): void {
      committedHook = hook;
    },

    publishMessages,

    /**
     * What a chat list shows per conversation: the newest message and the unread count of
     * `userId`. The caller has checked that these are the user's conversations.
     */
    async summaries(userId: string, conversationIds: readonly string[]) {
      const [newest, unread] = await Promise.all([
        store.newestOf(conversationIds),
        store.unreadCounts(userId, conversationIds),
      ]);
      const presented = presentMessages(newest, await store.reactionsFor(newest.map((r) => r.id)));
      return {
        lastMessage: new Map(presented.map((m) => [m.conversationId, m])),
        unread: new Map(unread.map((u) => [u.conversation_id, Number(u.unread)])),
      };
    },

    /** A page of history, oldest first. */
    async history(
      actor: Actor,
      conversationId: string,
      { before, limit }: { before?: number | undefined; limit: number },
    ) {
      await membership.requireReader(actor, conversationId);
      const rows = await store.history(conversationId, {
        before,
        limit: limit + 1,
        hideNotes: actor.role === 'contact',
      });
      const hasMore = rows.length > limit;
      const page = hasMore ? rows.slice(1) : rows;
      return { messages: await presentRows(page), hasMore };
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
      // Messages reach the index in background batches; a search must still find them all.
      await searchIndex.flush();
      const rows = await store.search(conversationIds, query, limit);
      return { messages: await presentRows(rows) };
    },

    /** Drops the text changes the search index has applied (SQLite; every 10 minutes after edits). */
    pruneSearchEdits,

    /** Brings the search index up to date in the background (at the server's start). */
    startIndexing: () => searchIndex.start(),

    /** How many committed messages search would wait for (SQLite's background index; /metrics). */
    searchBacklog: () => store.searchBacklog(),

    /** Stops background work (the indexer's thread too); call before the writer drains at shutdown. */
    stop(): Promise<void> {
      clearInterval(pruning);
      return searchIndex.stop();
    },

    /** Messages with their reactions and files, for sync. */
    present: (rows: readonly MessageRow[]) => presentRows(rows),

    /** Conversations where a not deleted message carries this file (media access). */
    conversationsWithMedia: (mediaId: string) => store.conversationsWithMedia(mediaId),
  };
}

/** The messages service contract. */
export type MessagesService = ReturnType<typeof messagesService>;
