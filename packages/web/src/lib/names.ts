import type { ConversationDetail, User } from '@kurier/protocol';

/**
 * The other person of a direct chat, or the customer of a customer conversation (who opened it),
 * if known.
 */
export function peerOf(detail: ConversationDetail, me: string | undefined): string | null {
  if (detail.conversation.kind === 'customer') return detail.conversation.createdBy;
  if (detail.conversation.kind !== 'direct') return null;
  return detail.members.find((m) => m.userId !== me)?.userId ?? null;
}

/** A group's name, or the other person's name in a direct chat (the customer's in theirs). */
export function conversationTitle(
  detail: ConversationDetail,
  users: Record<string, User>,
  me: string | undefined,
): string {
  if (detail.conversation.kind !== 'group') {
    const peer = peerOf(detail, me);
    return (peer && users[peer]?.displayName) || '…';
  }
  return detail.conversation.name ?? '…';
}

/** Active members other than me. */
export function otherMembers(detail: ConversationDetail, me: string | undefined): string[] {
  return detail.members.filter((m) => m.leftAt === null && m.userId !== me).map((m) => m.userId);
}
