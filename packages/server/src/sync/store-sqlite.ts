import type SQLite from 'better-sqlite3';
import { messageJsonSql } from '../messages/present.js';
import { recentJson } from '../messages/recent-json.js';
import type { PageSource, StreamRow } from './store.js';

const ACTIVE = 'select conversation_id from members where user_id = @user and left_at is null';
const CONVERSATIONS_OF = 'select conversation_id as id from members where user_id = ? and left_at is null';
const LAST = 'select seq, created_change_id from messages where conversation_id = ? order by seq desc limit 1';
const FIRST_FROM =
  'select seq, created_change_id from messages where conversation_id = ? and seq >= ? order by seq limit 1';

/**
 * A conversation's candidates for a page, `{ pk, change_id }` in change-id order: the changed
 * messages through the partial index of migration 0009 (its condition repeated word for word),
 * the unchanged ones through `(conversation_id, seq)`, whose order is theirs.
 */
const candidatesSql = (customer: boolean) => {
  const notNote = customer ? "and type != 'note'" : '';
  return {
    changed: `select pk, change_id from messages
      where conversation_id = ? and change_id > ? and change_id != created_change_id ${notNote}
      order by change_id limit ?`,
    created: `select pk, change_id from messages
      where conversation_id = ? and seq > ? and change_id = created_change_id ${notNote}
      order by seq limit ?`,
  };
};
const STAFF = candidatesSql(false);
const CUSTOMER = candidatesSql(true);
/** The statements a catch-up page reads messages with, for tests of their query plans. */
export const CATCH_UP_MESSAGE_STATEMENTS = [
  LAST,
  FIRST_FROM,
  STAFF.changed,
  STAFF.created,
  CUSTOMER.changed,
  CUSTOMER.created,
];
const BY_PK = `select m.change_id, ${messageJsonSql('m')} as json
  from messages m where m.pk in (select value from json_each(?)) order by m.change_id`;
const MEMBERS = `select * from members
  where (conversation_id in (${ACTIVE}) or user_id = @user) and change_id > @after order by change_id limit @limit`;
const CONVERSATIONS = `select * from conversations
  where id in (${ACTIVE}) and change_id > @after order by change_id limit @limit`;
const PREFS = 'select * from chat_prefs where user_id = @user and change_id > @after order by change_id limit @limit';

/** A message of a catch-up page on SQLite: its JSON, and whether the thread had kept it (recent-json.ts). */
export interface SqliteMessage {
  change_id: number;
  json: string;
  kept?: true;
}

/**
 * The catch-up's reads on SQLite, for the procedure on the SQLite thread: the same rows as
 * `syncStore` (tests S2, S6 and S10 compare the frames page by page), with fixed statement texts
 * prepared once per connection. Building and compiling the four Kysely queries anew for every
 * page was a third of a page's time on a cold path, and a reconnecting client meets exactly that
 * path (docs/benchmarks.md, 2026-12-06). Messages come serialized by SQLite, and are found as
 * migration 0009 explains: new ones by seq, changed ones by change id.
 */
export function sqliteCatchUpSource(
  sqlite: Pick<SQLite.Database, 'prepare'>,
  { userId, after, customer }: { userId: string; after: number; customer: boolean },
): PageSource<SqliteMessage> {
  const all = <T>(source: string, limit: number) => sqlite.prepare(source).all({ user: userId, after, limit }) as T[];
  type Row = { seq: number; created_change_id: number };
  const row = (source: string, ...params: unknown[]) => sqlite.prepare(source).get(...params) as Row | undefined;

  /**
   * The last seq in the conversation whose message was created at or before the cursor: every
   * message after it is new. Messages are created in seq order, so "created at or before" holds
   * for a prefix of seqs (pre-0009 rows, created 0, included), and a binary search over the seq
   * index finds its end in ~log₂(seq) probes, each the first message at or above a seq (seqs
   * may have gaps). Only a conversation with something new gets past the first probe.
   */
  const createdUpTo = (conversationId: string): number | null => {
    const last = row(LAST, conversationId);
    if (!last || last.created_change_id <= after) return null;
    // Messages up to lo were created at or before the cursor; those from hi on, after it. A
    // probe that lands at or past hi (no message from mid to hi) finds one of the latter.
    let lo = 0;
    let hi = last.seq;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const probe = row(FIRST_FROM, conversationId, mid) as Row;
      if (probe.created_change_id <= after) lo = probe.seq;
      else hi = mid;
    }
    return lo;
  };

  /**
   * The first `limit` messages after the cursor over all the user's conversations: each offers
   * at most `limit` candidates by id, the smallest `limit` of all are read with their JSON.
   */
  const messages = (limit: number) => {
    const sql = customer ? CUSTOMER : STAFF;
    let picked: { pk: number; change_id: number }[] = [];
    const byChange = (a: { change_id: number }, b: { change_id: number }) => a.change_id - b.change_id;
    for (const { id } of sqlite.prepare(CONVERSATIONS_OF).all(userId) as { id: string }[]) {
      picked.push(...(sqlite.prepare(sql.changed).all(id, after, limit) as typeof picked));
      const lo = createdUpTo(id);
      if (lo !== null) picked.push(...(sqlite.prepare(sql.created).all(id, lo, limit) as typeof picked));
      if (picked.length > 4 * limit) picked = picked.sort(byChange).slice(0, limit);
    }
    picked = picked.sort(byChange).slice(0, limit);
    // Messages this thread created lately and nobody changed since come as made; SQLite builds
    // the rest (recent-json.ts says why a lookup by the current change id is safe).
    const out: SqliteMessage[] = [];
    const missing: number[] = [];
    for (const p of picked) {
      const json = recentJson.get(p.change_id);
      if (json === undefined) missing.push(p.pk);
      else out.push({ change_id: p.change_id, json, kept: true });
    }
    if (missing.length === 0) return out;
    const built = sqlite.prepare(BY_PK).all(JSON.stringify(missing)) as SqliteMessage[];
    return out.length === 0 ? built : [...out, ...built].sort(byChange);
  };

  return {
    messages,
    members: (limit) => all<StreamRow<'members'>>(MEMBERS, limit),
    conversations: (limit) => all<StreamRow<'conversations'>>(CONVERSATIONS, limit),
    prefs: (limit) => all<StreamRow<'prefs'>>(PREFS, limit),
  };
}
