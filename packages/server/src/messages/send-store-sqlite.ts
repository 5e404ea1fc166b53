import type SQLite from 'better-sqlite3';
import type { SendStore } from './batches.js';
import type { ActiveMember, MessageRow } from './store.js';

const COLUMNS = [
  'id',
  'conversation_id',
  'seq',
  'sender_id',
  'client_msg_id',
  'type',
  'text',
  'system',
  'reply_to_id',
  'created_at',
  'edited_at',
  'deleted_at',
  'change_id',
  'created_change_id',
  'media_id',
] as const satisfies readonly (keyof MessageRow)[];
const SELECT = `select ${COLUMNS.join(', ')} from messages`;
// Positional: better-sqlite3 binds a named parameter by looking its name up on the row object,
// two property lookups per column: ~4 % of the SQLite thread at saturation (docs/benchmarks.md).
const INSERT = `insert into messages (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`;

/**
 * The send path's statements on SQLite, for the send procedure on the SQLite thread. Every
 * statement has one fixed text whatever the batch size (lists travel as one JSON parameter), so
 * each is prepared once and then reused; Kysely's batch-sized `in (…)` lists and multi-row
 * inserts made SQLite parse and plan new statements for every batch.
 */
export function sqliteSendStore(sqlite: Pick<SQLite.Database, 'prepare'>): SendStore {
  const all = <T>(source: string, list: readonly unknown[]) => sqlite.prepare(source).all(JSON.stringify(list)) as T[];
  return {
    // The pairs travel as one JSON array of [conversation, user]; each is a primary-key probe.
    activeMembers: async (pairs) =>
      all<ActiveMember>(
        `select m.conversation_id, m.user_id, m.role, m.delivered_seq, m.read_seq
         from json_each(?) p join members m on m.conversation_id = p.value ->> 0 and m.user_id = p.value ->> 1
         where m.left_at is null`,
        pairs.map((p) => [p.conversationId, p.userId]),
      ),
    byClientIds: async (clientMsgIds) =>
      clientMsgIds.length === 0
        ? []
        : all(`${SELECT} where client_msg_id in (select value from json_each(?))`, clientMsgIds),
    byIds: async (ids) => (ids.length === 0 ? [] : all(`${SELECT} where id in (select value from json_each(?))`, ids)),
    lastSeqs: async (conversationIds) =>
      all(`select id, last_seq, kind from conversations where id in (select value from json_each(?))`, conversationIds),
    insertMany: async (rows) => {
      const insert = sqlite.prepare(INSERT);
      for (const row of rows) insert.run(COLUMNS.map((c) => row[c]));
    },
    advanceConversations: async (updates) => {
      const advance = sqlite.prepare('update conversations set last_seq = ?, last_message_at = ? where id = ?');
      for (const u of updates) advance.run(u.seq, u.at, u.id);
    },
    allocateChangeIds: async (count) => {
      const row = sqlite
        .prepare("update counters set value = value + ? where name = 'change' returning value")
        .get(count) as { value: number };
      return row.value - count + 1;
    },
  };
}
