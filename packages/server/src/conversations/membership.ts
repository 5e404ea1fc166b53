import type { Bus } from '../kernel/bus.js';
import { KurierError } from '../kernel/errors.js';
import { isContactId } from '../kernel/ids.js';
import type { ConversationsStore, MemberRow } from './store.js';

/** Who receives a conversation's live events: everyone, and everyone but customers (notes). */
export interface Audience {
  readonly all: readonly string[];
  readonly staff: readonly string[];
}

/**
 * Staff who are not members but may read a customer conversation: the inbox decides, through
 * these calls bound after it is built (it depends on conversations, not the other way round).
 */
export interface Watchers {
  /** Staff with access to the conversation's inbox; empty for direct and group chats. */
  of(conversationId: string): Promise<readonly string[]>;
  /** Whether a non-member may read the conversation (a customer conversation of their inbox). */
  mayRead(actor: { userId: string; role: string }, conversationId: string): Promise<boolean>;
}

/** Who asks to read: a user and their role. */
export interface Reader {
  userId: string;
  role: string;
}

const NO_WATCHERS: Watchers = { of: async () => [], mayRead: async () => false };

/**
 * The one place that decides who may read or write a conversation (invariant 4), with caches of
 * active member ids and audiences for fan-out. Writing needs membership; reading a customer
 * conversation is also open to the staff of its inbox. Writers re-check inside their
 * transaction; the caches only serve fast rejections and delivery lists, and are dropped on
 * every membership or inbox-access change.
 */
export function membership(store: ConversationsStore, bus: Bus) {
  const cache = new Map<string, Promise<readonly string[]>>();
  const audiences = new Map<string, Promise<Audience>>();
  let watchers = NO_WATCHERS;
  bus.on('membershipChanged', ({ conversationId }) => {
    cache.delete(conversationId);
    audiences.delete(conversationId);
  });
  bus.on('accessChanged', () => audiences.clear());

  function cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    let value = map.get(key);
    if (!value) {
      value = load();
      map.set(key, value);
      value.catch(() => map.delete(key));
    }
    return value;
  }

  const activeMemberIds = (conversationId: string) =>
    cached(cache, conversationId, () => store.activeMemberIds(conversationId));

  async function notFoundOrNotMember(ids: readonly string[], conversationId: string): Promise<never> {
    if (ids.length === 0 && !(await store.byId(conversationId))) throw new KurierError('CONVERSATION_NOT_FOUND');
    throw new KurierError('NOT_A_MEMBER');
  }

  return {
    activeMemberIds,

    /** Members plus watching staff; `staff` leaves customers out (private notes go there). */
    audience: (conversationId: string): Promise<Audience> =>
      cached(audiences, conversationId, async () => {
        const [members, extra] = await Promise.all([activeMemberIds(conversationId), watchers.of(conversationId)]);
        const all = extra.length === 0 ? members : [...new Set([...members, ...extra])];
        return { all, staff: all.filter((id) => !isContactId(id)) };
      }),

    /**
     * Throws CONVERSATION_NOT_FOUND or NOT_A_MEMBER unless the user is an active member; resolves
     * with all active members' ids.
     */
    async requireMember(userId: string, conversationId: string): Promise<readonly string[]> {
      const ids = await activeMemberIds(conversationId);
      if (!ids.includes(userId)) await notFoundOrNotMember(ids, conversationId);
      return ids;
    },

    /** Like requireMember, but staff of a customer conversation's inbox may read it too. */
    async requireReader(actor: Reader, conversationId: string): Promise<void> {
      const ids = await activeMemberIds(conversationId);
      if (ids.includes(actor.userId) || (await watchers.mayRead(actor, conversationId))) return;
      await notFoundOrNotMember(ids, conversationId);
    },

    /** requireReader as a yes or no (no error for unknown conversations). */
    async canRead(actor: Reader, conversationId: string): Promise<boolean> {
      return (await activeMemberIds(conversationId)).includes(actor.userId) || watchers.mayRead(actor, conversationId);
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

    /** Binds the inbox's view of who watches customer conversations (once, at startup). */
    bindWatchers(w: Watchers): void {
      watchers = w;
    },
  };
}

/** The membership contract. */
export type Membership = ReturnType<typeof membership>;
