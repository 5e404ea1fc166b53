import type { Contact, ContactDetail, ContactList, ContactListQuery, UpdateContactRequest } from '@kurier/protocol';
import type { Kysely } from 'kysely';
import type { AccountsService } from '../accounts/service.js';
import type { DB } from '../db/schema.js';
import { type Actor, requireRole } from '../kernel/auth.js';
import { KurierError } from '../kernel/errors.js';
import { CONTACT_ID_PREFIX, newId } from '../kernel/ids.js';
import { pageCursor, parsePageCursor } from '../kernel/paging.js';
import type { Writer } from '../kernel/writer.js';
import { presentConsent, presentContact } from './present.js';
import { type ContactRow, contactsStore } from './store.js';

interface Deps {
  db: Kysely<DB>;
  writer: Writer;
  accounts: AccountsService;
  now?: () => number;
}

/** A new visitor from a form: who they say they are and what they agreed to. */
export interface NewContact {
  name: string;
  email: string;
  attributes: Record<string, string>;
  externalId?: string | undefined;
  consent: { purpose: string; text: string; source: string };
}

/** Staff who work with customers may see and edit contacts; plain members may not. */
function requireStaff(actor: Actor): void {
  requireRole(actor, 'owner', 'admin', 'agent');
}

/** Contacts: customer identities, their attributes and tags, blocking, and the consent log. */
export function contactsService({ db, writer, accounts, now = Date.now }: Deps) {
  const store = contactsStore(db);

  async function present(rows: readonly ContactRow[]): Promise<Contact[]> {
    const ids = rows.map((r) => r.id);
    const [tags, users] = await Promise.all([store.tagsOf(ids), accounts.usersByIds(ids)]);
    const seen = new Map(users.map((u) => [u.id, u.last_seen_at]));
    return rows.map((r) =>
      presentContact(
        r,
        tags.filter((t) => t.contact_id === r.id).map((t) => t.tag),
        seen.get(r.id) ?? null,
      ),
    );
  }

  async function requireContact(id: string, s = store): Promise<ContactRow> {
    const row = await s.byId(id);
    if (!row) throw new KurierError('CONTACT_NOT_FOUND');
    return row;
  }

  return {
    /**
     * A new contact with the user row it writes under and its first consent record, in one
     * durable transaction.
     */
    create(input: NewContact): Promise<ContactRow> {
      return writer.transact(async (trx) => {
        const s = contactsStore(trx);
        const at = now();
        const row: ContactRow = {
          id: newId(CONTACT_ID_PREFIX),
          name: input.name,
          email: input.email,
          external_id: input.externalId ?? null,
          attributes: JSON.stringify(input.attributes),
          blocked_at: null,
          created_at: at,
          updated_at: at,
        };
        await accounts.createContactUser(trx, { id: row.id, displayName: input.name, at });
        await s.insert(row);
        await s.insertConsent({ id: newId('cs'), contact_id: row.id, ...input.consent, created_at: at });
        return { result: row };
      });
    },

    /** A returning verified visitor: records the consent they gave again on this device. */
    recordConsent(contactId: string, consent: NewContact['consent']): Promise<void> {
      return writer.transact(async (trx) => {
        await contactsStore(trx).insertConsent({
          id: newId('cs'),
          contact_id: contactId,
          ...consent,
          created_at: now(),
        });
        return { result: undefined };
      });
    },

    byExternalId: (externalId: string) => store.byExternalId(externalId),

    /** A contact row, read through `trx` when inside a transaction (SQLite has one connection). */
    byId: (id: string, trx: Kysely<DB> = db) => contactsStore(trx).byId(id),

    /** Name and e-mail per contact, for inbox rows. */
    briefs: async (ids: readonly string[]) => new Map((await store.byIds(ids)).map((r) => [r.id, r])),

    async list(actor: Actor, query: ContactListQuery & { limit: number }): Promise<ContactList> {
      requireStaff(actor);
      const before = parsePageCursor(query.before);
      const rows = await store.list({
        q: query.q,
        tag: query.tag,
        limit: query.limit + 1,
        ...(before ? { before } : {}),
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        contacts: await present(page),
        nextBefore: rows.length > query.limit && last ? pageCursor(last.created_at, last.id) : null,
      };
    },

    async get(actor: Actor, id: string): Promise<ContactDetail> {
      requireStaff(actor);
      const row = await requireContact(id);
      const [contact] = (await present([row])) as [Contact];
      return { contact, consents: (await store.consentsOf(id)).map(presentConsent) };
    },

    /** Edits a contact; blocking ends the customer's sessions, so their widget goes quiet at once. */
    async update(actor: Actor, id: string, patch: UpdateContactRequest): Promise<ContactDetail> {
      requireStaff(actor);
      const blockedNow = await writer.transact(async (trx) => {
        const s = contactsStore(trx);
        const row = await requireContact(id, s);
        const at = now();
        const next: Partial<ContactRow> = { updated_at: at };
        if (patch.name !== undefined) next.name = patch.name;
        if (patch.email !== undefined) next.email = patch.email;
        if (patch.attributes !== undefined) next.attributes = JSON.stringify(patch.attributes);
        if (patch.blocked !== undefined) next.blocked_at = patch.blocked ? (row.blocked_at ?? at) : null;
        await s.update(id, next);
        if (patch.tags !== undefined) await s.setTags(id, [...new Set(patch.tags)]);
        if (patch.name) await accounts.renameContactUser(trx, id, patch.name);
        return { result: patch.blocked === true && row.blocked_at === null };
      });
      if (blockedNow) await accounts.revokeAllSessions(id);
      return this.get(actor, id);
    },
  };
}

/** The contacts service contract. */
export type ContactsService = ReturnType<typeof contactsService>;
