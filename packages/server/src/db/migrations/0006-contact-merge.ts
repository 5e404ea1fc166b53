import type { Kysely } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * Merging duplicate contacts: a merged contact keeps its row (its messages still name it as
 * sender, its consent records stay as given) and points at the contact it became.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('contacts')
    .addColumn('merged_into', 'text', (c) => c.references('contacts.id'))
    .execute();
  // Reading a contact's consents reaches the contacts merged into it.
  await db.schema.createIndex('contacts_merged_into').on('contacts').column('merged_into').execute();
}
