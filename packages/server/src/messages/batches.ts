import type { MediaRef, Member, Message } from '@kurier/protocol';
import type { Kysely } from 'kysely';
import { presentMember } from '../conversations/present.js';
import { allocateChangeIds } from '../db/change-clock.js';
import type { DB } from '../db/schema.js';
import { KurierError, type Result } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import { presentMessage } from './present.js';
import type { MemberPair, MessageRow, MessagesStore } from './store.js';

/** One send as queued for group commit: text, or a file with an optional caption. */
export interface SendItem {
  conversationId: string;
  clientMsgId: string;
  text?: string | undefined;
  mediaId?: string | undefined;
  replyToId?: string | undefined;
  /** A private staff note (customer conversations only). */
  note?: boolean | undefined;
  senderId: string;
  at: number;
  /**
   * A member had no live connection when it was sent, so a catch-up will ask for it: the SQLite
   * thread keeps its JSON for that (recent-json.ts).
   */
  keep: boolean;
}

/** One receipt watermark move as queued for group commit. */
export interface ReceiptItem {
  conversationId: string;
  kind: 'delivered' | 'read';
  seq: number;
  userId: string;
}

/** Media references and uploaders by id, read in the batch's transaction (the media service). */
export type MediaLookup = (
  ids: readonly string[],
  trx: Kysely<DB>,
) => Promise<ReadonlyMap<string, { ref: MediaRef; uploaderId: string }>>;

/** What the send path reads and writes; Kysely on every database, raw statements on the SQLite thread. */
export type SendStore = Pick<
  MessagesStore,
  'activeMembers' | 'byClientIds' | 'byIds' | 'lastSeqs' | 'insertMany' | 'advanceConversations'
> & {
  /** Reserves `count` consecutive change ids and returns the first (db/change-clock.ts). */
  allocateChangeIds(count: number): Promise<number>;
};

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: KurierError): Result<T> => ({ ok: false, error });
const pairKey = (a: string, b: string) => `${a}\u0000${b}`;

/** The distinct (conversation, user) pairs of a batch's items. */
function pairsOf<T extends { conversationId: string }>(items: readonly T[], user: (item: T) => string): MemberPair[] {
  const pairs = new Map<string, MemberPair>();
  for (const item of items) {
    const userId = user(item);
    pairs.set(pairKey(item.conversationId, userId), { conversationId: item.conversationId, userId });
  }
  return [...pairs.values()];
}

/**
 * Commits a batch of sends in the caller's transaction with a constant number of statements:
 * membership, idempotency, reply targets and (only when an item attaches a file) media are read
 * for the whole batch, seqs and change ids allocated in memory, then one multi-row insert. One
 * result per item, in order.
 */
export async function commitSends(
  s: SendStore,
  { trx, items, media }: { trx: Kysely<DB>; items: readonly SendItem[]; media: MediaLookup },
): Promise<{ results: Result<Message>[]; created: Message[] }> {
  const conversationIds = [...new Set(items.map((i) => i.conversationId))];
  const isMember = new Set(
    (await s.activeMembers(pairsOf(items, (i) => i.senderId))).map((m) => pairKey(m.conversation_id, m.user_id)),
  );
  const mediaIds = [...new Set(items.flatMap((i) => (i.mediaId ? [i.mediaId] : [])))];
  const files = mediaIds.length > 0 ? await media(mediaIds, trx) : new Map<string, never>();
  const refOf = (id: string | null | undefined) => (id ? (files.get(id)?.ref ?? null) : null);
  // A retry is the same send only with the same conversation, text and file; the raw media id
  // is kept because a stored file whose id no item asked for is presented without its ref.
  const stored = new Map(
    (await s.byClientIds([...new Set(items.map((i) => i.clientMsgId))])).map((r) => [
      pairKey(r.sender_id, r.client_msg_id ?? ''),
      { message: presentMessage(r, [], refOf(r.media_id)), mediaId: r.media_id },
    ]),
  );
  const replyIds = [...new Set(items.flatMap((i) => (i.replyToId ? [i.replyToId] : [])))];
  const replyTargets = new Map((await s.byIds(replyIds)).map((r) => [r.id, r.conversation_id]));
  const convs = await s.lastSeqs(conversationIds);
  const seqs = new Map(convs.map((c) => [c.id, c.last_seq]));
  const customer = new Set(convs.flatMap((c) => (c.kind === 'customer' ? [c.id] : [])));

  const results: Result<Message>[] = [];
  const rows: MessageRow[] = [];
  const created: Message[] = [];
  // What is stored plus what this batch creates, so a retry inside the same batch gets the same
  // answer as its first occurrence.
  const known = stored;
  for (const item of items) {
    const key = pairKey(item.senderId, item.clientMsgId);
    const prior = known.get(key);
    if (prior) {
      const same =
        prior.message.conversationId === item.conversationId &&
        prior.message.text === (item.text ?? null) &&
        prior.mediaId === (item.mediaId ?? null);
      results.push(same ? ok(prior.message) : fail(new KurierError('CLIENT_MSG_ID_REUSED')));
      continue;
    }
    const refusal = refuse(item, { seqs, isMember, replyTargets, files, customer });
    if (refusal) {
      results.push(fail(refusal));
      continue;
    }
    const seq = (seqs.get(item.conversationId) ?? 0) + 1;
    seqs.set(item.conversationId, seq);
    const row = newMessageRow(item, { id: newId('m'), seq, changeId: 0 });
    const message = presentMessage(row, [], refOf(row.media_id));
    rows.push(row);
    created.push(message);
    known.set(key, { message, mediaId: row.media_id });
    results.push(ok(message));
  }
  if (rows.length === 0) return { results, created: [] };

  const firstChange = await s.allocateChangeIds(rows.length);
  // rows and created are parallel; the presented objects are what acks and events carry.
  rows.forEach((row, i) => {
    row.change_id = firstChange + i;
    row.created_change_id = firstChange + i;
    (created[i] as Message).changeId = firstChange + i;
  });
  await s.insertMany(rows);
  const last = new Map<string, { id: string; seq: number; at: number }>();
  for (const row of rows) last.set(row.conversation_id, { id: row.conversation_id, seq: row.seq, at: row.created_at });
  await s.advanceConversations([...last.values()]);
  return { results, created };
}

