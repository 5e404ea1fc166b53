import {
  type Change,
  type Contact,
  type ContactDetail,
  type ContactImportError,
  type ContactImportResult,
  type ContactList,
  type ContactListQuery,
  changeIdOf,
  type Member,
  type MergeContactRequest,
  type UpdateContactRequest,
} from '@kurier/protocol';
import type { Kysely } from 'kysely';
import type { AccountsService } from '../accounts/service.js';
import type { Membership } from '../conversations/membership.js';
import { presentMember } from '../conversations/present.js';
import type { DB } from '../db/schema.js';
import { type Actor, requireRole } from '../kernel/auth.js';
import type { Bus } from '../kernel/bus.js';
import { CSV_BOM } from '../kernel/csv.js';
import { KurierError } from '../kernel/errors.js';
import { CONTACT_ID_PREFIX, newId } from '../kernel/ids.js';
import { pageCursor, parsePageCursor } from '../kernel/paging.js';
import type { Writer } from '../kernel/writer.js';
import {
  attributesOf,
  ContactIndex,
  exportColumns,
  exportLine,
  fillAttributes,
  importPatch,
  parseContactsCsv,
} from './csv.js';
import { mergeStore } from './merge-store.js';
import { presentConsent, presentContact } from './present.js';
import { type ContactRow, contactsStore } from './store.js';

