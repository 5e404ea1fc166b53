import { CONTACT_IMPORT_LIMITS, type Contact, type ContactImportError, ContactImportRow } from '@kurier/protocol';
import { CsvError, type Info, parse } from 'csv-parse/sync';
import { csvLine } from '../kernel/csv.js';
import { KurierError } from '../kernel/errors.js';
import type { ContactRow } from './store.js';

const FIXED = ['id', 'name', 'email', 'externalId', 'tags', 'createdAt', 'blocked'] as const;
const RESERVED = new Set<string>(FIXED.map((c) => c.toLowerCase()));
// An attribute whose key is also a fixed column's name is written under this prefix, and the
// import takes it off again, so an export always imports back to the same attributes.
const ATTRIBUTE_PREFIX = 'attribute:';
// The export neutralises formula cells with an apostrophe (kernel/csv.ts); the import removes it.
const NEUTRALISED = /^'[=+\-@\t\r]/;

/** The export's columns: the fixed ones, then one per attribute key found (sorted). */
export function exportColumns(attributeKeys: Iterable<string>): { header: string; keys: string[] } {
  const keys = [...new Set(attributeKeys)].sort();
  const names = keys.map((k) => (RESERVED.has(k.toLowerCase()) ? `${ATTRIBUTE_PREFIX}${k}` : k));
  return { header: csvLine([...FIXED, ...names]), keys };
}

/** One contact as a line of the export, with its attributes in the header's order. */
export function exportLine(contact: Contact, keys: readonly string[]): string {
  return csvLine([
    contact.id,
    contact.name ?? '',
    contact.email ?? '',
    contact.externalId ?? '',
    contact.tags.join(';'),
    new Date(contact.createdAt).toISOString(),
    contact.blockedAt === null ? 'false' : 'true',
    ...keys.map((k) => contact.attributes[k] ?? ''),
  ]);
}

/** A valid row of an import: its line, the contact id it names (an export's `id`), its fields. */
export interface ImportLine {
  line: number;
  id: string | undefined;
  row: ContactImportRow;
}

type Column = { kind: 'id' | 'name' | 'email' | 'externalId' | 'tags' | 'ignore' } | { kind: 'attr'; key: string };

const textOf = (cell: string) => (NEUTRALISED.test(cell) ? cell.slice(1) : cell);

function columnOf(header: string): Column {
  const name = header.trim();
  const lower = name.toLowerCase();
  if (lower === 'createdat' || lower === 'blocked' || name === '') return { kind: 'ignore' };
  if (lower === 'externalid' || lower === 'external_id') return { kind: 'externalId' };
  if (lower === 'id' || lower === 'name' || lower === 'email' || lower === 'tags')
    return { kind: lower as 'id' | 'name' | 'email' | 'tags' };
  return { kind: 'attr', key: lower.startsWith(ATTRIBUTE_PREFIX) ? name.slice(ATTRIBUTE_PREFIX.length) : name };
}

function records(text: string): { cells: string[]; line: number }[] {
  const firstLine = text.slice(0, text.search(/\r|\n|$/));
  // Spreadsheets set to German and other locales save with semicolons.
  const delimiter = firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
  try {
    const options = { bom: true, delimiter, info: true, relax_column_count: true, skip_empty_lines: true };
    const parsed = parse(text, options) as unknown as { record: string[]; info: Info }[];
    let end = 0;
    let empty = 0;
    return parsed.map(({ record, info }) => {
      // info.lines is where a record ends; it starts after the previous one and the empty lines between.
      const line = end + 1 + (info.empty_lines - empty);
      end = info.lines;
      empty = info.empty_lines;
      return { cells: record, line };
    });
  } catch (err) {
    if (err instanceof CsvError) throw new KurierError('BAD_REQUEST', { message: `Malformed CSV: ${err.message}` });
    throw err;
  }
}

const issueText = (issues: readonly { path: PropertyKey[]; message: string }[]) =>
  issues.map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ');

/**
 * Reads an import file: a header row naming the columns (`name`, `email`, `externalId`, `tags`;
 * every other column is an attribute; an export's `id` names the contact, `createdAt` and
 * `blocked` are ignored), then one contact per row. Rows that fail validation are returned as
 * errors with their line; a malformed file or header is BAD_REQUEST, too many rows
 * PAYLOAD_TOO_LARGE.
 */
