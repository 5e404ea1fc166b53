import type { Kysely, Selectable } from 'kysely';
import type { ConsentsTable, ContactsTable, DB } from '../db/schema.js';

export type ContactRow = Selectable<ContactsTable>;
export type ConsentRow = Selectable<ConsentsTable>;

/** Kysely queries for contacts, their tags and consent log. */
export function contactsStore(db: Kysely<DB>) {
  return {
    byId: (id: string) => db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst(),

    byIds: async (ids: readonly string[]) =>
      ids.length === 0 ? [] : db.selectFrom('contacts').selectAll().where('id', 'in', ids).execute(),

    byExternalId: (externalId: string) =>
      db.selectFrom('contacts').selectAll().where('external_id', '=', externalId).executeTakeFirst(),

    insert: (row: ContactRow) => db.insertInto('contacts').values(row).execute(),

    update: (id: string, patch: Partial<Omit<ContactRow, 'id'>>) =>
      db.updateTable('contacts').set(patch).where('id', '=', id).execute(),

    /** Newest first; `before` is `createdAt:id` of the last row of the previous page. */
    list: (opts: { q?: string | undefined; tag?: string | undefined; before?: [number, string]; limit: number }) => {
      let q = db.selectFrom('contacts').selectAll('contacts');
      if (opts.q) {
        const like = `%${opts.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where((eb) =>
          eb.or([
            eb(eb.fn('lower', ['contacts.name']), 'like', eb.val(like)),
            eb(eb.fn('lower', ['contacts.email']), 'like', eb.val(like)),
            eb(eb.fn('lower', ['contacts.external_id']), 'like', eb.val(like)),
          ]),
        );
      }
      if (opts.tag) {
        const tag = opts.tag;
        q = q.where('contacts.id', 'in', (eb) =>
          eb.selectFrom('contact_tags').select('contact_id').where('tag', '=', tag),
        );
      }
      if (opts.before) {
        const [at, id] = opts.before;
        q = q.where((eb) =>
          eb.or([
            eb('contacts.created_at', '<', at),
            eb.and([eb('contacts.created_at', '=', at), eb('contacts.id', '<', id)]),
          ]),
        );
      }
      return q.orderBy('contacts.created_at', 'desc').orderBy('contacts.id', 'desc').limit(opts.limit).execute();
    },

    tagsOf: async (ids: readonly string[]) =>
      ids.length === 0
        ? []
        : db.selectFrom('contact_tags').selectAll().where('contact_id', 'in', ids).orderBy('tag').execute(),

    setTags: async (id: string, tags: readonly string[]) => {
      await db.deleteFrom('contact_tags').where('contact_id', '=', id).execute();
      if (tags.length > 0)
        await db
          .insertInto('contact_tags')
          .values(tags.map((tag) => ({ contact_id: id, tag })))
          .execute();
    },

    insertConsent: (row: ConsentRow) => db.insertInto('consents').values(row).execute(),

    consentsOf: (id: string) =>
      db.selectFrom('consents').selectAll().where('contact_id', '=', id).orderBy('created_at').execute(),
  };
}

/** The contacts store contract. */
export type ContactsStore = ReturnType<typeof contactsStore>;