interface Deps {
  db: Kysely<DB>;
  writer: Writer;
  accounts: AccountsService;
  /** Merging moves the duplicate's conversations: cached members drop, member changes go out. */
  membership: Membership;
  bus: Bus;
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
export function contactsService({ db, writer, accounts, membership, bus, now = Date.now }: Deps) {
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

  /** A contact that was not merged away; a merged one is not found, with where it went. */
  async function requireContact(id: string, s = store): Promise<ContactRow> {
    const row = await s.byId(id);
    if (!row) throw new KurierError('CONTACT_NOT_FOUND');
    if (row.merged_into !== null)
      throw new KurierError('CONTACT_NOT_FOUND', {
        message: 'This contact was merged into another.',
        details: { mergedInto: row.merged_into },
      });
    return row;
  }

  /** A contact and the user row it writes under; no consent record (the caller adds one or not). */
  async function insertContact(
    trx: Kysely<DB>,
    input: { name: string | null; email: string | null; externalId: string | null; attributes: object },
  ): Promise<ContactRow> {
    const at = now();
    const row: ContactRow = {
      id: newId(CONTACT_ID_PREFIX),
      name: input.name,
      email: input.email,
      external_id: input.externalId,
      attributes: JSON.stringify(input.attributes),
      blocked_at: null,
      created_at: at,
      updated_at: at,
      merged_into: null,
    };
    const displayName = input.name ?? input.email ?? input.externalId ?? '';
    await accounts.createContactUser(trx, { id: row.id, displayName, at });
    await contactsStore(trx).insert(row);
    return row;
  }

  /** Sends moved member rows to everyone who now receives each conversation, in change order. */
  async function publishMembers(members: readonly Member[], sourceId: string): Promise<void> {
    for (const conversationId of new Set(members.map((m) => m.conversationId))) {
      membership.invalidate(conversationId);
      const changes: Change[] = members
        .filter((m) => m.conversationId === conversationId)
        .map((member) => ({ kind: 'member', member }));
      const { all } = await membership.audience(conversationId);
      const cursor = changeIdOf(changes.at(-1) as Change);
      // The duplicate learns it left, should a socket of it outlive the revocation.
      const frame = { type: 'changes', changes, cursor, live: true, done: true } as const;
      bus.emit('deliver', { userIds: [...all, sourceId], frame });
    }
  }

  return {
    /**
     * A new contact with the user row it writes under and its first consent record, in one
     * durable transaction.
     */
    create(input: NewContact): Promise<ContactRow> {
      return writer.transact(async (trx) => {
        const row = await insertContact(trx, { ...input, externalId: input.externalId ?? null });
        await contactsStore(trx).insertConsent({
          id: newId('cs'),
          contact_id: row.id,
          ...input.consent,
          created_at: row.created_at,
        });
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

    /** The contact a website's user id belongs to; a merged one answers with the contact it became. */
    async byExternalId(externalId: string): Promise<ContactRow | undefined> {
      const row = await store.byExternalId(externalId);
      return row?.merged_into ? store.byId(row.merged_into) : row;
    },

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

    /**
     * Merges the duplicate `sourceId` into `id` in one transaction: its customer conversations
     * and memberships (with receipt watermarks) move to the target, tags are united, attributes
     * and empty fields filled from it (the target wins), and it is marked merged: gone from
     * lists, its sessions revoked. Its messages keep it as sender and its consent records stay
     * as given; the target's consent log shows them (see store.consentsOf).
     */
    async merge(actor: Actor, id: string, { sourceId }: MergeContactRequest): Promise<ContactDetail> {
      requireStaff(actor);
      if (sourceId === id) throw new KurierError('BAD_REQUEST', { message: 'A contact cannot be merged into itself.' });
      await writer.transact(async (trx) => {
        const s = contactsStore(trx);
        const target = await requireContact(id, s);
        const source = await requireContact(sourceId, s);
        const at = now();
        const moves = mergeStore(trx);
        const members = await moves.moveMembership({ sourceId, targetId: id, at });
        await moves.moveInboxState(sourceId, id);
        await moves.repointMerged(sourceId, id);
        await s.addTags(
          id,
          (await s.tagsOf([sourceId])).map((t) => t.tag),
        );
        const attributes = fillAttributes(attributesOf(target), attributesOf(source));
        const next: Partial<ContactRow> = { attributes: JSON.stringify(attributes), updated_at: at };
        if (!target.name && source.name) next.name = source.name;
        if (!target.email && source.email) next.email = source.email;
        // external_id is unique: the duplicate gives it up first. One it keeps still finds the
        // target (byExternalId follows merged_into).
        const takeExternal = !target.external_id && source.external_id !== null;
        if (takeExternal) next.external_id = source.external_id;
        await s.update(sourceId, { merged_into: id, updated_at: at, ...(takeExternal ? { external_id: null } : {}) });
        await s.update(id, next);
        if (next.name) await accounts.renameContactUser(trx, id, next.name);
        return { result: undefined, publish: () => publishMembers(members.map(presentMember), sourceId) };
      });
      await accounts.revokeAllSessions(sourceId);
      return this.get(actor, id);
    },

    /**
     * Imports contacts from CSV (see csv.ts for the columns). A row that matches a contact by
     * id, external id or e-mail updates it (name and e-mail overwritten, tags united, attributes
     * merged); any other creates one. Bad rows are reported by line and left out; the good ones
     * commit in one transaction. An import records no consent: invariant 7 still needs the
     * contact's own opt-in before anything is sent to them.
     */
    async importCsv(actor: Actor, text: string): Promise<ContactImportResult> {
      requireRole(actor, 'owner', 'admin');
      const { lines, errors } = parseContactsCsv(text);
      const result = await writer.transact(async (trx) => {
        const s = contactsStore(trx);
        const index = new ContactIndex(await s.identities());
        const failed: ContactImportError[] = [];
        let [created, updated] = [0, 0];
        for (const { line, id, row } of lines) {
          const matched = index.match(id, row);
          const existing = matched ? await s.byId(matched) : undefined;
          const { name = null, email = null, externalId = null, attributes, tags } = row;
          const change = existing ? importPatch(existing, row, index) : undefined;
          if (typeof change === 'string') {
            failed.push({ line, message: change });
            continue;
          }
          const contact = existing ?? (await insertContact(trx, { name, email, externalId, attributes }));
          if (existing && change) await s.update(existing.id, { ...change, updated_at: now() });
          if (existing && change?.name) await accounts.renameContactUser(trx, existing.id, change.name);
          await s.addTags(contact.id, tags);
          index.add({ ...contact, ...change });
          if (existing) updated++;
          else created++;
        }
        return { result: { created, updated, errors: failed } };
      });
      return { ...result, errors: [...errors, ...result.errors].sort((a, b) => a.line - b.line) };
    },

    /**
     * The CSV export of every contact that was not merged, streamed page by page. Attribute
     * columns come from a first pass over the contacts; the export is no snapshot, so a contact
     * changed meanwhile shows as its page read it and a key first used meanwhile may be missing.
     */
    exportCsv(actor: Actor): AsyncIterable<string> {
      requireRole(actor, 'owner', 'admin');
      return (async function* () {
        const keys = new Set<string>();
        for await (const page of store.pages()) for (const row of page) for (const k in attributesOf(row)) keys.add(k);
        const columns = exportColumns(keys);
        yield CSV_BOM + columns.header;
        for await (const page of store.pages())
          yield (await present(page)).map((c) => exportLine(c, columns.keys)).join('');
      })();
    },
  };
}

/** The contacts service contract. */
export type ContactsService = ReturnType<typeof contactsService>;
