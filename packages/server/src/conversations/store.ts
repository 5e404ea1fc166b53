import type { Kysely, Selectable } from 'kysely';
import type { ChatPrefsTable, ConversationsTable, DB, MembersTable } from '../db/schema.js';

export type ConversationRow = Selectable<ConversationsTable>;
export type MemberRow = Selectable<MembersTable>;
export type ChatPrefsRow = Selectable<ChatPrefsTable>;

/** Kysely queries for conversations and their members. */
export function conversationsStore(db: Kysely<DB>) {
  return {
    byId: (id: string) => db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst(),

    byDirectKey: (key: string) =>
      db.selectFrom('conversations').selectAll().where('direct_key', '=', key).executeTakeFirst(),

    insert: (row: ConversationRow) => db.insertInto('conversations').values(row).execute(),

    update: (id: string, patch: Partial<Omit<ConversationRow, 'id'>>) =>
      db.updateTable('conversations').set(patch).where('id', '=', id).execute(),

    members: (conversationId: string) =>
      db.selectFrom('members').selectAll().where('conversation_id', '=', conversationId).execute(),

    activeMemberIds: async (conversationId: string) =>
      (
        await db
          .selectFrom('members')
          .select('user_id')
          .where('conversation_id', '=', conversationId)
          .where('left_at', 'is', null)
          .execute()
      ).map((r) => r.user_id),

    member: (conversationId: string, userId: string) =>
      db
        .selectFrom('members')
        .selectAll()
        .where('conversation_id', '=', conversationId)
        .where('user_id', '=', userId)
        .executeTakeFirst(),

    /** Inserts members, or updates role, join and leave of existing rows (watermarks stay). */
    upsertMembers: async (rows: MemberRow[]) => {
      for (const row of rows) {
        await db
          .insertInto('members')
          .values(row)
          .onConflict((oc) =>
            oc.columns(['conversation_id', 'user_id']).doUpdateSet({
              role: row.role,
              joined_at: row.joined_at,
              left_at: row.left_at,
              change_id: row.change_id,
            }),
          )
          .execute();
      }
    },

    updateMember: (conversationId: string, userId: string, patch: Partial<MemberRow>) =>
      db
        .updateTable('members')
        .set(patch)
        .where('conversation_id', '=', conversationId)
        .where('user_id', '=', userId)
        .execute(),

    /** Conversations the user is an active member of, newest activity first. */
    forUser: (userId: string) =>
      db
        .selectFrom('conversations')
        .innerJoin('members', 'members.conversation_id', 'conversations.id')
        .selectAll('conversations')
        .where('members.user_id', '=', userId)
        .where('members.left_at', 'is', null)
        .orderBy('conversations.last_message_at', 'desc')
        .orderBy('conversations.created_at', 'desc')
        .execute(),

    membersOf: async (conversationIds: readonly string[]) =>
      conversationIds.length === 0
        ? []
        : db.selectFrom('members').selectAll().where('conversation_id', 'in', conversationIds).execute(),

    prefs: (userId: string, conversationId: string) =>
      db
        .selectFrom('chat_prefs')
        .selectAll()
        .where('user_id', '=', userId)
        .where('conversation_id', '=', conversationId)
        .executeTakeFirst(),

    /** All of one user's chat preferences (a handful of rows: only chats they changed). */
    prefsOf: (userId: string) => db.selectFrom('chat_prefs').selectAll().where('user_id', '=', userId).execute(),

    upsertPrefs: (row: ChatPrefsRow) =>
      db
        .insertInto('chat_prefs')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['user_id', 'conversation_id']).doUpdateSet({
            pinned_at: row.pinned_at,
            muted_until: row.muted_until,
            archived_at: row.archived_at,
            change_id: row.change_id,
          }),
        )
        .execute(),

    /** How many chats the user has pinned among those they are still in. */
    pinnedCount: async (userId: string) =>
      Number(
        (
          await db
            .selectFrom('chat_prefs')
            .innerJoin('members', (j) =>
              j
                .onRef('members.conversation_id', '=', 'chat_prefs.conversation_id')
                .onRef('members.user_id', '=', 'chat_prefs.user_id'),
            )
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('chat_prefs.user_id', '=', userId)
            .where('chat_prefs.pinned_at', 'is not', null)
            .where('members.left_at', 'is', null)
            .executeTakeFirstOrThrow()
        ).n,
      ),

    /** Ids of users who share at least one conversation with the user (presence audience). */
    peersOf: async (userId: string) =>
      (
        await db
          .selectFrom('members as mine')
          .innerJoin('members as other', 'other.conversation_id', 'mine.conversation_id')
          .select('other.user_id')
          .distinct()
          .where('mine.user_id', '=', userId)
          .where('mine.left_at', 'is', null)
          .where('other.left_at', 'is', null)
          .where('other.user_id', '!=', userId)
          .execute()
      ).map((r) => r.user_id),
  };
}

/** The conversations store contract. */
export type ConversationsStore = ReturnType<typeof conversationsStore>;
