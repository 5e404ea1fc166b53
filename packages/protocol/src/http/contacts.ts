import { z } from 'zod';
import { Id, Timestamp } from '../ids.js';

/** A tag on a contact or a label on a conversation: short, lower case, no spaces. */
export const Tag = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(40)
  .regex(/^[\p{L}\p{N}_.:-]+$/u, 'letters, digits and _ . : - only');

/** Free-form attributes of a contact (pre-chat fields, company, plan …), string to string. */
export const ContactAttributes = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((a) => Object.keys(a).length <= 50, { message: 'at most 50 attributes' });

/**
 * A customer identity: a widget visitor, a guest, later a phone number or e-mail address. Its
 * `id` is also the user id it writes under in its conversations (`senderId`, member `userId`).
 */
export const Contact = z.object({
  id: Id,
  name: z.string().nullable(),
  email: z.string().nullable(),
  /** The website's own user id, set when the visitor was verified with the identity HMAC. */
  externalId: z.string().nullable(),
  attributes: z.record(z.string(), z.string()),
  tags: z.array(z.string()),
  blockedAt: Timestamp.nullable(),
  createdAt: Timestamp,
  lastSeenAt: Timestamp.nullable(),
});
/** A customer identity. */
export type Contact = z.infer<typeof Contact>;

/** What a consent covered, when and from where. Consent records are append-only. */
export const ConsentRecord = z.object({
  id: Id,
  contactId: Id,
  /** `chat`: the privacy notice of the chat; broadcasts add their own purposes. */
  purpose: z.string(),
  /** The notice as the contact saw it. */
  text: z.string(),
  /** Where it was given, e.g. `widget:<inboxId>` or `guest-link:<inboxId>`. */
  source: z.string(),
  createdAt: Timestamp,
});
/** One consent a contact gave. */
export type ConsentRecord = z.infer<typeof ConsentRecord>;

/** `GET /api/v1/contacts`: newest first; `q` matches name, e-mail and external id. */
export const ContactListQuery = z.object({
  q: z.string().trim().max(200).optional(),
  tag: Tag.optional(),
  /** `nextBefore` of the previous page. */
  before: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
/** Query of `GET /api/v1/contacts`. */
export type ContactListQuery = z.input<typeof ContactListQuery>;

/** `GET /api/v1/contacts`. */
export const ContactList = z.object({ contacts: z.array(Contact), nextBefore: z.string().nullable() });
/** `GET /api/v1/contacts`. */
export type ContactList = z.infer<typeof ContactList>;

/** `GET /api/v1/contacts/:id`: the profile with its consent log. */
export const ContactDetail = z.object({ contact: Contact, consents: z.array(ConsentRecord) });
/** `GET /api/v1/contacts/:id`. */
export type ContactDetail = z.infer<typeof ContactDetail>;

/** `PATCH /api/v1/contacts/:id`: fields left out stay; `attributes` replaces the whole map. */
export const UpdateContactRequest = z
  .object({
    name: z.string().trim().min(1).max(100).nullable(),
    email: z.email().max(254).nullable(),
    attributes: ContactAttributes,
    tags: z.array(Tag).max(30),
    blocked: z.boolean(),
  })
  .partial()
  .strict();
/** Body of `PATCH /api/v1/contacts/:id`. */
export type UpdateContactRequest = z.input<typeof UpdateContactRequest>;

/** `POST /api/v1/contacts/:id/merge`: the duplicate that is merged into `:id` (answer: ContactDetail). */
export const MergeContactRequest = z.object({ sourceId: Id }).strict();
/** Body of `POST /api/v1/contacts/:id/merge`. */
export type MergeContactRequest = z.input<typeof MergeContactRequest>;

/** Limits of `POST /api/v1/contacts/import`: more rows or bytes get PAYLOAD_TOO_LARGE. */
export const CONTACT_IMPORT_LIMITS = { rows: 10_000, bytes: 5 * 1024 * 1024 } as const;

/**
 * One row of a contacts CSV import after its cells were read: empty cells are left out, `tags`
 * is the `;`-separated cell. At least one of name, e-mail and external id identifies the row.
 */
export const ContactImportRow = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    email: z.email().max(254).optional(),
    externalId: z.string().trim().min(1).max(200).optional(),
    tags: z.array(Tag).max(30),
    attributes: ContactAttributes,
  })
  .strict()
  .refine((r) => r.name !== undefined || r.email !== undefined || r.externalId !== undefined, {
    message: 'a row needs a name, email or externalId',
  });
/** One validated row of a contacts CSV import. */
export type ContactImportRow = z.infer<typeof ContactImportRow>;

/** A row the import left out, with its line in the file (the header is line 1). */
export const ContactImportError = z.object({ line: z.number().int().positive(), message: z.string() });
/** A row the import left out. */
export type ContactImportError = z.infer<typeof ContactImportError>;

/** Answer of `POST /api/v1/contacts/import`: good rows were imported, bad ones are listed. */
export const ContactImportResult = z.object({
  created: z.number().int().nonnegative(),
  updated: z.number().int().nonnegative(),
  errors: z.array(ContactImportError),
});
/** Answer of `POST /api/v1/contacts/import`. */
export type ContactImportResult = z.infer<typeof ContactImportResult>;
