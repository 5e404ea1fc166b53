import { createHash, randomBytes, randomFillSync } from 'node:crypto';

/**
 * A new opaque id with a type prefix, e.g. `m_mf3k2…`: a millisecond timestamp (base 36, sorts
 * until the year 5188) then 72 random bits. Time-ordered ids land at the right edge of the
 * primary-key B-tree instead of at a random page, which makes batched inserts much cheaper.
 */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomChunk().toString('base64url')}`;
}

// Ids are minted per message on the send path; one CSPRNG call per 455 ids instead of per id.
// Ids need uniqueness, not secrecy: tokens below still draw their bytes fresh.
const ID_RANDOM_BYTES = 9;
const pool = Buffer.alloc(ID_RANDOM_BYTES * 455);
let poolOffset = pool.length;

function randomChunk(): Buffer {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const chunk = pool.subarray(poolOffset, poolOffset + ID_RANDOM_BYTES);
  poolOffset += ID_RANDOM_BYTES;
  return chunk;
}

/** The prefix of contact ids, which are also the user ids customers write under. */
export const CONTACT_ID_PREFIX = 'k';

/** Whether a user id belongs to a customer (a contact) rather than staff. */
export function isContactId(userId: string): boolean {
  return userId.startsWith(`${CONTACT_ID_PREFIX}_`);
}

/** A new secret token (session, invite, setup): 256 random bits. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are stored only as their SHA-256: a database leak does not leak live sessions. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
