import {
  type AuthResponse,
  type Change,
  type ChatPrefs,
  type ClientFrame,
  type Conversation,
  type ConversationDetail,
  type ConversationSummary,
  type CreateConversationRequest,
  type HistoryPage,
  type InboxItem,
  type MediaRef,
  type MediaVariant,
  type Member,
  type Message,
  PROTOCOL_VERSION,
  type SearchResult,
  type ServerFrame,
  type Session,
  type UpdateChatPrefsRequest,
  type User,
} from '@kurier/protocol';
import { Connection, type ConnectionState } from './connection.js';
import { Emitter } from './emitter.js';
import { isPermanent, KurierApiError } from './errors.js';
import { Http } from './http.js';
import { InboxApi } from './inbox.js';
import { MediaApi, type UploadOptions } from './media.js';
import { type ClientOptions, type ClientStorage, MemoryStorage, type WebSocketConstructor } from './options.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import { SyncPosition } from './position.js';
import { Requests } from './requests.js';
import { WidgetApi } from './widget.js';

/** Events a client emits. */
export type ClientEvents = {
  /** Connection state changed. */
  state: [ConnectionState];
  /** Caught up with the server after a (re)connect; live from here on. */
  synced: [{ cursor: number }];
  /** Every durable change, in order. */
  change: [Change];
  /** A message: `isNew` is false for edits, deletions and reaction changes. */
  message: [Message, { isNew: boolean }];
  member: [Member];
  conversation: [Conversation];
  /** This user pinned, muted or archived a chat (on any of their devices). */
  prefs: [ChatPrefs];
  /** Staff: a customer conversation's inbox state changed (live only; reload views after a reconnect). */
  inbox: [InboxItem];
  typing: [{ conversationId: string; userId: string; typing: boolean }];
  presence: [{ userId: string; online: boolean; lastSeenAt: number | null }];
  /** A server error not tied to a request of this client. */
  error: [KurierApiError];
};

/**
 * The Kurier client: REST calls, a realtime connection with reconnect, a persistent outbox and
 * sync from the last applied cursor.
 *
 * @example
 * const client = new KurierClient({ baseUrl: 'http://localhost:3000', WebSocket: WS });
 * await client.login('anna', 'correct horse battery');
 * client.on('message', (m) => console.log(m.text));
 * await client.connect();
 * await client.send(conversationId, 'Hallo!');
 */
export class KurierClient extends Emitter<ClientEvents> {
  readonly #options: ClientOptions;
  readonly #storage: ClientStorage;
  readonly #outbox: Outbox;
  readonly #media: MediaApi;
  readonly #http: Http;
  /** The team inbox (staff with inbox access). */
  readonly inbox: InboxApi;
  readonly #requests = new Requests();
  readonly #waiting = new Map<string, { resolve: (m: Message) => void; reject: (e: KurierApiError) => void }>();
  readonly #sendRequests = new Map<string, string>();
  readonly #inFlight = new Set<string>();
  #connection: Connection | null = null;
  #token: string | null;
  #authed = false;
  readonly #position: SyncPosition;
  #catchUpBase: Record<string, number> | null = null;
  #helloHadCursor = false;
  #frames: Promise<void> = Promise.resolve();
  #receiptTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #deliveredDue = new Map<string, number>();
  #userId: string | null = null;
  #loaded: Promise<void> | null = null;
  #syncedWaiters: (() => void)[] = [];

