/** Whether a note's text mentions `@username` as a word of its own (any case). */
export function mentions(text: string | null, username: string | undefined): boolean {
  if (!text || !username) return false;
  const escaped = username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|\\s)@${escaped}(?![\\w.-])`, 'i').test(text);
}
