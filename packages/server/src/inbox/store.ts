import type { InboxStatus, InboxView } from '@kurier/protocol';
import type { Kysely, Selectable } from 'kysely';
import type { CannedRepliesTable, DB, InboxesTable, InboxStateTable, TeamsTable } from '../db/schema.js';

export type InboxRow = Selectable<InboxesTable>;
export type TeamRow = Selectable<TeamsTable>;
export type StateRow = Selectable<InboxStateTable>;
export type CannedRow = Selectable<CannedRepliesTable>;

/** What narrows a view: visible inboxes (null: all), and the query's filters. */
export interface ViewFilter {
  view: InboxView;
  status: InboxStatus;
  userId: string;
  inboxIds: readonly string[] | null;
  inboxId?: string | undefined;
  teamId?: string | undefined;
  label?: string | undefined;
  contactId?: string | undefined;
  before?: [number, string] | undefined;
  limit: number;
}

/** Kysely queries for inboxes, teams, agents, inbox state, labels and canned replies. */
export function inboxStore(db: Kysely<DB>) {
  return {
    inboxes: () => db.selectFrom('inboxes').selectAll().orderBy('created_at').execute(),
    inboxById: (id: string) => db.selectFrom('inboxes').selectAll().where('id', '=', id).executeTakeFirst(),
    inboxByKey: (key: string) => db.selectFrom('inboxes').selectAll().where('widget_key', '=', key).executeTakeFirst(),
    inboxBySlug: (slug: string) => db.selectFrom('inboxes').selectAll().where('slug', '=', slug).executeTakeFirst(),
    insertInbox: (row: InboxRow) => db.insertInto('inboxes').values(row).execute(),
    updateInbox: (id: string, patch: Partial<Omit<InboxRow, 'id'>>) =>
      db.updateTable('inboxes').set(patch).where('id', '=', id).execute(),

    inboxTeams: () => db.selectFrom('inbox_teams').selectAll().execute(),
    setInboxTeams: async (inboxId: string, teamIds: readonly string[]) => {
      await db.deleteFrom('inbox_teams').where('inbox_id', '=', inboxId).execute();
      if (teamIds.length > 0)
        await db
          .insertInto('inbox_teams')
          .values(teamIds.map((team_id) => ({ inbox_id: inboxId, team_id })))
          .execute();
    },

    teams: () => db.selectFrom('teams').selectAll().orderBy('name').execute(),
    teamById: (id: string) => db.selectFrom('teams').selectAll().where('id', '=', id).executeTakeFirst(),
    teamsByIds: async (ids: readonly string[]) =>
      ids.length === 0 ? [] : db.selectFrom('teams').selectAll().where('id', 'in', ids).execute(),
    insertTeam: (row: TeamRow) => db.insertInto('teams').values(row).execute(),
    renameTeam: (id: string, name: string) => db.updateTable('teams').set({ name }).where('id', '=', id).execute(),
    teamMembers: () => db.selectFrom('team_members').selectAll().execute(),
    setTeamMembers: async (teamId: string, userIds: readonly string[]) => {
      await db.deleteFrom('team_members').where('team_id', '=', teamId).execute();
      if (userIds.length > 0)
        await db
          .insertInto('team_members')
          .values(userIds.map((user_id) => ({ team_id: teamId, user_id })))
          .execute();
    },

    agents: () => db.selectFrom('agents').selectAll().execute(),
    setCapacity: (userId: string, capacity: number) =>
      db
        .insertInto('agents')
        .values({ user_id: userId, capacity, last_assigned_at: null })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ capacity }))
        .execute(),
    touchAssigned: (userId: string, at: number, defaultCapacity: number) =>
      db
        .insertInto('agents')
        .values({ user_id: userId, capacity: defaultCapacity, last_assigned_at: at })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ last_assigned_at: at }))
        .execute(),

    /** Open conversations per assignee: an agent's load against their capacity. */
    openLoad: async () =>
      (
        await db
          .selectFrom('inbox_state')
          .select(['assignee_id', (eb) => eb.fn.countAll<number>().as('n')])
          .where('status', '=', 'open')
          .where('assignee_id', 'is not', null)
          .groupBy('assignee_id')
          .execute()
      ).map((r) => ({ userId: r.assignee_id as string, open: Number(r.n) })),

    stateById: (conversationId: string) =>
      db.selectFrom('inbox_state').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst(),
    statesByIds: async (ids: readonly string[]) =>
      ids.length === 0 ? [] : db.selectFrom('inbox_state').selectAll().where('conversation_id', 'in', ids).execute(),
    insertState: (row: StateRow) => db.insertInto('inbox_state').values(row).execute(),
    updateState: (conversationId: string, patch: Partial<Omit<StateRow, 'conversation_id'>>) =>
      db.updateTable('inbox_state').set(patch).where('conversation_id', '=', conversationId).execute(),

    /** Open, unassigned conversations of these inboxes in queue order (longest waiting first). */
    queue: (inboxIds: readonly string[], limit: number) =>
      db
        .selectFrom('inbox_state')
        .selectAll()
        .where('inbox_id', 'in', inboxIds)
        .where('status', '=', 'open')
        .where('assignee_id', 'is', null)
        .orderBy('waiting_since')
        .orderBy('created_at')
        // Conversations that arrive in the same millisecond still queue in one stable order.
        .orderBy('conversation_id')
        .limit(limit)
        .execute(),

    /** How many open, unassigned conversations of an inbox wait longer than `since`. */
    queueAhead: async (inboxId: string, since: number) =>
      Number(
        (
          await db
            .selectFrom('inbox_state')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('inbox_id', '=', inboxId)
            .where('status', '=', 'open')
            .where('assignee_id', 'is', null)
            .where('waiting_since', '<', since)
            .executeTakeFirstOrThrow()
        ).n,
      ),

    /** A contact's conversations in one inbox, newest first. */
    byContact: (contactId: string, inboxId: string) =>
      db
        .selectFrom('inbox_state')
        .selectAll()
        .where('contact_id', '=', contactId)
        .where('inbox_id', '=', inboxId)
        .orderBy('created_at', 'desc')
        .limit(50)
        .execute(),

    /** Snoozed conversations whose time has come. */
    dueSnoozes: (at: number) =>
      db
        .selectFrom('inbox_state')
        .selectAll()
        .where('status', '=', 'snoozed')
        .where('snoozed_until', '<=', at)
        .limit(500)
        .execute(),

    /** One page of a view, newest activity first. */
    view: (f: ViewFilter) => {
      let q = db.selectFrom('inbox_state').selectAll().where('status', '=', f.status);
      if (f.inboxIds)
        q = f.inboxIds.length === 0 ? q.where((eb) => eb.val(false)) : q.where('inbox_id', 'in', f.inboxIds);
      if (f.view === 'mine') q = q.where('assignee_id', '=', f.userId);
      if (f.view === 'unassigned') q = q.where('assignee_id', 'is', null);
      if (f.inboxId) q = q.where('inbox_id', '=', f.inboxId);
      if (f.teamId) q = q.where('team_id', '=', f.teamId);
      if (f.contactId) q = q.where('contact_id', '=', f.contactId);
      if (f.label) {
        const label = f.label;
        q = q.where('conversation_id', 'in', (eb) =>
          eb.selectFrom('inbox_labels').select('conversation_id').where('label', '=', label),
        );
      }
      if (f.before) {
        const [at, id] = f.before;
        q = q.where((eb) =>
          eb.or([
            eb('last_activity_at', '<', at),
            eb.and([eb('last_activity_at', '=', at), eb('conversation_id', '<', id)]),
          ]),
        );
      }
      return q.orderBy('last_activity_at', 'desc').orderBy('conversation_id', 'desc').limit(f.limit).execute();
    },

    /** Counts for the navigation, over the visible inboxes (null: all). */
    counts: async (userId: string, inboxIds: readonly string[] | null) => {
      let base = db.selectFrom('inbox_state');
      if (inboxIds)
        base = inboxIds.length === 0 ? base.where((eb) => eb.val(false)) : base.where('inbox_id', 'in', inboxIds);
      const [byStatus, open, byTeam, byLabel] = await Promise.all([
        base
          .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy('status')
          .execute(),
        base
          .select([
            (eb) => eb.fn.countAll<number>().as('all'),
            (eb) => eb.fn.sum<number>(eb.case().when('assignee_id', '=', userId).then(1).else(0).end()).as('mine'),
            (eb) => eb.fn.sum<number>(eb.case().when('assignee_id', 'is', null).then(1).else(0).end()).as('unassigned'),
          ])
          .where('status', '=', 'open')
          .executeTakeFirstOrThrow(),
        base
          .select(['team_id', (eb) => eb.fn.countAll<number>().as('n')])
          .where('status', '=', 'open')
          .where('team_id', 'is not', null)
          .groupBy('team_id')
          .execute(),
        base
          .innerJoin('inbox_labels', 'inbox_labels.conversation_id', 'inbox_state.conversation_id')
          .select(['inbox_labels.label', (eb) => eb.fn.countAll<number>().as('n')])
          .where('inbox_state.status', '=', 'open')
          .groupBy('inbox_labels.label')
          .execute(),
      ]);
      return { byStatus, open, byTeam, byLabel };
    },

    labelsOf: async (conversationIds: readonly string[]) =>
      conversationIds.length === 0
        ? []
        : db
            .selectFrom('inbox_labels')
            .selectAll()
            .where('conversation_id', 'in', conversationIds)
            .orderBy('label')
            .execute(),
    setLabels: async (conversationId: string, labels: readonly string[]) => {
      await db.deleteFrom('inbox_labels').where('conversation_id', '=', conversationId).execute();
      if (labels.length > 0)
        await db
          .insertInto('inbox_labels')
          .values(labels.map((label) => ({ conversation_id: conversationId, label })))
          .execute();
    },

    canned: () => db.selectFrom('canned_replies').selectAll().orderBy('shortcut').execute(),
    cannedByShortcut: (shortcut: string) =>
      db.selectFrom('canned_replies').selectAll().where('shortcut', '=', shortcut).executeTakeFirst(),
    insertCanned: (row: CannedRow) => db.insertInto('canned_replies').values(row).execute(),
    deleteCanned: async (id: string) =>
      Number((await db.deleteFrom('canned_replies').where('id', '=', id).executeTakeFirst()).numDeletedRows),
  };
}

/** The inbox store contract. */
export type InboxStore = ReturnType<typeof inboxStore>;
