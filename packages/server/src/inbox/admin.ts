import { randomBytes } from 'node:crypto';
import {
  type Agent,
  type CannedReply,
  type CannedReplyRequest,
  type CreateInboxRequest,
  CreateInboxRequest as CreateInboxSchema,
  type Inbox,
  type InboxAdmin,
  InboxSettings,
  type Team,
  type TeamRequest,
  TeamRequest as TeamSchema,
  type UpdateInboxRequest,
} from '@kurier/protocol';
import type { Kysely } from 'kysely';
import type { AccountsService } from '../accounts/service.js';
import type { DB } from '../db/schema.js';
import { type Actor, requireRole } from '../kernel/auth.js';
import type { Bus } from '../kernel/bus.js';
import { KurierError } from '../kernel/errors.js';
import { newId, newToken } from '../kernel/ids.js';
import type { InboxAccess } from './access.js';
import { presentCanned, presentInbox, presentInboxAdmin, presentTeam, settingsOf } from './present.js';
import { type InboxRow, type InboxStore, inboxStore } from './store.js';
import { DEFAULT_CAPACITY } from './tx.js';

interface Deps {
  db: Kysely<DB>;
  bus: Bus;
  accounts: AccountsService;
  access: InboxAccess;
  isOnline: (userId: string) => boolean;
  /** Routing may have new work after a capacity or team change. */
  onRoutingChanged: () => void;
  now?: () => number;
}

const isAdmin = (actor: Actor) => actor.role === 'owner' || actor.role === 'admin';
const requireAdmin = (actor: Actor) => requireRole(actor, 'owner', 'admin');

