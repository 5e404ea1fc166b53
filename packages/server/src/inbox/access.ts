import type { Kysely } from 'kysely';
import type { AccountsService } from '../accounts/service.js';
import type { Watchers } from '../conversations/membership.js';
import type { DB } from '../db/schema.js';
import type { Actor } from '../kernel/auth.js';
import type { Bus } from '../kernel/bus.js';
import { KurierError } from '../kernel/errors.js';
import { inboxStore } from './store.js';

interface Snapshot {
  /** Owners and admins: every inbox. */
  admins: Set<string>;
  /** Display names of active staff. */
  names: Map<string, string>;
  /** Team id → member ids. */
  teamMembers: Map<string, Set<string>>;
  /** Inbox id → the teams that serve it. */
  inboxTeams: Map<string, string[]>;
}

// Conversations never move between inboxes, so their inbox can be remembered; bounded anyway.
const CONVERSATION_CACHE = 50_000;

/**
 * The one place that decides who may see which inbox (invariant 4 for customer conversations):
 * owners and admins see every inbox, other staff the inboxes their teams serve, customers none.
 * Team and inbox changes announce `accessChanged`, which drops the snapshot.
 */
export function inboxAccess({ db, accounts, bus }: { db: Kysely<DB>; accounts: AccountsService; bus: Bus }) {
  const store = inboxStore(db);
  let snapshot: Promise<Snapshot> | null = null;
  const inboxOfConversation = new Map<string, string | null>();
  bus.on('accessChanged', () => {
    snapshot = null;
  });

  /**
   * The access snapshot; loaded through `trx` when asked inside a transaction, since SQLite's one
   * connection is held by it.
   */
  function load(trx: Kysely<DB> = db): Promise<Snapshot> {
    snapshot ??= (async () => {
      const s = inboxStore(trx);
      const [users, members, links] = await Promise.all([accounts.staff(trx), s.teamMembers(), s.inboxTeams()]);
      const admins = new Set(users.filter((u) => u.role === 'owner' || u.role === 'admin').map((u) => u.id));
      const names = new Map(users.map((u) => [u.id, u.display_name]));
      const staff = new Set(names.keys());
      const teamMembers = new Map<string, Set<string>>();
      for (const m of members) {
        if (!staff.has(m.user_id)) continue; // disabled users and customers serve no team
        const set = teamMembers.get(m.team_id) ?? new Set<string>();
        set.add(m.user_id);
        teamMembers.set(m.team_id, set);
      }
      const inboxTeams = new Map<string, string[]>();
      for (const l of links) inboxTeams.set(l.inbox_id, [...(inboxTeams.get(l.inbox_id) ?? []), l.team_id]);
      return { admins, names, teamMembers, inboxTeams };
    })();
    snapshot.catch(() => {
      snapshot = null;
    });
    return snapshot;
  }

  /** Members of the teams serving an inbox (narrowed to one team when given). */
  function teamStaff(s: Snapshot, inboxId: string, teamId: string | null = null): Set<string> {
    const out = new Set<string>();
    for (const t of s.inboxTeams.get(inboxId) ?? []) {
      if (teamId !== null && t !== teamId) continue;
      for (const id of s.teamMembers.get(t) ?? []) out.add(id);
    }
    return out;
  }

  async function inboxOf(conversationId: string): Promise<string | null> {
    if (inboxOfConversation.has(conversationId)) return inboxOfConversation.get(conversationId) ?? null;
    const inboxId = (await store.stateById(conversationId))?.inbox_id ?? null;
    if (inboxOfConversation.size >= CONVERSATION_CACHE) inboxOfConversation.clear();
    inboxOfConversation.set(conversationId, inboxId);
    return inboxId;
  }

  async function canSee(actor: Pick<Actor, 'userId' | 'role'>, inboxId: string): Promise<boolean> {
    if (actor.role === 'contact') return false;
    const s = await load();
    return s.admins.has(actor.userId) || teamStaff(s, inboxId).has(actor.userId);
  }

  const watchers: Watchers = {
    async of(conversationId) {
      const inboxId = await inboxOf(conversationId);
      if (!inboxId) return [];
      const s = await load();
      return [...new Set([...s.admins, ...teamStaff(s, inboxId)])];
    },
    async mayRead(actor, conversationId) {
      const inboxId = await inboxOf(conversationId);
      return inboxId !== null && canSee(actor as Pick<Actor, 'userId' | 'role'>, inboxId);
    },
  };

  return {
    watchers,
    inboxOf,

    /** Throws FORBIDDEN for customers: the inbox is staff's (the HTTP edge refuses them too). */
    requireStaff(actor: Pick<Actor, 'role'>): void {
      if (actor.role === 'contact') throw new KurierError('FORBIDDEN');
    },

    /** Remembers a new conversation's inbox (saves a read when its first events fan out). */
    remember(conversationId: string, inboxId: string): void {
      inboxOfConversation.set(conversationId, inboxId);
    },

    /** Inboxes the actor may see; null means all (owners and admins). */
    async visibleInboxIds(actor: Actor): Promise<string[] | null> {
      if (actor.role === 'contact') throw new KurierError('FORBIDDEN');
      const s = await load();
      if (s.admins.has(actor.userId)) return null;
      const mine = [...s.teamMembers].filter(([, ids]) => ids.has(actor.userId)).map(([teamId]) => teamId);
      return [...s.inboxTeams].filter(([, teams]) => teams.some((t) => mine.includes(t))).map(([id]) => id);
    },

    /**
     * Throws unless the actor may work on this customer conversation. Someone without access
     * learns nothing about it: the answer is the same as for a conversation that does not exist.
     */
    async requireConversation(actor: Actor, conversationId: string): Promise<string> {
      const inboxId = await inboxOf(conversationId);
      if (!inboxId || !(await canSee(actor, inboxId))) throw new KurierError('CONVERSATION_NOT_FOUND');
      return inboxId;
    },

    /** Whether the user may own conversations of this inbox (inside the caller's transaction). */
    async mayOwn(trx: Kysely<DB>, userId: string, inboxId: string): Promise<boolean> {
      const s = await load(trx);
      return s.admins.has(userId) || teamStaff(s, inboxId).has(userId);
    },

    /**
     * Who routing may give a conversation to: members of the teams serving its inbox, or of its
     * team when it was transferred to one (inside the caller's transaction).
     */
    async routable(trx: Kysely<DB>, row: { inbox_id: string; team_id: string | null }): Promise<string[]> {
      return [...teamStaff(await load(trx), row.inbox_id, row.team_id)];
    },

    /** A staff member's display name (inside the caller's transaction). */
    async displayName(trx: Kysely<DB>, userId: string): Promise<string | null> {
      return (await load(trx)).names.get(userId) ?? null;
    },

    /** Staff of an inbox (live inbox changes go to them). */
    staffOf: (conversationId: string) => watchers.of(conversationId),
  };
}

/** The inbox access contract. */
export type InboxAccess = ReturnType<typeof inboxAccess>;
