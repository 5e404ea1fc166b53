import type { Kysely } from 'kysely';
import { allocateChangeIds } from '../db/change-clock.js';
import type { DB, MembersTable } from '../db/schema.js';

type MemberRow = MembersTable;

/**
 * The rows of other domains that a contact merge moves: member rows (conversations domain),
 * inbox state (inbox domain) and earlier merges. A deliberate exception to "a domain never
 * touches another domain's tables" (docs/ARCHITECTURE.md): the merge must move them in the one
 * transaction that marks the duplicate merged, and these are plain re-pointings that no other
 * domain's rule governs. Messages are not moved: their `sender_id` stays the duplicate's, so the
 * history keeps saying who wrote under which identity.
 */
export function mergeStore(db: Kysely<DB>) {
  const member = (conversationId: string, userId: string) =>
    db
      .selectFrom('members')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('user_id', '=', userId)
      .executeTakeFirst();

  const writeMember = (row: MemberRow) =>
    db
      .insertInto('members')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['conversation_id', 'user_id']).doUpdateSet({
          role: row.role,
          joined_at: row.joined_at,
          left_at: row.left_at,
          delivered_seq: row.delivered_seq,
          read_seq: row.read_seq,
          change_id: row.change_id,
        }),
      )
      .execute();

  return {
    /**
     * The target joins every conversation the source is an active member of, with the source's
     * receipt watermarks (the higher ones where the target has a row already), and the source
     * leaves them. Returns the changed member rows in change-id order.
     */
    async moveMembership({ sourceId, targetId, at }: { sourceId: string; targetId: string; at: number }) {
      const rows = await db
        .selectFrom('members')
        .selectAll()
        .where('user_id', '=', sourceId)
        .where('left_at', 'is', null)
        .orderBy('conversation_id')
        .execute();
      if (rows.length === 0) return [];
      let changeId = await allocateChangeIds(db, rows.length * 2);
      const changed: MemberRow[] = [];
      for (const source of rows) {
        const old = await member(source.conversation_id, targetId);
        const active = old !== undefined && old.left_at === null;
        const joined: MemberRow = {
          ...source,
          user_id: targetId,
          role: active ? old.role : source.role,
          joined_at: active ? old.joined_at : source.joined_at,
          left_at: null,
          delivered_seq: Math.max(source.delivered_seq, old?.delivered_seq ?? 0),
          read_seq: Math.max(source.read_seq, old?.read_seq ?? 0),
          change_id: changeId++,
        };
        const left: MemberRow = { ...source, left_at: at, change_id: changeId++ };
        await writeMember(joined);
        await writeMember(left);
        changed.push(joined, left);
      }
      return changed;
    },

    /** Customer conversations of the source become the target's in the inbox. */
    moveInboxState: (sourceId: string, targetId: string) =>
      db.updateTable('inbox_state').set({ contact_id: targetId }).where('contact_id', '=', sourceId).execute(),

    /** Contacts merged into the source earlier now point at the target: one hop always suffices. */
    repointMerged: (sourceId: string, targetId: string) =>
      db.updateTable('contacts').set({ merged_into: targetId }).where('merged_into', '=', sourceId).execute(),
  };
}

/** The merge store contract. */
export type MergeStore = ReturnType<typeof mergeStore>;
