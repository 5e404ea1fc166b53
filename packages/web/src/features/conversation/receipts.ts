import type { ConversationDetail } from '@kurier/protocol';

/** Where one of my messages stands with the other members. */
export type Tick = 'pending' | 'sent' | 'delivered' | 'read';

/**
 * Delivered once every other active member's delivered watermark reached the seq, read once
 * every read watermark did (in a group: all of them, as in the messengers people know).
 */
export function tickOf(seq: number, detail: ConversationDetail, me: string | undefined): Tick {
  const others = detail.members.filter((m) => m.leftAt === null && m.userId !== me);
  if (others.length === 0) return 'sent';
  if (others.every((m) => m.readSeq >= seq)) return 'read';
  if (others.every((m) => m.deliveredSeq >= seq)) return 'delivered';
  return 'sent';
}
