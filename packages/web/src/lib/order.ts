import type { ChatPrefs, ConversationDetail } from '@kurier/protocol';

/** Whether a chat is muted at `now`. */
export function isMuted(prefs: ChatPrefs | undefined, now = Date.now()): boolean {
  return prefs?.mutedUntil != null && prefs.mutedUntil > now;
}

/** Whether a chat is in the archive. */
export function isArchived(prefs: ChatPrefs | undefined): boolean {
  return prefs?.archivedAt != null;
}

/**
 * The chat list's order: pinned chats first (the latest pin on top), then latest activity.
 * `archived` picks the archive instead of the main list. Customer conversations belong to the
 * team inbox, not the chat list.
 */
export function orderedConversations(
  conversations: Record<string, ConversationDetail>,
  prefs: Record<string, ChatPrefs> = {},
  { archived = false }: { archived?: boolean } = {},
): ConversationDetail[] {
  const at = (c: ConversationDetail) => c.conversation.lastMessageAt ?? c.conversation.createdAt;
  const pinned = (c: ConversationDetail) => prefs[c.conversation.id]?.pinnedAt ?? null;
  return Object.values(conversations)
    .filter((c) => c.conversation.kind !== 'customer' && isArchived(prefs[c.conversation.id]) === archived)
    .sort((a, b) => {
      const pa = pinned(a);
      const pb = pinned(b);
      if (pa !== null || pb !== null) {
        if (pa === null) return 1;
        if (pb === null) return -1;
        if (pa !== pb) return pb - pa;
      }
      return at(b) - at(a);
    });
}

/** Unread messages that should draw attention: not in muted or archived chats. */
export function attentionCount(
  unread: Record<string, number>,
  prefs: Record<string, ChatPrefs>,
  now = Date.now(),
): number {
  let total = 0;
  for (const [id, count] of Object.entries(unread)) {
    const p = prefs[id];
    if (!isMuted(p, now) && !isArchived(p)) total += count;
  }
  return total;
}
