import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import type { Dialect } from '../db/index.js';
import type { DB, MembersTable, MessagesTable, ReactionsTable } from '../db/schema.js';

/** A stored message without its internal key: what services and presenters handle. */
export type MessageRow = Omit<Selectable<MessagesTable>, 'pk'>;
/** A message about to be inserted. */
export type NewMessageRow = Omit<Insertable<MessagesTable>, 'pk'> & MessageRow;
export type ReactionRow = Selectable<ReactionsTable>;
/** What the send and receipt batches read of a membership. */
export type ActiveMember = Pick<
  Selectable<MembersTable>,
  'conversation_id' | 'user_id' | 'role' | 'delivered_seq' | 'read_seq'
>;
/** A (conversation, user) pair whose membership a batch checks. */
export interface MemberPair {
  conversationId: string;
  userId: string;
}

// SQLite allows 32,766 bound variables per statement; 14 columns × 1,000 rows stays well below.
const INSERT_CHUNK = 1_000;

/**
 * Kysely queries for messages and reactions. The send path also reads `members` and advances
 * `conversations.last_seq`: allocating a seq and inserting the message must be one transaction.
 */
export function messagesStore(db: Kysely<DB>, dialect: Dialect) {
  return {
    insertMany: async (rows: NewMessageRow[]) => {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await db
          .insertInto('messages')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .execute();
      }
    },

    byId: (id: string) => db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst(),

    byIds: async (ids: readonly string[]) =>
      ids.length === 0 ? [] : db.selectFrom('messages').selectAll().where('id', 'in', ids).execute(),

    /** Conversations with a not deleted message carrying this media (who may read the file). */
    conversationsWithMedia: async (mediaId: string) =>
      (
        await db
          .selectFrom('messages')
          .select('conversation_id')
          .distinct()
          .where('media_id', '=', mediaId)
          .where('deleted_at', 'is', null)
          .execute()
      ).map((r) => r.conversation_id),

    /**
     * Messages with these client ids (any sender); the caller matches exact (sender, id) pairs.
     * Filtering on client ids alone walks the (client_msg_id, sender_id) index once per id,
     * where adding `sender_id in (…)` made SQLite probe every sender × id combination.
     */
    byClientIds: async (clientMsgIds: readonly string[]) =>
      clientMsgIds.length === 0
        ? []
        : db.selectFrom('messages').selectAll().where('client_msg_id', 'in', clientMsgIds).execute(),

    /**
     * Active memberships of exactly these (conversation, user) pairs. Only the pairs a batch
     * names: reading every member of its conversations cost a group's whole roster per batch.
     */
    activeMembers: async (pairs: readonly MemberPair[]): Promise<ActiveMember[]> =>
      pairs.length === 0
        ? []
        : db
            .selectFrom('members')
            .select(['conversation_id', 'user_id', 'role', 'delivered_seq', 'read_seq'])
            .where((eb) =>
              eb(
                eb.refTuple('conversation_id', 'user_id'),
                'in',
                pairs.map((p) => eb.tuple(p.conversationId, p.userId)),
              ),
            )
            .where('left_at', 'is', null)
            .execute(),

    lastSeqs: async (conversationIds: readonly string[]) =>
      db.selectFrom('conversations').select(['id', 'last_seq', 'kind']).where('id', 'in', conversationIds).execute(),

    /** Moves each conversation's last seq and time forward in one statement per chunk. */
    advanceConversations: async (updates: readonly { id: string; seq: number; at: number }[]) => {
      for (let i = 0; i < updates.length; i += INSERT_CHUNK) {
        const chunk = updates.slice(i, i + INSERT_CHUNK);
        const cases = (pick: (u: (typeof chunk)[number]) => number) =>
          sql<number>`case id ${sql.join(
            chunk.map((u) => sql`when ${u.id} then cast(${pick(u)} as bigint)`),
            sql` `,
          )} end`;
        await db
          .updateTable('conversations')
          .set({ last_seq: cases((u) => u.seq), last_message_at: cases((u) => u.at) })
          .where(
            'id',
            'in',
            chunk.map((u) => u.id),
          )
          .execute();
      }
    },

    updateMessage: (id: string, patch: Partial<Omit<MessageRow, 'id'>>) =>
      db.updateTable('messages').set(patch).where('id', '=', id).execute(),

    updateReceipt: (
      conversationId: string,
      userId: string,
      patch: { delivered_seq: number; read_seq: number; change_id: number },
    ) =>
      db
        .updateTable('members')
        .set(patch)
        .where('conversation_id', '=', conversationId)
        .where('user_id', '=', userId)
        .execute(),

    memberRows: async (conversationId: string, userIds: readonly string[]) =>
      db
        .selectFrom('members')
        .selectAll()
        .where('conversation_id', '=', conversationId)
        .where('user_id', 'in', userIds)
        .execute(),

    reactionsFor: async (messageIds: readonly string[]) =>
      messageIds.length === 0
        ? []
        : db
            .selectFrom('reactions')
            .selectAll()
            .where('message_id', 'in', messageIds)
            // A total order: reactions in the same millisecond come out the same on every read.
            .orderBy('created_at')
            .orderBy('user_id')
            .orderBy('emoji')
            .execute(),

    addReaction: (row: ReactionRow) =>
      db
        .insertInto('reactions')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .execute(),

    removeReaction: (messageId: string, userId: string, emoji: string) =>
      db
        .deleteFrom('reactions')
        .where('message_id', '=', messageId)
        .where('user_id', '=', userId)
        .where('emoji', '=', emoji)
        .execute(),

    /** The newest message of each conversation (for chat list previews). */
    newestOf: async (conversationIds: readonly string[]) =>
      conversationIds.length === 0
        ? []
        : db
            .selectFrom('messages')
            .innerJoin('conversations', (j) =>
              j
                .onRef('conversations.id', '=', 'messages.conversation_id')
                .onRef('conversations.last_seq', '=', 'messages.seq'),
            )
            .selectAll('messages')
            .where('messages.conversation_id', 'in', conversationIds)
            .execute(),

    /**
     * Per conversation, the messages from others after the user's read watermark that are still
     * there to read (not system messages, not deleted). Walks (conversation_id, seq) from the
     * watermark on, so it costs what is unread, not the history.
     */
    unreadCounts: async (userId: string, conversationIds: readonly string[]) =>
      conversationIds.length === 0
        ? []
        : db
            .selectFrom('messages')
            .innerJoin('members', (j) =>
              j.onRef('members.conversation_id', '=', 'messages.conversation_id').on('members.user_id', '=', userId),
            )
            .select(['messages.conversation_id', (eb) => eb.fn.countAll<number>().as('unread')])
            .where('messages.conversation_id', 'in', conversationIds)
            .whereRef('messages.seq', '>', 'members.read_seq')
            .where('messages.sender_id', '!=', userId)
            .where('messages.type', '!=', 'system')
            .where('messages.deleted_at', 'is', null)
            .groupBy('messages.conversation_id')
            .execute(),

    /** Newest `limit` messages with seq below `before`, returned oldest first; `hideNotes` for customers. */
    history: async (
      conversationId: string,
      { before, limit, hideNotes }: { before: number | undefined; limit: number; hideNotes: boolean },
    ) => {
      let q = db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId);
      if (before !== undefined) q = q.where('seq', '<', before);
      if (hideNotes) q = q.where('type', '!=', 'note');
      const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
      return rows.reverse();
    },

    /** SQLite: messages committed but not yet in the full-text index (0 on PostgreSQL). */
    searchBacklog: async (): Promise<number> => {
      if (dialect === 'postgres') return 0;
      const { rows } = await sql<{ n: number }>`
        select (select coalesce(max(pk), 0) from messages)
             - coalesce((select value from search.search_state where name = 'messages'), 0) as n`.execute(db);
      return Math.max(0, Number(rows[0]?.n ?? 0));
    },

    /**
     * SQLite: forgets the queued text changes the search indexer has applied (it only reads the
     * main database, so it cannot do this itself). Returns how many went.
     */
    pruneSearchEdits: async (): Promise<number> => {
      if (dialect === 'postgres') return 0;
      const done = await sql`delete from search_edits
        where id <= coalesce((select value from search.search_state where name = 'edits'), 0)`.execute(db);
      return Number(done.numAffectedRows ?? 0);
    },

    /** Full-text search in the given conversations, best match first. */
    search: async (conversationIds: readonly string[], query: string, limit: number) => {
      if (conversationIds.length === 0) return [];
      if (dialect === 'postgres') {
        return db
          .selectFrom('messages')
          .selectAll()
          .where('conversation_id', 'in', conversationIds)
          .where('deleted_at', 'is', null)
          .where(sql<boolean>`to_tsvector('simple', coalesce(text, '')) @@ plainto_tsquery('simple', ${query})`)
          .orderBy(sql`ts_rank(to_tsvector('simple', coalesce(text, '')), plainto_tsquery('simple', ${query}))`, 'desc')
          .orderBy('created_at', 'desc')
          .limit(limit)
          .execute();
      }
      const { rows } = await sql<MessageRow>`
        select messages.* from search.messages_fts
        join messages on messages.pk = messages_fts.rowid
        where messages_fts match ${ftsQuery(query)}
          and messages.conversation_id in (${sql.join(conversationIds)})
          and messages.deleted_at is null
        order by messages_fts.rank
        limit ${limit}`.execute(db);
      return rows;
    },
  };
}

/** The messages store contract. */
export type MessagesStore = ReturnType<typeof messagesStore>;

/**
 * User text → an FTS5 query matching every word as a prefix. Quoting each token keeps FTS5
 * operators and punctuation in user input from becoming query syntax (or syntax errors).
 */
export function ftsQuery(input: string): string {
  const words = input.match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return '""';
  return words.map((w) => `"${w}"*`).join(' ');
}
