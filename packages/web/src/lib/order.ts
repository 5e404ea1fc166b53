import type { ConversationDetail } from '@kurier/protocol';

/** The chat list's order: latest activity first. */
export function orderedConversations(conversations: Record<string, ConversationDetail>): ConversationDetail[] {
  const at = (c: ConversationDetail) => c.conversation.lastMessageAt ?? c.conversation.createdAt;
  return Object.values(conversations).sort((a, b) => at(b) - at(a));
}
