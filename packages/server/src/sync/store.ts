import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { isContactId } from '../kernel/ids.js';

/**
 * Read-only queries over the change stream of one user. Sync is a read model across domains:
 * it reads messages, members and conversations, and writes nothing.
 */
export function syncStore(db: Kysely<DB>) {
  const active = (userId: string) =>
    db.selectFrom('members').select('conversation_id').where('user_id', '=', userId).where('left_at', 'is', null);

  return {
    /**
     * Messages of the user's conversations; a customer's stream leaves staff notes out. Ordering
     * the rows of several conversations by change id needs a sort of everything that matches, so
     * the matching rows are first capped by a bound: the smallest, over the user's conversations,
     * of each one's `limit`-th change id after `after` (each read from the conversation's index,
     * stopping there). The first `limit` rows overall lie below it, and a page costs at most
     * `limit` rows per conversation instead of the user's whole backlog.
     *
     * That index, `(conversation_id, change_id)`, exists on PostgreSQL only. On SQLite catch-ups
     * read through `sync/store-sqlite.ts` (migration 0009), and this query, which then walks each
     * conversation by seq, is the plain reference its tests compare with.
     */
    messages: (userId: string, after: number, limit: number) => {
      const customer = isContactId(userId);
      const bound = db
        .selectFrom('members as mb')
        .where('mb.user_id', '=', userId)
        .where('mb.left_at', 'is', null)
        .select((eb) => {
          let nth = eb
            .selectFrom('messages as n')
            .select('n.change_id')
            .whereRef('n.conversation_id', '=', 'mb.conversation_id')
            .where('n.change_id', '>', after);
          if (customer) nth = nth.where('n.type', '!=', 'note');
          return eb.fn
            .min(
              nth
                .orderBy('n.change_id')
                .limit(1)
                .offset(limit - 1),
            )
            .as('bound');
        });
      let q = db
        .selectFrom('messages')
        .selectAll()
        .where('conversation_id', 'in', active(userId))
        .where('change_id', '>', after)
        .where((eb) =>
          eb(
            'change_id',
            '<=',
            eb.fn.coalesce(eb.selectFrom(bound.as('b')).select('b.bound'), eb.lit(Number.MAX_SAFE_INTEGER)),
          ),
        );
      if (customer) q = q.where('type', '!=', 'note');
      return q.orderBy('change_id').limit(limit).execute();
    },

    /** Member rows of the user's conversations, plus the user's own rows (to learn of removal). */
    members: (userId: string, after: number, limit: number) =>
      db
        .selectFrom('members')
        .selectAll()
        .where((eb) => eb.or([eb('conversation_id', 'in', active(userId)), eb('user_id', '=', userId)]))
        .where('change_id', '>', after)
        .orderBy('change_id')
        .limit(limit)
        .execute(),

    /** The user's own chat preferences; nobody else's stream carries them. */
    prefs: (userId: string, after: number, limit: number) =>
      db
        .selectFrom('chat_prefs')
        .selectAll()
        .where('user_id', '=', userId)
        .where('change_id', '>', after)
        .orderBy('change_id')
        .limit(limit)
        .execute(),

    conversations: (userId: string, after: number, limit: number) =>
      db
        .selectFrom('conversations')
        .selectAll()
        .where('id', 'in', active(userId))
        .where('change_id', '>', after)
        .orderBy('change_id')
        .limit(limit)
        .execute(),
  };
}

/** The sync store contract. */
export type SyncStore = ReturnType<typeof syncStore>;

/** The rows of a stream other than messages, as `syncStore` reads them. */
export type StreamRow<TStream extends 'members' | 'conversations' | 'prefs'> = Awaited<
  ReturnType<SyncStore[TStream]>
>[number];

/** Where a page's four streams come from: each at most `limit` rows after the cursor, in change-id order. */
export interface PageSource<TMessage extends { change_id: number }> {
  messages(limit: number): TMessage[] | Promise<TMessage[]>;
  members(limit: number): StreamRow<'members'>[] | Promise<StreamRow<'members'>[]>;
  conversations(limit: number): StreamRow<'conversations'>[] | Promise<StreamRow<'conversations'>[]>;
  prefs(limit: number): StreamRow<'prefs'>[] | Promise<StreamRow<'prefs'>[]>;
}

/** The streams of one user after `after`, through Kysely (any database). */
export function storeSource(db: Kysely<DB>, { userId, after }: { userId: string; after: number }) {
  const store = syncStore(db);
  return {
    messages: (limit: number) => store.messages(userId, after, limit),
    members: (limit: number) => store.members(userId, after, limit),
    conversations: (limit: number) => store.conversations(userId, after, limit),
    prefs: (limit: number) => store.prefs(userId, after, limit),
  } satisfies PageSource<{ change_id: number }>;
}
