import type { ConversationDetail, Member, Message, User } from '@kurier/protocol';
import type { ConnectionState, KurierClient, OutboxEntry } from '@kurier/sdk';
import type { Snapshot } from './snapshot';

/** A message the user wrote that the server has not acknowledged yet. */
export interface PendingMessage extends OutboxEntry {
  error?: string;
}

/** Everything the screens show; replaced (never mutated) on every change. */
export interface ChatState {
  me: User | null;
  users: Record<string, User>;
  conversations: Record<string, ConversationDetail>;
  /** Loaded messages per conversation, ascending by seq. */
  messages: Record<string, Message[]>;
  /** Whether older history exists beyond what is loaded; absent until the first page. */
  hasMore: Record<string, boolean>;
  pending: Record<string, PendingMessage>;
  /** Who is typing where, with the time their indicator expires. */
  typing: Record<string, Record<string, number>>;
  presence: Record<string, { online: boolean; lastSeenAt: number | null }>;
  connection: ConnectionState;
  /** Set once the first conversation list arrived. */
  ready: boolean;
}

const TYPING_TTL_MS = 6_000;

const initial: ChatState = {
  me: null,
  users: {},
  conversations: {},
  messages: {},
  hasMore: {},
  pending: {},
  typing: {},
  presence: {},
  connection: { status: 'idle' },
  ready: false,
};

