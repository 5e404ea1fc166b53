import type { ConsentRecord, Contact } from '@kurier/protocol';
import type { ConsentRow, ContactRow } from './store.js';

/** The only door from a contact row to the wire. */
export function presentContact(row: ContactRow, tags: readonly string[], lastSeenAt: number | null): Contact {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    externalId: row.external_id,
    attributes: JSON.parse(row.attributes) as Record<string, string>,
    tags: [...tags],
    blockedAt: row.blocked_at,
    createdAt: row.created_at,
    lastSeenAt,
  };
}

/** One consent record as staff see it in the profile. */
export function presentConsent(row: ConsentRow): ConsentRecord {
  return {
    id: row.id,
    contactId: row.contact_id,
    purpose: row.purpose,
    text: row.text,
    source: row.source,
    createdAt: row.created_at,
  };
}
