import type { MediaRef, Message, MessageType, Reaction, SystemEvent } from '@kurier/protocol';
import type { Kysely } from 'kysely';
import type { Dialect } from '../db/index.js';
import type { DB } from '../db/schema.js';
import { lookupMedia, mediaRefJsonSql } from '../media/present.js';
import { type MessageRow, messagesStore, type ReactionRow } from './store.js';

/**
 * Message row (+ its reactions and attached media) → wire. Deleted messages keep their place but
 * lose content, the file included.
 */
export function presentMessage(
  row: MessageRow,
  reactions: readonly ReactionRow[] = [],
  media: MediaRef | null = null,
): Message {
  const deleted = row.deleted_at !== null;
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    senderId: row.sender_id,
    clientMsgId: row.client_msg_id,
    type: row.type as MessageType,
    text: deleted ? null : row.text,
    system: row.system ? (JSON.parse(row.system) as SystemEvent) : null,
    media: deleted ? null : media,
    replyToId: row.reply_to_id,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
    reactions: deleted ? [] : groupReactions(reactions),
    changeId: row.change_id,
  };
}

function groupReactions(rows: readonly ReactionRow[]): Reaction[] {
  const byEmoji = new Map<string, string[]>();
  for (const r of rows) {
    const users = byEmoji.get(r.emoji);
    if (users) users.push(r.user_id);
    else byEmoji.set(r.emoji, [r.user_id]);
  }
  return [...byEmoji].map(([emoji, userIds]) => ({ emoji, userIds }));
}

/** Presents many rows, attaching each message's reactions and media (by media id). */
export function presentMessages(
  rows: readonly MessageRow[],
  reactions: readonly ReactionRow[],
  media: ReadonlyMap<string, MediaRef> = new Map(),
): Message[] {
  const byMessage = new Map<string, ReactionRow[]>();
  for (const r of reactions) {
    const list = byMessage.get(r.message_id);
    if (list) list.push(r);
    else byMessage.set(r.message_id, [r]);
  }
  return rows.map((row) => presentMessage(row, byMessage.get(row.id), row.media_id ? media.get(row.media_id) : null));
}

/**
 * Stored rows → messages with their reactions and files, read through `db` (a transaction's, when
 * inside one: SQLite has a single connection). Rows without a file cost no media query.
 */
export async function presentStored(db: Kysely<DB>, dialect: Dialect, rows: readonly MessageRow[]): Promise<Message[]> {
  const mediaIds = [...new Set(rows.flatMap((r) => (r.media_id ? [r.media_id] : [])))];
  const files = mediaIds.length > 0 ? await lookupMedia(db, mediaIds) : new Map<string, { ref: MediaRef }>();
  const refs = new Map([...files].map(([id, file]) => [id, file.ref]));
  return presentMessages(rows, await messagesStore(db, dialect).reactionsFor(rows.map((r) => r.id)), refs);
}

/**
 * SQLite: an SQL expression for `JSON.stringify(presentMessage(row, reactions, media))` of the
 * messages row under `alias`, so SQLite serializes a catch-up page itself: one string per row
 * instead of a row object, a presented object and a `JSON.stringify` (docs/benchmarks.md,
 * 2026-12-06). Byte-identical to `presentMessage` (test S6): the same keys in the same order,
 * reactions grouped by emoji in order of their first reaction, deleted messages without content.
 */
export function messageJsonSql(alias: string): string {
  const live = `${alias}.deleted_at is null`;
  // json() around subquery results: a subquery loses SQLite's JSON subtype and would be quoted.
  // Most messages have no reactions: one index probe saves grouping nothing (a third of a page).
  const reactions = `iif(${live} and exists (select 1 from reactions where message_id = ${alias}.id),
    json((select json_group_array(json_object('emoji', g.emoji, 'userIds', json(g.users)) order by g.first)
      from (select r.emoji, json_group_array(r.user_id order by r.rn) as users, min(r.rn) as first
            from (select emoji, user_id, row_number() over (order by created_at, user_id, emoji) as rn
                  from reactions where message_id = ${alias}.id) r
            group by r.emoji) g)),
    json('[]'))`;
  return `json_object(
    'id', ${alias}.id, 'conversationId', ${alias}.conversation_id, 'seq', ${alias}.seq,
    'senderId', ${alias}.sender_id, 'clientMsgId', ${alias}.client_msg_id, 'type', ${alias}.type,
    'text', iif(${live}, ${alias}.text, null), 'system', json(${alias}.system),
    'media', iif(${live}, ${mediaRefJsonSql(`${alias}.media_id`)}, null), 'replyToId', ${alias}.reply_to_id,
    'createdAt', ${alias}.created_at, 'editedAt', ${alias}.edited_at, 'deletedAt', ${alias}.deleted_at,
    'reactions', ${reactions}, 'changeId', ${alias}.change_id)`;
}
