import type { Kysely, Selectable } from 'kysely';
import type { DB, MediaTable } from '../db/schema.js';

/** A stored upload. */
export type MediaRow = Selectable<MediaTable>;

/** Kysely queries for media rows and the link-signing secret. */
export function mediaStore(db: Kysely<DB>) {
  return {
    insert: (row: MediaRow) => db.insertInto('media').values(row).execute(),

    byId: (id: string) => db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst(),

    byIds: async (ids: readonly string[]) =>
      ids.length === 0 ? [] : db.selectFrom('media').selectAll().where('id', 'in', ids).execute(),

    /** Any earlier upload of the same bytes: what was learned from them can be reused. */
    bySha256: (sha256: string) =>
      db.selectFrom('media').selectAll().where('sha256', '=', sha256).limit(1).executeTakeFirst(),

    /** A named secret, created with `make()` when missing (concurrent starts agree on one). */
    secret: async (name: string, make: () => string) => {
      await db
        .insertInto('secrets')
        .values({ name, value: make() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      return (await db.selectFrom('secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow()).value;
    },
  };
}

/** The media store contract. */
export type MediaStore = ReturnType<typeof mediaStore>;
