import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/** Which conversations a report covers: created in `[from, to)`, in the visible inboxes (null: all). */
export interface ReportFilter {
  from: number;
  to: number;
  inboxIds: readonly string[] | null;
  inboxId?: string | undefined;
}

/** Kysely queries of the inbox reports; the inbox's own tables only (names come from services). */
export function reportStore(db: Kysely<DB>) {
  return {
    /** The inbox state of every conversation in the range, oldest first, with its inbox's name. */
    conversations: (f: ReportFilter) => {
      let q = db
        .selectFrom('inbox_state as s')
        .innerJoin('inboxes as i', 'i.id', 's.inbox_id')
        .select([
          's.conversation_id',
          's.inbox_id',
          'i.name as inbox_name',
          's.contact_id',
          's.status',
          's.assignee_id',
          's.team_id',
          's.created_at',
          's.first_response_at',
          's.resolved_at',
          's.csat_score',
        ])
        .where('s.created_at', '>=', f.from)
        .where('s.created_at', '<', f.to);
      if (f.inboxIds)
        q = f.inboxIds.length === 0 ? q.where((eb) => eb.val(false)) : q.where('s.inbox_id', 'in', f.inboxIds);
      if (f.inboxId) q = q.where('s.inbox_id', '=', f.inboxId);
      return q.orderBy('s.created_at').orderBy('s.conversation_id').execute();
    },

    teams: () => db.selectFrom('teams').select(['id', 'name']).execute(),
    inboxTeams: () => db.selectFrom('inbox_teams').selectAll().execute(),
  };
}

/** One conversation as a report reads it. */
export type ReportRow = Awaited<ReturnType<ReturnType<typeof reportStore>['conversations']>>[number];
