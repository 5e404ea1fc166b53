// PostgreSQL's text cannot hold U+0000: a NUL anywhere in a bound value fails the statement
// (22021), which surfaced as INTERNAL and a send the SDK retried for ever. SQLite stores it, so
// the two databases would disagree. Every input is checked once at the edge instead.

/** The message of the refusal, for HTTP and WebSocket alike. */
export const NUL_MESSAGE = 'Text must not contain NUL characters (U+0000).';

/** True when a string anywhere in `value` (keys included) holds U+0000. */
export function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(containsNul);
  for (const [key, item] of Object.entries(value)) if (key.includes('\u0000') || containsNul(item)) return true;
  return false;
}
