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
    /** Messages of the user's conversations; a customer's stream leaves staff notes out. */
    messages: (userId: string, after: number, limit: number) => {
      let q = db
        .selectFrom('messages')
        .selectAll()
        .where('conversation_id', 'in', active(userId))
        .where('change_id', '>', after);
      if (isContactId(userId)) q = q.where('type', '!=', 'note');
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
