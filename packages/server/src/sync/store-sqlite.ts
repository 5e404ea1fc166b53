import type SQLite from 'better-sqlite3';
import { messageJsonSql } from '../messages/present.js';
import type { PageSource, StreamRow } from './store.js';

const ACTIVE = 'select conversation_id from members where user_id = @user and left_at is null';

/**
 * Messages as `syncStore(db).messages` picks them (the bound is explained there), each as its
 * change id and its wire JSON made by SQLite. A customer's stream leaves staff notes out.
 */
const messagesSql = (customer: boolean) => {
  const notNote = (alias: string) => (customer ? `and ${alias}.type != 'note'` : '');
  return `select m.change_id, ${messageJsonSql('m')} as json
    from messages m
    where m.conversation_id in (${ACTIVE}) and m.change_id > @after ${notNote('m')}
      and m.change_id <= coalesce((select min((select n.change_id from messages n
            where n.conversation_id = mb.conversation_id and n.change_id > @after ${notNote('n')}
            order by n.change_id limit 1 offset @nth))
          from members mb where mb.user_id = @user and mb.left_at is null), ${Number.MAX_SAFE_INTEGER})
    order by m.change_id limit @limit`;
};
const STAFF_MESSAGES = messagesSql(false);
const CUSTOMER_MESSAGES = messagesSql(true);
const MEMBERS = `select * from members
  where (conversation_id in (${ACTIVE}) or user_id = @user) and change_id > @after order by change_id limit @limit`;
const CONVERSATIONS = `select * from conversations
  where id in (${ACTIVE}) and change_id > @after order by change_id limit @limit`;
const PREFS = 'select * from chat_prefs where user_id = @user and change_id > @after order by change_id limit @limit';

/**
 * The catch-up's reads on SQLite, for the procedure on the SQLite thread: the same rows as
 * `syncStore`, with fixed statement texts prepared once per connection. Building and compiling
 * the four Kysely queries anew for every page was a third of a page's time on a cold path, and a
 * reconnecting client meets exactly that path (docs/benchmarks.md, 2026-12-06). Messages come
 * serialized by SQLite. Test S6 compares the frames with those of `syncStore`, page by page.
 */
export function sqliteCatchUpSource(
  sqlite: Pick<SQLite.Database, 'prepare'>,
  { userId, after, customer }: { userId: string; after: number; customer: boolean },
): PageSource<{ change_id: number; json: string }> {
  const all = <T>(source: string, limit: number, extra: Record<string, unknown> = {}) =>
    sqlite.prepare(source).all({ user: userId, after, limit, ...extra }) as T[];
  return {
    messages: (limit) => all(customer ? CUSTOMER_MESSAGES : STAFF_MESSAGES, limit, { nth: limit - 1 }),
    members: (limit) => all<StreamRow<'members'>>(MEMBERS, limit),
    conversations: (limit) => all<StreamRow<'conversations'>>(CONVERSATIONS, limit),
    prefs: (limit) => all<StreamRow<'prefs'>>(PREFS, limit),
  };
}
