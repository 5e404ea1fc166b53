import { KurierError } from './errors.js';

/**
 * Keyset paging over rows ordered by (time, id) descending: `nextBefore` is `time:id` of the
 * last row of a page, so pages stay stable while new rows arrive at the top.
 */
export function pageCursor(at: number, id: string): string {
  return `${at}:${id}`;
}

/** Reads a `before` cursor made by pageCursor; VALIDATION_FAILED for anything else. */
export function parsePageCursor(before: string | undefined): [number, string] | null {
  if (!before) return null;
  const match = /^(\d+):(.+)$/.exec(before);
  if (!match) throw new KurierError('VALIDATION_FAILED', { message: 'before is not a cursor from this list.' });
  return [Number(match[1]), match[2] as string];
}
