import type { Message } from '@kurier/protocol';

/**
 * What the server counts as unread (`unreadCounts`): someone else's message, not a system line,
 * not deleted. My own messages after my read watermark are never unread.
 */
export function countsAsUnread(message: Message, me: string | undefined): boolean {
  return message.senderId !== me && message.type !== 'system' && !message.deletedAt;
}

/**
 * Whether anything after my read watermark is unread, judged on the loaded history (oldest
 * first, up to `lastSeq`). Seqs not loaded yet after the watermark may hold unread messages, so
 * a gap there counts as unread.
 */
export function hasUnread(
  messages: readonly Message[],
  { readSeq, lastSeq, me }: { readSeq: number; lastSeq: number; me: string | undefined },
): boolean {
  // Walking back from the newest; `above` is the seq of the message after the current one.
  let above = lastSeq + 1;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as Message;
    if (above > m.seq + 1 && above > readSeq + 1) return true;
    if (m.seq <= readSeq) return false;
    if (countsAsUnread(m, me)) return true;
    above = m.seq;
  }
  return above > readSeq + 1;
}
