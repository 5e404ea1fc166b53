import type { Kysely, Selectable } from 'kysely';
import type { DB, InvitesTable, SessionsTable, UsersTable } from '../db/schema.js';

export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type InviteRow = Selectable<InvitesTable>;

/** Kysely queries for users, sessions and invites. */
export function accountsStore(db: Kysely<DB>) {
  return {
    ownerExists: async () =>
      (await db.selectFrom('users').select('id').where('role', '=', 'owner').executeTakeFirst()) !== undefined,

    userById: (id: string) => db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst(),

    userByUsername: (username: string) =>
      db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst(),

    usersByIds: async (ids: readonly string[]) =>
      ids.length === 0 ? [] : db.selectFrom('users').selectAll().where('id', 'in', ids).execute(),

    /** Staff only: customers have user rows too (role `contact`) but are no one's colleagues. */
    listUsers: () =>
      db
        .selectFrom('users')
        .selectAll()
        .where('disabled_at', 'is', null)
        .where('role', '!=', 'contact')
        .orderBy('display_name')
        .execute(),

    insertUser: (row: UserRow) => db.insertInto('users').values(row).execute(),

    updateUser: (id: string, patch: Partial<Omit<UserRow, 'id'>>) =>
      db.updateTable('users').set(patch).where('id', '=', id).execute(),

    insertSession: (row: SessionRow) => db.insertInto('sessions').values(row).execute(),

    sessionByTokenHash: (tokenHash: string) =>
      db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .selectAll('sessions')
        .select(['users.role', 'users.disabled_at'])
        .where('sessions.token_hash', '=', tokenHash)
        .executeTakeFirst(),

    touchSession: (id: string, at: number) =>
      db.updateTable('sessions').set({ last_used_at: at }).where('id', '=', id).execute(),

    activeSessions: (userId: string, now: number) =>
      db
        .selectFrom('sessions')
        .selectAll()
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .orderBy('last_used_at', 'desc')
        .execute(),

    /** Revokes sessions of a user; `keep` spares one (the caller's). Returns the revoked ids. */
    revokeSessions: async (userId: string, at: number, opts: { only?: string; keep?: string } = {}) => {
      let q = db
        .updateTable('sessions')
        .set({ revoked_at: at })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null);
      if (opts.only) q = q.where('id', '=', opts.only);
      if (opts.keep) q = q.where('id', '!=', opts.keep);
      const rows = await q.returning('id').execute();
      return rows.map((r) => r.id);
    },

    insertInvite: (row: InviteRow) => db.insertInto('invites').values(row).execute(),

    /** Marks an unused, unexpired invite as used; returns it, or undefined if none matched. */
    claimInvite: (tokenHash: string, userId: string, now: number) =>
      db
        .updateTable('invites')
        .set({ used_at: now, used_by: userId })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst(),

    inviteByTokenHash: (tokenHash: string) =>
      db.selectFrom('invites').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),
  };
}

/** The accounts store contract. */
export type AccountsStore = ReturnType<typeof accountsStore>;

/** Runs `fn` with a store bound to one transaction. */
export function inTransaction<T>(db: Kysely<DB>, fn: (store: AccountsStore) => Promise<T>): Promise<T> {
  return db.transaction().execute((trx) => fn(accountsStore(trx)));
}
