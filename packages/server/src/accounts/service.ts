import { timingSafeEqual } from 'node:crypto';
import type {
  AcceptInviteRequest,
  AuthResponse,
  ChangePasswordRequest,
  CreateInviteRequest,
  InviteResponse,
  LoginRequest,
  Role,
  Session,
  SetupRequest,
  User,
} from '@kurier/protocol';
import { CreateInviteRequest as CreateInviteSchema } from '@kurier/protocol';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Actor, ActorRole } from '../kernel/auth.js';
import type { Bus } from '../kernel/bus.js';
import { KurierError } from '../kernel/errors.js';
import { hashToken, newId, newToken } from '../kernel/ids.js';
import { DUMMY_HASH_PROMISE, hashPassword, verifyPassword } from '../kernel/passwords.js';
import { presentSession, presentUser } from './present.js';
import { type AccountsStore, accountsStore, inTransaction, type UserRow } from './store.js';

// Writing last_used_at on every request would turn every read into a write.
const TOUCH_INTERVAL_MS = 60_000;

interface Deps {
  db: Kysely<DB>;
  /** Where `authenticate` looks sessions up (db/index.ts `reads`); `db` when absent. */
  reads?: Kysely<DB>;
  bus: Bus;
  sessionTtlMs: number;
  /** Failed logins per username and minute before further attempts are refused. */
  failedLoginsPerMinute: number;
  publicUrl: () => string;
  now?: () => number;
}

