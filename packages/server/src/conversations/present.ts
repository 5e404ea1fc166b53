import type { Conversation, ConversationKind, Member, MemberRole } from '@kurier/protocol';
import type { ConversationRow, MemberRow } from './store.js';

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
