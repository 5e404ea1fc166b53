import type { ChatPrefs, Conversation, ConversationKind, Member, MemberRole } from '@kurier/protocol';
import type { ChatPrefsRow, ConversationRow, MemberRow } from './store.js';

/** Conversation row → wire. */
export function presentConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    kind: row.kind as ConversationKind,
    name: row.name,
    createdBy: row.created_by,
    createdAt: row.created_at,
    lastSeq: row.last_seq,
    lastMessageAt: row.last_message_at,
    changeId: row.change_id,
  };
}

/** Member row → wire. */
export function presentMember(row: MemberRow): Member {
  return {
    conversationId: row.conversation_id,
    userId: row.user_id,
    role: row.role as MemberRole,
    joinedAt: row.joined_at,
    leftAt: row.left_at,
    deliveredSeq: row.delivered_seq,
    readSeq: row.read_seq,
    changeId: row.change_id,
  };
}

/** Chat preferences row → wire; a chat the user never changed has the defaults and changeId 0. */
export function presentPrefs(conversationId: string, row: ChatPrefsRow | undefined): ChatPrefs {
  return {
    conversationId,
    pinnedAt: row?.pinned_at ?? null,
    mutedUntil: row?.muted_until ?? null,
    archivedAt: row?.archived_at ?? null,
    changeId: row?.change_id ?? 0,
  };
}
