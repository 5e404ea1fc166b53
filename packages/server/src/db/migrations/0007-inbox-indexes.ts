import type { Kysely } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * Indexes for the team inbox at tens of thousands of conversations (`npm run bench:inbox`,
 * docs/benchmarks.md). An agent's counts filter by their inboxes, which no index led with, so
 * each count scanned every conversation ever held, resolved ones included; routing's load per
 * agent, the mine/unassigned views and the open count per team read every open row.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  // Counts over the visible inboxes: by status, open mine/unassigned, by team, by label (join).
  await db.schema
    .createIndex('inbox_state_inbox_counts')
    .on('inbox_state')
    .columns(['inbox_id', 'status', 'assignee_id', 'team_id', 'conversation_id'])
    .execute();
  // Routing's open load per agent; the mine and unassigned views in their order.
  await db.schema
    .createIndex('inbox_state_status_assignee')
    .on('inbox_state')
    .columns(['status', 'assignee_id', 'last_activity_at', 'conversation_id'])
    .execute();
  // Open conversations per team: only transferred ones have a team, so the index stays small.
  await db.schema
    .createIndex('inbox_state_team')
    .on('inbox_state')
    .columns(['status', 'team_id'])
    .where('team_id', 'is not', null)
    .execute();
}