  constructor(options: ClientOptions) {
    super();
    this.#options = options;
    this.#storage = options.storage ?? new MemoryStorage();
    this.#outbox = new Outbox(this.#storage);
    this.#position = new SyncPosition(this.#storage);
    this.#token = options.token ?? null;
    this.#media = new MediaApi({
      baseUrl: options.baseUrl,
      token: () => this.#token,
      request: (method, path) => this.request(method, path),
    });
    this.#http = new Http(options.baseUrl, () => this.#token);
    this.inbox = new InboxApi({
      request: (method, path, body) => this.request(method, path, body),
      requestText: (path) => this.requestText(path),
      postText: (path, body) => this.#http.json('POST', path, body),
    });
  }

  /** The customer's side of one inbox (web chat widget, guest link); see `WidgetApi`. */
  widget(key: string): WidgetApi {
    return new WidgetApi(
      {
        request: (method, path, body) => this.request(method, path, body),
        adopt: (session) => {
          this.#token = session.token;
          this.#userId = session.contactId;
        },
      },
      key,
    );
  }

  /** The session token (keep it to resume without a password). */
  get token(): string | null {
    return this.#token;
  }

  /** Resumes a session whose token was kept (e.g. a widget visitor's, from localStorage). */
  useToken(token: string): void {
    this.#token = token;
  }

  /** The logged-in user's id, once known. */
  get userId(): string | null {
    return this.#userId;
  }

  /** The last cursor applied. */
  get cursor(): number | null {
    return this.#position.cursor;
  }

  get state(): ConnectionState {
    return this.#connection?.state ?? { status: 'idle' };
  }

  // ---- REST -------------------------------------------------------------------------------

  /** Calls the REST API; throws KurierApiError with the server's code. */
  request<TResult>(method: string, path: string, body?: unknown): Promise<TResult> {
    return this.#http.json(method, path, body === undefined ? undefined : { json: body });
  }

  /** A GET whose answer is text (CSV, an HTML transcript), with the session's token. */
  async requestText(path: string): Promise<string> {
    return (await this.#http.fetch('GET', path)).text();
  }

  async #authenticate(path: string, body: unknown): Promise<AuthResponse> {
    const res = await this.request<AuthResponse>('POST', path, body);
    this.#token = res.token;
    this.#userId = res.user.id;
    return res;
  }

  /** Logs in with a password; the client keeps the token. */
  login(username: string, password: string, deviceName?: string): Promise<AuthResponse> {
    return this.#authenticate('/api/v1/login', { username, password, deviceName });
  }

  /** Creates the owner with the one-time setup token. */
  setup(input: { token: string; username: string; displayName: string; password: string }): Promise<AuthResponse> {
    return this.#authenticate('/api/v1/setup', input);
  }

  /** Joins with an invite token. */
  acceptInvite(input: {
    token: string;
    username: string;
    displayName: string;
    password: string;
  }): Promise<AuthResponse> {
    return this.#authenticate('/api/v1/invites/accept', input);
  }

  async me(): Promise<User> {
    const { user } = await this.request<{ user: User }>('GET', '/api/v1/me');
    this.#userId = user.id;
    return user;
  }

  users = async (): Promise<User[]> => (await this.request<{ users: User[] }>('GET', '/api/v1/users')).users;
  sessions = async (): Promise<Session[]> =>
    (await this.request<{ sessions: Session[] }>('GET', '/api/v1/sessions')).sessions;
  /** The chat list: every conversation with its newest message and unread count, newest first. */
  conversations = async (): Promise<ConversationSummary[]> =>
    (await this.request<{ conversations: ConversationSummary[] }>('GET', '/api/v1/conversations')).conversations;
  createConversation = (input: CreateConversationRequest): Promise<ConversationDetail> =>
    this.request<ConversationDetail>('POST', '/api/v1/conversations', input);
  addMembers = (conversationId: string, userIds: string[]): Promise<ConversationDetail> =>
    this.request<ConversationDetail>('POST', `/api/v1/conversations/${enc(conversationId)}/members`, { userIds });
  removeMember = (conversationId: string, userId: string): Promise<ConversationDetail> =>
    this.request<ConversationDetail>('DELETE', `/api/v1/conversations/${enc(conversationId)}/members/${enc(userId)}`);
  /**
   * Pins, mutes or archives a chat for this user; every device of theirs gets a `prefs` event.
   *
   * @example
   * await client.setChatPrefs(id, { pinned: true });
   * await client.setChatPrefs(id, { mutedUntil: Date.now() + 8 * 3600_000 });
   */
  setChatPrefs = async (conversationId: string, patch: UpdateChatPrefsRequest): Promise<ChatPrefs> =>
    (await this.request<{ prefs: ChatPrefs }>('PATCH', `/api/v1/conversations/${enc(conversationId)}/prefs`, patch))
      .prefs;
  rename = (conversationId: string, name: string): Promise<ConversationDetail> =>
    this.request<ConversationDetail>('PATCH', `/api/v1/conversations/${enc(conversationId)}`, { name });
  history = (conversationId: string, opts: { before?: number; limit?: number } = {}): Promise<HistoryPage> => {
    const q = new URLSearchParams();
    if (opts.before !== undefined) q.set('before', String(opts.before));
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    return this.request<HistoryPage>('GET', `/api/v1/conversations/${enc(conversationId)}/messages?${q}`);
  };
  search = (query: string, conversationId?: string): Promise<SearchResult> => {
    const q = new URLSearchParams({ q: query });
    if (conversationId) q.set('conversationId', conversationId);
    return this.request<SearchResult>('GET', `/api/v1/search?${q}`);
  };

  /**
   * Uploads a file (multipart, streamed by the server to disk); send it with
   * `send(conversationId, caption, { mediaId: media.id })`.
   *
   * @example
   * const media = await client.upload(input.files[0], input.files[0].name, { onProgress: (s, t) => bar(s / t) });
   * await client.send(conversationId, 'Das Angebot', { mediaId: media.id });
   */
  upload(file: Blob | Uint8Array, name: string, opts?: UploadOptions): Promise<MediaRef> {
    return this.#media.upload(file, name, opts);
  }

  /**
   * A signed, absolute URL of a file or its thumbnail for `<img src>` and download links (no
   * Authorization header needed); valid for at least an hour, cached and renewed by the client.
   *
   * @example
   * img.src = await client.mediaUrl(message.media, 'thumbnail');
   */
  mediaUrl(media: Pick<MediaRef, 'id'> | string, variant: MediaVariant = 'original'): Promise<string> {
    return this.#media.url(media, variant);
  }

  /** Logs this device out and closes the connection. */
  async logout(): Promise<void> {
    await this.request('POST', '/api/v1/logout');
    this.close();
    this.#token = null;
  }

  // ---- Realtime ---------------------------------------------------------------------------

  /**
   * Opens the realtime connection and resolves once caught up. Reconnects by itself until
   * `close()`; after each reconnect it syncs from the last cursor and resends the outbox.
   */
  async connect(opts: { fromCursor?: number } = {}): Promise<void> {
    if (!this.#token) throw new KurierApiError('UNAUTHENTICATED', 'log in first');
    await this.#load();
    if (opts.fromCursor !== undefined) this.#position.cursor = opts.fromCursor;
    const WebSocketImpl = this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl) throw new Error('No WebSocket implementation: pass options.WebSocket (e.g. the ws package)');
    if (!this.#connection) {
      this.#connection = new Connection({
        url: `${this.#options.baseUrl.replace(/^http/, 'ws')}/ws`,
        WebSocket: WebSocketImpl,
        backoff: { initialMs: this.#options.backoff?.initialMs ?? 250, maxMs: this.#options.backoff?.maxMs ?? 10_000 },
        pingIntervalMs: this.#options.pingIntervalMs ?? 25_000,
        events: {
          onOpen: () => this.#onOpen(),
          onFrame: (frame) => {
            this.#frames = this.#frames
              .then(() => this.#onFrame(frame))
              .catch((err: unknown) => {
                this.emit('error', err instanceof KurierApiError ? err : new KurierApiError('INTERNAL', String(err)));
              });
          },
          onState: (state) => {
            if (state.status !== 'open') this.#authed = false;
            if (state.status === 'closed' && state.reason !== 'closed-by-client') {
              const err = new KurierApiError(
                state.reason === 'unauthenticated' ? 'SESSION_EXPIRED' : 'PROTOCOL_VERSION_UNSUPPORTED',
                state.reason,
              );
              this.#requests.rejectAll(err);
              for (const [id, w] of this.#waiting) {
                this.#waiting.delete(id);
                w.reject(err);
              }
              for (const resolve of this.#syncedWaiters.splice(0)) resolve();
            }
            this.emit('state', state);
          },
        },
      });
    }
    const synced = new Promise<void>((resolve) => this.#syncedWaiters.push(resolve));
    this.#connection.start();
    await synced;
    const state = this.#connection.state;
    if (state.status === 'closed') throw new KurierApiError('SESSION_EXPIRED', `connection closed: ${state.reason}`);
  }

  /** Closes the connection for good (the outbox stays in storage). */
  close(): void {
    this.#connection?.stop();
    if (this.#receiptTimer) clearTimeout(this.#receiptTimer);
    this.#position.flush();
  }

  /** Drops the socket and reconnects now (after the network returns, or in tests). */
  reconnect(): void {
    this.#connection?.reconnectNow();
  }

  /**
   * Sends a message: text, or with `mediaId` (from `upload`) a file whose caption is `text` (may
   * be empty). It is stored in the outbox first and survives disconnects; the promise resolves
   * with the server's message once the server has durably stored it.
   */
  async send(
    conversationId: string,
    text: string,
    opts: { replyToId?: string; clientMsgId?: string; mediaId?: string; note?: boolean } = {},
  ): Promise<Message> {
    await this.#load();
    const entry: OutboxEntry = {
      clientMsgId: opts.clientMsgId ?? newClientMsgId(),
      conversationId,
      text,
      createdAt: Date.now(),
    };
    if (opts.replyToId) entry.replyToId = opts.replyToId;
    if (opts.mediaId) entry.mediaId = opts.mediaId;
    if (opts.note) entry.note = true;
    await this.#outbox.add(entry);
    const result = new Promise<Message>((resolve, reject) => this.#waiting.set(entry.clientMsgId, { resolve, reject }));
    if (this.#authed) this.#sendEntry(entry);
    return result;
  }

  /** Messages written but not yet acknowledged. */
  pending(): Promise<OutboxEntry[]> {
    return this.#outbox.entries();
  }

  edit(messageId: string, text: string): Promise<Message> {
    return this.#call({ type: 'edit', id: this.#requests.nextId(), messageId, text }) as Promise<Message>;
  }

  delete(messageId: string): Promise<Message> {
    return this.#call({ type: 'delete', id: this.#requests.nextId(), messageId }) as Promise<Message>;
  }

  react(messageId: string, emoji: string, remove = false): Promise<Message> {
    return this.#call({ type: 'react', id: this.#requests.nextId(), messageId, emoji, remove }) as Promise<Message>;
  }

  /** Marks a conversation read up to `seq`. */
  async markRead(conversationId: string, seq: number): Promise<void> {
    await this.#call({ type: 'receipt', id: this.#requests.nextId(), kind: 'read', conversationId, seq });
  }

  /**
   * Tells the others you are typing (or stopped). Fire and forget. With `note`, only staff see
   * it (typing a private note in a customer conversation).
   */
  typing(conversationId: string, typing: boolean, opts: { note?: boolean } = {}): void {
    this.#connection?.send({ type: 'typing', conversationId, typing, ...(opts.note ? { note: true } : {}) });
  }

  /** Sends any frame (tests of the protocol). */
  sendRaw(data: ClientFrame): boolean {
    return this.#connection?.send(data) ?? false;
  }

  #call(frame: Parameters<Requests['add']>[0]): Promise<Message | undefined> {
    const promise = this.#requests.add(frame);
    if (this.#authed) this.#connection?.send(frame);
    return promise;
  }

  #sendEntry(entry: OutboxEntry): void {
    if (this.#inFlight.has(entry.clientMsgId)) return;
    const id = this.#requests.nextId();
    this.#sendRequests.set(id, entry.clientMsgId);
    this.#inFlight.add(entry.clientMsgId);
    const frame = {
      type: 'send' as const,
      id,
      conversationId: entry.conversationId,
      clientMsgId: entry.clientMsgId,
      // A file without a caption sends no text at all; an empty text alone stays an error.
      ...(entry.text !== '' || !entry.mediaId ? { text: entry.text } : {}),
      ...(entry.mediaId ? { mediaId: entry.mediaId } : {}),
      ...(entry.replyToId ? { replyToId: entry.replyToId } : {}),
      ...(entry.note ? { note: true } : {}),
    };
    if (!this.#connection?.send(frame)) {
      this.#inFlight.delete(entry.clientMsgId);
      this.#sendRequests.delete(id);
    }
  }

  #load(): Promise<void> {
    this.#loaded ??= (async () => {
      await this.#position.load();
    })();
    return this.#loaded;
  }

  #onOpen(): void {
    this.#inFlight.clear();
    this.#sendRequests.clear();
    this.#helloHadCursor = this.#position.cursor !== null;
    // From hello until the last catch-up page, "new" is judged against what was known before:
    // an ack can overtake catch-up pages, and must neither hide them nor count twice.
    this.#catchUpBase = this.#helloHadCursor ? { ...this.#position.seqs } : null;
    this.#connection?.send({
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      token: this.#token ?? '',
      cursor: this.#position.cursor ?? undefined,
    });
  }

  async #onFrame(frame: ServerFrame): Promise<void> {
    switch (frame.type) {
      case 'welcome':
        this.#userId = frame.userId;
        if (this.#position.cursor === null) await this.#position.advance(frame.cursor);
        this.#authed = true;
        // Resend what never got an answer: outbox sends (idempotent) and other requests.
        for (const entry of await this.#outbox.entries()) this.#sendEntry(entry);
        for (const f of this.#requests.frames()) this.#connection?.send(f);
        // Without a cursor the server sends no catch-up: synced at once.
        if (!this.#helloHadCursor) this.#markSynced();
        return;
      case 'changes':
        // Catch-up arrives in change order, so an edited old message can come after newer ones:
        // judge "new" against what was known before the catch-up began.
        for (const change of frame.changes)
          this.#apply(change, frame.live ? this.#position.seqs : (this.#catchUpBase ?? this.#position.seqs));
        if (frame.done && !frame.live) this.#catchUpBase = null;
        await this.#position.advance(frame.cursor);
        if (frame.done && !frame.live) this.#markSynced();
        return;
      case 'ack':
        return this.#onAck(frame.id, frame.message, frame.cursor);
      case 'error':
        return this.#onError(frame.id, new KurierApiError(frame.code as KurierApiError['code'], frame.message));
      case 'typing':
        return this.emit('typing', {
          conversationId: frame.conversationId,
          userId: frame.userId,
          typing: frame.typing,
        });
      case 'presence':
        return this.emit('presence', { userId: frame.userId, online: frame.online, lastSeenAt: frame.lastSeenAt });
      case 'pong':
        return;
    }
  }

  #markSynced(): void {
    this.emit('synced', { cursor: this.#position.cursor ?? 0 });
    for (const resolve of this.#syncedWaiters.splice(0)) resolve();
  }

  async #onAck(id: string, message: Message | undefined, cursor: number | undefined): Promise<void> {
    // An ack with a cursor stands in the change stream in its message's place (rule M12): the
    // message is applied and the cursor stored as for a live change, whatever the request.
    if (message && cursor !== undefined) {
      this.#apply({ kind: 'message', message });
      await this.#position.advance(cursor);
    }
    const clientMsgId = this.#sendRequests.get(id);
    if (clientMsgId === undefined) return this.#requests.resolve(id, message);
    this.#sendRequests.delete(id);
    this.#inFlight.delete(clientMsgId);
    await this.#outbox.remove(clientMsgId);
    // While catching up, the message arrives through the catch-up (or right after it) anyway.
    if (message && cursor === undefined && this.#catchUpBase === null) this.#apply({ kind: 'message', message });
    const waiter = this.#waiting.get(clientMsgId);
    this.#waiting.delete(clientMsgId);
    if (message) waiter?.resolve(message);
  }

  async #onError(id: string | null, err: KurierApiError): Promise<void> {
    if (id === null) return this.emit('error', err);
    const clientMsgId = this.#sendRequests.get(id);
    if (clientMsgId === undefined) return this.#requests.reject(id, err);
    this.#sendRequests.delete(id);
    this.#inFlight.delete(clientMsgId);
    if (!isPermanent(err.code)) return; // stays in the outbox; resent after reconnect
    await this.#outbox.remove(clientMsgId);
    const waiter = this.#waiting.get(clientMsgId);
    this.#waiting.delete(clientMsgId);
    waiter?.reject(err);
  }

  #apply(change: Change, base: Record<string, number> = this.#position.seqs): void {
    switch (change.kind) {
      case 'message': {
        const m = change.message;
        const isNew = m.seq > (base[m.conversationId] ?? 0);
        this.#position.see(m.conversationId, m.seq);
        this.emit('change', change);
        this.emit('message', m, { isNew });
        if (isNew && m.senderId !== this.#userId && this.#options.autoDeliveredReceipts !== false)
          this.#dueDelivered(m.conversationId, m.seq);
        return;
      }
      case 'member':
        this.emit('change', change);
        this.emit('member', change.member);
        return;
      case 'conversation':
        this.emit('change', change);
        this.emit('conversation', change.conversation);
        return;
      case 'prefs':
        this.emit('change', change);
        this.emit('prefs', change.prefs);
        return;
      case 'inbox':
        this.emit('change', change);
        this.emit('inbox', change.item);
        return;
    }
  }

  #dueDelivered(conversationId: string, seq: number): void {
    this.#deliveredDue.set(conversationId, Math.max(seq, this.#deliveredDue.get(conversationId) ?? 0));
    // Coalesced: one receipt per conversation per window, not one per message.
    this.#receiptTimer ??= setTimeout(() => {
      this.#receiptTimer = null;
      for (const [id, s] of this.#deliveredDue)
        this.#connection?.send({ type: 'receipt', kind: 'delivered', conversationId: id, seq: s });
      this.#deliveredDue.clear();
    }, this.#options.receiptDelayMs ?? 50);
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/**
 * A client message id: time first, then randomness. The server indexes these; ids that grow
 * with time append to the index instead of touching a random page per message.
 */
export function newClientMsgId(): string {
  return `${Date.now().toString(36).padStart(9, '0')}-${randomHex(10)}`;
}

// One getRandomValues call fills the pool for 400 ids: a call per id cost ~4 µs in Node, a tenth
// of a busy sender's CPU (docs/benchmarks.md). Each byte is used once, so the ids stay as random.
const randomPool = new Uint8Array(4000);
let randomAt = randomPool.length;
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

function randomHex(bytes: number): string {
  if (randomAt + bytes > randomPool.length) {
    globalThis.crypto.getRandomValues(randomPool);
    randomAt = 0;
  }
  let out = '';
  for (let i = randomAt; i < randomAt + bytes; i++) out += HEX[randomPool[i] as number];
  randomAt += bytes;
  return out;
}
