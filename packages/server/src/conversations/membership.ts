import type { Bus } from '../kernel/bus.js';
import { KurierError } from '../kernel/errors.js';
import type { ConversationsStore, MemberRow } from './store.js';

/**
 * The one place that decides who may read or write a conversation (invariant 4), with a cache of
 * active member ids for fan-out. Writers re-check inside their transaction; the cache only
 * serves fast rejections and delivery lists, and is dropped on every membership change.
 */
export function membership(store: ConversationsStore, bus: Bus) {
  const cache = new Map<string, Promise<readonly string[]>>();
  bus.on('membershipChanged', ({ conversationId }) => cache.delete(conversationId));

  function activeMemberIds(conversationId: string): Promise<readonly string[]> {
    let ids = cache.get(conversationId);
    if (!ids) {
      ids = store.activeMemberIds(conversationId);
      cache.set(conversationId, ids);
      ids.catch(() => cache.delete(conversationId));
    }
    return ids;
  }

  return {
    activeMemberIds,

    /** Throws CONVERSATION_NOT_FOUND or NOT_A_MEMBER unless the user is an active member. */
    async requireMember(userId: string, conversationId: string): Promise<void> {
      const ids = await activeMemberIds(conversationId);
      if (ids.includes(userId)) return;
      if (ids.length === 0 && !(await store.byId(conversationId))) throw new KurierError('CONVERSATION_NOT_FOUND');
      throw new KurierError('NOT_A_MEMBER');
    },

    /** The member row, for checks that need the role; same errors as requireMember. */
    async requireMemberRow(s: ConversationsStore, userId: string, conversationId: string): Promise<MemberRow> {
      const row = await s.member(conversationId, userId);
      if (row && row.left_at === null) return row;
      if (!row && !(await s.byId(conversationId))) throw new KurierError('CONVERSATION_NOT_FOUND');
      throw new KurierError('NOT_A_MEMBER');
    },

    invalidate(conversationId: string): void {
      bus.emit('membershipChanged', { conversationId });
    },
  };
}

/** The membership contract. */
export type Membership = ReturnType<typeof membership>;