/** Setting up the inbox: inboxes and their widgets, teams, agents' capacity, canned replies. */
export function inboxAdmin({ db, bus, accounts, access, isOnline, onRoutingChanged, now = Date.now }: Deps) {
  const store = inboxStore(db);

  async function teamIdsByInbox(): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    for (const l of await store.inboxTeams()) map.set(l.inbox_id, [...(map.get(l.inbox_id) ?? []), l.team_id]);
    return map;
  }

  async function requireTeams(s: InboxStore, ids: readonly string[]): Promise<void> {
    const found = new Set((await s.teamsByIds(ids)).map((t) => t.id));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) throw new KurierError('TEAM_NOT_FOUND', { details: { teamIds: missing } });
  }

  async function requireStaffIds(ids: readonly string[]): Promise<void> {
    const staff = new Set((await accounts.listUsers()).map((u) => u.id));
    const missing = ids.filter((id) => !staff.has(id));
    if (missing.length > 0) throw new KurierError('USER_NOT_FOUND', { details: { userIds: missing } });
  }

  async function inboxResult(row: InboxRow): Promise<InboxAdmin> {
    return presentInboxAdmin(row, (await teamIdsByInbox()).get(row.id) ?? []);
  }

  function accessChanged(): void {
    bus.emit('accessChanged');
    onRoutingChanged();
  }

  async function team(id: string): Promise<Team> {
    const row = await store.teamById(id);
    if (!row) throw new KurierError('TEAM_NOT_FOUND');
    const members = (await store.teamMembers()).filter((m) => m.team_id === id).map((m) => m.user_id);
    return presentTeam(row, members);
  }

  return {
    /** Inboxes the actor may see; admins get the identity secrets too. */
    async listInboxes(actor: Actor): Promise<(Inbox | InboxAdmin)[]> {
      access.requireStaff(actor);
      const visible = await access.visibleInboxIds(actor);
      const teams = await teamIdsByInbox();
      return (await store.inboxes())
        .filter((r) => visible === null || visible.includes(r.id))
        .map((r) => (isAdmin(actor) ? presentInboxAdmin : presentInbox)(r, teams.get(r.id) ?? []));
    },

    async createInbox(actor: Actor, input: CreateInboxRequest): Promise<InboxAdmin> {
      requireAdmin(actor);
      const req = CreateInboxSchema.parse(input);
      const row: InboxRow = {
        id: newId('ib'),
        name: req.name,
        // Public by design (it sits in the website's HTML); unguessable so inboxes are not enumerable.
        widget_key: `wk_${randomBytes(18).toString('base64url')}`,
        slug: req.slug ?? randomBytes(6).toString('hex'),
        identity_secret: newToken(),
        settings: JSON.stringify(InboxSettings.parse(req.settings)),
        created_at: now(),
      };
      await db.transaction().execute(async (trx) => {
        const s = inboxStore(trx);
        if (await s.inboxBySlug(row.slug)) throw new KurierError('CONFLICT', { message: 'This guest link is taken.' });
        await requireTeams(s, req.teamIds);
        await s.insertInbox(row);
        await s.setInboxTeams(row.id, [...new Set(req.teamIds)]);
      });
      accessChanged();
      return inboxResult(row);
    },

    async updateInbox(actor: Actor, id: string, patch: UpdateInboxRequest): Promise<InboxAdmin> {
      requireAdmin(actor);
      const row = await db.transaction().execute(async (trx) => {
        const s = inboxStore(trx);
        const row = await s.inboxById(id);
        if (!row) throw new KurierError('INBOX_NOT_FOUND');
        if (patch.slug && patch.slug !== row.slug && (await s.inboxBySlug(patch.slug)))
          throw new KurierError('CONFLICT', { message: 'This guest link is taken.' });
        const next: Partial<InboxRow> = {};
        if (patch.name) next.name = patch.name;
        if (patch.slug) next.slug = patch.slug;
        if (patch.settings)
          next.settings = JSON.stringify(InboxSettings.parse({ ...settingsOf(row), ...patch.settings }));
        if (Object.keys(next).length > 0) await s.updateInbox(id, next);
        if (patch.teamIds) {
          await requireTeams(s, patch.teamIds);
          await s.setInboxTeams(id, [...new Set(patch.teamIds)]);
        }
        return { ...row, ...next };
      });
      if (patch.teamIds || patch.settings) accessChanged();
      return inboxResult(row);
    },

    async listTeams(actor: Actor): Promise<Team[]> {
      access.requireStaff(actor);
      const members = await store.teamMembers();
      return (await store.teams()).map((t) =>
        presentTeam(
          t,
          members.filter((m) => m.team_id === t.id).map((m) => m.user_id),
        ),
      );
    },

    async createTeam(actor: Actor, input: TeamRequest): Promise<Team> {
      requireAdmin(actor);
      const req = TeamSchema.parse(input);
      await requireStaffIds(req.memberIds);
      const id = newId('t');
      await db.transaction().execute(async (trx) => {
        const s = inboxStore(trx);
        await s.insertTeam({ id, name: req.name, created_at: now() });
        await s.setTeamMembers(id, [...new Set(req.memberIds)]);
      });
      accessChanged();
      return team(id);
    },

    /** Renames a team and replaces its members. */
    async updateTeam(actor: Actor, id: string, input: TeamRequest): Promise<Team> {
      requireAdmin(actor);
      const req = TeamSchema.parse(input);
      await requireStaffIds(req.memberIds);
      await db.transaction().execute(async (trx) => {
        const s = inboxStore(trx);
        if (!(await s.teamById(id))) throw new KurierError('TEAM_NOT_FOUND');
        await s.renameTeam(id, req.name);
        await s.setTeamMembers(id, [...new Set(req.memberIds)]);
      });
      accessChanged();
      return team(id);
    },

    /** Everyone who serves a team, with online state, capacity and open conversations. */
    async listAgents(actor: Actor): Promise<Agent[]> {
      access.requireStaff(actor);
      const [users, members, agents, load] = await Promise.all([
        accounts.listUsers(),
        store.teamMembers(),
        store.agents(),
        store.openLoad(),
      ]);
      const capacity = new Map(agents.map((a) => [a.user_id, a.capacity]));
      const open = new Map(load.map((l) => [l.userId, l.open]));
      return users
        .filter((u) => u.role === 'agent' || members.some((m) => m.user_id === u.id))
        .map((u) => ({
          userId: u.id,
          displayName: u.displayName,
          online: isOnline(u.id),
          capacity: capacity.get(u.id) ?? DEFAULT_CAPACITY,
          open: open.get(u.id) ?? 0,
          teamIds: members.filter((m) => m.user_id === u.id).map((m) => m.team_id),
        }));
    },

    async setCapacity(actor: Actor, userId: string, capacity: number): Promise<void> {
      requireAdmin(actor);
      await requireStaffIds([userId]);
      await store.setCapacity(userId, capacity);
      onRoutingChanged();
    },

    async listCanned(actor: Actor): Promise<CannedReply[]> {
      access.requireStaff(actor);
      return (await store.canned()).map(presentCanned);
    },

    async createCanned(actor: Actor, input: CannedReplyRequest): Promise<CannedReply> {
      requireRole(actor, 'owner', 'admin', 'agent');
      if (await store.cannedByShortcut(input.shortcut))
        throw new KurierError('CONFLICT', { message: 'A canned reply with this shortcut exists.' });
      const row = {
        id: newId('cr'),
        shortcut: input.shortcut,
        text: input.text,
        created_by: actor.userId,
        created_at: now(),
      };
      await store.insertCanned(row);
      return presentCanned(row);
    },

    async deleteCanned(actor: Actor, id: string): Promise<void> {
      requireRole(actor, 'owner', 'admin', 'agent');
      if ((await store.deleteCanned(id)) === 0) throw new KurierError('NOT_FOUND');
    },
  };
}

/** The inbox admin contract. */
export type InboxAdminService = ReturnType<typeof inboxAdmin>;
