import type { ConversationDetail } from '@kurier/protocol';

/** The chat list's order: latest activity first. */
export function orderedConversations(conversations: Record<string, ConversationDetail>): ConversationDetail[] {
  const at = (c: ConversationDetail) => c.conversation.lastMessageAt ?? c.conversation.createdAt;
  return Object.values(conversations).sort((a, b) => at(b) - at(a));
}

/** Unread messages: past my read watermark. My own sends move it (the store marks them read). */
export function unreadCount(detail: ConversationDetail, me: string | undefined): number {
  const mine = detail.members.find((m) => m.userId === me);
  return mine ? Math.max(0, detail.conversation.lastSeq - mine.readSeq) : 0;
}
