import type {
  ChatPrefs,
  ConversationDetail,
  MediaRef,
  Member,
  Message,
  UpdateChatPrefsRequest,
  User,
} from '@kurier/protocol';
import { type ConnectionState, type KurierClient, newClientMsgId, type OutboxEntry } from '@kurier/sdk';
import type { Snapshot } from './snapshot';
import { countsAsUnread } from './unread';

/** A message the user wrote that the server has not acknowledged yet. */
export interface PendingMessage extends OutboxEntry {
  error?: string;
  /** The uploaded file of a pending file message, for display. */
  media?: MediaRef;
}

/** A file on its way to the server. */
export interface Upload {
  id: string;
  conversationId: string;
  name: string;
  sent: number;
  total: number;
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
  uploads: Record<string, Upload>;
  /** The newest message per conversation, for the chat list preview. */
  previews: Record<string, Message>;
  /** Messages from others after my read watermark, per conversation. */
  unread: Record<string, number>;
  /** How I keep each chat (pinned, muted, archived); absent means never changed. */
  prefs: Record<string, ChatPrefs>;
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
  uploads: {},
  previews: {},
  unread: {},
  prefs: {},
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
  readonly #aborts = new Map<string, AbortController>();
  /** Conversations by when they were last opened, newest first. */
  #recent: string[] = [];