/** Inserts or replaces by id, keeping seq order (live events can overtake a history page). */
export function mergeMessages(list: readonly Message[], incoming: readonly Message[]): Message[] {
  // The common cases: an older page before everything, or new messages after it. They cost a
  // concatenation, not a sort of the whole history (10,000 messages when scrolled far back).
  const first = list[0];
  const last = list.at(-1);
  const sorted = [...incoming].sort((a, b) => a.seq - b.seq);
  const lo = sorted[0];
  const hi = sorted.at(-1);
  if (!first || !last) return sorted;
  if (!lo || !hi) return [...list];
  if (hi.seq < first.seq) return [...sorted, ...list];
  if (lo.seq > last.seq) return [...list, ...sorted];
  const byId = new Map(list.map((m) => [m.id, m]));
  for (const m of incoming) {
    const old = byId.get(m.id);
    if (!old || old.changeId <= m.changeId) byId.set(m.id, m);
  }
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * The app's state over one SDK client: REST loads and live events land here, components read it
 * through `useChat`. Subscribers are called after each change.
 */
export class ChatStore {
  readonly client: KurierClient;
  #state: ChatState = initial;
  readonly #listeners = new Set<() => void>();
  /** Conversations by when they were last opened, newest first. */
  #recent: string[] = [];

  constructor(client: KurierClient) {
    this.client = client;
    client.on('message', (m) => this.#onMessage(m));
    client.on('member', (m) => this.#onMember(m));
    client.on('conversation', (c) =>
      this.#update((s) => {
        const detail = s.conversations[c.id];
        return {
          conversations: { ...s.conversations, [c.id]: { conversation: c, members: detail?.members ?? [] } },
        };
      }),
    );
    client.on('typing', ({ conversationId, userId, typing }) =>
      this.#update((s) => {
        const here = { ...(s.typing[conversationId] ?? {}) };
        if (typing) here[userId] = Date.now() + TYPING_TTL_MS;
        else delete here[userId];
        return { typing: { ...s.typing, [conversationId]: here } };
      }),
    );
    client.on('presence', ({ userId, online, lastSeenAt }) =>
      this.#update((s) => ({ presence: { ...s.presence, [userId]: { online, lastSeenAt } } })),
    );
    client.on('state', (connection) => this.#update(() => ({ connection })));
  }

  get state(): ChatState {
    return this.#state;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getSnapshot = (): ChatState => this.#state;

  /** Shows what was saved last time at once; the network load then refreshes it. */
  hydrate(snapshot: Snapshot): void {
    if (this.#state.ready || !snapshot.me) return;
    this.#recent = snapshot.recent;
    this.#update(() => ({
      me: snapshot.me,
      users: snapshot.users,
      conversations: snapshot.conversations,
      messages: snapshot.messages,
      hasMore: snapshot.hasMore,
      ready: true,
    }));
  }

  /** Conversations opened recently, newest first (what the snapshot keeps). */
  recent = (): string[] => this.#recent;

  /** Notes that a conversation was opened. */
  opened(conversationId: string): void {
    this.#recent = [conversationId, ...this.#recent.filter((id) => id !== conversationId)].slice(0, 20);
  }

  /** Loads who I am, people, conversations and what is still in the outbox. */
  async load(): Promise<void> {
    const [me, users, conversations, pending] = await Promise.all([
      this.client.me(),
      this.client.users(),
      this.client.conversations(),
      this.client.pending(),
    ]);
    this.#update((s) => ({
      me,
      users: Object.fromEntries(users.map((u) => [u.id, u])),
      conversations: Object.fromEntries(conversations.map((c) => [c.conversation.id, c])),
      pending: { ...Object.fromEntries(pending.map((p) => [p.clientMsgId, p])), ...s.pending },
      ready: true,
    }));
  }

  async refreshUsers(): Promise<void> {
    const users = await this.client.users();
    this.#update(() => ({ users: Object.fromEntries(users.map((u) => [u.id, u])) }));
  }

  /** Stores a conversation the user just created or changed over REST. */
  putConversation(detail: ConversationDetail): void {
    this.#update((s) => ({ conversations: { ...s.conversations, [detail.conversation.id]: detail } }));
  }

  /** Loads the newest page, or the page before the oldest loaded message. */
  async loadHistory(conversationId: string, older = false): Promise<void> {
    const loaded = this.#state.messages[conversationId] ?? [];
    const before = older ? loaded[0]?.seq : undefined;
    // The protocol's largest page: scrolling back fast costs one request per 200 messages.
    const page = await this.client.history(conversationId, { limit: 200, ...(before ? { before } : {}) });
    this.#update((s) => ({
      messages: { ...s.messages, [conversationId]: mergeMessages(s.messages[conversationId] ?? [], page.messages) },
      hasMore:
        older || s.hasMore[conversationId] === undefined ? { ...s.hasMore, [conversationId]: page.hasMore } : s.hasMore,
    }));
  }

  /** Writes a message: visible at once as pending, sent now or when the connection returns. */
  send(conversationId: string, text: string, replyToId?: string): void {
    const clientMsgId = crypto.randomUUID();
    const entry: PendingMessage = { clientMsgId, conversationId, text, createdAt: Date.now() };
    if (replyToId) entry.replyToId = replyToId;
    this.#update((s) => ({ pending: { ...s.pending, [clientMsgId]: entry } }));
    this.client.send(conversationId, text, { clientMsgId, ...(replyToId ? { replyToId } : {}) }).then(
      (message) => {
        this.#onMessage(message);
        void this.client.markRead(conversationId, message.seq).catch(() => {});
      },
      (err: unknown) =>
        this.#update((s) => ({
          pending: {
            ...s.pending,
            [clientMsgId]: { ...entry, error: err instanceof Error ? err.message : String(err) },
          },
        })),
    );
  }

  /** Drops a failed pending message from view. */
  discard(clientMsgId: string): void {
    this.#update((s) => {
      const pending = { ...s.pending };
      delete pending[clientMsgId];
      return { pending };
    });
  }

  /** Drops typing indicators whose sender went quiet without saying so. */
  expireTyping(now = Date.now()): void {
    const s = this.#state;
    let changed = false;
    const typing: ChatState['typing'] = {};
    for (const [conversationId, who] of Object.entries(s.typing)) {
      const kept = Object.fromEntries(Object.entries(who).filter(([, until]) => until > now));
      if (Object.keys(kept).length !== Object.keys(who).length) changed = true;
      typing[conversationId] = kept;
    }
    if (changed) this.#update(() => ({ typing }));
  }

  #onMessage(message: Message): void {
    this.#update((s) => {
      const list = s.messages[message.conversationId];
      const pending = { ...s.pending };
      if (message.clientMsgId) delete pending[message.clientMsgId];
      const detail = s.conversations[message.conversationId];
      const conversations =
        detail && message.seq > detail.conversation.lastSeq
          ? {
              ...s.conversations,
              [message.conversationId]: {
                ...detail,
                conversation: { ...detail.conversation, lastSeq: message.seq, lastMessageAt: message.createdAt },
              },
            }
          : s.conversations;
      // A conversation nobody opened yet keeps no message list; the first open loads history.
      const messages = list ? { ...s.messages, [message.conversationId]: mergeMessages(list, [message]) } : s.messages;
      const typing = s.typing[message.conversationId]?.[message.senderId]
        ? { ...s.typing, [message.conversationId]: omit(s.typing[message.conversationId] ?? {}, message.senderId) }
        : s.typing;
      return { messages, pending, conversations, typing };
    });
    if (!this.#state.conversations[message.conversationId]) void this.#fetchConversation(message.conversationId);
  }

  #onMember(member: Member): void {
    const detail = this.#state.conversations[member.conversationId];
    if (!detail) {
      void this.#fetchConversation(member.conversationId);
      return;
    }
    const members = detail.members.filter((m) => m.userId !== member.userId);
    const next = { ...detail, members: [...members, member] };
    this.#update((s) => ({ conversations: { ...s.conversations, [member.conversationId]: next } }));
    if (member.userId === this.#state.me?.id && member.leftAt !== null) {
      this.#update((s) => {
        const conversations = { ...s.conversations };
        delete conversations[member.conversationId];
        return { conversations };
      });
    }
  }

  async #fetchConversation(id: string): Promise<void> {
    try {
      const detail = await this.client.request<ConversationDetail>('GET', `/api/v1/conversations/${id}`);
      this.putConversation(detail);
      const unknown = detail.members.some((m) => !this.#state.users[m.userId]);
      if (unknown) await this.refreshUsers();
    } catch {
      // Removed from it meanwhile, or offline: the next load or event brings it.
    }
  }

  #update(change: (s: ChatState) => Partial<ChatState>): void {
    this.#state = { ...this.#state, ...change(this.#state) };
    for (const listener of this.#listeners) listener();
  }
}

function omit<TValue>(record: Record<string, TValue>, key: string): Record<string, TValue> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}
