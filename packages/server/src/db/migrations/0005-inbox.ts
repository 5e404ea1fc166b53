import type { Kysely } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * The team inbox: contacts (each with a `users` row of role `contact`, so customer conversations
 * reuse members, receipts, sessions and sync), their consent log and tags, inboxes with their
 * widget keys, teams, agents' capacity, the inbox state of customer conversations, labels and
 * canned replies.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('name', 'text')
    .addColumn('email', 'text')
    .addColumn('external_id', 'text', (c) => c.unique())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('blocked_at', big)
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('contacts_created').on('contacts').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('contacts_email').on('contacts').column('email').execute();

  await db.schema
    .createTable('contact_tags')
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_tags_pk', ['contact_id', 'tag'])
    .execute();
  await db.schema.createIndex('contact_tags_tag').on('contact_tags').column('tag').execute();

  // Append-only: what was agreed to, when, where. Never updated or deleted with the contact's data.
  await db.schema
    .createTable('consents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('consents_contact').on('consents').column('contact_id').execute();

  await db.schema
    .createTable('inboxes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('widget_key', 'text', (c) => c.notNull().unique())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('identity_secret', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('teams')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('team_members')
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'user_id'])
    .execute();
  await db.schema.createIndex('team_members_user').on('team_members').column('user_id').execute();
  await db.schema
    .createTable('inbox_teams')
    .addColumn('inbox_id', 'text', (c) => c.notNull().references('inboxes.id'))
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id'))
    .addPrimaryKeyConstraint('inbox_teams_pk', ['inbox_id', 'team_id'])
    .execute();

  // A row appears when an admin sets a capacity or routing first assigns to the agent.
  await db.schema
    .createTable('agents')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('capacity', big, (c) => c.notNull())
    .addColumn('last_assigned_at', big)
    .execute();

  await db.schema
    .createTable('inbox_state')
    .addColumn('conversation_id', 'text', (c) => c.primaryKey().references('conversations.id'))
    .addColumn('inbox_id', 'text', (c) => c.notNull().references('inboxes.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    // One column, so one owner: two agents can never both hold a conversation.
    .addColumn('assignee_id', 'text')
    .addColumn('team_id', 'text')
    .addColumn('snoozed_until', big)
    .addColumn('waiting_since', big)
    .addColumn('first_response_at', big)
    .addColumn('resolved_at', big)
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('last_activity_at', big, (c) => c.notNull())
    .addColumn('change_id', big, (c) => c.notNull())
    .addColumn('csat_score', big)
    .addColumn('csat_comment', 'text')
    .execute();
  // Views: by status and activity; an agent's load; the queue; a contact's history.
  await db.schema
    .createIndex('inbox_state_view')
    .on('inbox_state')
    .columns(['status', 'last_activity_at', 'conversation_id'])
    .execute();
  await db.schema.createIndex('inbox_state_assignee').on('inbox_state').columns(['assignee_id', 'status']).execute();
  await db.schema.createIndex('inbox_state_contact').on('inbox_state').column('contact_id').execute();

  await db.schema
    .createTable('inbox_labels')
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('inbox_labels_pk', ['conversation_id', 'label'])
    .execute();
  await db.schema.createIndex('inbox_labels_label').on('inbox_labels').column('label').execute();

  await db.schema
    .createTable('canned_replies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('shortcut', 'text', (c) => c.notNull().unique())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
}
