import type { Kysely, Selectable } from 'kysely';
import type { ConsentsTable, ContactsTable, DB } from '../db/schema.js';

export type ContactRow = Selectable<ContactsTable>;
export type ConsentRow = Selectable<ConsentsTable>;

/** Kysely queries for contacts, their tags and consent log. */
export function contactsStore(db: Kysely<DB>) {
  /** Newest first, merged contacts left out; `before` is `createdAt:id` of the previous page's last row. */
  const list = (opts: {
    q?: string | undefined;
    tag?: string | undefined;
    before?: [number, string];
    limit: number;
  }) => {
    let q = db.selectFrom('contacts').selectAll('contacts').where('contacts.merged_into', 'is', null);
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
  };

  return {
    byId: (id: string) => db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst(),

    byIds: async (ids: readonly string[]) =>
      ids.length === 0 ? [] : db.selectFrom('contacts').selectAll().where('id', 'in', ids).execute(),

    byExternalId: (externalId: string) =>
      db.selectFrom('contacts').selectAll().where('external_id', '=', externalId).executeTakeFirst(),

    insert: (row: ContactRow) => db.insertInto('contacts').values(row).execute(),

    update: (id: string, patch: Partial<Omit<ContactRow, 'id'>>) =>
      db.updateTable('contacts').set(patch).where('id', '=', id).execute(),

    list,

    /** Every contact that was not merged, newest first, a page at a time (exports). */
    async *pages(size = 500) {
      let before: [number, string] | undefined;
      for (;;) {
        const rows = await list({ limit: size, ...(before ? { before } : {}) });
        if (rows.length > 0) yield rows;
        const last = rows.at(-1);
        if (!last || rows.length < size) return;
        before = [last.created_at, last.id];
      }
    },

    tagsOf: async (ids: readonly string[]) =>
      ids.length === 0
        ? []
        : db.selectFrom('contact_tags').selectAll().where('contact_id', 'in', ids).orderBy('tag').execute(),

    /** Adds tags, keeping those the contact has. */
    addTags: async (id: string, tags: readonly string[]) => {
      if (tags.length > 0)
        await db
          .insertInto('contact_tags')
          .values(tags.map((tag) => ({ contact_id: id, tag })))
          .onConflict((oc) => oc.columns(['contact_id', 'tag']).doNothing())
          .execute();
    },

    /** Every contact's identifying fields, oldest first (an import matches its rows against them). */
    identities: () =>
      db
        .selectFrom('contacts')
        .select(['id', 'email', 'external_id', 'merged_into'])
        .orderBy('created_at')
        .orderBy('id')
        .execute(),

    setTags: async (id: string, tags: readonly string[]) => {
      await db.deleteFrom('contact_tags').where('contact_id', '=', id).execute();
      if (tags.length > 0)
        await db
          .insertInto('contact_tags')
          .values(tags.map((tag) => ({ contact_id: id, tag })))
          .execute();
    },

    insertConsent: (row: ConsentRow) => db.insertInto('consents').values(row).execute(),

    /** The contact's consent log, with the records of the contacts merged into it. */
    consentsOf: (id: string) =>
      db
        .selectFrom('consents')
        .selectAll()
        .where('contact_id', 'in', (eb) =>
          eb
            .selectFrom('contacts')
            .select('id')
            .where((w) => w.or([w('id', '=', id), w('merged_into', '=', id)])),
        )
        .orderBy('created_at')
        .orderBy('id')
        .execute(),
  };
}

/** The contacts store contract. */
export type ContactsStore = ReturnType<typeof contactsStore>;
