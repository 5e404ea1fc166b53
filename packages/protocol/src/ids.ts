import { z } from 'zod';

/** Server-assigned ids are opaque strings with a short type prefix (`u_`, `c_`, `m_`, …). */
export const Id = z.string().min(1).max(64);

/** A client-chosen idempotency key for a send: any printable string up to 64 characters. */
export const ClientMsgId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** Milliseconds since the Unix epoch. */
export const Timestamp = z.number().int().nonnegative();

/** A gapless per-conversation sequence number, starting at 1. */
export const Seq = z.number().int().nonnegative();

/** A position in a user's change stream; clients resume sync from it. */
export const Cursor = z.number().int().nonnegative();