  constructor(client: KurierClient) {
    this.client = client;
    client.on('message', (m, { isNew }) => this.#onMessage(m, isNew));
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
    client.on('prefs', (prefs) => this.#putPrefs(prefs));
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
      previews: snapshot.previews ?? {},
      unread: snapshot.unread ?? {},
      prefs: snapshot.prefs ?? {},
      ready: true,
    }));
  }

  /** Conversations opened recently, newest first (what the snapshot keeps). */
  recent = (): string[] => this.#recent;

  /** Notes that a conversation was opened. */
  opened(conversationId: string): void {
    this.#recent = [conversationId, ...this.#recent.filter((id) => id !== conversationId)].slice(0, 20);
  }

  /**
   * Brings a customer conversation into the store so the conversation view can show it: staff of
   * an inbox read it without being members. The customer appears under their contact name.
   */
  async openCustomer(conversationId: string, contact: { id: string; name: string | null }): Promise<void> {
    const detail = await this.client.request<ConversationDetail>(
      'GET',
      `/api/v1/conversations/${encodeURIComponent(conversationId)}`,
    );
    // A merged duplicate opened the conversation and wrote its first messages: it shows under
    // the contact's name too.
    const ids = [...new Set([contact.id, detail.conversation.createdBy])];
    this.#update((s) => {
      const users = { ...s.users };
      for (const id of ids)
        users[id] ??= {
          id,
          username: '',
          displayName: contact.name ?? '…',
          role: 'member',
          createdAt: detail.conversation.createdAt,
          lastSeenAt: null,
        };
      return { conversations: { ...s.conversations, [conversationId]: detail }, users };
    });
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
      conversations: Object.fromEntries(
        conversations.map(({ conversation, members }) => [conversation.id, { conversation, members }]),
      ),
      previews: Object.fromEntries(
        conversations.flatMap((c) => (c.lastMessage ? [[c.conversation.id, c.lastMessage]] : [])),
      ),
      unread: Object.fromEntries(conversations.map((c) => [c.conversation.id, c.unread])),
      prefs: Object.fromEntries(conversations.map((c) => [c.conversation.id, c.prefs])),
      pending: { ...Object.fromEntries(pending.map((p) => [p.clientMsgId, p])), ...s.pending },
      ready: true,
    }));
  }

  async refreshUsers(): Promise<void> {
    const users = await this.client.users();
    this.#update(() => ({ users: Object.fromEntries(users.map((u) => [u.id, u])) }));
  }

  /** Pins, mutes or archives a chat; every device of mine follows through the `prefs` change. */
  async setPrefs(conversationId: string, patch: UpdateChatPrefsRequest): Promise<void> {
    this.#putPrefs(await this.client.setChatPrefs(conversationId, patch));
  }

  /** Newer wins: the REST answer and the live change may arrive in either order. */
  #putPrefs(prefs: ChatPrefs): void {
    const old = this.#state.prefs[prefs.conversationId];
    if (old && old.changeId > prefs.changeId) return;
    this.#update((s) => ({ prefs: { ...s.prefs, [prefs.conversationId]: prefs } }));
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

  /**
   * Writes a message: visible at once as pending, sent now or when the connection returns. A
   * `note` is private to staff (customer conversations).
   */
  send(conversationId: string, text: string, { replyToId, note }: { replyToId?: string; note?: boolean } = {}): void {
    // Time-ordered, as the SDK makes them: the server's index of client ids then appends.
    const clientMsgId = newClientMsgId();
    const entry: PendingMessage = { clientMsgId, conversationId, text, createdAt: Date.now() };
    if (replyToId) entry.replyToId = replyToId;
    if (note) entry.note = true;
    this.#update((s) => ({ pending: { ...s.pending, [clientMsgId]: entry } }));
    this.client
      .send(conversationId, text, { clientMsgId, ...(replyToId ? { replyToId } : {}), ...(note ? { note } : {}) })
      .then(
        // No read receipt: my own message is not unread (the message list marks others' as read).
        (message) => this.#onMessage(message),
        (err: unknown) =>
          this.#update((s) => ({
            pending: {
              ...s.pending,
              [clientMsgId]: { ...entry, error: err instanceof Error ? err.message : String(err) },
            },
          })),
      );
  }

  /**
   * Uploads a file with progress, then sends it as a file message. Cancel with `cancelUpload`;
   * a failed upload stays listed with its error until dismissed.
   */
  async upload(conversationId: string, file: File): Promise<void> {
    const id = crypto.randomUUID();
    const abort = new AbortController();
    this.#aborts.set(id, abort);
    const put = (patch: Partial<Upload>) =>
      this.#update((s) => {
        const current = s.uploads[id] ?? { id, conversationId, name: file.name, sent: 0, total: file.size };
        return { uploads: { ...s.uploads, [id]: { ...current, ...patch } } };
      });
    put({});
    try {
      const media = await this.client.upload(file, file.name, {
        signal: abort.signal,
        onProgress: (sent, total) => put({ sent, total }),
      });
      this.dismissUpload(id);
      this.#sendFile(conversationId, media);
    } catch (err) {
      if (abort.signal.aborted) this.dismissUpload(id);
      else put({ error: (err as { code?: string }).code ?? 'NETWORK' });
    } finally {
      this.#aborts.delete(id);
    }
  }

  cancelUpload(id: string): void {
    this.#aborts.get(id)?.abort();
    this.dismissUpload(id);
  }

  dismissUpload(id: string): void {
    this.#update((s) => ({ uploads: omit(s.uploads, id) }));
  }

  #sendFile(conversationId: string, media: MediaRef): void {
    const clientMsgId = newClientMsgId();
    const entry: PendingMessage = {
      clientMsgId,
      conversationId,
      text: '',
      mediaId: media.id,
      media,
      createdAt: Date.now(),
    };
    this.#update((s) => ({ pending: { ...s.pending, [clientMsgId]: entry } }));
    this.client.send(conversationId, '', { clientMsgId, mediaId: media.id }).then(
      (message) => this.#onMessage(message),
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

  #onMessage(message: Message, isNew = false): void {
    this.#update((s) => {
      const preview = s.previews[message.conversationId];
      const previews =
        !preview || preview.seq < message.seq || (preview.id === message.id && preview.changeId <= message.changeId)
          ? { ...s.previews, [message.conversationId]: message }
          : s.previews;
      const detail = s.conversations[message.conversationId];
      // Customer conversations count in the inbox, not in the chat list's unread badges.
      const fromOther =
        isNew && countsAsUnread(message, s.me?.id) && detail !== undefined && detail.conversation.kind !== 'customer';
      const unread = fromOther
        ? { ...s.unread, [message.conversationId]: (s.unread[message.conversationId] ?? 0) + 1 }
        : s.unread;
      const list = s.messages[message.conversationId];
      const pending = { ...s.pending };
      if (message.clientMsgId) delete pending[message.clientMsgId];
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
      return { messages, pending, conversations, typing, previews, unread };
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
    this.#update((s) => ({
      conversations: { ...s.conversations, [member.conversationId]: next },
      unread:
        member.userId === s.me?.id ? { ...s.unread, [member.conversationId]: this.#unreadAfter(member) } : s.unread,
    }));
    if (member.userId === this.#state.me?.id && member.leftAt !== null) {
      this.#update((s) => {
        const conversations = { ...s.conversations };
        delete conversations[member.conversationId];
        return { conversations };
      });
    }
  }

  /**
   * My unread count after my read watermark moved (on any of my devices): zero once it reached
   * the end, else counted in the loaded history when that reaches back far enough.
   */
  #unreadAfter(me: Member): number {
    const s = this.#state;
    const detail = s.conversations[me.conversationId];
    const known = s.unread[me.conversationId] ?? 0;
    if (!detail || me.readSeq >= detail.conversation.lastSeq) return 0;
    const loaded = s.messages[me.conversationId] ?? [];
    if (!loaded[0] || loaded[0].seq > me.readSeq + 1) return known;
    return loaded.filter((m) => m.seq > me.readSeq && countsAsUnread(m, me.userId)).length;
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
