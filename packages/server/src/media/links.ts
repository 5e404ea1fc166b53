import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MediaVariant } from '@kurier/protocol';

/** How long a signed media link works at least. */
export const LINK_TTL_MS = 60 * 60 * 1000;
// Expiries are rounded up to this step, so every link to one file made within ten minutes is the
// same URL and the browser's cache keeps working across re-renders and reloads.
const LINK_STEP_MS = 10 * 60 * 1000;

/**
 * Signed media links: `?exp=<epoch ms>&sig=<HMAC-SHA256(key, id, variant, exp)>`. A link is a
 * bearer capability for one variant of one file until `exp`; it needs no session, which is what
 * `<img src>` requires. The key is the server's `media-links` secret.
 */
export function mediaLinks(key: Buffer) {
  const mac = (id: string, variant: MediaVariant, exp: number) =>
    createHmac('sha256', key).update(`${id}\n${variant}\n${exp}`).digest();

  return {
    /** The expiry of links made at `now`: at least LINK_TTL_MS ahead. */
    expiry: (now: number) => Math.ceil((now + LINK_TTL_MS) / LINK_STEP_MS) * LINK_STEP_MS,

    sign: (id: string, variant: MediaVariant, exp: number) => mac(id, variant, exp).toString('base64url'),

    /** True when `sig` was made by this server for exactly this id, variant and expiry, and `exp` is ahead. */
    verify(link: { id: string; variant: MediaVariant; exp: number; sig: string }, now: number): boolean {
      if (link.exp <= now) return false;
      const given = Buffer.from(link.sig, 'base64url');
      const expected = mac(link.id, link.variant, link.exp);
      // Constant-time comparison; the length check first is required by timingSafeEqual.
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/** The media links contract. */
export type MediaLinks = ReturnType<typeof mediaLinks>;