export function parseContactsCsv(text: string): { lines: ImportLine[]; errors: ContactImportError[] } {
  const [head, ...body] = records(text);
  if (!head) throw new KurierError('BAD_REQUEST', { message: 'The CSV is empty; the first row names the columns.' });
  if (body.length > CONTACT_IMPORT_LIMITS.rows)
    throw new KurierError('PAYLOAD_TOO_LARGE', {
      message: `An import takes at most ${CONTACT_IMPORT_LIMITS.rows} rows.`,
      details: { limit: CONTACT_IMPORT_LIMITS.rows },
    });
  const columns = head.cells.map((h) => columnOf(textOf(h)));
  const seen = new Set<string>();
  for (const c of columns) {
    if (c.kind === 'ignore') continue;
    const key = c.kind === 'attr' ? `attr:${c.key}` : c.kind;
    if (seen.has(key))
      throw new KurierError('BAD_REQUEST', { message: `The column "${key.replace(/^attr:/, '')}" appears twice.` });
    seen.add(key);
  }

  const lines: ImportLine[] = [];
  const errors: ContactImportError[] = [];
  for (const { cells, line } of body) {
    const values = cells.map((v) => textOf(v).trim());
    if (values.every((v) => v === '')) continue;
    if (values.slice(columns.length).some((v) => v !== '')) {
      errors.push({ line, message: `more cells than the ${columns.length} columns of the header` });
      continue;
    }
    const input: Record<string, unknown> = { tags: [], attributes: {} };
    const attributes: Record<string, string> = {};
    let id: string | undefined;
    columns.forEach((c, i) => {
      const v = values[i] ?? '';
      if (v === '' || c.kind === 'ignore') return;
      if (c.kind === 'attr') attributes[c.key] = v;
      else if (c.kind === 'id') id = v;
      else if (c.kind === 'tags')
        input.tags = [...new Set(v.split(/[;,]/).map((t) => t.trim().toLowerCase()))].filter(Boolean);
      else input[c.kind] = v;
    });
    input.attributes = attributes;
    const result = ContactImportRow.safeParse(input);
    if (result.success) lines.push({ line, id, row: result.data });
    else errors.push({ line, message: issueText(result.error.issues) });
  }
  return { lines, errors };
}

/** The identifying fields of a contact, as an import matches rows against them. */
export interface ContactIdentity {
  id: string;
  email: string | null;
  external_id: string | null;
  merged_into: string | null;
}

/**
 * Which contact an import row means: the one its `id` names, else the one with its external id,
 * else the oldest with its e-mail (case-insensitive). A merged contact stands for the one it was
 * merged into. Kept current as the import creates and changes contacts, so a file that names a
 * new contact twice creates it once.
 */
export class ContactIndex {
  readonly #ids = new Map<string, string>();
  readonly #external = new Map<string, string>();
  readonly #email = new Map<string, string>();

  constructor(rows: readonly ContactIdentity[]) {
    for (const row of rows) this.add(row);
  }

  /** Records a contact's current identity (call again after changing it). */
  add(row: ContactIdentity): void {
    const live = row.merged_into ?? row.id;
    this.#ids.set(row.id, live);
    if (row.external_id) this.#external.set(row.external_id, live);
    const email = row.email?.toLowerCase();
    if (email && row.merged_into === null && !this.#email.has(email)) this.#email.set(email, live);
  }

  /** The contact a row updates, or undefined when it is a new one. */
  match(id: string | undefined, row: ContactImportRow): string | undefined {
    return (
      (id && this.#ids.get(id)) ||
      (row.externalId && this.#external.get(row.externalId)) ||
      (row.email && this.#email.get(row.email.toLowerCase())) ||
      undefined
    );
  }

  /** The contact that holds an external id, if any. */
  externalOwner(externalId: string): string | undefined {
    return this.#external.get(externalId);
  }
}

// As many as ContactAttributes allows: neither a merge nor an import grows a contact beyond it.
const MAX_ATTRIBUTES = 50;

/** A contact row's attributes. */
export const attributesOf = (row: ContactRow) => JSON.parse(row.attributes) as Record<string, string>;

/** `over`'s attributes, with `under`'s keys added while there is room (a merge: the target wins). */
export function fillAttributes(over: Record<string, string>, under: Record<string, string>): Record<string, string> {
  const out = { ...over };
  for (const [k, v] of Object.entries(under))
    if (!Object.hasOwn(out, k) && Object.keys(out).length < MAX_ATTRIBUTES) out[k] = v;
  return out;
}

/**
 * What an import row changes on the contact it matched (name and e-mail replaced, external id
 * set if it had none, attributes merged with the row's winning), or why it cannot.
 */
export function importPatch(
  row: ContactRow,
  input: ContactImportRow,
  index: ContactIndex,
): Partial<ContactRow> | string {
  const next: Partial<ContactRow> = {};
  if (input.name && input.name !== row.name) next.name = input.name;
  if (input.email && input.email.toLowerCase() !== row.email?.toLowerCase()) next.email = input.email;
  if (input.externalId && input.externalId !== row.external_id) {
    if (row.external_id) return `the contact has another externalId (${row.external_id})`;
    if (index.externalOwner(input.externalId)) return 'the externalId belongs to another contact';
    next.external_id = input.externalId;
  }
  const attributes = { ...attributesOf(row), ...input.attributes };
  if (Object.keys(attributes).length > MAX_ATTRIBUTES) return `a contact has at most ${MAX_ATTRIBUTES} attributes`;
  next.attributes = JSON.stringify(attributes);
  return next;
}