/** The row a new send becomes: also how the event loop rebuilds it from the thread's short answer. */
export function newMessageRow(
  item: SendItem,
  { id, seq, changeId }: { id: string; seq: number; changeId: number },
): MessageRow {
  return {
    id,
    conversation_id: item.conversationId,
    seq,
    sender_id: item.senderId,
    client_msg_id: item.clientMsgId,
    type: item.note ? 'note' : item.mediaId ? 'file' : 'text',
    text: item.text ?? null,
    system: null,
    reply_to_id: item.replyToId ?? null,
    created_at: item.at,
    edited_at: null,
    deleted_at: null,
    change_id: changeId,
    created_change_id: changeId,
    media_id: item.mediaId ?? null,
  };
}

function refuse(
  item: SendItem,
  ctx: {
    seqs: Map<string, number>;
    isMember: Set<string>;
    replyTargets: Map<string, string>;
    files: ReadonlyMap<string, { uploaderId: string }>;
    customer: ReadonlySet<string>;
  },
): KurierError | null {
  if (!ctx.seqs.has(item.conversationId)) return new KurierError('CONVERSATION_NOT_FOUND');
  if (!ctx.isMember.has(pairKey(item.conversationId, item.senderId))) return new KurierError('NOT_A_MEMBER');
  if (item.note && !ctx.customer.has(item.conversationId)) {
    return new KurierError('BAD_REQUEST', { message: 'Private notes belong to customer conversations.' });
  }
  if (item.replyToId && ctx.replyTargets.get(item.replyToId) !== item.conversationId) {
    return new KurierError('MESSAGE_NOT_FOUND', { message: 'The quoted message is not in this conversation.' });
  }
  // Someone else's file is refused like an unknown one: attaching proves nothing about access.
  if (item.mediaId && ctx.files.get(item.mediaId)?.uploaderId !== item.senderId) {
    return new KurierError('MEDIA_NOT_FOUND', { message: 'No file with this id was uploaded by you.' });
  }
  return null;
}

/**
 * Commits a batch of receipts: per member only the highest positions count, watermarks never
 * move back nor past the last seq, and read implies delivered. Returns the changed members.
 */
export async function commitReceipts(
  s: MessagesStore,
  { trx, items }: { trx: Kysely<DB>; items: readonly ReceiptItem[] },
): Promise<{ results: Result<void>[]; changed: Member[] }> {
  const wanted = new Map<string, { conversationId: string; userId: string; delivered: number; read: number }>();
  for (const item of items) {
    const key = pairKey(item.conversationId, item.userId);
    const w = wanted.get(key) ?? { conversationId: item.conversationId, userId: item.userId, delivered: 0, read: 0 };
    if (item.kind === 'read') w.read = Math.max(w.read, item.seq);
    w.delivered = Math.max(w.delivered, item.seq);
    wanted.set(key, w);
  }
  const conversationIds = [...new Set(items.map((i) => i.conversationId))];
  const current = new Map(
    (await s.activeMembers(pairsOf(items, (i) => i.userId))).map((r) => [pairKey(r.conversation_id, r.user_id), r]),
  );
  const lastSeq = new Map((await s.lastSeqs(conversationIds)).map((c) => [c.id, c.last_seq]));
  const results = items.map((item) =>
    current.has(pairKey(item.conversationId, item.userId))
      ? ok(undefined)
      : fail<void>(new KurierError('NOT_A_MEMBER')),
  );

  const updates: { conversationId: string; userId: string; delivered: number; read: number }[] = [];
  for (const [key, w] of wanted) {
    const row = current.get(key);
    if (!row) continue;
    const cap = lastSeq.get(w.conversationId) ?? 0;
    const read = Math.max(row.read_seq, Math.min(w.read, cap));
    const delivered = Math.max(row.delivered_seq, read, Math.min(w.delivered, cap));
    if (read !== row.read_seq || delivered !== row.delivered_seq) updates.push({ ...w, delivered, read });
  }
  if (updates.length === 0) return { results, changed: [] };
  // A conversation's changes take consecutive change ids, so its members reach each connection
  // as one frame (publishMembers) while frames still arrive in change order.
  const rank = new Map<string, number>();
  for (const u of updates) if (!rank.has(u.conversationId)) rank.set(u.conversationId, rank.size);
  updates.sort((a, b) => (rank.get(a.conversationId) as number) - (rank.get(b.conversationId) as number));

  const firstChange = await allocateChangeIds(trx, updates.length);
  const changed: Member[] = [];
  for (const [i, u] of updates.entries()) {
    await s.updateReceipt(u.conversationId, u.userId, {
      delivered_seq: u.delivered,
      read_seq: u.read,
      change_id: firstChange + i,
    });
    const [row] = await s.memberRows(u.conversationId, [u.userId]);
    if (row) changed.push(presentMember(row));
  }
  return { results, changed };
}