/** Accounts: owner setup, login, sessions per device, invites, profile, passwords. */
export function accountsService(deps: Deps) {
  const { db, bus, sessionTtlMs, failedLoginsPerMinute, publicUrl, now = Date.now } = deps;
  const store = accountsStore(db);
  // Every request and every new connection authenticates: a point read, kept off the thread.
  const sessions = accountsStore(deps.reads ?? db);
  let setupToken: string | null = null;
  // In memory on purpose: a restart forgiving failed attempts costs less than a write per guess.
  const failures = new Map<string, { count: number; since: number }>();

  function checkFailures(username: string): void {
    const entry = failures.get(username);
    if (!entry) return;
    if (now() - entry.since > 60_000) failures.delete(username);
    else if (entry.count >= failedLoginsPerMinute)
      throw new KurierError('RATE_LIMITED', { message: 'Too many failed logins; wait a minute.' });
  }

  function recordFailure(username: string): void {
    const entry = failures.get(username);
    if (entry && now() - entry.since <= 60_000) entry.count += 1;
    else failures.set(username, { count: 1, since: now() });
    // Bounded: an attacker cycling usernames must not grow this without limit.
    if (failures.size > 100_000) failures.delete(failures.keys().next().value as string);
  }

  async function openSession(user: UserRow, deviceName: string | undefined): Promise<AuthResponse> {
    const token = newToken();
    const at = now();
    const sessionId = newId('s');
    await store.insertSession({
      id: sessionId,
      user_id: user.id,
      token_hash: hashToken(token),
      device_name: deviceName ?? 'Unknown device',
      created_at: at,
      last_used_at: at,
      expires_at: at + sessionTtlMs,
      revoked_at: null,
    });
    return { token, sessionId, user: presentUser(user) };
  }

  async function newUser(input: { username: string; displayName: string; password: string; role: Role }) {
    const row: UserRow = {
      id: newId('u'),
      username: input.username,
      display_name: input.displayName,
      role: input.role,
      password_hash: await hashPassword(input.password),
      created_at: now(),
      last_seen_at: null,
      disabled_at: null,
    };
    return row;
  }

  async function insertUniqueUser(s: AccountsStore, row: UserRow): Promise<void> {
    if (await s.userByUsername(row.username)) throw new KurierError('USERNAME_TAKEN');
    await s.insertUser(row);
  }

  function revoke(sessionIds: string[]): void {
    if (sessionIds.length > 0) bus.emit('sessionsRevoked', { sessionIds });
  }

  return {
    /** A one-time setup token while no owner exists; null once set up. */
    async setupLink(): Promise<string | null> {
      if (await store.ownerExists()) return null;
      setupToken ??= newToken();
      return `${publicUrl()}/setup?token=${setupToken}`;
    },

    async setup(input: SetupRequest): Promise<AuthResponse> {
      if (await store.ownerExists()) throw new KurierError('SETUP_DONE');
      const expected = setupToken ? Buffer.from(setupToken) : null;
      const given = Buffer.from(input.token);
      if (!expected || expected.length !== given.length || !timingSafeEqual(expected, given)) {
        throw new KurierError('SETUP_TOKEN_INVALID');
      }
      const user = await this.createOwner(input);
      setupToken = null;
      return openSession(user, input.deviceName);
    },

    /** Creates the owner (setup page or CLI). Fails with SETUP_DONE if one exists. */
    async createOwner(input: { username: string; displayName: string; password: string }): Promise<UserRow> {
      const row = await newUser({ ...input, role: 'owner' });
      await inTransaction(db, async (s) => {
        if (await s.ownerExists()) throw new KurierError('SETUP_DONE');
        await insertUniqueUser(s, row);
      });
      return row;
    },

    /** Creates a staff account directly (CLI and provisioning; the app uses invites). */
    async createUser(input: { username: string; displayName: string; password: string; role: Role }): Promise<User> {
      const row = await newUser(input);
      await inTransaction(db, (s) => insertUniqueUser(s, row));
      return presentUser(row);
    },

    /** Opens a session for a known user without a password (trusted callers: CLI, provisioning). */
    async issueSession(userId: string, deviceName: string): Promise<AuthResponse> {
      const user = await store.userById(userId);
      if (!user) throw new KurierError('USER_NOT_FOUND');
      return openSession(user, deviceName);
    },

    async login(input: LoginRequest): Promise<AuthResponse> {
      const username = input.username.toLowerCase();
      checkFailures(username);
      const found = await store.userByUsername(username);
      // Customers never log in with a password; they count as unknown.
      const user = found?.role === 'contact' ? undefined : found;
      // Verify against a dummy hash for unknown users so timing does not reveal who exists.
      const ok = await verifyPassword(input.password, user?.password_hash ?? (await DUMMY_HASH_PROMISE));
      if (!user || !ok || user.disabled_at !== null) {
        recordFailure(username);
        throw new KurierError('INVALID_CREDENTIALS');
      }
      failures.delete(username);
      return openSession(user, input.deviceName);
    },

    /** Resolves a session token to an actor; throws SESSION_EXPIRED for revoked or expired ones. */
    async authenticate(token: string): Promise<Actor> {
      const row = await sessions.sessionByTokenHash(hashToken(token));
      if (!row) throw new KurierError('UNAUTHENTICATED', { message: 'Unknown session token.' });
      const at = now();
      if (row.revoked_at !== null || row.expires_at <= at || row.disabled_at !== null) {
        throw new KurierError('SESSION_EXPIRED');
      }
      if (at - row.last_used_at > TOUCH_INTERVAL_MS) await store.touchSession(row.id, at);
      return { userId: row.user_id, role: row.role as ActorRole, sessionId: row.id, expiresAt: row.expires_at };
    },

    async me(actor: Actor): Promise<User> {
      const row = await store.userById(actor.userId);
      if (!row) throw new KurierError('USER_NOT_FOUND');
      return presentUser(row);
    },

    async listUsers(): Promise<User[]> {
      return (await store.listUsers()).map(presentUser);
    },

    /** Active staff (no customers), read through `trx` when inside a transaction. */
    staff(trx: Kysely<DB> = db): Promise<UserRow[]> {
      return accountsStore(trx).listUsers();
    },

    async usersByIds(ids: readonly string[]): Promise<UserRow[]> {
      return store.usersByIds(ids);
    },

    async updateProfile(actor: Actor, displayName: string): Promise<User> {
      await store.updateUser(actor.userId, { display_name: displayName });
      return this.me(actor);
    },

    /** Changes the password and logs out every other device. */
    async changePassword(actor: Actor, input: ChangePasswordRequest): Promise<void> {
      const row = await store.userById(actor.userId);
      if (!row || !(await verifyPassword(input.currentPassword, row.password_hash))) {
        throw new KurierError('INVALID_CREDENTIALS', { message: 'The current password is wrong.' });
      }
      await store.updateUser(actor.userId, { password_hash: await hashPassword(input.newPassword) });
      revoke(await store.revokeSessions(actor.userId, now(), { keep: actor.sessionId }));
    },

    async listSessions(actor: Actor): Promise<Session[]> {
      const rows = await store.activeSessions(actor.userId, now());
      return rows.map((r) => presentSession(r, actor.sessionId));
    },

    async revokeSession(actor: Actor, sessionId: string): Promise<void> {
      const ids = await store.revokeSessions(actor.userId, now(), { only: sessionId });
      if (ids.length === 0) throw new KurierError('SESSION_NOT_FOUND');
      revoke(ids);
    },

    async logoutEverywhere(actor: Actor): Promise<void> {
      revoke(await store.revokeSessions(actor.userId, now()));
    },

    async createInvite(actor: Actor, input: CreateInviteRequest): Promise<InviteResponse> {
      if (actor.role !== 'owner' && actor.role !== 'admin') throw new KurierError('FORBIDDEN');
      const { role, expiresInHours } = CreateInviteSchema.parse(input);
      const token = newToken();
      const at = now();
      const row = {
        id: newId('i'),
        token_hash: hashToken(token),
        role,
        created_by: actor.userId,
        created_at: at,
        expires_at: at + expiresInHours * 3_600_000,
        used_at: null,
        used_by: null,
      };
      await store.insertInvite(row);
      return { id: row.id, token, url: `${publicUrl()}/invite?token=${token}`, role, expiresAt: row.expires_at };
    },

    async acceptInvite(input: AcceptInviteRequest): Promise<AuthResponse> {
      const tokenHash = hashToken(input.token);
      const invite = await store.inviteByTokenHash(tokenHash);
      if (!invite) throw new KurierError('INVITE_INVALID');
      const row = await newUser({ ...input, role: invite.role as Role });
      await inTransaction(db, async (s) => {
        // Claiming inside the transaction makes a used invite fail for the second of two racers.
        if (!(await s.claimInvite(tokenHash, row.id, now()))) throw new KurierError('INVITE_INVALID');
        await insertUniqueUser(s, row);
      });
      return openSession(row, input.deviceName);
    },

    /**
     * The user row a customer writes under (role `contact`, no password: it can never log in),
     * inside the caller's transaction so the contact and its principal commit together.
     */
    async createContactUser(trx: Kysely<DB>, input: { id: string; displayName: string; at: number }): Promise<void> {
      await accountsStore(trx).insertUser({
        id: input.id,
        // Staff usernames are [a-z0-9._-]; the colon keeps these out of their namespace.
        username: `contact:${input.id}`,
        display_name: input.displayName,
        role: 'contact',
        password_hash: '!',
        created_at: input.at,
        last_seen_at: null,
        disabled_at: null,
      });
    },

    /** Renames a customer's user row with their contact (staff rename themselves in the profile). */
    async renameContactUser(trx: Kysely<DB>, id: string, displayName: string): Promise<void> {
      await accountsStore(trx).updateUser(id, { display_name: displayName });
    },

    /** Ends every session of a user, e.g. a blocked customer's widget (their sockets close). */
    async revokeAllSessions(userId: string): Promise<void> {
      revoke(await store.revokeSessions(userId, now()));
    },

    async setLastSeen(userId: string, at: number): Promise<void> {
      await store.updateUser(userId, { last_seen_at: at });
    },
  };
}

/** The accounts service contract. */
export type AccountsService = ReturnType<typeof accountsService>;
